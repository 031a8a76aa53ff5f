/*
 * parse.c - strict parsing of the values found in CSV fields: decimal numbers and dates.
 *
 * Numbers.  Spreadsheets and CRM exports produce "1,234", " 5", "NaN", "inf", "0x1p3"; each of
 * those would be accepted by strtod and turned into a silent wrong number, so the grammar is
 * checked first (optional sign, digits with an optional fraction, optional exponent; at least
 * one digit in the mantissa) and only then is the text converted.  Short values, the common
 * case in the hot referral loader ("1", "2.5", "1e3"), are converted exactly without strtod:
 * a mantissa below 2^53 times or divided by an exactly representable power of ten 10^k,
 * k <= 22, is one correctly rounded operation (Clinger 1990, "How to read floating point
 * numbers accurately", the fast path).  Everything else goes to strtod, which rounds
 * correctly in glibc.  The C library's decimal point is locale dependent; refnet never calls
 * setlocale, so it is '.'.
 *
 * Dates are counted in days since 1970-01-01 with the proleptic Gregorian calendar, using
 * Howard Hinnant's days_from_civil / civil_from_days algorithms ("chrono-Compatible Low-Level
 * Date Algorithms", 2013, howardhinnant.github.io/date_algorithms.html): the year is shifted to
 * start in March so that the leap day is the last day of the year, and eras of 400 years
 * (146097 days) make the arithmetic exact for negative years too.
 */
#include <refnet/io.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

int rn_parse_double(const char *s, size_t len, double *out)
{
	size_t i = 0;
	bool negative = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		negative = s[i++] == '-';
	/* Mantissa: the digits are accumulated for the fast path while the grammar is checked. */
	uint64_t mantissa = 0;
	int significant = 0; /* digits accumulated after leading zeros */
	int fraction_digits = 0;
	int digits = 0;
	bool exact = true; /* mantissa holds every digit */
	for (; i < len && is_digit(s[i]); i++, digits++) {
		if (mantissa == 0 && s[i] == '0')
			continue;
		if (significant < 19) {
			mantissa = mantissa * 10 + (uint64_t)(s[i] - '0');
			significant++;
		} else {
			exact = false;
		}
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && is_digit(s[i]); i++, digits++) {
			if (mantissa == 0 && s[i] == '0') {
				fraction_digits++;
				continue;
			}
			if (significant < 19) {
				mantissa = mantissa * 10 + (uint64_t)(s[i] - '0');
				significant++;
				fraction_digits++;
			} else {
				exact = false;
			}
		}
	}
	if (digits == 0)
		return -1;
	long exponent = 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool exp_negative = false;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			exp_negative = s[i++] == '-';
		if (i >= len || !is_digit(s[i]))
			return -1;
		for (; i < len && is_digit(s[i]); i++)
			if (exponent < 100000)
				exponent = exponent * 10 + (s[i] - '0');
		if (exp_negative)
			exponent = -exponent;
	}
	if (i != len)
		return -1;

	/* Clinger's fast path: mantissa < 2^53 and |power of ten| <= 22, both exact doubles. */
	static const double powers[] = {1e0,  1e1,  1e2,  1e3,	1e4,  1e5,  1e6,  1e7,
					1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
					1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	long power = exponent - fraction_digits;
	if (exact && mantissa < (UINT64_C(1) << 53) && power >= -22 && power <= 22) {
		double value = (double)mantissa;
		value = power < 0 ? value / powers[-power] : value * powers[power];
		*out = negative ? -value : value;
		return 0;
	}

	char small[128];
	char *text = len < sizeof small ? small : rn_malloc(len + 1);
	if (!text)
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	double value = strtod(text, NULL);
	if (text != small)
		rn_free(text);
	if (!isfinite(value))
		return -1;
	*out = value;
	return 0;
}

/* ---- Dates ------------------------------------------------------------------------------ */

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Hinnant (2013), days_from_civil. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;				       /* [0, 399] */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	       /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* Hinnant (2013), civil_from_days. */
static void civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;					     /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		     /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;				     /* [0, 11] */
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

/* Reads exactly n digits at s[*i]. */
static bool fixed_digits(const char *s, size_t len, size_t *i, int n, int *value)
{
	if (*i + (size_t)n > len)
		return false;
	int v = 0;
	for (int k = 0; k < n; k++) {
		char ch = s[*i + (size_t)k];
		if (!is_digit(ch))
			return false;
		v = v * 10 + (ch - '0');
	}
	*i += (size_t)n;
	*value = v;
	return true;
}

/* Reads one or two digits (for %m and %d in custom formats: "1/2/2023"). */
static bool short_digits(const char *s, size_t len, size_t *i, int *value)
{
	if (*i >= len || !is_digit(s[*i]))
		return false;
	int v = s[(*i)++] - '0';
	if (*i < len && is_digit(s[*i]))
		v = v * 10 + (s[(*i)++] - '0');
	*value = v;
	return true;
}

static bool expect_char(const char *s, size_t len, size_t *i, char ch)
{
	if (*i >= len || s[*i] != ch)
		return false;
	(*i)++;
	return true;
}

/* hh:mm[:ss[.fff]][Z|+hh:mm|-hh:mm], checked for range and then ignored. */
static bool iso_time(const char *s, size_t len, size_t i)
{
	int hour, minute, second;
	if (!fixed_digits(s, len, &i, 2, &hour) || hour > 23 || !expect_char(s, len, &i, ':') ||
	    !fixed_digits(s, len, &i, 2, &minute) || minute > 59)
		return false;
	if (i < len && s[i] == ':') {
		i++;
		if (!fixed_digits(s, len, &i, 2, &second) || second > 60) /* 60: leap second */
			return false;
		if (i < len && s[i] == '.') {
			i++;
			if (i >= len || !is_digit(s[i]))
				return false;
			while (i < len && is_digit(s[i]))
				i++;
		}
	}
	if (i == len)
		return true;
	if (s[i] == 'Z')
		return i + 1 == len;
	if (s[i] != '+' && s[i] != '-')
		return false;
	i++;
	int off_hour, off_minute;
	if (!fixed_digits(s, len, &i, 2, &off_hour) || off_hour > 23 ||
	    !expect_char(s, len, &i, ':') || !fixed_digits(s, len, &i, 2, &off_minute) ||
	    off_minute > 59)
		return false;
	return i == len;
}

static int finish_date(int year, int month, int day, int32_t *days)
{
	if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
		return -1;
	*days = (int32_t)days_from_civil(year, month, day);
	return 0;
}

int rn_parse_date(const char *s, size_t len, const char *fmt, int32_t *days)
{
	int year = -1, month = -1, day = -1;
	size_t i = 0;
	if (!fmt) {
		if (!fixed_digits(s, len, &i, 4, &year) || !expect_char(s, len, &i, '-') ||
		    !fixed_digits(s, len, &i, 2, &month) || !expect_char(s, len, &i, '-') ||
		    !fixed_digits(s, len, &i, 2, &day))
			return -1;
		if (i < len) {
			if ((s[i] != 'T' && s[i] != ' ') || !iso_time(s, len, i + 1))
				return -1;
		}
		return finish_date(year, month, day, days);
	}
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			if (!expect_char(s, len, &i, *f))
				return -1;
			continue;
		}
		f++;
		bool ok;
		switch (*f) {
		case 'Y':
			ok = fixed_digits(s, len, &i, 4, &year);
			break;
		case 'm':
			ok = short_digits(s, len, &i, &month);
			break;
		case 'd':
			ok = short_digits(s, len, &i, &day);
			break;
		case '%':
			ok = expect_char(s, len, &i, '%');
			break;
		default:
			return -1; /* unsupported directive, or a lone % at the end */
		}
		if (!ok)
			return -1;
	}
	if (i != len || year < 0 || month < 0 || day < 0)
		return -1;
	return finish_date(year, month, day, days);
}

bool rn_date_format_valid(const char *fmt)
{
	bool year = false, month = false, day = false;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%')
			continue;
		f++;
		if (*f == 'Y')
			year = true;
		else if (*f == 'm')
			month = true;
		else if (*f == 'd')
			day = true;
		else if (*f != '%')
			return false;
	}
	return year && month && day;
}

void rn_format_date(int32_t days, char *buf)
{
	int64_t year;
	int month, day;
	if (days == RN_DATE_NONE) {
		buf[0] = '\0';
		return;
	}
	civil_from_days(days, &year, &month, &day);
	if (year < 0 || year > 9999) {
		memcpy(buf, "0000-00-00", 11); /* not a date: outside what the parser accepts */
		return;
	}
	int y = (int)year;
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + month / 10);
	buf[6] = (char)('0' + month % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + day / 10);
	buf[9] = (char)('0' + day % 10);
	buf[10] = '\0';
}
