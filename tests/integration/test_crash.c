/*
 * test_crash.c — SIGKILL the core at random points, restart, and check that
 * nothing acknowledged was lost and nothing unacknowledged half-happened.
 *
 * Each round forks a child that runs a real core on one SQLite file with
 * three threads issuing tickets and one window thread calling, starting and
 * finishing them. After each reply the child writes one line to a pipe
 * ("I A023", "C A023", "F A023"): only acknowledged operations are
 * written. The parent kills the child with SIGKILL after a random delay,
 * then restores the engine from the file as hostd would and checks:
 *   - every acknowledged issue exists, every acknowledged call was called,
 *     every acknowledged finish is finished;
 *   - no label was acknowledged twice, no number is journalled twice;
 *   - the restored engine passes engine_check(), and the projection table
 *     `tickets` agrees with it ticket by ticket (state and count), so no
 *     transaction was half-applied.
 * Each round is a new business day, so a restart also closes the day the
 * killed child left open.
 *
 * usage: test_crash [ROUNDS]   (default 25; HALLQ_SEED sets the seed)
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "log/log.h"

enum { SERVICES = 3, WINDOWS = 2, ISSUERS = 3, MAX_ACKS = 200000 };

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL: " __VA_ARGS__);                                     \
			fputc('\n', stderr);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void make_hall(struct engine_hall *h)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->name, "crash hall");
	h->hours.workdays = 0x7F;
	h->hours.sign_in = (struct engine_period){0, 1};
	h->hours.sessions[0] = (struct engine_period){1, 1439};
	h->hours.n_sessions = 1;
	for (int s = 0; s < SERVICES; s++) {
		snprintf(h->services[s].id, sizeof(h->services[s].id), "s%d", s);
		snprintf(h->services[s].name, sizeof(h->services[s].name), "service %d", s);
		h->services[s].prefix[0] = (char)('A' + s);
		h->services[s].standard_min = 5;
		h->services[s].wait_target_min = 20;
	}
	h->n_services = SERVICES;
	for (int w = 0; w < WINDOWS; w++) {
		h->windows[w].number = w + 1;
		snprintf(h->windows[w].name, sizeof(h->windows[w].name), "w%d", w + 1);
		for (int s = 0; s < SERVICES; s++)
			h->windows[w].services[s] =
			    (struct engine_window_service){s, 1 + (s + w) % 2};
		h->windows[w].n_services = SERVICES;
	}
	h->n_windows = WINDOWS;
	h->queue.no_show_requeue_max = 1;
	h->queue.no_show_requeue_places = 2;
	h->queue.estimate_recent_tickets = 10;
	strcpy(h->queue.pause_reasons[0], "rest");
	h->queue.n_pause_reasons = 1;
}

/* The round's day at 10:00, seconds moving with the real clock. */
struct round_clock {
	int32_t day;
	struct timespec start;
};

static void round_now(void *arg, struct engine_clock *out)
{
	struct round_clock *rc = arg;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t elapsed = (int64_t)(ts.tv_sec - rc->start.tv_sec);
	out->day = rc->day;
	out->wday = 1;
	out->minute = (int16_t)(600 + elapsed / 60);
	out->now_s = 1796000000 + (int64_t)(rc->day - 20260000) * 86400 + 36000 + elapsed;
}

/* ---- the child ---- */

struct child {
	struct core *core;
	int fd;
	unsigned seed;
};

static void ack(struct child *ch, char kind, const struct engine_ticket *t)
{
	char line[16], label[8];
	int n = snprintf(line, sizeof(line), "%c %s\n", kind, engine_ticket_label(t, label));

	if (write(ch->fd, line, (size_t)n) != n)
		_exit(3);
}

static void *issuer(void *arg)
{
	struct child *ch = arg;
	unsigned seed = ch->seed ^ (unsigned)(uintptr_t)pthread_self();

	for (;;) {
		struct core_request req = {0};
		req.cmd.op = ENGINE_OP_ISSUE;
		req.cmd.service = rand_r(&seed) % SERVICES;
		req.cmd.window = req.cmd.target_window = -1;
		snprintf(req.source, sizeof(req.source), "kiosk");
		if (core_call(ch->core, &req) == CORE_OK && req.err == ENGINE_OK)
			ack(ch, 'I', &req.ticket);
	}
	return NULL;
}

static int window_op(struct child *ch, enum engine_op op, int w, struct core_request *req)
{
	memset(req, 0, sizeof(*req));
	req->cmd.op = op;
	req->cmd.window = w;
	req->cmd.service = req->cmd.target_window = -1;
	req->cmd.reason = -1;
	snprintf(req->cmd.staff, sizeof(req->cmd.staff), "staff%d", w);
	if (core_call(ch->core, req) != CORE_OK)
		return -1;
	return req->err;
}

static void *windows(void *arg)
{
	struct child *ch = arg;
	struct core_request req;

	for (int w = 0; w < WINDOWS; w++)
		window_op(ch, ENGINE_OP_LOGIN, w, &req);
	for (unsigned i = 0;; i++) {
		int w = (int)(i % WINDOWS);
		/* A window restored mid-ticket finishes it first. */
		if (window_op(ch, ENGINE_OP_FINISH, w, &req) == ENGINE_OK)
			ack(ch, 'F', &req.ticket);
		if (window_op(ch, ENGINE_OP_CALL_NEXT, w, &req) == ENGINE_OK)
			ack(ch, 'C', &req.ticket);
		if (window_op(ch, ENGINE_OP_START, w, &req) == ENGINE_OK && (i & 1) == 0 &&
		    window_op(ch, ENGINE_OP_FINISH, w, &req) == ENGINE_OK)
			ack(ch, 'F', &req.ticket);
	}
	return NULL;
}

static void run_child(const char *path, struct round_clock *clock, int fd, unsigned seed)
{
	struct engine_hall hall;
	struct store *st = NULL;
	struct core_clock cc = {round_now, clock};
	struct child ch = {.fd = fd, .seed = seed};
	char err[256];
	pthread_t threads[ISSUERS + 1];

	make_hall(&hall);
	if (store_open(path, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "child: %s\n", err);
		_exit(2);
	}
	ch.core = core_new(&hall, st, &cc, 256, err, (int)sizeof(err));
	if (!ch.core || core_start(ch.core) != CORE_OK) {
		fprintf(stderr, "child: %s\n", err);
		_exit(2);
	}
	for (int i = 0; i < ISSUERS; i++)
		pthread_create(&threads[i], NULL, issuer, &ch);
	pthread_create(&threads[ISSUERS], NULL, windows, &ch);
	for (;;)
		pause(); /* until SIGKILL */
}

/* ---- the parent's checks ---- */

static int db_int(sqlite3 *db, const char *sql, int32_t day)
{
	sqlite3_stmt *q = NULL;
	int value = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int(q, 1, day);
		if (sqlite3_step(q) == SQLITE_ROW)
			value = sqlite3_column_int(q, 0);
	}
	sqlite3_finalize(q);
	return value;
}

static uint32_t find(const struct engine *e, const char *label)
{
	return engine_find_label(e, label);
}

/* Returns the number of acknowledged operations checked. */
static int check_round(const char *path, struct round_clock *clock, char *acks, size_t len)
{
	struct engine_hall hall;
	struct store *st = NULL;
	struct core_clock cc = {round_now, clock};
	char err[256];
	int n = 0;

	make_hall(&hall);
	if (store_open(path, &st, err, sizeof(err)) != STORE_OK) {
		CHECK(0, "reopen: %s", err);
		return 0;
	}
	struct core *core = core_new(&hall, st, &cc, 16, err, (int)sizeof(err));
	CHECK(core, "restore: %s", err);
	if (!core) {
		store_close(st);
		return 0;
	}
	const struct engine *e = core_engine(core);
	const char *broken = engine_check(e);
	CHECK(!broken, "restored engine broken: %s", broken);
	if (engine_day(e) != clock->day) {
		/* Killed before the new day's first commit: the journal ends on
		 * the day before, which is what a restart restores (the core rolls
		 * the day over on its first tick). Then nothing of this day may
		 * have been acknowledged, nor journalled. */
		sqlite3 *db = NULL;
		sqlite3_open(path, &db);
		int today = db_int(db, "SELECT count(*) FROM events WHERE day = ?", clock->day);
		sqlite3_close(db);
		CHECK(len == 0 && today == 0 && engine_day(e) < clock->day,
		      "restored day %d, expected %d (%zu bytes acknowledged, %d events that day)",
		      (int)engine_day(e), (int)clock->day, len, today);
		core_free(core);
		store_close(st);
		return 0;
	}

	static unsigned char issued_acks[26][1000];
	memset(issued_acks, 0, sizeof(issued_acks));
	acks[len] = '\0';
	for (char *line = strtok(acks, "\n"); line; line = strtok(NULL, "\n")) {
		char kind = line[0];
		const char *label = line + 2;
		uint32_t id = find(e, label);
		n++;
		CHECK(id != ENGINE_NO_TICKET, "acknowledged %c %s is lost", kind, label);
		if (id == ENGINE_NO_TICKET)
			continue;
		const struct engine_ticket *t = engine_ticket(e, id);
		if (kind == 'I') {
			CHECK(issued_acks[label[0] - 'A'][atoi(label + 1)]++ == 0,
			      "issue of %s acknowledged twice", label);
		} else if (kind == 'C') {
			CHECK(t->first_called_s != 0, "acknowledged call of %s is lost", label);
		} else if (kind == 'F') {
			CHECK(t->state == ENGINE_TICKET_FINISHED,
			      "acknowledged finish of %s is lost", label);
		}
	}

	/* The projection agrees with the journal, ticket by ticket. */
	sqlite3 *db = NULL;
	sqlite3_open(path, &db);
	int rows = db_int(db, "SELECT count(*) FROM tickets WHERE day = ?", clock->day);
	CHECK(rows == (int)engine_ticket_count(e), "tickets table has %d rows, journal %u", rows,
	      engine_ticket_count(e));
	int issues =
	    db_int(db, "SELECT count(*) FROM events WHERE op = 'issue' AND day = ?", clock->day);
	int distinct = db_int(db,
			      "SELECT count(DISTINCT ticket) FROM events WHERE op = 'issue'"
			      " AND day = ?",
			      clock->day);
	CHECK(issues == distinct, "a number was issued twice (%d issues, %d numbers)", issues,
	      distinct);
	sqlite3_stmt *q = NULL;
	sqlite3_prepare_v2(db, "SELECT ticket, state FROM tickets WHERE day = ?", -1, &q, NULL);
	sqlite3_bind_int(q, 1, clock->day);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *label = (const char *)sqlite3_column_text(q, 0);
		const char *state = (const char *)sqlite3_column_text(q, 1);
		uint32_t id = find(e, label);
		CHECK(id != ENGINE_NO_TICKET, "projection has %s, the journal does not", label);
		if (id != ENGINE_NO_TICKET)
			CHECK(strcmp(state,
				     engine_ticket_state_name(engine_ticket(e, id)->state)) == 0,
			      "%s is %s in the projection, %s in the journal", label, state,
			      engine_ticket_state_name(engine_ticket(e, id)->state));
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	core_free(core);
	store_close(st);
	return n;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 25;
	const char *seed_env = getenv("HALLQ_SEED");
	unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL);
	char dir[] = "/tmp/hallq-crash-XXXXXX", path[64];
	static char acks[MAX_ACKS * 8];
	int total = 0;

	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/hallq.db", dir);
	log_init("test_crash", LOG_LEVEL_WARN, LOG_SINK_STDERR);
	printf("test_crash: seed %u (HALLQ_SEED to repeat), %d rounds\n", seed, rounds);
	srand(seed);
	for (int round = 0; round < rounds; round++) {
		struct round_clock clock = {.day = 20261101 + round};
		int fds[2];
		clock_gettime(CLOCK_MONOTONIC, &clock.start);
		if (pipe(fds) != 0)
			return 2;
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			run_child(path, &clock, fds[1], seed + (unsigned)round);
		}
		close(fds[1]);
		/* Read while the child runs so it never blocks on a full pipe. */
		fcntl(fds[0], F_SETFL, O_NONBLOCK);
		int delay_ms = 40 + rand() % 400;
		size_t len = 0;
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			ssize_t r = read(fds[0], acks + len, sizeof(acks) - 1 - len);
			if (r > 0)
				len += (size_t)r;
			clock_gettime(CLOCK_MONOTONIC, &t);
			long ms =
			    (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
			if (ms >= delay_ms)
				break;
			if (r <= 0)
				nanosleep(&(struct timespec){0, 1000000}, NULL);
		}
		kill(pid, SIGKILL);
		int status = 0;
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "round %d: the child ended on its own (status %d)", round, status);
		fcntl(fds[0], F_SETFL, 0);
		ssize_t r;
		while ((r = read(fds[0], acks + len, sizeof(acks) - 1 - len)) > 0)
			len += (size_t)r;
		close(fds[0]);
		/* A line cut by the kill was never a whole acknowledgement. */
		while (len > 0 && acks[len - 1] != '\n')
			len--;
		int n = check_round(path, &clock, acks, len);
		printf("round %2d: killed after %3d ms, %5d acknowledged operations checked\n",
		       round + 1, delay_ms, n);
		total += n;
	}
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	printf("%d rounds, %d acknowledged operations, %d failures\n", rounds, total, failures);
	printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
	return failures ? 1 : 0;
}
