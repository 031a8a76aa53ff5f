/*
 * bench_csv.c - throughput of the CSV reader and of the referrals loader on plain unquoted
 * input, the shape of a large referral export.
 *
 * Usage: bench_csv [ROWS] [TRIALS]   (default 3e7 rows "c123456,c654321", 3 trials)
 * Writes a temporary file (ROWS * 16 bytes) outside the timed region, then times, per trial,
 * (1) tokenizing every record and (2) rn_load_referrals (tokenizing + interning + storing);
 * prints the best trial of each in MB/s and rows/s (by wall time and by process CPU time,
 * which is the meaningful one on a shared machine), and checks the row count and a checksum
 * of the field lengths after timing.  The file is read from the page cache after the first
 * pass, so this measures the CPU cost, not the disk.
 */
#include <refnet/io.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* CPU seconds of this process: on a shared machine wall time also counts other jobs. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	uint64_t rows = argc > 1 ? (uint64_t)strtod(argv[1], NULL) : 30000000u;
	int trials = argc > 2 ? atoi(argv[2]) : 3;
	char path[] = "/tmp/bench_csv_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	FILE *out = fdopen(fd, "w");
	fputs("referrer,referred\n", out);
	/* Ids drawn from 1e6 values so that the loader's interner sees a realistic mix of hits
	 * and misses; a fixed LCG keeps the file identical between runs. */
	uint64_t state = 12345;
	for (uint64_t i = 0; i < rows; i++) {
		state = state * 6364136223846793005u + 1442695040888963407u;
		unsigned a = (unsigned)(state >> 33) % 1000000u;
		unsigned b = (unsigned)(state >> 13) % 1000000u;
		fprintf(out, "c%06u,c%06u\n", a, b);
	}
	fclose(out);
	double bytes = (double)(18 + rows * 16);

	double best_tok = 1e30, best_load = 1e30, cpu_tok = 1e30, cpu_load = 1e30;
	uint64_t records = 0, checksum = 0;
	for (int t = 0; t < trials; t++) {
		rn_error err;
		rn_csv *csv;
		double start = rn_now(), cpu_start = cpu_now();
		if (rn_csv_open(&csv, path, &err) != RN_OK) {
			fprintf(stderr, "%s: %s\n", err.file, err.message);
			return 1;
		}
		records = checksum = 0;
		int rc;
		while ((rc = rn_csv_next(csv, &err)) == 1) {
			records++;
			checksum += rn_csv_field(csv, 0).len + rn_csv_field(csv, 1).len;
		}
		rn_csv_close(csv);
		double elapsed = rn_now() - start, cpu = cpu_now() - cpu_start;
		if (rc != 0) {
			fprintf(stderr, "%s: %s\n", err.file, err.message);
			return 1;
		}
		if (elapsed < best_tok)
			best_tok = elapsed;
		if (cpu < cpu_tok)
			cpu_tok = cpu;

		rn_dataset ds;
		rn_dataset_init(&ds);
		start = rn_now();
		cpu_start = cpu_now();
		rc = rn_load_referrals(&ds, path, NULL, &err);
		elapsed = rn_now() - start;
		cpu = cpu_now() - cpu_start;
		if (rc != RN_OK || ds.referrals.count != rows) {
			fprintf(stderr, "load failed: %s\n", err.message);
			return 1;
		}
		printf("trial %d: nodes %u, rows %llu\n", t, rn_interner_count(ds.ids),
		       (unsigned long long)ds.referrals.count);
		rn_dataset_free(&ds);
		if (elapsed < best_load)
			best_load = elapsed;
		if (cpu < cpu_load)
			cpu_load = cpu;
	}
	unlink(path);
	if (records != rows || checksum != rows * 14) {
		fprintf(stderr, "wrong result: %llu records, checksum %llu\n",
			(unsigned long long)records, (unsigned long long)checksum);
		return 1;
	}
	printf("rows %llu, bytes %.0f\n", (unsigned long long)rows, bytes);
	printf("tokenize: wall %.3f s (%.0f MB/s), cpu %.3f s (%.0f MB/s, %.1f M rows/s)\n",
	       best_tok, bytes / best_tok / 1e6, cpu_tok, bytes / cpu_tok / 1e6,
	       (double)rows / cpu_tok / 1e6);
	printf("load_referrals: wall %.3f s (%.0f MB/s), cpu %.3f s (%.0f MB/s, %.1f M rows/s)\n",
	       best_load, bytes / best_load / 1e6, cpu_load, bytes / cpu_load / 1e6,
	       (double)rows / cpu_load / 1e6);
	printf("peak rss %.1f MiB\n", (double)rn_peak_rss() / 1048576.0);
	return 0;
}
