/*
 * test_booking.c — hostd/core/booking.c: the pure helpers (phone numbers,
 * codes, places, the slot grid, the calendar), and the core's booking
 * rules with a real SQLite file and a fake clock that jumps days: the
 * check-in a kiosk's keypad makes (core_check_in_request with a device
 * mark owes the print of its ticket, a refusal owes none), walk-ins of a
 * service that requires appointments, and the no-show rule at the edges
 * of its window and its block.
 *
 * Expected values are worked out by hand from docs/api.md and
 * docs/config.md; the hall is Asia/Shanghai (no daylight saving).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"

/* ---- a clock the test moves ---- */

struct fake_clock {
	pthread_mutex_t mu;
	struct engine_clock now;
};

static void fake_now(void *arg, struct engine_clock *out)
{
	struct fake_clock *fc = arg;

	pthread_mutex_lock(&fc->mu);
	*out = fc->now;
	pthread_mutex_unlock(&fc->mu);
}

static void set_time(struct fake_clock *fc, int32_t day, int hh, int mm)
{
	pthread_mutex_lock(&fc->mu);
	core_clock_at(core_local_time(day, hh * 60 + mm), &fc->now);
	pthread_mutex_unlock(&fc->mu);
}

/* ---- the hall: company optional (60-minute slots, 2 places), tax
 * required (30-minute slots, 1 place, late check-ins refused) ---- */

static void make_hall(struct engine_hall *h)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->name, "test hall");
	h->hours.workdays = 0x3E; /* mon..fri */
	h->hours.sign_in = (struct engine_period){480, 510};
	h->hours.sessions[0] = (struct engine_period){510, 690};
	h->hours.sessions[1] = (struct engine_period){870, 1050};
	h->hours.n_sessions = 2;
	static const char *const ids[] = {"company", "tax"};
	for (int s = 0; s < 2; s++) {
		strcpy(h->services[s].id, ids[s]);
		strcpy(h->services[s].name, ids[s]);
		h->services[s].prefix[0] = (char)('A' + s);
		h->services[s].standard_min = 10;
		h->services[s].wait_target_min = 30;
	}
	h->services[0].appointment = (struct engine_appointment){
	    .mode = ENGINE_APPOINTMENT_OPTIONAL,
	    .slot_min = 60,
	    .places_per_slot = 2,
	    .days_ahead = 10,
	    .close_before_min = 0,
	    .grace_min = 10,
	};
	h->services[1].appointment = (struct engine_appointment){
	    .mode = ENGINE_APPOINTMENT_REQUIRED,
	    .slot_min = 30,
	    .places_per_slot = 1,
	    .days_ahead = 10,
	    .grace_min = 5,
	    .late = ENGINE_LATE_REFUSE,
	};
	h->n_services = 2;
	h->windows[0].number = 1;
	strcpy(h->windows[0].name, "window 1");
	h->windows[0].services[0] = (struct engine_window_service){0, 1};
	h->windows[0].services[1] = (struct engine_window_service){1, 1};
	h->windows[0].n_services = 2;
	h->n_windows = 1;
	h->queue.appointment_due_before_min = 10;
	h->queue.estimate_recent_tickets = 5;
	strcpy(h->queue.pause_reasons[0], "rest");
	h->queue.n_pause_reasons = 1;
	/* 2 no-shows within 3 days block the number for the 2 days after */
	h->booking.max_per_phone_per_day = 2;
	h->booking.no_show_count = 2;
	h->booking.no_show_within_days = 3;
	h->booking.no_show_block_days = 2;
	h->booking.closed_days[0] = 20261225;
	h->booking.n_closed_days = 1;
}

struct fixture {
	char dir[64], path[96];
	struct engine_hall hall;
	struct fake_clock clock;
	struct store *st;
	struct core *core;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];
	struct core_clock clock = {fake_now, &f->clock};

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	snprintf(f->dir, sizeof(f->dir), "/tmp/hallq-booking-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/hallq.db", f->dir);
	make_hall(&f->hall);
	pthread_mutex_init(&f->clock.mu, NULL);
	set_time(&f->clock, 20261130, 8, 0); /* Monday */
	if (store_open(f->path, &f->st, err, sizeof(err)) != STORE_OK)
		return -1;
	f->core = core_new(&f->hall, f->st, &clock, 64, err, (int)sizeof(err));
	if (!f->core || core_start(f->core) != CORE_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char file[128];
	static const char *const suffixes[] = {"", "-wal", "-shm"};

	core_free(f->core);
	store_close(f->st);
	for (int i = 0; i < 3; i++) {
		snprintf(file, sizeof(file), "%s%s", f->path, suffixes[i]);
		unlink(file);
	}
	rmdir(f->dir);
	pthread_mutex_destroy(&f->clock.mu);
	free(f);
	return 0;
}

static void new_request(struct core_request *req, int op)
{
	memset(req, 0, sizeof(*req));
	req->cmd.window = req->cmd.service = req->cmd.target_window = req->cmd.reason = -1;
	req->cmd.ticket = ENGINE_NO_TICKET;
	req->booking.op = op;
	req->booking.service = -1;
	strcpy(req->source, "test");
}

/* Books service s at local day hh:mm for phone; returns the reply's err
 * (the code into code when booked). */
static int book(struct fixture *f, int s, int32_t day, int hh, int mm, const char *phone,
		const char *key, char *code)
{
	struct core_request req;

	new_request(&req, CORE_BOOKING_BOOK);
	req.booking.service = s;
	req.booking.slot_s = core_local_time(day, hh * 60 + mm);
	snprintf(req.booking.phone, sizeof(req.booking.phone), "%s", phone);
	snprintf(req.booking.key, sizeof(req.booking.key), "%s", key);
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	if (code)
		snprintf(code, STORE_BOOKING_CODE_SIZE, "%s", req.booking.row.code);
	return req.err;
}

/* ---- the pure helpers ---- */

static void test_phones_and_codes(void **state)
{
	char mask[STORE_PHONE_MASK_SIZE];
	(void)state;

	assert_true(core_phone_is_valid("13812345678"));
	assert_true(core_phone_is_valid("19912345678"));
	assert_false(core_phone_is_valid("12812345678")); /* 1 then 2 */
	assert_false(core_phone_is_valid("10012345678"));
	assert_false(core_phone_is_valid("1381234567"));   /* 10 digits */
	assert_false(core_phone_is_valid("138123456789")); /* 12 */
	assert_false(core_phone_is_valid("1381234567a"));
	assert_false(core_phone_is_valid("23812345678"));
	assert_false(core_phone_is_valid(NULL));
	core_phone_mask("13812345678", mask);
	assert_string_equal(mask, "138****5678");

	assert_true(core_booking_code_is_valid("01234567"));
	assert_false(core_booking_code_is_valid("1234567"));
	assert_false(core_booking_code_is_valid("123456789"));
	assert_false(core_booking_code_is_valid("1234567a"));
	assert_false(core_booking_code_is_valid(NULL));
}

static void test_places_and_calendar(void **state)
{
	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	/* places x (100 - share) / 100, rounded down */
	assert_int_equal(core_slot_places(&(struct engine_appointment){.places_per_slot = 8,
								       .walk_in_percent = 25}),
			 6);
	assert_int_equal(core_slot_places(&(struct engine_appointment){.places_per_slot = 5,
								       .walk_in_percent = 30}),
			 3); /* 3.5 */
	assert_int_equal(core_slot_places(&(struct engine_appointment){.places_per_slot = 4}), 4);
	assert_int_equal(core_day_add(20261130, 1), 20261201);
	assert_int_equal(core_day_add(20261231, 1), 20270101);
	assert_int_equal(core_day_add(20240228, 1), 20240229); /* a leap year */
	assert_int_equal(core_day_add(20260301, -1), 20260228);
	assert_int_equal(core_day_add(20261130, -30), 20261031);
	/* 2026-11-30 09:30 +08:00 = 01:30 UTC = 1795998600 + 3600 */
	assert_int_equal(core_local_time(20261130, 9 * 60 + 30), 1796002200);
}

static void test_slot_grid(void **state)
{
	struct engine_hall h;
	struct core_slot slots[CORE_MAX_SLOTS];
	int32_t days[16];
	(void)state;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	make_hall(&h);
	h.services[0].appointment.slot_min = 50;
	h.services[0].appointment.close_before_min = 30;
	int64_t now = core_local_time(20261130, 8 * 60); /* Monday 08:00 */
	/* 180 minutes a session: 3 slots of 50 from each start, 30 minutes left */
	int n = core_slots(&h, 0, 20261130, now, 20261130, slots);
	assert_int_equal(n, 6);
	static const int starts[] = {510, 560, 610, 870, 920, 970};
	for (int k = 0; k < n; k++) {
		assert_int_equal(slots[k].start_min, starts[k]);
		assert_int_equal(slots[k].end_min, starts[k] + 50);
		assert_int_equal(slots[k].start_s, core_local_time(20261130, starts[k]));
		assert_int_equal(slots[k].places, 2);
		/* 08:30 closes 30 minutes before, at 08:00: now */
		assert_int_equal(slots[k].open, k > 0);
	}
	assert_int_equal(core_slots(&h, 0, 20261205, now, 20261130, slots), 0); /* Saturday */
	assert_int_equal(core_slots(&h, 0, 20261225, now, 20261130, slots), 0); /* closed */
	/* 11 days ahead: the slots, none open */
	n = core_slots(&h, 0, 20261211, now, 20261130, slots);
	assert_int_equal(n, 6);
	for (int k = 0; k < n; k++)
		assert_false(slots[k].open);
	assert_int_equal(core_slots(&h, 0, 20261210, now, 20261130, slots), 6);
	assert_true(slots[0].open); /* 10 days ahead */
	/* the days from Friday 12-04, 3 ahead: the weekend skipped */
	h.services[0].appointment.days_ahead = 3;
	n = core_booking_days(&h, 0, 20261204, days, 16);
	assert_int_equal(n, 2);
	assert_int_equal(days[0], 20261204);
	assert_int_equal(days[1], 20261207);
	h.services[0].appointment.mode = ENGINE_APPOINTMENT_NONE;
	assert_int_equal(core_slots(&h, 0, 20261130, now, 20261130, slots), 0);
	assert_int_equal(core_booking_days(&h, 0, 20261130, days, 16), 0);
}

/* ---- the core ---- */

static int collect_print(void *arg, const struct store_print *p)
{
	struct store_print *out = arg;

	if (!out->device[0])
		*out = *p;
	return 0;
}

/* A kiosk's keypad check-in: the device's event and the print owed go in
 * the transaction of the check-in's ticket; a refusal owes no print. */
static void test_check_in_from_a_kiosk(void **state)
{
	struct fixture *f = *state;
	struct core_request req;
	struct store_print owed = {0};
	char code[STORE_BOOKING_CODE_SIZE];

	assert_int_equal(book(f, 0, 20261130, 9, 30, "13900000001", "key-kiosk-1", code), CORE_OK);
	set_time(&f->clock, 20261130, 9, 0);
	core_check_in_request(&req, strcmp(code, "00000000") ? "00000000" : "00000001", "kiosk-1");
	req.device.set = true;
	strcpy(req.device.row.id, "kiosk-1");
	req.device.row.boot = 7;
	req.device.row.seq = 1;
	req.device.owe_print = 0x8001;
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, CORE_REFUSE_NOT_FOUND);
	assert_int_equal(store_prints(f->st, collect_print, &owed), STORE_OK);
	assert_string_equal(owed.device, ""); /* refused: no print */

	core_check_in_request(&req, code, "kiosk-1");
	req.device.set = true;
	strcpy(req.device.row.id, "kiosk-1");
	req.device.row.boot = 7;
	req.device.row.seq = 2;
	req.device.owe_print = 0x8002;
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, ENGINE_OK);
	assert_int_equal(req.cmd.op, ENGINE_OP_ISSUE);
	assert_int_equal(req.ticket.cls, ENGINE_CLASS_APPOINTMENT);
	assert_int_equal(req.ticket.slot_s, core_local_time(20261130, 570));
	char label[8];
	assert_string_equal(engine_ticket_label(&req.ticket, label), "A001");
	assert_string_equal(req.booking.row.ticket, "A001");
	assert_int_equal(req.booking.row.state, STORE_BOOKING_CHECKED_IN);
	assert_string_equal(req.booking.row.check_in_source, "kiosk-1");
	assert_string_equal(req.print.ticket, "A001");
	assert_int_equal(store_prints(f->st, collect_print, &owed), STORE_OK);
	assert_string_equal(owed.device, "kiosk-1");
	assert_int_equal(owed.seq, 0x8002);
	assert_string_equal(owed.ticket, "A001");

	/* the same code again: refused, naming its ticket */
	assert_int_equal(core_check_in(f->core, code, "kiosk-1", &req), CORE_OK);
	assert_int_equal(req.err, CORE_REFUSE_ALREADY_CHECKED_IN);
	assert_string_equal(req.booking.row.ticket, "A001");
	assert_string_equal(core_error_name(req.err), "ALREADY_CHECKED_IN");
}

/* tax requires appointments: no walk-in, the view says so; a booking of
 * it checked in after its 5 minutes' grace is refused (late: refuse). */
static void test_required_and_late(void **state)
{
	struct fixture *f = *state;
	struct core_request req;
	struct core_view *v = malloc(sizeof(*v));
	char code[STORE_BOOKING_CODE_SIZE];

	assert_int_equal(book(f, 1, 20261130, 9, 0, "13900000002", "key-tax-1", code), CORE_OK);
	set_time(&f->clock, 20261130, 9, 6);
	memset(&req, 0, sizeof(req));
	req.cmd.op = ENGINE_OP_ISSUE;
	req.cmd.service = 1;
	req.cmd.window = req.cmd.target_window = req.cmd.reason = -1;
	req.cmd.ticket = ENGINE_NO_TICKET;
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, CORE_REFUSE_APPOINTMENT_REQUIRED);
	core_view(f->core, v);
	assert_int_equal(v->services[1].issue_err, CORE_REFUSE_APPOINTMENT_REQUIRED);
	assert_int_equal(v->services[0].issue_err, ENGINE_OK);
	free(v);
	/* 09:06 is past 09:00 + 5 minutes */
	assert_int_equal(core_check_in(f->core, code, "kiosk-1", &req), CORE_OK);
	assert_int_equal(req.err, CORE_REFUSE_TOO_LATE);
	assert_string_equal(core_error_name(req.err), "CHECK_IN_TOO_LATE");
}

/* K = 2 no-shows within N = 3 days block for D = 2 days after the
 * second. Z misses Mon 11-30 and Wed 12-02 (both in the 3 days ending
 * 12-02): blocked through Fri 12-04. Y misses Mon 11-30 and Thu 12-03
 * (4 days apart): never blocked. */
static void test_no_show_rule(void **state)
{
	struct fixture *f = *state;
	static const char Z[] = "13900000003", Y[] = "13900000004", X[] = "13900000005";
	struct core_request req;
	char z1[STORE_BOOKING_CODE_SIZE], y2[STORE_BOOKING_CODE_SIZE];

	/* Monday 08:00 */
	assert_int_equal(book(f, 0, 20261130, 9, 30, Z, "z-1", z1), CORE_OK);
	assert_int_equal(book(f, 0, 20261202, 9, 30, Z, "z-2", NULL), CORE_OK);
	assert_int_equal(book(f, 0, 20261130, 9, 30, Y, "y-1", NULL), CORE_OK);
	assert_int_equal(book(f, 0, 20261203, 9, 30, Y, "y-2", y2), CORE_OK);
	/* Monday 09:30 has its 2 places taken */
	assert_int_equal(book(f, 0, 20261130, 9, 30, X, "x-1", NULL), CORE_REFUSE_SLOT_FULL);

	/* Thursday: Monday to Wednesday closed; Z's 2 no-shows block it */
	set_time(&f->clock, 20261203, 8, 0);
	new_request(&req, CORE_BOOKING_BOOK);
	req.booking.service = 0;
	req.booking.slot_s = core_local_time(20261208, 570);
	strcpy(req.booking.phone, Z);
	strcpy(req.booking.key, "z-3");
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, CORE_REFUSE_PHONE_BLOCKED);
	assert_int_equal(req.booking.blocked_until, 20261204);
	new_request(&req, CORE_BOOKING_GET);
	strcpy(req.booking.code, z1);
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, CORE_OK);
	assert_int_equal(req.booking.row.state, STORE_BOOKING_NO_SHOW);
	new_request(&req, CORE_BOOKING_GET);
	strcpy(req.booking.code, y2);
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.booking.row.state, STORE_BOOKING_BOOKED); /* today's */
	assert_int_equal(book(f, 0, 20261208, 9, 30, Y, "y-3", NULL), CORE_OK);

	/* Friday: Y's second no-show is 4 days after its first: not blocked;
	 * Z is, through today */
	set_time(&f->clock, 20261204, 8, 0);
	assert_int_equal(book(f, 0, 20261209, 9, 30, Y, "y-4", NULL), CORE_OK);
	assert_int_equal(book(f, 0, 20261209, 9, 30, Z, "z-4", NULL), CORE_REFUSE_PHONE_BLOCKED);
	/* Monday 12-07: the block is over */
	set_time(&f->clock, 20261207, 8, 0);
	assert_int_equal(book(f, 0, 20261209, 10, 30, Z, "z-5", NULL), CORE_OK);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_phones_and_codes),
	    cmocka_unit_test(test_places_and_calendar),
	    cmocka_unit_test(test_slot_grid),
	    cmocka_unit_test_setup_teardown(test_check_in_from_a_kiosk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_required_and_late, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_show_rule, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
