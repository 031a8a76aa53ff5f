/*
 * fuzz_load.c - the table loaders end to end: bytes -> table (-> graph for referrals).
 * The first byte picks the table and the options (strict or skip, with or without a small
 * customers table loaded first); the rest is the file.  Every outcome must be a complete
 * table or an error with a message, and a referrals table must build into a valid graph.
 */
#include <refnet/graph.h>

#include "fuzz_file.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char customers_csv[] = "customer,acquired,channel,campaign,clv\n"
				    "a,2024-01-01,search,s1,10\nb,,,,0\nc,2024-02-29,social,s2,3.5\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned selector = data[0];
	char path[64], customers_path[64];
	int fd = fuzz_file(data + 1, size - 1, path, sizeof path);
	int cfd = fuzz_file((const uint8_t *)customers_csv, sizeof customers_csv - 1,
			    customers_path, sizeof customers_path);
	if (fd < 0 || cfd < 0)
		return 0;
	rn_dataset ds;
	rn_error err;
	rn_load_options opt;
	memset(&opt, 0, sizeof opt);
	opt.skip_bad_rows = selector & 4;
	opt.create_missing = selector & 8;
	if (rn_dataset_init(&ds) != RN_OK)
		return 0;
	int rc = RN_OK;
	if (selector & 16)
		rc = rn_load_customers(&ds, customers_path, &opt, &err);
	if (rc == RN_OK) {
		switch (selector & 3) {
		case 0:
			rc = rn_load_referrals(&ds, path, &opt, &err);
			break;
		case 1:
			rc = (selector & 16) ? RN_OK : rn_load_customers(&ds, path, &opt, &err);
			break;
		case 2:
			rc = rn_load_transactions(&ds, path, &opt, &err);
			break;
		default:
			rc = rn_load_spend(&ds, path, &opt, &err);
			break;
		}
	}
	if (rc != RN_OK && !err.message[0])
		__builtin_trap();
	if (rc == RN_OK)
		rc = rn_dataset_finish(&ds, &err);
	if (rc == RN_OK && (selector & 3) == 0) {
		rn_graph g;
		rn_dup_policy policy = (rn_dup_policy)((selector >> 5) & 3);
		rc = rn_graph_from_dataset(&g, &ds, path, policy, &err);
		if (rc == RN_OK) {
			if (g.offsets[g.n] != g.m)
				__builtin_trap();
			rn_graph_free(&g);
		} else if (!err.message[0]) {
			__builtin_trap();
		}
	}
	rn_dataset_free(&ds);
	close(fd);
	close(cfd);
	return 0;
}
