/*
 * plain_decimal.h - the loaders' fast path for the numbers CRM exports are mostly made of.
 */
#ifndef RN_IO_PLAIN_DECIMAL_H
#define RN_IO_PLAIN_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A field of 1 to 15 bytes of digits with at most one '.' and at least one digit ("1",
 * "0.00", "19.95", ".5", "3."): sets *out to the value rn_parse_double gives it, bit for bit
 * (the mantissa is below 10^15 < 2^53 and the power of ten at most 10^14, so this is the
 * exact division of rn_parse_double's fast path), and returns true.  Anything else returns
 * false and is left to rn_parse_double.  Inline, because in a loader the calls were most of
 * the cost: the weight and reward of the 1e7 referrals file took 0.77 s of the reading
 * thread's CPU through rn_parse_double, and 0.53 s inline in a profiled run that was 20 %
 * slower overall (perf, one run each); the load's wall time did not move beyond the noise
 * (four alternating runs each: 3.02-3.59 s before, 2.79-3.45 s after). */
static inline bool rn_plain_decimal(const char *s, size_t len, double *out)
{
	static const double tens[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,	1e6, 1e7,
				      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14};
	if (len == 0 || len > 15)
		return false;
	uint64_t mantissa = 0;
	size_t digits = 0, point = len;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';
		if (d <= 9) {
			mantissa = mantissa * 10 + d;
			digits++;
		} else if (s[i] == '.' && point == len) {
			point = i;
		} else {
			return false;
		}
	}
	if (digits == 0)
		return false;
	size_t fraction = point == len ? 0 : len - 1 - point;
	*out = fraction ? (double)mantissa / tens[fraction] : (double)mantissa;
	return true;
}

#endif
