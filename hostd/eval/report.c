/*
 * report.c — the report as JSON (eval_report_json, and one subject's object
 * for eval_save), format names, eval_render's dispatch, the display width
 * of UTF-8 text, and the helpers the renderers share (render.h).
 *
 * Room: hostd/eval. Reads a computed struct eval_report and the config's
 * rules; no database here (records.c writes eval_records). The JSON gives
 * every figure of docs/evaluation.md: durations in seconds, points rounded
 * to 2 decimals and ratios to 4, "no data" as null.
 */
#define _XOPEN_SOURCE 700 /* wcwidth */

#include <cjson/cJSON.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "eval/eval_internal.h"
#include "eval/render.h"

/* ---- names ---- */

static const char *const format_names[EVAL_FORMAT_COUNT] = {"table", "csv", "json", "html"};

const char *eval_format_name(int format)
{
	return format >= 0 && format < EVAL_FORMAT_COUNT ? format_names[format] : "?";
}

int eval_format_parse(const char *name)
{
	for (int i = 0; name && i < EVAL_FORMAT_COUNT; i++)
		if (strcmp(name, format_names[i]) == 0)
			return i;
	return -1;
}

const char *eval_period_key(int period)
{
	static const char *const keys[EVAL_PERIOD_COUNT] = {"day", "week", "month", "quarter"};
	return period >= 0 && period < EVAL_PERIOD_COUNT ? keys[period] : "?";
}

const char *eval_period_title(int period)
{
	static const char *const titles[EVAL_PERIOD_COUNT] = {"窗口工作日报", "窗口工作通报",
							      "《行政审批简报》", "季度考评"};
	return period >= 0 && period < EVAL_PERIOD_COUNT ? titles[period] : "窗口考评";
}

static const char *const deduction_keys[CONFIG_DEDUCT_COUNT] = {
    "late_sign_in",        "unauthorized_leave", "absence",
    "dissatisfied_rating", "complaint",          "overtime_ticket"};
static const char *const deduction_labels[CONFIG_DEDUCT_COUNT] = {
    "迟到签到", "擅自离岗", "旷工", "不满意评价", "投诉属实", "超时办件"};

const char *eval_deduction_key(int rule)
{
	return rule >= 0 && rule < CONFIG_DEDUCT_COUNT ? deduction_keys[rule] : "?";
}

const char *eval_deduction_label(int rule)
{
	return rule >= 0 && rule < CONFIG_DEDUCT_COUNT ? deduction_labels[rule] : "?";
}

const char *eval_attendance_label(int cls)
{
	return cls == EVAL_ATT_LEFT_POST ? "擅自离岗" : cls == EVAL_ATT_ABSENT ? "旷工" : "—";
}

static const char *attendance_key(int cls)
{
	return cls == EVAL_ATT_LEFT_POST ? "left_post" : cls == EVAL_ATT_ABSENT ? "absent" : "none";
}

const char *eval_sign_in_label(int sign_in)
{
	return sign_in == EVAL_SIGN_IN_ON_TIME ? "按时"
	       : sign_in == EVAL_SIGN_IN_LATE  ? "迟到"
	       : sign_in == EVAL_SIGN_IN_LEAVE ? "请假"
					       : "未签到";
}

static const char *sign_in_key(int sign_in)
{
	return sign_in == EVAL_SIGN_IN_ON_TIME ? "on_time"
	       : sign_in == EVAL_SIGN_IN_LATE  ? "late"
	       : sign_in == EVAL_SIGN_IN_LEAVE ? "leave"
					       : "none";
}

const char *eval_rating_label(int rating)
{
	static const char *const labels[6] = {"?",        "非常满意", "满意",
					      "基本满意", "不满意",   "非常不满意"};
	return rating >= 1 && rating <= 5 ? labels[rating] : "?";
}

const char *eval_status_label(const char *status)
{
	if (strcmp(status, "open") == 0)
		return "办理中";
	if (strcmp(status, "upheld") == 0)
		return "属实";
	if (strcmp(status, "dismissed") == 0)
		return "不属实";
	if (strcmp(status, "closed") == 0)
		return "已办结";
	return status;
}

double eval_deduction_each(const struct config *cfg, int rule)
{
	return cfg && rule >= 0 && rule < CONFIG_DEDUCT_COUNT ? cfg->eval.deductions[rule] : 0;
}

/* ---- formatting ---- */

void eval_fmt_day(int32_t day, char out[16])
{
	snprintf(out, 16, "%04d-%02d-%02d", (int)(day / 10000), (int)(day / 100 % 100),
		 (int)(day % 100));
}

void eval_fmt_clock(int64_t at_s, char out[16])
{
	time_t t = (time_t)at_s;
	struct tm tm;

	if (at_s <= 0 || !localtime_r(&t, &tm)) {
		snprintf(out, 16, "—");
		return;
	}
	snprintf(out, 16, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

void eval_fmt_minute(int minute, char out[16])
{
	if (minute < 0 || minute > 1440)
		minute = 0;
	snprintf(out, 16, "%02d:%02d", minute / 60, minute % 60);
}

void eval_fmt_minutes(double seconds, char out[32])
{
	snprintf(out, 32, "%.1f", eval_round(seconds / 60.0, 1));
}

double eval_round(double x, int decimals)
{
	double scale = pow(10, decimals);
	double v = round(x * scale) / scale;
	return v == 0 ? 0 : v; /* no "-0" */
}

/* ---- the --window filter and names ---- */

bool eval_keep_window(int filter, int number)
{
	return filter <= 0 || filter == number;
}

bool eval_shows_appointments(const struct eval_service_record *s)
{
	return s->takes_appointments || s->bookings > 0 || s->appointments > 0;
}

bool eval_any_appointments(const struct eval_report *r)
{
	for (int i = 0; i < r->n_services; i++)
		if (eval_shows_appointments(&r->services[i]))
			return true;
	return false;
}

static bool has_window(const struct eval_staff_record *s, int number)
{
	int lo = 0, hi = s->n_windows; /* s->windows is ascending */

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (s->windows[mid] == number)
			return true;
		if (s->windows[mid] < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool eval_keep_staff(const struct eval_report *r, int filter, const struct eval_staff_record *s)
{
	if (filter <= 0)
		return true;
	if (!s->id[0])
		return false;
	if (has_window(s, filter))
		return true; /* logged in there in the period */
	for (int i = 0; i < r->n_complaints; i++)
		if (r->complaints[i].window == filter && strcmp(r->complaints[i].staff, s->id) == 0)
			return true;
	for (int i = 0; i < r->n_leave; i++)
		if (r->leave[i].window == filter && strcmp(r->leave[i].staff, s->id) == 0)
			return true;
	return false;
}

const char *eval_staff_name(const struct eval_report *r, const struct config *cfg, const char *id)
{
	const struct config_staff *s = cfg && id[0] ? config_staff(cfg, id) : NULL;

	if (s)
		return s->name;
	for (int i = 0; i < r->n_staff; i++)
		if (strcmp(r->staff[i].id, id) == 0)
			return r->staff[i].name;
	return "";
}

const char *eval_service_name(const struct eval_report *r, const char *id)
{
	for (int i = 0; i < r->n_services; i++)
		if (strcmp(r->services[i].id, id) == 0)
			return r->services[i].name;
	return "";
}

/* ---- display width ---- */

locale_t eval_utf8_locale(void)
{
	return newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

int eval_text_width_in(locale_t utf8, const char *text)
{
	locale_t old = uselocale(utf8);
	mbstate_t st;
	size_t left = strlen(text);
	const char *p = text;
	int width = 0;

	memset(&st, 0, sizeof(st));
	while (left > 0) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, p, left, &st);
		if (n == (size_t)-1 || n == (size_t)-2) { /* not UTF-8: one column a byte */
			memset(&st, 0, sizeof(st));
			width++;
			p++;
			left--;
			continue;
		}
		if (n == 0)
			break;
		int w = wcwidth(wc);
		width += w > 0 ? w : 0;
		p += n;
		left -= n;
	}
	uselocale(old);
	return width;
}

int eval_text_width(const char *utf8)
{
	locale_t utf = eval_utf8_locale();

	if (!utf)
		return -1;
	int width = eval_text_width_in(utf, utf8);
	freelocale(utf);
	return width;
}

/* ---- the text buffer ---- */

void eval_buf_add(struct eval_buf *b, const char *text, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *data = realloc(b->data, cap);
		if (!data) {
			b->failed = true;
			return;
		}
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, text, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void eval_buf_puts(struct eval_buf *b, const char *text)
{
	eval_buf_add(b, text, strlen(text));
}

void eval_buf_printf(struct eval_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		eval_buf_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	eval_buf_add(b, big, (size_t)n);
	free(big);
}

void eval_buf_html(struct eval_buf *b, const char *text)
{
	for (const char *p = text; *p; p++) {
		switch (*p) {
		case '&':
			eval_buf_puts(b, "&amp;");
			break;
		case '<':
			eval_buf_puts(b, "&lt;");
			break;
		case '>':
			eval_buf_puts(b, "&gt;");
			break;
		case '"':
			eval_buf_puts(b, "&quot;");
			break;
		case '\'':
			eval_buf_puts(b, "&#39;");
			break;
		default:
			eval_buf_add(b, p, 1);
		}
	}
}

void eval_buf_free(struct eval_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int eval_buf_write(const struct eval_buf *b, FILE *out)
{
	if (b->failed)
		return EVAL_ERR_NOMEM;
	if (b->len && fwrite(b->data, 1, b->len, out) != b->len)
		return EVAL_ERR_IO;
	return fflush(out) == 0 ? EVAL_OK : EVAL_ERR_IO;
}

/* ---- JSON ---- */

/* cJSON_Add* return NULL when out of memory; every builder below checks
 * the object at the end with `ok`, which turns false on the first NULL. */
struct jb {
	bool ok;
};

static cJSON *jadd(struct jb *j, cJSON *obj, const char *key, cJSON *item)
{
	if (!item || !cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		j->ok = false;
		return NULL;
	}
	return item;
}

static void jnum(struct jb *j, cJSON *obj, const char *key, double v)
{
	jadd(j, obj, key, cJSON_CreateNumber(v));
}

static void jstr(struct jb *j, cJSON *obj, const char *key, const char *s)
{
	jadd(j, obj, key, cJSON_CreateString(s));
}

/* A string, or null when empty. */
static void jstr_or_null(struct jb *j, cJSON *obj, const char *key, const char *s)
{
	jadd(j, obj, key, s[0] ? cJSON_CreateString(s) : cJSON_CreateNull());
}

static void jday(struct jb *j, cJSON *obj, const char *key, int32_t day)
{
	char buf[16];

	if (day <= 0) {
		jadd(j, obj, key, cJSON_CreateNull());
		return;
	}
	eval_fmt_day(day, buf);
	jstr(j, obj, key, buf);
}

static void jbool(struct jb *j, cJSON *obj, const char *key, bool v)
{
	jadd(j, obj, key, cJSON_CreateBool(v));
}

static cJSON *jobj(struct jb *j, cJSON *obj, const char *key)
{
	return jadd(j, obj, key, cJSON_CreateObject());
}

static cJSON *jarr(struct jb *j, cJSON *obj, const char *key)
{
	return jadd(j, obj, key, cJSON_CreateArray());
}

static void jpush(struct jb *j, cJSON *arr, cJSON *item)
{
	if (!item || !arr || !cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		j->ok = false;
	}
}

/* A rate rounded to 4 decimals, or null for one without a base (< 0). */
static void jrate(struct jb *j, cJSON *obj, const char *key, double rate)
{
	if (rate < 0)
		jadd(j, obj, key, cJSON_CreateNull());
	else
		jnum(j, obj, key, eval_round(rate, 4));
}

static void jstats(struct jb *j, cJSON *obj, const char *key, const struct eval_stats *s)
{
	cJSON *o = jobj(j, obj, key);

	if (!o)
		return;
	jnum(j, o, "n", s->n);
	if (s->n == 0) {
		jadd(j, o, "mean_s", cJSON_CreateNull());
		jadd(j, o, "p50_s", cJSON_CreateNull());
		jadd(j, o, "p90_s", cJSON_CreateNull());
		jadd(j, o, "max_s", cJSON_CreateNull());
		return;
	}
	jnum(j, o, "mean_s", eval_round(s->mean_s, 2));
	jnum(j, o, "p50_s", (double)s->p50_s);
	jnum(j, o, "p90_s", (double)s->p90_s);
	jnum(j, o, "max_s", (double)s->max_s);
}

static void jscore(struct jb *j, cJSON *obj, const struct eval_figures *f, const struct config *cfg)
{
	if (!f->has_score) {
		jadd(j, obj, "score", cJSON_CreateNull());
		return;
	}
	const struct eval_score *s = &f->score;
	cJSON *o = jobj(j, obj, "score");
	if (!o)
		return;
	jnum(j, o, "total", eval_round(s->total, 2));
	jnum(j, o, "efficiency", eval_round(s->efficiency, 4));
	jnum(j, o, "satisfaction", eval_round(s->satisfaction, 4));
	jnum(j, o, "attendance", eval_round(s->attendance, 4));
	jnum(j, o, "base", cfg ? cfg->eval.score_base : 0);
	cJSON *w = jobj(j, o, "weights");
	if (w) {
		jnum(j, w, "efficiency", cfg ? cfg->eval.weight_efficiency : 0);
		jnum(j, w, "satisfaction", cfg ? cfg->eval.weight_satisfaction : 0);
		jnum(j, w, "attendance", cfg ? cfg->eval.weight_attendance : 0);
	}
	jnum(j, o, "weighted", eval_round(s->weighted, 2));
	cJSON *d = jarr(j, o, "deductions");
	for (int i = 0; d && i < CONFIG_DEDUCT_COUNT; i++) {
		cJSON *e = cJSON_CreateObject();
		jpush(j, d, e);
		if (!j->ok)
			return;
		jstr(j, e, "rule", deduction_keys[i]);
		jstr(j, e, "label", deduction_labels[i]);
		jnum(j, e, "count", s->deduction_counts[i]);
		jnum(j, e, "points_each", eval_deduction_each(cfg, i));
		jnum(j, e, "points", eval_round(s->deductions[i], 2));
	}
	jnum(j, o, "deduction_total", eval_round(s->deduction_total, 2));
	jnum(j, o, "bonus", eval_round(s->bonus, 2));
}

static const char *service_key(const struct config *cfg, int i)
{
	if (cfg && i < cfg->hall.n_services)
		return cfg->hall.services[i].id;
	return "unknown";
}

static const char *pause_key(const struct config *cfg, int i)
{
	if (cfg && i < cfg->hall.queue.n_pause_reasons)
		return cfg->hall.queue.pause_reasons[i];
	return "others";
}

enum subject_kind { KIND_HALL, KIND_WINDOW, KIND_STAFF };

/* The figures of a hall, window or staff member into obj. */
static void jfigures(struct jb *j, cJSON *o, const struct eval_figures *f, enum subject_kind k,
		     const struct config *cfg)
{
	if (k == KIND_HALL)
		jnum(j, o, "issued", f->issued);
	jnum(j, o, "served", f->served);
	cJSON *by = jobj(j, o, "served_by_service");
	for (int i = 0; by && i <= ENGINE_MAX_SERVICES; i++)
		if (f->served_by_service[i] &&
		    !cJSON_GetObjectItemCaseSensitive(by, service_key(cfg, i)))
			jnum(j, by, service_key(cfg, i), f->served_by_service[i]);
	jnum(j, o, "calls", f->calls);
	jnum(j, o, "transfers_in", f->transfers_in);
	jnum(j, o, "transfers_out", f->transfers_out);
	jnum(j, o, "recalls", f->recalls);
	jnum(j, o, "no_shows", f->no_shows);
	jnum(j, o, "holds", f->holds);
	if (k == KIND_HALL) {
		jnum(j, o, "cancelled", f->cancelled);
		jnum(j, o, "expired", f->expired);
	}
	jstats(j, o, "wait", &f->wait);
	jstats(j, o, "walk", &f->walk);
	jstats(j, o, "handling", &f->handling);
	jnum(j, o, "over_standard", f->over_standard);
	jnum(j, o, "over_wait_target", f->over_wait_target);
	jnum(j, o, "logged_in_s", (double)f->logged_in_s);
	jnum(j, o, "paused_s", (double)f->paused_s);
	cJSON *pr = jobj(j, o, "paused_by_reason_s");
	for (int i = 0; pr && i <= ENGINE_MAX_PAUSE_REASONS; i++)
		if (f->paused_by_reason_s[i] &&
		    !cJSON_GetObjectItemCaseSensitive(pr, pause_key(cfg, i)))
			jnum(j, pr, pause_key(cfg, i), (double)f->paused_by_reason_s[i]);
	jnum(j, o, "idle_s", (double)f->idle_s);
	if (k != KIND_STAFF) {
		jnum(j, o, "hours_s", (double)f->hours_s);
		jnum(j, o, "leave_s", (double)f->leave_s);
		jnum(j, o, "unattended_s", (double)f->unattended_s);
		jnum(j, o, "attended_s", (double)f->attended_s);
		jnum(j, o, "left_post_days", f->left_post_days);
		jnum(j, o, "absent_days", f->absent_days);
	}
	cJSON *si = jobj(j, o, "sign_in");
	if (si) {
		jnum(j, si, "on_time", f->sign_in_on_time);
		jnum(j, si, "late", f->sign_in_late);
		if (k != KIND_STAFF)
			jnum(j, si, "none", f->sign_in_none);
	}
	cJSON *ra = jarr(j, o, "ratings");
	for (int i = 1; ra && i <= 5; i++)
		jpush(j, ra, cJSON_CreateNumber(f->ratings[i]));
	jnum(j, o, "rated", f->rated);
	if (f->rated == 0 || f->satisfaction_rate < 0)
		jadd(j, o, "satisfaction_rate", cJSON_CreateNull());
	else
		jnum(j, o, "satisfaction_rate", eval_round(f->satisfaction_rate, 4));
	jnum(j, o, "complaints", f->complaints);
	jnum(j, o, "complaints_upheld", f->complaints_upheld);
	jnum(j, o, "complaints_open", f->complaints_open);
	jnum(j, o, "complaints_overdue", f->complaints_overdue);
	jnum(j, o, "praise", f->praise);
	jnum(j, o, "leave_records", f->leave_records);
	jnum(j, o, "duty_shifts", f->duty_shifts);
	if (k == KIND_WINDOW) {
		jnum(j, o, "duty_bonus", eval_round(f->duty_bonus, 2));
		jscore(j, o, f, cfg);
	}
}

static cJSON *hall_object(struct jb *j, const struct eval_report *r, const struct config *cfg)
{
	cJSON *o = cJSON_CreateObject();

	if (!o) {
		j->ok = false;
		return NULL;
	}
	jstr(j, o, "kind", "hall");
	jstr(j, o, "subject", "");
	jstr(j, o, "name", r->hall_name);
	jfigures(j, o, &r->hall, KIND_HALL, cfg);
	return o;
}

static cJSON *service_object(struct jb *j, const struct eval_service_record *s)
{
	cJSON *o = cJSON_CreateObject();

	if (!o) {
		j->ok = false;
		return NULL;
	}
	jstr(j, o, "kind", "service");
	jstr(j, o, "subject", s->id);
	jstr(j, o, "name", s->name);
	if (s->standard_min > 0)
		jnum(j, o, "standard_minutes", s->standard_min);
	else
		jadd(j, o, "standard_minutes", cJSON_CreateNull());
	if (s->wait_target_min > 0)
		jnum(j, o, "wait_target_minutes", s->wait_target_min);
	else
		jadd(j, o, "wait_target_minutes", cJSON_CreateNull());
	jnum(j, o, "issued", s->issued);
	jnum(j, o, "served", s->served);
	jnum(j, o, "no_shows", s->no_shows);
	jnum(j, o, "cancelled", s->cancelled);
	jnum(j, o, "expired", s->expired);
	jnum(j, o, "transfers_in", s->transferred_in);
	jnum(j, o, "transfers_out", s->transferred_out);
	jstats(j, o, "wait", &s->wait);
	jstats(j, o, "handling", &s->handling);
	jnum(j, o, "over_standard", s->over_standard);
	jnum(j, o, "over_wait_target", s->over_wait_target);
	cJSON *wb = jarr(j, o, "wait_buckets");
	for (int i = 0; wb && i < EVAL_WAIT_BUCKETS; i++)
		jpush(j, wb, cJSON_CreateNumber(s->wait_buckets[i]));
	jbool(j, o, "takes_appointments", s->takes_appointments);
	jnum(j, o, "appointments", s->appointments);
	jrate(j, o, "appointment_share", s->appointment_share);
	jnum(j, o, "bookings", s->bookings);
	jnum(j, o, "bookings_cancelled", s->bookings_cancelled);
	jnum(j, o, "bookings_booked", s->bookings_booked);
	jnum(j, o, "bookings_checked_in", s->bookings_checked_in);
	jnum(j, o, "bookings_on_time", s->bookings_on_time);
	jnum(j, o, "bookings_no_show", s->bookings_no_show);
	jrate(j, o, "no_show_rate", s->no_show_rate);
	jrate(j, o, "on_time_rate", s->on_time_rate);
	return o;
}

static int window_index(const struct eval_report *r, int number)
{
	for (int i = 0; i < r->n_windows; i++)
		if (r->windows[i].number == number)
			return i;
	return -1;
}

static cJSON *window_object(struct jb *j, const struct eval_report *r, int i,
			    const struct config *cfg)
{
	const struct eval_window_record *w = &r->windows[i];
	cJSON *o = cJSON_CreateObject();
	char subject[16];

	if (!o) {
		j->ok = false;
		return NULL;
	}
	snprintf(subject, sizeof(subject), "%d", w->number);
	jstr(j, o, "kind", "window");
	jstr(j, o, "subject", subject);
	jnum(j, o, "number", w->number);
	jstr(j, o, "name", w->name);
	jfigures(j, o, &w->f, KIND_WINDOW, cfg);
	if (r->period == EVAL_QUARTER && r->quarter_month_bonus) {
		cJSON *mb = jarr(j, o, "duty_bonus_by_month");
		for (int m = 0; mb && m < 3; m++)
			jpush(j, mb,
			      cJSON_CreateNumber(eval_round(r->quarter_month_bonus[i * 3 + m], 2)));
	}
	return o;
}

static cJSON *staff_object(struct jb *j, const struct eval_report *r, int i,
			   const struct config *cfg)
{
	const struct eval_staff_record *s = &r->staff[i];
	cJSON *o = cJSON_CreateObject();

	if (!o) {
		j->ok = false;
		return NULL;
	}
	jstr(j, o, "kind", "staff");
	jstr(j, o, "subject", s->id);
	jstr(j, o, "name", s->name[0] ? s->name : eval_staff_name(r, cfg, s->id));
	jfigures(j, o, &s->f, KIND_STAFF, cfg);
	return o;
}

static void jrules(struct jb *j, cJSON *root, const struct config *cfg)
{
	cJSON *o = jobj(j, root, "rules");

	if (!o || !cfg)
		return;
	const struct config_eval *e = &cfg->eval;
	jnum(j, o, "score_base", e->score_base);
	cJSON *w = jobj(j, o, "weights");
	if (w) {
		jnum(j, w, "efficiency", e->weight_efficiency);
		jnum(j, w, "satisfaction", e->weight_satisfaction);
		jnum(j, w, "attendance", e->weight_attendance);
	}
	cJSON *d = jobj(j, o, "deductions");
	for (int i = 0; d && i < CONFIG_DEDUCT_COUNT; i++)
		jnum(j, d, deduction_keys[i], e->deductions[i]);
	cJSON *l = jobj(j, o, "leader_duty");
	if (l) {
		jnum(j, l, "points_per_shift", e->leader_points_per_shift);
		jnum(j, l, "max_points_per_month", e->leader_max_points_per_month);
	}
	jnum(j, o, "half_day_minutes", e->half_day_min);
	jnum(j, o, "unattended_grace_minutes", e->unattended_grace_min);
	jnum(j, o, "complaint_limit_days", e->complaint_limit_days);
}

static void jlists(struct jb *j, cJSON *root, const struct eval_report *r, int window)
{
	char buf[16];
	cJSON *a = jarr(j, root, "attendance");
	for (int i = 0; a && j->ok && i < r->n_attendance; i++) {
		const struct eval_attendance_day *d = &r->attendance[i];
		if (!eval_keep_window(window, d->window))
			continue;
		cJSON *e = cJSON_CreateObject();
		jpush(j, a, e);
		if (!j->ok)
			break;
		jday(j, e, "day", d->day);
		jnum(j, e, "window", d->window);
		jstr(j, e, "sign_in", sign_in_key(d->sign_in));
		if (d->first_login_s > 0) {
			jnum(j, e, "first_login_s", (double)d->first_login_s);
			eval_fmt_clock(d->first_login_s, buf);
			jstr(j, e, "first_login", buf);
		} else {
			jadd(j, e, "first_login_s", cJSON_CreateNull());
			jadd(j, e, "first_login", cJSON_CreateNull());
		}
		jstr_or_null(j, e, "staff", d->staff);
		jnum(j, e, "hours_s", (double)d->hours_s);
		jnum(j, e, "leave_s", (double)d->leave_s);
		jnum(j, e, "unattended_s", (double)d->unattended_s);
		jstr(j, e, "class", attendance_key(d->cls));
	}
	cJSON *lr = jarr(j, root, "low_ratings");
	for (int i = 0; lr && j->ok && i < r->n_low_ratings; i++) {
		const struct eval_rating_item *x = &r->low_ratings[i];
		if (!eval_keep_window(window, x->window))
			continue;
		cJSON *e = cJSON_CreateObject();
		jpush(j, lr, e);
		if (!j->ok)
			break;
		jday(j, e, "day", x->day);
		jnum(j, e, "at_s", (double)x->at_s);
		eval_fmt_clock(x->at_s, buf);
		jstr(j, e, "time", buf);
		jstr(j, e, "ticket", x->ticket);
		jstr(j, e, "service", x->service);
		jnum(j, e, "window", x->window);
		jstr_or_null(j, e, "staff", x->staff);
		jnum(j, e, "rating", x->rating);
	}
	cJSON *c = jarr(j, root, "complaints");
	for (int i = 0; c && j->ok && i < r->n_complaints; i++) {
		const struct eval_complaint *x = &r->complaints[i];
		if (!eval_keep_window(window, x->window))
			continue;
		cJSON *e = cJSON_CreateObject();
		jpush(j, c, e);
		if (!j->ok)
			break;
		jnum(j, e, "id", (double)x->id);
		jstr(j, e, "kind", x->kind);
		jday(j, e, "day", x->day);
		eval_fmt_minute(x->minute, buf);
		jstr(j, e, "time", buf);
		jnum(j, e, "window", x->window);
		jstr_or_null(j, e, "staff", x->staff);
		jstr_or_null(j, e, "ticket", x->ticket);
		jstr(j, e, "text", x->text);
		jstr(j, e, "status", x->status);
		jday(j, e, "closed_day", x->closed_day);
		jstr_or_null(j, e, "note", x->note);
		jnum(j, e, "days_open", x->days_open);
		jbool(j, e, "overdue", x->overdue);
	}
	cJSON *l = jarr(j, root, "leave");
	for (int i = 0; l && j->ok && i < r->n_leave; i++) {
		const struct eval_leave *x = &r->leave[i];
		if (!eval_keep_window(window, x->window))
			continue;
		cJSON *e = cJSON_CreateObject();
		jpush(j, l, e);
		if (!j->ok)
			break;
		jnum(j, e, "id", (double)x->id);
		jday(j, e, "day", x->day);
		jnum(j, e, "window", x->window);
		jstr_or_null(j, e, "staff", x->staff);
		eval_fmt_minute(x->from_min, buf);
		jstr(j, e, "from", buf);
		eval_fmt_minute(x->to_min, buf);
		jstr(j, e, "until", buf);
		jnum(j, e, "from_min", x->from_min);
		jnum(j, e, "to_min", x->to_min);
		jstr_or_null(j, e, "reason", x->reason);
	}
	cJSON *d = jarr(j, root, "duty");
	for (int i = 0; d && j->ok && i < r->n_duty; i++) {
		const struct eval_duty *x = &r->duty[i];
		if (!eval_keep_window(window, x->window))
			continue;
		cJSON *e = cJSON_CreateObject();
		jpush(j, d, e);
		if (!j->ok)
			break;
		jnum(j, e, "id", (double)x->id);
		jday(j, e, "day", x->day);
		jnum(j, e, "window", x->window);
		jstr(j, e, "leader", x->leader);
		jstr(j, e, "shift", x->shift);
	}
}

static cJSON *report_object(struct jb *j, const struct eval_report *r, const struct config *cfg,
			    int window)
{
	cJSON *root = cJSON_CreateObject();

	if (!root) {
		j->ok = false;
		return NULL;
	}
	jstr(j, root, "period", eval_period_key(r->period));
	jday(j, root, "first_day", r->first_day);
	jday(j, root, "last_day", r->last_day);
	jday(j, root, "through_day", r->through_day);
	jnum(j, root, "now_s", (double)r->now_s);
	jbool(j, root, "final", r->final);
	jnum(j, root, "days_with_events", r->days_with_events);
	jnum(j, root, "days_counted", r->days_counted);
	jstr(j, root, "hall_name", r->hall_name);
	if (window > 0)
		jnum(j, root, "window", window);
	else
		jadd(j, root, "window", cJSON_CreateNull());
	jrules(j, root, cfg);
	cJSON *limits = jarr(j, root, "wait_bucket_limits_s");
	for (int i = 0; limits && i < EVAL_WAIT_BUCKETS - 1; i++)
		jpush(j, limits, cJSON_CreateNumber((double)eval_wait_bucket_limits_s[i]));
	if (window <= 0) {
		jadd(j, root, "hall", hall_object(j, r, cfg));
		cJSON *sv = jarr(j, root, "services");
		for (int i = 0; sv && j->ok && i < r->n_services; i++)
			jpush(j, sv, service_object(j, &r->services[i]));
	}
	cJSON *wv = jarr(j, root, "windows");
	for (int i = 0; wv && j->ok && i < r->n_windows; i++)
		if (eval_keep_window(window, r->windows[i].number))
			jpush(j, wv, window_object(j, r, i, cfg));
	cJSON *st = jarr(j, root, "staff");
	for (int i = 0; st && j->ok && i < r->n_staff; i++)
		if (eval_keep_staff(r, window, &r->staff[i]))
			jpush(j, st, staff_object(j, r, i, cfg));
	if (window <= 0) {
		cJSON *h = jobj(j, root, "hourly");
		if (h) {
			cJSON *iss = jarr(j, h, "issued"), *srv = jarr(j, h, "served");
			for (int i = 0; iss && srv && i < EVAL_HOURS; i++) {
				jpush(j, iss, cJSON_CreateNumber(r->hourly_issued[i]));
				jpush(j, srv, cJSON_CreateNumber(r->hourly_served[i]));
			}
		}
	}
	jlists(j, root, r, window);
	return root;
}

char *eval_report_json(const struct eval_report *r, const struct config *cfg, int window)
{
	struct jb j = {.ok = true};
	cJSON *root = report_object(&j, r, cfg, window);
	char *text = j.ok ? cJSON_Print(root) : NULL;

	cJSON_Delete(root);
	return text;
}

char *eval_subject_json(const struct eval_report *r, const struct config *cfg, const char *kind,
			const char *subject)
{
	struct jb j = {.ok = true};
	cJSON *o = NULL;

	if (strcmp(kind, "hall") == 0) {
		o = hall_object(&j, r, cfg);
	} else if (strcmp(kind, "service") == 0) {
		for (int i = 0; i < r->n_services && !o; i++)
			if (strcmp(r->services[i].id, subject) == 0)
				o = service_object(&j, &r->services[i]);
	} else if (strcmp(kind, "window") == 0) {
		char *end;
		long n = strtol(subject, &end, 10);
		int i = *subject && !*end ? window_index(r, (int)n) : -1;
		if (i >= 0)
			o = window_object(&j, r, i, cfg);
	} else if (strcmp(kind, "staff") == 0) {
		for (int i = 0; i < r->n_staff && !o; i++)
			if (strcmp(r->staff[i].id, subject) == 0)
				o = staff_object(&j, r, i, cfg);
	}
	char *text = o && j.ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return text;
}

static int render_json(FILE *out, const struct eval_report *r, const struct config *cfg, int window)
{
	char *text = eval_report_json(r, cfg, window);
	int rc = EVAL_OK;

	if (!text)
		return EVAL_ERR_NOMEM;
	if (fputs(text, out) == EOF || fputc('\n', out) == EOF || fflush(out) != 0)
		rc = EVAL_ERR_IO;
	free(text);
	return rc;
}

int eval_render(FILE *out, const struct eval_report *r, const struct config *cfg, int format,
		int window)
{
	switch (format) {
	case EVAL_FORMAT_TABLE:
		return eval_render_table(out, r, cfg, window);
	case EVAL_FORMAT_CSV:
		return eval_render_csv(out, r, cfg, window);
	case EVAL_FORMAT_JSON:
		return render_json(out, r, cfg, window);
	case EVAL_FORMAT_HTML:
		return eval_render_html(out, r, cfg, window);
	}
	return EVAL_ERR_BAD_ARGUMENT;
}
