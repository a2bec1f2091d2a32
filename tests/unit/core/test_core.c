/*
 * test_core.c — hostd/core/core.c with a real SQLite file and a fake clock:
 * replies come after the commit, a restart restores the same state, many
 * threads posting at once lose and repeat nothing, a full queue answers
 * BUSY, the day rolls over (waiting tickets expire, numbers restart), and a
 * failed commit leaves no trace of its batch.
 *
 * Expected figures are counted by hand from the commands each test sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "core/core.h"

/* ---- a fake clock that a test can move and can stall ---- */

struct fake_clock {
	pthread_mutex_t mu;
	struct engine_clock now;
	int stall;     /* when set, now() waits on gate once */
	sem_t entered; /* posted when now() starts waiting */
	sem_t gate;
};

static void fake_now(void *arg, struct engine_clock *out)
{
	struct fake_clock *fc = arg;

	pthread_mutex_lock(&fc->mu);
	int stall = fc->stall;
	fc->stall = 0;
	pthread_mutex_unlock(&fc->mu);
	if (stall) {
		sem_post(&fc->entered);
		sem_wait(&fc->gate);
	}
	pthread_mutex_lock(&fc->mu);
	*out = fc->now;
	pthread_mutex_unlock(&fc->mu);
}

/* 2026-11-30 was a Monday. */
static void set_time(struct fake_clock *fc, int32_t day, int wday, int hh, int mm)
{
	pthread_mutex_lock(&fc->mu);
	fc->now.day = day;
	fc->now.wday = (int8_t)wday;
	fc->now.minute = (int16_t)(hh * 60 + mm);
	fc->now.now_s = 1796000000 + (int64_t)(day - 20261130) * 86400 + (hh * 60 + mm) * 60;
	pthread_mutex_unlock(&fc->mu);
}

/* ---- a small hall ---- */

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
	h->n_services = 2;
	for (int w = 0; w < 3; w++) {
		h->windows[w].number = w + 1;
		snprintf(h->windows[w].name, sizeof(h->windows[w].name), "window %d", w + 1);
		h->windows[w].services[0] = (struct engine_window_service){w % 2, 1};
		h->windows[w].n_services = 1;
	}
	h->n_windows = 3;
	h->queue.no_show_requeue_max = 1;
	h->queue.no_show_requeue_places = 2;
	h->queue.appointment_due_before_min = 10;
	h->queue.estimate_recent_tickets = 5;
	strcpy(h->queue.pause_reasons[0], "rest");
	h->queue.n_pause_reasons = 1;
}

struct fixture {
	char dir[64], path[96];
	struct engine_hall hall;
	struct fake_clock clock;
	struct store *st;
	struct core *core;
};

static struct core *open_core(struct fixture *f, int capacity)
{
	char err[256];
	struct core_clock clock = {fake_now, &f->clock};

	if (!f->st)
		assert_int_equal(store_open(f->path, &f->st, err, sizeof(err)), STORE_OK);
	f->core = core_new(&f->hall, f->st, &clock, capacity, err, (int)sizeof(err));
	if (!f->core)
		fail_msg("core_new: %s", err);
	assert_int_equal(core_start(f->core), CORE_OK);
	return f->core;
}

static void close_core(struct fixture *f)
{
	core_free(f->core);
	f->core = NULL;
	store_close(f->st);
	f->st = NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/hallq-core-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/hallq.db", f->dir);
	make_hall(&f->hall);
	pthread_mutex_init(&f->clock.mu, NULL);
	sem_init(&f->clock.entered, 0, 0);
	sem_init(&f->clock.gate, 0, 0);
	set_time(&f->clock, 20261130, 1, 9, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	close_core(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int call(struct fixture *f, enum engine_op op, int window, int service,
		struct core_request *req)
{
	memset(req, 0, sizeof(*req));
	req->cmd.op = op;
	req->cmd.window = window;
	req->cmd.service = service;
	req->cmd.target_window = -1;
	req->cmd.reason = -1;
	req->cmd.ticket = ENGINE_NO_TICKET;
	strcpy(req->cmd.staff, "staff-1");
	strcpy(req->source, "test");
	assert_int_equal(core_call(f->core, req), CORE_OK);
	return req->err;
}

/* SELECT of one integer from the database file, through its own handle. */
static int db_int(struct fixture *f, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int value = -1;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		value = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return value;
}

/* ---- tests ---- */

static void test_reply_after_commit(void **state)
{
	struct fixture *f = *state;
	struct core_request req;
	char label[8];

	open_core(f, 16);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 1, &req), ENGINE_OK);
	assert_string_equal(engine_ticket_label(&req.ticket, label), "B001");
	assert_int_equal(req.res.people_ahead, 0);
	/* The reply came: the event and the ticket are in the file already,
	 * as another connection sees it. */
	assert_int_equal(db_int(f, "SELECT count(*) FROM events WHERE op = 'issue'"
				   " AND ticket = 'B001' AND service = 'tax'"),
			 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM tickets WHERE ticket = 'B001'"
				   " AND state = 'waiting' AND day = 20261130"),
			 1);
	/* A refusal is answered and journals nothing. */
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 0, -1, &req),
			 ENGINE_ERR_WINDOW_NOT_LOGGED_IN);
	assert_int_equal(db_int(f, "SELECT count(*) FROM events"), 1);
}

/*
 * A device's event is recorded with its command: an ISSUE from a kiosk
 * owes the kiosk a print (seq 0x8000 | 7) with the people ahead and wait
 * it was told; a refused ISSUE records the seq and owes nothing; the
 * print's end, with no engine command, deletes what was owed.
 */
static void test_device_marks(void **state)
{
	struct fixture *f = *state;
	struct core_request req;

	open_core(f, 16);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK); /* A001 */
	memset(&req, 0, sizeof(req));
	req.cmd.op = ENGINE_OP_ISSUE;
	req.cmd.service = 0;
	req.cmd.target_window = -1;
	strcpy(req.source, "kiosk-1");
	req.device.set = true;
	strcpy(req.device.row.id, "kiosk-1");
	req.device.row.boot = 0x1a2b;
	req.device.row.seq = 7;
	req.device.owe_print = 0x8007;
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, ENGINE_OK);
	assert_string_equal(req.print.ticket, "A002");
	assert_int_equal(req.print.seq, 0x8007);
	assert_int_equal(req.print.boot, 0x1a2b);
	assert_int_equal(req.print.day, 20261130);
	assert_int_equal(req.print.people_ahead, 1); /* A001 waits */
	/* one ahead, 10 min standard, no window open: ceil(1 x 10 / 1) */
	assert_int_equal(req.print.wait_min, 10);
	assert_int_equal(db_int(f, "SELECT seq FROM devices WHERE id = 'kiosk-1' AND boot = 6699"),
			 7);
	assert_int_equal(db_int(f, "SELECT count(*) FROM prints WHERE device = 'kiosk-1' AND "
				   "seq = 32775 AND ticket = 'A002' AND people_ahead = 1"),
			 1);

	/* The print ended: no engine command, the owed row goes. */
	struct core_request done;
	memset(&done, 0, sizeof(done));
	done.cmd.op = CORE_OP_NONE;
	strcpy(done.device.row.id, "kiosk-1");
	done.device.print_done = 0x8007;
	assert_int_equal(core_call(f->core, &done), CORE_OK);
	assert_int_equal(done.err, CORE_OK);
	assert_int_equal(db_int(f, "SELECT count(*) FROM prints"), 0);
	assert_int_equal(db_int(f, "SELECT seq FROM devices WHERE id = 'kiosk-1'"), 7);

	/* Another print owed on Monday... */
	req.device.row.seq = 8;
	req.device.owe_print = 0x8008;
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, ENGINE_OK);
	assert_string_equal(req.print.ticket, "A003");
	assert_int_equal(db_int(f, "SELECT count(*) FROM prints"), 1);

	/* ...and Saturday: refused, the seq is recorded all the same, nothing
	 * owed; the new day forgets Monday's print (a ticket of another day). */
	set_time(&f->clock, 20261205, 6, 9, 0);
	req.device.row.seq = 9;
	req.device.owe_print = 0x8009;
	memset(&req.print, 0, sizeof(req.print));
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, ENGINE_ERR_CLOSED_TODAY);
	assert_string_equal(req.print.ticket, "");
	assert_int_equal(db_int(f, "SELECT seq FROM devices WHERE id = 'kiosk-1'"), 9);
	assert_int_equal(db_int(f, "SELECT count(*) FROM prints"), 0);
	/* print_done journalled no event of its own: the first issue, the
	 * kiosk's two issues, and the day's close */
	assert_int_equal(db_int(f, "SELECT count(*) FROM events"), 4);
}

/*
 * The view other threads read: waiting counts, what ISSUE would say now,
 * the window's current ticket.
 */
static void test_view(void **state)
{
	struct fixture *f = *state;
	struct core_request req;
	struct core_view *v = malloc(sizeof(*v));

	open_core(f, 16);
	core_view(f->core, v);
	assert_int_equal(v->n_services, 2);
	assert_int_equal(v->services[0].issue_err, ENGINE_OK); /* Monday 09:00 */
	uint64_t version = v->version;
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_LOGIN, 0, -1, &req), ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 0, -1, &req), ENGINE_OK);
	core_view(f->core, v);
	assert_true(v->version > version);
	assert_int_equal(v->services[0].waiting, 1);
	assert_int_equal(v->services[0].issued, 2);
	assert_int_equal(v->windows[0].state, ENGINE_WINDOW_CALLED);
	assert_string_equal(v->windows[0].label, "A001");
	assert_int_equal(v->windows[0].waiting, 1);
	assert_string_equal(v->windows[0].staff, "staff-1");
	assert_int_equal(v->windows[1].state, ENGINE_WINDOW_LOGGED_OUT);
	/* 11:30 closes the morning session: the view follows the clock alone */
	set_time(&f->clock, 20261130, 1, 11, 31);
	for (int i = 0; i < 50; i++) {
		core_view(f->core, v);
		if (v->services[0].issue_err == ENGINE_ERR_OUTSIDE_HOURS)
			break;
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	}
	assert_int_equal(v->services[0].issue_err, ENGINE_ERR_OUTSIDE_HOURS);
	free(v);
}

static void test_restart_restores_the_day(void **state)
{
	struct fixture *f = *state;
	struct core_request req;

	open_core(f, 16);
	for (int i = 0; i < 5; i++)
		assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_LOGIN, 0, -1, &req), ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_LOGIN, 2, -1, &req), ENGINE_OK);
	set_time(&f->clock, 20261130, 1, 9, 5);
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 0, -1, &req), ENGINE_OK); /* A001 */
	assert_int_equal(call(f, ENGINE_OP_START, 0, -1, &req), ENGINE_OK);
	set_time(&f->clock, 20261130, 1, 9, 17);
	assert_int_equal(call(f, ENGINE_OP_FINISH, 0, -1, &req), ENGINE_OK);
	memset(&req, 0, sizeof(req));
	req.cmd.op = ENGINE_OP_RATE;
	req.cmd.ticket = 0;
	req.cmd.rating = ENGINE_RATING_SATISFIED;
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 2, -1, &req), ENGINE_OK); /* A002 */
	assert_int_equal(call(f, ENGINE_OP_NO_SHOW, 2, -1, &req), ENGINE_OK);   /* requeued */
	assert_true(req.res.requeued);
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 2, -1, &req), ENGINE_OK); /* A003 */

	core_stop(f->core);
	uint64_t before = engine_digest(core_engine(f->core));
	close_core(f);

	open_core(f, 16);
	core_stop(f->core);
	const struct engine *e = core_engine(f->core);
	assert_null(engine_check(e));
	assert_true(engine_digest(e) == before);
	assert_int_equal(engine_ticket_count(e), 5);
	/* By hand: A001 finished and rated; A002 no-show, requeued with two
	 * ahead of it (A003 A004 A002 A005); A003 then called at window 3;
	 * A004, A002, A005 waiting. */
	assert_int_equal(engine_ticket(e, 0)->state, ENGINE_TICKET_FINISHED);
	assert_int_equal(engine_ticket(e, 0)->rating, ENGINE_RATING_SATISFIED);
	assert_int_equal(engine_handling_s(engine_ticket(e, 0)), 12 * 60);
	assert_int_equal(engine_ticket(e, 1)->state, ENGINE_TICKET_WAITING);
	assert_int_equal(engine_ticket(e, 2)->state, ENGINE_TICKET_CALLED);
	assert_int_equal(engine_window(e, 2)->current, 2);
	assert_int_equal(engine_waiting_count(e, 0), 3);
}

struct poster {
	struct fixture *f;
	int n, ok;
	char labels[200][8];
};

static void *post_issues(void *arg)
{
	struct poster *p = arg;

	for (int i = 0; i < p->n; i++) {
		struct core_request req = {0};
		req.cmd.op = ENGINE_OP_ISSUE;
		req.cmd.service = i % 2;
		req.cmd.window = req.cmd.target_window = -1;
		if (core_call(p->f->core, &req) == CORE_OK && req.err == ENGINE_OK)
			engine_ticket_label(&req.ticket, p->labels[p->ok++]);
	}
	return NULL;
}

static void test_concurrent_posters(void **state)
{
	struct fixture *f = *state;
	enum { THREADS = 6, EACH = 100 };
	struct poster posters[THREADS];
	pthread_t threads[THREADS];

	open_core(f, 64);
	for (int i = 0; i < THREADS; i++) {
		posters[i] = (struct poster){.f = f, .n = EACH};
		pthread_create(&threads[i], NULL, post_issues, &posters[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);

	/* 600 issues, 300 per service: A001..A300 and B001..B300, each once. */
	int seen[2][301] = {{0}};
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(posters[i].ok, EACH);
		for (int k = 0; k < posters[i].ok; k++) {
			int number = atoi(posters[i].labels[k] + 1);
			assert_in_range(number, 1, 300);
			seen[posters[i].labels[k][0] - 'A'][number]++;
		}
	}
	for (int s = 0; s < 2; s++)
		for (int n = 1; n <= 300; n++)
			assert_int_equal(seen[s][n], 1);
	struct core_stats stats = core_stats(f->core);
	assert_int_equal(stats.requests, THREADS * EACH);
	assert_true(stats.batches >= 1 && stats.batches <= stats.requests);
	assert_int_equal(db_int(f, "SELECT count(*) FROM tickets"), 600);
	assert_int_equal(db_int(f, "SELECT count(DISTINCT ticket) FROM events"), 600);
}

struct one_post {
	struct core *core;
	struct core_request req;
	int rc;
};

static void *post_one(void *arg)
{
	struct one_post *p = arg;

	p->req.cmd.op = ENGINE_OP_ISSUE;
	p->req.cmd.service = 0;
	p->rc = core_call(p->core, &p->req);
	return NULL;
}

static void test_full_queue_answers_busy(void **state)
{
	struct fixture *f = *state;
	struct one_post first = {0}, second = {0};
	struct core_request third = {0};
	pthread_t t1, t2;

	open_core(f, 1);
	first.core = second.core = f->core;
	/* The core takes `first` and stalls reading the clock... */
	f->clock.stall = 1;
	pthread_create(&t1, NULL, post_one, &first);
	sem_wait(&f->clock.entered);
	/* ...so `second` fills the one place in the queue... */
	pthread_create(&t2, NULL, post_one, &second);
	while (core_stats(f->core).pending == 0)
		sched_yield();
	/* ...and a third finds it full. */
	third.cmd.op = ENGINE_OP_ISSUE;
	assert_int_equal(core_call(f->core, &third), CORE_ERR_BUSY);
	sem_post(&f->clock.gate);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(first.rc, CORE_OK);
	assert_int_equal(second.rc, CORE_OK);
	assert_int_equal(first.req.err, ENGINE_OK);
	assert_int_equal(second.req.err, ENGINE_OK);
	assert_int_equal(db_int(f, "SELECT count(*) FROM tickets"), 2);
}

static void test_day_rollover(void **state)
{
	struct fixture *f = *state;
	struct core_request req;
	char label[8];

	open_core(f, 16);
	for (int i = 0; i < 3; i++)
		assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_LOGIN, 0, -1, &req), ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 0, -1, &req), ENGINE_OK);
	set_time(&f->clock, 20261130, 1, 9, 7);
	assert_int_equal(call(f, ENGINE_OP_FINISH, 0, -1, &req), ENGINE_OK);    /* A001: 7 min */
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 0, -1, &req), ENGINE_OK); /* A002 */

	set_time(&f->clock, 20261201, 2, 8, 40); /* Tuesday */
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_string_equal(engine_ticket_label(&req.ticket, label), "A001");
	assert_int_equal(db_int(f, "SELECT count(*) FROM tickets WHERE day = 20261130"
				   " AND state = 'expired'"),
			 2);
	assert_int_equal(db_int(f, "SELECT handling_s FROM tickets WHERE day = 20261130"
				   " AND ticket = 'A001'"),
			 7 * 60);
	/* Estimates: one ticket ahead, mean handling 7 min, no window open. */
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK); /* A002 */
	assert_int_equal(req.res.people_ahead, 1);
	assert_int_equal(req.res.estimated_wait_min, 7);
	assert_int_equal(db_int(f, "SELECT count(*) FROM events WHERE op = 'close_day'"
				   " AND day = 20261130"),
			 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM windows WHERE state = 'logged_out'"
				   " AND day = 20261130"),
			 3);
	/* After a restart the new day is the one restored, with the handling
	 * time of yesterday's finished ticket in its estimates. */
	core_stop(f->core);
	uint64_t before = engine_digest(core_engine(f->core));
	close_core(f);
	open_core(f, 16);
	assert_true(engine_digest(core_engine(f->core)) == before);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_string_equal(engine_ticket_label(&req.ticket, label), "A003");
}

/* Observers told of the store's changes (req NULL): failing or not. */
struct store_seen {
	pthread_mutex_t mu;
	int n;
	bool failing[8];
	int error[8];
};

static void observe_store(void *arg, const struct core_change *ch)
{
	struct store_seen *s = arg;

	if (ch->req)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->n < 8) {
		s->failing[s->n] = ch->view->store_failing;
		s->error[s->n] = ch->view->store_error;
		s->n++;
	}
	pthread_mutex_unlock(&s->mu);
}

/* Polls the view (50 ms steps, at most 10 s) until store_failing is want. */
static bool wait_failing(struct fixture *f, struct core_view *v, bool want)
{
	core_view(f->core, v);
	for (int i = 0; i < 200 && v->store_failing != want; i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		core_view(f->core, v);
	}
	return v->store_failing == want;
}

/*
 * Another process holds the write lock: the batch that cannot commit
 * leaves no trace in the engine (the issue it took is gone from it), the
 * view says why (kiosks show 暂停取号), requests meanwhile are refused,
 * queries are still answered, and once the lock goes the core's own check
 * write ends it without any request: numbering goes on, and the engine
 * agrees with the store after a restart.
 */
static void test_failed_commit_leaves_no_trace(void **state)
{
	struct fixture *f = *state;
	struct core_request req;
	struct store_seen seen = {.n = 0};
	sqlite3 *other = NULL;
	char label[8], err[256];
	struct core_clock clock = {fake_now, &f->clock};

	pthread_mutex_init(&seen.mu, NULL);
	assert_int_equal(store_open(f->path, &f->st, err, sizeof(err)), STORE_OK);
	store_set_busy_timeout(f->st, 50);
	f->core = core_new(&f->hall, f->st, &clock, 16, err, (int)sizeof(err));
	assert_non_null(f->core);
	assert_int_equal(core_observe(f->core, observe_store, &seen), 0);
	assert_int_equal(core_start(f->core), CORE_OK);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK); /* A001 */
	uint32_t a001 = req.res.ticket;

	/* Another process holds the write lock: the core cannot commit. */
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	struct core_view *v = malloc(sizeof(*v));
	assert_non_null(v);
	core_view(f->core, v);
	assert_false(v->store_failing);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), CORE_ERR_STORE);
	/* The view says so, and why: kiosks stop offering tickets. */
	core_view(f->core, v);
	assert_true(v->store_failing);
	assert_int_equal(v->store_error, STORE_ERR_BUSY);
	assert_int_equal(v->services[0].waiting, 1); /* the refused issue is not in it */
	/* Meanwhile: writes refused, questions answered. */
	assert_int_equal(call(f, ENGINE_OP_LOGIN, 0, -1, &req), CORE_ERR_STORE);
	memset(&req, 0, sizeof(req));
	req.query = true;
	req.cmd.ticket = a001;
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, ENGINE_OK);
	assert_string_equal(engine_ticket_label(&req.ticket, label), "A001");
	assert_int_equal(req.res.people_ahead, 0);
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);

	/* No request comes: the core's own check write sees the lock gone. */
	assert_true(wait_failing(f, v, false));
	assert_int_equal(v->store_error, STORE_OK);
	assert_true(db_int(f, "SELECT count(*) FROM meta WHERE key = 'write_checked_at'") == 1);
	pthread_mutex_lock(&seen.mu);
	assert_int_equal(seen.n, 2);
	assert_true(seen.failing[0]);
	assert_int_equal(seen.error[0], STORE_ERR_BUSY);
	assert_false(seen.failing[1]);
	pthread_mutex_unlock(&seen.mu);

	/* Nothing of the failed issue remains: the next number is A002. */
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_string_equal(engine_ticket_label(&req.ticket, label), "A002");
	assert_int_equal(db_int(f, "SELECT count(*) FROM tickets"), 2);
	assert_int_equal(db_int(f, "SELECT count(*) FROM events"), 2);

	/* Failing again, then a request that comes after CORE_STORE_RETRY_MS
	 * is tried for real and ends it. */
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(call(f, ENGINE_OP_LOGIN, 0, -1, &req), CORE_ERR_STORE);
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	int err_code = CORE_ERR_STORE;
	for (int i = 0; i < 100 && err_code == CORE_ERR_STORE; i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		err_code = call(f, ENGINE_OP_LOGIN, 0, -1, &req);
	}
	assert_int_equal(err_code, ENGINE_OK);
	core_view(f->core, v);
	assert_false(v->store_failing);
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 0, -1, &req), ENGINE_OK);
	assert_string_equal(engine_ticket_label(&req.ticket, label), "A001");

	/* The engine and the store agree: a restart rebuilds the same state. */
	core_stop(f->core);
	uint64_t before = engine_digest(core_engine(f->core));
	close_core(f);
	open_core(f, 16);
	assert_true(engine_digest(core_engine(f->core)) == before);
	free(v);
	pthread_mutex_destroy(&seen.mu);
}

/* A clock stepped back, within the day or past midnight, never makes the
 * journal go back in time: the day restores, numbering goes on. */
static void test_clock_steps_back(void **state)
{
	struct fixture *f = *state;
	struct core_request req;
	char label[8];

	set_time(&f->clock, 20261201, 2, 9, 5);
	open_core(f, 16);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK); /* A001 09:05 */
	assert_int_equal(call(f, ENGINE_OP_LOGIN, 0, -1, &req), ENGINE_OK);
	set_time(&f->clock, 20261201, 2, 9, 0); /* five minutes back */
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 0, -1, &req), ENGINE_OK);
	assert_true(req.ticket.first_called_s >= req.ticket.issued_s);
	set_time(&f->clock, 20261130, 1, 23, 59); /* back past midnight */
	assert_int_equal(call(f, ENGINE_OP_FINISH, 0, -1, &req), ENGINE_OK);
	set_time(&f->clock, 20261201, 2, 9, 30);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_string_equal(engine_ticket_label(&req.ticket, label), "A002");
	assert_int_equal(db_int(f, "SELECT count(*) FROM events WHERE op = 'close_day'"), 0);

	core_stop(f->core);
	uint64_t before = engine_digest(core_engine(f->core));
	close_core(f);
	open_core(f, 16);
	assert_null(engine_check(core_engine(f->core)));
	assert_true(engine_digest(core_engine(f->core)) == before);
}

/* Hours shortened after tickets were issued: the restart still gives every
 * ticket back its number, and only new issues follow the new hours. */
static void test_replay_after_hours_change(void **state)
{
	struct fixture *f = *state;
	struct core_request req;

	open_core(f, 16); /* Monday 09:00 */
	for (int i = 0; i < 3; i++)
		assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	close_core(f);

	f->hall.hours.sessions[0] = (struct engine_period){600, 690}; /* from 10:00 */
	open_core(f, 16);
	const struct engine *e = core_engine(f->core);
	assert_int_equal(engine_ticket_count(e), 3);
	assert_int_equal(engine_find_label(e, "A003"), 2);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_ERR_OUTSIDE_HOURS);
	memset(&req, 0, sizeof(req));
	req.cmd.op = ENGINE_OP_CANCEL;
	req.cmd.ticket = 1; /* A002 */
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, ENGINE_OK);
	assert_int_equal(db_int(f, "SELECT count(*) FROM tickets WHERE ticket = 'A002'"
				   " AND state = 'cancelled'"),
			 1);
}

static void test_stopped_core_refuses(void **state)
{
	struct fixture *f = *state;
	struct core_request req = {.cmd = {.op = ENGINE_OP_ISSUE}};

	open_core(f, 16);
	core_stop(f->core);
	assert_int_equal(core_call(f->core, &req), CORE_ERR_STOPPED);
}

/* Ticket status tokens: 4 hex digits of the id, 12 of the keyed hash;
 * the same key after a restart; a forged digit, another day or garbage
 * names no ticket. */
static void test_ticket_token(void **state)
{
	struct fixture *f = *state;
	char t0[CORE_TOKEN_SIZE], t1[CORE_TOKEN_SIZE], again[CORE_TOKEN_SIZE];

	open_core(f, 16);
	core_ticket_token(f->core, 20261130, 0, t0);
	core_ticket_token(f->core, 20261130, 1, t1);
	assert_int_equal(strlen(t0), 16);
	assert_memory_equal(t0, "0000", 4);
	assert_memory_equal(t1, "0001", 4);
	assert_true(strcmp(t0 + 4, t1 + 4) != 0);
	for (int k = 0; k < 16; k++)
		assert_non_null(strchr("0123456789abcdef", t0[k]));
	assert_int_equal(core_token_ticket(f->core, 20261130, t1), 1);
	assert_int_equal(core_token_ticket(f->core, 20261201, t1), ENGINE_NO_TICKET);
	char forged[CORE_TOKEN_SIZE];
	memcpy(forged, t1, sizeof(forged));
	forged[15] = forged[15] == '0' ? '1' : '0';
	assert_int_equal(core_token_ticket(f->core, 20261130, forged), ENGINE_NO_TICKET);
	memcpy(forged, t1, sizeof(forged));
	forged[3] = '2'; /* the id of another ticket with this one's hash */
	assert_int_equal(core_token_ticket(f->core, 20261130, forged), ENGINE_NO_TICKET);
	assert_int_equal(core_token_ticket(f->core, 20261130, "0001"), ENGINE_NO_TICKET);
	assert_int_equal(core_token_ticket(f->core, 20261130, "0001XYZ012345678"),
			 ENGINE_NO_TICKET);
	assert_int_equal(core_token_ticket(f->core, 20261130, NULL), ENGINE_NO_TICKET);
	/* the key is kept in the database: a restarted core makes the same */
	close_core(f);
	open_core(f, 16);
	core_ticket_token(f->core, 20261130, 1, again);
	assert_string_equal(again, t1);
	assert_int_equal(db_int(f, "SELECT length(value) FROM secrets"), 32);
}

struct seen {
	int n;
	enum engine_op ops[8];
	int window_state[8];
	int waiting[8];
};

static void observe(void *arg, const struct core_change *ch)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->ops[s->n] = ch->req->cmd.op;
		s->window_state[s->n] = ch->window ? ch->window->state : -1;
		s->waiting[s->n] = ch->view->services[0].waiting;
		s->n++;
	}
}

/* Observers hear each command the engine took, after its commit, with the
 * window's state and the view after the batch; refusals are not told. */
static void test_observe(void **state)
{
	struct fixture *f = *state;
	struct core_request req;
	struct seen seen = {0};
	char err[256];
	struct core_clock clock = {fake_now, &f->clock};

	assert_int_equal(store_open(f->path, &f->st, err, sizeof(err)), STORE_OK);
	f->core = core_new(&f->hall, f->st, &clock, 16, err, (int)sizeof(err));
	assert_non_null(f->core);
	assert_int_equal(core_observe(f->core, observe, &seen), 0);
	assert_int_equal(core_start(f->core), CORE_OK);
	assert_int_equal(core_observe(f->core, observe, &seen), -1); /* too late */
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 0, -1, &req),
			 ENGINE_ERR_WINDOW_NOT_LOGGED_IN);
	assert_int_equal(call(f, ENGINE_OP_LOGIN, 0, -1, &req), ENGINE_OK);
	assert_int_equal(call(f, ENGINE_OP_CALL_NEXT, 0, -1, &req), ENGINE_OK);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.ops[0], ENGINE_OP_ISSUE);
	assert_int_equal(seen.window_state[0], -1);
	assert_int_equal(seen.waiting[0], 1);
	assert_int_equal(seen.ops[1], ENGINE_OP_LOGIN);
	assert_int_equal(seen.window_state[1], ENGINE_WINDOW_IDLE);
	assert_int_equal(seen.ops[2], ENGINE_OP_CALL_NEXT);
	assert_int_equal(seen.window_state[2], ENGINE_WINDOW_CALLED);
	assert_int_equal(seen.waiting[2], 0);
}

/* A query reads a ticket and its place; nothing is journalled. */
static void test_query(void **state)
{
	struct fixture *f = *state;
	struct core_request req;

	open_core(f, 16);
	for (int k = 0; k < 3; k++)
		assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	int events = db_int(f, "SELECT count(*) FROM events");
	memset(&req, 0, sizeof(req));
	req.query = true;
	req.cmd.ticket = 2;
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, ENGINE_OK);
	assert_int_equal(req.ticket.number, 3);
	assert_int_equal(req.res.people_ahead, 2);
	/* 2 ahead, 10 min standard, no window open (1 server): 20 min */
	assert_int_equal(req.res.estimated_wait_min, 20);
	req.cmd.ticket = 9;
	assert_int_equal(core_call(f->core, &req), CORE_OK);
	assert_int_equal(req.err, ENGINE_ERR_NO_SUCH_TICKET);
	assert_int_equal(db_int(f, "SELECT count(*) FROM events"), events);
}

/* ---- the tick (hostd's watchdog pings) ---- */

struct ticks {
	pthread_mutex_t mu;
	int n;
	pthread_t thread; /* the thread of the latest tick */
};

static void count_tick(void *arg)
{
	struct ticks *t = arg;

	pthread_mutex_lock(&t->mu);
	t->n++;
	t->thread = pthread_self();
	pthread_mutex_unlock(&t->mu);
}

static int ticks_seen(struct ticks *t)
{
	pthread_mutex_lock(&t->mu);
	int n = t->n;
	pthread_mutex_unlock(&t->mu);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Waits (up to a minute, never asserting how long) until more than n ticks. */
static void wait_for_ticks(struct ticks *t, int n)
{
	for (int k = 0; k < 60000 && ticks_seen(t) <= n; k++)
		sleep_ms(1);
	assert_true(ticks_seen(t) > n);
}

/*
 * The tick comes from the core thread while it is idle and after each
 * batch, and stops while the core hangs: here its clock stalls inside a
 * batch, and no tick comes until it returns, however long that is.
 */
static void test_tick(void **state)
{
	struct fixture *f = *state;
	struct ticks t = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct core_request req;
	char err[256];
	struct core_clock clock = {fake_now, &f->clock};

	assert_int_equal(store_open(f->path, &f->st, err, sizeof(err)), STORE_OK);
	f->core = core_new(&f->hall, f->st, &clock, 16, err, (int)sizeof(err));
	assert_non_null(f->core);
	assert_int_equal(core_on_tick(f->core, count_tick, &t, 0), -1);    /* out of range */
	assert_int_equal(core_on_tick(f->core, count_tick, &t, 1001), -1); /* out of range */
	assert_int_equal(core_on_tick(f->core, count_tick, &t, 5), 0);
	assert_int_equal(core_start(f->core), CORE_OK);
	assert_int_equal(core_on_tick(f->core, count_tick, &t, 5), -1); /* too late */

	/* idle: ticks keep coming, from the core thread */
	wait_for_ticks(&t, 3);
	pthread_mutex_lock(&t.mu);
	assert_false(pthread_equal(t.thread, pthread_self()));
	pthread_mutex_unlock(&t.mu);

	/* a batch: answered after a tick that followed it */
	int before = ticks_seen(&t);
	assert_int_equal(call(f, ENGINE_OP_ISSUE, -1, 0, &req), ENGINE_OK);
	assert_true(ticks_seen(&t) > before);

	/* hung: the clock stalls inside the core's loop */
	pthread_mutex_lock(&f->clock.mu);
	f->clock.stall = 1;
	pthread_mutex_unlock(&f->clock.mu);
	sem_wait(&f->clock.entered);
	int hung = ticks_seen(&t);
	sleep_ms(200); /* forty tick periods */
	assert_int_equal(ticks_seen(&t), hung);
	sem_post(&f->clock.gate);
	wait_for_ticks(&t, hung);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reply_after_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_restores_the_day, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_posters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_queue_answers_busy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_day_rollover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_commit_leaves_no_trace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clock_steps_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_after_hours_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stopped_core_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_marks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_view, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ticket_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_observe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tick, setup, teardown),
	};
	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
