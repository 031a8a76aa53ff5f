/*
 * number.c - printing doubles so that they read back exactly.
 *
 * Machine-readable outputs (CSV, JSON, the printed configuration) must round-trip.  "%.17g"
 * always does but turns 0.85 into 0.84999999999999998, which people then copy into their
 * configuration; so we print the shortest of "%.15g", "%.16g" and "%.17g" that strtod maps back
 * to the same bits.  Non-finite values have no textual form here: the callers write an empty
 * field or null instead.
 *
 * Done literally that takes up to three snprintf and two strtod calls a number, and a report
 * on 1e7 customers prints 1e8 numbers (a fifth of its run time went to printf's digit
 * generation).  One call is enough: "%.16e" gives the 17 significant digits D correctly
 * rounded, and rounding D to 16 or 15 digits gives the same digits as rounding x, except when
 * the digits dropped are exactly 5 or 50, where x may lie on either side of the midpoint; there
 * snprintf rounds x itself.  Whether a candidate reads back follows from its distance to x,
 * which is its distance to D within half a unit of D's last digit, against half an ulp of x;
 * strtod is asked only when the two are too close to tell.  The %g layout (fixed or
 * exponent, trailing zeros dropped) is then written from the digits.  tests/test_writers.c
 * compares the result with the literal rule on millions of values.
 */
#include <refnet/report.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes the digits dig[0..prec) of a value whose first digit has decimal exponent exp as
 * printf's "%.{prec}g" lays them out: exponent form when exp < -4 or exp >= prec, trailing
 * zeros of the fraction and a bare point dropped. */
static void layout_g(char *buf, bool negative, const char *dig, int prec, int exp)
{
	int len = prec;
	while (len > 1 && dig[len - 1] == '0')
		len--;
	char *p = buf;
	if (negative)
		*p++ = '-';
	if (exp < -4 || exp >= prec) {
		*p++ = dig[0];
		if (len > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)len - 1);
			p += len - 1;
		}
		sprintf(p, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	if (exp < 0) {
		*p++ = '0';
		*p++ = '.';
		for (int k = -1; k > exp; k--)
			*p++ = '0';
		memcpy(p, dig, (size_t)len);
		p += len;
	} else {
		for (int k = 0; k <= exp; k++)
			*p++ = k < len ? dig[k] : '0';
		if (len > exp + 1) {
			*p++ = '.';
			memcpy(p, dig + exp + 1, (size_t)(len - exp - 1));
			p += len - exp - 1;
		}
	}
	*p = '\0';
}

/* The literal rule for one precision: "%.{prec}g", kept when it reads back to x (always at
 * 17). */
static bool literal(char *buf, double x, int prec)
{
	snprintf(buf, RN_NUMBER_MAX, "%.*g", prec, x);
	return prec == 17 || strtod(buf, NULL) == x;
}

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
	char text[40];
	snprintf(text, sizeof text, "%.16e", fabs(x)); /* d.dddddddddddddddde[+-]XX */
	char d17[17];
	d17[0] = text[0];
	memcpy(d17 + 1, text + 2, 16);
	int exp17 = atoi(text + 19);
	/* Half an ulp of x in units of D's last digit, 10^(exp17 - 16): `wide` above x, `narrow`
	 * below, which is half as much when x is a power of two (the doubles below it are
	 * twice as dense).  The ratio lies between about 0.5 and 11, and the exponent sum is
	 * exact to 1e-13 relative, far inside the margins below. */
	int e2;
	double mantissa = frexp(fabs(x), &e2);
	int half_exp = fabs(x) < DBL_MIN ? -1075 : e2 - 54;
	double wide = exp2((double)half_exp + (double)(16 - exp17) * 3.321928094887362);
	double narrow = mantissa == 0.5 && fabs(x) >= DBL_MIN ? wide / 2 : wide;
	for (int prec = 15; prec <= 16; prec++) {
		/* the dropped digits as a number, in units of D's last digit */
		int tail = prec == 16 ? d17[16] - '0' : (d17[15] - '0') * 10 + (d17[16] - '0');
		int half_tail = prec == 16 ? 5 : 50;
		if (tail == half_tail) { /* x may lie on either side: let snprintf round it */
			if (literal(buf, x, prec))
				return;
			continue;
		}
		bool up = tail > half_tail;
		int distance = up ? 2 * half_tail - tail : tail;
		if (distance - 0.5 > wide * (1.0 + 1e-9))
			continue; /* farther from x than half an ulp: reads back to another double
				   */
		char dig[17];
		int exp = exp17;
		memcpy(dig, d17, (size_t)prec);
		if (up) {
			int k = prec - 1;
			while (k >= 0 && dig[k] == '9')
				dig[k--] = '0';
			if (k >= 0) {
				dig[k]++;
			} else { /* 99..9 rounded up: 10..0, one decimal place higher */
				dig[0] = '1';
				exp++;
			}
		}
		layout_g(buf, x < 0, dig, prec, exp);
		if (distance + 0.5 < narrow * (1.0 - 1e-9) || strtod(buf, NULL) == x)
			return;
	}
	layout_g(buf, x < 0, d17, 17, exp17);
}
