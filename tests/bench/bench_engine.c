/*
 * bench_engine.c — how fast the queue engine and the durable core are.
 * A program, not a test: it prints one "name: value unit" line per figure
 * and compares against baselines measured in the same run.
 *
 *   engine_ops_per_s        issue + call_next + finish, in memory, with
 *                           10,000 tickets waiting, 30 services, 100 windows
 *   durable_issues_per_s    acknowledged issues through the core (group
 *                           commit, synchronous=FULL) under a burst of
 *                           concurrent posters
 *   raw_sqlite_rows_per_s   the same rows written straight with SQLite, same
 *                           schema, same synchronous setting, committed in
 *                           batches of the core's mean batch size
 *   durable_vs_raw_ratio    target >= 0.8
 *   ack_p50_us, ack_p99_us  one acknowledged issue on an idle core
 *   commit_p50_us, commit_p99_us  one raw single-row SQLite commit
 *   ack_p99_vs_commit_p99   target <= 2
 *
 * usage: bench_engine [DIR]   (database files go in DIR, default /tmp)
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "log/log.h"

enum {
	SERVICES = 30,
	WINDOWS = 100,
	WAITING = 10000,
	POSTERS = 8,
	PER_POSTER = 250,
	LATENCY_SAMPLES = 300,
};

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_hall(struct engine_hall *h)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->name, "bench hall");
	h->hours.workdays = 0x7F;
	h->hours.sessions[0] = (struct engine_period){0, 1439};
	h->hours.n_sessions = 1;
	for (int s = 0; s < SERVICES; s++) {
		snprintf(h->services[s].id, sizeof(h->services[s].id), "service-%02d", s);
		snprintf(h->services[s].name, sizeof(h->services[s].name), "事项 %02d", s);
		h->services[s].prefix[0] = (char)('A' + s % 26);
		h->services[s].prefix[1] = s < 26 ? '\0' : 'A';
		h->services[s].standard_min = 10;
		h->services[s].wait_target_min = 30;
	}
	h->n_services = SERVICES;
	for (int w = 0; w < WINDOWS; w++) {
		h->windows[w].number = w + 1;
		snprintf(h->windows[w].name, sizeof(h->windows[w].name), "窗口 %d", w + 1);
		for (int k = 0; k < 3; k++)
			h->windows[w].services[k] =
			    (struct engine_window_service){(w + k * 7) % SERVICES, k + 1};
		h->windows[w].n_services = 3;
	}
	h->n_windows = WINDOWS;
	h->queue.no_show_requeue_max = 1;
	h->queue.no_show_requeue_places = 3;
	h->queue.estimate_recent_tickets = 20;
	strcpy(h->queue.pause_reasons[0], "rest");
	h->queue.n_pause_reasons = 1;
}

static struct engine_clock at(int64_t s)
{
	return (struct engine_clock){
	    .now_s = 1796000000 + s, .day = 20261130, .minute = 600, .wday = 1};
}

static int apply(struct engine *e, enum engine_op op, int w, int s, int64_t t)
{
	struct engine_command c = {.op = op,
				   .clock = at(t),
				   .window = w,
				   .service = s,
				   .target_window = -1,
				   .reason = -1,
				   .ticket = ENGINE_NO_TICKET};
	struct engine_result r;

	strcpy(c.staff, "staff");
	return engine_apply(e, &c, &r);
}

/* In memory: the steady state of a busy hall. */
static double bench_engine_ops(const struct engine_hall *hall)
{
	double busy_s = 0;
	long ops = 0;

	for (int rep = 0; rep < 20; rep++) {
		struct engine *e = engine_new(hall, 20261130);
		int64_t t = 0;
		for (int i = 0; i < WAITING; i++)
			apply(e, ENGINE_OP_ISSUE, -1, i % SERVICES, t++);
		for (int w = 0; w < WINDOWS; w++)
			apply(e, ENGINE_OP_LOGIN, w, -1, t);
		/* Each service can still issue 999 - 334 numbers today. */
		int rounds = SERVICES * (999 - WAITING / SERVICES - 1);
		double t0 = seconds();
		for (int i = 0; i < rounds; i++) {
			int w = i % WINDOWS;
			ops += apply(e, ENGINE_OP_ISSUE, -1, i % SERVICES, t) == ENGINE_OK;
			ops += apply(e, ENGINE_OP_CALL_NEXT, w, -1, t) == ENGINE_OK;
			ops += apply(e, ENGINE_OP_FINISH, w, -1, ++t) == ENGINE_OK;
		}
		busy_s += seconds() - t0;
		if (engine_check(e)) {
			fprintf(stderr, "bench: engine broken: %s\n", engine_check(e));
			exit(1);
		}
		engine_free(e);
	}
	return (double)ops / busy_s;
}

/* ---- durable: through the core ---- */

struct fixed_clock {
	int64_t t;
};

static void bench_now(void *arg, struct engine_clock *out)
{
	(void)arg;
	*out = at(0);
}

struct poster {
	struct core *core;
	int n, ok, index;
};

static void *post(void *arg)
{
	struct poster *p = arg;

	for (int i = 0; i < p->n; i++) {
		struct core_request req = {0};
		req.cmd.op = ENGINE_OP_ISSUE;
		req.cmd.service = (p->index * p->n + i) % SERVICES;
		req.cmd.window = req.cmd.target_window = -1;
		strcpy(req.source, "kiosk-bench");
		while (core_call(p->core, &req) == CORE_ERR_BUSY)
			sched_yield();
		p->ok += req.err == ENGINE_OK;
	}
	return NULL;
}

static struct core *open_core(const struct engine_hall *hall, const char *path, struct store **st)
{
	struct core_clock clock = {bench_now, NULL};
	char err[256];

	unlink(path);
	if (store_open(path, st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	struct core *c = core_new(hall, *st, &clock, 1024, err, (int)sizeof(err));
	if (!c || core_start(c) != CORE_OK) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	return c;
}

static double bench_durable(const struct engine_hall *hall, const char *path, double *mean_batch)
{
	struct store *st = NULL;
	struct core *core = open_core(hall, path, &st);
	struct poster posters[POSTERS];
	pthread_t threads[POSTERS];
	int ok = 0;

	double t0 = seconds();
	for (int i = 0; i < POSTERS; i++) {
		posters[i] = (struct poster){.core = core, .n = PER_POSTER, .index = i};
		pthread_create(&threads[i], NULL, post, &posters[i]);
	}
	for (int i = 0; i < POSTERS; i++) {
		pthread_join(threads[i], NULL);
		ok += posters[i].ok;
	}
	double elapsed = seconds() - t0;
	struct core_stats stats = core_stats(core);
	*mean_batch = (double)stats.requests / (double)stats.batches;
	core_free(core);
	store_close(st);
	return ok / elapsed;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void percentiles(double *v, int n, double *p50, double *p99)
{
	qsort(v, (size_t)n, sizeof(*v), compare_double);
	*p50 = v[n / 2];
	*p99 = v[(n * 99) / 100];
}

static void bench_ack_latency(const struct engine_hall *hall, const char *path, double *p50,
			      double *p99)
{
	struct store *st = NULL;
	struct core *core = open_core(hall, path, &st);
	static double us[LATENCY_SAMPLES];

	for (int i = 0; i < LATENCY_SAMPLES; i++) {
		struct core_request req = {0};
		req.cmd.op = ENGINE_OP_ISSUE;
		req.cmd.service = i % SERVICES;
		req.cmd.window = req.cmd.target_window = -1;
		strcpy(req.source, "kiosk-bench");
		double t0 = seconds();
		core_call(core, &req);
		us[i] = (seconds() - t0) * 1e6;
	}
	percentiles(us, LATENCY_SAMPLES, p50, p99);
	core_free(core);
	store_close(st);
}

/* ---- raw SQLite: the same two rows per issue, no engine, no core ---- */

static sqlite3 *open_raw(const char *path)
{
	struct store *st = NULL;
	sqlite3 *db = NULL;
	char err[256];

	unlink(path);
	if (store_open(path, &st, err, sizeof(err)) != STORE_OK) { /* the same schema */
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	store_close(st);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", NULL, NULL, NULL);
	return db;
}

static void raw_issue(sqlite3_stmt *ev, sqlite3_stmt *tk, int i)
{
	char label[8];

	snprintf(label, sizeof(label), "%c%03d", 'A' + i % 26, i % 999 + 1);
	sqlite3_bind_int(ev, 1, 20261130);
	sqlite3_bind_int64(ev, 2, 1796000000 + i);
	sqlite3_bind_text(ev, 3, label, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ev, 4, "service-00", -1, SQLITE_STATIC);
	sqlite3_step(ev);
	sqlite3_reset(ev);
	sqlite3_bind_int(tk, 1, 20261130);
	sqlite3_bind_text(tk, 2, label, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(tk, 3, 1796000000 + i);
	sqlite3_step(tk);
	sqlite3_reset(tk);
}

static void raw_prepare(sqlite3 *db, sqlite3_stmt **ev, sqlite3_stmt **tk)
{
	sqlite3_prepare_v2(
	    db,
	    "INSERT INTO events(day, at, minute, wday, op, window, target_window,"
	    " service, ticket, class, slot, reason, rating, staff, source,"
	    " people_ahead, estimated_wait_min) VALUES (?1, ?2, 600, 1, 'issue', NULL,"
	    " NULL, ?4, ?3, 'normal', NULL, NULL, NULL, NULL, 'kiosk-bench', 12, 30)",
	    -1, ev, NULL);
	sqlite3_prepare_v2(db,
			   "INSERT OR REPLACE INTO tickets(day, ticket, issued_service, service,"
			   " class, state, slot, issued_at, first_called_at, called_at, started_at,"
			   " finished_at, hold_s, handling_s, window, target_window, recalls,"
			   " no_shows, transfers, rating, called_specifically) VALUES (?1, ?2,"
			   " 'service-00', 'service-00', 'normal', 'waiting', NULL, ?3, NULL, NULL,"
			   " NULL, NULL, 0, NULL, NULL, NULL, 0, 0, 0, NULL, 0)",
			   -1, tk, NULL);
}

static double bench_raw_rows(const char *path, int rows, int batch)
{
	sqlite3 *db = open_raw(path);
	sqlite3_stmt *ev, *tk;

	raw_prepare(db, &ev, &tk);
	double t0 = seconds();
	for (int i = 0; i < rows; i += batch) {
		sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		for (int k = i; k < i + batch && k < rows; k++)
			raw_issue(ev, tk, k);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	double elapsed = seconds() - t0;
	sqlite3_finalize(ev);
	sqlite3_finalize(tk);
	sqlite3_close(db);
	return rows / elapsed;
}

static void bench_raw_commit(const char *path, double *p50, double *p99)
{
	sqlite3 *db = open_raw(path);
	sqlite3_stmt *ev, *tk;
	static double us[LATENCY_SAMPLES];

	raw_prepare(db, &ev, &tk);
	for (int i = 0; i < LATENCY_SAMPLES; i++) {
		double t0 = seconds();
		sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		raw_issue(ev, tk, i);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		us[i] = (seconds() - t0) * 1e6;
	}
	percentiles(us, LATENCY_SAMPLES, p50, p99);
	sqlite3_finalize(ev);
	sqlite3_finalize(tk);
	sqlite3_close(db);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char core_db[256], raw_db[256];
	struct engine_hall *hall = malloc(sizeof(*hall));
	double mean_batch, ack50, ack99, c50, c99;

	log_init("bench_engine", LOG_LEVEL_WARN, LOG_SINK_STDERR);
	snprintf(core_db, sizeof(core_db), "%s/hallq-bench-core.db", dir);
	snprintf(raw_db, sizeof(raw_db), "%s/hallq-bench-raw.db", dir);
	make_hall(hall);

	printf("engine_ops_per_s: %.0f ops/s\n", bench_engine_ops(hall));

	double durable = bench_durable(hall, core_db, &mean_batch);
	int batch = (int)(mean_batch + 0.5) > 0 ? (int)(mean_batch + 0.5) : 1;
	double raw = bench_raw_rows(raw_db, POSTERS * PER_POSTER, batch);
	printf("durable_issues_per_s: %.0f issues/s\n", durable);
	printf("core_mean_batch: %.1f requests\n", mean_batch);
	printf("raw_sqlite_rows_per_s: %.0f issues/s\n", raw);
	printf("durable_vs_raw_ratio: %.2f ratio\n", durable / raw);

	bench_ack_latency(hall, core_db, &ack50, &ack99);
	bench_raw_commit(raw_db, &c50, &c99);
	printf("ack_p50_us: %.0f us\n", ack50);
	printf("ack_p99_us: %.0f us\n", ack99);
	printf("commit_p50_us: %.0f us\n", c50);
	printf("commit_p99_us: %.0f us\n", c99);
	printf("ack_p99_vs_commit_p99: %.2f ratio\n", ack99 / c99);

	for (int i = 0; i < 2; i++) {
		const char *base = i ? raw_db : core_db;
		char file[300];
		unlink(base);
		snprintf(file, sizeof(file), "%s-wal", base);
		unlink(file);
		snprintf(file, sizeof(file), "%s-shm", base);
		unlink(file);
	}
	free(hall);
	return 0;
}
