/*
 * csv_reference.h - a second CSV reader, written for obviousness rather than speed, that the
 * differential fuzzer holds rn_csv to.  It reads the whole input at once, byte by byte, with
 * the dialect documented at the top of src/io/csv.c: BOM stripped, LF or CRLF ends a record
 * (a lone CR is an error), "" escapes a quote inside quotes, nothing may follow a closing
 * quote but a delimiter, a quote inside an unquoted field is an error, an empty line is
 * skipped, invalid UTF-8 is an error, every record has the header's field count, header names
 * are non-empty, free of NUL bytes and distinct, and the caps on record bytes and field count hold.
 */
#ifndef REFNET_FUZZ_CSV_REFERENCE_H
#define REFNET_FUZZ_CSV_REFERENCE_H

#include <refnet/io.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct ref_record {
	bool first_quoted;
	uint32_t count;
	char **field;
	size_t *len;
} ref_record;

typedef struct ref_csv {
	ref_record *records; /* header first */
	size_t count;
	bool failed;         /* the input is invalid at records[count] (the one after the last) */
} ref_csv;

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid (RFC 3629). */
static size_t ref_utf8(const unsigned char *p, size_t left)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned min;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, min = 0x10000;
	else
		return 0;
	if (left < n)
		return 0;
	unsigned cp = c & (0x7F >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static void ref_push_field(ref_record *r, const char *text, size_t len)
{
	r->field = realloc(r->field, (r->count + 1) * sizeof *r->field);
	r->len = realloc(r->len, (r->count + 1) * sizeof *r->len);
	r->field[r->count] = malloc(len + 1);
	memcpy(r->field[r->count], text, len);
	r->field[r->count][len] = '\0';
	r->len[r->count++] = len;
}

static void ref_free_record(ref_record *r)
{
	for (uint32_t i = 0; i < r->count; i++)
		free(r->field[i]);
	free(r->field);
	free(r->len);
	memset(r, 0, sizeof *r);
}

static void ref_free(ref_csv *csv)
{
	for (size_t i = 0; i < csv->count; i++)
		ref_free_record(&csv->records[i]);
	free(csv->records);
	memset(csv, 0, sizeof *csv);
}

/* Parses one record starting at *at; returns 1 for a record, 0 at the end, -1 if invalid. */
static int ref_record_at(const unsigned char *p, size_t size, size_t *at, ref_record *out,
			 char *scratch)
{
	size_t i = *at, start = i;
	memset(out, 0, sizeof *out);
	if (i >= size)
		return 0;
	for (;;) {
		size_t len = 0;
		if (out->count >= RN_CSV_MAX_FIELDS)
			return -1;
		if (i < size && p[i] == '"') {
			if (out->count == 0)
				out->first_quoted = true;
			i++;
			for (;;) {
				if (i >= size)
					return -1; /* unterminated quote */
				if (p[i] == '"') {
					if (i + 1 < size && p[i + 1] == '"') {
						scratch[len++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				size_t n = ref_utf8(p + i, size - i);
				if (!n)
					return -1;
				memcpy(scratch + len, p + i, n);
				len += n;
				i += n;
			}
			if (i < size && p[i] != ',' && p[i] != '\n' && p[i] != '\r')
				return -1; /* text after the closing quote */
		} else {
			while (i < size && p[i] != ',' && p[i] != '\n' && p[i] != '\r') {
				if (p[i] == '"')
					return -1;
				size_t n = ref_utf8(p + i, size - i);
				if (!n)
					return -1;
				memcpy(scratch + len, p + i, n);
				len += n;
				i += n;
			}
		}
		if (i - start > RN_CSV_MAX_RECORD_BYTES)
			return -1;
		ref_push_field(out, scratch, len);
		if (i >= size)
			break;
		if (p[i] == ',') {
			i++;
			continue;
		}
		if (p[i] == '\r') {
			if (i + 1 < size && p[i + 1] != '\n')
				return -1; /* a lone CR */
			i++;
		}
		if (i < size)
			i++; /* the LF */
		break;
	}
	*at = i;
	return 1;
}

static void ref_parse(const unsigned char *p, size_t size, ref_csv *csv)
{
	memset(csv, 0, sizeof *csv);
	size_t at = 0;
	if (size >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		at = 3;
	char *scratch = malloc(size + 1);
	for (;;) {
		ref_record r;
		int rc = ref_record_at(p, size, &at, &r, scratch);
		if (rc == 0) {
			csv->failed = csv->count == 0; /* an empty file has no header */
			break;
		}
		if (rc < 0) {
			ref_free_record(&r);
			csv->failed = true;
			break;
		}
		/* A line holding nothing, unquoted, is skipped. */
		if (r.count == 1 && r.len[0] == 0 && !r.first_quoted) {
			ref_free_record(&r);
			continue;
		}
		bool bad = false;
		if (csv->count == 0) {
			for (uint32_t i = 0; i < r.count && !bad; i++) {
				bad = r.len[i] == 0 || memchr(r.field[i], 0, r.len[i]) != NULL;
				for (uint32_t j = 0; j < i && !bad; j++)
					bad = r.len[i] == r.len[j] &&
					      memcmp(r.field[i], r.field[j], r.len[i]) == 0;
			}
		} else {
			bad = r.count != csv->records[0].count;
		}
		if (bad) {
			ref_free_record(&r);
			csv->failed = true;
			break;
		}
		csv->records = realloc(csv->records, (csv->count + 1) * sizeof *csv->records);
		csv->records[csv->count++] = r;
	}
	free(scratch);
}

#endif
