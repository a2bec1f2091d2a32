/*
 * period.c — the calendar of the evaluation: yyyymmdd days, the day, week,
 * month and quarter holding a day, the wait buckets, and the module's
 * error sentences.
 *
 * Room: hostd/eval. Pure arithmetic on the proleptic Gregorian calendar:
 * no clock, no time zone, no I/O (the local times of a day are worked out
 * in compute.c, where TZ matters). Days are converted to a count of days
 * since 1970-01-01 (the civil-from-days algorithm of H. Hinnant), so that
 * adding days, weekdays and differences are plain integer sums.
 * docs/evaluation.md, "Periods", is the spec.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eval/eval_internal.h"

const int64_t eval_wait_bucket_limits_s[EVAL_WAIT_BUCKETS - 1] = {300, 600, 900, 1800, 3600, 7200};

static const char *const period_names[EVAL_PERIOD_COUNT] = {
    [EVAL_DAY] = "day",
    [EVAL_WEEK] = "week",
    [EVAL_MONTH] = "month",
    [EVAL_QUARTER] = "quarter",
};

enum { FIRST_YEAR = 1, LAST_YEAR = 9999 };

const char *eval_strerror(int err)
{
	switch (err) {
	case EVAL_OK:
		return "ok";
	case EVAL_ERR_IO:
		return "the database cannot be opened, read or written";
	case EVAL_ERR_NOT_HALLQ:
		return "not a hallq database of schema 5 or later";
	case EVAL_ERR_NOMEM:
		return "out of memory";
	case EVAL_ERR_BAD_ARGUMENT:
		return "invalid argument";
	case EVAL_ERR_NOT_FOUND:
		return "no such complaint";
	case EVAL_ERR_DUPLICATE:
		return "that leader shift, or one it overlaps, is already recorded";
	case EVAL_ERR_BUSY:
		return "the database is locked by another process";
	case EVAL_ERR_LOCALE:
		return "the C.UTF-8 locale is missing: text widths cannot be measured (install "
		       "locales or libc-bin's C.UTF-8)";
	}
	return "unknown evaluation error";
}

char *eval_errorf(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_size == 0)
		return err;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return err;
}

const char *eval_period_name(int period)
{
	return period >= 0 && period < EVAL_PERIOD_COUNT ? period_names[period] : "unknown";
}

int eval_period_parse(const char *name)
{
	for (int p = 0; name && p < EVAL_PERIOD_COUNT; p++)
		if (strcmp(name, period_names[p]) == 0)
			return p;
	return -1;
}

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

bool eval_day_valid(int32_t day)
{
	int year = day / 10000, month = day / 100 % 100, mday = day % 100;

	if (day <= 0 || year < FIRST_YEAR || year > LAST_YEAR || month < 1 || month > 12)
		return false;
	return mday >= 1 && mday <= days_in_month(year, month);
}

/* Days since 1970-01-01 of a valid day. */
static int64_t day_number(int32_t day)
{
	int64_t y = day / 10000, m = day / 100 % 100, d = day % 100;

	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The yyyymmdd of a day number; -1 outside years 1..9999. */
static int32_t day_from_number(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	if (y < FIRST_YEAR || y > LAST_YEAR)
		return -1;
	return (int32_t)(y * 10000 + m * 100 + d);
}

int32_t eval_day_add(int32_t day, int days)
{
	if (!eval_day_valid(day))
		return -1;
	return day_from_number(day_number(day) + days);
}

int eval_day_wday(int32_t day)
{
	if (!eval_day_valid(day))
		return -1;
	int64_t n = day_number(day) + 4; /* 1970-01-01 was a Thursday */
	return (int)(((n % 7) + 7) % 7);
}

int eval_day_diff(int32_t a, int32_t b)
{
	return (int)(day_number(b) - day_number(a));
}

int32_t eval_day_parse(const char *text)
{
	static const char form[] = "dddd-dd-dd";
	int32_t day = 0;

	if (!text || strlen(text) != sizeof(form) - 1)
		return -1;
	for (size_t i = 0; i < sizeof(form) - 1; i++) {
		if (form[i] == '-') {
			if (text[i] != '-')
				return -1;
		} else if (text[i] < '0' || text[i] > '9') {
			return -1;
		} else {
			day = day * 10 + (text[i] - '0');
		}
	}
	return eval_day_valid(day) ? day : -1;
}

void eval_period_range(int period, int32_t day, int32_t *first, int32_t *last)
{
	int year = day / 10000, month = day / 100 % 100;

	*first = *last = -1;
	if (!eval_day_valid(day))
		return;
	switch (period) {
	case EVAL_DAY:
		*first = *last = day;
		break;
	case EVAL_WEEK:
		*first = eval_day_add(day, -((eval_day_wday(day) + 6) % 7)); /* back to Monday */
		*last = *first < 0 ? -1 : eval_day_add(*first, 6);
		break;
	case EVAL_MONTH:
		*first = year * 10000 + month * 100 + 1;
		*last = year * 10000 + month * 100 + days_in_month(year, month);
		break;
	case EVAL_QUARTER: {
		int first_month = (month - 1) / 3 * 3 + 1;
		*first = year * 10000 + first_month * 100 + 1;
		*last =
		    year * 10000 + (first_month + 2) * 100 + days_in_month(year, first_month + 2);
		break;
	}
	default:
		break;
	}
}
