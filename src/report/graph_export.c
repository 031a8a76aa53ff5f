/*
 * graph_export.c - the referral graph with every metric as node attributes, as GraphML or
 * GEXF, for Gephi and other network tools.
 *
 * Both are streamed node by node and edge by edge from the CSR, so the export of a large
 * graph needs no memory beyond the output buffer.  Node ids are the customers' own ids
 * (escaped), so that the exported graph joins with customers.csv; edge weights are the merged
 * referral weights.  An undefined metric (NaN) is left out of that node rather than written
 * as a string a tool would misread.  Formats: GraphML 1.0 (graphml.graphdrawing.org,
 * "GraphML Primer"), GEXF 1.3 (gexf.net, "GEXF 1.3 specification").
 */
#include "report/report_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

static int check_args(const rn_graph *g, const rn_interner *ids, size_t nattrs,
		      const rn_node_attr *attrs, rn_error *err)
{
	if (!g || !ids || rn_interner_count(ids) < g->n)
		return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
				    "graph export: fewer id strings than nodes");
	for (size_t a = 0; a < nattrs; a++)
		if (!attrs[a].name || (!attrs[a].values == !attrs[a].text))
			return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
					    "graph export: attribute %zu needs a name and either "
					    "numbers or texts",
					    a);
	return RN_OK;
}

static int finish(FILE *out, const char *what, rn_error *err)
{
	if (fflush(out) || ferror(out))
		return rn_error_set(err, RN_EIO, NULL, 0, 0, "%s export: write failed: %s", what,
				    strerror(errno));
	return RN_OK;
}

static const char *node_id(const rn_interner *ids, uint32_t v)
{
	const char *s = rn_interner_string(ids, v, NULL);
	return s ? s : "";
}

int rn_write_graphml(FILE *out, const rn_graph *g, const rn_interner *ids, size_t nattrs,
		     const rn_node_attr *attrs, rn_error *err)
{
	int status = check_args(g, ids, nattrs, attrs, err);
	if (status)
		return status;
	char num[RN_NUMBER_MAX];
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n",
	      out);
	for (size_t a = 0; a < nattrs; a++) {
		fprintf(out, "<key id=\"d%zu\" for=\"node\" attr.name=\"", a);
		rn_xml_text(out, attrs[a].name);
		fprintf(out, "\" attr.type=\"%s\"/>\n", attrs[a].values ? "double" : "string");
	}
	fputs("<key id=\"weight\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>\n"
	      "<graph id=\"referrals\" edgedefault=\"directed\">\n",
	      out);
	for (uint32_t v = 0; v < g->n; v++) {
		fputs("<node id=\"", out);
		rn_xml_text(out, node_id(ids, v));
		fputs("\">", out);
		for (size_t a = 0; a < nattrs; a++) {
			if (attrs[a].values) {
				if (!isfinite(attrs[a].values[v]))
					continue;
				rn_format_double(num, attrs[a].values[v]);
				fprintf(out, "<data key=\"d%zu\">%s</data>", a, num);
			} else if (attrs[a].text[v]) {
				fprintf(out, "<data key=\"d%zu\">", a);
				rn_xml_text(out, attrs[a].text[v]);
				fputs("</data>", out);
			}
		}
		fputs("</node>\n", out);
	}
	for (uint32_t u = 0; u < g->n; u++)
		for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++) {
			fputs("<edge source=\"", out);
			rn_xml_text(out, node_id(ids, u));
			fputs("\" target=\"", out);
			rn_xml_text(out, node_id(ids, g->targets[e]));
			rn_format_double(num, g->weights ? (double)g->weights[e] : 1.0);
			fprintf(out, "\"><data key=\"weight\">%s</data></edge>\n", num);
		}
	fputs("</graph>\n</graphml>\n", out);
	return finish(out, "GraphML", err);
}

int rn_write_gexf(FILE *out, const rn_graph *g, const rn_interner *ids, size_t nattrs,
		  const rn_node_attr *attrs, rn_error *err)
{
	int status = check_args(g, ids, nattrs, attrs, err);
	if (status)
		return status;
	char num[RN_NUMBER_MAX];
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
	      "<graph defaultedgetype=\"directed\" mode=\"static\">\n"
	      "<attributes class=\"node\">\n",
	      out);
	for (size_t a = 0; a < nattrs; a++) {
		fprintf(out, "<attribute id=\"%zu\" title=\"", a);
		rn_xml_text(out, attrs[a].name);
		fprintf(out, "\" type=\"%s\"/>\n", attrs[a].values ? "double" : "string");
	}
	fputs("</attributes>\n<nodes>\n", out);
	for (uint32_t v = 0; v < g->n; v++) {
		const char *id = node_id(ids, v);
		fputs("<node id=\"", out);
		rn_xml_text(out, id);
		fputs("\" label=\"", out);
		rn_xml_text(out, id);
		fputs("\"><attvalues>", out);
		for (size_t a = 0; a < nattrs; a++) {
			if (attrs[a].values) {
				if (!isfinite(attrs[a].values[v]))
					continue;
				rn_format_double(num, attrs[a].values[v]);
				fprintf(out, "<attvalue for=\"%zu\" value=\"%s\"/>", a, num);
			} else if (attrs[a].text[v]) {
				fprintf(out, "<attvalue for=\"%zu\" value=\"", a);
				rn_xml_text(out, attrs[a].text[v]);
				fputs("\"/>", out);
			}
		}
		fputs("</attvalues></node>\n", out);
	}
	fputs("</nodes>\n<edges>\n", out);
	uint64_t edge = 0;
	for (uint32_t u = 0; u < g->n; u++)
		for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++) {
			fprintf(out, "<edge id=\"%" PRIu64 "\" source=\"", edge++);
			rn_xml_text(out, node_id(ids, u));
			fputs("\" target=\"", out);
			rn_xml_text(out, node_id(ids, g->targets[e]));
			rn_format_double(num, g->weights ? (double)g->weights[e] : 1.0);
			fprintf(out, "\" weight=\"%s\"/>\n", num);
		}
	fputs("</edges>\n</graph>\n</gexf>\n", out);
	return finish(out, "GEXF", err);
}
