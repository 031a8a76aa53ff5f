/*
 * params.c - the generator's parameters: defaults with their sources, setting one parameter
 * from text, and the flat YAML configuration form.
 *
 * One table of keys serves the command line (`--set key=value` and the named options) and the
 * configuration file, so both accept exactly the same names, ranges and error messages.  The
 * defaults and where they come from are listed in docs/GENERATOR.md.
 */
#include <refnet/gen.h>

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- Dates ------------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date; the era arithmetic follows Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms" (2013), days_from_civil. */
static int32_t days_from_civil(int32_t y, int32_t m, int32_t d)
{
	y -= m <= 2;
	int32_t era = (y >= 0 ? y : y - 399) / 400;
	int32_t yoe = y - era * 400;
	int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void rn_gen_format_date(int32_t days, char *buf)
{
	/* Inverse of days_from_civil (Hinnant 2013, civil_from_days). */
	int32_t z = days + 719468;
	int32_t era = (z >= 0 ? z : z - 146096) / 146097;
	int32_t doe = z - era * 146097;
	int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int32_t y = yoe + era * 400;
	int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int32_t mp = (5 * doy + 2) / 153;
	int32_t d = doy - (153 * mp + 2) / 5 + 1;
	int32_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999) {
		snprintf(buf, 11, "0000-00-00");
		return;
	}
	const int32_t parts[3] = {y, m, d}, widths[3] = {4, 2, 2};
	int at = 0;
	for (int k = 0; k < 3; k++) {
		int32_t v = parts[k];
		for (int digit = widths[k] - 1; digit >= 0; digit--) {
			buf[at + digit] = (char)('0' + v % 10);
			v /= 10;
		}
		at += widths[k];
		if (k < 2)
			buf[at++] = '-';
	}
	buf[10] = '\0';
}

int rn_gen_parse_date(const char *s, int32_t *days)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int32_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int32_t m = (s[5] - '0') * 10 + (s[6] - '0');
	int32_t d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	int32_t value = days_from_civil(y, m, d);
	char back[11];
	rn_gen_format_date(value, back);
	if (memcmp(back, s, 10) != 0) /* 2023-02-30 does not round-trip */
		return -1;
	*days = value;
	return 0;
}

/* ---- Defaults --------------------------------------------------------------------------- */

/* Channel presets.  Spend and half-saturation are per 1e5 customers (see gen.h); betas are
 * relative.  The shapes follow the usual pattern of mix-model studies (Jin et al. 2017): search
 * short carryover, TV long carryover and an S-shaped response, display nearly concave.  Every
 * theta and shape lies on the grid of refnet's mix model (src/value/mix.c), and K is near the
 * typical adstock of the channel, so that the response curve is seen on both sides of K.
 * Campaigns flight on and off (no channel is always on) so that spend varies enough for a mix
 * model to separate the response from the baseline. */
static const rn_gen_channel presets[] = {
	{"search", 3, 3000.0, 0.60, 5.0, 225.0, 0.30, 5700.0, 1.5},
	{"social", 3, 2500.0, 0.60, 5.0, 150.0, 0.50, 12000.0, 1.25},
	{"display", 2, 2000.0, 0.60, 6.0, 90.0, 0.40, 5000.0, 1.0},
	{"tv", 2, 15000.0, 0.40, 4.0, 225.0, 0.70, 37500.0, 2.5},
	{"email", 2, 500.0, 0.80, 10.0, 60.0, 0.20, 1000.0, 1.0},
	{"video", 2, 4000.0, 0.50, 6.0, 100.0, 0.60, 17000.0, 2.0},
	{"affiliate", 2, 1500.0, 0.90, 20.0, 80.0, 0.10, 2800.0, 1.0},
};
static const rn_gen_channel generic_channel = {"", 2, 2000.0, 0.60, 6.0, 100.0, 0.40, 5000.0,
					       1.5};

static void channel_preset(rn_gen_channel *c, const char *name)
{
	*c = generic_channel;
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
		if (!strcmp(presets[i].name, name))
			*c = presets[i];
	snprintf(c->name, sizeof c->name, "%s", name);
}

void rn_gen_params_default(rn_gen_params *p)
{
	memset(p, 0, sizeof *p);
	p->customers = 0; /* no default size: the caller must choose one */
	p->seed = 1;
	p->start = days_from_civil(2024, 1, 1);
	p->weeks = 104;
	p->threads = 0;
	p->messy = 0;
	p->n_channels = 4;
	for (uint32_t i = 0; i < 4; i++)
		p->channel[i] = presets[i];
	p->adstock_max_lag = 8; /* DESIGN.md roi.mix_model.adstock_max_lag */
	p->organic_base = 400.0;
	p->organic_trend = 0.2;
	p->organic_season = 0.15;
	/* Referrals: about 30 % of customers refer (Kumar, Petersen & Leone 2007, HBR 85(10));
	 * mean successful referrals per customer 0.2, inside the 0.05-0.3 range of recommendation
	 * cascades (Leskovec, Adamic & Huberman 2007); heavy-tailed successes per referrer. */
	p->refer_share = 0.30;
	p->mean_offspring = 0.20;
	p->offspring_sigma = 1.5;
	p->max_offspring = 10000;
	p->delay_mean_days = 30.0;
	p->delay_shape = 2.0;
	p->wom_rate = 0.03;
	p->wom_reciprocal = 0.5;
	p->heavy_weight_share = 0.05;
	p->reward = 10.0;
	/* BG/NBD on CDNOW, weeks (Fader, Hardie & Lee 2005, Marketing Science 24(2), table 1). */
	p->bgnbd_r = 0.243;
	p->bgnbd_alpha = 4.414;
	p->bgnbd_a = 0.793;
	p->bgnbd_b = 2.426;
	/* Gamma-Gamma on CDNOW (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"). */
	p->gg_p = 6.25;
	p->gg_q = 3.74;
	p->gg_gamma = 15.44;
	/* Referred customers are 16 % more valuable (Schmitt, Skiera & Van den Bulte 2011,
	 * Journal of Marketing 75(1)). */
	p->referred_value_lift = 1.16;
}

/* ---- Setting one key -------------------------------------------------------------------- */

enum kind { K_U64, K_U32, K_DOUBLE, K_BOOL, K_INT };

struct key_spec {
	const char *name;
	enum kind kind;
	size_t offset;
	double min, max;     /* inclusive bounds */
	int min_open;        /* 1: the lower bound is exclusive */
};

#define P(field) offsetof(rn_gen_params, field)
static const struct key_spec keys[] = {
	{"customers", K_U64, P(customers), 1, (double)RN_GEN_MAX_CUSTOMERS, 0},
	{"seed", K_U64, P(seed), 0, 18446744073709551615.0, 0}, /* any uint64 */
	{"weeks", K_U32, P(weeks), 1, RN_GEN_MAX_WEEKS, 0},
	{"threads", K_INT, P(threads), 0, 1024, 0},
	{"messy", K_BOOL, P(messy), 0, 1, 0},
	{"adstock_max_lag", K_U32, P(adstock_max_lag), 1, 52, 0},
	{"organic_base", K_DOUBLE, P(organic_base), 0, 1e12, 0},
	{"organic_trend", K_DOUBLE, P(organic_trend), -0.9, 10, 0},
	{"organic_season", K_DOUBLE, P(organic_season), 0, 0.99, 0},
	{"refer_share", K_DOUBLE, P(refer_share), 0, 1, 1},
	{"mean_offspring", K_DOUBLE, P(mean_offspring), 0, 0.95, 0},
	{"offspring_sigma", K_DOUBLE, P(offspring_sigma), 0, 4, 1},
	{"max_offspring", K_U32, P(max_offspring), 1, 1000000, 0},
	{"delay_mean_days", K_DOUBLE, P(delay_mean_days), 0, 3650, 1},
	{"delay_shape", K_DOUBLE, P(delay_shape), 0, 100, 1},
	{"wom_rate", K_DOUBLE, P(wom_rate), 0, 50, 0},
	{"wom_reciprocal", K_DOUBLE, P(wom_reciprocal), 0, 1, 0},
	{"heavy_weight_share", K_DOUBLE, P(heavy_weight_share), 0, 1, 0},
	{"reward", K_DOUBLE, P(reward), 0, 1e9, 0},
	{"bgnbd_r", K_DOUBLE, P(bgnbd_r), 0, 1e6, 1},
	{"bgnbd_alpha", K_DOUBLE, P(bgnbd_alpha), 0, 1e6, 1},
	{"bgnbd_a", K_DOUBLE, P(bgnbd_a), 0, 1e6, 1},
	{"bgnbd_b", K_DOUBLE, P(bgnbd_b), 0, 1e6, 1},
	{"gg_p", K_DOUBLE, P(gg_p), 0, 1e6, 1},
	{"gg_q", K_DOUBLE, P(gg_q), 1, 1e6, 1},
	{"gg_gamma", K_DOUBLE, P(gg_gamma), 0, 1e9, 1},
	{"referred_value_lift", K_DOUBLE, P(referred_value_lift), 0, 100, 1},
};
#undef P

#define C(field) offsetof(rn_gen_channel, field)
static const struct key_spec channel_keys[] = {
	{"campaigns", K_U32, C(campaigns), 1, RN_GEN_MAX_CAMPAIGNS, 0},
	{"spend", K_DOUBLE, C(spend), 0, 1e12, 1},
	{"on_share", K_DOUBLE, C(on_share), 0, 1, 1},
	{"flight_weeks", K_DOUBLE, C(flight_weeks), 1, 1e4, 0},
	{"beta", K_DOUBLE, C(beta), 0, 1e12, 0},
	{"theta", K_DOUBLE, C(theta), 0, 0.99, 0},
	{"half_saturation", K_DOUBLE, C(half_saturation), 0, 1e15, 1},
	{"shape", K_DOUBLE, C(shape), 0, 20, 1},
};
#undef C

static int parse_number(const char *value, double *out)
{
	if (!*value)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (*end || errno || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_u64(const char *value, uint64_t *out)
{
	/* Accept plain integers and exact forms such as 1e7, which benchmarks like to use. */
	const char *s = value;
	if (!*s || *s == '-' || *s == '+')
		return -1;
	int plain = 1;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			plain = 0;
	if (plain) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(value, &end, 10);
		if (*end || errno)
			return -1;
		*out = v;
		return 0;
	}
	double v;
	if (parse_number(value, &v) || v < 0 || v > 9.0e15 || v != floor(v))
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int set_field(void *base, const struct key_spec *spec, const char *key, const char *value,
		     rn_error *err)
{
	char *field = (char *)base + spec->offset;
	if (spec->kind == K_BOOL) {
		int b;
		if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
			b = 1;
		else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
			b = 0;
		else
			return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
					    "%s: expected true or false, got '%s'", key, value);
		memcpy(field, &b, sizeof b);
		return RN_OK;
	}
	double number;
	uint64_t whole = 0;
	if (spec->kind == K_DOUBLE) {
		if (parse_number(value, &number))
			return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
					    "%s: expected a number, got '%s'", key, value);
	} else {
		if (parse_u64(value, &whole))
			return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
					    "%s: expected a non-negative integer, got '%s'", key,
					    value);
		number = (double)whole;
	}
	if (number > spec->max || number < spec->min || (spec->min_open && number <= spec->min))
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0, "%s: %s is out of range (%s%g, %g]",
				    key, value, spec->min_open ? "" : "=", spec->min, spec->max);
	switch (spec->kind) {
	case K_U64:
		memcpy(field, &whole, sizeof whole);
		break;
	case K_U32: {
		uint32_t v = (uint32_t)whole;
		memcpy(field, &v, sizeof v);
		break;
	}
	case K_INT: {
		int v = (int)whole;
		memcpy(field, &v, sizeof v);
		break;
	}
	case K_DOUBLE:
		memcpy(field, &number, sizeof number);
		break;
	case K_BOOL:
		break;
	}
	return RN_OK;
}

static int valid_channel_name(const char *name, size_t len)
{
	if (len == 0 || len >= RN_GEN_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static int set_channels(rn_gen_params *p, const char *value, rn_error *err)
{
	rn_gen_params next = *p;
	next.n_channels = 0;
	const char *s = value;
	for (;;) {
		while (*s == ' ')
			s++;
		size_t len = strcspn(s, ",");
		size_t trimmed = len;
		while (trimmed > 0 && s[trimmed - 1] == ' ')
			trimmed--;
		if (!valid_channel_name(s, trimmed))
			return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
					    "channels: '%.*s' is not a channel name (lower-case "
					    "letters, digits and '_', at most %d characters)",
					    (int)trimmed, s, RN_GEN_NAME_MAX - 1);
		if (next.n_channels == RN_GEN_MAX_CHANNELS)
			return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
					    "channels: at most %d channels", RN_GEN_MAX_CHANNELS);
		char name[RN_GEN_NAME_MAX];
		memcpy(name, s, trimmed);
		name[trimmed] = '\0';
		for (uint32_t i = 0; i < next.n_channels; i++)
			if (!strcmp(next.channel[i].name, name))
				return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
						    "channels: '%s' is listed twice", name);
		channel_preset(&next.channel[next.n_channels++], name);
		if (s[len] != ',')
			break;
		s += len + 1;
	}
	*p = next;
	return RN_OK;
}

int rn_gen_params_set(rn_gen_params *p, const char *key, const char *value, rn_error *err)
{
	if (!strcmp(key, "channels"))
		return set_channels(p, value, err);
	if (!strcmp(key, "start")) {
		int32_t day;
		if (rn_gen_parse_date(value, &day))
			return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
					    "start: expected a date YYYY-MM-DD, got '%s'", value);
		p->start = day;
		return RN_OK;
	}
	if (!strcmp(key, "campaigns")) {
		uint32_t count = 0;
		rn_gen_channel probe;
		int rc = set_field(&probe, &channel_keys[0], key, value, err);
		if (rc)
			return rc;
		count = probe.campaigns;
		for (uint32_t i = 0; i < p->n_channels; i++)
			p->channel[i].campaigns = count;
		return RN_OK;
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(key, keys[i].name))
			return set_field(p, &keys[i], key, value, err);
	const char *dot = strchr(key, '.');
	if (dot) {
		size_t len = (size_t)(dot - key);
		for (uint32_t c = 0; c < p->n_channels; c++) {
			if (strlen(p->channel[c].name) != len || memcmp(p->channel[c].name, key, len))
				continue;
			for (size_t i = 0; i < sizeof channel_keys / sizeof channel_keys[0]; i++)
				if (!strcmp(dot + 1, channel_keys[i].name))
					return set_field(&p->channel[c], &channel_keys[i], key,
							 value, err);
			return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
					    "unknown channel field '%s' (campaigns, spend, "
					    "on_share, flight_weeks, beta, theta, half_saturation, "
					    "shape)",
					    key);
		}
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "'%s': no channel named '%.*s' (set 'channels' first)", key,
				    (int)len, key);
	}
	return rn_error_set(err, RN_EUSAGE, NULL, 0, 0, "unknown parameter '%s'", key);
}

int rn_gen_params_check(const rn_gen_params *p, rn_error *err)
{
	if (p->customers == 0)
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "the number of customers is required (customers)");
	if (p->customers > RN_GEN_MAX_CUSTOMERS)
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0, "customers must be in 1..%llu",
				    (unsigned long long)RN_GEN_MAX_CUSTOMERS);
	if (p->weeks < 1 || p->weeks > RN_GEN_MAX_WEEKS)
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0, "weeks must be in 1..%u",
				    RN_GEN_MAX_WEEKS);
	char last[11];
	rn_gen_format_date(p->start + (int32_t)p->weeks * 7 - 1, last);
	if (p->start < days_from_civil(1900, 1, 1) || !strcmp(last, "0000-00-00"))
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "the period must lie between 1900-01-01 and 9999-12-31");
	double paid = 0;
	for (uint32_t c = 0; c < p->n_channels; c++)
		paid += p->channel[c].beta;
	if (paid + p->organic_base <= 0)
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "no acquisitions possible: organic_base and every beta are 0");
	if (p->mean_offspring / p->refer_share >= (double)p->max_offspring)
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "mean_offspring / refer_share must be below max_offspring");
	return RN_OK;
}

/* ---- Configuration file ----------------------------------------------------------------- */

struct pending {
	char *key, *value;
	uint64_t line, column;
};

static int config_error(rn_error *err, const char *path, const yaml_mark_t *mark,
			const char *what)
{
	return rn_error_set(err, RN_ECONFIG, path, mark->line + 1, mark->column + 1, "%s", what);
}

/* Reads the next event; on a parse error fills err. */
static int next_event(yaml_parser_t *parser, yaml_event_t *event, const char *path, rn_error *err)
{
	if (yaml_parser_parse(parser, event))
		return RN_OK;
	return rn_error_set(err, RN_ECONFIG, path, parser->problem_mark.line + 1,
			    parser->problem_mark.column + 1, "YAML: %s",
			    parser->problem ? parser->problem : "parse error");
}

/* A value: a scalar, or a flow/block sequence of scalars joined with commas. */
static int read_value(yaml_parser_t *parser, const char *path, const char *key, char **out,
		      rn_error *err)
{
	yaml_event_t event;
	int rc = next_event(parser, &event, path, err);
	if (rc)
		return rc;
	if (event.type == YAML_SCALAR_EVENT) {
		*out = rn_strndup((const char *)event.data.scalar.value, event.data.scalar.length);
		yaml_event_delete(&event);
		return *out ? RN_OK : rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	if (event.type != YAML_SEQUENCE_START_EVENT) {
		char what[200];
		if (event.type == YAML_MAPPING_START_EVENT)
			snprintf(what, sizeof what, "%s: nested mappings are not supported, use "
				 "dotted keys such as 'search.beta: 200'", key);
		else
			snprintf(what, sizeof what, "%s: expected a value or a list of names", key);
		rc = config_error(err, path, &event.start_mark, what);
		yaml_event_delete(&event);
		return rc;
	}
	yaml_event_delete(&event);
	size_t len = 0, cap = 0;
	char *joined = NULL;
	for (;;) {
		rc = next_event(parser, &event, path, err);
		if (rc)
			break;
		if (event.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&event);
			if (!joined)
				joined = rn_strdup("");
			*out = joined;
			return joined ? RN_OK : rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		}
		if (event.type != YAML_SCALAR_EVENT) {
			char what[160];
			snprintf(what, sizeof what, "%s: list items must be plain names", key);
			rc = config_error(err, path, &event.start_mark, what);
			yaml_event_delete(&event);
			break;
		}
		size_t add = event.data.scalar.length;
		if (rn_grow((void **)&joined, &cap, len + add + 2, 1)) {
			yaml_event_delete(&event);
			rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
			break;
		}
		if (len)
			joined[len++] = ',';
		memcpy(joined + len, event.data.scalar.value, add);
		len += add;
		joined[len] = '\0';
		yaml_event_delete(&event);
	}
	rn_free(joined);
	return rc;
}

static int apply_pending(rn_gen_params *p, struct pending *item, const char *path, rn_error *err)
{
	int rc = rn_gen_params_set(p, item->key, item->value, err);
	if (rc) {
		char message[RN_ERROR_MSG_MAX];
		snprintf(message, sizeof message, "%s", err->message);
		rn_error_set(err, RN_ECONFIG, path, item->line, item->column, "%s", message);
		return RN_ECONFIG;
	}
	return RN_OK;
}

int rn_gen_params_load(rn_gen_params *p, const char *path, rn_error *err)
{
	FILE *file = fopen(path, "rb");
	if (!file)
		return rn_error_set(err, RN_ENOINPUT, path, 0, 0, "cannot open: %s", strerror(errno));
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		fclose(file);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	yaml_parser_set_input_file(&parser, file);

	struct pending *items = NULL;
	size_t count = 0, cap = 0;
	int rc = RN_OK, depth = 0, done = 0;
	yaml_event_t event;
	while (!done && rc == RN_OK) {
		rc = next_event(&parser, &event, path, err);
		if (rc)
			break;
		switch (event.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_MAPPING_START_EVENT:
			if (depth++ > 0)
				rc = config_error(err, path, &event.start_mark,
						  "nested mappings are not supported: use dotted "
						  "keys such as 'search.beta: 200'");
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT: {
			if (depth != 1) {
				rc = config_error(err, path, &event.start_mark,
						  "expected a mapping of 'key: value' lines");
				break;
			}
			const char *key = (const char *)event.data.scalar.value;
			for (size_t i = 0; i < count; i++)
				if (!strcmp(items[i].key, key)) {
					char what[200];
					snprintf(what, sizeof what, "duplicate key '%s'", key);
					rc = config_error(err, path, &event.start_mark, what);
				}
			if (rc)
				break;
			if (rn_grow((void **)&items, &cap, count + 1, sizeof *items)) {
				rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
				break;
			}
			struct pending *item = &items[count];
			item->line = event.start_mark.line + 1;
			item->column = event.start_mark.column + 1;
			item->value = NULL;
			item->key = rn_strdup(key);
			if (!item->key) {
				rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
				break;
			}
			count++;
			rc = read_value(&parser, path, item->key, &item->value, err);
			break;
		}
		case YAML_ALIAS_EVENT:
			rc = config_error(err, path, &event.start_mark, "aliases are not allowed");
			break;
		default:
			rc = config_error(err, path, &event.start_mark,
					  "expected a mapping of 'key: value' lines");
			break;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	fclose(file);

	/* "channels" resets the channel list, so it goes before the keys that refine it. */
	for (size_t i = 0; rc == RN_OK && i < count; i++)
		if (!strcmp(items[i].key, "channels"))
			rc = apply_pending(p, &items[i], path, err);
	for (size_t i = 0; rc == RN_OK && i < count; i++)
		if (strcmp(items[i].key, "channels") != 0)
			rc = apply_pending(p, &items[i], path, err);
	for (size_t i = 0; i < count; i++) {
		rn_free(items[i].key);
		rn_free(items[i].value);
	}
	rn_free(items);
	return rc;
}
