/*
 * test_eval_render.c — hostd/eval/report.c, render_table.c, render_csv.c,
 * render_html.c and svg.c on reports built by hand (no database): the
 * display width of text, CSV's byte order mark, CRLF and RFC 4180
 * quoting, the table's columns aligned with CJK text (widths worked out
 * here independently of eval_text_width), the JSON's fields and nulls,
 * HTML escaping and charts, and the --window filter.
 *
 * The report is the docs/evaluation.md score example: window 1 served 40
 * tickets, 4 over standard (E = 0.9); 20 ratings, 18 satisfied (S = 0.9);
 * 21 600 s of 21 600 attended (A = 1); one late sign-in, 2 不满意 and 4
 * tickets over standard: weighted = 100 x (0.4 x 0.9 + 0.4 x 0.9 + 0.2 x 1)
 * = 92, deductions 0.5 + 2 + 0.8 = 3.3, score 88.70.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "config/config.h"
#include "eval/eval_internal.h"

enum { N_SERVICES = 2, N_WINDOWS = 2, N_STAFF = 2 };

struct world {
	struct config *cfg;
	struct eval_report r;
	struct eval_service_record services[N_SERVICES];
	struct eval_window_record windows[N_WINDOWS];
	struct eval_staff_record staff[N_STAFF];
	struct eval_attendance_day attendance[2];
	struct eval_rating_item low[1];
	struct eval_complaint complaints[2];
	struct eval_leave leave[1];
	struct eval_duty duty[1];
};

static const char awkward_name[] = "测试,\"引号\"\n第二行";
static const char script_text[] = "<script>alert('x')</script> & 投诉";

static void score_example(struct eval_figures *f)
{
	f->served = 40;
	f->calls = 42;
	f->over_standard = 4;
	f->handling = (struct eval_stats){
	    .n = 40, .mean_s = 612.345, .p50_s = 600, .p90_s = 1300, .max_s = 1500};
	f->wait =
	    (struct eval_stats){.n = 41, .mean_s = 300, .p50_s = 240, .p90_s = 900, .max_s = 1200};
	f->hours_s = 21600;
	f->attended_s = 21600;
	f->logged_in_s = 21600;
	f->sign_in_on_time = 4;
	f->sign_in_late = 1;
	f->ratings[1] = 10;
	f->ratings[2] = 6;
	f->ratings[3] = 2;
	f->ratings[4] = 2;
	f->rated = 20;
	f->satisfaction_rate = 0.9;
	f->complaints = 1;
	f->has_score = true;
	f->score.efficiency = 0.9;
	f->score.satisfaction = 0.9;
	f->score.attendance = 1;
	f->score.weighted = 100 * (0.4 * 0.9 + 0.4 * 0.9 + 0.2 * 1);
	f->score.deduction_counts[CONFIG_DEDUCT_LATE_SIGN_IN] = 1;
	f->score.deductions[CONFIG_DEDUCT_LATE_SIGN_IN] = 0.5;
	f->score.deduction_counts[CONFIG_DEDUCT_DISSATISFIED_RATING] = 2;
	f->score.deductions[CONFIG_DEDUCT_DISSATISFIED_RATING] = 2;
	f->score.deduction_counts[CONFIG_DEDUCT_OVERTIME_TICKET] = 4;
	f->score.deductions[CONFIG_DEDUCT_OVERTIME_TICKET] = 4 * 0.2;
	f->score.deduction_total = 0.5 + 2 + 4 * 0.2;
	f->score.total = f->score.weighted - f->score.deduction_total;
}

static int setup(void **state)
{
	struct config_report rep = {0};
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	w->cfg = config_load(HALLQ_SOURCE_DIR "/config/hall.json", &rep);
	config_report_clear(&rep);
	if (!w->cfg)
		return -1;
	struct eval_report *r = &w->r;
	r->period = EVAL_WEEK;
	r->first_day = 20261130;
	r->last_day = 20261206;
	r->through_day = 20261206;
	r->now_s = 1765000000;
	r->final = true;
	r->days_with_events = 5;
	r->days_counted = 5;
	snprintf(r->hall_name, sizeof(r->hall_name), "市政务服务中心");
	r->hall.issued = 50;
	r->hall.served = 40;
	r->hall.wait =
	    (struct eval_stats){.n = 41, .mean_s = 300, .p50_s = 240, .p90_s = 900, .max_s = 1200};
	r->hall.rated = 20;
	r->hall.satisfaction_rate = 0.9;

	snprintf(w->services[0].id, ENGINE_ID_SIZE, "company");
	snprintf(w->services[0].name, ENGINE_NAME_SIZE, "企业注册");
	w->services[0].standard_min = 20;
	w->services[0].wait_target_min = 30;
	w->services[0].issued = 50;
	w->services[0].served = 40;
	w->services[0].wait = r->hall.wait;
	w->services[0].wait_buckets[0] = 30;
	w->services[0].wait_buckets[2] = 11;
	snprintf(w->services[1].id, ENGINE_ID_SIZE, "gone");
	snprintf(w->services[1].name, ENGINE_NAME_SIZE, "%s", awkward_name);

	w->windows[0].number = 1;
	snprintf(w->windows[0].name, ENGINE_NAME_SIZE, "企业注册 1");
	score_example(&w->windows[0].f);
	w->windows[1].number = 99; /* no longer in the config: no name, no data */
	w->windows[1].f.satisfaction_rate = -1;

	snprintf(w->staff[0].id, ENGINE_ID_SIZE, "1001");
	snprintf(w->staff[0].name, ENGINE_NAME_SIZE, "王芳");
	w->staff[0].f.served = 40;
	w->staff[0].f.satisfaction_rate = 0.9;
	w->staff[0].f.rated = 20;
	snprintf(w->staff[1].id, ENGINE_ID_SIZE, "1002");
	snprintf(w->staff[1].name, ENGINE_NAME_SIZE, "李娜");
	w->staff[1].f.satisfaction_rate = -1;
	/* the windows each logged in at in the period (ascending) */
	static int windows_1001[] = {1}, windows_1002[] = {99};
	w->staff[0].windows = windows_1001;
	w->staff[0].n_windows = 1;
	w->staff[1].windows = windows_1002;
	w->staff[1].n_windows = 1;

	w->attendance[0] = (struct eval_attendance_day){.day = 20261201,
							.window = 1,
							.sign_in = EVAL_SIGN_IN_LATE,
							.first_login_s = 1764550800,
							.hours_s = 21600,
							.unattended_s = 600,
							.cls = EVAL_ATT_LEFT_POST};
	snprintf(w->attendance[0].staff, ENGINE_ID_SIZE, "1001");
	w->attendance[1] = (struct eval_attendance_day){.day = 20261202,
							.window = 99,
							.sign_in = EVAL_SIGN_IN_NONE,
							.hours_s = 21600,
							.unattended_s = 21600,
							.cls = EVAL_ATT_ABSENT};
	w->low[0] = (struct eval_rating_item){
	    .day = 20261201, .at_s = 1764560000, .window = 1, .rating = 4};
	snprintf(w->low[0].ticket, 8, "A012");
	snprintf(w->low[0].service, ENGINE_ID_SIZE, "company");
	snprintf(w->low[0].staff, ENGINE_ID_SIZE, "1001");
	w->complaints[0] = (struct eval_complaint){
	    .id = 3, .day = 20261201, .minute = 600, .window = 1, .days_open = 6, .overdue = true};
	snprintf(w->complaints[0].kind, 12, "complaint");
	snprintf(w->complaints[0].text, EVAL_TEXT_SIZE, "%s", script_text);
	snprintf(w->complaints[0].status, 12, "open");
	w->complaints[1] = (struct eval_complaint){
	    .id = 4, .day = 20261202, .minute = 900, .window = 99, .closed_day = 20261203};
	snprintf(w->complaints[1].kind, 12, "praise");
	snprintf(w->complaints[1].text, EVAL_TEXT_SIZE, "热情");
	snprintf(w->complaints[1].status, 12, "closed");
	w->leave[0] = (struct eval_leave){.id = 1, .window = 99, .day = 20261203, .to_min = 1440};
	snprintf(w->leave[0].reason, EVAL_TEXT_SIZE, "年假");
	w->duty[0] = (struct eval_duty){.id = 1, .day = 20261201, .window = 1};
	snprintf(w->duty[0].leader, ENGINE_NAME_SIZE, "张主任");
	snprintf(w->duty[0].shift, 8, "am");

	r->services = w->services;
	r->n_services = N_SERVICES;
	r->windows = w->windows;
	r->n_windows = N_WINDOWS;
	r->staff = w->staff;
	r->n_staff = N_STAFF;
	r->hourly_issued[9] = 30;
	r->hourly_issued[10] = 20;
	r->hourly_served[9] = 20;
	r->hourly_served[10] = 20;
	r->attendance = w->attendance;
	r->n_attendance = 2;
	r->low_ratings = w->low;
	r->n_low_ratings = 1;
	r->complaints = w->complaints;
	r->n_complaints = 2;
	r->leave = w->leave;
	r->n_leave = 1;
	r->duty = w->duty;
	r->n_duty = 1;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	config_free(w->cfg);
	free(w);
	return 0;
}

/* The whole output of eval_render as a string (malloc'd). */
static char *render(const struct world *w, int format, int window)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(eval_render(f, &w->r, w->cfg, format, window), EVAL_OK);
	fclose(f);
	return text;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---- display width, worked out without wcwidth ---- */

static uint32_t next_cp(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t cp;
	int n;

	if (p[0] < 0x80) {
		cp = p[0];
		n = 1;
	} else if ((p[0] & 0xE0) == 0xC0) {
		cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
		n = 2;
	} else if ((p[0] & 0xF0) == 0xE0) {
		cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) |
		     (p[2] & 0x3F);
		n = 3;
	} else {
		cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
		     ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
		n = 4;
	}
	*s += n;
	return cp;
}

/* East Asian Wide and Fullwidth blocks the report's text uses; combining
 * marks 0. */
static int cp_width(uint32_t cp)
{
	if (cp >= 0x300 && cp <= 0x36F)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
	    (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	    (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
	    (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
	    (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6))
		return 2;
	return 1;
}

static void test_text_width(void **state)
{
	(void)state;
	assert_int_equal(eval_text_width(""), 0);
	assert_int_equal(eval_text_width("A"), 1);
	assert_int_equal(eval_text_width("窗口"), 4);
	assert_int_equal(eval_text_width("é"), 1);         /* U+00E9 */
	assert_int_equal(eval_text_width("e\xCC\x81"), 1); /* e + combining acute */
	assert_int_equal(eval_text_width("A窗口é 12"), 1 + 4 + 1 + 1 + 2);
	assert_int_equal(eval_text_width("—"), 1);
	assert_int_equal(eval_text_width("（无）"), 6); /* fullwidth parentheses */
	assert_int_equal(eval_text_width("企业注册 1"), 10);
}

static void test_format_names(void **state)
{
	(void)state;
	for (int i = 0; i < EVAL_FORMAT_COUNT; i++)
		assert_int_equal(eval_format_parse(eval_format_name(i)), i);
	assert_int_equal(eval_format_parse("pdf"), -1);
	assert_int_equal(eval_format_parse(NULL), -1);
	assert_string_equal(eval_format_name(EVAL_FORMAT_HTML), "html");
}

/* ---- CSV ---- */

/* Parses RFC 4180 text into rows of fields; returns the number of rows,
 * each row's field count in nf[], field `col` of each row in col_out. */
static int parse_csv(const char *s, int *nf, int max_rows, int col, char col_out[][256])
{
	int rows = 0, field = 0;
	char cur[1024];
	size_t n = 0;
	bool quoted = false;

	while (*s) {
		char c = *s++;
		if (quoted) {
			if (c == '"' && *s == '"') {
				cur[n++] = '"';
				s++;
			} else if (c == '"') {
				quoted = false;
			} else {
				cur[n++] = c;
			}
			continue;
		}
		if (c == '"' && n == 0) {
			quoted = true;
		} else if (c == ',' || (c == '\r' && *s == '\n')) {
			cur[n] = '\0';
			if (field == col && rows < max_rows)
				snprintf(col_out[rows], 256, "%.255s", cur);
			field++;
			n = 0;
			if (c == '\r') {
				s++;
				if (rows < max_rows)
					nf[rows] = field;
				rows++;
				field = 0;
			}
		} else {
			assert_true(c != '\n' && c != '\r'); /* a bare line end outside quotes */
			cur[n++] = c;
		}
		assert_true(n < sizeof(cur));
	}
	assert_int_equal(field, 0); /* the last row ended with CRLF */
	return rows;
}

static void test_csv(void **state)
{
	struct world *w = *state;
	char *csv = render(w, EVAL_FORMAT_CSV, 0);
	int nf[16];
	char kinds[16][256], names[16][256];

	assert_memory_equal(csv, "\xEF\xBB\xBF", 3);
	assert_int_equal(strncmp(csv + 3, "kind,", 5), 0);
	/* every LF is part of a CRLF, but the one inside the quoted name */
	assert_int_equal(count(csv, "\n"), count(csv, "\r\n") + 1);
	/* header + hall + 2 services + 2 windows + 2 staff */
	int rows = parse_csv(csv + 3, nf, 16, 0, kinds);
	assert_int_equal(rows, 1 + 1 + N_SERVICES + N_WINDOWS + N_STAFF);
	for (int i = 1; i < rows; i++)
		assert_int_equal(nf[i], nf[0]);
	assert_string_equal(kinds[1], "hall");
	assert_string_equal(kinds[2], "service");
	assert_string_equal(kinds[3], "service");
	assert_string_equal(kinds[4], "window");
	assert_string_equal(kinds[5], "window");
	assert_string_equal(kinds[6], "staff");
	assert_int_equal(parse_csv(csv + 3, nf, 16, 2, names), rows);
	assert_string_equal(names[3], awkward_name); /* round trip through quoting */
	assert_non_null(strstr(csv, "\"测试,\"\"引号\"\"\n第二行\""));
	/* window 1: served 40, score 88.7; window 99 has no score: empty */
	assert_non_null(strstr(csv, "window,1,企业注册 1,,40,42,"));
	assert_non_null(strstr(csv, ",0.9,0.9,1,92,3.3,88.7\r\n"));
	free(csv);

	csv = render(w, EVAL_FORMAT_CSV, 1); /* window 1 and 王芳 who signed in there */
	assert_int_equal(parse_csv(csv + 3, nf, 16, 0, kinds), 3);
	assert_string_equal(kinds[1], "window");
	assert_string_equal(kinds[2], "staff");
	free(csv);
}

/* ---- table ---- */

/* Marks, for each display column of line, whether it is a space; returns
 * the line's display width. */
static int columns(const char *line, size_t len, char *spaces, int max)
{
	const char *p = line, *end = line + len;
	int col = 0;

	while (p < end) {
		uint32_t cp = next_cp(&p);
		int wd = cp_width(cp);
		for (int i = 0; i < wd && col < max; i++)
			spaces[col++] = cp == ' ';
	}
	return col;
}

/* Each section: the line above its rule (heads) and every row below it
 * until a blank line have the rule's display width, and a space in every
 * column where the rule has one (the gaps between columns). */
static int check_table(const char *text)
{
	int sections = 0;
	const char *line = text;

	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		bool rule = len > 0 && strspn(line, "- ") == len && line[0] == '-';
		if (!rule) {
			line = eol ? eol + 1 : line + len;
			continue;
		}
		char gaps[1024], row[1024];
		int width = columns(line, len, gaps, 1024);
		/* the heads: the line before the rule */
		const char *h = line - 1;
		while (h > text && h[-1] != '\n')
			h--;
		const char *rows[64];
		size_t lens[64];
		int n = 0;
		rows[n] = h;
		lens[n++] = (size_t)(line - 1 - h);
		const char *p = eol + 1;
		while (*p && *p != '\n' && n < 64) {
			const char *e = strchr(p, '\n');
			rows[n] = p;
			lens[n++] = (size_t)(e - p);
			p = e + 1;
		}
		for (int i = 0; i < n; i++) {
			assert_int_equal(columns(rows[i], lens[i], row, 1024), width);
			for (int c = 0; c < width; c++)
				if (gaps[c])
					assert_true(row[c]);
		}
		sections++;
		line = p;
	}
	return sections;
}

static void test_table(void **state)
{
	struct world *w = *state;
	char *t = render(w, EVAL_FORMAT_TABLE, 0);

	assert_int_equal(strncmp(t, "市政务服务中心 窗口工作通报  2026-11-30 至 2026-12-06", 52),
			 0);
	/* every section with rows is aligned: hall, services, windows, scores,
	 * staff, attendance, leave, ratings, complaints, duty */
	assert_int_equal(check_table(t), 10);
	assert_non_null(strstr(t, "88.70"));
	assert_non_null(strstr(t, "擅自离岗"));
	assert_non_null(strstr(t, "旷工"));
	assert_non_null(strstr(t, "张主任"));
	assert_non_null(strstr(t, "超期"));
	assert_null(strstr(t, "\n第二行")); /* a line break in a name stays in its cell */
	free(t);

	t = render(w, EVAL_FORMAT_TABLE, 1);
	assert_non_null(strstr(t, "【1号窗口得分明细】"));
	assert_non_null(strstr(t, "(40 - 4) / 40"));
	assert_non_null(strstr(t, "-3.30"));
	assert_null(strstr(t, "【业务办件】"));
	assert_null(strstr(t, "年假")); /* window 99's leave */
	assert_null(strstr(t, "热情"));
	assert_int_equal(check_table(t), 8); /* no hall, services or leave ("—") */
	free(t);
}

/* ---- JSON ---- */

static void test_json(void **state)
{
	struct world *w = *state;
	char *text = eval_report_json(&w->r, w->cfg, 0);
	cJSON *j = cJSON_Parse(text);

	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "period")->valuestring, "week");
	assert_string_equal(cJSON_GetObjectItem(j, "first_day")->valuestring, "2026-11-30");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "final")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "window")));
	cJSON *hall = cJSON_GetObjectItem(j, "hall");
	assert_int_equal(cJSON_GetObjectItem(hall, "served")->valueint, 40);
	assert_string_equal(cJSON_GetObjectItem(hall, "kind")->valuestring, "hall");
	cJSON *rules = cJSON_GetObjectItem(j, "rules");
	assert_true(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(rules, "weights"), "efficiency")->valuedouble ==
	    0.4);
	cJSON *windows = cJSON_GetObjectItem(j, "windows");
	assert_int_equal(cJSON_GetArraySize(windows), 2);
	cJSON *w1 = cJSON_GetArrayItem(windows, 0);
	cJSON *score = cJSON_GetObjectItem(w1, "score");
	assert_true(cJSON_GetObjectItem(score, "total")->valuedouble == 88.7);
	assert_true(cJSON_GetObjectItem(score, "weighted")->valuedouble == 92);
	assert_true(cJSON_GetObjectItem(score, "deduction_total")->valuedouble == 3.3);
	cJSON *ded = cJSON_GetObjectItem(score, "deductions");
	assert_int_equal(cJSON_GetArraySize(ded), CONFIG_DEDUCT_COUNT);
	cJSON *over = cJSON_GetArrayItem(ded, CONFIG_DEDUCT_OVERTIME_TICKET);
	assert_string_equal(cJSON_GetObjectItem(over, "rule")->valuestring, "overtime_ticket");
	assert_int_equal(cJSON_GetObjectItem(over, "count")->valueint, 4);
	assert_true(cJSON_GetObjectItem(over, "points_each")->valuedouble == 0.2);
	assert_true(cJSON_GetObjectItem(over, "points")->valuedouble == 0.8);
	/* 612.345 s rounds to 612.35 (2 decimals), the rate to 4 */
	cJSON *handling = cJSON_GetObjectItem(w1, "handling");
	assert_true(cJSON_GetObjectItem(handling, "mean_s")->valuedouble == 612.35);
	assert_int_equal(cJSON_GetObjectItem(handling, "p90_s")->valueint, 1300);
	assert_true(cJSON_GetObjectItem(w1, "satisfaction_rate")->valuedouble == 0.9);
	/* window 99: no samples, no ratings, no score */
	cJSON *w99 = cJSON_GetArrayItem(windows, 1);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(w99, "score")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(w99, "satisfaction_rate")));
	cJSON *wait = cJSON_GetObjectItem(w99, "wait");
	assert_int_equal(cJSON_GetObjectItem(wait, "n")->valueint, 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(wait, "mean_s")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(wait, "p50_s")));
	cJSON *svc = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "services"), 1);
	assert_string_equal(cJSON_GetObjectItem(svc, "name")->valuestring, awkward_name);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(svc, "standard_minutes")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(svc, "wait_buckets")),
			 EVAL_WAIT_BUCKETS);
	cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "complaints"), 0);
	assert_string_equal(cJSON_GetObjectItem(c0, "text")->valuestring, script_text);
	assert_string_equal(cJSON_GetObjectItem(c0, "time")->valuestring, "10:00");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(c0, "overdue")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(c0, "closed_day")));
	cJSON *hourly = cJSON_GetObjectItem(j, "hourly");
	assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(hourly, "issued"), 9)->valueint,
			 30);
	cJSON_Delete(j);
	free(text);

	/* the subject objects eval_save stores are the report's own */
	text = eval_report_json(&w->r, w->cfg, 0);
	j = cJSON_Parse(text);
	char *one = eval_subject_json(&w->r, w->cfg, "window", "1");
	cJSON *jo = cJSON_Parse(one);
	assert_true(
	    cJSON_Compare(jo, cJSON_GetArrayItem(cJSON_GetObjectItem(j, "windows"), 0), true));
	cJSON_Delete(jo);
	free(one);
	one = eval_subject_json(&w->r, w->cfg, "hall", "");
	jo = cJSON_Parse(one);
	assert_true(cJSON_Compare(jo, cJSON_GetObjectItem(j, "hall"), true));
	cJSON_Delete(jo);
	free(one);
	one = eval_subject_json(&w->r, w->cfg, "staff", "1002");
	assert_non_null(strstr(one, "\"subject\":\"1002\""));
	free(one);
	one = eval_subject_json(&w->r, w->cfg, "service", "gone");
	assert_non_null(one);
	free(one);
	assert_null(eval_subject_json(&w->r, w->cfg, "window", "7"));
	assert_null(eval_subject_json(&w->r, w->cfg, "staff", "9999"));
	assert_null(eval_subject_json(&w->r, w->cfg, "planet", "1"));
	cJSON_Delete(j);
	free(text);

	/* --window 1: that window, its staff and lists only */
	text = eval_report_json(&w->r, w->cfg, 1);
	j = cJSON_Parse(text);
	assert_int_equal(cJSON_GetObjectItem(j, "window")->valueint, 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "windows")), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "staff")), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "complaints")), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "leave")), 0);
	cJSON_Delete(j);
	free(text);
}

/* ---- HTML ---- */

static void test_html(void **state)
{
	struct world *w = *state;
	char *h = render(w, EVAL_FORMAT_HTML, 0);

	assert_int_equal(strncmp(h, "<!DOCTYPE html>", 15), 0);
	assert_non_null(strstr(h, "<h1>窗口工作通报</h1>"));
	assert_non_null(strstr(h, "市政务服务中心"));
	assert_non_null(strstr(h, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 投诉"));
	assert_null(strstr(h, "<script"));
	assert_non_null(strstr(h, "测试,&quot;引号&quot;"));
	assert_int_equal(count(h, "<svg"), 4); /* hourly, waits, served, score */
	assert_int_equal(count(h, "</svg>"), 4);
	assert_null(strstr(h, "http://"));
	assert_null(strstr(h, "https://"));
	assert_null(strstr(h, "url("));
	assert_non_null(strstr(h, "@media print"));
	assert_non_null(strstr(h, "办件种类与数量"));
	assert_non_null(strstr(h, "<td>88.70</td>"));
	free(h);

	w->r.period = EVAL_MONTH;
	h = render(w, EVAL_FORMAT_HTML, 0);
	assert_non_null(strstr(h, "<h1>《行政审批简报》</h1>"));
	free(h);
	w->r.period = EVAL_DAY;
	h = render(w, EVAL_FORMAT_HTML, 0);
	assert_non_null(strstr(h, "<h1>窗口工作日报</h1>"));
	free(h);
	w->r.period = EVAL_QUARTER;
	h = render(w, EVAL_FORMAT_HTML, 0);
	assert_non_null(strstr(h, "<h1>季度考评</h1>"));
	free(h);
	w->r.period = EVAL_WEEK;

	h = render(w, EVAL_FORMAT_HTML, 99);
	assert_null(strstr(h, "&lt;script&gt;")); /* window 1's complaint */
	assert_non_null(strstr(h, "热情"));
	assert_non_null(strstr(h, "年假"));
	assert_null(strstr(h, "办件种类与数量"));
	free(h);
}

/* A stream that fails: eval_render says EVAL_ERR_IO. */
static void test_write_error(void **state)
{
	struct world *w = *state;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	for (int fmt = 0; fmt < EVAL_FORMAT_COUNT; fmt++)
		assert_int_equal(eval_render(f, &w->r, w->cfg, fmt, 0), EVAL_ERR_IO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_width),
	    cmocka_unit_test(test_format_names),
	    cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_html, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
