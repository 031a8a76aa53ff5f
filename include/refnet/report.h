/*
 * refnet/report.h - the batch job: YAML configuration, tables, SVG charts and the
 * HTML/Markdown/CSV/JSON writers.
 */
#ifndef REFNET_REPORT_H
#define REFNET_REPORT_H

#include <refnet/util.h>
#include <refnet/value.h>

#endif
