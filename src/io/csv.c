/*
 * csv.c - a streaming RFC 4180 reader over an rn_source, built for 600 MB referral exports.
 *
 * Buffering.  Bytes live in one buffer (1 MiB to start).  A record is scanned in place; when
 * the scan reaches the end of the buffered bytes, the partial record is moved to the front,
 * the buffer doubles if that record fills more than half of it, and the free space is filled
 * from the source.  The scanner is resumable (its state and the fields found so far are kept
 * in the reader, as offsets from the record start), so a refill never rescans a record and a
 * source that returns one byte per read costs no more than one that returns a megabyte.  A
 * record may grow to RN_CSV_MAX_RECORD_BYTES; past that the input is refused, not buffered.
 *
 * Fields are slices of the buffer.  Quoted fields containing "" are unescaped in place once
 * their record is complete (the unescaped text is never longer), so reading a record
 * allocates nothing.
 *
 * Scanning speed.  The inner loops look at 8 bytes per step (SWAR: a byte equal to a
 * delimiter, or with the high bit set, is found with the classic "has zero byte" test,
 * Mycroft 1987 / Anderson's bit hacks), so plain ASCII fields cost a few instructions per 8
 * bytes; only a byte >= 0x80 leaves the fast path to be validated as UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence).  The common
 * record (scan_simple) is first tried 16 bytes at a time with SSE2 where the compiler targets
 * it (every x86-64): one mask of the bytes that matter per step, whose set bits are the
 * field ends, instead of one search per field.
 *
 * Positions.  Lines are counted by LF, including the LFs inside quoted fields, and columns
 * are 1-based byte offsets from the start of the line (after a stripped BOM on line 1).  A
 * field's position is that of its first byte (the opening quote when quoted).
 *
 * Dialect decisions: CRLF and LF end records; a CR not followed by LF outside quotes is an
 * error (it would otherwise end up inside an id); a CR at the very end of the input ends the
 * last record.  A line holding nothing (a single unquoted empty field) is skipped; a line
 * holding "" is a record with one empty field.
 */
#include <refnet/io.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define INITIAL_BUFFER (1u << 20)

enum scan_state { ST_FIELD_START, ST_UNQUOTED, ST_QUOTED, ST_AFTER_QUOTE };
enum { SCAN_MORE = 0, SCAN_RECORD = 1, SCAN_END = 2 };

/* One field of the record being read.  Offsets are relative to the record start; a record
 * is at most RN_CSV_MAX_RECORD_BYTES, so 32 bits suffice. */
struct field_pos {
	uint32_t start;	     /* first content byte (after the opening quote) */
	uint32_t len;	     /* content length; after unescaping when escaped */
	uint32_t column;     /* 1-based byte column of the field's first byte */
	uint32_t line_delta; /* line of the field's first byte minus the record's line */
	uint8_t quoted;
	uint8_t escaped; /* contains "" to collapse */
};

struct rn_csv {
	rn_source *src;
	char *buf;
	size_t cap, len;	       /* buffer size and bytes held */
	size_t rec;		       /* offset of the current record */
	size_t pos;		       /* scan position */
	size_t line_start;	       /* offset where the line containing pos begins */
	uint64_t line;		       /* line number at pos */
	uint64_t rec_line;	       /* line where the current record begins */
	uint64_t end_line, end_column; /* where the current record's terminator is */
	bool eof;
	bool resumable;
	int failed; /* status of an error that ended the input, else 0 */
	enum scan_state state;
	struct field_pos *fields;
	size_t fields_cap;
	uint32_t nfields;
	uint32_t nheaders;
	char **headers;
	char *header_text;
};

/* ---- UTF-8 validation (RFC 3629, section 4 table of well-formed sequences) -------------- */

enum {
	U8_BAD_LEAD = -1,
	U8_TRUNCATED = -2,
	U8_OVERLONG = -3,
	U8_SURROGATE = -4,
	U8_TOO_LARGE = -5,
};

/* Checks the sequence starting with a byte >= 0x80 at s.  Returns its length, 0 when more
 * bytes are needed to decide, or a negative U8_* kind. */
static int utf8_sequence(const unsigned char *s, size_t avail, bool eof)
{
	unsigned char lead = s[0];
	unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
	int need;
	if (lead < 0xC0)
		return U8_BAD_LEAD; /* a continuation byte cannot start a character */
	if (lead < 0xC2)
		return U8_OVERLONG; /* C0, C1: two-byte forms of ASCII */
	if (lead < 0xE0) {
		need = 1;
	} else if (lead < 0xF0) {
		need = 2;
		if (lead == 0xE0)
			lo = 0xA0; /* below: overlong */
		else if (lead == 0xED)
			hi = 0x9F; /* above: U+D800..U+DFFF surrogates */
	} else if (lead < 0xF5) {
		need = 3;
		if (lead == 0xF0)
			lo = 0x90; /* below: overlong */
		else if (lead == 0xF4)
			hi = 0x8F; /* above: beyond U+10FFFF */
	} else {
		return U8_BAD_LEAD;
	}
	for (int i = 1; i <= need; i++) {
		if ((size_t)i >= avail)
			return eof ? U8_TRUNCATED : 0;
		unsigned char b = s[i];
		if (b < 0x80 || b > 0xBF)
			return U8_TRUNCATED;
		if (i == 1 && (b < lo || b > hi)) {
			if (lead == 0xED)
				return U8_SURROGATE;
			return lead == 0xF4 ? U8_TOO_LARGE : U8_OVERLONG;
		}
	}
	return need + 1;
}

static int utf8_error(const rn_csv *c, size_t p, int kind, rn_error *err)
{
	unsigned byte = (unsigned char)c->buf[p];
	const char *what;
	switch (kind) {
	case U8_BAD_LEAD:
		what = "byte cannot start a character";
		break;
	case U8_TRUNCATED:
		what = "truncated multi-byte sequence";
		break;
	case U8_OVERLONG:
		what = "overlong encoding";
		break;
	case U8_SURROGATE:
		what = "encoded UTF-16 surrogate";
		break;
	default:
		what = "code point above U+10FFFF";
		break;
	}
	return rn_error_set(err, RN_EDATA, rn_source_name(c->src), c->line,
			    (uint64_t)(p - c->line_start) + 1,
			    "invalid UTF-8 (byte 0x%02x: %s); the file must be UTF-8", byte, what);
}

/* ---- Fast scanning ---------------------------------------------------------------------- */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* High bit set in each byte of v that is zero; exact for the lowest such byte (a borrow can
 * only flag bytes above a true zero), which is all we use. */
static inline uint64_t zero_bytes(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1
#else
#define SWAR 0
#endif

/* First byte at or after p that ends an unquoted run: , LF CR " or a byte >= 0x80. */
static inline size_t skip_unquoted(const unsigned char *b, size_t p, size_t end)
{
#if SWAR
	while (p + 8 <= end) {
		uint64_t v = load64(b + p);
		uint64_t hit = zero_bytes(v ^ (ONES * ',')) | zero_bytes(v ^ (ONES * '\n')) |
			       zero_bytes(v ^ (ONES * '\r')) | zero_bytes(v ^ (ONES * '"')) |
			       (v & HIGHS);
		if (hit)
			return p + ((unsigned)__builtin_ctzll(hit) >> 3);
		p += 8;
	}
#endif
	while (p < end) {
		unsigned char ch = b[p];
		if (ch == ',' || ch == '\n' || ch == '\r' || ch == '"' || ch >= 0x80)
			break;
		p++;
	}
	return p;
}

/* First byte at or after p that matters inside quotes: " (end or escape), LF (line count)
 * or a byte >= 0x80. */
static inline size_t skip_quoted(const unsigned char *b, size_t p, size_t end)
{
#if SWAR
	while (p + 8 <= end) {
		uint64_t v = load64(b + p);
		uint64_t hit =
		    zero_bytes(v ^ (ONES * '"')) | zero_bytes(v ^ (ONES * '\n')) | (v & HIGHS);
		if (hit)
			return p + ((unsigned)__builtin_ctzll(hit) >> 3);
		p += 8;
	}
#endif
	while (p < end) {
		unsigned char ch = b[p];
		if (ch == '"' || ch == '\n' || ch >= 0x80)
			break;
		p++;
	}
	return p;
}

/* ---- The record scanner ----------------------------------------------------------------- */

static int scan_error(const rn_csv *c, size_t p, rn_error *err, const char *msg)
{
	return rn_error_set(err, RN_EDATA, rn_source_name(c->src), c->line,
			    (uint64_t)(p - c->line_start) + 1, "%s", msg);
}

static int begin_field(rn_csv *c, size_t p, rn_error *err)
{
	if (c->nfields == RN_CSV_MAX_FIELDS)
		return scan_error(c, p, err, "too many fields in one record (the limit is 4096)");
	if (c->nfields == c->fields_cap &&
	    rn_grow((void **)&c->fields, &c->fields_cap, (size_t)c->nfields + 1,
		    sizeof *c->fields) != RN_OK)
		return rn_error_set(err, RN_ENOMEM, rn_source_name(c->src), c->line, 0,
				    "out of memory");
	struct field_pos *f = &c->fields[c->nfields++];
	f->start = (uint32_t)(p - c->rec);
	f->len = 0;
	f->column = (uint32_t)(p - c->line_start + 1);
	f->line_delta = (uint32_t)(c->line - c->rec_line);
	f->quoted = 0;
	f->escaped = 0;
	return RN_OK;
}

/* Scans from c->pos.  Returns SCAN_RECORD with a complete record, SCAN_MORE when the buffer
 * ran out before the input did, SCAN_END when the input is exhausted with no record left, or
 * a negative status. */
static int scan(rn_csv *c, rn_error *err)
{
	const unsigned char *b = (const unsigned char *)c->buf;
	const size_t end = c->len;
	size_t p = c->pos;
	enum scan_state state = c->state;
	struct field_pos *f = c->nfields ? &c->fields[c->nfields - 1] : NULL;
	int rc;

	for (;;) {
		switch (state) {
		case ST_FIELD_START:
			if (p >= end)
				goto need_more;
			rc = begin_field(c, p, err);
			if (rc != RN_OK)
				return rc;
			f = &c->fields[c->nfields - 1];
			if (b[p] == '"') {
				f->quoted = 1;
				p++;
				f->start = (uint32_t)(p - c->rec);
				state = ST_QUOTED;
			} else {
				state = ST_UNQUOTED;
			}
			break;

		case ST_UNQUOTED:
			p = skip_unquoted(b, p, end);
			if (p >= end)
				goto need_more;
			switch (b[p]) {
			case ',':
				f->len = (uint32_t)(p - c->rec) - f->start;
				p++;
				state = ST_FIELD_START;
				break;
			case '\n':
				f->len = (uint32_t)(p - c->rec) - f->start;
				goto end_of_line;
			case '\r':
				if (p + 1 >= end && !c->eof)
					goto need_more;
				if (p + 1 < end && b[p + 1] != '\n')
					return scan_error(c, p, err,
							  "carriage return not followed by a line "
							  "feed outside quotes");
				f->len = (uint32_t)(p - c->rec) - f->start;
				goto end_of_line;
			case '"':
				return scan_error(c, p, err,
						  "stray quote in an unquoted field (quote the "
						  "whole field and double the quote inside)");
			default:
				rc = utf8_sequence(b + p, end - p, c->eof);
				if (rc == 0)
					goto need_more;
				if (rc < 0)
					return utf8_error(c, p, rc, err);
				p += (size_t)rc;
				break;
			}
			break;

		case ST_QUOTED:
			p = skip_quoted(b, p, end);
			if (p >= end)
				goto need_more;
			if (b[p] == '"') {
				if (p + 1 >= end && !c->eof)
					goto need_more;
				if (p + 1 < end && b[p + 1] == '"') {
					f->escaped = 1;
					p += 2;
				} else {
					f->len = (uint32_t)(p - c->rec) - f->start;
					p++;
					state = ST_AFTER_QUOTE;
				}
			} else if (b[p] == '\n') {
				p++;
				c->line++;
				c->line_start = p;
			} else {
				rc = utf8_sequence(b + p, end - p, c->eof);
				if (rc == 0)
					goto need_more;
				if (rc < 0)
					return utf8_error(c, p, rc, err);
				p += (size_t)rc;
			}
			break;

		case ST_AFTER_QUOTE:
			if (p >= end)
				goto need_more;
			if (b[p] == ',') {
				p++;
				state = ST_FIELD_START;
			} else if (b[p] == '\n') {
				goto end_of_line;
			} else if (b[p] == '\r') {
				if (p + 1 >= end && !c->eof)
					goto need_more;
				if (p + 1 < end && b[p + 1] != '\n')
					return scan_error(c, p, err,
							  "carriage return not followed by a line "
							  "feed outside quotes");
				goto end_of_line;
			} else {
				return scan_error(c, p, err,
						  "unexpected character after a closing quote "
						  "(expected a comma or the end of the line)");
			}
			break;
		}
	}

end_of_line:
	/* p is at the LF, or at the CR of CRLF (or of a CR ending the input). */
	c->end_line = c->line;
	c->end_column = (uint64_t)(p - c->line_start) + 1;
	p += b[p] == '\r' ? 2 : 1;
	if (p > end)
		p = end;
	c->line++;
	c->line_start = p;
	goto record_done;

need_more:
	if (!c->eof) {
		c->pos = p;
		c->state = state;
		return SCAN_MORE;
	}
	/* The input ends without a line terminator. */
	switch (state) {
	case ST_FIELD_START:
		if (c->nfields == 0) {
			c->pos = p;
			return SCAN_END;
		}
		rc = begin_field(c, p, err); /* "a,b," ends with an empty field */
		if (rc != RN_OK)
			return rc;
		break;
	case ST_UNQUOTED:
		f->len = (uint32_t)(p - c->rec) - f->start;
		break;
	case ST_QUOTED:
		return rn_error_set(err, RN_EDATA, rn_source_name(c->src),
				    c->rec_line + f->line_delta, f->column,
				    "unterminated quoted field: the quote opened here is never "
				    "closed before the end of the input");
	case ST_AFTER_QUOTE:
		break;
	}
	c->end_line = c->line;
	c->end_column = (uint64_t)(p - c->line_start) + 1;

record_done:
	if (p - c->rec > RN_CSV_MAX_RECORD_BYTES)
		return rn_error_set(err, RN_EDATA, rn_source_name(c->src), c->rec_line, 1,
				    "record longer than %u bytes", RN_CSV_MAX_RECORD_BYTES);
	c->pos = p;
	c->state = ST_FIELD_START;
	return SCAN_RECORD;
}

static void simple_done(rn_csv *c, uint32_t n, size_t q, size_t p)
{
	c->nfields = n;
	c->end_line = c->line;
	c->end_column = (uint64_t)(q - c->rec) + 1;
	c->line++;
	c->line_start = c->pos = p;
}

static inline void simple_field(rn_csv *c, uint32_t n, size_t start, size_t q)
{
	struct field_pos *f = &c->fields[n];
	f->start = (uint32_t)(start - c->rec);
	f->len = (uint32_t)(q - start);
	f->column = f->start + 1;
	f->line_delta = 0;
	f->quoted = 0;
	f->escaped = 0;
}

#ifdef __SSE2__
/* Bit i set when byte i of the 16 at p is , LF CR " or >= 0x80. */
static inline unsigned special16(const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')),
						_mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
				   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
						_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(hit, v)); /* v: the high bits */
}
#endif

enum { SIMPLE_NO, SIMPLE_DONE, SIMPLE_NEAR_END };

/* scan_simple 16 bytes at a time: each set bit of a step's mask ends a field (a comma), the
 * record (LF, CRLF) or the fast path (anything else).  SIMPLE_NEAR_END when the record runs
 * into the last 15 buffered bytes, which the 8-byte scan_simple then reads. */
static int scan_simple_wide(rn_csv *c)
{
#ifdef __SSE2__
	const unsigned char *b = (const unsigned char *)c->buf;
	const size_t end = c->len;
	size_t start = c->rec;
	uint32_t n = 0;
	for (size_t k = start; k + 16 <= end; k += 16) {
		for (unsigned m = special16(b + k); m; m &= m - 1) {
			size_t q = k + (unsigned)__builtin_ctz(m);
			unsigned char ch = b[q];
			if (n == c->fields_cap)
				return SIMPLE_NO;
			if (ch == ',') {
				simple_field(c, n++, start, q);
				start = q + 1;
				continue;
			}
			size_t p;
			if (ch == '\n')
				p = q + 1;
			else if (ch == '\r' && q + 1 < end && b[q + 1] == '\n')
				p = q + 2;
			else
				return SIMPLE_NO;
			if (p - c->rec > RN_CSV_MAX_RECORD_BYTES)
				return SIMPLE_NO;
			simple_field(c, n++, start, q);
			simple_done(c, n, q, p);
			return SIMPLE_DONE;
		}
	}
	return SIMPLE_NEAR_END;
#else
	(void)c;
	return SIMPLE_NEAR_END;
#endif
}

/* The common record, handled without the state machine: unquoted ASCII fields ending in LF
 * or CRLF, entirely in the buffer.  Returns false, having changed nothing the general scanner
 * relies on, at the first byte it does not handle (a quote, a byte >= 0x80, a bare CR, the end
 * of the buffered bytes, more fields than allocated); scan() then reads the record from its
 * start.  On referral exports this path takes every record. */
static bool scan_simple(rn_csv *c)
{
	const unsigned char *b = (const unsigned char *)c->buf;
	const size_t rec = c->rec, end = c->len;
	size_t p = rec, q;
	uint32_t n = 0;
	for (;;) {
		if (n == c->fields_cap || p >= end || b[p] == '"')
			return false;
		q = skip_unquoted(b, p, end);
		if (q >= end)
			return false;
		simple_field(c, n++, p, q);
		if (b[q] == ',') {
			p = q + 1;
			continue;
		}
		if (b[q] == '\n') {
			p = q + 1;
			break;
		}
		if (b[q] == '\r' && q + 1 < end && b[q + 1] == '\n') {
			p = q + 2;
			break;
		}
		return false;
	}
	if (p - rec > RN_CSV_MAX_RECORD_BYTES)
		return false; /* let scan() report it */
	simple_done(c, n, q, p);
	return true;
}

/* Moves the partial record to the front, grows the buffer when that record fills more than
 * half of it, and reads as much as fits. */
static int refill(rn_csv *c, rn_error *err)
{
	size_t keep = c->len - c->rec;
	if (keep > RN_CSV_MAX_RECORD_BYTES)
		return rn_error_set(err, RN_EDATA, rn_source_name(c->src), c->rec_line, 1,
				    "record longer than %u bytes", RN_CSV_MAX_RECORD_BYTES);
	if (c->rec > 0) {
		memmove(c->buf, c->buf + c->rec, keep);
		c->pos -= c->rec;
		c->line_start -= c->rec;
		c->len = keep;
		c->rec = 0;
	}
	if (c->cap - c->len < c->cap / 2) {
		size_t grown = c->cap * 2;
		char *bigger = rn_realloc(c->buf, grown);
		if (!bigger)
			return rn_error_set(err, RN_ENOMEM, rn_source_name(c->src), c->rec_line, 0,
					    "out of memory");
		c->buf = bigger;
		c->cap = grown;
	}
	int64_t n = rn_source_read(c->src, c->buf + c->len, c->cap - c->len, err);
	if (n < 0)
		return (int)n;
	if (n == 0)
		c->eof = true;
	c->len += (size_t)n;
	return RN_OK;
}

/* Collapses "" to " in place; the text only shrinks. */
static void unescape(char *text, struct field_pos *f)
{
	char *out = text;
	const char *in = text, *stop = text + f->len;
	while (in < stop) {
		const char *q = memchr(in, '"', (size_t)(stop - in));
		size_t run = q ? (size_t)(q - in) + 1 : (size_t)(stop - in);
		memmove(out, in, run);
		out += run;
		in += run + (q ? 1 : 0); /* skip the second quote of the pair */
	}
	f->len = (uint32_t)(out - text);
}

/* Reads one record, blank or not.  Returns 1, 0 at the end, or a negative status. */
static int read_record(rn_csv *c, rn_error *err)
{
	c->rec = c->pos;
	c->rec_line = c->line;
	c->nfields = 0;
	c->state = ST_FIELD_START;
	int simple = scan_simple_wide(c);
	if (simple == SIMPLE_DONE || (simple == SIMPLE_NEAR_END && scan_simple(c)))
		return 1;
	c->nfields = 0;
	for (;;) {
		int rc = scan(c, err);
		if (rc == SCAN_END)
			return 0;
		if (rc == SCAN_RECORD)
			break;
		if (rc < 0)
			return rc;
		rc = refill(c, err);
		if (rc < 0)
			return rc;
	}
	for (uint32_t i = 0; i < c->nfields; i++)
		if (c->fields[i].escaped)
			unescape(c->buf + c->rec + c->fields[i].start, &c->fields[i]);
	return 1;
}

static bool blank_record(const rn_csv *c)
{
	return c->nfields == 1 && !c->fields[0].quoted && c->fields[0].len == 0;
}

/* ---- Public interface ------------------------------------------------------------------- */

static int read_header(rn_csv *c, rn_error *err)
{
	/* Strip a UTF-8 byte order mark: make sure 3 bytes are here (or the input is shorter). */
	while (c->len < 3 && !c->eof) {
		int rc = refill(c, err);
		if (rc != RN_OK)
			return rc;
	}
	if (c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
		c->pos = c->line_start = 3;
	int rc;
	do {
		rc = read_record(c, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return rn_error_set(err, RN_EDATA, rn_source_name(c->src), 0, 0,
					    "empty input: no header row");
	} while (blank_record(c));

	size_t total = 0;
	for (uint32_t i = 0; i < c->nfields; i++)
		total += (size_t)c->fields[i].len + 1;
	c->headers = rn_malloc_array(c->nfields, sizeof *c->headers);
	c->header_text = rn_malloc(total);
	if (!c->headers || !c->header_text)
		return rn_error_set(err, RN_ENOMEM, rn_source_name(c->src), 0, 0, "out of memory");
	char *out = c->header_text;
	for (uint32_t i = 0; i < c->nfields; i++) {
		const struct field_pos *f = &c->fields[i];
		uint64_t line = c->rec_line + f->line_delta;
		if (f->len == 0)
			return rn_error_set(err, RN_EDATA, rn_source_name(c->src), line, f->column,
					    "empty column name in the header (column %u)", i + 1);
		memcpy(out, c->buf + c->rec + f->start, f->len);
		out[f->len] = '\0';
		if (memchr(out, '\0', f->len))
			return rn_error_set(err, RN_EDATA, rn_source_name(c->src), line, f->column,
					    "NUL byte in a column name");
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(c->headers[j], out))
				return rn_error_set(
				    err, RN_EDATA, rn_source_name(c->src), line, f->column,
				    "duplicate column name '%s' (columns %u and %u)", out, j + 1,
				    i + 1);
		c->headers[i] = out;
		out += f->len + 1;
		c->nheaders = i + 1;
	}
	return RN_OK;
}

int rn_csv_open_source(rn_csv **out, rn_source *src, rn_error *err)
{
	*out = NULL;
	rn_csv *c = rn_calloc(1, sizeof *c);
	if (!c) {
		rn_error_set(err, RN_ENOMEM, rn_source_name(src), 0, 0, "out of memory");
		rn_source_close(src);
		return RN_ENOMEM;
	}
	c->src = src;
	c->line = 1;
	c->cap = INITIAL_BUFFER;
	c->buf = rn_malloc(c->cap);
	if (!c->buf) {
		rn_error_set(err, RN_ENOMEM, rn_source_name(src), 0, 0, "out of memory");
		rn_csv_close(c);
		return RN_ENOMEM;
	}
	int rc = read_header(c, err);
	if (rc != RN_OK) {
		rn_csv_close(c);
		return rc;
	}
	*out = c;
	return RN_OK;
}

int rn_csv_open(rn_csv **out, const char *path, rn_error *err)
{
	*out = NULL;
	rn_source *src;
	int rc = rn_source_open(&src, path, err);
	if (rc != RN_OK)
		return rc;
	return rn_csv_open_source(out, src, err);
}

void rn_csv_close(rn_csv *c)
{
	if (!c)
		return;
	rn_source_close(c->src);
	rn_free(c->buf);
	rn_free(c->fields);
	rn_free(c->headers);
	rn_free(c->header_text);
	rn_free(c);
}

const char *rn_csv_path(const rn_csv *c)
{
	return rn_source_name(c->src);
}

uint32_t rn_csv_header_count(const rn_csv *c)
{
	return c->nheaders;
}

const char *rn_csv_header(const rn_csv *c, uint32_t index)
{
	return index < c->nheaders ? c->headers[index] : NULL;
}

int rn_csv_column(const rn_csv *c, const char *name)
{
	for (uint32_t i = 0; i < c->nheaders; i++)
		if (!strcmp(c->headers[i], name))
			return (int)i;
	return -1;
}

int rn_csv_next(rn_csv *c, rn_error *err)
{
	c->resumable = false;
	if (c->failed)
		return rn_error_set(err, c->failed, rn_source_name(c->src), 0, 0,
				    "reading stopped at an earlier error");
	for (;;) {
		int rc = read_record(c, err);
		if (rc < 0)
			c->failed = rc; /* record boundaries are lost: no going on */
		if (rc <= 0)
			return rc;
		if (blank_record(c))
			continue;
		if (c->nfields == c->nheaders)
			return 1;
		/* The record was read whole: the caller may skip it and go on. */
		c->resumable = true;
		uint64_t line = c->end_line, column = c->end_column;
		if (c->nfields > c->nheaders) {
			line = c->rec_line + c->fields[c->nheaders].line_delta;
			column = c->fields[c->nheaders].column;
		}
		return rn_error_set(err, RN_EDATA, rn_source_name(c->src), line, column,
				    "expected %u fields, found %u", c->nheaders, c->nfields);
	}
}

bool rn_csv_can_resume(const rn_csv *c)
{
	return c->resumable;
}

uint32_t rn_csv_field_count(const rn_csv *c)
{
	return c->nfields;
}

rn_field rn_csv_field(const rn_csv *c, uint32_t index)
{
	rn_field field = {NULL, 0};
	if (index < c->nfields) {
		field.ptr = c->buf + c->rec + c->fields[index].start;
		field.len = c->fields[index].len;
	}
	return field;
}

uint64_t rn_csv_field_line(const rn_csv *c, uint32_t index)
{
	return index < c->nfields ? c->rec_line + c->fields[index].line_delta : c->rec_line;
}

uint64_t rn_csv_field_column(const rn_csv *c, uint32_t index)
{
	return index < c->nfields ? c->fields[index].column : 0;
}

uint64_t rn_csv_record_line(const rn_csv *c)
{
	return c->rec_line;
}

static int error_at(const rn_csv *c, uint32_t index, uint64_t line, uint64_t column, rn_error *err,
		    const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static int error_at(const rn_csv *c, uint32_t index, uint64_t line, uint64_t column, rn_error *err,
		    const char *fmt, va_list ap)
{
	if (!err)
		return RN_EDATA;
	rn_error_setv(err, RN_EDATA, NULL, 0, 0, fmt, ap);
	char message[RN_ERROR_MSG_MAX];
	memcpy(message, err->message, sizeof message);
	const char *name = index < c->nheaders ? c->headers[index] : "?";
	return rn_error_set(err, RN_EDATA, rn_source_name(c->src), line, column, "column '%s': %s",
			    name, message);
}

int rn_csv_field_error(const rn_csv *c, uint32_t index, rn_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = error_at(c, index, rn_csv_field_line(c, index), rn_csv_field_column(c, index), err,
			  fmt, ap);
	va_end(ap);
	return rc;
}

int rn_csv_error_at(const rn_csv *c, uint32_t index, uint64_t line, uint64_t column, rn_error *err,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = error_at(c, index, line, column, err, fmt, ap);
	va_end(ap);
	return rc;
}

bool rn_csv_needs_quotes(const char *s, size_t len)
{
	if (len && (s[0] == ' ' || s[len - 1] == ' '))
		return true;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return true;
	return false;
}
