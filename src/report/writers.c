/*
 * writers.c - streaming JSON and CSV output for the machine-readable report files.
 *
 * Both write straight to a FILE so that customers.csv for 1e8 customers never sits in
 * memory.  The JSON writer keeps a small stack of "object or array, anything written yet" so
 * that callers never place commas themselves; misuse is recorded rather than asserted, and
 * rn_json_finish reports it, because a malformed summary.json is a bug we want to see in
 * tests, not a crash in a user's run.  Numbers in both go through rn_format_double: they read
 * back to the same double, and a NaN or infinity is never written (null in JSON, an empty
 * field in CSV).
 */
#include <refnet/report.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

/* ---- JSON ------------------------------------------------------------------------------ */

void rn_json_init(rn_json *json, FILE *out)
{
	memset(json, 0, sizeof *json);
	json->out = out;
	json->depth = 0;
}

static void json_indent(rn_json *json)
{
	fputc('\n', json->out);
	for (int i = 0; i < json->depth; i++)
		fputs("  ", json->out);
}

/* Called before every value: places the comma and newline, checks the value is allowed. */
static bool json_value_start(rn_json *json)
{
	if (json->status)
		return false;
	if (json->depth == 0) {
		if (json->has_items[0]) {
			json->status = RN_EINTERNAL; /* a second top-level value */
			return false;
		}
		json->has_items[0] = true;
		return true;
	}
	if (json->expect_key[json->depth]) {
		if (!json->after_key) {
			json->status = RN_EINTERNAL; /* a value where a key belongs */
			return false;
		}
		json->after_key = false;
		return true;
	}
	if (json->has_items[json->depth])
		fputc(',', json->out);
	json->has_items[json->depth] = true;
	json_indent(json);
	return true;
}

static void json_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void json_open(rn_json *json, bool object)
{
	if (!json_value_start(json))
		return;
	if (json->depth + 1 >= RN_JSON_MAX_DEPTH) {
		json->status = RN_EINTERNAL;
		return;
	}
	fputc(object ? '{' : '[', json->out);
	json->depth++;
	json->expect_key[json->depth] = object;
	json->has_items[json->depth] = false;
	json->after_key = false;
}

static void json_close(rn_json *json, bool object)
{
	if (json->status)
		return;
	if (json->depth == 0 || json->expect_key[json->depth] != object || json->after_key) {
		json->status = RN_EINTERNAL;
		return;
	}
	bool had = json->has_items[json->depth];
	json->depth--;
	if (had)
		json_indent(json);
	fputc(object ? '}' : ']', json->out);
}

void rn_json_begin_object(rn_json *json)
{
	json_open(json, true);
}

void rn_json_end_object(rn_json *json)
{
	json_close(json, true);
}

void rn_json_begin_array(rn_json *json)
{
	json_open(json, false);
}

void rn_json_end_array(rn_json *json)
{
	json_close(json, false);
}

void rn_json_key(rn_json *json, const char *key)
{
	if (json->status)
		return;
	if (json->depth == 0 || !json->expect_key[json->depth] || json->after_key || !key) {
		json->status = RN_EINTERNAL;
		return;
	}
	if (json->has_items[json->depth])
		fputc(',', json->out);
	json->has_items[json->depth] = true;
	json_indent(json);
	json_escaped(json->out, key);
	fputs(": ", json->out);
	json->after_key = true;
}

void rn_json_string(rn_json *json, const char *s)
{
	if (!s) {
		rn_json_null(json);
		return;
	}
	if (json_value_start(json))
		json_escaped(json->out, s);
}

void rn_json_number(rn_json *json, double x)
{
	if (!isfinite(x)) {
		rn_json_null(json);
		return;
	}
	char buf[RN_NUMBER_MAX];
	rn_format_double(buf, x);
	if (json_value_start(json))
		fputs(buf, json->out);
}

void rn_json_int(rn_json *json, int64_t x)
{
	if (json_value_start(json))
		fprintf(json->out, "%" PRId64, x);
}

void rn_json_uint(rn_json *json, uint64_t x)
{
	if (json_value_start(json))
		fprintf(json->out, "%" PRIu64, x);
}

void rn_json_bool(rn_json *json, bool b)
{
	if (json_value_start(json))
		fputs(b ? "true" : "false", json->out);
}

void rn_json_null(rn_json *json)
{
	if (json_value_start(json))
		fputs("null", json->out);
}

int rn_json_finish(rn_json *json, const char *name, rn_error *err)
{
	if (json->status == RN_OK && (json->depth != 0 || !json->has_items[0]))
		json->status = RN_EINTERNAL;
	if (json->status)
		return rn_error_set(err, json->status, name, 0, 0,
				    "internal error: malformed JSON document");
	fputc('\n', json->out);
	if (fflush(json->out) || ferror(json->out))
		return rn_error_set(err, RN_EIO, name, 0, 0, "write failed: %s", strerror(errno));
	return RN_OK;
}

/* ---- CSV ------------------------------------------------------------------------------- */

void rn_csvw_init(rn_csv_writer *w, FILE *out)
{
	w->out = out;
	w->row_started = false;
}

static void csv_separator(rn_csv_writer *w)
{
	if (w->row_started)
		fputc(',', w->out);
	w->row_started = true;
}

void rn_csvw_text(rn_csv_writer *w, const char *s)
{
	csv_separator(w);
	if (!s)
		return;
	if (!rn_csv_needs_quotes(s, strlen(s))) {
		fputs(s, w->out);
		return;
	}
	fputc('"', w->out);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', w->out);
		fputc(*p, w->out);
	}
	fputc('"', w->out);
}

void rn_csvw_number(rn_csv_writer *w, double x)
{
	char buf[RN_NUMBER_MAX];
	rn_format_double(buf, x); /* "" for NaN/Inf: undefined is an empty field */
	csv_separator(w);
	fputs(buf, w->out);
}

void rn_csvw_uint(rn_csv_writer *w, uint64_t x)
{
	csv_separator(w);
	fprintf(w->out, "%" PRIu64, x);
}

void rn_csvw_int(rn_csv_writer *w, int64_t x)
{
	csv_separator(w);
	fprintf(w->out, "%" PRId64, x);
}

void rn_csvw_end_row(rn_csv_writer *w)
{
	fputc('\n', w->out);
	w->row_started = false;
}

void rn_csvw_header(rn_csv_writer *w, size_t n, const char *const *names)
{
	for (size_t i = 0; i < n; i++)
		rn_csvw_text(w, names[i]);
	rn_csvw_end_row(w);
}
