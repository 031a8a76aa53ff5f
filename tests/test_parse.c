/* test_parse.c - strict numbers, ISO and custom dates, day counting and formatting. */
#include <refnet/io.h>

#include "check.h"
#include "io/plain_decimal.h"

static int parse_number(const char *text, double *out)
{
	return rn_parse_double(text, strlen(text), out);
}

static int parse_date(const char *text, const char *fmt, int32_t *days)
{
	return rn_parse_date(text, strlen(text), fmt, days);
}

static void test_double_accepts(void)
{
	double v = 0;
	/* Exact comparisons: each value below is the correctly rounded double of its text, the
	 * same as the C compiler produces for the literal. */
	CHECK_INT(parse_number("1", &v), 0);
	CHECK(v == 1.0);
	CHECK_INT(parse_number("-2.5", &v), 0);
	CHECK(v == -2.5);
	CHECK_INT(parse_number("+7", &v), 0);
	CHECK(v == 7.0);
	CHECK_INT(parse_number("1e3", &v), 0);
	CHECK(v == 1000.0);
	CHECK_INT(parse_number("1E-2", &v), 0);
	CHECK(v == 1e-2);
	CHECK_INT(parse_number(".5", &v), 0);
	CHECK(v == 0.5);
	CHECK_INT(parse_number("5.", &v), 0);
	CHECK(v == 5.0);
	CHECK_INT(parse_number("0.1", &v), 0);
	CHECK(v == 0.1);
	CHECK_INT(parse_number("0", &v), 0);
	CHECK(v == 0.0);
	CHECK_INT(parse_number("000123.4500", &v), 0);
	CHECK(v == 123.45);
	CHECK_INT(parse_number("19.99", &v), 0);
	CHECK(v == 19.99);
	/* Slow path (strtod): more than 19 significant digits, large exponents. */
	CHECK_INT(parse_number("12345678901234567890123", &v), 0);
	CHECK(v == 12345678901234567890123.0);
	CHECK_INT(parse_number("0.30000000000000000000001", &v), 0);
	CHECK(v == 0.30000000000000000000001);
	CHECK_INT(parse_number("1.5e300", &v), 0);
	CHECK(v == 1.5e300);
	CHECK_INT(parse_number("2.2250738585072014e-308", &v), 0);
	CHECK(v == 2.2250738585072014e-308);
	CHECK_INT(parse_number("9007199254740993", &v), 0); /* 2^53 + 1: rounds to even */
	CHECK(v == 9007199254740992.0);
	CHECK_INT(parse_number("1e-400", &v), 0); /* underflow is 0, not an error */
	CHECK(v == 0.0);
	/* A field is not NUL-terminated: only len bytes count. */
	CHECK_INT(rn_parse_double("12,34", 2, &v), 0);
	CHECK(v == 12.0);
	/* A long value goes through a heap copy. */
	char longtext[300];
	memset(longtext, '0', sizeof longtext - 3);
	memcpy(longtext + sizeof longtext - 3, "42", 3);
	CHECK_INT(parse_number(longtext, &v), 0);
	CHECK(v == 42.0);
}

static void test_double_rejects(void)
{
	static const char *const bad[] = {
	    "",	     " 1",    "1 ",    "1,5",	 "NaN", "nan", "Inf",	"-inf", "infinity",
	    "0x10",  "0x1p3", "1e",    "1e+",	 "e5",	".",   "-",	"+",	"1.2.3",
	    "1e5.5", "--1",   "1e400", "-1e400", "1d",	"١",   "1_000", "abc",	".e1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		double v = -99;
		int rc = parse_number(bad[i], &v);
		if (rc != -1)
			fprintf(stderr, "accepted '%s'\n", bad[i]);
		CHECK_INT(rc, -1);
		CHECK(v == -99); /* untouched on failure */
	}
}

static void test_iso_dates(void)
{
	int32_t d = 0;
	CHECK_INT(parse_date("1970-01-01", NULL, &d), 0);
	CHECK_INT(d, 0);
	CHECK_INT(parse_date("1970-01-02", NULL, &d), 0);
	CHECK_INT(d, 1);
	CHECK_INT(parse_date("1969-12-31", NULL, &d), 0);
	CHECK_INT(d, -1);
	CHECK_INT(parse_date("2000-03-01", NULL, &d), 0);
	CHECK_INT(d, 11017); /* date -d 2000-03-01 +%s / 86400 */
	CHECK_INT(parse_date("2024-02-29", NULL, &d), 0);
	CHECK_INT(d, 19782);
	CHECK_INT(parse_date("1997-09-30", NULL, &d), 0);
	CHECK_INT(d, 10134);
	CHECK_INT(parse_date("0000-01-01", NULL, &d), 0);
	CHECK_INT(d, -719528);
	CHECK_INT(parse_date("9999-12-31", NULL, &d), 0);
	CHECK_INT(d, 2932896);
	/* Times are validated and ignored. */
	static const char *const with_time[] = {
	    "2024-02-29T13:45",
	    "2024-02-29 13:45",
	    "2024-02-29T13:45:59",
	    "2024-02-29T23:59:60",
	    "2024-02-29T13:45:59.123",
	    "2024-02-29T13:45:59Z",
	    "2024-02-29T13:45+01:00",
	    "2024-02-29T00:00:00.5-05:30",
	    "2024-02-29 13:45:59.000001Z",
	};
	for (size_t i = 0; i < sizeof with_time / sizeof with_time[0]; i++) {
		d = 0;
		CHECK_INT(parse_date(with_time[i], NULL, &d), 0);
		CHECK_INT(d, 19782);
	}
	/* Leap years: divisible by 4, except centuries, except every 400 years. */
	CHECK_INT(parse_date("2000-02-29", NULL, &d), 0);
	CHECK_INT(d, 11016);
	CHECK_INT(parse_date("1900-02-29", NULL, &d), -1);
	CHECK_INT(parse_date("2023-02-29", NULL, &d), -1);
	static const char *const bad[] = {
	    "",
	    "2023-02-30",
	    "2023-04-31",
	    "2023-13-01",
	    "2023-00-10",
	    "2023-01-00",
	    "2023-1-05",
	    "23-01-05",
	    "2023/01/05",
	    "2023-01-05T",
	    "2023-01-05 ",
	    "2023-01-05T24:00",
	    "2023-01-05T12:60",
	    "2023-01-05T12",
	    "2023-01-05T12:30:61",
	    "2023-01-05T12:30:00.",
	    "2023-01-05T12:30Zx",
	    "2023-01-05T12:30+0100",
	    "2023-01-05T12:30+24:00",
	    "2023-01-05x",
	    " 2023-01-05",
	    "20230105",
	    "2023-01-05T1:30",
	    "+2023-01-05",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		d = 42;
		int rc = parse_date(bad[i], NULL, &d);
		if (rc != -1)
			fprintf(stderr, "accepted '%s'\n", bad[i]);
		CHECK_INT(rc, -1);
		CHECK_INT(d, 42);
	}
}

static void test_custom_dates(void)
{
	int32_t d = 0;
	CHECK_INT(parse_date("29/02/2024", "%d/%m/%Y", &d), 0);
	CHECK_INT(d, 19782);
	CHECK_INT(parse_date("2/29/2024", "%m/%d/%Y", &d), 0);
	CHECK_INT(d, 19782);
	CHECK_INT(parse_date("20240229", "%Y%m%d", &d), 0);
	CHECK_INT(d, 19782);
	CHECK_INT(parse_date("2024-02-29", "%Y-%m-%d", &d), 0);
	CHECK_INT(d, 19782);
	CHECK_INT(parse_date("d=2024.2.29%", "d=%Y.%m.%d%%", &d), 0);
	CHECK_INT(d, 19782);
	CHECK_INT(parse_date("30/02/2024", "%d/%m/%Y", &d), -1);       /* calendar */
	CHECK_INT(parse_date("29/02/24", "%d/%m/%Y", &d), -1);	       /* %Y is 4 digits */
	CHECK_INT(parse_date("29-02-2024", "%d/%m/%Y", &d), -1);       /* literal mismatch */
	CHECK_INT(parse_date("29/02/2024 ", "%d/%m/%Y", &d), -1);      /* trailing text */
	CHECK_INT(parse_date("29/02", "%d/%m", &d), -1);	       /* no year */
	CHECK_INT(parse_date("2024-02-29", "%Y-%m-%e", &d), -1);       /* unsupported */
	CHECK_INT(parse_date("2024-02-29", "%Y-%m-%d%", &d), -1);      /* lone % */
	CHECK_INT(parse_date("2024-02-29T10:00", "%Y-%m-%d", &d), -1); /* no time in formats */
	CHECK(rn_date_format_valid("%d/%m/%Y"));
	CHECK(rn_date_format_valid("%Y%m%d"));
	CHECK(rn_date_format_valid("%%%Y-%m-%d"));
	CHECK(!rn_date_format_valid("%Y-%m"));
	CHECK(!rn_date_format_valid("%Y-%m-%d %H"));
	CHECK(!rn_date_format_valid("%Y-%m-%d%"));
	CHECK(!rn_date_format_valid(""));
}

static void test_format_date(void)
{
	char buf[11];
	rn_format_date(0, buf);
	CHECK_STR(buf, "1970-01-01");
	rn_format_date(-1, buf);
	CHECK_STR(buf, "1969-12-31");
	rn_format_date(19782, buf);
	CHECK_STR(buf, "2024-02-29");
	rn_format_date(-719528, buf);
	CHECK_STR(buf, "0000-01-01");
	rn_format_date(2932896, buf);
	CHECK_STR(buf, "9999-12-31");
	rn_format_date(2932897, buf); /* 10000-01-01 does not fit */
	CHECK_STR(buf, "0000-00-00");
	rn_format_date(RN_DATE_NONE, buf);
	CHECK_STR(buf, "");
	/* Every day from 0000-01-01 to 9999-12-31 round-trips through text, and consecutive
	 * days differ by one: the two Hinnant algorithms are inverse of each other. */
	int failures = 0;
	for (int32_t day = -719528; day <= 2932896; day++) {
		int32_t back = 0;
		rn_format_date(day, buf);
		if (rn_parse_date(buf, 10, NULL, &back) != 0 || back != day)
			failures++;
	}
	CHECK_INT(failures, 0);
}

/* Checks the loaders' fast path on s: when it takes s, rn_parse_double takes it too with the
 * same bits; it takes every field of 1-15 bytes of digits and at most one '.' with a digit. */
static bool plain_agrees(const char *s, size_t len)
{
	double fast = -1, slow = -1;
	bool taken = rn_plain_decimal(s, len, &fast);
	size_t digits = 0, points = 0;
	for (size_t i = 0; i < len; i++) {
		digits += s[i] >= '0' && s[i] <= '9';
		points += s[i] == '.';
	}
	bool plain = len <= 15 && digits > 0 && digits + points == len && points <= 1;
	if (taken != plain)
		return false;
	return !taken ||
	       (rn_parse_double(s, len, &slow) == 0 && memcmp(&fast, &slow, sizeof fast) == 0);
}

/* Every string of up to 6 bytes over digits, '.', and the bytes that end the fast path (sign,
 * exponent, a letter, a space, a second '.'), then random digit strings of 7-17 bytes with and
 * without a point, across the 15-byte limit. */
static void test_plain_decimal(void)
{
	static const char alphabet[] = "019.-e x+";
	enum { K = sizeof alphabet - 1 };
	char s[24];
	int bad = 0;
	long total = 0, taken = 0;
	for (size_t len = 0; len <= 6; len++) {
		long combos = 1;
		for (size_t i = 0; i < len; i++)
			combos *= K;
		for (long c = 0; c < combos; c++) {
			long r = c;
			for (size_t i = 0; i < len; i++, r /= K)
				s[i] = alphabet[r % K];
			double v;
			taken += rn_plain_decimal(s, len, &v);
			bad += !plain_agrees(s, len);
			total++;
		}
	}
	uint64_t state = 7;
	for (int k = 0; k < 200000; k++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		size_t len = 7 + (size_t)(state >> 60) % 11;
		for (size_t i = 0; i < len; i++)
			s[i] = (char)('0' + (state >> (3 * i % 50)) % 10);
		if (state >> 59 & 1)
			s[(state >> 20) % len] = '.';
		bad += !plain_agrees(s, len);
	}
	CHECK_INT(bad, 0);
	/* taken: over "019" with at most one '.', 3 + 15 + 54 + 189 + 648 + 2187 strings */
	CHECK_INT(taken, 3096);
	CHECK(total > 500000);
	double v = 0;
	CHECK(rn_plain_decimal("0.1", 3, &v) && v == 0.1);
	CHECK(rn_plain_decimal("19.95", 5, &v) && v == 19.95);
	CHECK(rn_plain_decimal("123456789012345", 15, &v) && v == 123456789012345.0);
	CHECK(!rn_plain_decimal("1234567890123456", 16, &v));
	CHECK(!rn_plain_decimal(".", 1, &v) && !rn_plain_decimal("1.2.3", 5, &v));
}

int main(void)
{
	test_plain_decimal();
	test_double_accepts();
	test_double_rejects();
	test_iso_dates();
	test_custom_dates();
	test_format_date();
	return check_report();
}
