/*
 * test_csv.c - the CSV reader: every dialect feature and every error, each checked with the
 * exact values and the exact file:line:column, and each repeated with the source limited to
 * 1, 2, 3, ... bytes per read so that a buffer refill falls at every byte of the input.
 */
#include <refnet/io.h>

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"

static char tmpdir[64];

/* Read limits tried for each input: 0 is unlimited; the others put refills everywhere. */
static const size_t limits[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 13};
#define NLIMITS (sizeof limits / sizeof limits[0])

static int open_text(rn_csv **csv, const char *text, size_t len, size_t limit, rn_error *err)
{
	rn_source *src;
	int rc = rn_source_open_memory(&src, text, len, "t.csv", err);
	if (rc != RN_OK)
		return rc;
	if (limit)
		rn_source_set_read_limit(src, limit);
	return rn_csv_open_source(csv, src, err);
}

/* Appends to a growing string. */
struct text {
	char *s;
	size_t len, cap;
};

static void append(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

/* The whole file as text: header names, then one line per record, each field as
 * "line:column=value" (control characters shown as \n, \r), fields separated by " | ".
 * Ends with "END" or the formatted error. */
static char *dump(const char *input, size_t len, size_t limit)
{
	struct text t = {NULL, 0, 0};
	rn_error err;
	rn_error_clear(&err);
	rn_csv *csv = NULL;
	char piece[128];
	int rc = open_text(&csv, input, len, limit, &err);
	if (rc == RN_OK) {
		append(&t, "H:", 2);
		for (uint32_t i = 0; i < rn_csv_header_count(csv); i++) {
			snprintf(piece, sizeof piece, "%s%s", i ? "," : "", rn_csv_header(csv, i));
			append(&t, piece, strlen(piece));
		}
		append(&t, "\n", 1);
		while ((rc = rn_csv_next(csv, &err)) == 1) {
			snprintf(piece, sizeof piece,
				 "R%llu:", (unsigned long long)rn_csv_record_line(csv));
			append(&t, piece, strlen(piece));
			for (uint32_t i = 0; i < rn_csv_field_count(csv); i++) {
				rn_field f = rn_csv_field(csv, i);
				snprintf(piece, sizeof piece, "%s%llu:%llu=", i ? " | " : "",
					 (unsigned long long)rn_csv_field_line(csv, i),
					 (unsigned long long)rn_csv_field_column(csv, i));
				append(&t, piece, strlen(piece));
				for (size_t k = 0; k < f.len; k++) {
					if (f.ptr[k] == '\n')
						append(&t, "\\n", 2);
					else if (f.ptr[k] == '\r')
						append(&t, "\\r", 2);
					else
						append(&t, f.ptr + k, 1);
				}
			}
			append(&t, "\n", 1);
		}
	}
	if (rc == 0) {
		append(&t, "END", 3);
	} else {
		char message[2048];
		rn_error_format(&err, message, sizeof message);
		snprintf(piece, sizeof piece, "ERROR %d: ", rc);
		append(&t, piece, strlen(piece));
		append(&t, message, strlen(message));
		CHECK_INT(err.code, rc);
	}
	rn_csv_close(csv);
	return t.s;
}

/* The dump must be `want` at every read limit. */
static void expect_len(const char *input, size_t len, const char *want, int line)
{
	for (size_t i = 0; i < NLIMITS; i++) {
		char *got = dump(input, len, limits[i]);
		check_count++;
		if (strcmp(got, want) != 0) {
			check_failures++;
			fprintf(stderr, "%s:%d: read limit %zu:\n--- got\n%s\n--- expected\n%s\n",
				__FILE__, line, limits[i], got, want);
		}
		free(got);
	}
}
#define EXPECT(input, want) expect_len(input, sizeof(input) - 1, want, __LINE__)

static void test_basic(void)
{
	EXPECT("a,b\n1,2\n3,4\n", "H:a,b\nR2:2:1=1 | 2:3=2\nR3:3:1=3 | 3:3=4\nEND");
	/* CRLF, and no final newline (both terminators). */
	EXPECT("a,b\r\n1,2\r\n3,4\r\n", "H:a,b\nR2:2:1=1 | 2:3=2\nR3:3:1=3 | 3:3=4\nEND");
	EXPECT("a,b\n1,2\n3,4", "H:a,b\nR2:2:1=1 | 2:3=2\nR3:3:1=3 | 3:3=4\nEND");
	EXPECT("a,b\r\n1,2\r\n3,4", "H:a,b\nR2:2:1=1 | 2:3=2\nR3:3:1=3 | 3:3=4\nEND");
	EXPECT("a,b\n1,2\r", "H:a,b\nR2:2:1=1 | 2:3=2\nEND"); /* a CR ending the input */
	/* Header only, with and without newline. */
	EXPECT("a,b\n", "H:a,b\nEND");
	EXPECT("a,b", "H:a,b\nEND");
	/* BOM stripped; columns count from after it. */
	EXPECT("\xEF\xBB\xBF"
	       "id,x\n1,2\n",
	       "H:id,x\nR2:2:1=1 | 2:3=2\nEND");
	EXPECT("\xEF\xBB\xBF"
	       "id",
	       "H:id\nEND");
	/* A BOM-like sequence elsewhere is data. */
	EXPECT("a\n\xEF\xBB\xBF"
	       "x\n",
	       "H:a\nR2:2:1=\xEF\xBB\xBF"
	       "x\nEND");
	/* Empty fields, including a trailing one at the end of the input. */
	EXPECT("a,b,c\n,,\n", "H:a,b,c\nR2:2:1= | 2:2= | 2:3=\nEND");
	EXPECT("a,b\n1,\n", "H:a,b\nR2:2:1=1 | 2:3=\nEND");
	EXPECT("a,b\n1,", "H:a,b\nR2:2:1=1 | 2:3=\nEND");
	EXPECT("a,b\n,1", "H:a,b\nR2:2:1= | 2:2=1\nEND");
	/* Ids are text: 007 and 7 stay as written; spaces are kept. */
	EXPECT("id\n007\n7\n 7 \n", "H:id\nR2:2:1=007\nR3:3:1=7\nR4:4:1= 7 \nEND");
}

static void test_quotes(void)
{
	EXPECT("id,note\n\"x\",\"he said \"\"hi\"\"\"\n",
	       "H:id,note\nR2:2:1=x | 2:5=he said \"hi\"\nEND");
	/* Embedded comma and newline; lines keep counting inside the quotes. */
	EXPECT("id,note\n1,\"a,b\nc\"\n2,d\n",
	       "H:id,note\nR2:2:1=1 | 2:3=a,b\\nc\nR4:4:1=2 | 4:3=d\nEND");
	EXPECT("id,note\n\"x\ny\",\"p\n\nq\"\n2,d\n",
	       "H:id,note\nR2:2:1=x\\ny | 3:4=p\\n\\nq\nR6:6:1=2 | 6:3=d\nEND");
	/* CRLF inside quotes is data. */
	EXPECT("a\n\"x\r\ny\"\r\nz\r\n", "H:a\nR2:2:1=x\\r\\ny\nR4:4:1=z\nEND");
	/* Quoted empty field, a field that is one quote, escapes at the edges. */
	EXPECT("a,b\n\"\",x\n", "H:a,b\nR2:2:1= | 2:4=x\nEND");
	EXPECT("a\n\"\"\"\"\n", "H:a\nR2:2:1=\"\nEND");
	EXPECT("a\n\"\"\"x\"\"\"\n", "H:a\nR2:2:1=\"x\"\nEND");
	EXPECT("a\n\"x\"", "H:a\nR2:2:1=x\nEND"); /* closing quote ends the input */
	EXPECT("a\n\"x\"\r\n", "H:a\nR2:2:1=x\nEND");
	/* Quoted header names. */
	EXPECT("\"a,1\",\"b\"\"\"\n1,2\n", "H:a,1,b\"\nR2:2:1=1 | 2:3=2\nEND");
}

static void test_blank_lines(void)
{
	/* Blank lines (LF or CRLF) are skipped but counted; a line holding "" is a record. */
	EXPECT("a\n\n1\n\r\n2\n\n", "H:a\nR3:3:1=1\nR5:5:1=2\nEND");
	EXPECT("\n\na,b\n\n1,2\n", "H:a,b\nR5:5:1=1 | 5:3=2\nEND");
	EXPECT("a\n\"\"\n", "H:a\nR2:2:1=\nEND");
	EXPECT("a,b\n\n", "H:a,b\nEND");
}

static void test_utf8(void)
{
	EXPECT(
	    "name\ncaf\xC3\xA9\n\xE6\x97\xA5\xE6\x9C\xAC\n\xF0\x9F\x98\x80\n\"\xC3\xA9\n\xC3\xA9\""
	    "\n",
	    "H:name\nR2:2:1=caf\xC3\xA9\nR3:3:1=\xE6\x97\xA5\xE6\x9C\xAC\nR4:4:1=\xF0\x9F\x98\x80\n"
	    "R5:5:1=\xC3\xA9\\n\xC3\xA9\nEND");
	/* Boundary code points: U+007F, U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF,
	 * U+10000, U+10FFFF. */
	EXPECT("a\n\x7F\n\xC2\x80\n\xDF\xBF\n\xE0\xA0\x80\n\xED\x9F\xBF\n\xEE\x80\x80\n"
	       "\xEF\xBF\xBF\n\xF0\x90\x80\x80\n\xF4\x8F\xBF\xBF\n",
	       "H:a\nR2:2:1=\x7F\nR3:3:1=\xC2\x80\nR4:4:1=\xDF\xBF\nR5:5:1=\xE0\xA0\x80\n"
	       "R6:6:1=\xED\x9F\xBF\nR7:7:1=\xEE\x80\x80\nR8:8:1=\xEF\xBF\xBF\n"
	       "R9:9:1=\xF0\x90\x80\x80\nR10:10:1=\xF4\x8F\xBF\xBF\nEND");
	const char *prefix = "ERROR -65: t.csv:";
	struct {
		const char *input;
		const char *where;
	} bad[] = {
	    {"a\nx\x80y\n", "2:2: invalid UTF-8 (byte 0x80: byte cannot start a character)"},
	    {"a\nx\xFFy\n", "2:2: invalid UTF-8 (byte 0xff: byte cannot start a character)"},
	    {"a\nx\xF5\x80\x80\x80\n",
	     "2:2: invalid UTF-8 (byte 0xf5: byte cannot start a character)"},
	    {"a\n\xC0\xAF\n", "2:1: invalid UTF-8 (byte 0xc0: overlong encoding)"},
	    {"a\n\xC1\xBF\n", "2:1: invalid UTF-8 (byte 0xc1: overlong encoding)"},
	    {"a\nxy\xE0\x80\xAF\n", "2:3: invalid UTF-8 (byte 0xe0: overlong encoding)"},
	    {"a\n\xF0\x80\x80\xAF\n", "2:1: invalid UTF-8 (byte 0xf0: overlong encoding)"},
	    {"a\n\xED\xA0\x80\n", "2:1: invalid UTF-8 (byte 0xed: encoded UTF-16 surrogate)"},
	    {"a\n\xED\xBF\xBF\n", "2:1: invalid UTF-8 (byte 0xed: encoded UTF-16 surrogate)"},
	    {"a\n\xF4\x90\x80\x80\n", "2:1: invalid UTF-8 (byte 0xf4: code point above U+10FFFF)"},
	    {"a\n\xC3"
	     "a\n",
	     "2:1: invalid UTF-8 (byte 0xc3: truncated multi-byte sequence)"},
	    {"a\n\xE6\x97"
	     "a\n",
	     "2:1: invalid UTF-8 (byte 0xe6: truncated multi-byte sequence)"},
	    {"a\nok,\xE6\x97", "2:4: invalid UTF-8 (byte 0xe6: truncated multi-byte sequence)"},
	    {"a\n\"x\ny\xC3\"\n", "3:2: invalid UTF-8 (byte 0xc3: truncated multi-byte sequence)"},
	    {"a\n\"q\n\xF0\x9F\x98",
	     "3:1: invalid UTF-8 (byte 0xf0: truncated multi-byte sequence)"},
	    {"h\xC3\xA9,\xFE\n", "1:5: invalid UTF-8 (byte 0xfe: byte cannot start a character)"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[256];
		snprintf(want, sizeof want, "%s%s%s; the file must be UTF-8",
			 strncmp(bad[i].where, "1:", 2) ? "H:a\n" : "", prefix, bad[i].where);
		expect_len(bad[i].input, strlen(bad[i].input), want, __LINE__);
	}
}

static void test_errors(void)
{
	EXPECT("a,b\n1,x\"y\n",
	       "H:a,b\nERROR -65: t.csv:2:4: stray quote in an unquoted field (quote the whole "
	       "field and double the quote inside)");
	EXPECT("a,b\n1,x\"",
	       "H:a,b\nERROR -65: t.csv:2:4: stray quote in an unquoted field (quote the whole "
	       "field and double the quote inside)");
	EXPECT("a,b\n1,\"x\"y\n",
	       "H:a,b\nERROR -65: t.csv:2:6: unexpected character after a closing quote "
	       "(expected a comma or the end of the line)");
	EXPECT("a,b\n1,\"x\" \n",
	       "H:a,b\nERROR -65: t.csv:2:6: unexpected character after a closing quote "
	       "(expected a comma or the end of the line)");
	/* Unterminated quote: the error names where it opened, not the end of the input. */
	EXPECT("a,b\n1,\"abc\n2,3\n4,5\n",
	       "H:a,b\nERROR -65: t.csv:2:3: unterminated quoted field: the quote opened here is "
	       "never closed before the end of the input");
	EXPECT("a,b\n1,2\n\"",
	       "H:a,b\nR2:2:1=1 | 2:3=2\nERROR -65: t.csv:3:1: unterminated quoted field: the "
	       "quote opened here is never closed before the end of the input");
	EXPECT("a,b\n1,\"x\"\"",
	       "H:a,b\nERROR -65: t.csv:2:3: unterminated quoted field: the quote opened here is "
	       "never closed before the end of the input");
	/* Bare CR. */
	EXPECT("a\nx\ry\n",
	       "H:a\nERROR -65: t.csv:2:2: carriage return not followed by a line feed outside "
	       "quotes");
	EXPECT("a\n\"x\"\ry\n",
	       "H:a\nERROR -65: t.csv:2:4: carriage return not followed by a line feed outside "
	       "quotes");
	/* Field counts: too few names the end of the line, too many the first extra field. */
	EXPECT("a,b,c\n1,2\n", "H:a,b,c\nERROR -65: t.csv:2:4: expected 3 fields, found 2");
	EXPECT("a,b,c\n1,2", "H:a,b,c\nERROR -65: t.csv:2:4: expected 3 fields, found 2");
	EXPECT("a,b\n1,2,3\n", "H:a,b\nERROR -65: t.csv:2:5: expected 2 fields, found 3");
	EXPECT("a,b\n1,\"x\ny\",3\n", "H:a,b\nERROR -65: t.csv:3:4: expected 2 fields, found 3");
	EXPECT("a,b\n1,\"x\ny\"\n2\n", "H:a,b\nR2:2:1=1 | 2:3=x\\ny\nERROR -65: t.csv:4:2: "
				       "expected 2 fields, found 1");
	/* Header errors. */
	EXPECT("", "ERROR -65: t.csv: empty input: no header row");
	EXPECT("\n\r\n\n", "ERROR -65: t.csv: empty input: no header row");
	EXPECT("\xEF\xBB\xBF", "ERROR -65: t.csv: empty input: no header row");
	EXPECT("a,,b\n", "ERROR -65: t.csv:1:3: empty column name in the header (column 2)");
	EXPECT("a,b,a\n", "ERROR -65: t.csv:1:5: duplicate column name 'a' (columns 1 and 3)");
	EXPECT("\"a\",\"\"\n", "ERROR -65: t.csv:1:5: empty column name in the header (column 2)");
	expect_len("a,b\0c\n", 6, "ERROR -65: t.csv:1:3: NUL byte in a column name", __LINE__);
}

/* After a wrong field count the reader can go on; after an encoding error it cannot. */
static void test_resume(void)
{
	rn_csv *csv;
	rn_error err;
	const char *text = "a,b\n1,2\n3\n4,5,6\n7,8\n";
	CHECK_INT(open_text(&csv, text, strlen(text), 0, &err), RN_OK);
	CHECK_INT(rn_csv_next(csv, &err), 1);
	CHECK(!rn_csv_can_resume(csv));
	CHECK_INT(rn_csv_next(csv, &err), RN_EDATA);
	CHECK_INT(err.line, 3);
	CHECK(rn_csv_can_resume(csv));
	CHECK_INT(rn_csv_field_count(csv), 1);
	CHECK_INT(rn_csv_next(csv, &err), RN_EDATA);
	CHECK_INT(err.line, 4);
	CHECK_INT(err.column, 5);
	CHECK(rn_csv_can_resume(csv));
	CHECK_INT(rn_csv_next(csv, &err), 1);
	CHECK(!rn_csv_can_resume(csv));
	CHECK_INT(rn_csv_record_line(csv), 5);
	rn_field f = rn_csv_field(csv, 1);
	CHECK(f.len == 1 && f.ptr[0] == '8');
	CHECK_INT(rn_csv_next(csv, &err), 0);
	rn_csv_close(csv);

	text = "a\n\x80\nb\n";
	CHECK_INT(open_text(&csv, text, strlen(text), 0, &err), RN_OK);
	CHECK_INT(rn_csv_next(csv, &err), RN_EDATA);
	CHECK(!rn_csv_can_resume(csv));
	/* Asking again repeats the failure instead of guessing where the next record is. */
	CHECK_INT(rn_csv_next(csv, &err), RN_EDATA);
	CHECK_STR(err.message, "reading stopped at an earlier error");
	rn_csv_close(csv);
}

static void test_accessors(void)
{
	rn_csv *csv;
	rn_error err;
	const char *text = "referrer,referred,weight\nu1,v1,x\n";
	CHECK_INT(open_text(&csv, text, strlen(text), 0, &err), RN_OK);
	CHECK_STR(rn_csv_path(csv), "t.csv");
	CHECK_INT(rn_csv_header_count(csv), 3);
	CHECK_STR(rn_csv_header(csv, 2), "weight");
	CHECK(rn_csv_header(csv, 3) == NULL);
	CHECK_INT(rn_csv_column(csv, "referred"), 1);
	CHECK_INT(rn_csv_column(csv, "weight"), 2);
	CHECK_INT(rn_csv_column(csv, "Weight"), -1);
	CHECK_INT(rn_csv_column(csv, "weigh"), -1);
	CHECK_INT(rn_csv_next(csv, &err), 1);
	CHECK_INT(rn_csv_field_error(csv, 2, &err, "expected %s, found '%s'", "a number", "x"),
		  RN_EDATA);
	char message[512];
	rn_error_format(&err, message, sizeof message);
	CHECK_STR(message, "t.csv:2:7: column 'weight': expected a number, found 'x'");
	CHECK_INT(err.code, RN_EDATA);
	rn_field none = rn_csv_field(csv, 9);
	CHECK(none.ptr == NULL && none.len == 0);
	rn_csv_close(csv);
}

/* Long records: fields far larger than the buffer, refilled a few bytes at a time, with
 * escapes across refills; the record size limit, on both sides. */
static void test_long_records(void)
{
	size_t field = 100000;
	char *text = malloc(field * 2 + 64);
	size_t len = (size_t)sprintf(text, "a,b\n\"");
	for (size_t i = 0; i < field; i++)
		text[len++] = i % 1000 == 999 ? '"' : 'x';
	/* every 1000th byte is a quote, doubled: 100 escapes */
	size_t k = 5, out = 5;
	char *escaped = malloc(field * 2 + 64);
	memcpy(escaped, text, 5);
	for (; k < len; k++) {
		escaped[out++] = text[k];
		if (text[k] == '"')
			escaped[out++] = '"';
	}
	out += (size_t)sprintf(escaped + out, "\",y\nz,w\n");
	for (size_t limit = 0; limit <= 7; limit += 7) {
		rn_csv *csv;
		rn_error err;
		CHECK_INT(open_text(&csv, escaped, out, limit, &err), RN_OK);
		CHECK_INT(rn_csv_next(csv, &err), 1);
		rn_field f = rn_csv_field(csv, 0);
		CHECK_INT(f.len, field);
		CHECK(f.len == field && memcmp(f.ptr, text + 5, field) == 0);
		f = rn_csv_field(csv, 1);
		CHECK(f.len == 1 && f.ptr[0] == 'y');
		CHECK_INT(rn_csv_field_column(csv, 1), field + 100 + 4);
		CHECK_INT(rn_csv_next(csv, &err), 1);
		CHECK_INT(rn_csv_record_line(csv), 3);
		CHECK_INT(rn_csv_next(csv, &err), 0);
		rn_csv_close(csv);
	}
	free(text);
	free(escaped);

	/* A record of exactly RN_CSV_MAX_RECORD_BYTES (terminator included) is accepted; one
	 * byte more is refused, at the start of the record. */
	size_t max = RN_CSV_MAX_RECORD_BYTES;
	char *big = malloc(max + 64);
	len = (size_t)sprintf(big, "a\n");
	memset(big + len, 'x', max - 1);
	big[len + max - 1] = '\n';
	memcpy(big + len + max, "ok\n", 3);
	rn_csv *csv;
	rn_error err;
	CHECK_INT(open_text(&csv, big, len + max + 3, 0, &err), RN_OK);
	CHECK_INT(rn_csv_next(csv, &err), 1);
	CHECK_INT(rn_csv_field(csv, 0).len, max - 1);
	CHECK_INT(rn_csv_next(csv, &err), 1);
	CHECK_INT(rn_csv_field(csv, 0).len, 2);
	rn_csv_close(csv);
	big[len + max - 1] = 'x';
	big[len + max] = '\n';
	CHECK_INT(open_text(&csv, big, len + max + 1, 0, &err), RN_OK);
	CHECK_INT(rn_csv_next(csv, &err), RN_EDATA);
	char message[256];
	rn_error_format(&err, message, sizeof message);
	CHECK_STR(message, "t.csv:2:1: record longer than 16777216 bytes");
	rn_csv_close(csv);
	/* Unterminated: the input ends inside an over-long record. */
	big[len + max] = 'x';
	CHECK_INT(open_text(&csv, big, len + max + 1, 0, &err), RN_OK);
	CHECK_INT(rn_csv_next(csv, &err), RN_EDATA);
	rn_error_format(&err, message, sizeof message);
	CHECK_STR(message, "t.csv:2:1: record longer than 16777216 bytes");
	rn_csv_close(csv);
	free(big);
}

static void test_field_limit(void)
{
	struct text t = {NULL, 0, 0};
	for (unsigned i = 0; i < RN_CSV_MAX_FIELDS; i++) {
		char name[16];
		int n = snprintf(name, sizeof name, "%sc%u", i ? "," : "", i);
		append(&t, name, (size_t)n);
	}
	append(&t, "\n", 1);
	rn_csv *csv;
	rn_error err;
	CHECK_INT(open_text(&csv, t.s, t.len, 0, &err), RN_OK);
	CHECK_INT(rn_csv_header_count(csv), RN_CSV_MAX_FIELDS);
	rn_csv_close(csv);
	size_t col = t.len + 1; /* the newline was in column t.len; the comma replaces it */
	t.len--;
	append(&t, ",extra\n", 7);
	CHECK_INT(open_text(&csv, t.s, t.len, 0, &err), RN_EDATA);
	CHECK_INT(err.line, 1);
	CHECK_INT(err.column, col);
	CHECK_STR(err.message, "too many fields in one record (the limit is 4096)");
	free(t.s);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK_INT(fwrite(data, 1, len, f), len);
		fclose(f);
	}
}

/* The same CSV read from a plain file, a .gz and a .zst gives the same records. */
static void test_files(void)
{
	const char *text = "\xEF\xBB\xBFreferrer,referred\r\n\"a\",b\r\nc,\"d\nd\"\r\n";
	const char *want = "H:referrer,referred\nR2:2:1=a | 2:5=b\nR3:3:1=c | 3:3=d\\nd\nEND";
	size_t len = strlen(text);
	char path[3][128];
	snprintf(path[0], sizeof path[0], "%s/r.csv", tmpdir);
	snprintf(path[1], sizeof path[1], "%s/r.csv.gz", tmpdir);
	snprintf(path[2], sizeof path[2], "%s/r.csv.zst", tmpdir);
	write_file(path[0], text, len);
	gzFile gz = gzopen(path[1], "wb");
	CHECK_INT(gzwrite(gz, text, (unsigned)len), len);
	gzclose(gz);
	char zst[256];
	size_t zst_len = ZSTD_compress(zst, sizeof zst, text, len, 1);
	CHECK(!ZSTD_isError(zst_len));
	write_file(path[2], zst, zst_len);
	for (int i = 0; i < 3; i++) {
		rn_csv *csv;
		rn_error err;
		CHECK_INT(rn_csv_open(&csv, path[i], &err), RN_OK);
		CHECK_STR(rn_csv_path(csv), path[i]);
		struct text t = {NULL, 0, 0};
		for (uint32_t h = 0; h < rn_csv_header_count(csv); h++) {
			append(&t, h ? "," : "H:", 2 - (h > 0));
			append(&t, rn_csv_header(csv, h), strlen(rn_csv_header(csv, h)));
		}
		append(&t, "\n", 1);
		while (rn_csv_next(csv, &err) == 1) {
			char piece[64];
			snprintf(piece, sizeof piece,
				 "R%llu:", (unsigned long long)rn_csv_record_line(csv));
			append(&t, piece, strlen(piece));
			for (uint32_t f = 0; f < rn_csv_field_count(csv); f++) {
				rn_field v = rn_csv_field(csv, f);
				snprintf(piece, sizeof piece, "%s%llu:%llu=", f ? " | " : "",
					 (unsigned long long)rn_csv_field_line(csv, f),
					 (unsigned long long)rn_csv_field_column(csv, f));
				append(&t, piece, strlen(piece));
				for (size_t k = 0; k < v.len; k++)
					append(&t, v.ptr[k] == '\n' ? "\\n" : v.ptr + k,
					       v.ptr[k] == '\n' ? 2 : 1);
			}
			append(&t, "\n", 1);
		}
		append(&t, "END", 3);
		CHECK_STR(t.s, want);
		free(t.s);
		rn_csv_close(csv);
	}
	/* A truncated .gz surfaces from rn_csv_next (or open) as RN_EIO. */
	FILE *f = fopen(path[1], "rb");
	unsigned char gzbytes[512];
	size_t gz_len = fread(gzbytes, 1, sizeof gzbytes, f);
	fclose(f);
	write_file(path[1], gzbytes, gz_len - 5);
	rn_csv *csv = NULL;
	rn_error err;
	int rc = rn_csv_open(&csv, path[1], &err);
	while (rc == RN_OK || rc == 1)
		rc = rn_csv_next(csv, &err);
	CHECK_INT(rc, RN_EIO);
	CHECK_STR(err.message, "truncated gzip stream (input ends inside compressed data)");
	rn_csv_close(csv);
	/* Missing file. */
	char missing[128];
	snprintf(missing, sizeof missing, "%s/missing.csv", tmpdir);
	CHECK_INT(rn_csv_open(&csv, missing, &err), RN_ENOINPUT);
	CHECK(csv == NULL);
	CHECK_STR(err.message, "cannot open: No such file or directory");
	for (int i = 0; i < 3; i++)
		unlink(path[i]);
}

/* Round trip: random records (quotes, commas, LF, CR, multi-byte characters, empty fields)
 * serialised with random quoting and terminators, read back at random read limits; every
 * field and every record line must come back exactly.  xorshift64 keeps it reproducible. */
static uint64_t rng_state = 88172645463325252u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The end of a read-back loop: the input ended cleanly (rc 0) after all `want` records, with
 * no field or position that differed. */
static void check_read_all(rn_csv *csv, int rc, int read, int want, int mismatches)
{
	CHECK_INT(rc, 0);
	CHECK_INT(read, want);
	CHECK_INT(mismatches, 0);
	rn_csv_close(csv);
}

static void test_round_trip(void)
{
	static const char *const pieces[] = {
	    "a", "b", "7", ",", "\"", "\n", "\r\n", " ", "\xC3\xA9", "\xF0\x9F\x98\x80", "xyz"};
	enum { RECORDS = 300, FIELDS = 3 };
	for (int round = 0; round < 20; round++) {
		struct text in = {NULL, 0, 0};
		static struct text values[RECORDS][FIELDS];
		uint64_t lines[RECORDS];
		uint64_t line = 2;
		append(&in, "x,y,z\n", 6);
		for (int r = 0; r < RECORDS; r++) {
			lines[r] = line;
			for (int f = 0; f < FIELDS; f++) {
				struct text *v = &values[r][f];
				v->len = 0;
				append(v, "", 0);
				int n = (int)(rng() % 5);
				for (int k = 0; k < n; k++) {
					const char *piece = pieces[rng() % 11];
					append(v, piece, strlen(piece));
				}
				bool needs = strpbrk(v->s, ",\"\r\n") != NULL;
				bool quote = needs || rng() % 4 == 0;
				if (f)
					append(&in, ",", 1);
				if (quote)
					append(&in, "\"", 1);
				for (size_t k = 0; k < v->len; k++) {
					if (v->s[k] == '"')
						append(&in, "\"", 1);
					if (v->s[k] == '\n')
						line++;
					append(&in, v->s + k, 1);
				}
				if (quote)
					append(&in, "\"", 1);
			}
			bool last = r == RECORDS - 1;
			if (!last || rng() % 2) {
				if (rng() % 2)
					append(&in, "\r\n", 2);
				else
					append(&in, "\n", 1);
				line++;
			}
		}
		size_t limit = (size_t)(rng() % 40);
		rn_csv *csv;
		rn_error err;
		CHECK_INT(open_text(&csv, in.s, in.len, limit, &err), RN_OK);
		int mismatches = 0, r = 0, rc;
		while ((rc = rn_csv_next(csv, &err)) == 1 && r < RECORDS) {
			if (rn_csv_record_line(csv) != lines[r])
				mismatches++;
			for (uint32_t f = 0; f < FIELDS; f++) {
				rn_field got = rn_csv_field(csv, f);
				if (got.len != values[r][f].len ||
				    memcmp(got.ptr, values[r][f].s, got.len) != 0)
					mismatches++;
			}
			r++;
		}
		check_read_all(csv, rc, r, RECORDS, mismatches);
		free(in.s);
		if (round == 19)
			for (int k = 0; k < RECORDS; k++)
				for (int f = 0; f < FIELDS; f++)
					free(values[k][f].s);
	}
}

/* The 16-byte scan of plain records (scan_simple_wide): unquoted ASCII records of every
 * length from 0 to 70 bytes, so that commas, LF and the CR of a CRLF fall at every position of
 * a 16-byte step and across steps, read whole (no read limit) and at a limit of 16 + 7; some
 * records hand over to the general scanner mid-record (a quoted field, a UTF-8 character, a
 * field past the reader's preallocated count).  Every field's value, line and column comes
 * back exactly (records of as many fields as the header), and a bare CR anywhere in a long record
 * is the same error as in a short one. */
static void test_wide_scan(void)
{
	enum { RECORDS = 400, MAX_FIELDS = 12 };
	static char value[RECORDS][MAX_FIELDS][48];
	static uint32_t column[RECORDS][MAX_FIELDS], nfields[RECORDS];
	static bool blank[RECORDS]; /* a line holding nothing: skipped */
	static const uint32_t widths[] = {1, 3, 5, MAX_FIELDS, 2, 7};
	for (int round = 0; round < 6; round++) {
		struct text in = {NULL, 0, 0};
		uint32_t n = widths[round];
		for (uint32_t f = 0; f < n; f++)
			append(&in, &",h0,h1,h2,h3,h4,h5,h6,h7,h8,h9,ha,hb"[3 * f + !f], 3 - !f);
		append(&in, "\n", 1);
		for (int r = 0; r < RECORDS; r++) {
			uint32_t at = 1;
			nfields[r] = n;
			blank[r] = false;
			for (uint32_t f = 0; f < n; f++) {
				size_t len = (size_t)(rng() % (round % 2 ? 6 : 30));
				char *v = value[r][f];
				for (size_t k = 0; k < len; k++)
					v[k] = "abc0123456789.- xyz"[rng() % 19];
				v[len] = '\0';
				uint64_t kind = rng() % 16;
				if (f)
					append(&in, ",", 1), at++;
				column[r][f] = at;
				if (kind == 0) { /* quoted: the general scanner */
					append(&in, "\"", 1);
					append(&in, v, len);
					append(&in, "\"", 1);
					at += (uint32_t)len + 2;
				} else if (kind == 1) { /* a 2-byte character */
					memcpy(v + len, "\xC3\xA9", 3);
					append(&in, v, len + 2);
					at += (uint32_t)len + 2;
				} else {
					append(&in, v, len);
					at += (uint32_t)len;
					blank[r] = n == 1 && len == 0;
				}
			}
			if (rng() % 2)
				append(&in, "\r\n", 2);
			else
				append(&in, "\n", 1);
		}
		size_t limits_tried[] = {0, 23};
		for (int k = 0; k < 2; k++) {
			rn_csv *csv;
			rn_error err;
			CHECK_INT(open_text(&csv, in.s, in.len, limits_tried[k], &err), RN_OK);
			int mismatches = 0, r = 0, rc;
			while ((rc = rn_csv_next(csv, &err)) == 1 && r < RECORDS) {
				while (r < RECORDS && blank[r])
					r++;
				if (rn_csv_record_line(csv) != (uint64_t)r + 2 ||
				    rn_csv_field_count(csv) != nfields[r]) {
					mismatches++;
					break;
				}
				for (uint32_t f = 0; f < nfields[r]; f++) {
					rn_field got = rn_csv_field(csv, f);
					if (got.len != strlen(value[r][f]) ||
					    memcmp(got.ptr, value[r][f], got.len) != 0 ||
					    rn_csv_field_line(csv, f) != (uint64_t)r + 2 ||
					    rn_csv_field_column(csv, f) != column[r][f])
						mismatches++;
				}
				r++;
			}
			while (r < RECORDS && blank[r])
				r++;
			check_read_all(csv, rc, r, RECORDS, mismatches);
		}
		free(in.s);
	}
	/* A bare CR at every position of a 40-byte record but its last (a CRLF there), and a
	 * CRLF whose LF starts a step. */
	for (int at = 0; at < 39; at++) {
		char line[64], want[160];
		memset(line, 'a', 40);
		line[at] = '\r';
		memcpy(line + 40, "\n", 2);
		struct text in = {NULL, 0, 0};
		append(&in, "h\n", 2);
		append(&in, line, 41);
		char *got = dump(in.s, in.len, 0);
		snprintf(want, sizeof want,
			 "H:h\nERROR -65: t.csv:2:%d: carriage return not followed by a line feed "
			 "outside quotes",
			 at + 1);
		CHECK(strncmp(got, want, strlen(want)) == 0);
		free(got);
		free(in.s);
	}
	EXPECT("h\n0123456789abcd\r\nx\n", "H:h\nR2:2:1=0123456789abcd\nR3:3:1=x\nEND");
	EXPECT("h,i\n0123456789abc,\r\nx,y\n",
	       "H:h,i\nR2:2:1=0123456789abc | 2:15=\nR3:3:1=x | 3:3=y\nEND");
}

/* The quoting rule of every CSV refnet writes, and that a field quoted by it (inner quotes
 * doubled) reads back exactly, spaces included. */
static void test_needs_quotes(void)
{
	static const char *const plain[] = {"c1", "a b", "", "x.y-z", "\xC3\xA9t\xC3\xA9"};
	static const char *const quoted[] = {"a,b",   "say \"hi\"", "two\nlines", "cr\r",
					     " lead", "trail ",	    " "};
	for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
		CHECK(!rn_csv_needs_quotes(plain[i], strlen(plain[i])));
	for (size_t i = 0; i < sizeof quoted / sizeof *quoted; i++)
		CHECK(rn_csv_needs_quotes(quoted[i], strlen(quoted[i])));
	CHECK(!rn_csv_needs_quotes("a,b", 1)); /* only the first len bytes count */
	struct text in = {NULL, 0, 0};
	append(&in, "v\n", 2);
	for (size_t i = 0; i < sizeof quoted / sizeof *quoted; i++) {
		append(&in, "\"", 1);
		for (const char *p = quoted[i]; *p; p++)
			append(&in, p, *p == '"' ? 1 : 0), append(&in, p, 1);
		append(&in, "\"\n", 2);
	}
	rn_csv *csv;
	rn_error err;
	CHECK_INT(open_text(&csv, in.s, in.len, 0, &err), RN_OK);
	size_t i = 0;
	while (rn_csv_next(csv, &err) == 1 && i < sizeof quoted / sizeof *quoted) {
		rn_field f = rn_csv_field(csv, 0);
		CHECK(f.len == strlen(quoted[i]) && memcmp(f.ptr, quoted[i], f.len) == 0);
		i++;
	}
	CHECK_INT(i, sizeof quoted / sizeof *quoted);
	rn_csv_close(csv);
	free(in.s);
}

static void test_allocation_failures(void)
{
	const char *text = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s\n1,\"x\"\"y\",3,4,5,6,7,8,9,"
			   "10,11,12,13,14,15,16,17,18,19\n";
	int succeeded = 0;
	for (uint64_t n = 1; n < 30 && !succeeded; n++) {
		rn_csv *csv = NULL;
		rn_error err;
		rn_alloc_fail_at(n, 0);
		int rc = open_text(&csv, text, strlen(text), 0, &err);
		if (rc == RN_OK)
			rc = rn_csv_next(csv, &err);
		rn_alloc_fail_at(0, 0);
		if (rc == 1) {
			succeeded = 1;
			CHECK_INT(rn_csv_field(csv, 1).len, 3);
		} else {
			CHECK_INT(rc, RN_ENOMEM);
		}
		rn_csv_close(csv);
	}
	CHECK(succeeded);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/rn_test_csv_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_basic();
	test_quotes();
	test_blank_lines();
	test_utf8();
	test_errors();
	test_resume();
	test_accessors();
	test_long_records();
	test_field_limit();
	test_files();
	test_round_trip();
	test_wide_scan();
	test_needs_quotes();
	test_allocation_failures();
	rmdir(tmpdir);
	return check_report();
}
