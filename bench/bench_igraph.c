/*
 * bench_igraph.c - the igraph side of the benchmark: igraph C loading the same referral data
 * refnet loads, then PRPACK PageRank on the reversed graph.
 *
 * usage: bench_igraph csv REFERRALS.csv   the referrals CSV itself: read line by line, ids
 *                                         mapped to vertex numbers by a hash table, then
 *                                         igraph_create and weighted PRPACK (the weights as
 *                                         refnet reads them)
 *        bench_igraph ncol REVERSED.ncol  igraph's own reader (igraph_read_graph_ncol, symbolic
 *                                         names) on an NCOL copy with the columns swapped, made
 *                                         by scripts/bench outside any timed region;
 *                                         unweighted PRPACK
 *
 * The csv form is the plain program a user of igraph would write: one thread, getline, a
 * comma split (the generated files have no quoted fields, which it refuses), XXH3 and linear
 * probing for the ids, the edge list in an igraph vector.  Both forms build the reversed graph
 * (referred -> referrer) so that PageRank credits referrers, as refnet's does.  Prints one
 * JSON object: nodes, edges, load_s, pagerank_s, peak_rss_bytes.
 */
#include <igraph.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <xxhash.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *path, long long line)
{
	if (line > 0)
		fprintf(stderr, "bench_igraph: %s:%lld: %s\n", path, line, what);
	else
		fprintf(stderr, "bench_igraph: %s: %s\n", path, what);
	exit(65);
}

/* Ids to vertex numbers: the strings back to back in one arena, slots holding number + 1. */
struct ids {
	uint32_t *slots;
	uint64_t mask, count;
	uint64_t *start; /* count + 1 */
	char *arena;
	uint64_t arena_len, arena_cap, start_cap;
};

static void *grow(void *p, uint64_t *cap, uint64_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	uint64_t c = *cap ? *cap : 1024;
	while (c < need)
		c *= 2;
	void *q = realloc(p, c * elem);
	if (!q) {
		fprintf(stderr, "bench_igraph: out of memory\n");
		exit(71);
	}
	*cap = c;
	return q;
}

static void ids_rehash(struct ids *t, uint64_t cap)
{
	uint32_t *slots = calloc(cap, sizeof *slots);
	if (!slots) {
		fprintf(stderr, "bench_igraph: out of memory\n");
		exit(71);
	}
	for (uint64_t k = 0; k < t->count; k++) {
		uint64_t i = XXH3_64bits(t->arena + t->start[k], t->start[k + 1] - t->start[k]) & (cap - 1);
		while (slots[i])
			i = (i + 1) & (cap - 1);
		slots[i] = (uint32_t)k + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = cap - 1;
}

static igraph_integer_t ids_get(struct ids *t, const char *s, size_t len)
{
	uint64_t i = XXH3_64bits(s, len) & t->mask;
	for (uint32_t slot; (slot = t->slots[i]); i = (i + 1) & t->mask) {
		uint64_t k = slot - 1;
		if (t->start[k + 1] - t->start[k] == len && !memcmp(t->arena + t->start[k], s, len))
			return (igraph_integer_t)k;
	}
	uint64_t k = t->count++;
	t->arena = grow(t->arena, &t->arena_cap, t->arena_len + len, 1);
	memcpy(t->arena + t->arena_len, s, len);
	t->arena_len += len;
	t->start = grow(t->start, &t->start_cap, t->count + 1, sizeof *t->start);
	t->start[k + 1] = t->arena_len;
	t->slots[i] = (uint32_t)k + 1;
	if (t->count * 2 > t->mask + 1)
		ids_rehash(t, (t->mask + 1) * 2);
	return (igraph_integer_t)k;
}

/* Splits line (no trailing newline) at commas into at most max fields. */
static int split(char *line, size_t len, char **field, size_t *flen, int max)
{
	int k = 0;
	char *p = line, *end = line + len;
	while (k < max) {
		char *c = memchr(p, ',', (size_t)(end - p));
		field[k] = p;
		flen[k] = (size_t)((c ? c : end) - p);
		k++;
		if (!c)
			break;
		p = c + 1;
	}
	return k;
}

static int column(char **field, size_t *flen, int k, const char *name)
{
	for (int i = 0; i < k; i++)
		if (flen[i] == strlen(name) && !memcmp(field[i], name, flen[i]))
			return i;
	return -1;
}

static void load_csv(const char *path, igraph_t *graph, igraph_vector_t *weights)
{
	FILE *in = fopen(path, "r");
	if (!in) {
		perror(path);
		exit(66);
	}
	enum { MAX_FIELDS = 64 };
	char *field[MAX_FIELDS], *line = NULL;
	size_t flen[MAX_FIELDS], cap = 0;
	ssize_t got = getline(&line, &cap, in);
	if (got <= 0)
		die("empty file", path, 0);
	while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
		got--;
	int k = split(line, (size_t)got, field, flen, MAX_FIELDS);
	int from = column(field, flen, k, "referrer"), to = column(field, flen, k, "referred");
	int weight = column(field, flen, k, "weight");
	if (from < 0 || to < 0)
		die("no referrer and referred columns", path, 1);
	struct ids t = {0};
	ids_rehash(&t, 1024);
	t.start = grow(NULL, &t.start_cap, 1, sizeof *t.start);
	t.start[0] = 0;
	igraph_vector_int_t edges;
	igraph_vector_int_init(&edges, 0);
	igraph_vector_init(weights, 0);
	for (long long number = 2; (got = getline(&line, &cap, in)) > 0; number++) {
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			got--;
		if (got == 0)
			continue;
		if (memchr(line, '"', (size_t)got))
			die("quoted field (not handled here)", path, number);
		k = split(line, (size_t)got, field, flen, MAX_FIELDS);
		if (k <= from || k <= to || (weight >= 0 && k <= weight))
			die("too few fields", path, number);
		double w = 1.0;
		if (weight >= 0 && flen[weight]) {
			char buf[64], *stop;
			size_t n = flen[weight] < sizeof buf - 1 ? flen[weight] : sizeof buf - 1;
			memcpy(buf, field[weight], n);
			buf[n] = '\0';
			w = strtod(buf, &stop);
			if (*stop || !(w > 0))
				die("weight is not a positive number", path, number);
		}
		/* numbered in first-seen order as refnet does; the edge reversed (referred ->
		 * referrer) */
		igraph_integer_t u = ids_get(&t, field[from], flen[from]);
		igraph_vector_int_push_back(&edges, ids_get(&t, field[to], flen[to]));
		igraph_vector_int_push_back(&edges, u);
		igraph_vector_push_back(weights, w);
	}
	free(line);
	fclose(in);
	if (igraph_create(graph, &edges, (igraph_integer_t)t.count, IGRAPH_DIRECTED))
		die("igraph_create failed", path, 0);
	igraph_vector_int_destroy(&edges);
	free(t.slots);
	free(t.start);
	free(t.arena);
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "csv") && strcmp(argv[1], "ncol"))) {
		fprintf(stderr, "usage: bench_igraph csv REFERRALS.csv | ncol REVERSED.ncol\n");
		return 64;
	}
	bool csv = !strcmp(argv[1], "csv");
	igraph_t graph;
	igraph_vector_t weights;
	double start = now();
	if (csv) {
		load_csv(argv[2], &graph, &weights);
	} else {
		FILE *in = fopen(argv[2], "r");
		if (!in) {
			perror(argv[2]);
			return 66;
		}
		if (igraph_read_graph_ncol(&graph, in, NULL, 1, IGRAPH_ADD_WEIGHTS_NO,
					   IGRAPH_DIRECTED)) {
			fprintf(stderr, "bench_igraph: cannot read %s\n", argv[2]);
			return 65;
		}
		fclose(in);
	}
	double load = now() - start;
	igraph_vector_t rank;
	igraph_real_t value;
	igraph_vector_init(&rank, 0);
	start = now();
	igraph_pagerank(&graph, IGRAPH_PAGERANK_ALGO_PRPACK, &rank, &value, igraph_vss_all(),
			IGRAPH_DIRECTED, 0.85, csv ? &weights : NULL, NULL);
	double pagerank = now() - start;
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	printf("{\"nodes\": %lld, \"edges\": %lld, \"load_s\": %.6f, \"pagerank_s\": %.6f, "
	       "\"peak_rss_bytes\": %lld}\n",
	       (long long)igraph_vcount(&graph), (long long)igraph_ecount(&graph), load, pagerank,
	       (long long)usage.ru_maxrss * 1024);
	igraph_vector_destroy(&rank);
	if (csv)
		igraph_vector_destroy(&weights);
	igraph_destroy(&graph);
	return 0;
}
