/*
 * test_eval_days.c — hostd/eval's eval_compute() on fixture days: real
 * databases built through the engine and the store (tests/eval/fixture.c),
 * supervisors' rows (leave, complaints, leader shifts) inserted with plain
 * SQL, and every figure checked against a value worked out by hand from
 * docs/evaluation.md. The arithmetic is written next to each expected
 * value; none of them was taken from the program's output.
 *
 * The hall is config/hall.json (Asia/Shanghai; sessions 08:30-11:30 and
 * 14:30-17:30, so 6 h = 21 600 s of hours a counted day; sign-in ends
 * 08:30:00; Mon-Fri; half day H = 180 min, grace G = 5 min; weights
 * 0.4/0.4/0.2, base 100; deductions late 0.5, 擅自离岗 2, 旷工 5,
 * dissatisfied 1, complaint 3, overtime 0.2; leader 0.1 a shift, 5 a month
 * at most; complaint limit 5 days), cut down to a few windows so that
 * every window's day can be worked out.
 *
 * The days (2026-03-02 is a Monday):
 *   A  Mon 03-02  attendance: eight windows at the edges of the half-day
 *                 rule, the grace, sign-in, leave
 *   B  Tue 03-03  tickets: wait, walk, handling, hold, lunch break,
 *                 transfers, recalls, no-shows, idle, pauses, ratings
 *   C  Thu 03-05  percentiles: 10 and 4 handling times
 *   D  Tue 03-17  a wait of exactly the target; two windows absent
 *   composite: Mon 03-09, Tue 03-10, Sat 03-14 with a deduction of each kind
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "config/config.h"
#include "eval/eval.h"
#include "fixture.h"

enum { MAX_REPORTS = 16 };

/* Seconds of hours in a counted day: 3 h + 3 h. */
#define DAY_HOURS_S 21600

struct env {
	char dir[64];
	char db[96];
	struct config *cfg;
	struct eval *ev;
	struct eval_report *reports[MAX_REPORTS];
	int n_reports;
};

/* ---- checking doubles ---- */

static void near_at(double got, double want, double tol, const char *what, const char *file,
		    int line)
{
	if (!(fabs(got - want) <= tol)) {
		print_error("%s = %.9f, expected %.9f\n", what, got, want);
		_fail(file, line);
	}
}

/* Full-precision figures: 1e-6. */
#define assert_near(got, want) near_at((got), (want), 1e-6, #got, __FILE__, __LINE__)

static void stats_at(const struct eval_stats *s, int n, double mean, int64_t p50, int64_t p90,
		     int64_t max, const char *what, const char *file, int line)
{
	if (s->n != n || s->p50_s != p50 || s->p90_s != p90 || s->max_s != max ||
	    fabs(s->mean_s - mean) > 1e-6) {
		print_error("%s = {n %d, mean %.6f, p50 %lld, p90 %lld, max %lld}, expected "
			    "{n %d, mean %.6f, p50 %lld, p90 %lld, max %lld}\n",
			    what, s->n, s->mean_s, (long long)s->p50_s, (long long)s->p90_s,
			    (long long)s->max_s, n, mean, (long long)p50, (long long)p90,
			    (long long)max);
		_fail(file, line);
	}
}

/* A sample of durations: n, mean, p50, p90, max (seconds). */
#define assert_stats(s, n, mean, p50, p90, max)                                                    \
	stats_at(&(s), (n), (mean), (p50), (p90), (max), #s, __FILE__, __LINE__)

/* ---- the environment ---- */

/* The time every report is computed for: well after every fixture day. */
static int64_t report_now(void)
{
	return fixture_epoch(20260701, 12, 0, 0);
}

static int setup(void **state)
{
	struct env *t = calloc(1, sizeof(*t));
	struct config_report report = {0};

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/hallq-evaldays-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->db, sizeof(t->db), "%s/hallq.db", t->dir);
	t->cfg = config_load(HALLQ_SOURCE_DIR "/config/hall.json", &report);
	if (!t->cfg) {
		fprintf(stderr, "%s", report.text ? report.text : "config/hall.json refused\n");
		config_report_clear(&report);
		return -1;
	}
	config_report_clear(&report);
	setenv("TZ", t->cfg->timezone, 1);
	tzset();
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct env *t = *state;
	char file[128];
	static const char *const suffixes[] = {"", "-wal", "-shm"};

	for (int i = 0; i < t->n_reports; i++)
		eval_report_free(t->reports[i]);
	eval_close(t->ev);
	config_free(t->cfg);
	for (int i = 0; i < 3; i++) {
		snprintf(file, sizeof(file), "%s%s", t->db, suffixes[i]);
		unlink(file);
	}
	rmdir(t->dir);
	free(t);
	return 0;
}

/* Keeps the config's first n windows (numbers 1..n). */
static void keep_windows(struct env *t, int n)
{
	assert_true(n <= t->cfg->hall.n_windows);
	t->cfg->hall.n_windows = n;
}

/* Window `number` serves exactly this one service, at level 1. */
static void window_serves(struct env *t, int number, const char *service)
{
	struct engine_window *w = &t->cfg->hall.windows[number - 1];
	int s = config_service_index(t->cfg, service);

	assert_int_equal(w->number, number);
	assert_true(s >= 0);
	w->services[0] = (struct engine_window_service){.service = s, .level = 1};
	w->n_services = 1;
}

static void build(struct env *t, const char *script)
{
	char err[512];
	int rc = fixture_build_text(t->cfg, t->db, script, err, sizeof(err));

	if (rc != FIXTURE_OK)
		fail_msg("fixture: %s", err);
}

static void sql(struct env *t, const char *text)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, &err) != SQLITE_OK) {
		print_error("%s\n", err ? err : "?");
		sqlite3_free(err);
		sqlite3_close(db);
		fail_msg("SQL failed: %s", text);
	}
	sqlite3_close(db);
}

static const struct eval_report *compute_at(struct env *t, int period, int32_t day, int64_t now_s)
{
	char err[512] = "";
	struct eval_report *r = NULL;
	int rc;

	if (!t->ev && (rc = eval_open(t->db, t->cfg, &t->ev, err, sizeof(err))) != EVAL_OK)
		fail_msg("eval_open: %d %s", rc, err);
	rc = eval_compute(t->ev, period, day, now_s, &r, err, sizeof(err));
	if (rc != EVAL_OK || !r)
		fail_msg("eval_compute(%d, %d): %d %s", period, (int)day, rc, err);
	assert_true(t->n_reports < MAX_REPORTS);
	t->reports[t->n_reports++] = r;
	return r;
}

static const struct eval_report *compute(struct env *t, int period, int32_t day)
{
	return compute_at(t, period, day, report_now());
}

static const struct eval_figures *window(const struct eval_report *r, int number)
{
	for (int i = 0; i < r->n_windows; i++)
		if (r->windows[i].number == number)
			return &r->windows[i].f;
	fail_msg("no record for window %d", number);
	return NULL;
}

static int window_row(const struct eval_report *r, int number)
{
	for (int i = 0; i < r->n_windows; i++)
		if (r->windows[i].number == number)
			return i;
	fail_msg("no record for window %d", number);
	return -1;
}

static const struct eval_service_record *service(const struct eval_report *r, const char *id)
{
	for (int i = 0; i < r->n_services; i++)
		if (strcmp(r->services[i].id, id) == 0)
			return &r->services[i];
	fail_msg("no record for service %s", id);
	return NULL;
}

static const struct eval_figures *staff(const struct eval_report *r, const char *id)
{
	for (int i = 0; i < r->n_staff; i++)
		if (strcmp(r->staff[i].id, id) == 0)
			return &r->staff[i].f;
	fail_msg("no record for staff %s", id);
	return NULL;
}

static const struct eval_attendance_day *attendance(const struct eval_report *r, int32_t day,
						    int number)
{
	for (int i = 0; i < r->n_attendance; i++)
		if (r->attendance[i].day == day && r->attendance[i].window == number)
			return &r->attendance[i];
	fail_msg("no attendance row for window %d on %d", number, (int)day);
	return NULL;
}

static const struct eval_complaint *complaint(const struct eval_report *r, int64_t id)
{
	for (int i = 0; i < r->n_complaints; i++)
		if (r->complaints[i].id == id)
			return &r->complaints[i];
	fail_msg("complaint %lld not in the report", (long long)id);
	return NULL;
}

static int reason_index(struct env *t, const char *reason)
{
	for (int i = 0; i < t->cfg->hall.queue.n_pause_reasons; i++)
		if (strcmp(t->cfg->hall.queue.pause_reasons[i], reason) == 0)
			return i;
	fail_msg("no pause reason %s", reason);
	return -1;
}

/* ======================================================================
 * Day A — attendance (Mon 2026-03-02), windows 1..8, no tickets.
 * ====================================================================== */

static const char day_a[] = "day 2026-03-02\n"
			    "08:20 login 8 1008\n"
			    "08:30 login 1 1001\n"
			    "08:30 login 2 1002\n"
			    "08:30 login 3 1003\n"
			    "08:30 login 4 1004\n"
			    "08:30:01 login 7 1007\n"
			    "11:00 logout 8\n"
			    "11:29:59 logout 2\n"
			    "11:30 logout 1\n"
			    "17:24:59 logout 4\n"
			    "17:25 logout 3\n"
			    "23:00 close_day\n";
/* window 5: no login at all; window 6: leave all day; window 8: leave
 * 14:30-17:30. */
static const char day_a_leave[] =
    "INSERT INTO leave(window, staff, day, from_min, to_min, reason, created_at) VALUES"
    " (6, '1006', 20260302, 0, 1440, '年假', 0),"
    " (8, '1008', 20260302, 870, 1050, '事假', 0);";

static void test_half_day_edges_and_sign_in(void **state)
{
	struct env *t = *state;

	keep_windows(t, 8);
	build(t, day_a);
	sql(t, day_a_leave);
	const struct eval_report *r = compute(t, EVAL_DAY, 20260302);
	const struct eval_figures *w;
	const double late = 0.5, left = 2, absent = 5; /* the demo's deductions */

	assert_int_equal(r->first_day, 20260302);
	assert_int_equal(r->last_day, 20260302);
	assert_true(r->final);
	assert_int_equal(r->days_with_events, 1);
	assert_int_equal(r->days_counted, 1); /* a Monday */

	/* W1: logged in 08:30:00-11:30:00 = 10 800 s; unattended 21 600 - 10 800
	 * = 10 800 s = 180 min = H exactly: 擅自离岗, not 旷工. */
	w = window(r, 1);
	assert_int_equal(w->hours_s, DAY_HOURS_S);
	assert_int_equal(w->logged_in_s, 10800);
	assert_int_equal(w->attended_s, 10800);
	assert_int_equal(w->unattended_s, 10800);
	assert_int_equal(w->leave_s, 0);
	assert_int_equal(w->left_post_days, 1);
	assert_int_equal(w->absent_days, 0);
	assert_int_equal(w->sign_in_on_time, 1); /* 08:30:00 is at the end of sign-in */
	assert_int_equal(w->sign_in_late, 0);
	assert_int_equal(w->sign_in_none, 0);
	/* E = 1 (nothing served), S = 1 (no ratings), A = 10 800 / 21 600 = 0.5;
	 * weighted = 100 x (0.4 + 0.4 + 0.2 x 0.5) = 90; 擅自离岗 1 x 2 = 2;
	 * score = 90 - 2 = 88 */
	assert_true(w->has_score);
	assert_near(w->score.efficiency, 1.0);
	assert_near(w->score.satisfaction, 1.0);
	assert_near(w->score.attendance, 0.5);
	assert_near(w->score.weighted, 90.0);
	assert_int_equal(w->score.deduction_counts[CONFIG_DEDUCT_UNAUTHORIZED_LEAVE], 1);
	assert_near(w->score.deductions[CONFIG_DEDUCT_UNAUTHORIZED_LEAVE], left);
	assert_int_equal(w->score.deduction_counts[CONFIG_DEDUCT_ABSENCE], 0);
	assert_near(w->score.deduction_total, 2.0);
	assert_near(w->score.total, 88.0);

	/* W2: logout 11:29:59: logged in 10 799 s; unattended 21 600 - 10 799 =
	 * 10 801 s = 180 min 1 s > H: 旷工. */
	w = window(r, 2);
	assert_int_equal(w->logged_in_s, 10799);
	assert_int_equal(w->unattended_s, 10801);
	assert_int_equal(w->left_post_days, 0);
	assert_int_equal(w->absent_days, 1);
	assert_int_equal(w->sign_in_on_time, 1);
	/* A = 10 799 / 21 600; weighted = 100 x (0.8 + 0.2 x 10 799 / 21 600)
	 * = 89.999074...; 旷工 1 x 5; score = weighted - 5 */
	assert_near(w->score.attendance, 10799.0 / 21600.0);
	assert_near(w->score.weighted, 100.0 * (0.8 + 0.2 * 10799.0 / 21600.0));
	assert_int_equal(w->score.deduction_counts[CONFIG_DEDUCT_ABSENCE], 1);
	assert_near(w->score.deductions[CONFIG_DEDUCT_ABSENCE], absent);
	assert_near(w->score.total, 100.0 * (0.8 + 0.2 * 10799.0 / 21600.0) - 5.0);

	/* W3: logout 17:25:00: logged in 10 800 + (17:25 - 14:30 = 10 500) =
	 * 21 300 s; unattended 300 s = 5 min = G: within the grace, no class. */
	w = window(r, 3);
	assert_int_equal(w->logged_in_s, 21300);
	assert_int_equal(w->unattended_s, 300);
	assert_int_equal(w->left_post_days, 0);
	assert_int_equal(w->absent_days, 0);
	/* A = 21 300 / 21 600; no deduction: score = weighted */
	assert_near(w->score.total, 100.0 * (0.8 + 0.2 * 21300.0 / 21600.0));

	/* W4: logout 17:24:59: logged in 21 299; unattended 301 s = 5.017 min >
	 * G: 擅自离岗. */
	w = window(r, 4);
	assert_int_equal(w->logged_in_s, 21299);
	assert_int_equal(w->unattended_s, 301);
	assert_int_equal(w->left_post_days, 1);
	assert_int_equal(w->absent_days, 0);
	assert_near(w->score.total, 100.0 * (0.8 + 0.2 * 21299.0 / 21600.0) - 2.0);

	/* W5: no login: no sign-in; the whole day unattended, 360 min > H: 旷工.
	 * A = 0 / 21 600 = 0; weighted = 100 x 0.8 = 80; score = 80 - 5 = 75 */
	w = window(r, 5);
	assert_int_equal(w->sign_in_none, 1);
	assert_int_equal(w->sign_in_on_time + w->sign_in_late, 0);
	assert_int_equal(w->logged_in_s, 0);
	assert_int_equal(w->unattended_s, DAY_HOURS_S);
	assert_int_equal(w->absent_days, 1);
	assert_near(w->score.attendance, 0.0);
	assert_near(w->score.weighted, 80.0);
	assert_near(w->score.total, 75.0);

	/* W6: leave 00:00-24:00 covers the 21 600 s of hours: never unattended,
	 * no class; A: hours - leave = 0, so A = 1; score 100. */
	w = window(r, 6);
	assert_int_equal(w->hours_s, DAY_HOURS_S);
	assert_int_equal(w->leave_s, DAY_HOURS_S);
	assert_int_equal(w->unattended_s, 0);
	assert_int_equal(w->attended_s, 0);
	assert_int_equal(w->left_post_days, 0);
	assert_int_equal(w->absent_days, 0);
	assert_int_equal(w->leave_records, 1);
	assert_near(w->score.attendance, 1.0);
	assert_near(w->score.total, 100.0);

	/* W7: login 08:30:01, one second after the end of sign-in: late; logged in
	 * to the day close, 21 600 - 1 = 21 599 s; unattended 1 s <= G.
	 * A = 21 599 / 21 600; late 1 x 0.5; score = weighted - 0.5 */
	w = window(r, 7);
	assert_int_equal(w->sign_in_late, 1);
	assert_int_equal(w->sign_in_on_time, 0);
	assert_int_equal(w->logged_in_s, 21599);
	assert_int_equal(w->unattended_s, 1);
	assert_int_equal(w->left_post_days + w->absent_days, 0);
	assert_int_equal(w->score.deduction_counts[CONFIG_DEDUCT_LATE_SIGN_IN], 1);
	assert_near(w->score.deductions[CONFIG_DEDUCT_LATE_SIGN_IN], late);
	assert_near(w->score.total, 100.0 * (0.8 + 0.2 * 21599.0 / 21600.0) - 0.5);

	/* W8: login 08:20 (on time), logout 11:00: logged in 08:30-11:00 = 9 000
	 * s; leave 14:30-17:30 = 10 800 s; unattended 21 600 - 10 800 - 9 000 =
	 * 1 800 s = 30 min: 擅自离岗. A = 9 000 / (21 600 - 10 800) = 0.8333;
	 * weighted = 100 x (0.8 + 0.2 x 0.8333) = 96.667; score = 96.667 - 2 */
	w = window(r, 8);
	assert_int_equal(w->sign_in_on_time, 1);
	assert_int_equal(w->logged_in_s, 9000);
	assert_int_equal(w->leave_s, 10800);
	assert_int_equal(w->attended_s, 9000);
	assert_int_equal(w->unattended_s, 1800);
	assert_int_equal(w->left_post_days, 1);
	assert_near(w->score.attendance, 9000.0 / 10800.0);
	assert_near(w->score.total, 100.0 * (0.8 + 0.2 * 9000.0 / 10800.0) - 2.0);

	/* The hall adds up its windows: 擅自离岗 W1, W4, W8 = 3; 旷工 W2, W5 = 2;
	 * late W7 = 1. */
	assert_int_equal(r->hall.left_post_days, 3);
	assert_int_equal(r->hall.absent_days, 2);
	assert_int_equal(r->hall.sign_in_late, 1);

	/* The attendance list: one row per window of the counted day. */
	assert_int_equal(r->n_attendance, 8);
	const struct eval_attendance_day *a = attendance(r, 20260302, 2);
	assert_int_equal(a->sign_in, EVAL_SIGN_IN_ON_TIME);
	assert_int_equal(a->first_login_s, fixture_epoch(20260302, 8, 30, 0));
	assert_string_equal(a->staff, "1002");
	assert_int_equal(a->hours_s, DAY_HOURS_S);
	assert_int_equal(a->unattended_s, 10801);
	assert_int_equal(a->cls, EVAL_ATT_ABSENT);
	a = attendance(r, 20260302, 1);
	assert_int_equal(a->cls, EVAL_ATT_LEFT_POST);
	a = attendance(r, 20260302, 3);
	assert_int_equal(a->cls, EVAL_ATT_NONE);
	a = attendance(r, 20260302, 7);
	assert_int_equal(a->sign_in, EVAL_SIGN_IN_LATE);
	assert_int_equal(a->first_login_s, fixture_epoch(20260302, 8, 30, 1));
	a = attendance(r, 20260302, 5);
	assert_int_equal(a->sign_in, EVAL_SIGN_IN_NONE);
	assert_int_equal(a->first_login_s, 0);
	assert_int_equal(a->cls, EVAL_ATT_ABSENT);
	a = attendance(r, 20260302, 8);
	assert_int_equal(a->leave_s, 10800);
	assert_int_equal(a->cls, EVAL_ATT_LEFT_POST);

	/* Staff sign-in: each one's first login of the day. */
	assert_int_equal(staff(r, "1001")->sign_in_on_time, 1);
	assert_int_equal(staff(r, "1007")->sign_in_late, 1);
	assert_int_equal(staff(r, "1007")->sign_in_on_time, 0);
	assert_int_equal(r->n_leave, 2);
}

/* ======================================================================
 * Days B, C, D — windows 1 (company), 2 (license), 3 (consult) only.
 * company: standard 20 min, wait target 30 min; license: 12 / 25;
 * consult: 5 / 15.
 * ====================================================================== */

static void three_windows(struct env *t)
{
	keep_windows(t, 3);
	window_serves(t, 1, "company");
	window_serves(t, 2, "license");
	window_serves(t, 3, "consult");
}

static const char day_b[] = "day 2026-03-03\n"
			    "08:20 login 1 1001\n"
			    "08:25 login 2 1002\n"
			    "08:30 login 3 1003\n"
			    "08:40 issue company           # A001\n"
			    "08:45 call_next 1             # A001 wait 300\n"
			    "08:47 start 1                 # walk 120\n"
			    "09:00 issue consult           # G001\n"
			    "09:05 finish 1                # A001 handling 1080\n"
			    "09:06 rate A001 1\n"
			    "09:10 issue company           # A002\n"
			    "09:10 call_next 3             # G001 wait 600\n"
			    "09:12 call_next 1             # A002 wait 120\n"
			    "09:12 no_show 3               # G001 back in line\n"
			    "09:13 recall 1\n"
			    "09:14 start 1                 # A002 walk 120\n"
			    "09:15 call_next 3             # G001 again: no second wait\n"
			    "09:17 no_show 3               # G001 final no-show\n"
			    "09:20 hold 1                  # A002 held\n"
			    "09:21 issue company           # A003\n"
			    "09:22 call_next 1             # A003 wait 60\n"
			    "09:22 start 1                 # walk 0\n"
			    "09:42 finish 1                # A003 handling 1200 = standard\n"
			    "09:42:30 rate A003 3\n"
			    "09:45 call_back 1 A002\n"
			    "09:55 finish 1                # A002 2460 - held 1500 = 960\n"
			    "09:56 rate A002 4\n"
			    "10:00 pause 3 休息\n"
			    "10:05 issue consult           # G002\n"
			    "10:20 resume 3\n"
			    "10:25 call_next 3             # G002 wait 1200\n"
			    "10:26 start 3                 # walk 60\n"
			    "10:30 finish 3                # handling 240\n"
			    "10:31 rate G002 2\n"
			    "10:40 pause 3 会议\n"
			    "10:50 resume 3\n"
			    "11:00 issue consult           # G003\n"
			    "11:01 cancel G003\n"
			    "11:10 issue company           # A004\n"
			    "11:15 call_next 1             # A004 wait 300\n"
			    "11:20 start 1                 # walk 300\n"
			    "11:25 issue company           # A005\n"
			    "14:40:01 finish 1             # A004 600 + 601 = 1201\n"
			    "14:41 rate A004 5\n"
			    "14:50 call_next 1             # A005 wait 300 + 1200\n"
			    "14:51 start 1                 # walk 60\n"
			    "15:01 finish 1                # A005 handling 600\n"
			    "15:10 issue company           # A006\n"
			    "15:12 call_next 1             # A006 wait 120\n"
			    "15:15 transfer 1 service license\n"
			    "15:20 call_next 2             # A006 transferred in\n"
			    "15:21 start 2                 # walk 60\n"
			    "15:26 finish 2                # A006 handling 300 (license)\n"
			    "15:27 rate A006 1\n"
			    "15:30 issue company           # A007\n"
			    "15:31 call_next 1             # A007 wait 60\n"
			    "15:32 transfer 1 window 3\n"
			    "15:40 call_next 3             # A007 transferred in\n"
			    "15:45 finish 3                # no start: 15:45 - 15:40 = 300\n"
			    "15:46 rate A007 3\n"
			    "16:00 pause 2 后台办件\n"
			    "16:30 resume 2\n"
			    "17:00 issue license           # B001, never called\n"
			    "23:00 close_day               # B001 expires\n";

/* Handling times 300 60 540 120 600 180 480 240 420 360 at window 1 and
 * 240 60 180 120 at window 2: each ticket called as it is issued (wait 0)
 * and finished without start (handling from the call). Window 3 absent. */
static const char day_c[] = "day 2026-03-05\n"
			    "08:30 login 1 1001\n"
			    "08:30 login 2 1002\n"
			    "09:00 issue company\n09:00 call_next 1\n09:05 finish 1\n"
			    "09:05 issue company\n09:05 call_next 1\n09:06 finish 1\n"
			    "09:06 issue company\n09:06 call_next 1\n09:15 finish 1\n"
			    "09:15 issue company\n09:15 call_next 1\n09:17 finish 1\n"
			    "09:17 issue company\n09:17 call_next 1\n09:27 finish 1\n"
			    "09:27 issue company\n09:27 call_next 1\n09:30 finish 1\n"
			    "09:30 issue company\n09:30 call_next 1\n09:38 finish 1\n"
			    "09:38 issue company\n09:38 call_next 1\n09:42 finish 1\n"
			    "09:42 issue company\n09:42 call_next 1\n09:49 finish 1\n"
			    "09:49 issue company\n09:49 call_next 1\n09:55 finish 1\n"
			    "10:00 issue license\n10:00 call_next 2\n10:04 finish 2\n"
			    "10:04 issue license\n10:04 call_next 2\n10:05 finish 2\n"
			    "10:05 issue license\n10:05 call_next 2\n10:08 finish 2\n"
			    "10:08 issue license\n10:08 call_next 2\n10:10 finish 2\n"
			    "23:00 close_day\n";

static const char day_d[] = "day 2026-03-17\n"
			    "08:30 login 1 1001\n"
			    "08:30 login 2 1002\n"
			    "09:00 issue company\n"
			    "09:30 call_next 1             # wait 1800 = the 30 min target\n"
			    "09:40 finish 1                # handling 600\n"
			    "17:30 logout 1\n"
			    "17:30 logout 2\n"
			    "23:00 close_day\n";

static void build_bcd(struct env *t)
{
	three_windows(t);
	build(t, day_b);
	build(t, day_c); /* a second script continues the same database */
	build(t, day_d);
}

static void test_ticket_day(void **state)
{
	struct env *t = *state;

	build_bcd(t);
	const struct eval_report *r = compute(t, EVAL_DAY, 20260303);
	const struct eval_figures *w1 = window(r, 1), *w2 = window(r, 2), *w3 = window(r, 3);

	assert_int_equal(r->days_with_events, 1);
	assert_int_equal(r->days_counted, 1);

	/* ---- window 1 (company) ---- */
	/* calls 08:45 09:12 09:22 11:15 14:50 15:12 15:31 (call_back is no call) */
	assert_int_equal(w1->calls, 7);
	assert_int_equal(w1->served, 5); /* A001 A003 A002 A004 A005 */
	assert_int_equal(w1->served_by_service[config_service_index(t->cfg, "company")], 5);
	assert_int_equal(w1->transfers_out, 2); /* A006 to license, A007 to window 3 */
	assert_int_equal(w1->transfers_in, 0);
	assert_int_equal(w1->recalls, 1);
	assert_int_equal(w1->holds, 1);
	assert_int_equal(w1->no_shows, 0);
	/* waits of the tickets it called first: A001 08:40->08:45 300, A002 120,
	 * A003 60, A004 300, A005 11:25->11:30 300 + 14:30->14:50 1200 = 1500
	 * (the break left out), A006 120, A007 60. Sorted 60 60 120 120 300 300
	 * 1500; n 7; mean 2460/7; p50 rank ceil(3.5) = 4 -> 120; p90 rank
	 * ceil(6.3) = 7 -> 1500 */
	assert_stats(w1->wait, 7, 2460.0 / 7, 120, 1500, 1500);
	/* walks: A001 08:45->08:47 120, A002 09:12->09:14 120 (the recall at 09:13
	 * is part of it), A003 0, A004 11:15->11:20 300, A005 60 (A006 and A007
	 * never started here). Sorted 0 60 120 120 300; mean 600/5 = 120; p50
	 * rank 3 -> 120; p90 rank ceil(4.5) = 5 -> 300 */
	assert_stats(w1->walk, 5, 120.0, 120, 300, 300);
	/* handling: A001 08:47->09:05 1080; A002 09:14->09:55 = 2460 - held
	 * 09:20->09:45 1500 = 960; A003 09:22->09:42 1200; A004 11:20->11:30 600
	 * + 14:30->14:40:01 601 = 1201; A005 14:51->15:01 600. Sorted 600 960
	 * 1080 1200 1201; mean 5041/5 = 1008.2; p50 rank 3 -> 1080; p90 rank
	 * ceil(4.5) = 5 -> 1201 */
	assert_stats(w1->handling, 5, 1008.2, 1080, 1201, 1201);
	/* over 20 min = 1200 s: A004 1201 only; A003's 1200 is not over */
	assert_int_equal(w1->over_standard, 1);
	assert_int_equal(w1->over_wait_target, 0); /* no wait over 1800 s */
	/* idle: free, not paused, a company ticket waiting:
	 * 08:40-08:45 A001 300; 09:10-09:12 A002 120; 09:21-09:22 A003 60
	 * (09:20-09:21 and 09:42-09:45 only A002 held: not waiting);
	 * 11:10-11:15 A004 300; 14:40:01-14:50 A005 599 (11:25-11:30 it served
	 * A004); 15:10-15:12 A006 120 (15:15-15:20 A006 waits as license: not
	 * its service); 15:30-15:31 A007 60 (15:32 on, A007 is transferred to
	 * window 3: not idle). 300+120+60+300+599+120+60 = 1559 */
	assert_int_equal(w1->idle_s, 1559);
	assert_int_equal(w1->logged_in_s, DAY_HOURS_S); /* 08:20 to the close: all hours */
	assert_int_equal(w1->unattended_s, 0);
	assert_int_equal(w1->paused_s, 0);
	/* ratings A001 1, A003 3, A002 4, A004 5: rate (1 + 1) / 4 = 0.5 */
	assert_int_equal(w1->ratings[1], 1);
	assert_int_equal(w1->ratings[2], 0);
	assert_int_equal(w1->ratings[3], 1);
	assert_int_equal(w1->ratings[4], 1);
	assert_int_equal(w1->ratings[5], 1);
	assert_int_equal(w1->rated, 4);
	assert_near(w1->satisfaction_rate, 0.5);
	/* score: E = (5 - 1) / 5 = 0.8; S = 0.5; A = 21 600 / 21 600 = 1;
	 * weighted = 100 x (0.4 x 0.8 + 0.4 x 0.5 + 0.2 x 1) = 72;
	 * dissatisfied 2 x 1 = 2; overtime 1 x 0.2 = 0.2; total 72 - 2.2 = 69.8 */
	assert_near(w1->score.efficiency, 0.8);
	assert_near(w1->score.satisfaction, 0.5);
	assert_near(w1->score.attendance, 1.0);
	assert_near(w1->score.weighted, 72.0);
	assert_int_equal(w1->score.deduction_counts[CONFIG_DEDUCT_DISSATISFIED_RATING], 2);
	assert_near(w1->score.deductions[CONFIG_DEDUCT_DISSATISFIED_RATING], 2.0);
	assert_int_equal(w1->score.deduction_counts[CONFIG_DEDUCT_OVERTIME_TICKET], 1);
	assert_near(w1->score.deductions[CONFIG_DEDUCT_OVERTIME_TICKET], 0.2);
	assert_near(w1->score.deduction_total, 2.2);
	assert_near(w1->score.total, 69.8);

	/* ---- window 2 (license) ---- */
	assert_int_equal(w2->calls, 1);
	assert_int_equal(w2->served, 1);
	assert_int_equal(w2->served_by_service[config_service_index(t->cfg, "license")], 1);
	assert_int_equal(w2->transfers_in, 1); /* A006, transferred by window 1 */
	assert_int_equal(w2->transfers_out, 0);
	assert_int_equal(w2->wait.n, 0);                     /* A006 was first called at window 1 */
	assert_stats(w2->walk, 1, 60.0, 60, 60, 60);         /* 15:20 -> 15:21 */
	assert_stats(w2->handling, 1, 300.0, 300, 300, 300); /* 15:21 -> 15:26 */
	assert_int_equal(w2->over_standard, 0);              /* 300 <= 12 min */
	/* idle: 15:15-15:20 A006 waits as license 300; 17:00-17:30 B001 1 800
	 * (to the end of hours); nobody of its service waits the rest of the
	 * day, and 16:00-16:30 it is paused: 300 + 1800 = 2100 */
	assert_int_equal(w2->idle_s, 2100);
	assert_int_equal(w2->paused_s, 1800);
	assert_int_equal(w2->paused_by_reason_s[reason_index(t, "后台办件")], 1800);
	assert_int_equal(w2->paused_by_reason_s[reason_index(t, "休息")], 0);
	assert_near(w2->satisfaction_rate, 1.0); /* A006 rated 1 */
	/* E = 1/1, S = 1, A = 1: 100, nothing off */
	assert_near(w2->score.total, 100.0);

	/* ---- window 3 (consult) ---- */
	assert_int_equal(w3->calls, 4);  /* 09:10 09:15 10:25 15:40 */
	assert_int_equal(w3->served, 2); /* G002, A007 */
	assert_int_equal(w3->served_by_service[config_service_index(t->cfg, "consult")], 1);
	assert_int_equal(w3->served_by_service[config_service_index(t->cfg, "company")], 1);
	assert_int_equal(w3->no_shows, 2); /* two no_show events on G001 */
	assert_int_equal(w3->recalls, 0);
	assert_int_equal(w3->transfers_in, 1); /* A007 */
	/* waits: G001 09:00->09:10 600, G002 10:05->10:25 1200. n 2; mean 900;
	 * p50 rank ceil(1) = 1 -> 600; p90 rank ceil(1.8) = 2 -> 1200 */
	assert_stats(w3->wait, 2, 900.0, 600, 1200, 1200);
	assert_int_equal(w3->over_wait_target, 1);   /* G002: 1200 > 15 min; 600 is not */
	assert_stats(w3->walk, 1, 60.0, 60, 60, 60); /* G002 10:25 -> 10:26 */
	/* handling: G002 10:26->10:30 240; A007 finished without start: from the
	 * call 15:40 to 15:45 = 300. mean 270; p50 240; p90 300 */
	assert_stats(w3->handling, 2, 270.0, 240, 300, 300);
	assert_int_equal(w3->over_standard, 0); /* G002 240 <= 5 min; A007 300 <= 20 min */
	/* idle: 09:00-09:10 G001 600; 09:12-09:15 G001 back in line 180;
	 * 10:20-10:25 G002 300 (10:05-10:20 it is paused); 11:00-11:01 G003 60;
	 * 15:32-15:40 A007 transferred to it 480. 600+180+300+60+480 = 1620 */
	assert_int_equal(w3->idle_s, 1620);
	/* paused 10:00-10:20 休息 1200, 10:40-10:50 会议 600 */
	assert_int_equal(w3->paused_s, 1800);
	assert_int_equal(w3->paused_by_reason_s[reason_index(t, "休息")], 1200);
	assert_int_equal(w3->paused_by_reason_s[reason_index(t, "会议")], 600);
	assert_int_equal(w3->rated, 2); /* G002 2, A007 3 */
	assert_near(w3->satisfaction_rate, 1.0);
	assert_near(w3->score.total, 100.0);

	/* ---- the hall ---- */
	const struct eval_figures *h = &r->hall;
	assert_int_equal(h->issued, 11);   /* A001-A007, G001-G003, B001 */
	assert_int_equal(h->served, 8);    /* 5 + 1 + 2 */
	assert_int_equal(h->calls, 12);    /* 7 + 1 + 4 */
	assert_int_equal(h->cancelled, 1); /* G003 */
	assert_int_equal(h->expired, 1);   /* B001 at the close */
	assert_int_equal(h->transfers_out, 2);
	assert_int_equal(h->transfers_in, 2);
	/* waits of all tickets: 60 60 120 120 300 300 600 1200 1500; sum 4260;
	 * mean 473.33; p50 rank ceil(4.5) = 5 -> 300; p90 rank ceil(8.1) = 9 ->
	 * 1500 */
	assert_stats(h->wait, 9, 4260.0 / 9, 300, 1500, 1500);
	/* walks: 0 60 60 60 120 120 300; sum 720; p50 rank 4 -> 60; p90 rank
	 * ceil(6.3) = 7 -> 300 */
	assert_stats(h->walk, 7, 720.0 / 7, 60, 300, 300);
	/* handling: 240 300 300 600 960 1080 1200 1201; sum 5881; p50 rank 4 ->
	 * 600; p90 rank ceil(7.2) = 8 -> 1201 */
	assert_stats(h->handling, 8, 5881.0 / 8, 600, 1201, 1201);
	assert_int_equal(h->over_standard, 1);
	assert_int_equal(h->over_wait_target, 1);
	assert_int_equal(h->idle_s, 1559 + 2100 + 1620);
	assert_int_equal(h->paused_s, 3600);
	/* ratings: 1 A001 A006; 2 G002; 3 A003 A007; 4 A002; 5 A004:
	 * (2 + 1 + 2) / 7 */
	assert_int_equal(h->ratings[1], 2);
	assert_int_equal(h->ratings[2], 1);
	assert_int_equal(h->ratings[3], 2);
	assert_int_equal(h->ratings[4], 1);
	assert_int_equal(h->ratings[5], 1);
	assert_int_equal(h->rated, 7);
	assert_near(h->satisfaction_rate, 5.0 / 7.0);

	/* ---- the low ratings, by time ---- */
	assert_int_equal(r->n_low_ratings, 2);
	assert_string_equal(r->low_ratings[0].ticket, "A002");
	assert_int_equal(r->low_ratings[0].rating, 4);
	assert_int_equal(r->low_ratings[0].window, 1);
	assert_string_equal(r->low_ratings[0].staff, "1001");
	assert_string_equal(r->low_ratings[0].service, "company");
	assert_int_equal(r->low_ratings[0].at_s, fixture_epoch(20260303, 9, 56, 0));
	assert_string_equal(r->low_ratings[1].ticket, "A004");
	assert_int_equal(r->low_ratings[1].rating, 5);
	assert_int_equal(r->low_ratings[1].at_s, fixture_epoch(20260303, 14, 41, 0));

	/* ---- services ---- */
	const struct eval_service_record *s = service(r, "company");
	assert_int_equal(s->issued, 7);
	/* served under company: A001-A005 at window 1, A007 at window 3 (a
	 * window transfer keeps the service); A006 was served as license */
	assert_int_equal(s->served, 6);
	/* the seven waits of window 1: mean 2460/7, p50 120, p90 1500 */
	assert_stats(s->wait, 7, 2460.0 / 7, 120, 1500, 1500);
	/* 300 600 960 1080 1200 1201; sum 5341; p50 rank 3 -> 960; p90 rank
	 * ceil(5.4) = 6 -> 1201 */
	assert_stats(s->handling, 6, 5341.0 / 6, 960, 1201, 1201);
	assert_int_equal(s->over_standard, 1);
	assert_int_equal(s->over_wait_target, 0);
	s = service(r, "license");
	assert_int_equal(s->issued, 1);
	assert_int_equal(s->served, 1); /* A006 */
	assert_int_equal(s->expired, 1);
	assert_int_equal(s->wait.n, 0); /* B001 never called */
	assert_stats(s->handling, 1, 300.0, 300, 300, 300);
	s = service(r, "consult");
	assert_int_equal(s->issued, 3);
	assert_int_equal(s->served, 1);
	assert_int_equal(s->cancelled, 1);
	assert_stats(s->wait, 2, 900.0, 600, 1200, 1200);
	assert_int_equal(s->over_wait_target, 1);

	/* ---- staff 1001 did all of window 1's work ---- */
	const struct eval_figures *p = staff(r, "1001");
	assert_int_equal(p->served, 5);
	assert_int_equal(p->calls, 7);
	assert_stats(p->handling, 5, 1008.2, 1080, 1201, 1201);
	assert_int_equal(p->rated, 4);
	assert_int_equal(p->sign_in_on_time, 1);
	assert_int_equal(staff(r, "1002")->transfers_in, 1);
}

static void test_percentiles_small_samples(void **state)
{
	struct env *t = *state;

	build_bcd(t);
	const struct eval_report *r = compute(t, EVAL_DAY, 20260305);

	/* n = 10 at window 1: 300 60 540 120 600 180 480 240 420 360 sorted 60
	 * 120 ... 600; mean 3300 / 10 = 330; p50 rank ceil(5) = 5 -> 300; p90
	 * rank ceil(9) = 9 -> 540 (the 9th); max 600 */
	assert_stats(window(r, 1)->handling, 10, 330.0, 300, 540, 600);
	assert_stats(window(r, 1)->wait, 10, 0.0, 0, 0, 0); /* called as issued */
	assert_int_equal(window(r, 1)->walk.n, 0);          /* never started */
	/* n = 4 at window 2: 240 60 180 120 sorted 60 120 180 240; p50 rank 2 ->
	 * 120; p90 rank ceil(3.6) = 4 -> 240; mean 600 / 4 = 150 */
	assert_stats(window(r, 2)->handling, 4, 150.0, 120, 240, 240);
	/* the hall's 14: 60 60 120 120 180 180 240 240 300 360 420 480 540 600;
	 * sum 3900; p50 rank 7 -> 240; p90 rank ceil(12.6) = 13 -> 540 */
	assert_stats(r->hall.handling, 14, 3900.0 / 14, 240, 540, 600);
	/* no samples: no figures */
	assert_int_equal(window(r, 3)->handling.n, 0);
	assert_int_equal(window(r, 3)->handling.p50_s, 0);
	assert_near(window(r, 3)->handling.mean_s, 0.0);

	/* n = 1 and n = 2 on day B: p50 = p90 = the one sample; of two, p50 is
	 * the 1st and p90 the 2nd */
	r = compute(t, EVAL_DAY, 20260303);
	assert_stats(window(r, 2)->handling, 1, 300.0, 300, 300, 300);
	assert_stats(window(r, 3)->wait, 2, 900.0, 600, 1200, 1200);
}

static void test_week_and_month(void **state)
{
	struct env *t = *state;

	build_bcd(t);
	/* ---- the week of Mon 03-02 to Sun 03-08: days B and C ---- */
	const struct eval_report *r = compute(t, EVAL_WEEK, 20260304);
	assert_int_equal(r->first_day, 20260302);
	assert_int_equal(r->last_day, 20260308);
	assert_true(r->final);
	assert_int_equal(r->days_with_events, 2);
	assert_int_equal(r->days_counted, 2);

	const struct eval_figures *w1 = window(r, 1);
	assert_int_equal(w1->served, 15);     /* 5 + 10 */
	assert_int_equal(w1->calls, 17);      /* 7 + 10 */
	assert_int_equal(w1->hours_s, 43200); /* 2 x 21 600 */
	assert_int_equal(w1->logged_in_s, 43200);
	assert_int_equal(w1->idle_s, 1559); /* day C: each ticket called as issued */
	/* handling over the union, not an average of days: B 600 960 1080 1200
	 * 1201 and C 60..600: 60 120 180 240 300 360 420 480 540 600 600 960 1080
	 * 1200 1201; n 15; sum 5041 + 3300 = 8341; p50 rank ceil(7.5) = 8 ->
	 * 480; p90 rank ceil(13.5) = 14 -> 1200 */
	assert_stats(w1->handling, 15, 8341.0 / 15, 480, 1200, 1201);
	/* waits: ten 0 then 60 60 120 120 300 300 1500; n 17; sum 2460; p50 rank
	 * ceil(8.5) = 9 -> 0; p90 rank ceil(15.3) = 16 -> 300 */
	assert_stats(w1->wait, 17, 2460.0 / 17, 0, 300, 1500);
	/* E = 14 / 15; S = 0.5 (day B's ratings); A = 1;
	 * weighted = 100 x (0.4 x 14/15 + 0.2 + 0.2) = 77.333; minus 2 x 1 and
	 * 1 x 0.2 = 75.133 */
	assert_near(w1->score.efficiency, 14.0 / 15.0);
	assert_near(w1->score.weighted, 100.0 * (0.4 * 14.0 / 15.0 + 0.4 * 0.5 + 0.2));
	assert_near(w1->score.total, 100.0 * (0.4 * 14.0 / 15.0 + 0.4 * 0.5 + 0.2) - 2.2);
	/* window 2: 300 and 240 60 180 120 -> 60 120 180 240 300; p50 rank 3 ->
	 * 180; p90 rank 5 -> 300; mean 900 / 5 */
	assert_stats(window(r, 2)->handling, 5, 180.0, 180, 300, 300);
	assert_int_equal(window(r, 2)->idle_s, 2100);
	/* window 3: on time day B, no login day C (旷工): hours 43 200, logged
	 * in 21 600; A = 0.5; weighted = 100 x (0.4 + 0.4 + 0.2 x 0.5) = 90;
	 * 旷工 1 x 5: 85 */
	const struct eval_figures *w3 = window(r, 3);
	assert_int_equal(w3->sign_in_on_time, 1);
	assert_int_equal(w3->sign_in_none, 1);
	assert_int_equal(w3->absent_days, 1);
	assert_int_equal(w3->unattended_s, 21600);
	assert_near(w3->score.attendance, 0.5);
	assert_near(w3->score.total, 85.0);
	/* the hall: 11 + 14 issued, 8 + 14 served; handling union of 22:
	 * 60 60 120 120 180 180 240 240 240 300 300 300 360 420 480 540 600 600
	 * 960 1080 1200 1201; sum 5881 + 3900 = 9781; p50 rank 11 -> 300; p90
	 * rank ceil(19.8) = 20 -> 1080 */
	assert_int_equal(r->hall.issued, 25);
	assert_int_equal(r->hall.served, 22);
	assert_stats(r->hall.handling, 22, 9781.0 / 22, 300, 1080, 1201);
	assert_int_equal(r->n_attendance, 6); /* 3 windows x 2 counted days */

	/* ---- the month of March: B, C and D ---- */
	r = compute(t, EVAL_MONTH, 20260317);
	assert_int_equal(r->first_day, 20260301);
	assert_int_equal(r->last_day, 20260331);
	assert_int_equal(r->days_with_events, 3);
	assert_int_equal(r->days_counted, 3);
	w1 = window(r, 1);
	assert_int_equal(w1->served, 16);
	assert_int_equal(w1->hours_s, 64800); /* 3 x 21 600 */
	/* day D: A001 waits 09:00-09:30 while window 1 is free: idle 1 800;
	 * 1559 + 0 + 1800 */
	assert_int_equal(w1->idle_s, 3359);
	/* handling: the week's 15 and day D's 600 (no start: 09:30 -> 09:40);
	 * n 16; sum 8941; p50 rank 8 -> 480; p90 rank ceil(14.4) = 15 -> 1200 */
	assert_stats(w1->handling, 16, 8941.0 / 16, 480, 1200, 1201);
	/* waits: the week's 17 and 1800; n 18; sum 4260; p50 rank 9 -> 0; p90
	 * rank ceil(16.2) = 17 -> 1500; max 1800 */
	assert_stats(w1->wait, 18, 4260.0 / 18, 0, 1500, 1800);
	/* 1800 s is exactly the 30 min target: not over */
	assert_int_equal(w1->over_wait_target, 0);
	/* E = 15 / 16; S = 0.5; A = 1: weighted = 100 x (0.4 x 0.9375 + 0.2 +
	 * 0.2) = 77.5; minus 2.2 = 75.3 */
	assert_near(w1->score.total, 75.3);
	/* window 3: 旷工 on C and D; logged in 21 600 of 64 800; A = 1/3;
	 * weighted = 100 x (0.8 + 0.2 / 3) = 86.667; 2 x 5 off: 76.667 */
	w3 = window(r, 3);
	assert_int_equal(w3->absent_days, 2);
	assert_int_equal(w3->sign_in_none, 2);
	assert_near(w3->score.attendance, 1.0 / 3.0);
	assert_int_equal(w3->score.deduction_counts[CONFIG_DEDUCT_ABSENCE], 2);
	assert_near(w3->score.deductions[CONFIG_DEDUCT_ABSENCE], 10.0);
	assert_near(w3->score.total, 100.0 * (0.8 + 0.2 / 3.0) - 10.0);
	/* window 2 on day D: 08:30-17:30 logged in, all hours */
	assert_int_equal(window(r, 2)->logged_in_s, 64800);
	assert_near(window(r, 2)->score.total, 100.0);
	assert_int_equal(r->hall.issued, 26);
	assert_int_equal(r->hall.served, 23);
}

/* Every figure of two records, field by field (no memcmp: padding). */
static void same_stats(const struct eval_stats *a, const struct eval_stats *b)
{
	assert_int_equal(a->n, b->n);
	assert_true(a->mean_s == b->mean_s);
	assert_int_equal(a->p50_s, b->p50_s);
	assert_int_equal(a->p90_s, b->p90_s);
	assert_int_equal(a->max_s, b->max_s);
}

static void same_figures(const struct eval_figures *a, const struct eval_figures *b)
{
	assert_int_equal(a->issued, b->issued);
	assert_int_equal(a->served, b->served);
	for (int i = 0; i <= ENGINE_MAX_SERVICES; i++)
		assert_int_equal(a->served_by_service[i], b->served_by_service[i]);
	assert_int_equal(a->calls, b->calls);
	assert_int_equal(a->transfers_in, b->transfers_in);
	assert_int_equal(a->transfers_out, b->transfers_out);
	assert_int_equal(a->recalls, b->recalls);
	assert_int_equal(a->no_shows, b->no_shows);
	assert_int_equal(a->holds, b->holds);
	assert_int_equal(a->cancelled, b->cancelled);
	assert_int_equal(a->expired, b->expired);
	same_stats(&a->wait, &b->wait);
	same_stats(&a->walk, &b->walk);
	same_stats(&a->handling, &b->handling);
	assert_int_equal(a->over_standard, b->over_standard);
	assert_int_equal(a->over_wait_target, b->over_wait_target);
	assert_int_equal(a->logged_in_s, b->logged_in_s);
	assert_int_equal(a->paused_s, b->paused_s);
	for (int i = 0; i <= ENGINE_MAX_PAUSE_REASONS; i++)
		assert_int_equal(a->paused_by_reason_s[i], b->paused_by_reason_s[i]);
	assert_int_equal(a->idle_s, b->idle_s);
	assert_int_equal(a->hours_s, b->hours_s);
	assert_int_equal(a->leave_s, b->leave_s);
	assert_int_equal(a->unattended_s, b->unattended_s);
	assert_int_equal(a->attended_s, b->attended_s);
	assert_int_equal(a->left_post_days, b->left_post_days);
	assert_int_equal(a->absent_days, b->absent_days);
	assert_int_equal(a->sign_in_on_time, b->sign_in_on_time);
	assert_int_equal(a->sign_in_late, b->sign_in_late);
	assert_int_equal(a->sign_in_none, b->sign_in_none);
	for (int i = 0; i < 6; i++)
		assert_int_equal(a->ratings[i], b->ratings[i]);
	assert_int_equal(a->rated, b->rated);
	assert_true(a->satisfaction_rate == b->satisfaction_rate);
	assert_int_equal(a->complaints, b->complaints);
	assert_int_equal(a->complaints_upheld, b->complaints_upheld);
	assert_int_equal(a->complaints_open, b->complaints_open);
	assert_int_equal(a->complaints_overdue, b->complaints_overdue);
	assert_int_equal(a->praise, b->praise);
	assert_int_equal(a->leave_records, b->leave_records);
	assert_int_equal(a->duty_shifts, b->duty_shifts);
	assert_true(a->duty_bonus == b->duty_bonus);
	assert_int_equal(a->has_score, b->has_score);
	assert_true(a->score.efficiency == b->score.efficiency);
	assert_true(a->score.satisfaction == b->score.satisfaction);
	assert_true(a->score.attendance == b->score.attendance);
	assert_true(a->score.weighted == b->score.weighted);
	for (int i = 0; i < CONFIG_DEDUCT_COUNT; i++) {
		assert_true(a->score.deductions[i] == b->score.deductions[i]);
		assert_int_equal(a->score.deduction_counts[i], b->score.deduction_counts[i]);
	}
	assert_true(a->score.deduction_total == b->score.deduction_total);
	assert_true(a->score.bonus == b->score.bonus);
	assert_true(a->score.total == b->score.total);
}

static void test_recompute_gives_the_same(void **state)
{
	struct env *t = *state;

	build_bcd(t);
	sql(t, "INSERT INTO complaints(kind, day, minute, window, staff, ticket, text, status,"
	       " closed_day, note, created_at) VALUES"
	       " ('complaint', 20260303, 600, 1, '1001', 'A002', '态度', 'upheld', 20260304, '',"
	       " 0);"
	       "INSERT INTO duty_shifts(day, window, leader, shift, created_at) VALUES"
	       " (20260305, 2, '张主任', 'am', 0);");
	const struct eval_report *a = compute(t, EVAL_MONTH, 20260310);
	const struct eval_report *b = compute(t, EVAL_MONTH, 20260310);

	assert_int_equal(a->first_day, b->first_day);
	assert_int_equal(a->through_day, b->through_day);
	assert_int_equal(a->final, b->final);
	assert_true(a->final);
	assert_int_equal(a->days_with_events, b->days_with_events);
	assert_int_equal(a->days_counted, b->days_counted);
	same_figures(&a->hall, &b->hall);
	assert_int_equal(a->n_windows, b->n_windows);
	for (int i = 0; i < a->n_windows; i++) {
		assert_int_equal(a->windows[i].number, b->windows[i].number);
		same_figures(&a->windows[i].f, &b->windows[i].f);
	}
	assert_int_equal(a->n_staff, b->n_staff);
	for (int i = 0; i < a->n_staff; i++) {
		assert_string_equal(a->staff[i].id, b->staff[i].id);
		same_figures(&a->staff[i].f, &b->staff[i].f);
	}
	assert_int_equal(a->n_services, b->n_services);
	for (int i = 0; i < a->n_services; i++) {
		const struct eval_service_record *x = &a->services[i], *y = &b->services[i];
		assert_string_equal(x->id, y->id);
		assert_int_equal(x->issued, y->issued);
		assert_int_equal(x->served, y->served);
		assert_int_equal(x->no_shows, y->no_shows);
		assert_int_equal(x->cancelled, y->cancelled);
		assert_int_equal(x->expired, y->expired);
		same_stats(&x->wait, &y->wait);
		same_stats(&x->handling, &y->handling);
		assert_int_equal(x->over_standard, y->over_standard);
		assert_int_equal(x->over_wait_target, y->over_wait_target);
		assert_memory_equal(x->wait_buckets, y->wait_buckets, sizeof(x->wait_buckets));
	}
	assert_int_equal(a->n_attendance, b->n_attendance);
	assert_int_equal(a->n_low_ratings, b->n_low_ratings);
	assert_int_equal(a->n_complaints, b->n_complaints);
	assert_int_equal(a->n_duty, b->n_duty);
	assert_memory_equal(a->hourly_issued, b->hourly_issued, sizeof(a->hourly_issued));
	assert_memory_equal(a->hourly_served, b->hourly_served, sizeof(a->hourly_served));
	/* and the figures are the month's: the complaint and the shift count */
	assert_int_equal(window(a, 1)->complaints_upheld, 1);
	assert_near(window(a, 2)->duty_bonus, 0.1);
}

/* ======================================================================
 * The composite score: one window, the week of Mon 03-09, with a late
 * sign-in, a 擅自离岗 day, a 旷工 day, a 不满意 rating, an upheld
 * complaint, a ticket over standard and two leader shifts.
 * ====================================================================== */

static const char week_composite[] = "day 2026-03-09\n"
				     "08:31 login 1 1001            # late\n"
				     "08:40 issue company           # A001\n"
				     "08:45 call_next 1             # wait 300\n"
				     "08:46 start 1\n"
				     "09:00 issue company           # A002\n"
				     "09:10 finish 1                # A001 1440 > 1200\n"
				     "09:10 call_next 1             # A002 wait 600\n"
				     "09:11 start 1\n"
				     "09:21 finish 1                # A002 600\n"
				     "09:22 rate A001 1\n"
				     "09:22 rate A002 4\n"
				     "16:00 logout 1\n"
				     "day 2026-03-10                # closes the 9th at 00:00\n"
				     "08:30 login 1 1001\n"
				     "08:35 issue company           # A001\n"
				     "08:40 call_next 1             # wait 300\n"
				     "08:50 finish 1                # 600, no start\n"
				     "08:51 rate A001 2\n"
				     "09:30 logout 1\n"
				     "23:00 close_day\n"
				     "day 2026-03-14                # Saturday: not a workday\n"
				     "18:00 login 1 1001\n"
				     "18:10 logout 1\n"
				     "23:00 close_day\n";

static void test_composite_score(void **state)
{
	struct env *t = *state;

	keep_windows(t, 1);
	build(t, week_composite);
	sql(t, "INSERT INTO complaints(kind, day, minute, window, staff, ticket, text, status,"
	       " closed_day, note, created_at) VALUES"
	       " ('complaint', 20260309, 600, 1, '1001', 'A002', '等太久', 'upheld', 20260310,"
	       "  '', 0),"
	       " ('complaint', 20260310, 600, 1, NULL, NULL, '没有座位', 'dismissed', 20260311,"
	       "  '', 0);"
	       "INSERT INTO duty_shifts(day, window, leader, shift, created_at) VALUES"
	       " (20260309, 1, '张主任', 'am', 0),"
	       " (20260310, 1, '李局长', 'day', 0);");
	const struct eval_report *r = compute(t, EVAL_WEEK, 20260312);
	const struct eval_figures *w = window(r, 1);

	/* Mon, Tue and Sat have events; Sat is not a workday */
	assert_int_equal(r->days_with_events, 3);
	assert_int_equal(r->days_counted, 2);
	assert_int_equal(w->served, 3);
	assert_int_equal(w->over_standard, 1); /* Mon A001 08:46 -> 09:10 = 1440 > 1200 */
	/* waits 300 600 300: mean 400; p50 rank 2 -> 300; p90 rank 3 -> 600 */
	assert_stats(w->wait, 3, 400.0, 300, 600, 600);
	/* handling 1440 600 600: mean 880; p50 600; p90 1440 */
	assert_stats(w->handling, 3, 880.0, 600, 1440, 1440);
	/* idle: Mon 08:40-08:45 300 (09:00-09:10 A002 waits while A001 is
	 * served: not idle); Tue 08:35-08:40 300 */
	assert_int_equal(w->idle_s, 600);
	/* Mon: logged in 08:31-11:30 = 10 740 + 14:30-16:00 = 5 400 = 16 140;
	 * unattended 60 + 5 400 = 5 460 s = 91 min: 擅自离岗.
	 * Tue: 08:30-09:30 = 3 600; unattended 18 000 s = 300 min: 旷工.
	 * Sat 18:00-18:10 is outside hours and not a counted day. */
	assert_int_equal(w->hours_s, 43200);
	assert_int_equal(w->logged_in_s, 16140 + 3600);
	assert_int_equal(w->attended_s, 19740);
	assert_int_equal(w->unattended_s, 5460 + 18000);
	assert_int_equal(w->sign_in_late, 1);
	assert_int_equal(w->sign_in_on_time, 1);
	assert_int_equal(w->left_post_days, 1);
	assert_int_equal(w->absent_days, 1);
	assert_int_equal(w->complaints, 2);
	assert_int_equal(w->complaints_upheld, 1);
	assert_int_equal(w->duty_shifts, 2);

	/* E = (3 - 1) / 3; S: ratings 1, 4, 2 -> 2 / 3; A = 19 740 / 43 200 */
	const double e = 2.0 / 3.0, s = 2.0 / 3.0, a = 19740.0 / 43200.0;
	assert_near(w->score.efficiency, e);
	assert_near(w->score.satisfaction, s);
	assert_near(w->score.attendance, a);
	/* weighted = 100 x (0.4 x 0.6667 + 0.4 x 0.6667 + 0.2 x 0.45694) = 62.4722 */
	const double weighted = 100.0 * (0.4 * e + 0.4 * s + 0.2 * a);
	assert_near(w->score.weighted, weighted);
	assert_near(w->score.weighted, 62.472222222);
	/* each deduction: count x points */
	static const struct {
		int rule, count;
		double points;
	} want[] = {
	    {CONFIG_DEDUCT_LATE_SIGN_IN, 1, 0.5},        /* Mon 08:31 */
	    {CONFIG_DEDUCT_UNAUTHORIZED_LEAVE, 1, 2.0},  /* Mon 91 min */
	    {CONFIG_DEDUCT_ABSENCE, 1, 5.0},             /* Tue 300 min */
	    {CONFIG_DEDUCT_DISSATISFIED_RATING, 1, 1.0}, /* Mon A002 4 */
	    {CONFIG_DEDUCT_COMPLAINT, 1, 3.0},           /* upheld; the dismissed costs nothing */
	    {CONFIG_DEDUCT_OVERTIME_TICKET, 1, 0.2},     /* Mon A001 */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(w->score.deduction_counts[want[i].rule], want[i].count);
		assert_near(w->score.deductions[want[i].rule], want[i].points);
	}
	/* 0.5 + 2 + 5 + 1 + 3 + 0.2 = 11.7 */
	assert_near(w->score.deduction_total, 11.7);
	/* week: 0.1 x 2 shifts = 0.2 */
	assert_near(w->score.bonus, 0.2);
	assert_near(w->duty_bonus, 0.2);
	/* 62.4722 - 11.7 + 0.2 = 50.9722 */
	assert_near(w->score.total, weighted - 11.7 + 0.2);
	near_at(w->score.total, 50.97, 0.005, "score shown", __FILE__, __LINE__);
}

/* ======================================================================
 * Complaints and praise: two windows, every day a workday, events on Mon
 * 03-09 and Sun 03-15, so the week's last day is also its last counted day.
 * ====================================================================== */

static void test_complaints_and_praise(void **state)
{
	struct env *t = *state;

	keep_windows(t, 2);
	t->cfg->hall.hours.workdays = 0x7f; /* Sunday to Saturday */
	build(t, "day 2026-03-09\n"
		 "08:00 login 1 1001\n"
		 "08:00 login 2 1002\n"
		 "23:00 close_day\n"
		 "day 2026-03-15\n"
		 "08:00 login 1 1001\n"
		 "08:00 login 2 1002\n"
		 "23:00 close_day\n");
	sql(t,
	    "INSERT INTO complaints(id, kind, day, minute, window, staff, ticket, text, status,"
	    " closed_day, note, created_at) VALUES"
	    " (1, 'complaint', 20260309, 600, 1, '1001', NULL, 'c1', 'upheld', 20260310, '', 0),"
	    " (2, 'complaint', 20260309, 610, 1, NULL, NULL, 'c2', 'dismissed', 20260315, '', 0),"
	    " (3, 'complaint', 20260309, 620, 1, NULL, NULL, 'c3', 'open', NULL, NULL, 0),"
	    " (4, 'complaint', 20260310, 600, 1, NULL, NULL, 'c4', 'open', NULL, NULL, 0),"
	    " (5, 'praise', 20260311, 600, 1, '1001', NULL, 'p5', 'closed', 20260311, '', 0),"
	    " (6, 'complaint', 20260302, 600, 1, NULL, NULL, 'c6', 'upheld', 20260309, '', 0),"
	    " (7, 'complaint', 20260309, 630, 2, NULL, NULL, 'c7', 'upheld', 20260312, '', 0);");
	const struct eval_report *r = compute(t, EVAL_WEEK, 20260309);

	assert_int_equal(r->days_counted, 2);
	/* received in the week: 1 2 3 4 5 7; 6 was received the week before */
	assert_int_equal(r->n_complaints, 6);
	for (int i = 0; i < r->n_complaints; i++)
		assert_true(r->complaints[i].id != 6);
	/* limit 5 days. 1: 03-09 -> 03-10 = 1 day; 2: 03-09 -> 03-15 = 6 > 5;
	 * 3: open 03-09 -> the last day 03-15 = 6 > 5; 4: open 03-10 -> 03-15 =
	 * 5, not over; 7: 03-09 -> 03-12 = 3 */
	assert_int_equal(complaint(r, 1)->days_open, 1);
	assert_false(complaint(r, 1)->overdue);
	assert_int_equal(complaint(r, 2)->days_open, 6);
	assert_true(complaint(r, 2)->overdue);
	assert_int_equal(complaint(r, 3)->days_open, 6);
	assert_true(complaint(r, 3)->overdue);
	assert_string_equal(complaint(r, 3)->status, "open");
	assert_int_equal(complaint(r, 4)->days_open, 5);
	assert_false(complaint(r, 4)->overdue);
	assert_int_equal(complaint(r, 7)->days_open, 3);
	assert_string_equal(complaint(r, 5)->kind, "praise");

	const struct eval_figures *w1 = window(r, 1), *w2 = window(r, 2);
	assert_int_equal(w1->complaints, 4); /* 1 2 3 4 */
	assert_int_equal(w1->complaints_upheld, 1);
	assert_int_equal(w1->complaints_open, 2);
	assert_int_equal(w1->complaints_overdue, 2); /* 2 and 3 */
	assert_int_equal(w1->praise, 1);
	assert_int_equal(w2->complaints, 1);
	assert_int_equal(w2->complaints_upheld, 1);
	assert_int_equal(w2->praise, 0);
	/* only upheld complaints cost points: each window 100 - 1 x 3 = 97
	 * (logged in 08:00 to the close on both days: A = 1, on time) */
	assert_int_equal(w1->score.deduction_counts[CONFIG_DEDUCT_COMPLAINT], 1);
	assert_near(w1->score.deductions[CONFIG_DEDUCT_COMPLAINT], 3.0);
	assert_near(w1->score.total, 97.0);
	assert_near(w2->score.total, 97.0);
	/* named with --staff: complaint 1 and the praise name 1001 */
	assert_int_equal(staff(r, "1001")->complaints_upheld, 1);
	assert_int_equal(staff(r, "1001")->praise, 1);
}

/* ======================================================================
 * The leader on duty: windows 1-3, no events at all (so E = S = A = 1).
 * ====================================================================== */

static void test_leader_bonus(void **state)
{
	struct env *t = *state;
	char text[256];

	three_windows(t);
	build(t, ""); /* a hallq database with an empty journal */
	for (int d = 1; d <= 30; d++) {
		/* window 1, January: am and pm of the 1st-30th = 60 shifts;
		 * window 2, January: 30 day shifts */
		snprintf(text, sizeof(text),
			 "INSERT INTO duty_shifts(day, window, leader, shift, created_at) VALUES"
			 " (%d, 1, '张主任', 'am', 0), (%d, 1, '张主任', 'pm', 0),"
			 " (%d, 2, '李局长', 'day', 0);",
			 20260100 + d, 20260100 + d, 20260100 + d);
		sql(t, text);
	}
	for (int d = 1; d <= 28; d++) {
		/* window 2, February: 28 am + 27 pm = 55 shifts */
		snprintf(text, sizeof(text),
			 "INSERT INTO duty_shifts(day, window, leader, shift, created_at) VALUES"
			 " (%d, 2, '李局长', 'am', 0);",
			 20260200 + d);
		sql(t, text);
		if (d <= 27) {
			snprintf(text, sizeof(text),
				 "INSERT INTO duty_shifts(day, window, leader, shift, created_at)"
				 " VALUES (%d, 2, '李局长', 'pm', 0);",
				 20260200 + d);
			sql(t, text);
		}
	}
	/* window 1, March: 03-02 am and pm, day shifts 03-03 to 03-10: 10 */
	sql(t, "INSERT INTO duty_shifts(day, window, leader, shift, created_at) VALUES"
	       " (20260302, 1, '张主任', 'am', 0), (20260302, 1, '张主任', 'pm', 0),"
	       " (20260303, 1, '张主任', 'day', 0), (20260304, 1, '张主任', 'day', 0),"
	       " (20260305, 1, '张主任', 'day', 0), (20260306, 1, '张主任', 'day', 0),"
	       " (20260307, 1, '张主任', 'day', 0), (20260308, 1, '张主任', 'day', 0),"
	       " (20260309, 1, '张主任', 'day', 0), (20260310, 1, '张主任', 'day', 0);");

	/* day 03-02: 2 shifts x 0.1 = 0.2 */
	const struct eval_report *r = compute(t, EVAL_DAY, 20260302);
	assert_int_equal(window(r, 1)->duty_shifts, 2);
	assert_near(window(r, 1)->duty_bonus, 0.2);
	/* week 03-02..03-08: am, pm, day 03-03..03-08 = 8 x 0.1 = 0.8 */
	r = compute(t, EVAL_WEEK, 20260302);
	assert_int_equal(window(r, 1)->duty_shifts, 8);
	assert_near(window(r, 1)->duty_bonus, 0.8);
	assert_near(window(r, 1)->score.bonus, 0.8);

	/* January: window 1 min(60 x 0.1 = 6, 5) = 5; window 2 30 x 0.1 = 3 */
	r = compute(t, EVAL_MONTH, 20260115);
	assert_int_equal(r->days_with_events, 0);
	assert_int_equal(window(r, 1)->duty_shifts, 60);
	assert_near(window(r, 1)->duty_bonus, 5.0);
	assert_near(window(r, 2)->duty_bonus, 3.0);
	assert_near(window(r, 3)->duty_bonus, 0.0);
	/* score = max(0, 100 x (0.4 + 0.4 + 0.2) - 0 + 5) = 105: E, S and A are
	 * 1 with nothing served, rated or required */
	assert_near(window(r, 1)->score.weighted, 100.0);
	assert_near(window(r, 1)->score.bonus, 5.0);
	assert_near(window(r, 1)->score.total, 105.0);
	assert_int_equal(r->n_duty, 90); /* 60 + 30 */
	/* February: window 2 min(55 x 0.1 = 5.5, 5) = 5 */
	r = compute(t, EVAL_MONTH, 20260210);
	assert_int_equal(window(r, 2)->duty_shifts, 55);
	assert_near(window(r, 2)->duty_bonus, 5.0);
	/* March: window 1 10 x 0.1 = 1 */
	r = compute(t, EVAL_MONTH, 20260331);
	assert_near(window(r, 1)->duty_bonus, 1.0);

	/* Q1: window 1 (5 + 0 + 1) / 3 = 2 (60 shifts in January, none in
	 * February, 10 in March); window 2 (3 + 5 + 0) / 3 = 2.6667 */
	r = compute(t, EVAL_QUARTER, 20260220);
	assert_int_equal(r->first_day, 20260101);
	assert_int_equal(r->last_day, 20260331);
	assert_int_equal(window(r, 1)->duty_shifts, 70);
	assert_near(window(r, 1)->duty_bonus, 2.0);
	assert_near(window(r, 1)->score.bonus, 2.0);
	assert_near(window(r, 1)->score.total, 102.0);
	assert_near(window(r, 2)->duty_bonus, 8.0 / 3.0);
	assert_near(window(r, 3)->duty_bonus, 0.0);
	assert_non_null(r->quarter_month_bonus);
	int row = window_row(r, 1);
	assert_near(r->quarter_month_bonus[row * 3 + 0], 5.0);
	assert_near(r->quarter_month_bonus[row * 3 + 1], 0.0);
	assert_near(r->quarter_month_bonus[row * 3 + 2], 1.0);
	row = window_row(r, 2);
	assert_near(r->quarter_month_bonus[row * 3 + 0], 3.0);
	assert_near(r->quarter_month_bonus[row * 3 + 1], 5.0);
	assert_near(r->quarter_month_bonus[row * 3 + 2], 0.0);
}

/* ======================================================================
 * Periods without data.
 * ====================================================================== */

static void check_empty_figures(const struct eval_figures *f)
{
	assert_int_equal(f->issued, 0);
	assert_int_equal(f->served, 0);
	assert_int_equal(f->calls, 0);
	assert_int_equal(f->wait.n, 0);
	assert_int_equal(f->walk.n, 0);
	assert_int_equal(f->handling.n, 0);
	assert_int_equal(f->logged_in_s, 0);
	assert_int_equal(f->idle_s, 0);
	assert_int_equal(f->hours_s, 0);
	assert_int_equal(f->unattended_s, 0);
	assert_int_equal(f->left_post_days, 0);
	assert_int_equal(f->absent_days, 0);
	assert_int_equal(f->sign_in_on_time + f->sign_in_late + f->sign_in_none, 0);
	assert_int_equal(f->rated, 0);
	assert_near(f->satisfaction_rate, -1.0); /* no ratings: no rate */
}

static void test_periods_without_data(void **state)
{
	struct env *t = *state;

	three_windows(t);
	build(t, ""); /* an empty journal */
	static const int periods[] = {EVAL_DAY, EVAL_WEEK, EVAL_MONTH, EVAL_QUARTER};
	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		const struct eval_report *r = compute(t, periods[i], 20260304);
		assert_int_equal(r->days_with_events, 0);
		assert_int_equal(r->days_counted, 0);
		check_empty_figures(&r->hall);
		assert_int_equal(r->n_attendance, 0);
		assert_int_equal(r->n_low_ratings, 0);
		/* the config's windows are still reported, with nothing counted:
		 * E = S = A = 1, score 100 */
		assert_int_equal(r->n_windows, 3);
		for (int w = 1; w <= 3; w++) {
			check_empty_figures(window(r, w));
			assert_near(window(r, w)->score.total, 100.0);
		}
	}

	/* a day without events inside a week that has some: day B only */
	build(t, day_b);
	const struct eval_report *r = compute(t, EVAL_DAY, 20260304); /* Wed */
	assert_int_equal(r->days_with_events, 0);
	assert_int_equal(r->days_counted, 0);
	check_empty_figures(&r->hall);
	check_empty_figures(window(r, 3));
	r = compute(t, EVAL_WEEK, 20260304);
	assert_int_equal(r->days_with_events, 1); /* Tue 03-03 only */
	assert_int_equal(r->days_counted, 1);
	assert_int_equal(window(r, 1)->hours_s, DAY_HOURS_S); /* one day's hours */
	assert_int_equal(r->hall.issued, 11);
}

/* A weekday the hall did not open (hostd journals only its close) is not a
 * day with events; a window on leave all day is not "no sign-in"; a
 * morning on leave makes an afternoon sign-in on time. */
static const char holiday_then_day[] = "day 2026-03-04\n" /* Wed: closed, nothing but the close */
				       "day 2026-03-05\n" /* Thu */
				       "08:20 login 1 1001\n"
				       "14:20 login 3 1003\n"
				       "17:30 logout 1\n"
				       "17:30 logout 3\n";

static void test_holiday_and_leave_sign_in(void **state)
{
	struct env *t = *state;

	three_windows(t);
	build(t, holiday_then_day);
	sql(t, "INSERT INTO leave(window, staff, day, from_min, to_min, reason, created_at) VALUES"
	       " (2, '1002', 20260305, 0, 1440, '年假', 0),"
	       " (3, '1003', 20260305, 510, 690, '事假', 0);"); /* 08:30-11:30 */

	const struct eval_report *r = compute(t, EVAL_DAY, 20260304);
	assert_int_equal(r->days_with_events, 0); /* only the close_day row */
	assert_int_equal(r->days_counted, 0);
	assert_int_equal(r->n_attendance, 0);
	assert_int_equal(window(r, 1)->unattended_s, 0);
	assert_int_equal(window(r, 1)->absent_days, 0);

	r = compute(t, EVAL_DAY, 20260305);
	assert_int_equal(r->days_with_events, 1);
	assert_int_equal(r->days_counted, 1);
	/* W1: 08:20 login is on time; logged in all hours: unattended 0 */
	assert_int_equal(attendance(r, 20260305, 1)->sign_in, EVAL_SIGN_IN_ON_TIME);
	assert_int_equal(window(r, 1)->unattended_s, 0);
	/* W2: no login, leave 00:00-24:00 covers the 21 600 s of hours:
	 * not checked, unattended 0, A = 1 (nothing required) */
	assert_int_equal(attendance(r, 20260305, 2)->sign_in, EVAL_SIGN_IN_LEAVE);
	assert_int_equal(window(r, 2)->sign_in_none, 0);
	assert_int_equal(window(r, 2)->leave_s, DAY_HOURS_S);
	assert_int_equal(window(r, 2)->unattended_s, 0);
	assert_int_equal(window(r, 2)->absent_days, 0);
	assert_near(window(r, 2)->score.attendance, 1.0);
	/* W3: leave 08:30-11:30 = 10 800 s; login 14:20 before the afternoon
	 * session: no hours off leave had begun, so on time, not late;
	 * attended 14:30-17:30 = 10 800 s of 21 600 - 10 800 required: A = 1 */
	assert_int_equal(attendance(r, 20260305, 3)->sign_in, EVAL_SIGN_IN_ON_TIME);
	assert_int_equal(window(r, 3)->sign_in_late, 0);
	assert_int_equal(staff(r, "1003")->sign_in_late, 0); /* the same for the person */
	assert_int_equal(staff(r, "1003")->sign_in_on_time, 1);
	assert_int_equal(window(r, 3)->leave_s, 10800);
	assert_int_equal(window(r, 3)->attended_s, 10800);
	assert_int_equal(window(r, 3)->unattended_s, 0);
	assert_int_equal(window(r, 3)->left_post_days, 0);
	assert_near(window(r, 3)->score.attendance, 1.0);
}

/* ======================================================================
 * A no-show put back in line, reported under two configs: the journal
 * decides (docs/evaluation.md, "Following the journal").
 * ====================================================================== */

static const char no_show_day[] = "day 2026-03-03\n"
				  "08:30 login 1 1001\n"
				  "09:00 issue company           # A001\n"
				  "09:10 call_next 1             # wait 600\n"
				  "09:12 no_show 1               # back in line (requeue max 1)\n"
				  "09:20 call_next 1             # A001 again\n"
				  "09:21 start 1                 # walk 60\n"
				  "09:31 finish 1                # handling 600\n"
				  "17:30 logout 1\n"
				  "17:40 close_day\n";

static void test_no_show_requeue_follows_the_journal(void **state)
{
	struct env *t = *state;

	three_windows(t);
	assert_int_equal(t->cfg->hall.queue.no_show_requeue_max, 1); /* as the day ran */
	build(t, no_show_day);
	const struct eval_report *then = compute(t, EVAL_DAY, 20260303);
	t->cfg->hall.queue.no_show_requeue_max = 0; /* the config changed since */
	const struct eval_report *now = compute(t, EVAL_DAY, 20260303);

	for (int i = 0; i < 2; i++) {
		const struct eval_report *r = i ? now : then;
		const struct eval_figures *w = window(r, 1);
		/* the journal: two calls, one no-show, A001 served: wait 09:00 ->
		 * 09:10 = 600 s (the first call only); walk 09:20 -> 09:21 = 60 s
		 * (from the last call); handling 09:21 -> 09:31 = 600 s */
		assert_int_equal(w->calls, 2);
		assert_int_equal(w->no_shows, 1);
		assert_int_equal(w->served, 1);
		assert_int_equal(staff(r, "1001")->served, 1);
		assert_int_equal(r->hall.served, 1);
		assert_int_equal(service(r, "company")->served, 1);
		assert_stats(w->wait, 1, 600.0, 600, 600, 600);
		assert_stats(w->walk, 1, 60.0, 60, 60, 60);
		assert_stats(w->handling, 1, 600.0, 600, 600, 600);
		assert_int_equal(r->hall.expired, 0);
	}
	/* Idle follows the config's rule as the best guess of what waited:
	 * requeue max 1: A001 waits 09:00-09:10 and 09:12-09:20 = 600 + 480 =
	 * 1 080 s; max 0: it is out of line after the no-show until called
	 * again: 600 s. */
	assert_int_equal(window(then, 1)->idle_s, 1080);
	assert_int_equal(window(now, 1)->idle_s, 600);
}

/* ======================================================================
 * Two staff at one window on one day: --window keeps both.
 * ====================================================================== */

static const char two_staff_days[] = "day 2026-03-03\n"
				     "08:25 login 1 1001\n"
				     "09:00 issue company\n"
				     "09:05 call_next 1\n"
				     "09:10 finish 1\n"
				     "12:00 logout 1\n"
				     "14:20 login 1 1002\n"
				     "14:30 login 2 1003\n"
				     "15:00 issue company\n"
				     "15:01 call_next 1\n"
				     "15:11 finish 1\n"
				     "17:30 logout 1\n"
				     "17:30 logout 2\n"
				     "17:40 close_day\n"
				     "day 2026-03-04\n"
				     "08:20 login 2 1002\n"
				     "17:30 logout 2\n"
				     "17:40 close_day\n";

static char *render_text(struct env *t, const struct eval_report *r, int format, int window)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(eval_render(f, r, t->cfg, format, window), EVAL_OK);
	fclose(f);
	return text;
}

static void test_staff_who_worked_at_a_window(void **state)
{
	struct env *t = *state;

	three_windows(t);
	build(t, two_staff_days);
	const struct eval_report *r = compute(t, EVAL_WEEK, 20260303);
	const struct eval_staff_record *s = NULL;

	/* 1001 logged in at window 1; 1002 at 1 (03-03) and 2 (03-04), listed
	 * ascending; 1003 at 2 */
	for (int i = 0; i < r->n_staff; i++)
		if (strcmp(r->staff[i].id, "1002") == 0)
			s = &r->staff[i];
	assert_non_null(s);
	assert_int_equal(s->n_windows, 2);
	assert_int_equal(s->windows[0], 1);
	assert_int_equal(s->windows[1], 2);
	/* the first login at window 1 is 1001's: 1002 is on no list of window 1
	 * but worked there all afternoon, so --window 1 keeps 1001 and 1002 in
	 * every format, and not 1003 */
	assert_string_equal(attendance(r, 20260303, 1)->staff, "1001");
	char *json = eval_report_json(r, t->cfg, 1);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"subject\":\t\"1001\""));
	assert_non_null(strstr(json, "\"subject\":\t\"1002\""));
	assert_null(strstr(json, "\"subject\":\t\"1003\""));
	free(json);
	char *csv = render_text(t, r, EVAL_FORMAT_CSV, 1);
	assert_non_null(strstr(csv, "\r\nstaff,1001,"));
	assert_non_null(strstr(csv, "\r\nstaff,1002,"));
	assert_null(strstr(csv, "staff,1003,"));
	free(csv);
	char *table = render_text(t, r, EVAL_FORMAT_TABLE, 1);
	assert_non_null(strstr(table, "\n1001 "));
	assert_non_null(strstr(table, "\n1002 "));
	assert_null(strstr(table, "1003"));
	free(table);
	/* --window 2: 1002 (03-04) and 1003 */
	csv = render_text(t, r, EVAL_FORMAT_CSV, 2);
	assert_null(strstr(csv, "staff,1001,"));
	assert_non_null(strstr(csv, "\r\nstaff,1002,"));
	assert_non_null(strstr(csv, "\r\nstaff,1003,"));
	free(csv);
}

/* ======================================================================
 * evaluation.attendance_exempt_windows and evaluation.closed_days.
 * ====================================================================== */

static const char exempt_days[] = "day 2026-03-03\n" /* Tue */
				  "08:40 login 1 1001\n"
				  "08:50 login 3 1003\n"
				  "11:00 logout 3\n"
				  "17:30 logout 1\n"
				  "17:40 close_day\n"
				  "day 2026-03-04\n" /* Wed, a closed day by the config */
				  "09:00 login 1 1001\n"
				  "09:30 issue company\n"
				  "09:35 call_next 1\n"
				  "09:45 finish 1\n"
				  "10:00 logout 1\n"
				  "17:40 close_day\n";

static void test_exempt_windows_and_closed_days(void **state)
{
	struct env *t = *state;

	three_windows(t);
	t->cfg->eval.exempt_windows[0] = 3;
	t->cfg->eval.n_exempt_windows = 1;
	t->cfg->eval.closed_days[0] = 20260304;
	t->cfg->eval.n_closed_days = 1;
	build(t, exempt_days);
	const struct eval_report *r = compute(t, EVAL_WEEK, 20260303);

	/* both days have events; 03-04 is closed: one counted day */
	assert_int_equal(r->days_with_events, 2);
	assert_int_equal(r->days_counted, 1);
	/* attendance rows: windows 1 and 2 of 03-03; none for window 3 (exempt)
	 * nor for 03-04 (closed) */
	assert_int_equal(r->n_attendance, 2);
	for (int i = 0; i < r->n_attendance; i++) {
		assert_int_equal(r->attendance[i].day, 20260303);
		assert_true(r->attendance[i].window != 3);
	}

	/* W3 (exempt): logged in 08:50-11:00 = 7 800 s, counted as time at the
	 * window; no hours, leave, attended or unattended, no sign-in, no
	 * class; A = 1 (nothing required): score 100 x (0.4 + 0.4 + 0.2) = 100 */
	const struct eval_figures *w = window(r, 3);
	assert_int_equal(w->logged_in_s, 7800);
	assert_int_equal(w->hours_s, 0);
	assert_int_equal(w->leave_s, 0);
	assert_int_equal(w->attended_s, 0);
	assert_int_equal(w->unattended_s, 0);
	assert_int_equal(w->left_post_days + w->absent_days, 0);
	assert_int_equal(w->sign_in_on_time + w->sign_in_late + w->sign_in_none, 0);
	assert_near(w->score.attendance, 1.0);
	assert_near(w->score.total, 100.0);
	/* 1003 logged in only at the exempt window: no sign-in either way */
	assert_int_equal(staff(r, "1003")->sign_in_on_time + staff(r, "1003")->sign_in_late, 0);

	/* W1: 03-03 login 08:40, late; attended 08:40-11:30 = 10 200 + 14:30-17:30
	 * = 10 800: 21 000 s; unattended 21 600 - 21 000 = 600 s = 10 min > 5:
	 * 擅自离岗. 03-04 is closed: its login at 09:00 is no sign-in and no
	 * hours, but the ticket and the time count: served 1, logged in 21 000
	 * + (09:00-10:00) 3 600 = 24 600 s. */
	w = window(r, 1);
	assert_int_equal(w->hours_s, DAY_HOURS_S);
	assert_int_equal(w->attended_s, 21000);
	assert_int_equal(w->unattended_s, 600);
	assert_int_equal(w->left_post_days, 1);
	assert_int_equal(w->sign_in_late, 1);
	assert_int_equal(w->sign_in_on_time, 0);
	assert_int_equal(w->served, 1);
	assert_int_equal(w->logged_in_s, 24600);
	assert_int_equal(staff(r, "1001")->sign_in_late, 1);
	assert_int_equal(staff(r, "1001")->sign_in_on_time, 0);

	/* W2: no login; 03-03 counted: 旷工 (21 600 s unattended); 03-04 closed:
	 * not a second 旷工 */
	w = window(r, 2);
	assert_int_equal(w->hours_s, DAY_HOURS_S);
	assert_int_equal(w->unattended_s, DAY_HOURS_S);
	assert_int_equal(w->absent_days, 1);
	assert_int_equal(w->sign_in_none, 1);
	/* the hall adds up windows 1 and 2 only */
	assert_int_equal(r->hall.hours_s, 2 * DAY_HOURS_S);
	assert_int_equal(r->hall.absent_days, 1);
	assert_int_equal(r->hall.left_post_days, 1);
}

/* test_eval_days [PATTERN]: only the tests whose names match (cmocka's
 * filter, * a wildcard). */
/* ---- appointments (docs/evaluation.md, "Appointments") ----
 *
 * company and property take appointments in config/hall.json; license
 * does not. Tickets through the fixture (appointment tickets issued with
 * their slot, as a check-in makes them); the bookings rows inserted with
 * SQL as hostd/store/bookings.c writes them. */
static const char appointment_days[] = "day 2026-03-02\n"
				       "08:35 issue company\n"                    /* A001 */
				       "08:40 issue company appointment 09:00\n"  /* A002 */
				       "08:50 issue company appointment 09:30\n"  /* A003 */
				       "09:00 issue property appointment 10:30\n" /* F001 */
				       "09:05 issue property\n"                   /* F002 */
				       "09:10 issue property\n"                   /* F003 */
				       "09:15 issue license\n"                    /* B001 */
				       "day 2026-03-03\n"
				       "08:40 issue company appointment 09:00\n" /* A001 */
				       "08:45 issue company\n";                  /* A002 */

/* One bookings row: state, ticket ("" none), late, checked in or not,
 * made at `made` (epoch seconds). */
static void booking_row(struct env *t, int n, const char *service, int32_t day, const char *state,
			const char *ticket, int late, bool checked_in, int64_t made)
{
	char text[768];
	int64_t slot = fixture_epoch(day, 9, 0, 0);

	snprintf(text, sizeof(text),
		 "INSERT INTO bookings(code, idem_key, service, day, slot, slot_minutes,"
		 " phone_mask, phone_hash, state, ticket, late, created_at, cancelled_at,"
		 " checked_in_at, check_in_source) VALUES ('%08d', 'key-%d', '%s', %d, %lld, 30,"
		 " '138****%04d', 'h%d', '%s', %s%s%s, %d, %lld, %s, %s, NULL)",
		 10000000 + n, n, service, (int)day, (long long)slot, n, n, state,
		 *ticket ? "'" : "NULL", ticket, *ticket ? "'" : "", late, (long long)made,
		 strcmp(state, "cancelled") == 0 ? "1" : "NULL", checked_in ? "2" : "NULL");
	sql(t, text);
}

static void test_appointments(void **state)
{
	struct env *t = *state;
	int64_t eve = fixture_epoch(20260301, 20, 0, 0); /* made the evening before */

	build(t, appointment_days);
	/* company on 03-02: k1, k2 on time; k3 late (a normal ticket); k4 never
	 * came; k5 came on time but its ticket was a no-show; k6 cancelled */
	booking_row(t, 1, "company", 20260302, "checked_in", "A002", 0, true, eve);
	booking_row(t, 2, "company", 20260302, "checked_in", "A003", 0, true, eve);
	booking_row(t, 3, "company", 20260302, "checked_in", "A001", 1, true, eve);
	booking_row(t, 4, "company", 20260302, "no_show", "", 0, false, eve);
	booking_row(t, 5, "company", 20260302, "no_show", "A004", 0, true, eve);
	booking_row(t, 6, "company", 20260302, "cancelled", "", 0, false, eve);
	/* property on 03-02: on time, never came, cancelled */
	booking_row(t, 7, "property", 20260302, "checked_in", "F001", 0, true, eve);
	booking_row(t, 8, "property", 20260302, "no_show", "", 0, false, eve);
	booking_row(t, 9, "property", 20260302, "cancelled", "", 0, false, eve);
	/* a service the config no longer has */
	booking_row(t, 10, "gone", 20260302, "no_show", "", 0, false, eve);
	/* company on 03-03: on time; still booked; made after 12:00; one of 03-04 */
	int64_t eve2 = fixture_epoch(20260302, 20, 0, 0);
	booking_row(t, 11, "company", 20260303, "checked_in", "A001", 0, true, eve2);
	booking_row(t, 12, "company", 20260303, "booked", "", 0, false, eve2);
	booking_row(t, 13, "company", 20260303, "booked", "", 0, false,
		    fixture_epoch(20260303, 13, 0, 0));
	booking_row(t, 14, "company", 20260304, "booked", "", 0, false,
		    fixture_epoch(20260303, 9, 0, 0));

	/* the day 03-02 */
	const struct eval_report *r = compute(t, EVAL_DAY, 20260302);
	const struct eval_service_record *c = service(r, "company");
	assert_true(c->takes_appointments);
	assert_int_equal(c->issued, 3);       /* A001 A002 A003 */
	assert_int_equal(c->appointments, 2); /* A002 A003 */
	assert_near(c->appointment_share, 2.0 / 3);
	assert_int_equal(c->bookings, 6);           /* k1..k6 */
	assert_int_equal(c->bookings_cancelled, 1); /* k6 */
	assert_int_equal(c->bookings_booked, 0);
	assert_int_equal(c->bookings_checked_in, 4); /* k1 k2 k3 k5 */
	assert_int_equal(c->bookings_on_time, 3);    /* k1 k2 k5 */
	assert_int_equal(c->bookings_no_show, 2);    /* k4 k5 */
	assert_near(c->no_show_rate, 2.0 / 5);       /* ended: 6 - 1 cancelled - 0 booked */
	assert_near(c->on_time_rate, 3.0 / 4);
	const struct eval_service_record *p = service(r, "property");
	assert_int_equal(p->issued, 3);
	assert_int_equal(p->appointments, 1);
	assert_near(p->appointment_share, 1.0 / 3);
	assert_int_equal(p->bookings, 3);
	assert_near(p->no_show_rate, 1.0 / 2); /* 3 - 1 cancelled */
	assert_near(p->on_time_rate, 1.0);
	const struct eval_service_record *l = service(r, "license");
	assert_false(l->takes_appointments);
	assert_int_equal(l->issued, 1);
	assert_near(l->appointment_share, 0.0);
	assert_true(l->no_show_rate < 0 && l->on_time_rate < 0); /* no bookings: no rate */
	assert_true(service(r, "tax")->appointment_share < 0);   /* nothing issued */
	const struct eval_service_record *g = service(r, "gone");
	assert_false(g->takes_appointments);
	assert_int_equal(g->bookings, 1);
	assert_near(g->no_show_rate, 1.0);
	assert_true(g->on_time_rate < 0);

	/* every renderer shows them */
	char *text = render_text(t, r, EVAL_FORMAT_CSV, 0);
	assert_non_null(strstr(text, "预约取号,预约占比,预约数,预约取消,预约待到,预约签到,准时签到,"
				     "预约爽约,爽约率,准时签到率"));
	/* ... company's row: appointments 2, share, bookings 6, cancelled 1,
	 * booked 0, checked in 4, on time 3, no-shows 2, 0.4, 0.75 */
	assert_non_null(strstr(text, ",2,0.6667,6,1,0,4,3,2,0.4,0.75,"));
	assert_non_null(strstr(text, ",0,0,0,0,0,0,0,0,,,")); /* license: no base, no rate */
	free(text);
	text = render_text(t, r, EVAL_FORMAT_TABLE, 0);
	const char *sec = strstr(text, "【预约】");
	assert_non_null(sec);
	const char *row = strstr(sec, "\ncompany ");
	assert_non_null(row);
	const char *end = strchr(row + 1, '\n');
	char line[512];
	snprintf(line, sizeof(line), "%.*s", (int)(end - row - 1), row + 1);
	assert_non_null(strstr(line, "66.7%"));
	assert_non_null(strstr(line, "40.0%"));
	assert_non_null(strstr(line, "75.0%"));
	assert_null(strstr(sec, "\nlicense ")); /* takes none, has none */
	assert_non_null(strstr(sec, "\ngone "));
	free(text);
	text = render_text(t, r, EVAL_FORMAT_JSON, 0);
	size_t kept = 0; /* without the layout's white space */
	for (size_t k = 0; text[k]; k++)
		if (text[k] != ' ' && text[k] != '\t' && text[k] != '\n')
			text[kept++] = text[k];
	text[kept] = '\0';
	assert_non_null(strstr(text, "\"appointment_share\":0.6667"));
	assert_non_null(strstr(text, "\"no_show_rate\":0.4,\"on_time_rate\":0.75"));
	assert_non_null(strstr(text, "\"no_show_rate\":null,\"on_time_rate\":null"));
	free(text);
	text = render_text(t, r, EVAL_FORMAT_HTML, 0);
	sec = strstr(text, "<h3>预约情况</h3>");
	assert_non_null(sec);
	assert_non_null(strstr(sec, "<td>66.7%</td>"));
	assert_non_null(strstr(sec, "<td>75.0%</td>"));
	free(text);

	/* the week up to 03-03 12:00: 03-03's bookings made by then only */
	r = compute_at(t, EVAL_WEEK, 20260303, fixture_epoch(20260303, 12, 0, 0));
	c = service(r, "company");
	assert_int_equal(c->issued, 5);       /* 3 + A001 A002 of 03-03 */
	assert_int_equal(c->appointments, 3); /* 2 + A001 */
	assert_near(c->appointment_share, 3.0 / 5);
	assert_int_equal(c->bookings, 8); /* k1..k6, k11, k12; not k13 (13:00) nor k14 (03-04) */
	assert_int_equal(c->bookings_booked, 1);     /* k12 */
	assert_int_equal(c->bookings_checked_in, 5); /* + k11 */
	assert_int_equal(c->bookings_on_time, 4);
	assert_int_equal(c->bookings_no_show, 2);
	assert_near(c->no_show_rate, 2.0 / 6); /* 8 - 1 cancelled - 1 still booked */
	assert_near(c->on_time_rate, 4.0 / 5);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_half_day_edges_and_sign_in, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ticket_day, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_percentiles_small_samples, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_week_and_month, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recompute_gives_the_same, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_composite_score, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_complaints_and_praise, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leader_bonus, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_periods_without_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holiday_and_leave_sign_in, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_show_requeue_follows_the_journal, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_staff_who_worked_at_a_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exempt_windows_and_closed_days, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_appointments, setup, teardown),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
