/*
 * test_alloc_paths.c - every allocation on the loader and configuration paths can fail.
 *
 * A clean run of each path first counts its allocation calls (the failure injector armed with
 * an unreachable N); then the path runs once per call k = 1..count with the k-th allocation
 * failing.  Each run must end in RN_OK (a failure the code works around, e.g. a shrinking
 * realloc) or RN_ENOMEM with a message, and free everything: the sanitizer build's
 * LeakSanitizer fails this program at exit if any path leaks.
 */
#include <refnet/graph.h>
#include <refnet/report.h>

#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[128];

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int run_loader(rn_error *err)
{
	char path[256];
	rn_dataset ds;
	int rc = rn_dataset_init(&ds);
	if (rc != RN_OK) /* rn_dataset_init reports by status alone */
		return rn_error_set(err, rc, NULL, 0, 0, "out of memory");
	rn_load_options opt;
	memset(&opt, 0, sizeof opt);
	snprintf(path, sizeof path, "%s/customers.csv", dir);
	rc = rn_load_customers(&ds, path, &opt, err);
	snprintf(path, sizeof path, "%s/referrals.csv.gz", dir);
	if (rc == RN_OK)
		rc = rn_load_referrals(&ds, path, &opt, err);
	snprintf(path, sizeof path, "%s/transactions.csv", dir);
	if (rc == RN_OK)
		rc = rn_load_transactions(&ds, path, &opt, err);
	snprintf(path, sizeof path, "%s/spend.csv", dir);
	if (rc == RN_OK)
		rc = rn_load_spend(&ds, path, &opt, err);
	if (rc == RN_OK)
		rc = rn_dataset_finish(&ds, err);
	if (rc == RN_OK) {
		rn_graph g;
		rc = rn_graph_from_dataset(&g, &ds, path, RN_DUP_SUM, err);
		if (rc == RN_OK)
			rn_graph_free(&g);
	}
	rn_dataset_free(&ds);
	return rc;
}

static int run_config(rn_error *err)
{
	char path[256];
	snprintf(path, sizeof path, "%s/analysis.yaml", dir);
	rn_config cfg;
	int rc = rn_config_load(&cfg, path, err);
	if (rc == RN_OK)
		rc = rn_config_check_inputs(&cfg, err);
	rn_config_free(&cfg);
	return rc;
}

/* Returns the number of allocation calls of a clean run. */
static uint64_t sweep(const char *name, int (*run)(rn_error *))
{
	rn_error err;
	/* the layer's live-byte count returns to where it was after every run: every block is
	 * freed, and freed through the layer */
	uint64_t live = rn_memory_in_use();
	rn_alloc_fail_at(UINT64_MAX, 0);
	CHECK_INT(run(&err), RN_OK);
	CHECK_INT(rn_memory_in_use(), live);
	uint64_t calls = rn_alloc_count();
	rn_alloc_fail_at(0, 0);
	uint64_t failed = 0, bad = 0;
	for (uint64_t k = 1; k <= calls; k++) {
		rn_error_clear(&err);
		rn_alloc_fail_at(k, 0);
		int rc = run(&err);
		rn_alloc_fail_at(0, 0);
		if (rn_memory_in_use() != live)
			bad++;
		if (rc == RN_ENOMEM && err.message[0])
			failed++;
		else if (rc != RN_OK) {
			bad++;
			fprintf(stderr, "%s: allocation %llu: status %d, message '%s'\n", name,
				(unsigned long long)k, rc, err.message);
		}
	}
	CHECK_INT(bad, 0);
	CHECK(calls > 0);
	fprintf(stderr, "%s: %llu allocation calls, %llu failures reported as out of memory\n",
		name, (unsigned long long)calls, (unsigned long long)failed);
	return calls;
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/refnet-alloc-%ld", (long)getpid());
	mkdir(dir, 0700);
	write_file("customers.csv", "customer,acquired,channel,campaign,clv\n"
				    "a,2024-01-01,search,s1,10\nb,2024-01-03,,,5\n"
				    "c,2024-01-09,social,s2,3\nd,2024-02-01,search,s1,1\n");
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "printf 'referrer,referred,date,weight,reward\\na,b,2024-01-03,1,5\\n"
		 "a,c,2024-01-09,2,5\\nb,d,2024-02-01,1,0\\na,b,2024-01-04,1,0\\nc,c,,1,0\\n' | "
		 "gzip -c > %s/referrals.csv.gz",
		 dir);
	CHECK_INT(system(cmd), 0);
	write_file("transactions.csv", "customer,date,amount,margin\na,2024-01-01,10,3\n"
				       "a,2024-01-20,12,4\nb,2024-01-03,5,1\nc,2024-01-09,7,2\n");
	write_file("spend.csv", "campaign,date,amount,channel\ns1,2024-01-01,100,search\n"
				"s2,2024-01-08,50,social\n");
	write_file("analysis.yaml", "title: alloc\ninputs:\n  referrals: referrals.csv.gz\n"
				    "  customers: customers.csv\n  transactions: transactions.csv\n"
				    "  spend: spend.csv\ncentrality:\n  katz: {alpha: 0.05}\n"
				    "report:\n  formats: [html, csv]\n");
	sweep("loader", run_loader);
	sweep("config", run_config);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
	return check_report();
}
