/*
 * render_html.c — the printable bulletin (hallctl report --format html):
 * 窗口工作日报 (day), 窗口工作通报 (week), 《行政审批简报》 (month) or
 * 季度考评 (quarter) of the hall.
 *
 * Room: hostd/eval. One self-contained page: inline CSS that prints on A4,
 * inline SVG charts drawn by svg.c (hourly arrivals against tickets
 * served, the wait distribution of each service, per-window served and
 * score), no script, font, image or link outside the page. Every text from
 * the database or the config is HTML-escaped. Durations in minutes with
 * one decimal, "—" for no data, as in the table.
 */
#include <stdlib.h>
#include <string.h>

#include "eval/render.h"

static const char style[] =
    "<style>\n"
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Micro Hei\","
    "sans-serif;color:#222;margin:24px auto;max-width:1000px;font-size:14px;line-height:1.5}\n"
    "h1{text-align:center;color:#b00;font-size:28px;margin:0 0 4px;letter-spacing:4px}\n"
    "p.sub{text-align:center;margin:0 0 8px;color:#444}\n"
    "hr.red{border:0;border-top:2px solid #b00;margin:4px 0 16px}\n"
    "h2{font-size:18px;border-left:4px solid #b00;padding-left:8px;margin:20px 0 8px}\n"
    "table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:12px}\n"
    "th,td{border:1px solid #999;padding:2px 5px;text-align:right}\n"
    "th{background:#eee;text-align:center}\n"
    "td.t{text-align:left}\n"
    "svg.chart{width:100%;height:auto;max-width:720px;display:block;margin:6px auto}\n"
    "p.none{color:#777}\n"
    "footer{margin-top:24px;font-size:11px;color:#666;text-align:right}\n"
    "@page{size:A4;margin:15mm 12mm}\n"
    "@media print{body{margin:0;max-width:none;font-size:10.5pt}"
    "h2{break-after:avoid}table,svg.chart{break-inside:avoid}"
    "th{background:#eee;-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n"
    "</style>\n";

/* ---- small writers ---- */

static void text(struct eval_buf *b, const char *s)
{
	eval_buf_html(b, s && s[0] ? s : "—");
}

static void th_row(struct eval_buf *b, const char *const *heads, int n)
{
	eval_buf_puts(b, "<table><thead><tr>");
	for (int i = 0; i < n; i++) {
		eval_buf_puts(b, "<th>");
		eval_buf_html(b, heads[i]);
		eval_buf_puts(b, "</th>");
	}
	eval_buf_puts(b, "</tr></thead><tbody>\n");
}

static void td_text(struct eval_buf *b, const char *s)
{
	eval_buf_puts(b, "<td class=\"t\">");
	text(b, s);
	eval_buf_puts(b, "</td>");
}

static void td_int(struct eval_buf *b, long long n)
{
	eval_buf_printf(b, "<td>%lld</td>", n);
}

static void td_min(struct eval_buf *b, double seconds)
{
	char buf[32];

	eval_fmt_minutes(seconds, buf);
	eval_buf_printf(b, "<td>%s</td>", buf);
}

static void td_mean(struct eval_buf *b, const struct eval_stats *s)
{
	if (s->n == 0)
		eval_buf_puts(b, "<td>—</td>");
	else
		td_min(b, s->mean_s);
}

static void td_p90(struct eval_buf *b, const struct eval_stats *s)
{
	if (s->n == 0)
		eval_buf_puts(b, "<td>—</td>");
	else
		td_min(b, (double)s->p90_s);
}

static void td_rate(struct eval_buf *b, int rated, double rate)
{
	if (rated == 0 || rate < 0)
		eval_buf_puts(b, "<td>—</td>");
	else
		eval_buf_printf(b, "<td>%.1f%%</td>", eval_round(rate * 100, 1));
}

static void td_points(struct eval_buf *b, double x, int decimals)
{
	eval_buf_printf(b, "<td>%.*f</td>", decimals, eval_round(x, decimals));
}

static void td_day(struct eval_buf *b, int32_t day)
{
	char buf[16];

	if (day <= 0) {
		eval_buf_puts(b, "<td>—</td>");
		return;
	}
	eval_fmt_day(day, buf);
	eval_buf_printf(b, "<td class=\"t\">%s</td>", buf);
}

static void end_table(struct eval_buf *b, int rows)
{
	eval_buf_puts(b, "</tbody></table>\n");
	if (rows == 0)
		eval_buf_puts(b, "<p class=\"none\">本期无。</p>\n");
}

static void mean_min(const struct eval_stats *s, char out[32])
{
	if (s->n == 0)
		snprintf(out, 32, "—");
	else
		eval_fmt_minutes(s->mean_s, out);
}

/* ---- sections ---- */

static void summary(struct eval_buf *b, const struct eval_report *r)
{
	const struct eval_figures *f = &r->hall;
	char wait[32], handling[32], rate[32];
	const char *labels[EVAL_HOURS];
	char label_text[EVAL_HOURS][12];
	double issued[EVAL_HOURS], served[EVAL_HOURS];

	mean_min(&f->wait, wait);
	mean_min(&f->handling, handling);
	if (f->rated > 0 && f->satisfaction_rate >= 0)
		snprintf(rate, sizeof(rate), "%.1f%%", eval_round(f->satisfaction_rate * 100, 1));
	else
		snprintf(rate, sizeof(rate), "—");
	eval_buf_puts(b, "<section id=\"summary\"><h2>一、总体情况</h2>\n<p>");
	eval_buf_printf(b,
			"本期有办件 %d 天（考勤 %d 天）。全厅共取号 <b>%d</b> 张，办结 <b>%d</b> "
			"件，过号 %d 张，取消 %d 张，日终未办 %d 张；平均等候 %s 分钟，等候超标 %d "
			"件；平均办理 %s 分钟，超时办件 %d 件。群众评价 %d 次，满意率 %s；收到投诉 "
			"%d 件（属实 %d 件），表扬 %d 件。",
			r->days_with_events, r->days_counted, f->issued, f->served, f->no_shows,
			f->cancelled, f->expired, wait, f->over_wait_target, handling,
			f->over_standard, f->rated, rate, f->complaints, f->complaints_upheld,
			f->praise);
	eval_buf_puts(b, "</p>\n");
	/* the hours that had anything, from the first to the last */
	int lo = 0, hi = EVAL_HOURS - 1;
	while (lo < hi && !r->hourly_issued[lo] && !r->hourly_served[lo])
		lo++;
	while (hi > lo && !r->hourly_issued[hi] && !r->hourly_served[hi])
		hi--;
	if (lo == hi && !r->hourly_issued[lo] && !r->hourly_served[lo]) {
		lo = 8;
		hi = 17;
	}
	for (int h = lo; h <= hi; h++) {
		snprintf(label_text[h - lo], sizeof(label_text[0]), "%d", h);
		labels[h - lo] = label_text[h - lo];
		issued[h - lo] = r->hourly_issued[h];
		served[h - lo] = r->hourly_served[h];
	}
	struct eval_chart c = {.title = "分时段取号与办结",
			       .unit = "张（按小时）",
			       .n_groups = hi - lo + 1,
			       .labels = labels,
			       .n_series = 2,
			       .series_names = {"取号", "办结"},
			       .values = {issued, served}};
	eval_svg_bars(b, &c);
	eval_buf_puts(b, "</section>\n");
}

/* 预约情况: the services that take appointments (docs/evaluation.md). */
static void appointments(struct eval_buf *b, const struct eval_report *r)
{
	static const char *const heads[] = {"业务", "预约取号", "预约占比", "预约",   "取消",
					    "签到", "准时",     "爽约",     "爽约率", "准时签到率"};
	int rows = 0;

	if (!eval_any_appointments(r))
		return;
	eval_buf_puts(b, "<h3>预约情况</h3>\n");
	th_row(b, heads, 10);
	for (int i = 0; i < r->n_services; i++) {
		const struct eval_service_record *s = &r->services[i];
		if (!eval_shows_appointments(s))
			continue;
		eval_buf_puts(b, "<tr>");
		td_text(b, s->name[0] ? s->name : s->id);
		td_int(b, s->appointments);
		td_rate(b, s->appointment_share >= 0, s->appointment_share);
		td_int(b, s->bookings);
		td_int(b, s->bookings_cancelled);
		td_int(b, s->bookings_checked_in);
		td_int(b, s->bookings_on_time);
		td_int(b, s->bookings_no_show);
		td_rate(b, s->no_show_rate >= 0, s->no_show_rate);
		td_rate(b, s->on_time_rate >= 0, s->on_time_rate);
		eval_buf_puts(b, "</tr>\n");
		rows++;
	}
	end_table(b, rows);
}

static void services(struct eval_buf *b, const struct eval_report *r)
{
	static const char *const heads[] = {
	    "业务",        "取号",     "办结",         "过号",     "平均等候(分)",
	    "等候p90(分)", "等候超标", "平均办理(分)", "标准(分)", "超时办件"};
	static const char *const bucket_names[EVAL_WAIT_BUCKETS] = {
	    "<5分", "5-10分", "10-15分", "15-30分", "30-60分", "60-120分", "≥120分"};
	int rows = 0;

	eval_buf_puts(b, "<section id=\"services\"><h2>二、办件种类与数量</h2>\n");
	th_row(b, heads, 10);
	for (int i = 0; i < r->n_services; i++) {
		const struct eval_service_record *s = &r->services[i];
		eval_buf_puts(b, "<tr>");
		td_text(b, s->name[0] ? s->name : s->id);
		td_int(b, s->issued);
		td_int(b, s->served);
		td_int(b, s->no_shows);
		td_mean(b, &s->wait);
		td_p90(b, &s->wait);
		td_int(b, s->over_wait_target);
		td_mean(b, &s->handling);
		if (s->standard_min > 0)
			td_int(b, s->standard_min);
		else
			eval_buf_puts(b, "<td>—</td>");
		td_int(b, s->over_standard);
		eval_buf_puts(b, "</tr>\n");
		rows++;
	}
	end_table(b, rows);

	/* the wait distribution: one stacked bar per service, a part per bucket */
	int n = r->n_services;
	const char **labels = calloc((size_t)(n ? n : 1), sizeof(*labels));
	double *vals = calloc((size_t)(n ? n : 1) * EVAL_WAIT_BUCKETS, sizeof(*vals));
	if (!labels || !vals) {
		b->failed = true;
	} else {
		struct eval_chart c = {.title = "各业务等候时长分布",
				       .unit = "张",
				       .n_groups = n,
				       .labels = labels,
				       .n_series = EVAL_WAIT_BUCKETS,
				       .stacked = true};
		for (int i = 0; i < n; i++)
			labels[i] =
			    r->services[i].name[0] ? r->services[i].name : r->services[i].id;
		for (int k = 0; k < EVAL_WAIT_BUCKETS; k++) {
			for (int i = 0; i < n; i++)
				vals[k * n + i] = r->services[i].wait_buckets[k];
			c.series_names[k] = bucket_names[k];
			c.values[k] = vals + k * n;
		}
		eval_svg_bars(b, &c);
	}
	free(labels);
	free(vals);
	appointments(b, r);
	eval_buf_puts(b, "</section>\n");
}

static void windows(struct eval_buf *b, const struct eval_report *r, const struct config *cfg,
		    int window)
{
	static const char *const heads[] = {
	    "窗口", "名称", "办结", "平均办理(分)", "超时", "效率E",  "满意S",    "考勤A", "加权",
	    "迟到", "离岗", "旷工", "差评",         "投诉", "超时扣", "带班加分", "得分"};
	int rows = 0, n = 0;
	double *served = calloc((size_t)r->n_windows + 1, sizeof(double));
	double *score = calloc((size_t)r->n_windows + 1, sizeof(double));
	const char **labels = calloc((size_t)r->n_windows + 1, sizeof(*labels));
	char(*label_text)[16] = calloc((size_t)r->n_windows + 1, sizeof(*label_text));

	eval_buf_puts(b, "<section id=\"windows\"><h2>三、窗口考评</h2>\n");
	if (cfg)
		eval_buf_printf(
		    b,
		    "<p>得分 = 基础分 %g × (%g × 效率E + %g × 满意S + %g × 考勤A) − "
		    "扣分 + 领导带班加分；扣分：迟到 %g/次，擅自离岗 %g/天，旷工 %g/天，"
		    "差评 %g/次，投诉属实 %g/件，超时办件 %g/件。</p>\n",
		    cfg->eval.score_base, cfg->eval.weight_efficiency,
		    cfg->eval.weight_satisfaction, cfg->eval.weight_attendance,
		    cfg->eval.deductions[0], cfg->eval.deductions[1], cfg->eval.deductions[2],
		    cfg->eval.deductions[3], cfg->eval.deductions[4], cfg->eval.deductions[5]);
	th_row(b, heads, 17);
	for (int i = 0; i < r->n_windows; i++) {
		const struct eval_window_record *w = &r->windows[i];
		const struct eval_figures *f = &w->f;
		const struct eval_score *s = &f->score;
		if (!eval_keep_window(window, w->number))
			continue;
		eval_buf_puts(b, "<tr>");
		td_int(b, w->number);
		td_text(b, w->name);
		td_int(b, f->served);
		td_mean(b, &f->handling);
		td_int(b, f->over_standard);
		if (f->has_score) {
			td_points(b, s->efficiency, 4);
			td_points(b, s->satisfaction, 4);
			td_points(b, s->attendance, 4);
			td_points(b, s->weighted, 2);
			for (int k = 0; k < CONFIG_DEDUCT_COUNT; k++)
				td_points(b, s->deductions[k], 2);
			td_points(b, s->bonus, 2);
			td_points(b, s->total, 2);
		} else {
			for (int k = 0; k < 12; k++)
				eval_buf_puts(b, "<td>—</td>");
		}
		eval_buf_puts(b, "</tr>\n");
		rows++;
		if (served && score && labels && label_text) {
			snprintf(label_text[n], sizeof(label_text[0]), "%d号", w->number);
			labels[n] = label_text[n];
			served[n] = f->served;
			score[n] = f->has_score ? s->total : 0;
			n++;
		}
	}
	end_table(b, rows);
	if (!served || !score || !labels || !label_text) {
		b->failed = true;
	} else if (n > 0) {
		struct eval_chart c1 = {.title = "各窗口办结量",
					.unit = "件",
					.n_groups = n,
					.labels = labels,
					.n_series = 1,
					.series_names = {"办结"},
					.values = {served}};
		struct eval_chart c2 = {.title = "各窗口得分",
					.unit = "分",
					.n_groups = n,
					.labels = labels,
					.n_series = 1,
					.series_names = {"得分"},
					.values = {score}};
		eval_svg_bars(b, &c1);
		eval_svg_bars(b, &c2);
	}
	free(served);
	free(score);
	free(labels);
	free(label_text);
	eval_buf_puts(b, "</section>\n");
}

static void attendance(struct eval_buf *b, const struct eval_report *r, const struct config *cfg,
		       int window)
{
	static const char *const heads[] = {"窗口",         "名称",     "签到按时", "迟到",
					    "未签到",       "在岗(分)", "空岗(分)", "请假(分)",
					    "擅自离岗(天)", "旷工(天)"};
	static const char *const iheads[] = {"日期", "窗口",     "签到",     "首次登录",
					     "人员", "空岗(分)", "请假(分)", "类别"};
	static const char *const lheads[] = {"日期", "窗口", "人员", "时段", "事由"};
	char buf[16], who[160];
	int rows = 0;

	eval_buf_puts(b, "<section id=\"attendance\"><h2>四、考勤情况</h2>\n");
	th_row(b, heads, 10);
	for (int i = 0; i < r->n_windows; i++) {
		const struct eval_window_record *w = &r->windows[i];
		const struct eval_figures *f = &w->f;
		if (!eval_keep_window(window, w->number))
			continue;
		eval_buf_puts(b, "<tr>");
		td_int(b, w->number);
		td_text(b, w->name);
		td_int(b, f->sign_in_on_time);
		td_int(b, f->sign_in_late);
		td_int(b, f->sign_in_none);
		td_min(b, (double)f->attended_s);
		td_min(b, (double)f->unattended_s);
		td_min(b, (double)f->leave_s);
		td_int(b, f->left_post_days);
		td_int(b, f->absent_days);
		eval_buf_puts(b, "</tr>\n");
		rows++;
	}
	end_table(b, rows);

	eval_buf_puts(b, "<h3>考勤异常</h3>\n");
	th_row(b, iheads, 8);
	rows = 0;
	for (int i = 0; i < r->n_attendance; i++) {
		const struct eval_attendance_day *d = &r->attendance[i];
		if (!eval_keep_window(window, d->window) ||
		    ((d->sign_in == EVAL_SIGN_IN_ON_TIME || d->sign_in == EVAL_SIGN_IN_LEAVE) &&
		     d->cls == EVAL_ATT_NONE))
			continue;
		eval_buf_puts(b, "<tr>");
		td_day(b, d->day);
		td_int(b, d->window);
		td_text(b, eval_sign_in_label(d->sign_in));
		eval_fmt_clock(d->first_login_s, buf);
		td_text(b, buf);
		snprintf(who, sizeof(who), "%s %s", d->staff, eval_staff_name(r, cfg, d->staff));
		td_text(b, d->staff[0] ? who : "");
		td_min(b, (double)d->unattended_s);
		td_min(b, (double)d->leave_s);
		td_text(b, eval_attendance_label(d->cls));
		eval_buf_puts(b, "</tr>\n");
		rows++;
	}
	end_table(b, rows);

	eval_buf_puts(b, "<h3>请假</h3>\n");
	th_row(b, lheads, 5);
	rows = 0;
	for (int i = 0; i < r->n_leave; i++) {
		const struct eval_leave *l = &r->leave[i];
		char from[16], to[16];
		if (!eval_keep_window(window, l->window))
			continue;
		eval_buf_puts(b, "<tr>");
		td_day(b, l->day);
		td_int(b, l->window);
		snprintf(who, sizeof(who), "%s %s", l->staff, eval_staff_name(r, cfg, l->staff));
		td_text(b, l->staff[0] ? who : "");
		eval_fmt_minute(l->from_min, from);
		eval_fmt_minute(l->to_min, to);
		eval_buf_printf(b, "<td class=\"t\">%s–%s</td>", from, to);
		td_text(b, l->reason);
		eval_buf_puts(b, "</tr>\n");
		rows++;
	}
	end_table(b, rows);
	eval_buf_puts(b, "</section>\n");
}

static void satisfaction(struct eval_buf *b, const struct eval_report *r, const struct config *cfg,
			 int window)
{
	static const char *const heads[] = {"窗口",   "名称",       "非常满意", "满意",  "基本满意",
					    "不满意", "非常不满意", "评价数",   "满意率"};
	static const char *const lheads[] = {"日期", "时间", "票号", "业务",
					     "窗口", "人员", "评价"};
	char buf[16], who[160];
	int rows = 0;

	eval_buf_puts(b, "<section id=\"satisfaction\"><h2>五、群众满意度（好差评）</h2>\n");
	th_row(b, heads, 9);
	for (int i = 0; i < r->n_windows; i++) {
		const struct eval_window_record *w = &r->windows[i];
		const struct eval_figures *f = &w->f;
		if (!eval_keep_window(window, w->number))
			continue;
		eval_buf_puts(b, "<tr>");
		td_int(b, w->number);
		td_text(b, w->name);
		for (int k = 1; k <= 5; k++)
			td_int(b, f->ratings[k]);
		td_int(b, f->rated);
		td_rate(b, f->rated, f->satisfaction_rate);
		eval_buf_puts(b, "</tr>\n");
		rows++;
	}
	end_table(b, rows);
	eval_buf_puts(b, "<h3>差评跟进</h3>\n");
	th_row(b, lheads, 7);
	rows = 0;
	for (int i = 0; i < r->n_low_ratings; i++) {
		const struct eval_rating_item *x = &r->low_ratings[i];
		if (!eval_keep_window(window, x->window))
			continue;
		eval_buf_puts(b, "<tr>");
		td_day(b, x->day);
		eval_fmt_clock(x->at_s, buf);
		td_text(b, buf);
		td_text(b, x->ticket);
		const char *name = eval_service_name(r, x->service);
		td_text(b, name[0] ? name : x->service);
		td_int(b, x->window);
		snprintf(who, sizeof(who), "%s %s", x->staff, eval_staff_name(r, cfg, x->staff));
		td_text(b, x->staff[0] ? who : "");
		td_text(b, eval_rating_label(x->rating));
		eval_buf_puts(b, "</tr>\n");
		rows++;
	}
	end_table(b, rows);
	eval_buf_puts(b, "</section>\n");
}

static void complaints(struct eval_buf *b, const struct eval_report *r, int window)
{
	static const char *const heads[] = {"编号", "类别", "日期", "窗口",     "人员", "票号",
					    "内容", "状态", "办结", "已办天数", "超期", "处理意见"};
	char buf[16];
	int rows = 0;

	eval_buf_puts(b, "<section id=\"complaints\"><h2>六、投诉与表扬</h2>\n");
	th_row(b, heads, 12);
	for (int i = 0; i < r->n_complaints; i++) {
		const struct eval_complaint *c = &r->complaints[i];
		if (!eval_keep_window(window, c->window))
			continue;
		eval_buf_puts(b, "<tr>");
		td_int(b, c->id);
		td_text(b, strcmp(c->kind, "praise") == 0 ? "表扬" : "投诉");
		eval_fmt_day(c->day, buf);
		eval_buf_printf(b, "<td class=\"t\">%s ", buf);
		eval_fmt_minute(c->minute, buf);
		eval_buf_printf(b, "%s</td>", buf);
		td_int(b, c->window);
		td_text(b, c->staff);
		td_text(b, c->ticket);
		td_text(b, c->text);
		td_text(b, eval_status_label(c->status));
		td_day(b, c->closed_day);
		td_int(b, c->days_open);
		td_text(b, c->overdue ? "超期" : "");
		td_text(b, c->note);
		eval_buf_puts(b, "</tr>\n");
		rows++;
	}
	end_table(b, rows);
	eval_buf_puts(b, "</section>\n");
}

static void duty(struct eval_buf *b, const struct eval_report *r, int window)
{
	static const char *const heads[] = {"日期", "窗口", "带班领导", "班次"};
	int rows = 0;

	eval_buf_puts(b, "<section id=\"duty\"><h2>七、领导带班</h2>\n");
	th_row(b, heads, 4);
	for (int i = 0; i < r->n_duty; i++) {
		const struct eval_duty *d = &r->duty[i];
		if (!eval_keep_window(window, d->window))
			continue;
		eval_buf_puts(b, "<tr>");
		td_day(b, d->day);
		td_int(b, d->window);
		td_text(b, d->leader);
		td_text(b, strcmp(d->shift, "am") == 0   ? "上午"
			   : strcmp(d->shift, "pm") == 0 ? "下午"
							 : "全天");
		eval_buf_puts(b, "</tr>\n");
		rows++;
	}
	end_table(b, rows);
	eval_buf_puts(b, "</section>\n");
}

int eval_render_html(FILE *out, const struct eval_report *r, const struct config *cfg, int window)
{
	struct eval_buf b = {0};
	char first[16], last[16], through[16];
	const char *title = eval_period_title(r->period);

	eval_fmt_day(r->first_day, first);
	eval_fmt_day(r->last_day, last);
	eval_fmt_day(r->through_day, through);
	eval_buf_puts(&b,
		      "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<title>");
	eval_buf_html(&b, r->hall_name);
	eval_buf_printf(&b, " %s %s 至 %s</title>\n", title, first, last);
	eval_buf_puts(&b, style);
	eval_buf_puts(&b, "</head>\n<body>\n<header><h1>");
	eval_buf_html(&b, title);
	eval_buf_puts(&b, "</h1>\n<p class=\"sub\">");
	eval_buf_html(&b, r->hall_name);
	eval_buf_printf(&b, "　%s 至 %s", first, last);
	if (r->final)
		eval_buf_puts(&b, "（本期已结束）");
	else
		eval_buf_printf(&b, "（统计至 %s）", through);
	if (window > 0)
		eval_buf_printf(&b, "　%d 号窗口", window);
	eval_buf_puts(&b, "</p><hr class=\"red\"></header>\n");
	if (window <= 0) {
		summary(&b, r);
		services(&b, r);
	}
	windows(&b, r, cfg, window);
	attendance(&b, r, cfg, window);
	satisfaction(&b, r, cfg, window);
	complaints(&b, r, window);
	duty(&b, r, window);
	eval_buf_puts(&b, "<footer>hallq ");
	eval_buf_html(&b, eval_period_key(r->period));
	eval_buf_puts(&b, " report</footer>\n</body>\n</html>\n");
	int rc = eval_buf_write(&b, out);
	eval_buf_free(&b);
	return rc;
}
