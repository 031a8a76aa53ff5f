/*
 * bench_load.c - how fast a referrals CSV becomes a CSR graph.
 *
 * usage: bench_load [CUSTOMERS] [TRIALS] [DIR]
 *
 * Writes two edge lists of CUSTOMERS customers and about 3 referrals each to DIR (default
 * /tmp): one with numeric ids ("4821937") and one with string ids ("cust-0004821937-x"),
 * referrer and referred drawn uniformly, which is the worst case for the interner's and the
 * CSR build's memory locality.  The files are built outside the timed region; each file is
 * loaded in a child process of its own so that its peak RSS is its own; each trial times
 * load + CSR build, and the report gives the median, MB/s, peak RSS and bytes per edge.
 */
#include <refnet/graph.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t next_random(uint64_t *state)
{
	/* SplitMix64 (Steele, Lea & Flood 2014): fast and good enough to shape test data. */
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void write_id(FILE *out, uint64_t id, int string_ids)
{
	if (string_ids)
		fprintf(out, "cust-%010llu-x", (unsigned long long)id);
	else
		fprintf(out, "%llu", (unsigned long long)(id * 7919 % 100000007));
}

static int write_edges(const char *path, uint64_t customers, int string_ids)
{
	FILE *out = fopen(path, "w");
	if (!out)
		return -1;
	static char buffer[1 << 20];
	setvbuf(out, buffer, _IOFBF, sizeof buffer);
	fputs("referrer,referred\n", out);
	uint64_t state = 42, edges = customers * 3;
	for (uint64_t e = 0; e < edges; e++) {
		uint64_t r = next_random(&state);
		uint64_t v = r % customers, u = (r >> 32) % customers;
		write_id(out, u, string_ids);
		fputc(',', out);
		write_id(out, v, string_ids);
		fputc('\n', out);
	}
	return fclose(out);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int run(const char *path, int trials)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	double megabytes = (double)ftell(f) / 1e6;
	fclose(f);
	double times[16];
	rn_graph g;
	uint32_t n = 0;
	uint64_t m = 0, graph_bytes = 0;
	for (int t = 0; t < trials; t++) {
		rn_dataset ds;
		rn_error err;
		rn_load_options options;
		memset(&options, 0, sizeof options);
		double start = rn_now();
		int rc = rn_dataset_init(&ds);
		if (rc == RN_OK)
			rc = rn_load_referrals(&ds, path, &options, &err);
		if (rc == RN_OK)
			rc = rn_dataset_finish(&ds, &err);
		if (rc == RN_OK)
			rc = rn_graph_from_dataset_release(&g, &ds, RN_DUP_SUM, &err);
		times[t] = rn_now() - start;
		if (rc != RN_OK) {
			fprintf(stderr, "bench_load: %s: %s\n", path, err.message);
			return -1;
		}
		n = g.n;
		m = g.m;
		graph_bytes = rn_graph_bytes(&g);
		rn_graph_free(&g);
		rn_dataset_free(&ds);
	}
	qsort(times, (size_t)trials, sizeof times[0], compare_double);
	double median = times[trials / 2];
	printf("| %s | %u | %llu | %.1f | %.3f | %.0f | %.0f | %.1f |\n", path, n,
	       (unsigned long long)m, megabytes, median, megabytes / median,
	       (double)rn_peak_rss() / 1e6, (double)graph_bytes / (double)m);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t customers = argc > 1 ? (uint64_t)atof(argv[1]) : 1000000;
	int trials = argc > 2 ? atoi(argv[2]) : 3;
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	if (trials < 1 || trials > 16 || customers < 1) {
		fprintf(stderr, "usage: bench_load [CUSTOMERS] [TRIALS 1-16] [DIR]\n");
		return 64;
	}
	char numeric[4096], strings[4096];
	snprintf(numeric, sizeof numeric, "%s/bench-load-%llu-numeric.csv", dir,
		 (unsigned long long)customers);
	snprintf(strings, sizeof strings, "%s/bench-load-%llu-string.csv", dir,
		 (unsigned long long)customers);
	if (write_edges(numeric, customers, 0) || write_edges(strings, customers, 1)) {
		fprintf(stderr, "bench_load: cannot write test files in %s\n", dir);
		return 73;
	}
	printf("| file | nodes | edges | MB | load+CSR median s | MB/s | peak RSS MB | graph "
	       "bytes/edge |\n|---|---|---|---|---|---|---|---|\n");
	fflush(stdout);
	int rc = 0;
	const char *paths[] = {numeric, strings};
	for (int i = 0; i < 2; i++) {
		pid_t child = fork();
		if (child == 0)
			_exit(run(paths[i], trials) ? 1 : 0);
		int status = 1;
		if (child < 0 || waitpid(child, &status, 0) < 0 || status != 0)
			rc = 1;
	}
	remove(numeric);
	remove(strings);
	return rc ? 1 : 0;
}
