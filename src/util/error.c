/*
 * error.c - the rn_error record: positioned messages and their exit codes.
 *
 * Errors are plain values filled in by whoever detects the problem, so that the message can
 * name the exact file, line and column; the CLI is the only place that prints them.
 */
#include <refnet/util.h>

#include <stdio.h>
#include <string.h>

void rn_error_clear(rn_error *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

int rn_error_setv(rn_error *err, int code, const char *file, uint64_t line, uint64_t column,
		  const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	err->line = line;
	err->column = column;
	err->file[0] = '\0';
	if (file)
		snprintf(err->file, sizeof err->file, "%s", file);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	return code;
}

int rn_error_set(rn_error *err, int code, const char *file, uint64_t line, uint64_t column,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rn_error_setv(err, code, file, line, column, fmt, ap);
	va_end(ap);
	return code;
}

void rn_error_format(const rn_error *err, char *buf, size_t cap)
{
	if (cap == 0)
		return;
	const char *msg = err->message[0] ? err->message : rn_strerror(err->code);
	if (err->file[0] && err->line && err->column)
		snprintf(buf, cap, "%s:%llu:%llu: %s", err->file, (unsigned long long)err->line,
			 (unsigned long long)err->column, msg);
	else if (err->file[0] && err->line)
		snprintf(buf, cap, "%s:%llu: %s", err->file, (unsigned long long)err->line, msg);
	else if (err->file[0])
		snprintf(buf, cap, "%s: %s", err->file, msg);
	else
		snprintf(buf, cap, "%s", msg);
}

int rn_exit_code(int code)
{
	switch (code) {
	case RN_OK:
		return 0;
	case RN_EUSAGE:
	case RN_EDATA:
	case RN_ENOINPUT:
	case RN_EINTERNAL:
	case RN_ECANTCREAT:
	case RN_EIO:
	case RN_ECONFIG:
		return -code;
	default:
		return 70;
	}
}

const char *rn_strerror(int code)
{
	switch (code) {
	case RN_OK:
		return "success";
	case RN_EUSAGE:
		return "usage error";
	case RN_EDATA:
		return "bad input data";
	case RN_ENOINPUT:
		return "cannot open input";
	case RN_EINTERNAL:
		return "internal error or out of memory";
	case RN_ECANTCREAT:
		return "cannot create output";
	case RN_EIO:
		return "input/output error";
	case RN_ECONFIG:
		return "bad configuration";
	default:
		return "unknown error";
	}
}
