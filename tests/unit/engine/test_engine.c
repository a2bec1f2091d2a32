/*
 * test_engine.c — hostd/engine: every operation and every refusal of the
 * queue engine, and each rule of the dispatch policy, on a small hall
 * built here in code.
 *
 * Every expected value (ticket numbers, call order, times, estimates) is
 * worked out by hand from the rules of the brief the engine was written to
 * (tickets, classes, window operations, dispatch order, estimates) and
 * written next to the assertion; none is copied from the engine's output.
 * Each refusal is checked to leave engine_digest() unchanged, every
 * command is followed by engine_check(), and the teardown runs
 * engine_check() once more after every test.
 *
 * The hall (Monday 2026-03-02 unless a test moves the day):
 *   sessions 08:30-11:30 and 13:30-17:00, workdays Monday to Friday
 *   service A: standard 20 min, target 30 min, no quota, hall sessions
 *   service B: standard 15 min, target 20 min, quota 3, hours 09:00-11:00
 *   service C: standard 10 min, target 15 min, no quota, hours 13:00-16:00
 *   service DK: standard 5 min, target 60 min, no quota, hall sessions
 *   window index 0 (no. 1): A level 1, B level 2
 *   window index 1 (no. 2): B level 1, A level 2
 *   window index 2 (no. 3): C level 1, DK level 1
 *   window index 3 (no. 4): DK level 1, A level 3
 *   queue: no-show re-queued at most once, 2 places behind the head;
 *   appointments due 10 min before the slot; estimates from the last 3
 *   handling times; pause reasons "休息" and "会议".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/engine.h"

enum { SVC_A, SVC_B, SVC_C, SVC_D, N_SVC };
enum { W0, W1, W2, W3, N_WIN };

#define NORMAL      ENGINE_CLASS_NORMAL
#define GREEN       ENGINE_CLASS_GREEN
#define APPOINTMENT ENGINE_CLASS_APPOINTMENT

/* ---- the hall ---- */

static struct engine_hall hall;

static void add_service(int s, const char *id, const char *prefix, int standard, int target,
			int quota, int start, int end)
{
	struct engine_service *svc = &hall.services[s];

	snprintf(svc->id, sizeof(svc->id), "%s", id);
	snprintf(svc->name, sizeof(svc->name), "服务 %s", id);
	snprintf(svc->prefix, sizeof(svc->prefix), "%s", prefix);
	svc->standard_min = standard;
	svc->wait_target_min = target;
	svc->daily_quota = quota;
	if (end > start) {
		svc->hours[0] = (struct engine_period){(uint16_t)start, (uint16_t)end};
		svc->n_hours = 1;
	}
}

static void add_window(int w, int s1, int l1, int s2, int l2)
{
	struct engine_window *win = &hall.windows[w];

	win->number = w + 1;
	snprintf(win->name, sizeof(win->name), "%d号窗口", w + 1);
	win->services[0] = (struct engine_window_service){s1, l1};
	win->services[1] = (struct engine_window_service){s2, l2};
	win->n_services = 2;
}

static void build_hall(void)
{
	memset(&hall, 0, sizeof(hall));
	snprintf(hall.name, sizeof(hall.name), "测试大厅");
	hall.hours.workdays = 0x3E; /* Monday .. Friday */
	hall.hours.sign_in = (struct engine_period){8 * 60, 8 * 60 + 30};
	hall.hours.sessions[0] = (struct engine_period){8 * 60 + 30, 11 * 60 + 30};
	hall.hours.sessions[1] = (struct engine_period){13 * 60 + 30, 17 * 60};
	hall.hours.n_sessions = 2;
	add_service(SVC_A, "company", "A", 20, 30, 0, 0, 0);
	add_service(SVC_B, "tax", "B", 15, 20, 3, 9 * 60, 11 * 60);
	add_service(SVC_C, "social", "C", 10, 15, 0, 13 * 60, 16 * 60);
	add_service(SVC_D, "housing", "DK", 5, 60, 0, 0, 0);
	hall.n_services = N_SVC;
	add_window(W0, SVC_A, 1, SVC_B, 2);
	add_window(W1, SVC_B, 1, SVC_A, 2);
	add_window(W2, SVC_C, 1, SVC_D, 1);
	add_window(W3, SVC_D, 1, SVC_A, 3);
	hall.n_windows = N_WIN;
	hall.queue.no_show_requeue_max = 1;
	hall.queue.no_show_requeue_places = 2;
	hall.queue.appointment_due_before_min = 10;
	hall.queue.estimate_recent_tickets = 3;
	snprintf(hall.queue.pause_reasons[0], ENGINE_NAME_SIZE, "休息");
	snprintf(hall.queue.pause_reasons[1], ENGINE_NAME_SIZE, "会议");
	hall.queue.n_pause_reasons = 2;
}

/* ---- a fake clock: local time is UTC here ---- */

struct day {
	int32_t ymd;
	int64_t midnight_s;
	int8_t wday;
};

static const struct day MONDAY = {20260302, 1772409600, 1};
static const struct day TUESDAY = {20260303, 1772409600 + 86400, 2};
static const struct day SATURDAY = {20260307, 1772409600 + 5 * 86400, 6};
static const struct day SUNDAY = {20260308, 1772409600 + 6 * 86400, 0};

static struct engine_clock on(struct day d, int hh, int mm, int ss)
{
	return (struct engine_clock){
	    .now_s = d.midnight_s + hh * 3600 + mm * 60 + ss,
	    .day = d.ymd,
	    .minute = (int16_t)(hh * 60 + mm),
	    .wday = d.wday,
	};
}

static struct engine_clock at(int hh, int mm, int ss)
{
	return on(MONDAY, hh, mm, ss);
}

static int64_t secs(int hh, int mm, int ss)
{
	return at(hh, mm, ss).now_s;
}

/* ---- commands ---- */

static struct engine_command cmd(enum engine_op op, struct engine_clock c)
{
	return (struct engine_command){
	    .op = op,
	    .clock = c,
	    .window = -1,
	    .service = -1,
	    .target_window = -1,
	    .ticket = ENGINE_NO_TICKET,
	    .reason = -1,
	};
}

static struct engine_command wcmd(enum engine_op op, int w, struct engine_clock c)
{
	struct engine_command x = cmd(op, c);

	x.window = w;
	return x;
}

static void assert_consistent(const struct engine *e)
{
	const char *why = engine_check(e);

	if (why)
		fail_msg("engine_check: %s", why);
}

/* Applies a command that must succeed. */
static struct engine_result ok(struct engine *e, const struct engine_command *c)
{
	struct engine_result r;
	int err = engine_apply(e, c, &r);

	if (err != ENGINE_OK)
		fail_msg("%s refused: %s", engine_op_name(c->op), engine_error_name(err));
	assert_consistent(e);
	return r;
}

/* Applies a command that must be refused with `want`, changing nothing. */
static void refused(struct engine *e, const struct engine_command *c, int want)
{
	uint64_t before = engine_digest(e);
	struct engine_result r;
	int err = engine_apply(e, c, &r);

	if (err != want)
		fail_msg("%s: got %s, want %s", engine_op_name(c->op), engine_error_name(err),
			 engine_error_name(want));
	assert_true(engine_digest(e) == before);
	assert_consistent(e);
}

static struct engine_command issue_cmd(struct engine_clock c, int service, int cls, int64_t slot_s)
{
	struct engine_command x = cmd(ENGINE_OP_ISSUE, c);

	x.service = service;
	x.cls = (enum engine_class)cls;
	x.slot_s = slot_s;
	return x;
}

static uint32_t issue(struct engine *e, struct engine_clock c, int service, int cls, int64_t slot_s)
{
	struct engine_command x = issue_cmd(c, service, cls, slot_s);

	return ok(e, &x).ticket;
}

static void issue_refused(struct engine *e, struct engine_clock c, int service, int cls,
			  int64_t slot_s, int want)
{
	struct engine_command x = issue_cmd(c, service, cls, slot_s);

	refused(e, &x, want);
}

static void login(struct engine *e, int w, struct engine_clock c)
{
	struct engine_command x = wcmd(ENGINE_OP_LOGIN, w, c);

	snprintf(x.staff, sizeof(x.staff), "staff%d", w + 1);
	ok(e, &x);
}

/* A window operation that must succeed; returns the ticket it concerned. */
static uint32_t wop(struct engine *e, enum engine_op op, int w, struct engine_clock c)
{
	struct engine_command x = wcmd(op, w, c);

	return ok(e, &x).ticket;
}

static void wop_refused(struct engine *e, enum engine_op op, int w, struct engine_clock c, int want)
{
	struct engine_command x = wcmd(op, w, c);

	refused(e, &x, want);
}

static uint32_t call_next(struct engine *e, int w, struct engine_clock c)
{
	return wop(e, ENGINE_OP_CALL_NEXT, w, c);
}

static struct engine_command ticket_cmd(enum engine_op op, int w, uint32_t id,
					struct engine_clock c)
{
	struct engine_command x = wcmd(op, w, c);

	x.ticket = id;
	return x;
}

static struct engine_command transfer_cmd(int w, int service, int target, struct engine_clock c)
{
	struct engine_command x = wcmd(ENGINE_OP_TRANSFER, w, c);

	x.service = service;
	x.target_window = target;
	return x;
}

static void close_day(struct engine *e, struct engine_clock c)
{
	struct engine_command x = cmd(ENGINE_OP_CLOSE_DAY, c);

	assert_true(ok(e, &x).all_changed);
}

static const struct engine_ticket *T(const struct engine *e, uint32_t id)
{
	const struct engine_ticket *t = engine_ticket(e, id);

	assert_non_null(t);
	return t;
}

static const char *label(const struct engine *e, uint32_t id, char *buf)
{
	return engine_ticket_label(T(e, id), buf);
}

/* ---- fixture ---- */

static int setup(void **state)
{
	struct engine *e = engine_new(&hall, MONDAY.ymd);

	if (!e)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct engine *e = *state;
	const char *why = engine_check(e);

	engine_free(e);
	if (why) {
		print_error("engine_check after the test: %s\n", why);
		return -1;
	}
	return 0;
}

/* ======================== issue ======================== */

/* Numbers are per service from 001; the label is the prefix (one or two
 * letters) and 3 digits. */
static void test_issue_numbers_label_find(void **state)
{
	struct engine *e = *state;
	char buf[8];

	uint32_t a1 = issue(e, at(8, 30, 0), SVC_A, NORMAL, 0);
	uint32_t a2 = issue(e, at(8, 31, 0), SVC_A, NORMAL, 0);
	uint32_t d1 = issue(e, at(8, 32, 0), SVC_D, NORMAL, 0);
	uint32_t b1 = issue(e, at(9, 0, 0), SVC_B, GREEN, 0);

	/* ids are the index in the day, from 0 */
	assert_int_equal(a1, 0);
	assert_int_equal(a2, 1);
	assert_int_equal(d1, 2);
	assert_int_equal(b1, 3);
	assert_string_equal(label(e, a1, buf), "A001");
	assert_string_equal(label(e, a2, buf), "A002");
	assert_string_equal(label(e, d1, buf), "DK001");
	assert_string_equal(label(e, b1, buf), "B001");

	const struct engine_ticket *t = T(e, a2);
	assert_int_equal(t->id, a2);
	assert_string_equal(t->prefix, "A");
	assert_int_equal(t->number, 2);
	assert_int_equal(t->service, SVC_A);
	assert_int_equal(t->issued_service, SVC_A);
	assert_int_equal(t->cls, NORMAL);
	assert_int_equal(t->state, ENGINE_TICKET_WAITING);
	assert_int_equal(t->window, -1);
	assert_int_equal(t->target_window, -1);
	assert_true(t->issued_s == secs(8, 31, 0));
	assert_true(t->slot_s == 0);
	assert_int_equal(T(e, b1)->cls, GREEN);

	assert_int_equal(engine_find_ticket(e, "A", 1), a1);
	assert_int_equal(engine_find_ticket(e, "A", 2), a2);
	assert_int_equal(engine_find_ticket(e, "DK", 1), d1);
	assert_int_equal(engine_find_ticket(e, "D", 1), ENGINE_NO_TICKET);
	assert_int_equal(engine_find_ticket(e, "B", 1), b1);
	assert_int_equal(engine_find_ticket(e, "A", 3), ENGINE_NO_TICKET);
	assert_int_equal(engine_find_ticket(e, "C", 1), ENGINE_NO_TICKET);
	assert_int_equal(engine_find_ticket(e, "A", 0), ENGINE_NO_TICKET);
	assert_int_equal(engine_find_ticket(e, "A", 1000), ENGINE_NO_TICKET);
	assert_int_equal(engine_find_label(e, "A002"), a2);
	assert_int_equal(engine_find_label(e, "DK001"), d1);
	assert_int_equal(engine_find_label(e, "B001"), b1);
	assert_int_equal(engine_find_label(e, "A003"), ENGINE_NO_TICKET);
	assert_int_equal(engine_find_label(e, "A02"), ENGINE_NO_TICKET);
	assert_int_equal(engine_find_label(e, "A0020"), ENGINE_NO_TICKET);
	assert_int_equal(engine_ticket_count(e), 4);
	assert_null(engine_ticket(e, 4));
	assert_int_equal(engine_issued_count(e, SVC_A), 2);
	assert_int_equal(engine_waiting_count(e, SVC_A), 2);
	assert_int_equal(engine_waiting_count(e, SVC_B), 1);
}

static void test_issue_no_such_service(void **state)
{
	struct engine *e = *state;

	issue_refused(e, at(9, 0, 0), -1, NORMAL, 0, ENGINE_ERR_NO_SUCH_SERVICE);
	issue_refused(e, at(9, 0, 0), N_SVC, NORMAL, 0, ENGINE_ERR_NO_SUCH_SERVICE);
	assert_int_equal(engine_ticket_count(e), 0);
}

/* An appointment needs slot_s > 0; the other classes need slot_s == 0. */
static void test_issue_bad_argument(void **state)
{
	struct engine *e = *state;
	int64_t slot = secs(10, 0, 0);

	issue_refused(e, at(9, 0, 0), SVC_A, APPOINTMENT, 0, ENGINE_ERR_BAD_ARGUMENT);
	issue_refused(e, at(9, 0, 0), SVC_A, APPOINTMENT, -600, ENGINE_ERR_BAD_ARGUMENT);
	issue_refused(e, at(9, 0, 0), SVC_A, NORMAL, slot, ENGINE_ERR_BAD_ARGUMENT);
	issue_refused(e, at(9, 0, 0), SVC_A, GREEN, slot, ENGINE_ERR_BAD_ARGUMENT);
	issue_refused(e, at(9, 0, 0), SVC_A, ENGINE_CLASS_COUNT, 0, ENGINE_ERR_BAD_ARGUMENT);
	assert_int_equal(engine_ticket_count(e), 0);
}

/* slot_s must be exactly 0 for a normal or green ticket: negative too. */
static void test_issue_negative_slot_refused(void **state)
{
	struct engine *e = *state;

	issue_refused(e, at(9, 0, 0), SVC_A, NORMAL, -60, ENGINE_ERR_BAD_ARGUMENT);
	issue_refused(e, at(9, 0, 0), SVC_A, GREEN, -1, ENGINE_ERR_BAD_ARGUMENT);
}

/* Saturday and Sunday are not workdays (workdays = Monday .. Friday). */
static void test_issue_closed_today(void **state)
{
	struct engine *e = *state;

	close_day(e, at(17, 30, 0));
	assert_int_equal(engine_open_day(e, SATURDAY.ymd), ENGINE_OK);
	issue_refused(e, on(SATURDAY, 9, 0, 0), SVC_A, NORMAL, 0, ENGINE_ERR_CLOSED_TODAY);
	issue_refused(e, on(SATURDAY, 9, 30, 0), SVC_B, GREEN, 0, ENGINE_ERR_CLOSED_TODAY);
	close_day(e, on(SATURDAY, 17, 30, 0));
	assert_int_equal(engine_open_day(e, SUNDAY.ymd), ENGINE_OK);
	issue_refused(e, on(SUNDAY, 9, 0, 0), SVC_D, NORMAL, 0, ENGINE_ERR_CLOSED_TODAY);
	assert_int_equal(engine_ticket_count(e), 0);
}

/* A service without hours issues within the hall's sessions, [start, end). */
static void test_issue_hall_sessions(void **state)
{
	struct engine *e = *state;

	issue_refused(e, at(8, 29, 59), SVC_A, NORMAL, 0, ENGINE_ERR_OUTSIDE_HOURS);
	issue(e, at(8, 30, 0), SVC_A, NORMAL, 0);
	issue(e, at(11, 29, 59), SVC_A, NORMAL, 0);
	issue_refused(e, at(11, 30, 0), SVC_A, NORMAL, 0, ENGINE_ERR_OUTSIDE_HOURS);
	issue_refused(e, at(12, 0, 0), SVC_D, NORMAL, 0, ENGINE_ERR_OUTSIDE_HOURS);
	issue_refused(e, at(13, 29, 0), SVC_A, GREEN, 0, ENGINE_ERR_OUTSIDE_HOURS);
	issue(e, at(13, 30, 0), SVC_A, NORMAL, 0);
	issue(e, at(16, 59, 0), SVC_D, NORMAL, 0);
	issue_refused(e, at(17, 0, 0), SVC_D, NORMAL, 0, ENGINE_ERR_OUTSIDE_HOURS);
	assert_int_equal(engine_issued_count(e, SVC_A), 3);
	assert_int_equal(engine_issued_count(e, SVC_D), 1);
}

/* A service with hours issues within them only, even inside a session. */
static void test_issue_service_hours(void **state)
{
	struct engine *e = *state;

	issue_refused(e, at(8, 59, 0), SVC_B, NORMAL, 0, ENGINE_ERR_OUTSIDE_HOURS);
	issue(e, at(9, 0, 0), SVC_B, NORMAL, 0);
	issue(e, at(10, 59, 0), SVC_B, NORMAL, 0);
	issue_refused(e, at(11, 0, 0), SVC_B, NORMAL, 0, ENGINE_ERR_OUTSIDE_HOURS);
	issue_refused(e, at(14, 0, 0), SVC_B, NORMAL, 0, ENGINE_ERR_OUTSIDE_HOURS);
	/* C: 13:00-16:00, open before the afternoon session, closed at 16:00 */
	issue_refused(e, at(10, 0, 0), SVC_C, NORMAL, 0, ENGINE_ERR_OUTSIDE_HOURS);
	issue(e, at(13, 0, 0), SVC_C, NORMAL, 0);
	issue_refused(e, at(16, 0, 0), SVC_C, NORMAL, 0, ENGINE_ERR_OUTSIDE_HOURS);
}

/* B has a quota of 3 a day: cancelled tickets still count; the next day
 * starts again from B001. */
static void test_issue_quota(void **state)
{
	struct engine *e = *state;
	char buf[8];

	issue(e, at(9, 0, 0), SVC_B, NORMAL, 0);
	uint32_t b2 = issue(e, at(9, 1, 0), SVC_B, GREEN, 0);
	uint32_t b3 = issue(e, at(9, 2, 0), SVC_B, NORMAL, 0);
	assert_string_equal(label(e, b3, buf), "B003");
	issue_refused(e, at(9, 3, 0), SVC_B, NORMAL, 0, ENGINE_ERR_QUOTA_REACHED);
	issue_refused(e, at(9, 3, 0), SVC_B, GREEN, 0, ENGINE_ERR_QUOTA_REACHED);
	struct engine_command c = ticket_cmd(ENGINE_OP_CANCEL, -1, b2, at(9, 4, 0));
	ok(e, &c);
	issue_refused(e, at(9, 5, 0), SVC_B, NORMAL, 0, ENGINE_ERR_QUOTA_REACHED);
	/* other services have no quota */
	issue(e, at(9, 5, 0), SVC_A, NORMAL, 0);

	close_day(e, at(17, 30, 0));
	assert_int_equal(engine_open_day(e, TUESDAY.ymd), ENGINE_OK);
	uint32_t t = issue(e, on(TUESDAY, 9, 0, 0), SVC_B, NORMAL, 0);
	assert_string_equal(label(e, t, buf), "B001");
}

/* ======================== estimates ======================== */

struct issued {
	uint32_t id;
	int ahead, wait_min;
};

static struct issued issue_est(struct engine *e, struct engine_clock c, int service, int cls,
			       int64_t slot_s)
{
	struct engine_command x = issue_cmd(c, service, cls, slot_s);
	struct engine_result r = ok(e, &x);

	return (struct issued){r.ticket, r.people_ahead, r.estimated_wait_min};
}

/* No history: A's standard 20 min = 1200 s. Windows 0, 1, 3 serve A and
 * are logged in (3 is paused: still logged in), at levels 1, 2, 3: 2 + 1 +
 * 1 = 4 halves, 2 windows; none busy: n * 1200 / 2 / 60 = 0, 10, 20, 30,
 * 40. C is served by window 2 only, logged out: counted as one window of
 * level 1, n * 600 / 60. */
static void test_estimate_standard_minutes(void **state)
{
	struct engine *e = *state;
	static const int want[5] = {0, 10, 20, 30, 40};

	login(e, W0, at(8, 30, 0));
	login(e, W1, at(8, 30, 0));
	login(e, W3, at(8, 30, 0));
	struct engine_command p = wcmd(ENGINE_OP_PAUSE, W3, at(8, 30, 0));
	p.reason = 0;
	ok(e, &p);
	for (int n = 0; n < 5; n++) {
		struct issued t = issue_est(e, at(8, 31, n), SVC_A, NORMAL, 0);
		assert_int_equal(t.ahead, n);
		assert_int_equal(t.wait_min, want[n]);
	}
	for (int n = 0; n < 3; n++) {
		struct issued t = issue_est(e, at(13, 0, n), SVC_C, NORMAL, 0);
		assert_int_equal(t.ahead, n);
		assert_int_equal(t.wait_min, n * 10);
	}
}

/* People ahead: a normal ticket counts every waiting ticket of the
 * service, a green one the appointment and green queues, an appointment
 * the appointment queue. Nobody is logged in for A: 1 server, 1200 s. */
static void test_estimate_people_ahead_by_class(void **state)
{
	struct engine *e = *state;
	int64_t slot = secs(10, 0, 0);

	assert_int_equal(issue_est(e, at(8, 30, 0), SVC_A, NORMAL, 0).ahead, 0);
	assert_int_equal(issue_est(e, at(8, 31, 0), SVC_A, NORMAL, 0).ahead, 1);
	assert_int_equal(issue_est(e, at(8, 32, 0), SVC_A, GREEN, 0).ahead, 0);
	assert_int_equal(issue_est(e, at(8, 33, 0), SVC_A, APPOINTMENT, slot).ahead, 0);
	/* waiting now: 2 normal, 1 green, 1 appointment */
	struct issued n = issue_est(e, at(8, 34, 0), SVC_A, NORMAL, 0);
	assert_int_equal(n.ahead, 4);
	assert_int_equal(n.wait_min, 80); /* 4 * 1200 s = 80 min */
	struct issued g = issue_est(e, at(8, 35, 0), SVC_A, GREEN, 0);
	assert_int_equal(g.ahead, 2); /* 1 appointment + 1 green */
	assert_int_equal(g.wait_min, 40);
	struct issued a = issue_est(e, at(8, 36, 0), SVC_A, APPOINTMENT, slot);
	assert_int_equal(a.ahead, 1);
	assert_int_equal(a.wait_min, 20);
	/* other services are not counted */
	assert_int_equal(issue_est(e, at(8, 37, 0), SVC_D, NORMAL, 0).ahead, 0);

	/* The place of each ticket now (ids in issue order: N1 0, N2 1, G1 2,
	 * A1 3, N3 4, G2 5, A2 6, D 7): 2 appointments go first, then 2
	 * green, then the normal ones in order. */
	static const int want_ahead[8] = {4, 5, 2, 0, 6, 3, 1, 0};
	for (uint32_t id = 0; id < 8; id++) {
		int ahead = -1;
		int wait = engine_ticket_position(e, id, &ahead);
		assert_int_equal(ahead, want_ahead[id]);
		/* 1 server, 1200 s a ticket for A; D's first ticket waits 0 */
		assert_int_equal(wait, id == 7 ? 0 : want_ahead[id] * 20);
	}
	assert_int_equal(engine_ticket_position(e, 8, NULL), -1); /* no such ticket */
}

/* The mean is over the last 3 handling times (estimate_recent_tickets):
 * seeds 60, 120, 180, 240 -> last 3 = 120, 180, 240, mean 180 s. Then one
 * D ticket is served 08:41:00-08:46:00 = 300 s -> 180, 240, 300, mean 240. */
static void test_estimate_recent_history(void **state)
{
	struct engine *e = *state;

	engine_seed_handling(e, SVC_D, 60);
	engine_seed_handling(e, SVC_D, 120);
	engine_seed_handling(e, SVC_D, 180);
	engine_seed_handling(e, SVC_D, 240);
	issue_est(e, at(8, 30, 0), SVC_D, NORMAL, 0);
	issue_est(e, at(8, 31, 0), SVC_D, NORMAL, 0);
	struct issued t = issue_est(e, at(8, 32, 0), SVC_D, NORMAL, 0);
	assert_int_equal(t.ahead, 2);
	assert_int_equal(t.wait_min, 6); /* 2 * 180 / 1 / 60 */

	login(e, W2, at(8, 40, 0));
	uint32_t first = call_next(e, W2, at(8, 40, 0));
	assert_int_equal(first, 0);
	wop(e, ENGINE_OP_START, W2, at(8, 41, 0));
	wop(e, ENGINE_OP_FINISH, W2, at(8, 46, 0));
	assert_true(engine_handling_s(T(e, first)) == 300);
	t = issue_est(e, at(8, 47, 0), SVC_D, NORMAL, 0);
	assert_int_equal(t.ahead, 2);
	assert_int_equal(t.wait_min, 8); /* 2 * 240 / 1 / 60; window 2 is 1 server */
}

/* The mean of 120 s and 121 s is 120.5 s: one person ahead, no window
 * logged in (counted as one of level 1): 120.5 / 60 = 2.008, to the
 * nearest minute 2. */
static void test_estimate_uses_exact_mean(void **state)
{
	struct engine *e = *state;

	engine_seed_handling(e, SVC_D, 120);
	engine_seed_handling(e, SVC_D, 121);
	assert_int_equal(issue_est(e, at(9, 0, 0), SVC_D, NORMAL, 0).wait_min, 0);
	struct issued t = issue_est(e, at(9, 1, 0), SVC_D, NORMAL, 0);
	assert_int_equal(t.ahead, 1);
	assert_int_equal(t.wait_min, 2);
}

/* One handling time of 121 s, two windows serving A logged in, idle:
 * window 0 at level 1 (2 halves), window 1 at level 2 (1 half), so 1.5
 * windows. One person ahead waits 121 / 1.5 = 80.7 s, 1.34 min: 1. */
static void test_estimate_divides_exactly_by_windows(void **state)
{
	struct engine *e = *state;

	engine_seed_handling(e, SVC_A, 121);
	login(e, W0, at(8, 30, 0));
	login(e, W1, at(8, 30, 0));
	issue_est(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	struct issued t = issue_est(e, at(9, 1, 0), SVC_A, NORMAL, 0);
	assert_int_equal(t.ahead, 1);
	assert_int_equal(t.wait_min, 1);
}

/* The ticket in hand: window 0 (A level 1, 2 halves) alone is logged in
 * and calling A1, so busy = 2 halves and no window is idle. 600 s a
 * ticket: nobody ahead waits 600 x (8 x 0 + 2) / (4 x 2) = 150 s = 2.5
 * min, rounded half up to 3; one ahead 600 x 10 / 8 = 750 s = 12.5 -> 13.
 * A window that is idle takes nobody ahead at once: no busy term. */
static void test_estimate_adds_tickets_in_hand(void **state)
{
	struct engine *e = *state;

	engine_seed_handling(e, SVC_A, 600);
	login(e, W0, at(8, 30, 0));
	struct issued t = issue_est(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	assert_int_equal(t.wait_min, 0); /* window 0 idle: 0 ahead < 1 idle */
	assert_int_equal(call_next(e, W0, at(9, 0, 1)), t.id);
	t = issue_est(e, at(9, 1, 0), SVC_A, NORMAL, 0);
	assert_int_equal(t.ahead, 0);
	assert_int_equal(t.wait_min, 3);
	t = issue_est(e, at(9, 2, 0), SVC_A, NORMAL, 0);
	assert_int_equal(t.ahead, 1);
	assert_int_equal(t.wait_min, 13);
}

/* ======================== windows ======================== */

static void test_no_such_window(void **state)
{
	struct engine *e = *state;
	struct engine_command x = wcmd(ENGINE_OP_LOGIN, N_WIN, at(8, 30, 0));

	snprintf(x.staff, sizeof(x.staff), "nobody");
	refused(e, &x, ENGINE_ERR_NO_SUCH_WINDOW);
	x.window = -1;
	refused(e, &x, ENGINE_ERR_NO_SUCH_WINDOW);
	wop_refused(e, ENGINE_OP_CALL_NEXT, N_WIN, at(8, 30, 0), ENGINE_ERR_NO_SUCH_WINDOW);
	wop_refused(e, ENGINE_OP_FINISH, -1, at(8, 30, 0), ENGINE_ERR_NO_SUCH_WINDOW);
}

static void test_login(void **state)
{
	struct engine *e = *state;
	struct engine_command x = wcmd(ENGINE_OP_LOGIN, W0, at(8, 0, 5));

	snprintf(x.staff, sizeof(x.staff), "王芳");
	ok(e, &x);
	const struct engine_window_status *ws = engine_window(e, W0);
	assert_int_equal(ws->state, ENGINE_WINDOW_IDLE);
	assert_string_equal(ws->staff, "王芳");
	assert_int_equal(ws->current, ENGINE_NO_TICKET);
	assert_true(ws->since_s == secs(8, 0, 5));
	assert_int_equal(engine_window(e, W1)->state, ENGINE_WINDOW_LOGGED_OUT);

	/* already logged in: by the same or by another staff */
	refused(e, &x, ENGINE_ERR_WINDOW_LOGGED_IN);
	snprintf(x.staff, sizeof(x.staff), "李明");
	refused(e, &x, ENGINE_ERR_WINDOW_LOGGED_IN);

	/* staff must not be empty */
	struct engine_command empty = wcmd(ENGINE_OP_LOGIN, W1, at(8, 1, 0));
	refused(e, &empty, ENGINE_ERR_BAD_ARGUMENT);
}

static void test_logout(void **state)
{
	struct engine *e = *state;

	wop_refused(e, ENGINE_OP_LOGOUT, W0, at(8, 30, 0), ENGINE_ERR_WINDOW_NOT_LOGGED_IN);
	login(e, W0, at(8, 30, 0));
	wop(e, ENGINE_OP_LOGOUT, W0, at(8, 31, 0));
	assert_int_equal(engine_window(e, W0)->state, ENGINE_WINDOW_LOGGED_OUT);

	login(e, W0, at(8, 32, 0));
	uint32_t a1 = issue(e, at(8, 33, 0), SVC_A, NORMAL, 0);
	issue(e, at(8, 33, 1), SVC_A, NORMAL, 0);
	call_next(e, W0, at(8, 34, 0));
	wop_refused(e, ENGINE_OP_LOGOUT, W0, at(8, 35, 0), ENGINE_ERR_WINDOW_BUSY); /* called */
	wop(e, ENGINE_OP_START, W0, at(8, 36, 0));
	wop_refused(e, ENGINE_OP_LOGOUT, W0, at(8, 37, 0), ENGINE_ERR_WINDOW_BUSY); /* serving */
	wop(e, ENGINE_OP_HOLD, W0, at(8, 38, 0));
	wop_refused(e, ENGINE_OP_LOGOUT, W0, at(8, 39, 0), ENGINE_ERR_WINDOW_HOLDS_TICKETS);
	struct engine_command cb = ticket_cmd(ENGINE_OP_CALL_BACK, W0, a1, at(8, 40, 0));
	ok(e, &cb);
	wop(e, ENGINE_OP_FINISH, W0, at(8, 41, 0));
	wop(e, ENGINE_OP_LOGOUT, W0, at(8, 42, 0));
	assert_int_equal(engine_window(e, W0)->state, ENGINE_WINDOW_LOGGED_OUT);
}

static void test_pause_resume(void **state)
{
	struct engine *e = *state;
	struct engine_command p = wcmd(ENGINE_OP_PAUSE, W0, at(9, 0, 0));

	p.reason = 0;
	refused(e, &p, ENGINE_ERR_WINDOW_NOT_LOGGED_IN);
	login(e, W0, at(8, 30, 0));
	p.reason = -1;
	refused(e, &p, ENGINE_ERR_PAUSE_REASON_REQUIRED);
	p.reason = 2; /* two reasons configured: 0 and 1 */
	refused(e, &p, ENGINE_ERR_UNKNOWN_PAUSE_REASON);
	wop_refused(e, ENGINE_OP_RESUME, W0, at(9, 0, 0), ENGINE_ERR_WINDOW_NOT_PAUSED);
	p.reason = 1;
	ok(e, &p);
	const struct engine_window_status *ws = engine_window(e, W0);
	assert_int_equal(ws->state, ENGINE_WINDOW_PAUSED);
	assert_int_equal(ws->pause_reason, 1);
	assert_true(ws->since_s == secs(9, 0, 0));
	p.reason = 0;
	refused(e, &p, ENGINE_ERR_WINDOW_PAUSED);

	issue(e, at(9, 1, 0), SVC_A, NORMAL, 0);
	wop_refused(e, ENGINE_OP_CALL_NEXT, W0, at(9, 2, 0), ENGINE_ERR_WINDOW_PAUSED);
	wop(e, ENGINE_OP_RESUME, W0, at(9, 3, 0));
	assert_int_equal(ws->state, ENGINE_WINDOW_IDLE);
	assert_true(ws->since_s == secs(9, 3, 0));
	wop_refused(e, ENGINE_OP_RESUME, W0, at(9, 4, 0), ENGINE_ERR_WINDOW_NOT_PAUSED);
	assert_int_equal(call_next(e, W0, at(9, 4, 0)), 0);
}

/* ======================== calling ======================== */

static void test_call_next(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	issue(e, at(9, 0, 30), SVC_A, NORMAL, 0);
	wop_refused(e, ENGINE_OP_CALL_NEXT, W0, at(9, 1, 0), ENGINE_ERR_WINDOW_NOT_LOGGED_IN);
	login(e, W0, at(9, 1, 0));
	assert_int_equal(call_next(e, W0, at(9, 2, 0)), a1);
	const struct engine_ticket *t = T(e, a1);
	assert_int_equal(t->state, ENGINE_TICKET_CALLED);
	assert_int_equal(t->window, W0);
	assert_true(t->called_s == secs(9, 2, 0));
	assert_true(t->first_called_s == secs(9, 2, 0));
	assert_int_equal(t->called_specifically, 0);
	const struct engine_window_status *ws = engine_window(e, W0);
	assert_int_equal(ws->state, ENGINE_WINDOW_CALLED);
	assert_int_equal(ws->current, a1);
	assert_int_equal(engine_waiting_count(e, SVC_A), 1);
	wop_refused(e, ENGINE_OP_CALL_NEXT, W0, at(9, 3, 0), ENGINE_ERR_WINDOW_BUSY);
}

/* D is not served by window 0: a D ticket is not "waiting" for it. */
static void test_call_next_no_ticket_waiting(void **state)
{
	struct engine *e = *state;

	login(e, W0, at(9, 0, 0));
	wop_refused(e, ENGINE_OP_CALL_NEXT, W0, at(9, 1, 0), ENGINE_ERR_NO_TICKET_WAITING);
	issue(e, at(9, 1, 0), SVC_D, NORMAL, 0);
	wop_refused(e, ENGINE_OP_CALL_NEXT, W0, at(9, 2, 0), ENGINE_ERR_NO_TICKET_WAITING);
}

static void test_call_ticket(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	issue(e, at(9, 0, 10), SVC_A, NORMAL, 0);
	uint32_t a3 = issue(e, at(9, 0, 20), SVC_A, NORMAL, 0);
	struct engine_command c = ticket_cmd(ENGINE_OP_CALL_TICKET, W0, a3, at(9, 1, 0));
	refused(e, &c, ENGINE_ERR_WINDOW_NOT_LOGGED_IN);
	login(e, W0, at(9, 1, 0));
	login(e, W1, at(9, 1, 0));
	login(e, W2, at(9, 1, 0));

	ok(e, &c);
	const struct engine_ticket *t = T(e, a3);
	assert_int_equal(t->state, ENGINE_TICKET_CALLED);
	assert_int_equal(t->window, W0);
	assert_int_equal(t->called_specifically, 1);
	assert_int_equal(engine_window(e, W0)->current, a3);

	c = ticket_cmd(ENGINE_OP_CALL_TICKET, W1, a3, at(9, 2, 0));
	refused(e, &c, ENGINE_ERR_NOT_WAITING);
	c = ticket_cmd(ENGINE_OP_CALL_TICKET, W2, a1, at(9, 2, 0)); /* window 2: C and D */
	refused(e, &c, ENGINE_ERR_NOT_SERVED_HERE);
	c = ticket_cmd(ENGINE_OP_CALL_TICKET, W1, 99, at(9, 2, 0));
	refused(e, &c, ENGINE_ERR_NO_SUCH_TICKET);
	c = ticket_cmd(ENGINE_OP_CALL_TICKET, W0, a1, at(9, 2, 0));
	refused(e, &c, ENGINE_ERR_WINDOW_BUSY);
	/* window 1 serves A at level 2: it may call a1 by its number */
	c = ticket_cmd(ENGINE_OP_CALL_TICKET, W1, a1, at(9, 3, 0));
	ok(e, &c);
	assert_int_equal(T(e, a1)->window, W1);
}

static void test_recall(void **state)
{
	struct engine *e = *state;

	issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	wop_refused(e, ENGINE_OP_RECALL, W0, at(9, 0, 30), ENGINE_ERR_NOT_CALLED);
	uint32_t a1 = call_next(e, W0, at(9, 1, 0));
	assert_int_equal(wop(e, ENGINE_OP_RECALL, W0, at(9, 2, 0)), a1);
	wop(e, ENGINE_OP_RECALL, W0, at(9, 3, 0));
	const struct engine_ticket *t = T(e, a1);
	assert_int_equal(t->recalls, 2);
	assert_int_equal(t->state, ENGINE_TICKET_CALLED);
	assert_true(t->first_called_s == secs(9, 1, 0));
	wop_refused(e, ENGINE_OP_RECALL, W1, at(9, 3, 0), ENGINE_ERR_NOT_CALLED);
	wop(e, ENGINE_OP_START, W0, at(9, 4, 0));
	wop_refused(e, ENGINE_OP_RECALL, W0, at(9, 5, 0), ENGINE_ERR_NOT_CALLED);
	assert_int_equal(t->recalls, 2);
}

/* Re-queued once with 2 tickets ahead of it: A1 A2 A3 A4 -> A1 called,
 * no-show -> A2 A3 A1 A4; the second no-show is final. */
static void test_no_show_requeue_then_final(void **state)
{
	struct engine *e = *state;
	uint32_t a[4];

	for (int i = 0; i < 4; i++)
		a[i] = issue(e, at(9, 0, i), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	wop_refused(e, ENGINE_OP_NO_SHOW, W0, at(9, 1, 0), ENGINE_ERR_NOT_CALLED);
	assert_int_equal(call_next(e, W0, at(9, 5, 0)), a[0]);
	struct engine_command ns = wcmd(ENGINE_OP_NO_SHOW, W0, at(9, 6, 0));
	struct engine_result r = ok(e, &ns);
	assert_int_equal(r.requeued, 1);
	assert_int_equal(r.ticket, a[0]);
	const struct engine_ticket *t = T(e, a[0]);
	assert_int_equal(t->state, ENGINE_TICKET_WAITING);
	assert_int_equal(t->no_shows, 1);
	assert_int_equal(t->window, -1);
	assert_int_equal(engine_window(e, W0)->state, ENGINE_WINDOW_IDLE);
	assert_int_equal(engine_window(e, W0)->current, ENGINE_NO_TICKET);

	static const int order[4] = {1, 2, 0, 3};
	for (int i = 0; i < 4; i++) {
		uint32_t id = call_next(e, W0, at(9, 7 + i, 0));
		assert_int_equal(id, a[order[i]]);
		if (id == a[0]) {
			ns.clock = at(9, 7 + i, 30);
			r = ok(e, &ns);
			assert_int_equal(r.requeued, 0);
			assert_int_equal(t->state, ENGINE_TICKET_NO_SHOW);
			assert_int_equal(t->no_shows, 2);
			assert_true(t->first_called_s == secs(9, 5, 0));
		} else {
			wop(e, ENGINE_OP_FINISH, W0, at(9, 7 + i, 30));
		}
	}
	wop_refused(e, ENGINE_OP_CALL_NEXT, W0, at(9, 12, 0), ENGINE_ERR_NO_TICKET_WAITING);
	assert_int_equal(t->state, ENGINE_TICKET_NO_SHOW);
}

/* Fewer than 2 tickets behind the head: the no-show goes last. */
static void test_no_show_requeue_last_when_few(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t a2 = issue(e, at(9, 0, 1), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	assert_int_equal(call_next(e, W0, at(9, 1, 0)), a1);
	struct engine_command ns = wcmd(ENGINE_OP_NO_SHOW, W0, at(9, 2, 0));
	assert_int_equal(ok(e, &ns).requeued, 1);
	uint32_t a3 = issue(e, at(9, 3, 0), SVC_A, NORMAL, 0);
	assert_int_equal(call_next(e, W0, at(9, 4, 0)), a2);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 5, 0));
	assert_int_equal(call_next(e, W0, at(9, 6, 0)), a1);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 7, 0));
	assert_int_equal(call_next(e, W0, at(9, 8, 0)), a3);
}

static void test_start(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	wop_refused(e, ENGINE_OP_START, W0, at(9, 1, 0), ENGINE_ERR_NOT_CALLED);
	call_next(e, W0, at(9, 1, 0));
	assert_int_equal(wop(e, ENGINE_OP_START, W0, at(9, 2, 0)), a1);
	const struct engine_ticket *t = T(e, a1);
	assert_int_equal(t->state, ENGINE_TICKET_SERVING);
	assert_true(t->started_s == secs(9, 2, 0));
	assert_int_equal(engine_window(e, W0)->state, ENGINE_WINDOW_SERVING);
	assert_int_equal(engine_window(e, W0)->current, a1);
	wop_refused(e, ENGINE_OP_START, W0, at(9, 3, 0), ENGINE_ERR_NOT_CALLED);
}

static void test_hold_and_call_back(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t a2 = issue(e, at(9, 0, 1), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	login(e, W1, at(9, 0, 0));
	wop_refused(e, ENGINE_OP_HOLD, W0, at(9, 1, 0), ENGINE_ERR_NOT_SERVING);
	assert_int_equal(call_next(e, W0, at(9, 2, 0)), a1);
	wop_refused(e, ENGINE_OP_HOLD, W0, at(9, 2, 30), ENGINE_ERR_NOT_SERVING); /* called */
	wop(e, ENGINE_OP_START, W0, at(9, 3, 0));
	assert_int_equal(wop(e, ENGINE_OP_HOLD, W0, at(9, 4, 0)), a1);
	const struct engine_ticket *t = T(e, a1);
	assert_int_equal(t->state, ENGINE_TICKET_HELD);
	assert_int_equal(t->window, W0);
	assert_true(t->held_s == secs(9, 4, 0));
	const struct engine_window_status *ws = engine_window(e, W0);
	assert_int_equal(ws->state, ENGINE_WINDOW_IDLE);
	assert_int_equal(ws->current, ENGINE_NO_TICKET);
	assert_int_equal(ws->n_held, 1);

	/* the window is free for the next citizen meanwhile */
	assert_int_equal(call_next(e, W0, at(9, 5, 0)), a2);
	struct engine_command cb = ticket_cmd(ENGINE_OP_CALL_BACK, W0, a1, at(9, 6, 0));
	refused(e, &cb, ENGINE_ERR_WINDOW_BUSY);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 7, 0));
	struct engine_command other = ticket_cmd(ENGINE_OP_CALL_BACK, W1, a1, at(9, 7, 0));
	refused(e, &other, ENGINE_ERR_NOT_HELD_HERE);
	other.ticket = a2; /* finished, not held */
	refused(e, &other, ENGINE_ERR_NOT_HELD_HERE);
	other.ticket = 77;
	refused(e, &other, ENGINE_ERR_NO_SUCH_TICKET);

	cb.clock = at(9, 8, 0);
	assert_int_equal(ok(e, &cb).ticket, a1);
	assert_int_equal(t->state, ENGINE_TICKET_SERVING);
	assert_true(t->hold_total_s == 4 * 60); /* 09:04 -> 09:08 */
	assert_int_equal(ws->state, ENGINE_WINDOW_SERVING);
	assert_int_equal(ws->current, a1);
	assert_int_equal(ws->n_held, 0);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 10, 0));
	/* 09:03 -> 09:10 = 420 s, less 240 s on hold */
	assert_true(engine_handling_s(t) == 180);
}

/*
 * A keypad's 回呼 names no ticket: CALL_BACK with ENGINE_NO_TICKET takes the
 * ticket this window has held longest. a1 held at 09:04, a2 at 09:06, so
 * a1 comes back first, then a2; with none held the key is refused.
 */
static void test_call_back_longest_held(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t a2 = issue(e, at(9, 0, 1), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	struct engine_command cb =
	    ticket_cmd(ENGINE_OP_CALL_BACK, W0, ENGINE_NO_TICKET, at(9, 1, 0));
	refused(e, &cb, ENGINE_ERR_NOT_HELD_HERE);
	assert_int_equal(engine_first_held(e, W0), ENGINE_NO_TICKET);
	assert_int_equal(call_next(e, W0, at(9, 2, 0)), a1);
	wop(e, ENGINE_OP_START, W0, at(9, 3, 0));
	wop(e, ENGINE_OP_HOLD, W0, at(9, 4, 0));
	assert_int_equal(call_next(e, W0, at(9, 5, 0)), a2);
	wop(e, ENGINE_OP_START, W0, at(9, 5, 30));
	wop(e, ENGINE_OP_HOLD, W0, at(9, 6, 0));
	assert_int_equal(engine_first_held(e, W0), a1);
	assert_int_equal(engine_first_held(e, W1), ENGINE_NO_TICKET);
	cb.clock = at(9, 7, 0);
	assert_int_equal(ok(e, &cb).ticket, a1);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 8, 0));
	cb.clock = at(9, 9, 0);
	assert_int_equal(ok(e, &cb).ticket, a2);
	assert_int_equal(engine_window(e, W0)->n_held, 0);
}

/*
 * engine_issue_check says what ISSUE would say, without issuing: B opens
 * 09:00-11:00 with a quota of 3; Saturday is closed.
 */
static void test_issue_check(void **state)
{
	struct engine *e = *state;

	struct engine_clock early = at(8, 59, 0);
	assert_int_equal(engine_issue_check(e, SVC_B, &early), ENGINE_ERR_OUTSIDE_HOURS);
	struct engine_clock nine = at(9, 0, 0);
	assert_int_equal(engine_issue_check(e, SVC_B, &nine), ENGINE_OK);
	assert_int_equal(engine_issue_check(e, N_SVC, &nine), ENGINE_ERR_NO_SUCH_SERVICE);
	struct engine_clock sat = on(SATURDAY, 9, 0, 0);
	assert_int_equal(engine_issue_check(e, SVC_A, &sat), ENGINE_ERR_CLOSED_TODAY);
	for (int i = 0; i < 3; i++)
		issue(e, nine, SVC_B, NORMAL, 0);
	assert_int_equal(engine_issue_check(e, SVC_B, &nine), ENGINE_ERR_QUOTA_REACHED);
	/* three waiting in B, no window open for it: 3 x 15 min */
	int ahead = -1;
	assert_int_equal(engine_estimate(e, SVC_B, NORMAL, &ahead), 45);
	assert_int_equal(ahead, 3);
}

/* Started 09:11:00, held 09:15:00-09:25:00 and 09:26:00-09:27:30, finished
 * 09:30:00: 1140 s less 690 s on hold = 450 s. The next estimate uses it:
 * one ahead, window 0 the only server of A: ceil(450 / 60) = 8 min. */
static void test_hold_time_excluded_from_handling(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	call_next(e, W0, at(9, 10, 0));
	wop(e, ENGINE_OP_START, W0, at(9, 11, 0));
	wop(e, ENGINE_OP_HOLD, W0, at(9, 15, 0));
	struct engine_command cb = ticket_cmd(ENGINE_OP_CALL_BACK, W0, a1, at(9, 25, 0));
	ok(e, &cb);
	wop(e, ENGINE_OP_HOLD, W0, at(9, 26, 0));
	cb.clock = at(9, 27, 30);
	ok(e, &cb);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 30, 0));
	const struct engine_ticket *t = T(e, a1);
	assert_int_equal(t->state, ENGINE_TICKET_FINISHED);
	assert_true(t->hold_total_s == 690);
	assert_true(engine_handling_s(t) == 450);

	issue(e, at(9, 31, 0), SVC_A, NORMAL, 0);
	struct issued n = issue_est(e, at(9, 31, 1), SVC_A, NORMAL, 0);
	assert_int_equal(n.ahead, 1);
	assert_int_equal(n.wait_min, 8);
}

static void test_finish(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t a2 = issue(e, at(9, 1, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	struct engine_command f = wcmd(ENGINE_OP_FINISH, W0, at(9, 1, 30));
	struct engine_result r;
	int err = engine_apply(e, &f, &r);
	assert_true(err == ENGINE_ERR_NOT_CALLED || err == ENGINE_ERR_NOT_SERVING);

	/* from serving: start to finish */
	call_next(e, W0, at(9, 2, 0));
	wop(e, ENGINE_OP_START, W0, at(9, 3, 0));
	assert_int_equal(wop(e, ENGINE_OP_FINISH, W0, at(9, 8, 30)), a1);
	const struct engine_ticket *t = T(e, a1);
	assert_int_equal(t->state, ENGINE_TICKET_FINISHED);
	assert_true(t->finished_s == secs(9, 8, 30));
	assert_true(engine_handling_s(t) == 330);
	assert_int_equal(engine_window(e, W0)->state, ENGINE_WINDOW_IDLE);
	assert_int_equal(engine_window(e, W0)->current, ENGINE_NO_TICKET);

	/* from called ("start" never pressed): started_s = called_s */
	assert_int_equal(call_next(e, W0, at(9, 9, 0)), a2);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 12, 0));
	t = T(e, a2);
	assert_int_equal(t->state, ENGINE_TICKET_FINISHED);
	assert_true(t->started_s == secs(9, 9, 0));
	assert_true(engine_handling_s(t) == 180);
}

/* ======================== transfer ======================== */

/* Calls window w at each time and finishes each ticket; checks the order. */
static void expect_calls(struct engine *e, int w, struct engine_clock c, const uint32_t *want,
			 int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t got = call_next(e, w, c);
		if (got != want[i]) {
			char g[8], x[8];
			fail_msg("call %d at window %d: got %s, want %s", i + 1, w,
				 label(e, got, g), label(e, want[i], x));
		}
		c.now_s += 10;
		wop(e, ENGINE_OP_FINISH, w, c);
		c.now_s += 10;
	}
}

/* A001 (09:00) is transferred from A to B at 09:08; B001 (09:05) and B002
 * (09:06) are newer, so window 1 (B first) calls A001 first. */
static void test_transfer_to_service_keeps_issue_time(void **state)
{
	struct engine *e = *state;
	char buf[8];

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t b1 = issue(e, at(9, 5, 0), SVC_B, NORMAL, 0);
	uint32_t b2 = issue(e, at(9, 6, 0), SVC_B, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	assert_int_equal(call_next(e, W0, at(9, 7, 0)), a1);
	wop(e, ENGINE_OP_START, W0, at(9, 7, 30));
	struct engine_command x = transfer_cmd(W0, SVC_B, -1, at(9, 8, 0));
	assert_int_equal(ok(e, &x).ticket, a1);

	const struct engine_ticket *t = T(e, a1);
	assert_int_equal(t->state, ENGINE_TICKET_WAITING);
	assert_int_equal(t->service, SVC_B);
	assert_int_equal(t->issued_service, SVC_A);
	assert_int_equal(t->transfers, 1);
	assert_int_equal(t->window, -1);
	assert_int_equal(t->target_window, -1);
	assert_true(t->issued_s == secs(9, 0, 0));
	assert_string_equal(label(e, a1, buf), "A001");
	assert_int_equal(engine_find_ticket(e, "A", 1), a1);
	assert_int_equal(engine_waiting_count(e, SVC_A), 0);
	assert_int_equal(engine_waiting_count(e, SVC_B), 3);
	assert_int_equal(engine_window(e, W0)->state, ENGINE_WINDOW_IDLE);

	login(e, W1, at(9, 9, 0));
	assert_int_equal(call_next(e, W1, at(9, 9, 0)), a1);
	wop(e, ENGINE_OP_FINISH, W1, at(9, 10, 0));
	assert_int_equal(call_next(e, W1, at(9, 10, 0)), b1);
	wop(e, ENGINE_OP_FINISH, W1, at(9, 11, 0));
	assert_int_equal(call_next(e, W1, at(9, 11, 0)), b2);
}

/* A ticket transferred to window 3 goes to that window alone, which calls
 * it before a due appointment and a green ticket of its own services. */
static void test_transfer_to_window(void **state)
{
	struct engine *e = *state;

	uint32_t c1 = issue(e, at(13, 30, 0), SVC_C, NORMAL, 0);
	login(e, W2, at(13, 30, 0));
	login(e, W3, at(13, 30, 0));
	assert_int_equal(call_next(e, W2, at(13, 31, 0)), c1);
	uint32_t dg = issue(e, at(13, 31, 0), SVC_D, GREEN, 0);
	uint32_t dp = issue(e, at(13, 31, 30), SVC_D, APPOINTMENT, secs(13, 40, 0));
	struct engine_command x = transfer_cmd(W2, -1, W3, at(13, 32, 0));
	ok(e, &x);
	const struct engine_ticket *t = T(e, c1);
	assert_int_equal(t->state, ENGINE_TICKET_WAITING);
	assert_int_equal(t->target_window, W3);
	assert_int_equal(t->service, SVC_C);
	assert_int_equal(t->transfers, 1);
	assert_true(t->issued_s == secs(13, 30, 0));

	/* 13:33: the appointment (slot 13:40) is due, yet c1 comes first */
	assert_int_equal(call_next(e, W3, at(13, 33, 0)), c1);
	assert_int_equal(t->window, W3);
	wop(e, ENGINE_OP_FINISH, W3, at(13, 34, 0));
	assert_int_equal(call_next(e, W3, at(13, 34, 0)), dp);
	wop(e, ENGINE_OP_FINISH, W3, at(13, 35, 0));
	assert_int_equal(call_next(e, W3, at(13, 35, 0)), dg);
}

/* A ticket sent to window 1 is not called by window 0, though both serve A. */
static void test_transfer_to_window_only_that_window(void **state)
{
	struct engine *e = *state;

	issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	call_next(e, W0, at(9, 1, 0));
	struct engine_command x = transfer_cmd(W0, -1, W1, at(9, 2, 0));
	ok(e, &x);
	wop_refused(e, ENGINE_OP_CALL_NEXT, W0, at(9, 3, 0), ENGINE_ERR_NO_TICKET_WAITING);
}

static void test_transfer_refusals(void **state)
{
	struct engine *e = *state;

	issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	struct engine_command x = transfer_cmd(W0, SVC_B, -1, at(9, 1, 0));
	struct engine_result r;
	int err = engine_apply(e, &x, &r); /* nothing called */
	assert_true(err == ENGINE_ERR_NOT_CALLED || err == ENGINE_ERR_NOT_SERVING);
	call_next(e, W0, at(9, 1, 0));

	x = transfer_cmd(W0, SVC_B, W1, at(9, 2, 0)); /* both */
	refused(e, &x, ENGINE_ERR_BAD_ARGUMENT);
	x = transfer_cmd(W0, -1, -1, at(9, 2, 0)); /* neither */
	refused(e, &x, ENGINE_ERR_BAD_ARGUMENT);
	x = transfer_cmd(W0, N_SVC, -1, at(9, 2, 0));
	refused(e, &x, ENGINE_ERR_NO_SUCH_SERVICE);
	x = transfer_cmd(W0, -1, N_WIN, at(9, 2, 0));
	refused(e, &x, ENGINE_ERR_NO_SUCH_WINDOW);
	x = transfer_cmd(W0, SVC_A, -1, at(9, 2, 0)); /* its own service */
	refused(e, &x, ENGINE_ERR_SAME_PLACE);
	x = transfer_cmd(W0, -1, W0, at(9, 2, 0)); /* the window it is at */
	refused(e, &x, ENGINE_ERR_SAME_PLACE);
}

/*
 * A transfer keeps the issue time also when the target queue holds a
 * re-queued no-show. A001 09:00, A002 09:05, A003 09:10; B001 09:02. A001 is
 * called and does not come: A002 A003 A001. B001 is transferred to A: it is
 * older than A002 and A003, so it goes ahead of them and is called next.
 */
static void test_transfer_past_requeued_no_show(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t b1 = issue(e, at(9, 2, 0), SVC_B, NORMAL, 0);
	issue(e, at(9, 5, 0), SVC_A, NORMAL, 0);
	issue(e, at(9, 10, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 11, 0));
	assert_int_equal(call_next(e, W0, at(9, 11, 0)), a1);
	struct engine_command ns = wcmd(ENGINE_OP_NO_SHOW, W0, at(9, 12, 0));
	assert_int_equal(ok(e, &ns).requeued, 1);
	login(e, W1, at(9, 13, 0));
	assert_int_equal(call_next(e, W1, at(9, 13, 0)), b1);
	struct engine_command x = transfer_cmd(W1, SVC_A, -1, at(9, 14, 0));
	ok(e, &x);
	const uint32_t want[1] = {b1};
	expect_calls(e, W0, at(9, 15, 0), want, 1);
}

/* ======================== cancel, rate ======================== */

static void test_cancel(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t a2 = issue(e, at(9, 0, 1), SVC_A, NORMAL, 0);
	uint32_t a3 = issue(e, at(9, 0, 2), SVC_A, NORMAL, 0);
	struct engine_command c = ticket_cmd(ENGINE_OP_CANCEL, -1, a2, at(9, 1, 0));
	assert_int_equal(ok(e, &c).ticket, a2);
	assert_int_equal(T(e, a2)->state, ENGINE_TICKET_CANCELLED);
	assert_int_equal(engine_waiting_count(e, SVC_A), 2);
	refused(e, &c, ENGINE_ERR_NOT_WAITING); /* already cancelled */

	/* held: the window no longer holds it */
	login(e, W0, at(9, 2, 0));
	assert_int_equal(call_next(e, W0, at(9, 2, 0)), a1);
	c.ticket = a1;
	refused(e, &c, ENGINE_ERR_NOT_WAITING); /* called */
	wop(e, ENGINE_OP_START, W0, at(9, 3, 0));
	refused(e, &c, ENGINE_ERR_NOT_WAITING); /* serving */
	wop(e, ENGINE_OP_HOLD, W0, at(9, 4, 0));
	ok(e, &c);
	assert_int_equal(T(e, a1)->state, ENGINE_TICKET_CANCELLED);
	assert_int_equal(engine_window(e, W0)->n_held, 0);
	struct engine_command cb = ticket_cmd(ENGINE_OP_CALL_BACK, W0, a1, at(9, 5, 0));
	refused(e, &cb, ENGINE_ERR_NOT_HELD_HERE);

	assert_int_equal(call_next(e, W0, at(9, 5, 0)), a3);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 6, 0));
	c.ticket = a3;
	refused(e, &c, ENGINE_ERR_NOT_WAITING); /* finished */
	c.ticket = 50;
	refused(e, &c, ENGINE_ERR_NO_SUCH_TICKET);
	wop(e, ENGINE_OP_LOGOUT, W0, at(9, 7, 0));
}

static void test_rate(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t a2 = issue(e, at(9, 0, 1), SVC_A, NORMAL, 0);
	struct engine_command r = ticket_cmd(ENGINE_OP_RATE, -1, a1, at(9, 1, 0));
	r.rating = 1;
	refused(e, &r, ENGINE_ERR_NOT_FINISHED); /* waiting */
	login(e, W0, at(9, 1, 0));
	call_next(e, W0, at(9, 1, 0));
	refused(e, &r, ENGINE_ERR_NOT_FINISHED); /* called */
	wop(e, ENGINE_OP_FINISH, W0, at(9, 2, 0));
	r.rating = 0;
	refused(e, &r, ENGINE_ERR_BAD_ARGUMENT);
	r.rating = 6;
	refused(e, &r, ENGINE_ERR_BAD_ARGUMENT);
	r.rating = ENGINE_RATING_DISSATISFIED;
	assert_int_equal(ok(e, &r).ticket, a1);
	assert_int_equal(T(e, a1)->rating, ENGINE_RATING_DISSATISFIED);
	r.rating = ENGINE_RATING_VERY_SATISFIED;
	refused(e, &r, ENGINE_ERR_ALREADY_RATED);
	assert_int_equal(T(e, a1)->rating, ENGINE_RATING_DISSATISFIED);

	struct engine_command c = ticket_cmd(ENGINE_OP_CANCEL, -1, a2, at(9, 3, 0));
	ok(e, &c);
	r.ticket = a2;
	refused(e, &r, ENGINE_ERR_NOT_FINISHED); /* cancelled */
	r.ticket = 9;
	refused(e, &r, ENGINE_ERR_NO_SUCH_TICKET);
}

/* ======================== the business day ======================== */

static void test_close_day(void **state)
{
	struct engine *e = *state;
	uint32_t a[5];

	for (int i = 0; i < 5; i++)
		a[i] = issue(e, at(13, 30, i), SVC_A, NORMAL, 0);
	login(e, W0, at(13, 30, 0));
	login(e, W1, at(13, 30, 0));
	login(e, W2, at(13, 30, 0));
	struct engine_command p = wcmd(ENGINE_OP_PAUSE, W2, at(13, 31, 0));
	p.reason = 0;
	ok(e, &p);
	call_next(e, W0, at(13, 31, 0)); /* a0 */
	wop(e, ENGINE_OP_FINISH, W0, at(13, 32, 0));
	call_next(e, W0, at(13, 33, 0)); /* a1 */
	wop(e, ENGINE_OP_START, W0, at(13, 33, 0));
	wop(e, ENGINE_OP_HOLD, W0, at(13, 34, 0));
	call_next(e, W0, at(13, 35, 0)); /* a2 called */
	call_next(e, W1, at(13, 35, 0)); /* a3 */
	wop(e, ENGINE_OP_START, W1, at(13, 36, 0));
	assert_int_equal(T(e, a[3])->state, ENGINE_TICKET_SERVING);

	close_day(e, at(16, 0, 0));
	assert_true(engine_day_is_closed(e));
	assert_int_equal(engine_day(e), MONDAY.ymd);
	assert_int_equal(T(e, a[0])->state, ENGINE_TICKET_FINISHED);
	for (int i = 1; i < 5; i++)
		assert_int_equal(T(e, a[i])->state, ENGINE_TICKET_EXPIRED);
	for (int w = 0; w < N_WIN; w++) {
		const struct engine_window_status *ws = engine_window(e, w);
		assert_int_equal(ws->state, ENGINE_WINDOW_LOGGED_OUT);
		assert_int_equal(ws->current, ENGINE_NO_TICKET);
		assert_int_equal(ws->n_held, 0);
	}
	assert_int_equal(engine_waiting_count(e, SVC_A), 0);

	/* the day is closed: every other operation is refused */
	issue_refused(e, at(16, 1, 0), SVC_A, NORMAL, 0, ENGINE_ERR_DAY_CLOSED);
	struct engine_command x = wcmd(ENGINE_OP_LOGIN, W0, at(16, 1, 0));
	snprintf(x.staff, sizeof(x.staff), "late");
	refused(e, &x, ENGINE_ERR_DAY_CLOSED);
	wop_refused(e, ENGINE_OP_CALL_NEXT, W0, at(16, 1, 0), ENGINE_ERR_DAY_CLOSED);
	x = ticket_cmd(ENGINE_OP_RATE, -1, a[0], at(16, 1, 0));
	x.rating = 1;
	refused(e, &x, ENGINE_ERR_DAY_CLOSED);
	x = ticket_cmd(ENGINE_OP_CANCEL, -1, a[4], at(16, 1, 0));
	refused(e, &x, ENGINE_ERR_DAY_CLOSED);
	assert_int_equal(engine_ticket_count(e), 5);
}

/* After close_day and open_day, numbering starts again from 001. */
static void test_numbering_restarts_next_day(void **state)
{
	struct engine *e = *state;
	char buf[8];

	issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	issue(e, at(9, 0, 1), SVC_A, NORMAL, 0);
	issue(e, at(9, 0, 2), SVC_B, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	close_day(e, at(17, 30, 0));
	assert_int_equal(engine_open_day(e, TUESDAY.ymd), ENGINE_OK);
	assert_int_equal(engine_day(e), TUESDAY.ymd);
	assert_false(engine_day_is_closed(e));
	assert_int_equal(engine_ticket_count(e), 0);
	assert_int_equal(engine_find_ticket(e, "A", 1), ENGINE_NO_TICKET);
	assert_int_equal(engine_issued_count(e, SVC_A), 0);
	assert_int_equal(engine_window(e, W0)->state, ENGINE_WINDOW_LOGGED_OUT);

	uint32_t t = issue(e, on(TUESDAY, 9, 0, 0), SVC_A, NORMAL, 0);
	assert_int_equal(t, 0);
	assert_string_equal(label(e, t, buf), "A001");
	t = issue(e, on(TUESDAY, 9, 0, 1), SVC_B, NORMAL, 0);
	assert_string_equal(label(e, t, buf), "B001");
	assert_int_equal(engine_find_ticket(e, "A", 1), 0);
	/* Monday's clock is refused now */
	struct engine_command old = issue_cmd(at(9, 1, 0), SVC_A, NORMAL, 0);
	refused(e, &old, ENGINE_ERR_BAD_COMMAND);
}

/* A command dated another day is the caller's bug (negative), except
 * CLOSE_DAY; so is an unknown operation. */
static void test_bad_command(void **state)
{
	struct engine *e = *state;

	issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	struct engine_command x = issue_cmd(on(TUESDAY, 9, 0, 0), SVC_A, NORMAL, 0);
	refused(e, &x, ENGINE_ERR_BAD_COMMAND);
	assert_true(ENGINE_ERR_BAD_COMMAND < 0);
	x = wcmd(ENGINE_OP_LOGIN, W0, on(TUESDAY, 9, 0, 0));
	snprintf(x.staff, sizeof(x.staff), "s");
	refused(e, &x, ENGINE_ERR_BAD_COMMAND);
	x = cmd((enum engine_op)0, at(9, 1, 0));
	refused(e, &x, ENGINE_ERR_BAD_COMMAND);
	x = cmd(ENGINE_OP_COUNT, at(9, 1, 0));
	refused(e, &x, ENGINE_ERR_BAD_COMMAND);
	assert_int_equal(engine_ticket_count(e), 1);

	/* close_day may carry the next day's clock (closing at midnight) */
	close_day(e, on(TUESDAY, 0, 0, 5));
	assert_true(engine_day_is_closed(e));
	assert_int_equal(T(e, 0)->state, ENGINE_TICKET_EXPIRED);
}

/* open_day while tickets are not final (no close_day) is refused. */
static void test_open_day_needs_close(void **state)
{
	struct engine *e = *state;

	issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint64_t before = engine_digest(e);
	assert_int_equal(engine_open_day(e, TUESDAY.ymd), ENGINE_ERR_BAD_COMMAND);
	assert_true(engine_digest(e) == before);
	assert_int_equal(engine_day(e), MONDAY.ymd);
	assert_int_equal(T(e, 0)->state, ENGINE_TICKET_WAITING);
}

/* ======================== dispatch ======================== */

/* Rule 2: a due appointment, then green, then the rest, before levels.
 * Window 0: A level 1, B level 2. The appointment's slot is 09:30, due from
 * 09:20:00. At 09:19:59 it is not due yet: the green A ticket comes first. */
static void test_dispatch_class_order(void **state)
{
	struct engine *e = *state;

	uint32_t n = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t g = issue(e, at(9, 1, 0), SVC_A, GREEN, 0);
	uint32_t p = issue(e, at(9, 2, 0), SVC_A, APPOINTMENT, secs(9, 30, 0));
	uint32_t bg = issue(e, at(9, 3, 0), SVC_B, GREEN, 0);
	login(e, W0, at(9, 0, 0));
	assert_int_equal(call_next(e, W0, at(9, 19, 59)), g);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 19, 59));
	/* 09:20:00: p is due; then B's green (level 2) before A's normal (1) */
	const uint32_t want[3] = {p, bg, n};
	expect_calls(e, W0, at(9, 20, 0), want, 3);
}

/* An appointment not yet due waits as a normal ticket by its issue time:
 * N0 09:00, P1 09:01 (slot 11:00, due 10:50), N2 09:02 -> N0, P1, N2. */
static void test_dispatch_not_due_appointment_as_normal(void **state)
{
	struct engine *e = *state;

	uint32_t n0 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	uint32_t p1 = issue(e, at(9, 1, 0), SVC_A, APPOINTMENT, secs(11, 0, 0));
	uint32_t n2 = issue(e, at(9, 2, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	const uint32_t want[3] = {n0, p1, n2};
	expect_calls(e, W0, at(9, 5, 0), want, 3);
}

/* Two appointments not yet due: P1 09:00 (slot 11:00), N 09:01, P2 09:02
 * (slot 10:00, due 09:50). At 09:05 all three are "the rest": by issue
 * time P1, N, P2. */
static void test_dispatch_not_due_appointments_by_issue_time(void **state)
{
	struct engine *e = *state;

	uint32_t p1 = issue(e, at(9, 0, 0), SVC_A, APPOINTMENT, secs(11, 0, 0));
	uint32_t n = issue(e, at(9, 1, 0), SVC_A, NORMAL, 0);
	uint32_t p2 = issue(e, at(9, 2, 0), SVC_A, APPOINTMENT, secs(10, 0, 0));
	login(e, W0, at(9, 0, 0));
	const uint32_t want[3] = {p1, n, p2};
	expect_calls(e, W0, at(9, 5, 0), want, 3);
}

/* Two due appointments of one service (D, level 1 at window 3): P1 issued
 * 09:00 slot 10:00, P2 issued 09:01 slot 09:50. At 09:55 both are due; the
 * rules after class are level (equal) and the longest wait: P1, then P2. */
static void test_dispatch_due_appointments_by_issue_time(void **state)
{
	struct engine *e = *state;

	uint32_t p1 = issue(e, at(9, 0, 0), SVC_D, APPOINTMENT, secs(10, 0, 0));
	uint32_t p2 = issue(e, at(9, 1, 0), SVC_D, APPOINTMENT, secs(9, 50, 0));
	login(e, W3, at(9, 0, 0));
	const uint32_t want[2] = {p1, p2};
	expect_calls(e, W3, at(9, 55, 0), want, 2);
}

/*
 * A due appointment comes before green also when it was issued after a
 * no-show was re-queued among the appointments. P1 09:00 (slot 09:20), P2
 * 09:01 (slot 10:00), P3 09:02 (slot 10:10). At 09:10 P1 is due and called,
 * does not come, and goes back 2 places: P2 P3 P1. P4 is issued at 09:11
 * (slot 09:40), P1 is cancelled, a green ticket G is issued at 09:12. At
 * 09:30:00 P4 is due, P2 and P3 are not (due 09:50 and 10:00): P4 first.
 */
static void test_dispatch_due_appointment_after_requeue(void **state)
{
	struct engine *e = *state;

	uint32_t p1 = issue(e, at(9, 0, 0), SVC_A, APPOINTMENT, secs(9, 20, 0));
	issue(e, at(9, 1, 0), SVC_A, APPOINTMENT, secs(10, 0, 0));
	issue(e, at(9, 2, 0), SVC_A, APPOINTMENT, secs(10, 10, 0));
	login(e, W0, at(9, 0, 0));
	assert_int_equal(call_next(e, W0, at(9, 10, 0)), p1);
	struct engine_command ns = wcmd(ENGINE_OP_NO_SHOW, W0, at(9, 10, 30));
	assert_int_equal(ok(e, &ns).requeued, 1);
	uint32_t p4 = issue(e, at(9, 11, 0), SVC_A, APPOINTMENT, secs(9, 40, 0));
	struct engine_command c = ticket_cmd(ENGINE_OP_CANCEL, -1, p1, at(9, 11, 30));
	ok(e, &c);
	issue(e, at(9, 12, 0), SVC_A, GREEN, 0);
	const uint32_t want[1] = {p4};
	expect_calls(e, W0, at(9, 30, 0), want, 1);
}

/* Rule 3: window 0 takes A (level 1) before an older B (level 2); window 1
 * the other way round. B1 09:00, A1 09:01, A2 09:02, B2 09:03. */
static void test_dispatch_level_order(void **state)
{
	struct engine *e = *state;

	uint32_t b1 = issue(e, at(9, 0, 0), SVC_B, NORMAL, 0);
	uint32_t a1 = issue(e, at(9, 1, 0), SVC_A, NORMAL, 0);
	uint32_t a2 = issue(e, at(9, 2, 0), SVC_A, NORMAL, 0);
	uint32_t b2 = issue(e, at(9, 3, 0), SVC_B, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	login(e, W1, at(9, 0, 0));
	assert_int_equal(call_next(e, W0, at(9, 5, 0)), a1);
	assert_int_equal(call_next(e, W1, at(9, 5, 0)), b1);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 6, 0));
	wop(e, ENGINE_OP_FINISH, W1, at(9, 6, 0));
	assert_int_equal(call_next(e, W0, at(9, 6, 0)), a2);
	assert_int_equal(call_next(e, W1, at(9, 6, 0)), b2);
}

/* B's target is 20 min. B1 issued 09:00:00; A1 09:10, A2 09:11. At
 * 09:20:00 B1 has waited exactly 20 min (not longer): A1 (level 1) first.
 * At 09:20:01 B1 has waited longer: level 0, before A2. */
static void test_dispatch_overdue_secondary_beats_primary(void **state)
{
	struct engine *e = *state;

	uint32_t b1 = issue(e, at(9, 0, 0), SVC_B, NORMAL, 0);
	uint32_t a1 = issue(e, at(9, 10, 0), SVC_A, NORMAL, 0);
	uint32_t a2 = issue(e, at(9, 11, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	assert_int_equal(call_next(e, W0, at(9, 20, 0)), a1);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 20, 0));
	assert_int_equal(call_next(e, W0, at(9, 20, 1)), b1);
	wop(e, ENGINE_OP_FINISH, W0, at(9, 20, 2));
	assert_int_equal(call_next(e, W0, at(9, 20, 3)), a2);
}

/* Rule 4 at window 2 (C and D both level 1): the earliest issued first,
 * then the lowest id. D1 13:30:00, C1 13:30:30, then D2 and C2 in that
 * order within the second 13:31:00. */
static void test_dispatch_longest_wait_then_lowest_id(void **state)
{
	struct engine *e = *state;

	uint32_t d1 = issue(e, at(13, 30, 0), SVC_D, NORMAL, 0);
	uint32_t c1 = issue(e, at(13, 30, 30), SVC_C, NORMAL, 0);
	uint32_t d2 = issue(e, at(13, 31, 0), SVC_D, NORMAL, 0);
	uint32_t c2 = issue(e, at(13, 31, 0), SVC_C, NORMAL, 0);
	assert_true(d2 < c2);
	login(e, W2, at(13, 30, 0));
	const uint32_t want[4] = {d1, c1, d2, c2};
	expect_calls(e, W2, at(13, 35, 0), want, 4);
}

/* Rule 1 over rule 2: a ticket transferred to window 3 comes before a due
 * appointment and a green ticket (see test_transfer_to_window for the
 * fields); here the transferred ticket is normal and of a level-3 service. */
static void test_dispatch_transferred_to_window_first(void **state)
{
	struct engine *e = *state;

	uint32_t a1 = issue(e, at(9, 0, 0), SVC_A, NORMAL, 0);
	login(e, W0, at(9, 0, 0));
	login(e, W3, at(9, 0, 0));
	assert_int_equal(call_next(e, W0, at(9, 1, 0)), a1);
	uint32_t dg = issue(e, at(9, 1, 0), SVC_D, GREEN, 0);
	uint32_t dp = issue(e, at(9, 1, 30), SVC_D, APPOINTMENT, secs(9, 5, 0));
	struct engine_command x = transfer_cmd(W0, -1, W3, at(9, 2, 0));
	ok(e, &x);
	const uint32_t want[3] = {a1, dp, dg};
	expect_calls(e, W3, at(9, 3, 0), want, 3);
}

int main(void)
{
	build_hall();
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	static const struct CMUnitTest tests[] = {
	    T_(test_issue_numbers_label_find),
	    T_(test_issue_no_such_service),
	    T_(test_issue_bad_argument),
	    T_(test_issue_negative_slot_refused),
	    T_(test_issue_closed_today),
	    T_(test_issue_hall_sessions),
	    T_(test_issue_service_hours),
	    T_(test_issue_quota),
	    T_(test_estimate_standard_minutes),
	    T_(test_estimate_people_ahead_by_class),
	    T_(test_estimate_recent_history),
	    T_(test_estimate_uses_exact_mean),
	    T_(test_estimate_divides_exactly_by_windows),
	    T_(test_estimate_adds_tickets_in_hand),
	    T_(test_no_such_window),
	    T_(test_login),
	    T_(test_logout),
	    T_(test_pause_resume),
	    T_(test_call_next),
	    T_(test_call_next_no_ticket_waiting),
	    T_(test_call_ticket),
	    T_(test_recall),
	    T_(test_no_show_requeue_then_final),
	    T_(test_no_show_requeue_last_when_few),
	    T_(test_start),
	    T_(test_hold_and_call_back),
	    T_(test_call_back_longest_held),
	    T_(test_issue_check),
	    T_(test_hold_time_excluded_from_handling),
	    T_(test_finish),
	    T_(test_transfer_to_service_keeps_issue_time),
	    T_(test_transfer_to_window),
	    T_(test_transfer_to_window_only_that_window),
	    T_(test_transfer_refusals),
	    T_(test_transfer_past_requeued_no_show),
	    T_(test_cancel),
	    T_(test_rate),
	    T_(test_close_day),
	    T_(test_numbering_restarts_next_day),
	    T_(test_bad_command),
	    T_(test_open_day_needs_close),
	    T_(test_dispatch_class_order),
	    T_(test_dispatch_not_due_appointment_as_normal),
	    T_(test_dispatch_not_due_appointments_by_issue_time),
	    T_(test_dispatch_due_appointments_by_issue_time),
	    T_(test_dispatch_due_appointment_after_requeue),
	    T_(test_dispatch_level_order),
	    T_(test_dispatch_overdue_secondary_beats_primary),
	    T_(test_dispatch_longest_wait_then_lowest_id),
	    T_(test_dispatch_transferred_to_window_first),
	};
#undef T_
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
