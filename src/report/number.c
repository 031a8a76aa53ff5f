/*
 * number.c - printing doubles so that they read back exactly.
 *
 * Machine-readable outputs (CSV, JSON, the printed configuration) must round-trip.  "%.17g"
 * always does but turns 0.85 into 0.84999999999999998, which people then copy into their
 * configuration; so we try 15 and 16 significant digits first and keep the shortest form
 * that strtod maps back to the same bits.  Non-finite values have no textual form here: the
 * callers write an empty field or null instead.
 */
#include <refnet/report.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rn_format_double(char *buf, double x)
{
	if (!isfinite(x)) {
		buf[0] = '\0';
		return;
	}
	if (x == 0) {
		/* one spelling for zero: "-0" would differ from "0" in golden files */
		strcpy(buf, "0");
		return;
	}
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buf, RN_NUMBER_MAX, "%.*g", digits, x);
		if (digits == 17 || strtod(buf, NULL) == x)
			return;
	}
}
