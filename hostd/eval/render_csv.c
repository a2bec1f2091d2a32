/*
 * render_csv.c — the report as CSV for a spreadsheet (hallctl report
 * --format csv): UTF-8 with a byte order mark, CRLF line ends, RFC 4180
 * quoting (a field with a comma, a quote, CR or LF is quoted, its quotes
 * doubled).
 *
 * Room: hostd/eval. One header row, then one row per subject — the hall,
 * each service, each window, each staff member — all with the same
 * columns; the first, `kind`, says which (hall, service, window, staff),
 * and a column a kind does not have is empty. Durations are seconds,
 * ratios 0..1 with 4 decimals, points 2 decimals, as in the JSON.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "eval/render.h"

enum col {
	C_KIND,
	C_SUBJECT,
	C_NAME,
	C_ISSUED,
	C_SERVED,
	C_CALLS,
	C_TRANSFERS_IN,
	C_TRANSFERS_OUT,
	C_RECALLS,
	C_NO_SHOWS,
	C_HOLDS,
	C_CANCELLED,
	C_EXPIRED,
	C_WAIT_N,
	C_WAIT_MEAN,
	C_WAIT_P50,
	C_WAIT_P90,
	C_WAIT_MAX,
	C_OVER_WAIT,
	C_WALK_MEAN,
	C_HANDLING_N,
	C_HANDLING_MEAN,
	C_HANDLING_P50,
	C_HANDLING_P90,
	C_HANDLING_MAX,
	C_OVER_STANDARD,
	C_APPOINTMENTS, /* services only: docs/evaluation.md, "Appointments" */
	C_APPOINTMENT_SHARE,
	C_BOOKINGS,
	C_BOOKINGS_CANCELLED,
	C_BOOKINGS_BOOKED,
	C_BOOKINGS_CHECKED_IN,
	C_BOOKINGS_ON_TIME,
	C_BOOKINGS_NO_SHOW,
	C_NO_SHOW_RATE,
	C_ON_TIME_RATE,
	C_LOGGED_IN,
	C_PAUSED,
	C_IDLE,
	C_HOURS,
	C_LEAVE,
	C_UNATTENDED,
	C_ATTENDED,
	C_LEFT_POST_DAYS,
	C_ABSENT_DAYS,
	C_SIGN_IN_ON_TIME,
	C_SIGN_IN_LATE,
	C_SIGN_IN_NONE,
	C_RATING1,
	C_RATING5 = C_RATING1 + 4,
	C_RATED,
	C_SATISFACTION_RATE,
	C_COMPLAINTS,
	C_COMPLAINTS_UPHELD,
	C_COMPLAINTS_OPEN,
	C_COMPLAINTS_OVERDUE,
	C_PRAISE,
	C_LEAVE_RECORDS,
	C_DUTY_SHIFTS,
	C_DUTY_BONUS,
	C_EFFICIENCY,
	C_SATISFACTION,
	C_ATTENDANCE,
	C_WEIGHTED,
	C_DEDUCTIONS,
	C_SCORE,
	C_COUNT
};

static const char *const heads[C_COUNT] = {
    "kind",         "编号",         "名称",         "取号",         "办结",        "呼叫",
    "转入",         "转出",         "重呼",         "过号",         "挂起",        "取消",
    "作废",         "等候数",       "平均等候(秒)", "等候p50(秒)",  "等候p90(秒)", "最长等候(秒)",
    "等候超标",     "平均走动(秒)", "办理数",       "平均办理(秒)", "办理p50(秒)", "办理p90(秒)",
    "最长办理(秒)", "超时办件",     "预约取号",     "预约占比",     "预约数",      "预约取消",
    "预约待到",     "预约签到",     "准时签到",     "预约爽约",     "爽约率",      "准时签到率",
    "在线(秒)",     "暂停(秒)",     "空闲(秒)",     "应在岗(秒)",   "请假(秒)",    "空岗(秒)",
    "在岗(秒)",     "擅自离岗(天)", "旷工(天)",     "按时签到",     "迟到签到",    "未签到",
    "非常满意",     "满意",         "基本满意",     "不满意",       "非常不满意",  "评价数",
    "满意率",       "投诉",         "投诉属实",     "投诉未结",     "投诉超期",    "表扬",
    "请假记录",     "带班班次",     "带班加分",     "效率E",        "满意S",       "考勤A",
    "加权分",       "扣分合计",     "得分"};

struct row {
	char v[C_COUNT][128];
};

static void set(struct row *r, int c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set(struct row *r, int c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->v[c], sizeof(r->v[c]), fmt, ap);
	va_end(ap);
}

static void set_str(struct row *r, int c, const char *s)
{
	snprintf(r->v[c], sizeof(r->v[c]), "%s", s);
}

/* x rounded to `decimals`, without trailing zeros ("612.5", "88.7", "3"). */
static void set_num(struct row *r, int c, double x, int decimals)
{
	char *s = r->v[c];

	snprintf(s, sizeof(r->v[c]), "%.*f", decimals, eval_round(x, decimals));
	if (strchr(s, '.')) {
		size_t n = strlen(s);
		while (n > 0 && s[n - 1] == '0')
			s[--n] = '\0';
		if (n > 0 && s[n - 1] == '.')
			s[--n] = '\0';
	}
}

static void set_stats(struct row *r, int c_n, int c_mean, int c_p50, int c_p90, int c_max,
		      const struct eval_stats *s)
{
	if (c_n >= 0)
		set(r, c_n, "%d", s->n);
	if (s->n == 0)
		return;
	set_num(r, c_mean, s->mean_s, 2);
	if (c_p50 >= 0) {
		set(r, c_p50, "%lld", (long long)s->p50_s);
		set(r, c_p90, "%lld", (long long)s->p90_s);
		set(r, c_max, "%lld", (long long)s->max_s);
	}
}

enum kind { K_HALL, K_WINDOW, K_STAFF };

static void fill_figures(struct row *r, const struct eval_figures *f, enum kind k)
{
	if (k == K_HALL) {
		set(r, C_ISSUED, "%d", f->issued);
		set(r, C_CANCELLED, "%d", f->cancelled);
		set(r, C_EXPIRED, "%d", f->expired);
	}
	set(r, C_SERVED, "%d", f->served);
	set(r, C_CALLS, "%d", f->calls);
	set(r, C_TRANSFERS_IN, "%d", f->transfers_in);
	set(r, C_TRANSFERS_OUT, "%d", f->transfers_out);
	set(r, C_RECALLS, "%d", f->recalls);
	set(r, C_NO_SHOWS, "%d", f->no_shows);
	set(r, C_HOLDS, "%d", f->holds);
	set_stats(r, C_WAIT_N, C_WAIT_MEAN, C_WAIT_P50, C_WAIT_P90, C_WAIT_MAX, &f->wait);
	set(r, C_OVER_WAIT, "%d", f->over_wait_target);
	set_stats(r, -1, C_WALK_MEAN, -1, -1, -1, &f->walk);
	set_stats(r, C_HANDLING_N, C_HANDLING_MEAN, C_HANDLING_P50, C_HANDLING_P90, C_HANDLING_MAX,
		  &f->handling);
	set(r, C_OVER_STANDARD, "%d", f->over_standard);
	set(r, C_LOGGED_IN, "%lld", (long long)f->logged_in_s);
	set(r, C_PAUSED, "%lld", (long long)f->paused_s);
	set(r, C_IDLE, "%lld", (long long)f->idle_s);
	if (k != K_STAFF) {
		set(r, C_HOURS, "%lld", (long long)f->hours_s);
		set(r, C_LEAVE, "%lld", (long long)f->leave_s);
		set(r, C_UNATTENDED, "%lld", (long long)f->unattended_s);
		set(r, C_ATTENDED, "%lld", (long long)f->attended_s);
		set(r, C_LEFT_POST_DAYS, "%d", f->left_post_days);
		set(r, C_ABSENT_DAYS, "%d", f->absent_days);
		set(r, C_SIGN_IN_NONE, "%d", f->sign_in_none);
	}
	set(r, C_SIGN_IN_ON_TIME, "%d", f->sign_in_on_time);
	set(r, C_SIGN_IN_LATE, "%d", f->sign_in_late);
	for (int i = 1; i <= 5; i++)
		set(r, C_RATING1 + i - 1, "%d", f->ratings[i]);
	set(r, C_RATED, "%d", f->rated);
	if (f->rated > 0 && f->satisfaction_rate >= 0)
		set_num(r, C_SATISFACTION_RATE, f->satisfaction_rate, 4);
	set(r, C_COMPLAINTS, "%d", f->complaints);
	set(r, C_COMPLAINTS_UPHELD, "%d", f->complaints_upheld);
	set(r, C_COMPLAINTS_OPEN, "%d", f->complaints_open);
	set(r, C_COMPLAINTS_OVERDUE, "%d", f->complaints_overdue);
	set(r, C_PRAISE, "%d", f->praise);
	set(r, C_LEAVE_RECORDS, "%d", f->leave_records);
	set(r, C_DUTY_SHIFTS, "%d", f->duty_shifts);
	if (k == K_WINDOW) {
		set_num(r, C_DUTY_BONUS, f->duty_bonus, 2);
		if (f->has_score) {
			set_num(r, C_EFFICIENCY, f->score.efficiency, 4);
			set_num(r, C_SATISFACTION, f->score.satisfaction, 4);
			set_num(r, C_ATTENDANCE, f->score.attendance, 4);
			set_num(r, C_WEIGHTED, f->score.weighted, 2);
			set_num(r, C_DEDUCTIONS, f->score.deduction_total, 2);
			set_num(r, C_SCORE, f->score.total, 2);
		}
	}
}

static void fill_service(struct row *r, const struct eval_service_record *s)
{
	set_str(r, C_KIND, "service");
	set_str(r, C_SUBJECT, s->id);
	set_str(r, C_NAME, s->name);
	set(r, C_ISSUED, "%d", s->issued);
	set(r, C_SERVED, "%d", s->served);
	set(r, C_NO_SHOWS, "%d", s->no_shows);
	set(r, C_CANCELLED, "%d", s->cancelled);
	set(r, C_EXPIRED, "%d", s->expired);
	set(r, C_TRANSFERS_IN, "%d", s->transferred_in);
	set(r, C_TRANSFERS_OUT, "%d", s->transferred_out);
	set_stats(r, C_WAIT_N, C_WAIT_MEAN, C_WAIT_P50, C_WAIT_P90, C_WAIT_MAX, &s->wait);
	set(r, C_OVER_WAIT, "%d", s->over_wait_target);
	set_stats(r, C_HANDLING_N, C_HANDLING_MEAN, C_HANDLING_P50, C_HANDLING_P90, C_HANDLING_MAX,
		  &s->handling);
	set(r, C_OVER_STANDARD, "%d", s->over_standard);
	set(r, C_APPOINTMENTS, "%d", s->appointments);
	if (s->appointment_share >= 0)
		set_num(r, C_APPOINTMENT_SHARE, s->appointment_share, 4);
	set(r, C_BOOKINGS, "%d", s->bookings);
	set(r, C_BOOKINGS_CANCELLED, "%d", s->bookings_cancelled);
	set(r, C_BOOKINGS_BOOKED, "%d", s->bookings_booked);
	set(r, C_BOOKINGS_CHECKED_IN, "%d", s->bookings_checked_in);
	set(r, C_BOOKINGS_ON_TIME, "%d", s->bookings_on_time);
	set(r, C_BOOKINGS_NO_SHOW, "%d", s->bookings_no_show);
	if (s->no_show_rate >= 0)
		set_num(r, C_NO_SHOW_RATE, s->no_show_rate, 4);
	if (s->on_time_rate >= 0)
		set_num(r, C_ON_TIME_RATE, s->on_time_rate, 4);
}

/* One field, quoted when it must be (RFC 4180). */
static void put_field(struct eval_buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		eval_buf_puts(b, s);
		return;
	}
	eval_buf_add(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			eval_buf_add(b, "\"", 1);
		eval_buf_add(b, p, 1);
	}
	eval_buf_add(b, "\"", 1);
}

static void put_row(struct eval_buf *b, const char *const *fields)
{
	for (int c = 0; c < C_COUNT; c++) {
		if (c)
			eval_buf_add(b, ",", 1);
		put_field(b, fields[c]);
	}
	eval_buf_add(b, "\r\n", 2);
}

static void emit(struct eval_buf *b, const struct row *r)
{
	const char *fields[C_COUNT];

	for (int c = 0; c < C_COUNT; c++)
		fields[c] = r->v[c];
	put_row(b, fields);
}

int eval_render_csv(FILE *out, const struct eval_report *r, const struct config *cfg, int window)
{
	struct eval_buf b = {0};
	struct row *row = malloc(sizeof(*row));
	int rc;

	if (!row)
		return EVAL_ERR_NOMEM;
	eval_buf_add(&b, "\xEF\xBB\xBF", 3); /* the byte order mark Excel looks for */
	put_row(&b, heads);
	if (window <= 0) {
		memset(row, 0, sizeof(*row));
		set_str(row, C_KIND, "hall");
		set_str(row, C_NAME, r->hall_name);
		fill_figures(row, &r->hall, K_HALL);
		emit(&b, row);
		for (int i = 0; i < r->n_services; i++) {
			memset(row, 0, sizeof(*row));
			fill_service(row, &r->services[i]);
			emit(&b, row);
		}
	}
	for (int i = 0; i < r->n_windows; i++) {
		const struct eval_window_record *w = &r->windows[i];
		if (!eval_keep_window(window, w->number))
			continue;
		memset(row, 0, sizeof(*row));
		set_str(row, C_KIND, "window");
		set(row, C_SUBJECT, "%d", w->number);
		set_str(row, C_NAME, w->name);
		fill_figures(row, &w->f, K_WINDOW);
		emit(&b, row);
	}
	for (int i = 0; i < r->n_staff; i++) {
		const struct eval_staff_record *s = &r->staff[i];
		if (!eval_keep_staff(r, window, s))
			continue;
		memset(row, 0, sizeof(*row));
		set_str(row, C_KIND, "staff");
		set_str(row, C_SUBJECT, s->id);
		set_str(row, C_NAME, s->name[0] ? s->name : eval_staff_name(r, cfg, s->id));
		fill_figures(row, &s->f, K_STAFF);
		emit(&b, row);
	}
	free(row);
	rc = eval_buf_write(&b, out);
	eval_buf_free(&b);
	return rc;
}
