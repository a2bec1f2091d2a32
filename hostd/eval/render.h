/*
 * render.h — what the output half of hostd/eval shares (report.c and the
 * render_*.c files): the --window filter, how dates, clock times, minutes
 * and rounded figures are written, names of periods and deductions, a
 * growing text buffer and an SVG bar-chart helper.
 *
 * Room: hostd/eval. Internal to the renderers: nobody outside hostd/eval
 * includes it. Reads struct eval_report only; never the database.
 */
#ifndef HALLQ_EVAL_RENDER_H
#define HALLQ_EVAL_RENDER_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eval/eval.h"

/* ---- report.c: shared helpers ---- */

/* "2026-11-30" (11 bytes with the NUL). */
void eval_fmt_day(int32_t day, char out[16]);
/* Local "HH:MM" of epoch seconds (TZ as the caller set it); "—" for 0. */
void eval_fmt_clock(int64_t at_s, char out[16]);
/* "HH:MM" of minutes since midnight. */
void eval_fmt_minute(int minute, char out[16]);
/* Seconds as minutes with one decimal ("12.5"). */
void eval_fmt_minutes(double seconds, char out[32]);
/* x rounded half away from zero to `decimals` places. */
double eval_round(double x, int decimals);

/* A service in the appointments' section: it takes them (config) or has
 * bookings or appointment tickets in the period; any service at all. */
bool eval_shows_appointments(const struct eval_service_record *s);
bool eval_any_appointments(const struct eval_report *r);

/* The --window filter: true when window number `number` is kept. */
bool eval_keep_window(int filter, int number);
/* True when staff member s is kept under the filter: all when 0, else
 * the staff who logged in at that window in the period (s->windows) or
 * are named on its complaints or leave. */
bool eval_keep_staff(const struct eval_report *r, int filter, const struct eval_staff_record *s);

/* The C.UTF-8 locale for measuring text, made once per render (newlocale
 * is slow); (locale_t)0 when the system lacks it: the renderer then fails
 * with EVAL_ERR_LOCALE rather than mis-measure. freelocale() it. */
locale_t eval_utf8_locale(void);
/* eval_text_width with that locale. */
int eval_text_width_in(locale_t utf8, const char *text);

/* The display name of a staff id: config name, else the report's, else "". */
const char *eval_staff_name(const struct eval_report *r, const struct config *cfg, const char *id);
/* The service's display name by id ("" when unknown). */
const char *eval_service_name(const struct eval_report *r, const char *id);

const char *eval_period_key(int period);     /* "day" ... */
const char *eval_period_title(int period);   /* 窗口工作日报, 窗口工作通报, ... */
const char *eval_deduction_key(int rule);    /* "late_sign_in" ... */
const char *eval_deduction_label(int rule);  /* 迟到签到 ... */
const char *eval_attendance_label(int cls);  /* —, 擅自离岗, 旷工 */
const char *eval_sign_in_label(int sign_in); /* 按时, 迟到, 未签到 */
const char *eval_rating_label(int rating);   /* 1..5: 非常满意 ... */
const char *eval_status_label(const char *status);

/* The score's rule values from the config (0 each when cfg is NULL). */
double eval_deduction_each(const struct config *cfg, int rule);

/* ---- a growing text buffer ---- */

struct eval_buf {
	char *data;
	size_t len, cap;
	bool failed; /* ran out of memory: everything after is dropped */
};

void eval_buf_add(struct eval_buf *b, const char *text, size_t len);
void eval_buf_puts(struct eval_buf *b, const char *text);
void eval_buf_printf(struct eval_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Text with & < > " ' as entities, for HTML and SVG. */
void eval_buf_html(struct eval_buf *b, const char *text);
void eval_buf_free(struct eval_buf *b);
/* Writes the buffer to out: EVAL_OK, EVAL_ERR_NOMEM or EVAL_ERR_IO. */
int eval_buf_write(const struct eval_buf *b, FILE *out);

/* ---- svg.c: inline bar charts ---- */

enum { EVAL_SVG_MAX_SERIES = 8 };

struct eval_chart {
	const char *title;         /* text, escaped when written */
	const char *unit;          /* the y axis, e.g. 张 */
	int n_groups;              /* bars groups along x */
	const char *const *labels; /* n_groups labels */
	int n_series;
	const char *series_names[EVAL_SVG_MAX_SERIES];
	const double *values[EVAL_SVG_MAX_SERIES]; /* each n_groups values */
	bool stacked; /* series stacked in one bar, else side by side */
};

/* Appends an <svg> element drawing the chart (self-contained, no fonts or
 * links outside the page). */
void eval_svg_bars(struct eval_buf *b, const struct eval_chart *c);

/* ---- the renderers ---- */

int eval_render_table(FILE *out, const struct eval_report *r, const struct config *cfg, int window);
int eval_render_csv(FILE *out, const struct eval_report *r, const struct config *cfg, int window);
int eval_render_html(FILE *out, const struct eval_report *r, const struct config *cfg, int window);

#endif /* HALLQ_EVAL_RENDER_H */
