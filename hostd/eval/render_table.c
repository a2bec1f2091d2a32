/*
 * render_table.c — the report as aligned text for a terminal (hallctl
 * report --format table).
 *
 * Room: hostd/eval. Sections: the hall summary, services, windows, the
 * windows' scores, staff, attendance incidents and leave, low ratings for
 * follow-up, complaints and praise, leader shifts; with --window N only
 * that window's rows and lists, and its score worked out line by line.
 * Columns are padded by display width (eval_text_width_in, with one C.UTF-8
 * locale made per render: a CJK character is
 * two columns), every row of a section exactly as wide as its rule line.
 * Durations are minutes with one decimal; "—" is no data.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "eval/render.h"

enum { TBL_MAX_COLS = 24, CELL_SIZE = 256, TEXT_MAX_COLS = 40 };

struct tbl {
	locale_t utf8; /* the render's, for display widths */
	int n_cols;
	const char *head[TBL_MAX_COLS];
	bool left[TBL_MAX_COLS]; /* text left-aligned, numbers right */
	char (*cells)[TBL_MAX_COLS][CELL_SIZE];
	int n_rows, cap_rows;
	bool failed;
};

/* Starts a table: heads is "name|name|..." with a leading '<' on
 * left-aligned columns. */
static void tbl_init(struct tbl *t, locale_t utf8, const char *const *heads, int n)
{
	memset(t, 0, sizeof(*t));
	t->utf8 = utf8;
	t->n_cols = n;
	for (int i = 0; i < n; i++) {
		t->left[i] = heads[i][0] == '<';
		t->head[i] = heads[i] + (t->left[i] ? 1 : 0);
	}
}

/* Copies text into a cell, control characters as spaces, cut to
 * TEXT_MAX_COLS display columns with "…". */
static void cell_set(locale_t utf8, char *cell, const char *text)
{
	size_t n = 0;

	for (const char *p = text; *p && n + 1 < CELL_SIZE; p++)
		cell[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
	cell[n] = '\0';
	if (eval_text_width_in(utf8, cell) <= TEXT_MAX_COLS)
		return;
	/* drop whole UTF-8 characters from the end until it fits with "…" */
	while (n > 0) {
		do
			n--;
		while (n > 0 && ((unsigned char)cell[n] & 0xC0) == 0x80);
		cell[n] = '\0';
		if (eval_text_width_in(utf8, cell) + 1 <= TEXT_MAX_COLS)
			break;
	}
	if (n + 4 < CELL_SIZE)
		memcpy(cell + n, "…", 4);
}

/* Adds a row; vals has n_cols strings. */
static void tbl_row(struct tbl *t, const char *const *vals)
{
	if (t->failed)
		return;
	if (t->n_rows == t->cap_rows) {
		int cap = t->cap_rows ? t->cap_rows * 2 : 16;
		void *cells = realloc(t->cells, (size_t)cap * sizeof(*t->cells));
		if (!cells) {
			t->failed = true;
			return;
		}
		t->cells = cells;
		t->cap_rows = cap;
	}
	for (int i = 0; i < t->n_cols; i++)
		cell_set(t->utf8, t->cells[t->n_rows][i], vals[i] ? vals[i] : "");
	t->n_rows++;
}

static void pad(struct eval_buf *b, int n)
{
	for (int i = 0; i < n; i++)
		eval_buf_add(b, " ", 1);
}

static void put_cell(struct eval_buf *b, locale_t utf8, const char *text, int width, bool left)
{
	int w = eval_text_width_in(utf8, text);

	if (!left)
		pad(b, width - w);
	eval_buf_puts(b, text);
	if (left)
		pad(b, width - w);
}

/* Writes the section: its title, the heads, a rule, the rows ("—" when
 * there are none); frees the rows. */
static void tbl_flush(struct eval_buf *b, struct tbl *t, const char *title)
{
	int width[TBL_MAX_COLS];

	if (t->failed)
		b->failed = true;
	eval_buf_printf(b, "\n%s\n", title);
	for (int c = 0; c < t->n_cols; c++) {
		width[c] = eval_text_width_in(t->utf8, t->head[c]);
		for (int r = 0; r < t->n_rows; r++) {
			int w = eval_text_width_in(t->utf8, t->cells[r][c]);
			width[c] = w > width[c] ? w : width[c];
		}
	}
	if (t->n_rows == 0) {
		eval_buf_puts(b, "—\n");
		free(t->cells);
		return;
	}
	for (int c = 0; c < t->n_cols; c++) {
		if (c)
			eval_buf_puts(b, "  ");
		put_cell(b, t->utf8, t->head[c], width[c], t->left[c]);
	}
	eval_buf_puts(b, "\n");
	for (int c = 0; c < t->n_cols; c++) {
		if (c)
			eval_buf_puts(b, "  ");
		for (int i = 0; i < width[c]; i++)
			eval_buf_add(b, "-", 1);
	}
	eval_buf_puts(b, "\n");
	for (int r = 0; r < t->n_rows; r++) {
		for (int c = 0; c < t->n_cols; c++) {
			if (c)
				eval_buf_puts(b, "  ");
			put_cell(b, t->utf8, t->cells[r][c], width[c], t->left[c]);
		}
		eval_buf_puts(b, "\n");
	}
	free(t->cells);
	t->cells = NULL;
}

/* ---- cell values ---- */

struct vals {
	char v[TBL_MAX_COLS][64];
	const char *p[TBL_MAX_COLS];
	int n;
};

static void v_reset(struct vals *v)
{
	v->n = 0;
}

static void v_str(struct vals *v, const char *s)
{
	v->p[v->n++] = s && s[0] ? s : "—";
}

static void v_fmt(struct vals *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void v_fmt(struct vals *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->v[v->n], sizeof(v->v[v->n]), fmt, ap);
	va_end(ap);
	v->p[v->n] = v->v[v->n];
	v->n++;
}

static void v_int(struct vals *v, long long n)
{
	v_fmt(v, "%lld", n);
}

static void v_min(struct vals *v, double seconds)
{
	char buf[32];

	eval_fmt_minutes(seconds, buf);
	v_fmt(v, "%s", buf);
}

/* A mean or percentile in minutes, "—" without samples. */
static void v_stat(struct vals *v, const struct eval_stats *s, char which)
{
	if (s->n == 0) {
		v_str(v, NULL);
		return;
	}
	v_min(v, which == 'm'   ? s->mean_s
		 : which == '5' ? (double)s->p50_s
		 : which == '9' ? (double)s->p90_s
				: (double)s->max_s);
}

static void v_rate(struct vals *v, int rated, double rate)
{
	if (rated == 0 || rate < 0)
		v_str(v, NULL);
	else
		v_fmt(v, "%.1f%%", eval_round(rate * 100, 1));
}

static void v_points(struct vals *v, double x)
{
	v_fmt(v, "%.2f", eval_round(x, 2));
}

static void v_day(struct vals *v, int32_t day)
{
	char buf[16];

	if (day <= 0) {
		v_str(v, NULL);
		return;
	}
	eval_fmt_day(day, buf);
	v_fmt(v, "%s", buf);
}

/* ---- sections ---- */

static void section_hall(struct eval_buf *b, locale_t utf8, const struct eval_report *r)
{
	static const char *const heads[] = {"<项目", "数值"};
	const struct eval_figures *f = &r->hall;
	struct tbl t;
	struct vals v;

	tbl_init(&t, utf8, heads, 2);
#define KV(label, expr)                                                                            \
	do {                                                                                       \
		v_reset(&v);                                                                       \
		v_str(&v, label);                                                                  \
		expr;                                                                              \
		tbl_row(&t, v.p);                                                                  \
	} while (0)
	KV("有办件的天数", v_int(&v, r->days_with_events));
	KV("考勤天数", v_int(&v, r->days_counted));
	KV("取号", v_int(&v, f->issued));
	KV("办结", v_int(&v, f->served));
	KV("呼叫", v_int(&v, f->calls));
	KV("过号", v_int(&v, f->no_shows));
	KV("取消", v_int(&v, f->cancelled));
	KV("作废(日终未办)", v_int(&v, f->expired));
	KV("转办", v_int(&v, f->transfers_out));
	KV("平均等候(分)", v_stat(&v, &f->wait, 'm'));
	KV("等候 p50(分)", v_stat(&v, &f->wait, '5'));
	KV("等候 p90(分)", v_stat(&v, &f->wait, '9'));
	KV("最长等候(分)", v_stat(&v, &f->wait, 'x'));
	KV("等候超标", v_int(&v, f->over_wait_target));
	KV("平均办理(分)", v_stat(&v, &f->handling, 'm'));
	KV("办理 p90(分)", v_stat(&v, &f->handling, '9'));
	KV("超时办件", v_int(&v, f->over_standard));
	KV("评价数", v_int(&v, f->rated));
	KV("满意率", v_rate(&v, f->rated, f->satisfaction_rate));
	KV("投诉", v_int(&v, f->complaints));
	KV("表扬", v_int(&v, f->praise));
#undef KV
	tbl_flush(b, &t, "【大厅汇总】");
}

static void section_services(struct eval_buf *b, locale_t utf8, const struct eval_report *r)
{
	static const char *const heads[] = {
	    "<业务",       "<名称",        "取号",        "办结",     "过号",
	    "取消",        "平均等候(分)", "等候p90(分)", "等候超标", "平均办理(分)",
	    "办理p90(分)", "标准(分)",     "超时"};
	struct tbl t;
	struct vals v;

	tbl_init(&t, utf8, heads, 13);
	for (int i = 0; i < r->n_services; i++) {
		const struct eval_service_record *s = &r->services[i];
		v_reset(&v);
		v_str(&v, s->id);
		v_str(&v, s->name);
		v_int(&v, s->issued);
		v_int(&v, s->served);
		v_int(&v, s->no_shows);
		v_int(&v, s->cancelled);
		v_stat(&v, &s->wait, 'm');
		v_stat(&v, &s->wait, '9');
		v_int(&v, s->over_wait_target);
		v_stat(&v, &s->handling, 'm');
		v_stat(&v, &s->handling, '9');
		if (s->standard_min > 0)
			v_int(&v, s->standard_min);
		else
			v_str(&v, NULL);
		v_int(&v, s->over_standard);
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【业务办件】");
}

/* A rate of a base of n: "—" without one. */
static void v_share(struct vals *v, double rate)
{
	v_rate(v, rate < 0 ? 0 : 1, rate);
}

static void section_appointments(struct eval_buf *b, locale_t utf8, const struct eval_report *r)
{
	static const char *const heads[] = {"<业务",    "<名称", "取号",   "预约取号",
					    "预约占比", "预约",  "取消",   "签到",
					    "准时",     "爽约",  "爽约率", "准时签到率"};
	struct tbl t;
	struct vals v;

	if (!eval_any_appointments(r))
		return;
	tbl_init(&t, utf8, heads, 12);
	for (int i = 0; i < r->n_services; i++) {
		const struct eval_service_record *s = &r->services[i];
		if (!eval_shows_appointments(s))
			continue;
		v_reset(&v);
		v_str(&v, s->id);
		v_str(&v, s->name);
		v_int(&v, s->issued);
		v_int(&v, s->appointments);
		v_share(&v, s->appointment_share);
		v_int(&v, s->bookings);
		v_int(&v, s->bookings_cancelled);
		v_int(&v, s->bookings_checked_in);
		v_int(&v, s->bookings_on_time);
		v_int(&v, s->bookings_no_show);
		v_share(&v, s->no_show_rate);
		v_share(&v, s->on_time_rate);
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【预约】(爽约率: 爽约 / 已结束的预约; 准时: 宽限期内签到)");
}

static void section_windows(struct eval_buf *b, locale_t utf8, const struct eval_report *r,
			    int window)
{
	static const char *const heads[] = {
	    "窗口",   "<名称",    "办结",     "呼叫",     "转出",     "过号",     "平均办理(分)",
	    "超时",   "在岗(分)", "暂停(分)", "空闲(分)", "空岗(分)", "请假(分)", "迟到",
	    "离岗天", "旷工天",   "评价",     "满意率",   "投诉",     "表扬"};
	struct tbl t;
	struct vals v;

	tbl_init(&t, utf8, heads, 20);
	for (int i = 0; i < r->n_windows; i++) {
		const struct eval_window_record *w = &r->windows[i];
		const struct eval_figures *f = &w->f;
		if (!eval_keep_window(window, w->number))
			continue;
		v_reset(&v);
		v_int(&v, w->number);
		v_str(&v, w->name);
		v_int(&v, f->served);
		v_int(&v, f->calls);
		v_int(&v, f->transfers_out);
		v_int(&v, f->no_shows);
		v_stat(&v, &f->handling, 'm');
		v_int(&v, f->over_standard);
		v_min(&v, (double)f->attended_s);
		v_min(&v, (double)f->paused_s);
		v_min(&v, (double)f->idle_s);
		v_min(&v, (double)f->unattended_s);
		v_min(&v, (double)f->leave_s);
		v_int(&v, f->sign_in_late);
		v_int(&v, f->left_post_days);
		v_int(&v, f->absent_days);
		v_int(&v, f->rated);
		v_rate(&v, f->rated, f->satisfaction_rate);
		v_int(&v, f->complaints);
		v_int(&v, f->praise);
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【窗口办件与考勤】");
}

static void section_scores(struct eval_buf *b, locale_t utf8, const struct eval_report *r,
			   int window)
{
	static const char *const heads[] = {"窗口", "<名称", "效率E", "满意S",    "考勤A",
					    "加权", "迟到",  "离岗",  "旷工",     "差评",
					    "投诉", "超时",  "扣分",  "带班加分", "得分"};
	struct tbl t;
	struct vals v;

	tbl_init(&t, utf8, heads, 15);
	for (int i = 0; i < r->n_windows; i++) {
		const struct eval_window_record *w = &r->windows[i];
		const struct eval_score *s = &w->f.score;
		if (!eval_keep_window(window, w->number) || !w->f.has_score)
			continue;
		v_reset(&v);
		v_int(&v, w->number);
		v_str(&v, w->name);
		v_fmt(&v, "%.4f", eval_round(s->efficiency, 4));
		v_fmt(&v, "%.4f", eval_round(s->satisfaction, 4));
		v_fmt(&v, "%.4f", eval_round(s->attendance, 4));
		v_points(&v, s->weighted);
		for (int k = 0; k < CONFIG_DEDUCT_COUNT; k++)
			v_fmt(&v, "%.2f", eval_round(s->deductions[k], 2));
		v_points(&v, s->deduction_total);
		v_points(&v, s->bonus);
		v_points(&v, s->total);
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【窗口考评得分】(扣分按规则：迟到 离岗 旷工 差评 投诉 超时)");
}

/* The score of one window worked out line by line (--window N). */
static void section_breakdown(struct eval_buf *b, locale_t utf8, const struct eval_report *r,
			      const struct config *cfg, int window)
{
	static const char *const heads[] = {"<项目", "<计算", "数值"};
	struct tbl t;
	struct vals v;

	for (int i = 0; i < r->n_windows; i++) {
		const struct eval_window_record *w = &r->windows[i];
		const struct eval_figures *f = &w->f;
		const struct eval_score *s = &f->score;
		if (w->number != window || !f->has_score)
			continue;
		tbl_init(&t, utf8, heads, 3);
		v_reset(&v);
		v_str(&v, "效率 E");
		v_fmt(&v, "(%d - %d) / %d", f->served, f->over_standard, f->served);
		v_fmt(&v, "%.4f", eval_round(s->efficiency, 4));
		tbl_row(&t, v.p);
		v_reset(&v);
		v_str(&v, "满意 S");
		v_fmt(&v, "%d / %d", f->ratings[1] + f->ratings[2] + f->ratings[3], f->rated);
		v_fmt(&v, "%.4f", eval_round(s->satisfaction, 4));
		tbl_row(&t, v.p);
		v_reset(&v);
		v_str(&v, "考勤 A");
		v_fmt(&v, "%lld s / (%lld s - %lld s)", (long long)f->attended_s,
		      (long long)f->hours_s, (long long)f->leave_s);
		v_fmt(&v, "%.4f", eval_round(s->attendance, 4));
		tbl_row(&t, v.p);
		v_reset(&v);
		v_str(&v, "加权");
		v_fmt(&v, "%g × (%g×E + %g×S + %g×A)", cfg ? cfg->eval.score_base : 0,
		      cfg ? cfg->eval.weight_efficiency : 0,
		      cfg ? cfg->eval.weight_satisfaction : 0,
		      cfg ? cfg->eval.weight_attendance : 0);
		v_points(&v, s->weighted);
		tbl_row(&t, v.p);
		for (int k = 0; k < CONFIG_DEDUCT_COUNT; k++) {
			v_reset(&v);
			v_fmt(&v, "扣 %s", eval_deduction_label(k));
			v_fmt(&v, "%d × %g", s->deduction_counts[k], eval_deduction_each(cfg, k));
			v_points(&v, -s->deductions[k]);
			tbl_row(&t, v.p);
		}
		v_reset(&v);
		v_str(&v, "扣分合计");
		v_str(&v, "");
		v_points(&v, -s->deduction_total);
		tbl_row(&t, v.p);
		v_reset(&v);
		v_str(&v, "领导带班加分");
		v_fmt(&v, "%d 班", f->duty_shifts);
		v_fmt(&v, "+%.2f", eval_round(s->bonus, 2));
		tbl_row(&t, v.p);
		v_reset(&v);
		v_str(&v, "得分");
		v_str(&v, "max(0, 加权 - 扣分 + 加分)");
		v_points(&v, s->total);
		tbl_row(&t, v.p);
		char title[160];
		snprintf(title, sizeof(title), "【%d号窗口得分明细】", w->number);
		tbl_flush(b, &t, title);
	}
}

static void section_staff(struct eval_buf *b, locale_t utf8, const struct eval_report *r,
			  const struct config *cfg, int window)
{
	static const char *const heads[] = {
	    "<工号",    "<姓名",    "办结",     "呼叫", "平均等候(分)", "平均办理(分)", "超时",
	    "在线(分)", "暂停(分)", "按时签到", "迟到", "评价",         "满意率",       "投诉"};
	struct tbl t;
	struct vals v;

	tbl_init(&t, utf8, heads, 14);
	for (int i = 0; i < r->n_staff; i++) {
		const struct eval_staff_record *s = &r->staff[i];
		const struct eval_figures *f = &s->f;
		if (!eval_keep_staff(r, window, s))
			continue;
		v_reset(&v);
		v_str(&v, s->id);
		v_str(&v, s->name[0] ? s->name : eval_staff_name(r, cfg, s->id));
		v_int(&v, f->served);
		v_int(&v, f->calls);
		v_stat(&v, &f->wait, 'm');
		v_stat(&v, &f->handling, 'm');
		v_int(&v, f->over_standard);
		v_min(&v, (double)f->logged_in_s);
		v_min(&v, (double)f->paused_s);
		v_int(&v, f->sign_in_on_time);
		v_int(&v, f->sign_in_late);
		v_int(&v, f->rated);
		v_rate(&v, f->rated, f->satisfaction_rate);
		v_int(&v, f->complaints);
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【工作人员】");
}

static void section_attendance(struct eval_buf *b, locale_t utf8, const struct eval_report *r,
			       const struct config *cfg, int window)
{
	static const char *const heads[] = {"<日期", "窗口",     "<签到",    "首次登录",
					    "<人员", "空岗(分)", "请假(分)", "<类别"};
	static const char *const lheads[] = {"编号", "<日期", "窗口", "<人员", "<时段", "<事由"};
	struct tbl t;
	struct vals v;
	char buf[16], who[160];

	tbl_init(&t, utf8, heads, 8);
	for (int i = 0; i < r->n_attendance; i++) {
		const struct eval_attendance_day *d = &r->attendance[i];
		if (!eval_keep_window(window, d->window) ||
		    ((d->sign_in == EVAL_SIGN_IN_ON_TIME || d->sign_in == EVAL_SIGN_IN_LEAVE) &&
		     d->cls == EVAL_ATT_NONE))
			continue;
		v_reset(&v);
		v_day(&v, d->day);
		v_int(&v, d->window);
		v_str(&v, eval_sign_in_label(d->sign_in));
		eval_fmt_clock(d->first_login_s, buf);
		v_fmt(&v, "%s", buf);
		snprintf(who, sizeof(who), "%s %s", d->staff, eval_staff_name(r, cfg, d->staff));
		v_str(&v, d->staff[0] ? who : NULL);
		v_min(&v, (double)d->unattended_s);
		v_min(&v, (double)d->leave_s);
		v_str(&v, eval_attendance_label(d->cls));
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【考勤异常】(迟到、未签到、擅自离岗、旷工)");

	tbl_init(&t, utf8, lheads, 6);
	for (int i = 0; i < r->n_leave; i++) {
		const struct eval_leave *l = &r->leave[i];
		char from[16], to[16];
		if (!eval_keep_window(window, l->window))
			continue;
		v_reset(&v);
		v_int(&v, l->id);
		v_day(&v, l->day);
		v_int(&v, l->window);
		snprintf(who, sizeof(who), "%s %s", l->staff, eval_staff_name(r, cfg, l->staff));
		v_str(&v, l->staff[0] ? who : NULL);
		eval_fmt_minute(l->from_min, from);
		eval_fmt_minute(l->to_min, to);
		v_fmt(&v, "%s-%s", from, to);
		v_str(&v, l->reason);
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【请假】");
}

static void section_ratings(struct eval_buf *b, locale_t utf8, const struct eval_report *r,
			    const struct config *cfg, int window)
{
	static const char *const heads[] = {"<日期", "时间",  "<票号", "<业务",
					    "窗口",  "<人员", "<评价"};
	struct tbl t;
	struct vals v;
	char buf[16], who[160];

	tbl_init(&t, utf8, heads, 7);
	for (int i = 0; i < r->n_low_ratings; i++) {
		const struct eval_rating_item *x = &r->low_ratings[i];
		if (!eval_keep_window(window, x->window))
			continue;
		v_reset(&v);
		v_day(&v, x->day);
		eval_fmt_clock(x->at_s, buf);
		v_fmt(&v, "%s", buf);
		v_str(&v, x->ticket);
		const char *name = eval_service_name(r, x->service);
		v_str(&v, name[0] ? name : x->service);
		v_int(&v, x->window);
		snprintf(who, sizeof(who), "%s %s", x->staff, eval_staff_name(r, cfg, x->staff));
		v_str(&v, x->staff[0] ? who : NULL);
		v_str(&v, eval_rating_label(x->rating));
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【差评跟进】(不满意、非常不满意)");
}

static void section_complaints(struct eval_buf *b, locale_t utf8, const struct eval_report *r,
			       int window)
{
	static const char *const heads[] = {"编号",  "<类别",     "<日期",    "时间",
					    "窗口",  "<人员",     "<票号",    "<内容",
					    "<状态", "<办结日期", "已办天数", "<超期"};
	struct tbl t;
	struct vals v;
	char buf[16];

	tbl_init(&t, utf8, heads, 12);
	for (int i = 0; i < r->n_complaints; i++) {
		const struct eval_complaint *c = &r->complaints[i];
		if (!eval_keep_window(window, c->window))
			continue;
		v_reset(&v);
		v_int(&v, c->id);
		v_str(&v, strcmp(c->kind, "praise") == 0 ? "表扬" : "投诉");
		v_day(&v, c->day);
		eval_fmt_minute(c->minute, buf);
		v_fmt(&v, "%s", buf);
		v_int(&v, c->window);
		v_str(&v, c->staff);
		v_str(&v, c->ticket);
		v_str(&v, c->text);
		v_str(&v, eval_status_label(c->status));
		v_day(&v, c->closed_day);
		v_int(&v, c->days_open);
		v_str(&v, c->overdue ? "超期" : "");
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【投诉与表扬】");
}

static void section_duty(struct eval_buf *b, locale_t utf8, const struct eval_report *r, int window)
{
	static const char *const heads[] = {"<日期", "窗口", "<带班领导", "<班次"};
	struct tbl t;
	struct vals v;

	tbl_init(&t, utf8, heads, 4);
	for (int i = 0; i < r->n_duty; i++) {
		const struct eval_duty *d = &r->duty[i];
		if (!eval_keep_window(window, d->window))
			continue;
		v_reset(&v);
		v_day(&v, d->day);
		v_int(&v, d->window);
		v_str(&v, d->leader);
		v_str(&v, strcmp(d->shift, "am") == 0   ? "上午"
			  : strcmp(d->shift, "pm") == 0 ? "下午"
							: "全天");
		tbl_row(&t, v.p);
	}
	tbl_flush(b, &t, "【领导带班】");
}

int eval_render_table(FILE *out, const struct eval_report *r, const struct config *cfg, int window)
{
	struct eval_buf b = {0};
	char first[16], last[16], through[16];
	locale_t utf8 = eval_utf8_locale(); /* once: newlocale is slow */

	if (!utf8)
		return EVAL_ERR_LOCALE;
	eval_fmt_day(r->first_day, first);
	eval_fmt_day(r->last_day, last);
	eval_fmt_day(r->through_day, through);
	eval_buf_printf(&b, "%s %s  %s 至 %s", r->hall_name, eval_period_title(r->period), first,
			last);
	if (r->final)
		eval_buf_puts(&b, "  (已结束)\n");
	else
		eval_buf_printf(&b, "  (统计至 %s)\n", through);
	if (window > 0)
		eval_buf_printf(&b, "仅 %d 号窗口\n", window);
	if (window <= 0) {
		section_hall(&b, utf8, r);
		section_services(&b, utf8, r);
		section_appointments(&b, utf8, r);
	}
	section_windows(&b, utf8, r, window);
	section_scores(&b, utf8, r, window);
	if (window > 0)
		section_breakdown(&b, utf8, r, cfg, window);
	section_staff(&b, utf8, r, cfg, window);
	section_attendance(&b, utf8, r, cfg, window);
	section_ratings(&b, utf8, r, cfg, window);
	section_complaints(&b, utf8, r, window);
	section_duty(&b, utf8, r, window);
	freelocale(utf8);
	int rc = eval_buf_write(&b, out);
	eval_buf_free(&b);
	return rc;
}
