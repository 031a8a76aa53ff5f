/*
 * refnet/report.h - the batch job: YAML configuration, SVG charts, the report document and
 * its HTML/Markdown renderers, CSV and JSON writers, and the atomic report folder.
 *
 * Pieces and how they fit:
 *   rn_config   the typed configuration (DESIGN.md "Configuration (YAML)"), loaded from YAML
 *               with positioned errors; printable as YAML (--print-config) and JSON (manifest).
 *   rn_chart    one chart as data (categories, series, labels); rendered to SVG by our own
 *               small module, and its data written as CSV.
 *   rn_doc      the report as a list of blocks (headings, paragraphs, headline figures, typed
 *               tables, charts), rendered to one self-contained report.html and to report.md.
 *   rn_csv_writer / rn_json   streaming writers for the machine-readable files.
 *   rn_outdir   the report folder, built under a temporary name beside the target and renamed
 *               over it only when everything is written.
 * Nothing here prints to the terminal; errors go to an rn_error.
 *
 * Typical run (refnet report):
 *   rn_config_load(&cfg, path, &err);              78 / 66
 *   rn_config_load_dataset(&cfg, &ds, true, &err); 65 / 66 / 74, then graph, algo, value
 *   rn_outdir_begin(&dir, cfg.report.dir, &err);   73
 *   rn_doc_new / rn_doc_heading / rn_doc_figure / rn_doc_table + rn_doc_row / rn_doc_chart
 *   rn_outdir_open + rn_doc_write_html / rn_doc_write_md / rn_csvw_* / rn_json_* (with
 *   rn_config_write_json and rn_file_fingerprint for manifest.json) + rn_outdir_close
 *   rn_doc_write_chart_files(doc, &dir, &err)
 *   rn_outdir_commit(&dir, &err); rn_outdir_abort(&dir) on every path (a no-op after commit
 *   apart from releasing the names), so a failed run leaves no folder behind.
 */
#ifndef REFNET_REPORT_H
#define REFNET_REPORT_H

#include <refnet/io.h>
#include <refnet/util.h>
#include <refnet/value.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- Numbers --------------------------------------------------------------------------- */

/* Shortest decimal form of x that reads back to the same double (at most 17 significant
 * digits), into buf (at least RN_NUMBER_MAX bytes).  Non-finite x gives "" (callers write an
 * empty CSV field or a JSON null). */
#define RN_NUMBER_MAX 32
void rn_format_double(char *buf, double x);

/* ---- Configuration --------------------------------------------------------------------- */

typedef enum rn_cfg_self_loops { RN_SELF_LOOPS_DROP = 0, RN_SELF_LOOPS_ERROR } rn_cfg_self_loops;
typedef enum rn_cfg_on_error { RN_ON_ERROR_FAIL = 0, RN_ON_ERROR_SKIP } rn_cfg_on_error;
typedef enum rn_cfg_teleport { RN_TELEPORT_UNIFORM = 0, RN_TELEPORT_CLV } rn_cfg_teleport;
typedef enum rn_cfg_model { RN_MODEL_COLUMN = 0, RN_MODEL_HISTORIC, RN_MODEL_BGNBD } rn_cfg_model;
typedef enum rn_cfg_time_unit { RN_UNIT_DAY = 0, RN_UNIT_WEEK, RN_UNIT_MONTH } rn_cfg_time_unit;
typedef enum rn_cfg_attribution {
	RN_ATTRIBUTION_EQUAL = 0,
	RN_ATTRIBUTION_FIRST,
	RN_ATTRIBUTION_LAST,
	RN_ATTRIBUTION_WEIGHT,
} rn_cfg_attribution;
typedef enum rn_cfg_group { RN_GROUP_CAMPAIGN = 0, RN_GROUP_CHANNEL } rn_cfg_group;
typedef enum rn_cfg_format {
	RN_FORMAT_HTML = 0,
	RN_FORMAT_MD,
	RN_FORMAT_CSV,
	RN_FORMAT_JSON,
} rn_cfg_format;
typedef enum rn_cfg_graph_export {
	RN_EXPORT_NONE = 0,
	RN_EXPORT_GRAPHML,
	RN_EXPORT_GEXF,
} rn_cfg_graph_export;

/* A list of enum values in the order the file gives them, without duplicates. */
#define RN_ENUM_LIST_MAX 8
typedef struct rn_enum_list {
	uint32_t count;
	int items[RN_ENUM_LIST_MAX];
} rn_enum_list;

/* Where a key's value was found in the file (for errors raised after loading). */
typedef struct rn_config_pos {
	char *key; /* dotted key path, e.g. "centrality.katz.alpha" */
	uint64_t line, column;
} rn_config_pos;

/*
 * The resolved configuration.  Every field holds a value: the file's, or the default from
 * docs/CONFIG.md.  Paths are absolute (resolved against the configuration file's directory);
 * optional inputs that are not given are NULL.  All strings are owned (rn_config_free).
 */
typedef struct rn_config {
	char *source;	/* the configuration file as named by the caller, for messages */
	char *base_dir; /* absolute directory that relative paths are resolved against */
	char *title;
	struct {
		char *referrals;			/* required */
		char *customers, *transactions, *spend; /* NULL when not given */
		rn_columns columns;			/* every name set (defaults filled in) */
		char *date_format;			/* NULL: ISO-8601 */
	} inputs;
	struct {
		rn_dup_policy duplicate_edges;
		rn_cfg_self_loops self_loops;
		rn_cfg_on_error on_error;
	} load;
	struct {
		struct {
			double damping, tolerance;
			rn_cfg_teleport teleport;
		} pagerank;
		struct {
			double alpha; /* 0 when not given: rn_katz_default */
		} katz;
		struct {
			uint64_t exact_max_nodes;
		} reach;
	} centrality;
	struct {
		rn_cfg_model model;
		rn_cfg_time_unit time_unit;
		bool has_calibration_end; /* false: the last transaction date */
		int32_t calibration_end;  /* days since 1970-01-01 */
		double horizon;		  /* in time units */
		double discount_rate;	  /* per year */
		double margin;
	} value;
	struct {
		rn_cfg_attribution attribution;
		double incremental_share;
		bool acquisition_cost_auto; /* true: mean paid CAC */
		double acquisition_cost_saved;
		double generation_decay;
		uint64_t horizon_days;
		double discount_rate; /* per year */
	} referral;
	struct {
		rn_enum_list group_by; /* of rn_cfg_group */
		struct {
			bool enabled;
			uint64_t adstock_max_lag, bootstrap, seed;
		} mix_model;
	} roi;
	struct {
		char *dir;
		rn_enum_list formats; /* of rn_cfg_format */
		uint64_t top;
		rn_cfg_graph_export graph_export;
	} report;
	/* positions of the keys present in the file */
	size_t pos_count;
	rn_config_pos *pos;
} rn_config;

/* Caps that keep a hostile document from exhausting memory or stack. */
#define RN_CONFIG_MAX_BYTES (1u << 20)
#define RN_CONFIG_MAX_DEPTH 16
#define RN_CONFIG_MAX_ALIASES 100

/* Fills cfg with every default; base_dir (may be NULL: the working directory) is where
 * relative paths are resolved.  inputs.referrals stays NULL.  Returns RN_OK or RN_ENOMEM. */
int rn_config_init(rn_config *cfg, const char *base_dir);
void rn_config_free(rn_config *cfg);

/* Loads a configuration file.  Errors: RN_ENOINPUT when the file cannot be read; RN_ECONFIG
 * for anything wrong in it, as "file:line:column: key.path: message"; RN_ENOMEM.  On error cfg
 * is left empty (safe to free). */
int rn_config_load(rn_config *cfg, const char *path, rn_error *err);
/* Same from memory: name is used in messages, base_dir for relative paths (NULL: working
 * directory).  For the built-in default configuration and for tests. */
int rn_config_load_string(rn_config *cfg, const char *text, size_t len, const char *name,
			  const char *base_dir, rn_error *err);

/* Checks that every configured input is an existing, readable regular file.  RN_ENOINPUT
 * names the key and the path ("file:line:col: inputs.customers: cannot open '...': ..."). */
int rn_config_check_inputs(const rn_config *cfg, rn_error *err);

/* Load options for the io layer from the configuration (pointers into cfg): column names,
 * date format, and on_error: skip as skip_bad_rows.  Customers are never created. */
void rn_config_load_options(const rn_config *cfg, rn_load_options *opt);
/* Loads the configured tables into ds (from rn_dataset_init) in the order the loaders need,
 * the referrals only if with_referrals, then rn_dataset_finish; enforces self_loops: error.
 * Errors from the loaders (RN_ENOINPUT, RN_EDATA, RN_EIO, RN_ENOMEM) name file:line:column. */
int rn_config_load_dataset(const rn_config *cfg, rn_dataset *ds, bool with_referrals,
			   rn_error *err);

/* What rn_config_validate_inputs read. */
typedef struct rn_input_summary {
	bool snapshot;	    /* referrals given as a .rnb snapshot */
	uint64_t referrals; /* referral rows (edges before merging) */
	uint64_t nodes, edges, self_loops, duplicates_merged;
	uint64_t customers, transactions, spend; /* rows kept */
	uint64_t skipped_rows;			 /* under on_error: skip */
} rn_input_summary;

/* Everything `refnet check` verifies about the inputs, running no analysis: the files open
 * (rn_config_check_inputs), every table loads with the configured columns and policies, the
 * graph builds under duplicate_edges (a .rnb snapshot is read and verified instead), and
 * value.model: column has a clv column to read. */
int rn_config_validate_inputs(const rn_config *cfg, rn_input_summary *summary, rn_error *err);

/* Size in bytes and XXH3-64 hash of a file's raw bytes, for manifest.json (print the hash as
 * 16 hex digits).  RN_ENOINPUT if it cannot be opened, RN_EIO on a read error. */
int rn_file_fingerprint(const char *path, uint64_t *bytes, uint64_t *xxh3, rn_error *err);

/* Position of a key given in the file; false if the key came from the defaults. */
bool rn_config_position(const rn_config *cfg, const char *key, uint64_t *line, uint64_t *column);
/* Records an error about a key ("file:line:col: key: message"; position of the key when it
 * was given, else the file alone).  Returns code. */
int rn_config_error(const rn_config *cfg, rn_error *err, int code, const char *key, const char *fmt,
		    ...) __attribute__((format(printf, 5, 6)));

/* Name of an enum value as written in the configuration ("sum", "bgnbd", ...). */
const char *rn_config_enum_name(const char *key, int value);

/* The resolved configuration as YAML that rn_config_load reads back to the same values. */
int rn_config_write_yaml(const rn_config *cfg, FILE *out, rn_error *err);

/* ---- JSON writer ----------------------------------------------------------------------- */

/* Streams JSON to a FILE with two-space indentation; commas, nesting and escaping are handled
 * here.  Numbers use rn_format_double; NaN and infinities become null.  Misuse (a value
 * where a key is expected, unbalanced ends, nesting beyond RN_JSON_MAX_DEPTH) is recorded and
 * reported by rn_json_finish as RN_EINTERNAL; a write failure as RN_EIO. */
#define RN_JSON_MAX_DEPTH 64
typedef struct rn_json {
	FILE *out;
	int depth;
	int status;
	bool expect_key[RN_JSON_MAX_DEPTH]; /* per level: object (true) or array */
	bool has_items[RN_JSON_MAX_DEPTH];
	bool after_key;
} rn_json;

void rn_json_init(rn_json *json, FILE *out);
void rn_json_begin_object(rn_json *json);
void rn_json_end_object(rn_json *json);
void rn_json_begin_array(rn_json *json);
void rn_json_end_array(rn_json *json);
void rn_json_key(rn_json *json, const char *key);
void rn_json_string(rn_json *json, const char *s); /* NULL writes null */
void rn_json_number(rn_json *json, double x);
void rn_json_int(rn_json *json, int64_t x);
void rn_json_uint(rn_json *json, uint64_t x);
void rn_json_bool(rn_json *json, bool b);
void rn_json_null(rn_json *json);
/* Ends the document with a newline; returns RN_OK, RN_EINTERNAL or RN_EIO. */
int rn_json_finish(rn_json *json, const char *name, rn_error *err);

/* The resolved configuration as one JSON object (value position: after a key or in an
 * array). */
void rn_config_write_json(const rn_config *cfg, rn_json *json);

/* ---- CSV writer ------------------------------------------------------------------------ */

/* RFC 4180 output: fields with a comma, quote, CR or LF are quoted and quotes doubled; lines
 * end in CRLF-free "\n"; numbers use rn_format_double; an undefined (non-finite) number is an
 * empty field. */
typedef struct rn_csv_writer {
	FILE *out;
	bool row_started;
} rn_csv_writer;

void rn_csvw_init(rn_csv_writer *w, FILE *out);
void rn_csvw_text(rn_csv_writer *w, const char *s); /* NULL: empty field */
void rn_csvw_number(rn_csv_writer *w, double x);
void rn_csvw_uint(rn_csv_writer *w, uint64_t x);
void rn_csvw_int(rn_csv_writer *w, int64_t x);
void rn_csvw_end_row(rn_csv_writer *w);
/* Writes a header row from n names. */
void rn_csvw_header(rn_csv_writer *w, size_t n, const char *const *names);

/* ---- Charts ---------------------------------------------------------------------------- */

typedef enum rn_chart_kind {
	RN_CHART_BAR,	      /* horizontal bars: one per category, series[0].y the lengths */
	RN_CHART_GROUPED_BAR, /* vertical bars: per category one bar per series */
	RN_CHART_SCATTER,     /* points (x, y); optional quadrant lines; sampled above max_points */
	RN_CHART_LOGLOG,    /* log10 axes; series drawn as points and/or lines; x, y <= 0 skipped */
	RN_CHART_HISTOGRAM, /* bins [edges[i], edges[i+1]) with counts in series[0].y */
	RN_CHART_LINE,	    /* linear axes; series drawn as points and/or lines */
} rn_chart_kind;

typedef struct rn_series {
	const char *name;
	size_t count;
	const double *x; /* NULL for bar charts (categories) and histograms */
	const double *y;
	bool points, line; /* how scatter/log-log/line series are drawn */
} rn_series;

typedef struct rn_chart {
	rn_chart_kind kind;
	const char *id;	   /* [a-z0-9_-], unique in a report: file stem and SVG id prefix */
	const char *title; /* <title>, heading */
	const char *desc;  /* <desc>: one sentence saying what the chart shows */
	const char *x_label, *y_label;
	size_t category_count; /* bar and grouped bar */
	const char *const *categories;
	size_t series_count;
	const rn_series *series;
	const double *bin_edges; /* histogram: series[0].count + 1 edges, increasing */
	bool log_x;		 /* histogram: log10 x axis (edges > 0) */
	bool quadrants;		 /* scatter: lines at x = quadrant_x, y = quadrant_y */
	double quadrant_x, quadrant_y;
	const char *quadrant_labels[4]; /* top-right, top-left, bottom-right, bottom-left */
	size_t max_points;		/* scatter sampling cap; 0 means 2000 */
} rn_chart;

/* Nice axis ticks (Heckbert 1990, "Nice numbers for graph labels", Graphics Gems): a step of
 * 1, 2 or 5 times a power of ten giving about target_count ticks that cover [lo, hi].
 * *first is the first tick (<= lo), *count the number of ticks (last >= hi). */
void rn_nice_ticks(double lo, double hi, int target_count, double *first, double *step, int *count);

/* Writes the chart as one <svg> element.  standalone adds the XML declaration.  Non-finite
 * values are skipped (never written as coordinates).  Returns RN_OK, RN_EINTERNAL for an
 * inconsistent chart (missing arrays, decreasing bin edges) or RN_EIO. */
int rn_chart_write_svg(const rn_chart *chart, FILE *out, bool standalone, rn_error *err);
/* The data behind the chart as CSV (category/x, then one column per series). */
int rn_chart_write_csv(const rn_chart *chart, FILE *out, rn_error *err);

/* Index of the sampled point k of m taken from n (deterministic, evenly spaced, first and
 * last included). */
size_t rn_sample_index(size_t k, size_t m, size_t n);

/* ---- Report document ------------------------------------------------------------------- */

typedef enum rn_col_type {
	RN_COL_TEXT,
	RN_COL_INTEGER, /* whole number, no separators */
	RN_COL_DECIMAL, /* 4 significant digits */
	RN_COL_MONEY,	/* 2 decimals with thousands separators */
	RN_COL_PERCENT, /* a fraction shown as a percentage with 1 decimal */
	RN_COL_RATIO,	/* 2 decimals followed by "x" */
} rn_col_type;

/* One table cell: text for RN_COL_TEXT, number otherwise; a NaN number is "n/a". */
typedef struct rn_cell {
	const char *text;
	double number;
} rn_cell;

typedef struct rn_doc rn_doc;

int rn_doc_new(rn_doc **out, const char *title);
void rn_doc_free(rn_doc *doc);
/* Each add copies what it is given.  Returns RN_OK or RN_ENOMEM (or RN_EINTERNAL for a
 * malformed argument: a table with no columns, a row before a table, a chart with a bad id). */
int rn_doc_heading(rn_doc *doc, const char *text);
int rn_doc_paragraph(rn_doc *doc, const char *text);
/* A headline figure; consecutive figures are shown together. */
int rn_doc_figure(rn_doc *doc, const char *label, double value, rn_col_type type, const char *note);
int rn_doc_table(rn_doc *doc, const char *caption, size_t ncols, const char *const *names,
		 const rn_col_type *types);
/* Appends a row of ncols cells to the last table. */
int rn_doc_row(rn_doc *doc, const rn_cell *cells);
int rn_doc_chart(rn_doc *doc, const rn_chart *chart);
/* Footer line (version, generation note); shown at the end. */
int rn_doc_footer(rn_doc *doc, const char *text);

/* Formats a value as shown in the HTML and Markdown tables. */
void rn_format_cell(char *buf, size_t cap, double x, rn_col_type type);

/* One self-contained HTML file: inline CSS (with print rules), inline SVG, no script, no
 * external resource.  Also well-formed XML. */
int rn_doc_write_html(const rn_doc *doc, FILE *out, rn_error *err);
/* Markdown; charts appear as image links to "<id>.svg" with their data in "<id>.csv". */
int rn_doc_write_md(const rn_doc *doc, FILE *out, rn_error *err);
/* Writes "<id>.svg" and "<id>.csv" for every chart into the report folder. */
struct rn_outdir;
int rn_doc_write_chart_files(const rn_doc *doc, struct rn_outdir *dir, rn_error *err);

/* ---- Graph export (report.graph_export) ----------------------------------------------- */

/* A per-node attribute: exactly one of values (n numbers; NaN leaves the attribute out for
 * that node) or text (n strings; NULL leaves it out). */
typedef struct rn_node_attr {
	const char *name;
	const double *values;
	const char *const *text;
} rn_node_attr;

/* The graph as GraphML / GEXF 1.3: node ids are the customer ids from ids (at least g->n of
 * them), edges carry their weight, nodes every attribute.  RN_EINTERNAL for inconsistent
 * arguments, RN_EIO for a failed write. */
int rn_write_graphml(FILE *out, const rn_graph *g, const rn_interner *ids, size_t nattrs,
		     const rn_node_attr *attrs, rn_error *err);
int rn_write_gexf(FILE *out, const rn_graph *g, const rn_interner *ids, size_t nattrs,
		  const rn_node_attr *attrs, rn_error *err);

/* ---- Atomic report folder -------------------------------------------------------------- */

/*
 * rn_outdir_begin creates "<target>.tmp-XXXXXX" beside target; files are created in it with
 * rn_outdir_open and closed (flushed and fsync'ed) with rn_outdir_close; rn_outdir_commit
 * fsyncs the folder and puts it in place of target in one step, removing the previous report.
 * An existing target is replaced only if it is empty or a refnet report (holds
 * manifest.json); anything else is RN_ECANTCREAT and is never touched.  rn_outdir_abort
 * removes the temporary folder if it is still there and releases the names: call it once at
 * the end whether or not the commit happened (a failed commit has already called it; calling
 * it again is harmless).  Errors: RN_ECANTCREAT, RN_EIO.
 */
typedef struct rn_outdir {
	char *target;
	char *tmp; /* NULL once committed or aborted */
} rn_outdir;

int rn_outdir_begin(rn_outdir *dir, const char *target, rn_error *err);
int rn_outdir_open(rn_outdir *dir, const char *name, FILE **out, rn_error *err);
/* Flushes, fsyncs and closes; reports a failed write as RN_EIO.  Always closes out. */
int rn_outdir_close(rn_outdir *dir, const char *name, FILE *out, rn_error *err);
int rn_outdir_commit(rn_outdir *dir, rn_error *err);
void rn_outdir_abort(rn_outdir *dir);

/* ---- Pipeline ---- */

/*
 * The main job (src/report/pipeline*.c, docs/REPORT.md): load -> graph -> centrality ->
 * value -> ROI -> outputs, each stage timed.  What runs depends on the inputs present
 * (DESIGN.md "Data model"): centrality needs only the referrals; value needs transactions or a
 * clv column; ROI needs customers, spend and value.  A skipped analysis is stated in the
 * report with its reason, never filled with made-up numbers.
 *
 * rn_analysis holds everything computed; rn_report_run adds the report folder.  The value and
 * roi commands run the same analysis and write one table each.
 */
typedef struct rn_analysis rn_analysis;

/* Progress: stage is a short name ("load", "centrality", ...); fraction in [0, 1] within the
 * stage, or a negative number when the stage starts.  Called from the calling thread only. */
typedef void (*rn_progress_fn)(void *ctx, const char *stage, double fraction);

typedef enum rn_analysis_depth {
	RN_ANALYSIS_VALUE = 0,  /* load, graph, clv, referral value (no centrality, no ROI) */
	RN_ANALYSIS_ROI,        /* + ROI and the mix model */
	RN_ANALYSIS_FULL,       /* everything the report shows */
} rn_analysis_depth;

typedef struct rn_report_options {
	const char *out_dir;      /* overrides report.dir when not NULL */
	int threads;              /* OpenMP threads; 0: the runtime's default */
	rn_progress_fn progress;  /* may be NULL */
	void *progress_ctx;
} rn_report_options;

/* Headline figures for the command line's closing summary. */
typedef struct rn_report_result {
	char *dir;                /* the report folder (absolute when report.dir was) */
	uint32_t customers;
	uint64_t edges;
	uint32_t cascades;
	uint32_t largest_cascade;
	char *top_influencer;     /* NULL when nobody referred anyone */
	bool has_value, has_roi;
	double total_clv, total_network_value;
	char *verdict;            /* one sentence; NULL when ROI was skipped */
	uint64_t warnings;
	double seconds;
} rn_report_result;

void rn_report_result_free(rn_report_result *res);

/* Runs the analysis to the given depth.  Errors: those of the loaders (RN_EDATA with
 * file:line:column, RN_ENOINPUT, RN_EIO), RN_ECONFIG when a configured model cannot run on
 * the inputs (naming the key), RN_ENOMEM.  *out is NULL after an error. */
int rn_analysis_run(rn_analysis **out, const rn_config *cfg, rn_analysis_depth depth,
		    const rn_report_options *opt, rn_error *err);
void rn_analysis_free(rn_analysis *a);
/* refnet value: customer, clv, crv, network_value, rlv, quadrant.  RN_ECONFIG when the
 * inputs allow no value model. */
int rn_analysis_write_value_csv(const rn_analysis *a, FILE *out, rn_error *err);
/* refnet roi: group, name, spend, customers, cac, value_direct, value_network, roi_direct,
 * roi_total, wom_multiplier; groups campaign, channel, referral_programme. */
int rn_analysis_write_roi_csv(const rn_analysis *a, FILE *out, rn_error *err);

/* The whole job: the analysis and every output of report.formats in the atomic report
 * folder.  A failure leaves no folder and never touches an existing report. */
int rn_report_run(const rn_config *cfg, const rn_report_options *opt, rn_report_result *res,
		  rn_error *err);

/* The built-in default configuration (equivalent to datasets/sample/analysis.yaml) with its
 * inputs resolved against sample_dir and report.dir against the working directory. */
int rn_report_default_config(rn_config *cfg, const char *sample_dir, rn_error *err);
/* The bundled sample folder: $REFNET_SAMPLE_DIR, else the source tree's datasets/sample
 * (RN_SOURCE_DIR) when it exists, else the installed share/refnet/sample (RN_DATADIR).
 * NULL when none holds referrals.csv.  Static storage. */
const char *rn_report_sample_dir(void);

#endif
