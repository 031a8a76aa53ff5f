/*
 * fuzz_csv.c - differential fuzzing of the CSV tokenizer against the reference reader in
 * csv_reference.h.  The input is read through a memory source in pieces of a size taken from
 * the first byte, so refills land everywhere.  Where the reference accepts the input, rn_csv
 * must give the same header and records byte for byte and end cleanly; where it refuses it,
 * rn_csv must give the same records up to the bad one and then an error with a position.
 */
#include <refnet/io.h>

#include "csv_reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_record(const rn_csv *csv, const ref_record *r)
{
	if (rn_csv_field_count(csv) != r->count)
		return false;
	for (uint32_t i = 0; i < r->count; i++) {
		rn_field f = rn_csv_field(csv, i);
		if (f.len != r->len[i] || memcmp(f.ptr, r->field[i], f.len) != 0)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Compressed inputs belong to fuzz_source; keep this target on the tokenizer. */
	if ((size >= 2 && data[0] == 0x1f && data[1] == 0x8b) ||
	    (size >= 4 && !memcmp(data, "\x28\xb5\x2f\xfd", 4)))
		return 0;
	ref_csv ref;
	ref_parse(data, size, &ref);
	rn_source *src;
	rn_csv *csv;
	rn_error err;
	if (rn_source_open_memory(&src, data, size, "fuzz.csv", &err) != RN_OK)
		__builtin_trap();
	rn_source_set_read_limit(src, size ? (size_t)data[0] % 61 + 1 : 1);
	int rc = rn_csv_open_source(&csv, src, &err);
	if (rc != RN_OK) {
		/* refused at the header: the reference must refuse it there too */
		if (!ref.failed || ref.count != 0 || !err.message[0] || !err.file[0])
			__builtin_trap();
		ref_free(&ref);
		return 0;
	}
	if (ref.count == 0 || rn_csv_header_count(csv) != ref.records[0].count)
		__builtin_trap();
	for (uint32_t i = 0; i < ref.records[0].count; i++)
		if (strcmp(rn_csv_header(csv, i), ref.records[0].field[i]) != 0)
			__builtin_trap();
	size_t record = 1;
	while ((rc = rn_csv_next(csv, &err)) == 1) {
		if (record >= ref.count || !same_record(csv, &ref.records[record]))
			__builtin_trap();
		record++;
	}
	if (rc == 0 && (ref.failed || record != ref.count))
		__builtin_trap();
	if (rc < 0 && (!ref.failed || record != ref.count || err.line == 0))
		__builtin_trap();
	rn_csv_close(csv);
	ref_free(&ref);
	return 0;
}
