/*
 * config.c - the YAML configuration: parse, validate against the schema, resolve, print.
 *
 * Two passes.  First libyaml's event parser builds a small tree of our own nodes; this is
 * where the hostile-document caps live: nesting depth (RN_CONFIG_MAX_DEPTH), alias count
 * (RN_CONFIG_MAX_ALIASES), node count and file size.  Aliases are never expanded - an alias
 * node simply points at the anchored node - so a "billion laughs" document costs one node per
 * event.  Second, one walk of that tree against the schema table below fills the typed
 * rn_config.  The table is the single description of every key: the same entries drive the
 * parser, the YAML printer (--print-config) and the JSON writer (manifest.json), so a key
 * cannot be parsed but forgotten in the printout, and printing then loading gives back the
 * same values.  Since the walk only follows keys the schema knows and stops at the first
 * error, no mapping it examines is larger than the schema, which also keeps the duplicate-key
 * check cheap (a bitmask of keys seen).
 *
 * Every error is "file:line:column: key.path: message" with libyaml's 0-based marks turned
 * into 1-based positions, and status RN_ECONFIG.
 */
#include <refnet/report.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define MAX_NODES 100000u
#define PATH_MAX_KEY 256

/* ---- The tree built from libyaml events ------------------------------------------------ */

enum node_kind { N_SCALAR, N_MAP, N_SEQ };

typedef struct ynode {
	enum node_kind kind;
	uint64_t line, column; /* 1-based */
	char *text;	       /* scalar value */
	size_t len;
	bool plain;	      /* unquoted scalar without a string tag */
	struct ynode **items; /* map: key, value, key, value...; seq: items */
	size_t count, cap;
} ynode;

typedef struct anchor {
	char *name;
	ynode *node;
} anchor;

typedef struct tree {
	ynode **nodes; /* every node, for freeing (aliases share nodes) */
	size_t node_count, node_cap;
	anchor *anchors;
	size_t anchor_count, anchor_cap;
	ynode *root;
} tree;

static void tree_free(tree *t)
{
	for (size_t i = 0; i < t->node_count; i++) {
		rn_free(t->nodes[i]->text);
		rn_free(t->nodes[i]->items);
		rn_free(t->nodes[i]);
	}
	rn_free(t->nodes);
	for (size_t i = 0; i < t->anchor_count; i++)
		rn_free(t->anchors[i].name);
	rn_free(t->anchors);
	memset(t, 0, sizeof *t);
}

static ynode *node_new(tree *t, enum node_kind kind, const yaml_mark_t *mark)
{
	if (rn_grow((void **)&t->nodes, &t->node_cap, t->node_count + 1, sizeof *t->nodes))
		return NULL;
	ynode *n = rn_calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (uint64_t)mark->line + 1;
	n->column = (uint64_t)mark->column + 1;
	t->nodes[t->node_count++] = n;
	return n;
}

static int node_append(ynode *parent, ynode *child)
{
	if (rn_grow((void **)&parent->items, &parent->cap, parent->count + 1,
		    sizeof *parent->items))
		return RN_ENOMEM;
	parent->items[parent->count++] = child;
	return RN_OK;
}

static int anchor_add(tree *t, const char *name, ynode *node)
{
	if (rn_grow((void **)&t->anchors, &t->anchor_cap, t->anchor_count + 1, sizeof *t->anchors))
		return RN_ENOMEM;
	char *copy = rn_strdup(name);
	if (!copy)
		return RN_ENOMEM;
	/* a later anchor with the same name overrides the earlier one (YAML 1.2, 3.2.2.2) */
	t->anchors[t->anchor_count].name = copy;
	t->anchors[t->anchor_count].node = node;
	t->anchor_count++;
	return RN_OK;
}

static ynode *anchor_find(const tree *t, const char *name)
{
	for (size_t i = t->anchor_count; i-- > 0;)
		if (!strcmp(t->anchors[i].name, name))
			return t->anchors[i].node;
	return NULL;
}

/* Line and column of a byte offset, for reader errors (libyaml gives only the offset). */
static void offset_position(const char *text, size_t len, size_t offset, uint64_t *line,
			    uint64_t *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			++*line;
			*column = 1;
		} else {
			++*column;
		}
	}
}

static int syntax_error(const yaml_parser_t *p, const char *text, size_t len, const char *name,
			rn_error *err)
{
	uint64_t line = (uint64_t)p->problem_mark.line + 1;
	uint64_t column = (uint64_t)p->problem_mark.column + 1;
	if (p->error == YAML_MEMORY_ERROR)
		return rn_error_set(err, RN_ENOMEM, name, 0, 0, "out of memory reading YAML");
	if (p->error == YAML_READER_ERROR)
		offset_position(text, len, p->problem_offset, &line, &column);
	const char *problem = p->problem ? p->problem : "malformed document";
	if (p->context)
		return rn_error_set(err, RN_ECONFIG, name, line, column,
				    "YAML syntax error: %s %s (line %llu)", problem, p->context,
				    (unsigned long long)p->context_mark.line + 1);
	return rn_error_set(err, RN_ECONFIG, name, line, column, "YAML syntax error: %s", problem);
}

/* Tags: the YAML core tags are allowed (!!str makes a scalar a string); others are not. */
static int scalar_tag(const yaml_event_t *ev, bool *plain)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	*plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (!tag)
		return 0;
	if (!strcmp(tag, "tag:yaml.org,2002:str")) {
		*plain = false;
		return 0;
	}
	return strncmp(tag, "tag:yaml.org,2002:", 18) ? -1 : 0;
}

typedef struct frame {
	ynode *node;
	char *anchor;
} frame;

static int build_tree(tree *t, const char *text, size_t len, const char *name, rn_error *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	frame stack[RN_CONFIG_MAX_DEPTH];
	int depth = 0, documents = 0, status = RN_OK;
	unsigned aliases = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return rn_error_set(err, RN_ENOMEM, name, 0, 0, "out of memory reading YAML");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && status == RN_OK) {
		if (!yaml_parser_parse(&parser, &ev)) {
			status = syntax_error(&parser, text, len, name, err);
			break;
		}
		yaml_mark_t *mark = &ev.start_mark;
		uint64_t line = (uint64_t)mark->line + 1, column = (uint64_t)mark->column + 1;
		ynode *node = NULL;
		const char *anchor_name = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1)
				status = rn_error_set(err, RN_ECONFIG, name, line, column,
						      "only one YAML document is allowed");
			break;
		case YAML_SCALAR_EVENT: {
			bool plain;
			if (scalar_tag(&ev, &plain)) {
				status = rn_error_set(err, RN_ECONFIG, name, line, column,
						      "YAML tag '%s' is not supported",
						      (const char *)ev.data.scalar.tag);
				break;
			}
			node = node_new(t, N_SCALAR, mark);
			if (node)
				node->text = rn_strndup((const char *)ev.data.scalar.value,
							ev.data.scalar.length);
			if (!node || !node->text) {
				status = rn_error_set(err, RN_ENOMEM, name, 0, 0, "out of memory");
				break;
			}
			node->len = ev.data.scalar.length;
			node->plain = plain;
			anchor_name = (const char *)ev.data.scalar.anchor;
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			if (depth == RN_CONFIG_MAX_DEPTH) {
				status = rn_error_set(err, RN_ECONFIG, name, line, column,
						      "nesting deeper than %d levels",
						      RN_CONFIG_MAX_DEPTH);
				break;
			}
			bool is_map = ev.type == YAML_MAPPING_START_EVENT;
			const char *tag = (const char *)(is_map ? ev.data.mapping_start.tag
								: ev.data.sequence_start.tag);
			if (tag && strncmp(tag, "tag:yaml.org,2002:", 18)) {
				status = rn_error_set(err, RN_ECONFIG, name, line, column,
						      "YAML tag '%s' is not supported", tag);
				break;
			}
			node = node_new(t, is_map ? N_MAP : N_SEQ, mark);
			const char *a = (const char *)(is_map ? ev.data.mapping_start.anchor
							      : ev.data.sequence_start.anchor);
			stack[depth].node = node;
			stack[depth].anchor = a ? rn_strdup(a) : NULL;
			if (!node || (a && !stack[depth].anchor)) {
				rn_free(stack[depth].anchor);
				status = rn_error_set(err, RN_ENOMEM, name, 0, 0, "out of memory");
				break;
			}
			depth++;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			/* the anchor of a collection is usable only once it is complete, so an
			 * alias can never make a collection contain itself */
			depth--;
			node = stack[depth].node;
			if (stack[depth].anchor) {
				status = anchor_add(t, stack[depth].anchor, node);
				rn_free(stack[depth].anchor);
				if (status)
					rn_error_set(err, status, name, 0, 0, "out of memory");
			}
			node = NULL; /* already attached to its parent at the start event */
			break;
		case YAML_ALIAS_EVENT:
			if (++aliases > RN_CONFIG_MAX_ALIASES) {
				status =
				    rn_error_set(err, RN_ECONFIG, name, line, column,
						 "more than %d aliases", RN_CONFIG_MAX_ALIASES);
				break;
			}
			node = anchor_find(t, (const char *)ev.data.alias.anchor);
			if (!node)
				status = rn_error_set(err, RN_ECONFIG, name, line, column,
						      "alias '*%s' names no complete anchor",
						      (const char *)ev.data.alias.anchor);
			break;
		default:
			break;
		}
		if (status == RN_OK && t->node_count > MAX_NODES)
			status = rn_error_set(err, RN_ECONFIG, name, line, column,
					      "document has more than %u nodes", MAX_NODES);
		if (status == RN_OK && node) {
			/* attach to the enclosing collection (for a new collection, the one below
			 * the frame just pushed) */
			int parent = (ev.type == YAML_SEQUENCE_START_EVENT ||
				      ev.type == YAML_MAPPING_START_EVENT)
					 ? depth - 2
					 : depth - 1;
			if (parent >= 0)
				status = node_append(stack[parent].node, node);
			else
				t->root = node;
			if (status == RN_OK && anchor_name)
				status = anchor_add(t, anchor_name, node);
			if (status)
				rn_error_set(err, status, name, 0, 0, "out of memory");
		}
		yaml_event_delete(&ev);
	}
	while (depth > 0)
		rn_free(stack[--depth].anchor);
	yaml_parser_delete(&parser);
	return status;
}

/* ---- The schema ------------------------------------------------------------------------ */

enum key_kind {
	K_MAP,	/* nested keys */
	K_STR,	/* char * */
	K_PATH, /* char *, resolved against the config directory */
	K_COL,	/* const char * in rn_columns (a column name) */
	K_NUM,	/* double in [lo, hi] (open ends per flags) */
	K_INT,	/* uint64_t in [ilo, ihi] */
	K_BOOL, /* bool */
	K_ENUM, /* int (enum) from names */
	K_DATE, /* value.calibration_end */
	K_COST, /* referral.acquisition_cost_saved: auto or number >= 0 */
	K_LIST, /* rn_enum_list from names */
};

typedef struct key {
	const char *name;
	enum key_kind kind;
	size_t off;
	const struct key *sub;
	double lo, hi;
	bool lo_open, hi_open;
	uint64_t ilo, ihi;
	const char *const *names;
	bool nullable;	  /* null (or "~", empty) is accepted and means "not given" */
	bool date_format; /* K_STR: checked as a date format */
} key;

#define OFF(member) offsetof(rn_config, member)
/* clang-format off */
#define END {NULL, K_MAP, 0, NULL, 0, 0, false, false, 0, 0, NULL, false, false}
/* clang-format on */

static const char *const dup_names[] = {"sum", "max", "first", "error", NULL};
static const char *const self_loop_names[] = {"drop", "error", NULL};
static const char *const on_error_names[] = {"fail", "skip", NULL};
static const char *const teleport_names[] = {"uniform", "clv", NULL};
static const char *const model_names[] = {"column", "historic", "bgnbd", NULL};
static const char *const unit_names[] = {"day", "week", "month", NULL};
static const char *const attribution_names[] = {"equal", "first", "last", "weight", NULL};
static const char *const group_names[] = {"campaign", "channel", NULL};
static const char *const format_names[] = {"html", "md", "csv", "json", NULL};
static const char *const export_names[] = {"none", "graphml", "gexf", NULL};

/* One key per line reads best as a table. */
/* clang-format off */
#define S_COL(n, m) {n, K_COL, OFF(inputs.columns.m), NULL, 0, 0, false, false, 0, 0, NULL, false, false}
#define S_PATH(n, m, nullable) {n, K_PATH, OFF(m), NULL, 0, 0, false, false, 0, 0, NULL, nullable, false}
#define S_NUM(n, m, lo, hi, lo_open, hi_open) {n, K_NUM, OFF(m), NULL, lo, hi, lo_open, hi_open, 0, 0, NULL, false, false}
/* A number that may be null (not given): stored as 0, which its range must exclude. */
#define S_NUM_OPT(n, m, lo, hi, lo_open, hi_open) {n, K_NUM, OFF(m), NULL, lo, hi, lo_open, hi_open, 0, 0, NULL, true, false}
#define S_INT(n, m, ilo, ihi) {n, K_INT, OFF(m), NULL, 0, 0, false, false, ilo, ihi, NULL, false, false}
#define S_ENUM(n, m, names) {n, K_ENUM, OFF(m), NULL, 0, 0, false, false, 0, 0, names, false, false}
#define S_LIST(n, m, names) {n, K_LIST, OFF(m), NULL, 0, 0, false, false, 0, 0, names, false, false}
#define S_MAP(n, sub) {n, K_MAP, 0, sub, 0, 0, false, false, 0, 0, NULL, false, false}

static const key referral_columns[] = {
	S_COL("referrer", referrer),
	S_COL("referred", referred),
	S_COL("date", date),
	S_COL("weight", weight),
	S_COL("reward", reward),
	END};
static const key customer_columns[] = {
	S_COL("customer", customer),
	S_COL("acquired", acquired),
	S_COL("channel", channel),
	S_COL("campaign", campaign),
	S_COL("clv", clv),
	END};
static const key transaction_columns[] = {
	S_COL("customer", tx_customer),
	S_COL("date", tx_date),
	S_COL("amount", amount),
	S_COL("margin", margin),
	END};
static const key spend_columns[] = {
	S_COL("campaign", spend_campaign),
	S_COL("date", spend_date),
	S_COL("amount", spend_amount),
	S_COL("channel", spend_channel),
	END};
static const key column_tables[] = {
	S_MAP("referrals", referral_columns),
	S_MAP("customers", customer_columns),
	S_MAP("transactions", transaction_columns),
	S_MAP("spend", spend_columns),
	END};
static const key input_keys[] = {
	S_PATH("referrals", inputs.referrals, false),
	S_PATH("customers", inputs.customers, true),
	S_PATH("transactions", inputs.transactions, true),
	S_PATH("spend", inputs.spend, true),
	S_MAP("columns", column_tables),
	{"date_format", K_STR, OFF(inputs.date_format), NULL, 0, 0, false, false, 0, 0, NULL, true, true},
	END};
static const key load_keys[] = {
	S_ENUM("duplicate_edges", load.duplicate_edges, dup_names),
	S_ENUM("self_loops", load.self_loops, self_loop_names),
	S_ENUM("on_error", load.on_error, on_error_names),
	END};
static const key pagerank_keys[] = {
	S_NUM("damping", centrality.pagerank.damping, 0, 1, true, true),
	S_NUM("tolerance", centrality.pagerank.tolerance, 0, 1, true, true),
	S_ENUM("teleport", centrality.pagerank.teleport, teleport_names),
	END};
static const key katz_keys[] = {
	S_NUM_OPT("alpha", centrality.katz.alpha, 0, HUGE_VAL, true, false),
	END};
static const key reach_keys[] = {
	S_INT("exact_max_nodes", centrality.reach.exact_max_nodes, 0, UINT32_MAX),
	END};
static const key centrality_keys[] = {
	S_MAP("pagerank", pagerank_keys),
	S_MAP("katz", katz_keys),
	S_MAP("reach", reach_keys),
	END};
static const key value_keys[] = {
	S_ENUM("model", value.model, model_names),
	S_ENUM("time_unit", value.time_unit, unit_names),
	{"calibration_end", K_DATE, OFF(value.calibration_end), NULL, 0, 0, false, false, 0, 0, NULL, true, false},
	S_NUM("horizon", value.horizon, 0, 1e6, true, false),
	S_NUM("discount_rate", value.discount_rate, 0, 1, false, false),
	S_NUM("margin", value.margin, 0, 1, true, false),
	END};
static const key referral_keys[] = {
	S_ENUM("attribution", referral.attribution, attribution_names),
	S_NUM("incremental_share", referral.incremental_share, 0, 1, false, false),
	{"acquisition_cost_saved", K_COST, OFF(referral.acquisition_cost_saved), NULL, 0, HUGE_VAL, false, false, 0, 0, NULL, false, false},
	S_NUM("generation_decay", referral.generation_decay, 0, 1, false, true),
	S_INT("horizon_days", referral.horizon_days, 1, 36500),
	S_NUM("discount_rate", referral.discount_rate, 0, 1, false, false),
	END};
static const key mix_keys[] = {
	{"enabled", K_BOOL, OFF(roi.mix_model.enabled), NULL, 0, 0, false, false, 0, 0, NULL, false, false},
	S_INT("adstock_max_lag", roi.mix_model.adstock_max_lag, 0, 52),
	S_INT("bootstrap", roi.mix_model.bootstrap, 0, 100000),
	S_INT("seed", roi.mix_model.seed, 0, UINT64_MAX),
	END};
static const key roi_keys[] = {
	S_LIST("group_by", roi.group_by, group_names),
	S_MAP("mix_model", mix_keys),
	END};
static const key report_keys[] = {
	S_PATH("dir", report.dir, false),
	S_LIST("formats", report.formats, format_names),
	S_INT("top", report.top, 1, 1000000),
	S_ENUM("graph_export", report.graph_export, export_names),
	END};
static const key top_keys[] = {
	{"title", K_STR, OFF(title), NULL, 0, 0, false, false, 0, 0, NULL, false, false},
	S_MAP("inputs", input_keys),
	S_MAP("load", load_keys),
	S_MAP("centrality", centrality_keys),
	S_MAP("value", value_keys),
	S_MAP("referral", referral_keys),
	S_MAP("roi", roi_keys),
	S_MAP("report", report_keys),
	END};
/* clang-format on */

#define AT(cfg, off, type) ((type *)(void *)((char *)(cfg) + (off)))
#define CAT(cfg, off, type) ((const type *)(const void *)((const char *)(cfg) + (off)))

/* ---- Small helpers --------------------------------------------------------------------- */

/* Levenshtein distance, for did-you-mean; long strings are "far" (no suggestion). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return SIZE_MAX;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The closest candidate, or NULL when none is close: one edit for words of up to four
 * letters, two for longer ones (so "pdf" does not suggest "md"). */
static const char *closest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t limit = strlen(word) <= 4 ? 1 : 2, best_d = limit + 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_d) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}

static void list_names(char *buf, size_t cap, const char *const *names, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++) {
		int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", names[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static bool is_null(const ynode *n)
{
	return n->kind == N_SCALAR && n->plain &&
	       (n->len == 0 || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
		!strcmp(n->text, "Null") || !strcmp(n->text, "NULL"));
}

/* Strict decimal number as YAML writes it: sign, digits, fraction, exponent; no hex, no
 * .inf/.nan, nothing after it, finite. */
static bool parse_number(const char *s, double *out)
{
	if (!*s || strspn(s, "+-0123456789.eE") != strlen(s) || !strpbrk(s, "0123456789"))
		return false;
	errno = 0;
	char *end;
	double x = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(x))
		return false;
	*out = x;
	return true;
}

static const char *describe(const ynode *n)
{
	double x;
	if (n->kind == N_MAP)
		return "a mapping";
	if (n->kind == N_SEQ)
		return "a list";
	if (is_null(n))
		return "null";
	if (n->plain && (!strcmp(n->text, "true") || !strcmp(n->text, "false")))
		return "a boolean";
	if (n->plain && parse_number(n->text, &x))
		return "a number";
	return "a string";
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
 * Low-Level Date Algorithms", 2013, days_from_civil). */
static int32_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

/* The inverse (same source, civil_from_days). */
static void civil_from_days(int32_t z, int *y, int *m, int *d)
{
	z += 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool parse_iso_date(const char *s, int32_t *days)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > month_days[m - 1] + (m == 2 && leap))
		return false;
	*days = days_from_civil(y, m, d);
	return true;
}

/* The date formats the loaders understand (rn_date_format_valid): %Y, %m, %d, %% and literal
 * characters, with each of %Y, %m and %d present.  Here only the message is more precise. */
static bool valid_date_format(const char *f, char *why, size_t cap)
{
	if (rn_date_format_valid(f))
		return true;
	for (const char *p = f; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (!*p || !strchr("Ymd%", *p)) {
			snprintf(why, cap,
				 "unsupported conversion '%%%c' (use %%Y, %%m, %%d, %%%%)",
				 *p ? *p : ' ');
			return false;
		}
	}
	snprintf(why, cap, "must contain each of %%Y, %%m and %%d");
	return false;
}

/* ---- The walk -------------------------------------------------------------------------- */

typedef struct walker {
	rn_config *cfg;
	const char *name;
	rn_error *err;
} walker;

static int fail(walker *w, const ynode *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(walker *w, const ynode *n, const char *path, const char *fmt, ...)
{
	char msg[RN_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return rn_error_set(w->err, RN_ECONFIG, w->name, n ? n->line : 1, n ? n->column : 1,
			    "%s: %s", path, msg);
}

static int nomem(walker *w)
{
	return rn_error_set(w->err, RN_ENOMEM, w->name, 0, 0, "out of memory");
}

static int remember(walker *w, const char *path, const ynode *n)
{
	rn_config *cfg = w->cfg;
	size_t cap = cfg->pos_count; /* grown one by one: at most a few dozen keys */
	rn_config_pos *grown = rn_realloc_array(cfg->pos, cap + 1, sizeof *grown);
	if (!grown)
		return nomem(w);
	cfg->pos = grown;
	grown[cfg->pos_count].key = rn_strdup(path);
	if (!grown[cfg->pos_count].key)
		return nomem(w);
	grown[cfg->pos_count].line = n->line;
	grown[cfg->pos_count].column = n->column;
	cfg->pos_count++;
	return RN_OK;
}

static size_t name_count(const char *const *names)
{
	size_t n = 0;
	while (names[n])
		n++;
	return n;
}

static int enum_value(walker *w, const ynode *n, const char *path, const char *const *names,
		      int *out)
{
	if (n->kind != N_SCALAR || is_null(n))
		return fail(w, n, path, "expected one of the names below, found %s", describe(n));
	size_t count = name_count(names);
	for (size_t i = 0; i < count; i++)
		if (!strcmp(n->text, names[i])) {
			*out = (int)i;
			return RN_OK;
		}
	char list[256];
	list_names(list, sizeof list, names, count);
	const char *guess = closest(n->text, names, count);
	if (guess)
		return fail(w, n, path, "bad value '%s' (did you mean '%s'?); expected one of: %s",
			    n->text, guess, list);
	return fail(w, n, path, "bad value '%s'; expected one of: %s", n->text, list);
}

static int set_string(walker *w, char **slot, const ynode *n, const char *path, bool nullable)
{
	if (n->kind != N_SCALAR)
		return fail(w, n, path, "expected a string, found %s", describe(n));
	if (is_null(n)) {
		if (!nullable)
			return fail(w, n, path, "expected a string, found null");
		rn_free(*slot);
		*slot = NULL;
		return RN_OK;
	}
	if (n->len == 0 || strlen(n->text) != n->len)
		return fail(w, n, path,
			    n->len ? "must not contain NUL bytes" : "must not be empty");
	char *copy = rn_strdup(n->text);
	if (!copy)
		return nomem(w);
	rn_free(*slot);
	*slot = copy;
	return RN_OK;
}

static void range_text(char *buf, size_t cap, const key *k)
{
	if (isinf(k->hi))
		snprintf(buf, cap, "must be %s %g", k->lo_open ? ">" : ">=", k->lo);
	else
		snprintf(buf, cap, "must be in %c%g, %g%c", k->lo_open ? '(' : '[', k->lo, k->hi,
			 k->hi_open ? ')' : ']');
}

static int number_value(walker *w, const ynode *n, const char *path, const key *k, double *out)
{
	if (k->nullable && is_null(n)) {
		*out = 0.0; /* not given; the range excludes 0 */
		return RN_OK;
	}
	if (n->kind != N_SCALAR || !n->plain || is_null(n))
		return fail(w, n, path, "expected a number, found %s", describe(n));
	double x;
	if (!parse_number(n->text, &x))
		return fail(w, n, path, "expected a number, found '%s'", n->text);
	if ((k->lo_open ? x <= k->lo : x < k->lo) || (k->hi_open ? x >= k->hi : x > k->hi)) {
		char range[96];
		range_text(range, sizeof range, k);
		return fail(w, n, path, "%s (found %s)", range, n->text);
	}
	*out = x;
	return RN_OK;
}

static int int_value(walker *w, const ynode *n, const char *path, const key *k, uint64_t *out)
{
	if (n->kind != N_SCALAR || !n->plain || is_null(n))
		return fail(w, n, path, "expected a whole number, found %s", describe(n));
	const char *s = n->text;
	bool negative = *s == '-';
	const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
	if (!*digits || strspn(digits, "0123456789") != strlen(digits)) {
		double x;
		if (parse_number(s, &x))
			return fail(w, n, path, "expected a whole number, found %s", s);
		return fail(w, n, path, "expected a whole number, found '%s'", s);
	}
	errno = 0;
	unsigned long long v = strtoull(digits, NULL, 10);
	if (negative || errno == ERANGE || v < k->ilo || v > k->ihi)
		return fail(w, n, path, "must be in [%llu, %llu] (found %s)",
			    (unsigned long long)k->ilo, (unsigned long long)k->ihi, s);
	*out = (uint64_t)v;
	return RN_OK;
}

static int list_value(walker *w, const ynode *n, const char *path, const key *k, rn_enum_list *out)
{
	if (n->kind != N_SEQ)
		return fail(w, n, path, "expected a list, found %s", describe(n));
	if (n->count == 0)
		return fail(w, n, path, "must not be empty");
	rn_enum_list list = {0, {0}};
	for (size_t i = 0; i < n->count; i++) {
		char item_path[PATH_MAX_KEY + 32];
		snprintf(item_path, sizeof item_path, "%s[%zu]", path, i);
		int v, status = enum_value(w, n->items[i], item_path, k->names, &v);
		if (status)
			return status;
		for (uint32_t j = 0; j < list.count; j++)
			if (list.items[j] == v)
				return fail(w, n->items[i], item_path, "'%s' is listed twice",
					    k->names[v]);
		list.items[list.count++] = v; /* no duplicates, so count <= names <= 8 */
	}
	*out = list;
	return RN_OK;
}

static int walk_map(walker *w, const ynode *map, const key *keys, const char *path);

static int apply(walker *w, const key *k, const ynode *n, const char *path)
{
	rn_config *cfg = w->cfg;
	int status = remember(w, path, n);
	if (status)
		return status;
	switch (k->kind) {
	case K_MAP:
		if (is_null(n))
			return RN_OK; /* "load:" with nothing under it: all defaults */
		if (n->kind != N_MAP)
			return fail(w, n, path, "expected a mapping, found %s", describe(n));
		return walk_map(w, n, k->sub, path);
	case K_STR:
	case K_PATH:
		status = set_string(w, AT(cfg, k->off, char *), n, path, k->nullable);
		if (status == RN_OK && k->date_format && *AT(cfg, k->off, char *)) {
			char why[128];
			if (!valid_date_format(*AT(cfg, k->off, char *), why, sizeof why))
				return fail(w, n, path, "%s", why);
		}
		return status;
	case K_COL: {
		char *name = NULL;
		status = set_string(w, &name, n, path, false);
		if (status)
			return status;
		const char **slot = AT(cfg, k->off, const char *);
		rn_free((void *)(uintptr_t)*slot);
		*slot = name;
		return RN_OK;
	}
	case K_NUM:
		return number_value(w, n, path, k, AT(cfg, k->off, double));
	case K_INT:
		return int_value(w, n, path, k, AT(cfg, k->off, uint64_t));
	case K_BOOL:
		if (n->kind == N_SCALAR && n->plain && !strcmp(n->text, "true"))
			*AT(cfg, k->off, bool) = true;
		else if (n->kind == N_SCALAR && n->plain && !strcmp(n->text, "false"))
			*AT(cfg, k->off, bool) = false;
		else if (n->kind == N_SCALAR && !is_null(n))
			return fail(w, n, path, "expected true or false, found '%s'", n->text);
		else
			return fail(w, n, path, "expected true or false, found %s", describe(n));
		return RN_OK;
	case K_ENUM: {
		int v;
		status = enum_value(w, n, path, k->names, &v);
		if (status == RN_OK)
			*AT(cfg, k->off, int) = v;
		return status;
	}
	case K_DATE:
		if (is_null(n)) {
			cfg->value.has_calibration_end = false;
			return RN_OK;
		}
		if (n->kind != N_SCALAR)
			return fail(w, n, path, "expected a date YYYY-MM-DD, found %s",
				    describe(n));
		if (!parse_iso_date(n->text, &cfg->value.calibration_end))
			return fail(w, n, path, "expected a date YYYY-MM-DD, found '%s'", n->text);
		cfg->value.has_calibration_end = true;
		return RN_OK;
	case K_COST:
		if (n->kind == N_SCALAR && !strcmp(n->text, "auto") && !is_null(n)) {
			cfg->referral.acquisition_cost_auto = true;
			return RN_OK;
		}
		if (n->kind == N_SCALAR && n->plain && !is_null(n)) {
			double x;
			if (!parse_number(n->text, &x))
				return fail(w, n, path, "expected auto or a number, found '%s'",
					    n->text);
			if (x < 0)
				return fail(w, n, path, "must be auto or >= 0 (found %s)", n->text);
			cfg->referral.acquisition_cost_auto = false;
			cfg->referral.acquisition_cost_saved = x;
			return RN_OK;
		}
		return fail(w, n, path, "expected auto or a number, found %s", describe(n));
	case K_LIST:
		return list_value(w, n, path, k, AT(cfg, k->off, rn_enum_list));
	}
	return RN_OK;
}

static int walk_map(walker *w, const ynode *map, const key *keys, const char *path)
{
	uint64_t seen_line[64] = {0};
	size_t nkeys = 0;
	const char *names[64];
	while (keys[nkeys].name) {
		names[nkeys] = keys[nkeys].name;
		nkeys++;
	}
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const ynode *kn = map->items[i], *vn = map->items[i + 1];
		char sub[PATH_MAX_KEY];
		if (kn->kind != N_SCALAR)
			return fail(w, kn, path[0] ? path : "(top level)",
				    "keys must be plain names, found %s", describe(kn));
		int written =
		    snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", kn->text);
		if (written < 0 || (size_t)written >= sizeof sub)
			return fail(w, kn, path, "key too long");
		size_t j = 0;
		while (j < nkeys && strcmp(keys[j].name, kn->text))
			j++;
		if (j == nkeys) {
			char list[512];
			list_names(list, sizeof list, names, nkeys);
			const char *guess = closest(kn->text, names, nkeys);
			if (guess)
				return fail(w, kn, sub, "unknown key (did you mean '%s'?)", guess);
			return fail(w, kn, sub, "unknown key; expected one of: %s", list);
		}
		if (seen_line[j])
			return fail(w, kn, sub, "duplicate key (first given on line %llu)",
				    (unsigned long long)seen_line[j]);
		seen_line[j] = kn->line;
		int status = apply(w, &keys[j], vn, sub);
		if (status)
			return status;
	}
	return RN_OK;
}

/* ---- Paths ----------------------------------------------------------------------------- */

static char *join_path(const char *dir, const char *rel)
{
	if (rel[0] == '/')
		return rn_strdup(rel);
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if (!strcmp(rel, "."))
		return rn_strdup(dir);
	size_t ld = strlen(dir), lr = strlen(rel);
	bool slash = ld && dir[ld - 1] == '/';
	char *out = rn_malloc(ld + lr + 2);
	if (!out)
		return NULL;
	memcpy(out, dir, ld);
	if (!slash)
		out[ld++] = '/';
	memcpy(out + ld, rel, lr + 1);
	return out;
}

/* An absolute form of dir (NULL or "" is the working directory); not canonicalised, so
 * symbolic links in the user's path stay as written. */
static char *absolute_dir(const char *dir)
{
	if (dir && dir[0] == '/')
		return rn_strdup(dir);
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		return NULL;
	if (!dir || !dir[0] || !strcmp(dir, "."))
		return rn_strdup(cwd);
	return join_path(cwd, dir);
}

static int resolve_paths(rn_config *cfg, const key *keys)
{
	for (const key *k = keys; k->name; k++) {
		if (k->kind == K_MAP && k->sub) {
			int status = resolve_paths(cfg, k->sub);
			if (status)
				return status;
		} else if (k->kind == K_PATH) {
			char **slot = AT(cfg, k->off, char *);
			if (!*slot || (*slot)[0] == '/')
				continue;
			char *abs = join_path(cfg->base_dir, *slot);
			if (!abs)
				return RN_ENOMEM;
			rn_free(*slot);
			*slot = abs;
		}
	}
	return RN_OK;
}

/* ---- Life cycle ------------------------------------------------------------------------ */

static const char *const default_columns[] = {
    "referrer", "referred", "date",	"weight", "reward",   "customer",
    "acquired", "channel",  "campaign", "clv",	  "customer", "date",
    "amount",	"margin",   "campaign", "date",	  "amount",   "channel"};

static const char **column_slot(rn_columns *c, size_t i)
{
	const char **slots[] = {
	    &c->referrer,    &c->referred,     &c->date,	 &c->weight,   &c->reward,
	    &c->customer,    &c->acquired,     &c->channel,	 &c->campaign, &c->clv,
	    &c->tx_customer, &c->tx_date,      &c->amount,	 &c->margin,   &c->spend_campaign,
	    &c->spend_date,  &c->spend_amount, &c->spend_channel};
	return slots[i];
}

#define COLUMN_COUNT (sizeof default_columns / sizeof default_columns[0])

void rn_config_free(rn_config *cfg)
{
	if (!cfg)
		return;
	rn_free(cfg->source);
	rn_free(cfg->base_dir);
	rn_free(cfg->title);
	rn_free(cfg->inputs.referrals);
	rn_free(cfg->inputs.customers);
	rn_free(cfg->inputs.transactions);
	rn_free(cfg->inputs.spend);
	rn_free(cfg->inputs.date_format);
	for (size_t i = 0; i < COLUMN_COUNT; i++)
		rn_free((void *)(uintptr_t)*column_slot(&cfg->inputs.columns, i));
	rn_free(cfg->report.dir);
	for (size_t i = 0; i < cfg->pos_count; i++)
		rn_free(cfg->pos[i].key);
	rn_free(cfg->pos);
	memset(cfg, 0, sizeof *cfg);
}

int rn_config_init(rn_config *cfg, const char *base_dir)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->base_dir = absolute_dir(base_dir);
	cfg->title = rn_strdup("Referral analysis");
	if (!cfg->base_dir || !cfg->title)
		goto nomem;
	for (size_t i = 0; i < COLUMN_COUNT; i++) {
		char *name = rn_strdup(default_columns[i]);
		if (!name)
			goto nomem;
		*column_slot(&cfg->inputs.columns, i) = name;
	}
	cfg->load.duplicate_edges = RN_DUP_SUM;
	cfg->load.self_loops = RN_SELF_LOOPS_DROP;
	cfg->load.on_error = RN_ON_ERROR_FAIL;
	cfg->centrality.pagerank.damping = 0.85;
	cfg->centrality.pagerank.tolerance = 1.0e-10;
	cfg->centrality.pagerank.teleport = RN_TELEPORT_UNIFORM;
	cfg->centrality.katz.alpha = 0.0; /* not given: chosen from the graph */
	cfg->centrality.reach.exact_max_nodes = 200000;
	cfg->value.model = RN_MODEL_HISTORIC;
	cfg->value.time_unit = RN_UNIT_WEEK;
	cfg->value.horizon = 52;
	cfg->value.discount_rate = 0.10;
	cfg->value.margin = 1.0;
	cfg->referral.attribution = RN_ATTRIBUTION_EQUAL;
	cfg->referral.incremental_share = 0.5;
	cfg->referral.acquisition_cost_auto = true;
	cfg->referral.generation_decay = 0.5;
	cfg->referral.horizon_days = 365;
	cfg->referral.discount_rate = 0.15;
	cfg->roi.group_by.count = 2;
	cfg->roi.group_by.items[0] = RN_GROUP_CAMPAIGN;
	cfg->roi.group_by.items[1] = RN_GROUP_CHANNEL;
	cfg->roi.mix_model.enabled = true;
	cfg->roi.mix_model.adstock_max_lag = 8;
	cfg->roi.mix_model.bootstrap = 200;
	cfg->roi.mix_model.seed = 1;
	cfg->report.dir = join_path(cfg->base_dir, "refnet-report");
	if (!cfg->report.dir)
		goto nomem;
	cfg->report.formats.count = 4;
	for (int i = 0; i < 4; i++)
		cfg->report.formats.items[i] = i;
	cfg->report.top = 25;
	cfg->report.graph_export = RN_EXPORT_NONE;
	return RN_OK;
nomem:
	rn_config_free(cfg);
	return RN_ENOMEM;
}

int rn_config_load_string(rn_config *cfg, const char *text, size_t len, const char *name,
			  const char *base_dir, rn_error *err)
{
	tree t;
	memset(&t, 0, sizeof t);
	if (!name)
		name = "(configuration)";
	int status = rn_config_init(cfg, base_dir);
	if (status)
		return rn_error_set(err, status, name, 0, 0, "out of memory");
	cfg->source = rn_strdup(name);
	if (!cfg->source) {
		status = rn_error_set(err, RN_ENOMEM, name, 0, 0, "out of memory");
		goto done;
	}
	if (len > RN_CONFIG_MAX_BYTES) {
		status = rn_error_set(err, RN_ECONFIG, name, 0, 0,
				      "configuration larger than %u bytes", RN_CONFIG_MAX_BYTES);
		goto done;
	}
	status = build_tree(&t, text, len, name, err);
	if (status)
		goto done;
	walker w = {cfg, name, err};
	if (t.root && !is_null(t.root)) {
		if (t.root->kind != N_MAP) {
			status = fail(&w, t.root, "(top level)", "expected a mapping, found %s",
				      describe(t.root));
			goto done;
		}
		status = walk_map(&w, t.root, top_keys, "");
		if (status)
			goto done;
	}
	if (!cfg->inputs.referrals) {
		uint64_t line = 1, column = 1;
		rn_config_position(cfg, "inputs", &line, &column);
		status = rn_error_set(err, RN_ECONFIG, name, line, column,
				      "inputs.referrals: missing required key (the referrals CSV)");
		goto done;
	}
	status = resolve_paths(cfg, top_keys);
	if (status)
		rn_error_set(err, status, name, 0, 0, "out of memory");
done:
	tree_free(&t);
	if (status)
		rn_config_free(cfg);
	return status;
}

int rn_config_load(rn_config *cfg, const char *path, rn_error *err)
{
	memset(cfg, 0, sizeof *cfg);
	FILE *f = fopen(path, "rb");
	if (!f)
		return rn_error_set(err, RN_ENOINPUT, path, 0, 0, "cannot open configuration: %s",
				    strerror(errno));
	char *text = rn_malloc(RN_CONFIG_MAX_BYTES + 1);
	if (!text) {
		fclose(f);
		return rn_error_set(err, RN_ENOMEM, path, 0, 0, "out of memory");
	}
	size_t len = fread(text, 1, RN_CONFIG_MAX_BYTES + 1, f);
	int read_error = ferror(f);
	int saved = errno;
	fclose(f);
	if (read_error) {
		rn_free(text);
		return rn_error_set(err, RN_ENOINPUT, path, 0, 0, "cannot read configuration: %s",
				    strerror(saved));
	}
	/* relative paths are relative to the directory holding the file */
	char *dir = rn_strdup(path);
	if (!dir) {
		rn_free(text);
		return rn_error_set(err, RN_ENOMEM, path, 0, 0, "out of memory");
	}
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	int status = rn_config_load_string(cfg, text, len, path, dir, err);
	rn_free(dir);
	rn_free(text);
	return status;
}

bool rn_config_position(const rn_config *cfg, const char *key_path, uint64_t *line,
			uint64_t *column)
{
	for (size_t i = 0; i < cfg->pos_count; i++)
		if (!strcmp(cfg->pos[i].key, key_path)) {
			*line = cfg->pos[i].line;
			*column = cfg->pos[i].column;
			return true;
		}
	return false;
}

int rn_config_error(const rn_config *cfg, rn_error *err, int code, const char *key_path,
		    const char *fmt, ...)
{
	char msg[RN_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	uint64_t line = 0, column = 0;
	rn_config_position(cfg, key_path, &line, &column);
	return rn_error_set(err, code, cfg->source, line, column, "%s: %s", key_path, msg);
}

int rn_config_check_inputs(const rn_config *cfg, rn_error *err)
{
	const char *keys[] = {"inputs.referrals", "inputs.customers", "inputs.transactions",
			      "inputs.spend"};
	const char *paths[] = {cfg->inputs.referrals, cfg->inputs.customers,
			       cfg->inputs.transactions, cfg->inputs.spend};
	for (size_t i = 0; i < 4; i++) {
		if (!paths[i])
			continue;
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return rn_config_error(cfg, err, RN_ENOINPUT, keys[i],
					       "cannot open '%s': %s", paths[i], strerror(errno));
		struct stat st;
		int stat_status = fstat(fd, &st);
		close(fd);
		if (stat_status != 0 || !S_ISREG(st.st_mode))
			return rn_config_error(cfg, err, RN_ENOINPUT, keys[i],
					       "'%s' is not a regular file", paths[i]);
	}
	return RN_OK;
}

static const key *find_key(const key *keys, const char *path)
{
	const char *dot = strchr(path, '.');
	size_t len = dot ? (size_t)(dot - path) : strlen(path);
	for (const key *k = keys; k->name; k++) {
		if (strlen(k->name) != len || strncmp(k->name, path, len))
			continue;
		if (!dot)
			return k;
		return k->kind == K_MAP ? find_key(k->sub, dot + 1) : NULL;
	}
	return NULL;
}

const char *rn_config_enum_name(const char *key_path, int value)
{
	const key *k = find_key(top_keys, key_path);
	if (!k || !k->names || value < 0 || (size_t)value >= name_count(k->names))
		return NULL;
	return k->names[value];
}

/* ---- Printing -------------------------------------------------------------------------- */

static void yaml_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void format_date(int32_t days, char *buf, size_t cap)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, cap, "%04d-%02d-%02d", y, m, d);
}

static void write_yaml_keys(const rn_config *cfg, const key *keys, FILE *out, int indent)
{
	char num[RN_NUMBER_MAX];
	for (const key *k = keys; k->name; k++) {
		fprintf(out, "%*s%s:", indent, "", k->name);
		switch (k->kind) {
		case K_MAP:
			fputc('\n', out);
			write_yaml_keys(cfg, k->sub, out, indent + 2);
			continue;
		case K_STR:
		case K_PATH: {
			const char *s = *CAT(cfg, k->off, char *);
			fputc(' ', out);
			if (s)
				yaml_quoted(out, s);
			else
				fputs("null", out);
			break;
		}
		case K_COL:
			fputc(' ', out);
			yaml_quoted(out, *CAT(cfg, k->off, char *));
			break;
		case K_NUM:
			if (k->nullable && *CAT(cfg, k->off, double) == 0.0) {
				fputs(" null", out);
				break;
			}
			rn_format_double(num, *CAT(cfg, k->off, double));
			fprintf(out, " %s", num);
			break;
		case K_INT:
			fprintf(out, " %llu", (unsigned long long)*CAT(cfg, k->off, uint64_t));
			break;
		case K_BOOL:
			fprintf(out, " %s", *CAT(cfg, k->off, bool) ? "true" : "false");
			break;
		case K_ENUM:
			fprintf(out, " %s", k->names[*CAT(cfg, k->off, int)]);
			break;
		case K_DATE:
			if (cfg->value.has_calibration_end) {
				format_date(cfg->value.calibration_end, num, sizeof num);
				fprintf(out, " %s", num);
			} else {
				fputs(" null", out);
			}
			break;
		case K_COST:
			if (cfg->referral.acquisition_cost_auto) {
				fputs(" auto", out);
			} else {
				rn_format_double(num, cfg->referral.acquisition_cost_saved);
				fprintf(out, " %s", num);
			}
			break;
		case K_LIST: {
			const rn_enum_list *list = CAT(cfg, k->off, rn_enum_list);
			fputs(" [", out);
			for (uint32_t i = 0; i < list->count; i++)
				fprintf(out, "%s%s", i ? ", " : "", k->names[list->items[i]]);
			fputc(']', out);
			break;
		}
		}
		fputc('\n', out);
	}
}

int rn_config_write_yaml(const rn_config *cfg, FILE *out, rn_error *err)
{
	fputs("# refnet configuration, every key resolved (docs/CONFIG.md)\n", out);
	write_yaml_keys(cfg, top_keys, out, 0);
	if (fflush(out) || ferror(out))
		return rn_error_set(err, RN_EIO, NULL, 0, 0, "cannot write configuration: %s",
				    strerror(errno));
	return RN_OK;
}

static void write_json_keys(const rn_config *cfg, const key *keys, rn_json *json)
{
	char date[16];
	rn_json_begin_object(json);
	for (const key *k = keys; k->name; k++) {
		rn_json_key(json, k->name);
		switch (k->kind) {
		case K_MAP:
			write_json_keys(cfg, k->sub, json);
			break;
		case K_STR:
		case K_PATH:
			rn_json_string(json, *CAT(cfg, k->off, char *));
			break;
		case K_COL:
			rn_json_string(json, *CAT(cfg, k->off, char *));
			break;
		case K_NUM:
			if (k->nullable && *CAT(cfg, k->off, double) == 0.0)
				rn_json_null(json);
			else
				rn_json_number(json, *CAT(cfg, k->off, double));
			break;
		case K_INT:
			rn_json_uint(json, *CAT(cfg, k->off, uint64_t));
			break;
		case K_BOOL:
			rn_json_bool(json, *CAT(cfg, k->off, bool));
			break;
		case K_ENUM:
			rn_json_string(json, k->names[*CAT(cfg, k->off, int)]);
			break;
		case K_DATE:
			if (cfg->value.has_calibration_end) {
				format_date(cfg->value.calibration_end, date, sizeof date);
				rn_json_string(json, date);
			} else {
				rn_json_null(json);
			}
			break;
		case K_COST:
			if (cfg->referral.acquisition_cost_auto)
				rn_json_string(json, "auto");
			else
				rn_json_number(json, cfg->referral.acquisition_cost_saved);
			break;
		case K_LIST: {
			const rn_enum_list *list = CAT(cfg, k->off, rn_enum_list);
			rn_json_begin_array(json);
			for (uint32_t i = 0; i < list->count; i++)
				rn_json_string(json, k->names[list->items[i]]);
			rn_json_end_array(json);
			break;
		}
		}
	}
	rn_json_end_object(json);
}

void rn_config_write_json(const rn_config *cfg, rn_json *json)
{
	write_json_keys(cfg, top_keys, json);
}
