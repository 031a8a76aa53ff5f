/*
 * report_internal.h - helpers shared by the files of src/report and not part of the public
 * API: XML text escaping and chart validation, used by both the SVG and the HTML writers.
 */
#ifndef REFNET_REPORT_INTERNAL_H
#define REFNET_REPORT_INTERNAL_H

#include <refnet/report.h>

#include <stdio.h>

/* XML/HTML text content: & < > " ' escaped, control characters XML forbids dropped, invalid
 * UTF-8 replaced by U+FFFD.  NULL writes nothing. */
void rn_xml_text(FILE *out, const char *s);
/* RN_OK, or RN_EINTERNAL naming what is inconsistent in the chart. */
int rn_chart_validate(const rn_chart *chart, rn_error *err);

#endif
