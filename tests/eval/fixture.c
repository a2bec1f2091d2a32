/*
 * fixture.c — builds a hallq database from a script of hall events
 * (tests/eval/README.md): each line becomes an engine command stamped with
 * the script's local time, applied with engine_apply() and journalled with
 * store_record() as hostd/core/core.c does, so that the evaluation is
 * tested on the journal hostd really writes.
 *
 * Room: tests/eval. Uses the engine, the store and the config; never
 * SQLite directly. A command the engine refuses stops the build (nothing
 * of the script is written), so a fixture is always a valid day.
 */
#define _DEFAULT_SOURCE /* realpath, setenv, localtime_r, strtok_r */

#include "fixture.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "store/store.h"

enum { MAX_WORDS = 16, LINE_SIZE = 1024 };

struct builder {
	const struct config *cfg;
	const struct engine_hall *hall;
	struct store *st;
	struct engine *e;    /* NULL until the first day is open */
	int64_t last_now_s;  /* time only goes forward, as in hostd */
	int32_t journal_day; /* the last day already in the journal, 0 none */
	const char *name;    /* the script's, for messages */
	int line;
	char *err;
	size_t err_size;
};

/* "SCRIPT:LINE: what" into err; returns FIXTURE_ERR_SCRIPT. */
__attribute__((format(printf, 2, 3))) static int fail(struct builder *b, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(b->err, b->err_size, "%s:%d: %s", b->name, b->line, what);
	return FIXTURE_ERR_SCRIPT;
}

int64_t fixture_epoch(int32_t day, int hh, int mm, int ss)
{
	struct tm tm = {
	    .tm_year = day / 10000 - 1900,
	    .tm_mon = day / 100 % 100 - 1,
	    .tm_mday = day % 100,
	    .tm_hour = hh,
	    .tm_min = mm,
	    .tm_sec = ss,
	    .tm_isdst = -1,
	};
	return (int64_t)mktime(&tm);
}

/* The clock of that instant as hostd's system clock makes it. */
static struct engine_clock clock_at(int64_t now_s)
{
	struct tm tm;
	time_t t = (time_t)now_s;

	localtime_r(&t, &tm);
	return (struct engine_clock){
	    .now_s = now_s,
	    .day = (int32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday),
	    .minute = (int16_t)(tm.tm_hour * 60 + tm.tm_min),
	    .wday = (int8_t)tm.tm_wday,
	};
}

/* "2026-03-02" -> 20260302, or -1 when not a real date. */
static int32_t parse_date(const char *text)
{
	int y, m, d, n = 0;

	if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || text[n] || strlen(text) != 10)
		return -1;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
	tm.tm_isdst = -1;
	if (mktime(&tm) == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 ||
	    tm.tm_mday != d)
		return -1;
	return (int32_t)(y * 10000 + m * 100 + d);
}

/* "HH:MM" or "HH:MM:SS" -> seconds since midnight, or -1. */
static int parse_time(const char *text, bool seconds_allowed)
{
	int hh, mm, ss = 0, n = 0;

	if (sscanf(text, "%2d:%2d%n", &hh, &mm, &n) != 2)
		return -1;
	if (text[n] == ':' && seconds_allowed) {
		int n2 = 0;
		if (sscanf(text + n + 1, "%2d%n", &ss, &n2) != 1 || n2 != 2)
			return -1;
		n += 1 + n2;
	}
	if (text[n] || n < 5 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
		return -1;
	return hh * 3600 + mm * 60 + ss;
}

static bool parse_int(const char *text, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int window_index(const struct engine_hall *hall, const char *number)
{
	long n;

	if (!parse_int(number, 1, INT_MAX, &n))
		return -1;
	for (int w = 0; w < hall->n_windows; w++)
		if (hall->windows[w].number == n)
			return w;
	return -1;
}

static int service_index(const struct engine_hall *hall, const char *id)
{
	for (int s = 0; s < hall->n_services; s++)
		if (strcmp(hall->services[s].id, id) == 0)
			return s;
	return -1;
}

/* Applies one command and journals it; a refusal is the script's error. */
static int apply(struct builder *b, const struct engine_command *cmd, const char *source)
{
	struct engine_result res;
	int err = engine_apply(b->e, cmd, &res);

	if (err)
		return fail(b, "%s", engine_error_name(err));
	int rc = store_record(b->st, b->e, cmd, &res, source);
	if (rc != STORE_OK) {
		snprintf(b->err, b->err_size, "%s:%d: cannot journal %s: %s", b->name, b->line,
			 engine_op_name(cmd->op), store_strerror(rc));
		return FIXTURE_ERR_IO;
	}
	return FIXTURE_OK;
}

static void seed(void *arg, int service, int64_t handling_s)
{
	engine_seed_handling(arg, service, handling_s);
}

struct replay {
	struct engine *e;
	int64_t last_now_s;
	int refused;
};

/* One journalled event back into the engine, as hostd's restore does. */
static int replay_one(void *arg, const struct store_event *ev)
{
	struct replay *rp = arg;
	struct engine_command cmd = ev->cmd;
	struct engine_result res;

	if (cmd.clock.now_s > rp->last_now_s)
		rp->last_now_s = cmd.clock.now_s;
	if (ev->unknown_ref)
		return 0;
	cmd.replay = true;
	if (ev->ticket[0] && (cmd.op == ENGINE_OP_CALL_TICKET || cmd.op == ENGINE_OP_CALL_BACK ||
			      cmd.op == ENGINE_OP_CANCEL || cmd.op == ENGINE_OP_RATE))
		cmd.ticket = engine_find_label(rp->e, ev->ticket);
	if (engine_apply(rp->e, &cmd, &res) != ENGINE_OK && cmd.op == ENGINE_OP_ISSUE)
		rp->refused++;
	return 0;
}

/* The engine of `day`, on top of the journal's handling history; the
 * journal's own `day` replayed when the script continues it. */
static int new_engine(struct builder *b, int32_t day)
{
	struct replay rp = {0};

	b->e = engine_new(b->hall, day);
	if (!b->e) {
		snprintf(b->err, b->err_size, "out of memory");
		return FIXTURE_ERR_IO;
	}
	rp.e = b->e;
	int rc = store_recent_handling(b->st, b->hall, day, b->hall->queue.estimate_recent_tickets,
				       seed, b->e);
	if (rc == STORE_OK && day == b->journal_day)
		rc = store_replay_day(b->st, b->hall, day, replay_one, &rp);
	if (rc != STORE_OK) {
		snprintf(b->err, b->err_size, "cannot read the journal: %s", store_strerror(rc));
		return FIXTURE_ERR_IO;
	}
	if (rp.refused)
		return fail(b, "the journal of %d does not replay with this config", (int)day);
	if (rp.last_now_s > b->last_now_s)
		b->last_now_s = rp.last_now_s;
	return FIXTURE_OK;
}

/* `day YYYY-MM-DD`: closes the open day at 00:00:00 of the new one (as
 * hostd does when the date changes) and opens the new one. */
static int open_day(struct builder *b, char **w, int n)
{
	int32_t day = n == 2 ? parse_date(w[1]) : -1;

	if (day < 0)
		return fail(b, "expected: day YYYY-MM-DD");
	if (!b->e) {
		if (b->journal_day && day < b->journal_day)
			return fail(b, "day %s comes before the journal's last day %d", w[1],
				    (int)b->journal_day);
		if (day == b->journal_day)
			return new_engine(b, day); /* the script continues that day */
		if (b->journal_day) {
			int rc = new_engine(b, b->journal_day);
			if (rc)
				return rc;
		} else {
			return new_engine(b, day);
		}
	}
	if (day <= engine_day(b->e))
		return fail(b, "day %s does not come after %d", w[1], (int)engine_day(b->e));
	int64_t midnight = fixture_epoch(day, 0, 0, 0);
	if (midnight < b->last_now_s)
		return fail(b, "time goes back");
	b->last_now_s = midnight;
	if (!engine_day_is_closed(b->e)) {
		struct engine_command close = {.op = ENGINE_OP_CLOSE_DAY,
					       .clock = clock_at(midnight)};
		int rc = apply(b, &close, "core");
		if (rc)
			return rc;
	}
	if (engine_open_day(b->e, day) != ENGINE_OK)
		return fail(b, "cannot open day %s", w[1]);
	return FIXTURE_OK;
}

/* The arguments of each operation: what the words after the op must be. */
enum arg_kind {
	ARG_NONE,
	ARG_WINDOW,
	ARG_WINDOW_STAFF,
	ARG_WINDOW_TICKET,
	ARG_WINDOW_REASON,
	ARG_WINDOW_OPT_TICKET,
	ARG_TRANSFER,
	ARG_TICKET,
	ARG_RATE,
	ARG_ISSUE
};

static const struct {
	const char *name;
	enum engine_op op;
	enum arg_kind args;
	const char *usage;
} ops[] = {
    {"issue", ENGINE_OP_ISSUE, ARG_ISSUE, "issue SERVICE [green | appointment HH:MM]"},
    {"login", ENGINE_OP_LOGIN, ARG_WINDOW_STAFF, "login WINDOW STAFF"},
    {"logout", ENGINE_OP_LOGOUT, ARG_WINDOW, "logout WINDOW"},
    {"pause", ENGINE_OP_PAUSE, ARG_WINDOW_REASON, "pause WINDOW REASON"},
    {"resume", ENGINE_OP_RESUME, ARG_WINDOW, "resume WINDOW"},
    {"call_next", ENGINE_OP_CALL_NEXT, ARG_WINDOW, "call_next WINDOW"},
    {"call_ticket", ENGINE_OP_CALL_TICKET, ARG_WINDOW_TICKET, "call_ticket WINDOW TICKET"},
    {"recall", ENGINE_OP_RECALL, ARG_WINDOW, "recall WINDOW"},
    {"no_show", ENGINE_OP_NO_SHOW, ARG_WINDOW, "no_show WINDOW"},
    {"start", ENGINE_OP_START, ARG_WINDOW, "start WINDOW"},
    {"hold", ENGINE_OP_HOLD, ARG_WINDOW, "hold WINDOW"},
    {"call_back", ENGINE_OP_CALL_BACK, ARG_WINDOW_OPT_TICKET, "call_back WINDOW [TICKET]"},
    {"finish", ENGINE_OP_FINISH, ARG_WINDOW, "finish WINDOW"},
    {"transfer", ENGINE_OP_TRANSFER, ARG_TRANSFER,
     "transfer WINDOW service SERVICE | transfer WINDOW window NUMBER"},
    {"cancel", ENGINE_OP_CANCEL, ARG_TICKET, "cancel TICKET"},
    {"rate", ENGINE_OP_RATE, ARG_RATE, "rate TICKET 1..5"},
    {"close_day", ENGINE_OP_CLOSE_DAY, ARG_NONE, "close_day"},
};

/* The words of an operation into cmd; w[0] is the first argument. A name
 * the hall does not know is refused with the engine's name for it. */
static int parse_args(struct builder *b, int k, char **w, int n, struct engine_command *cmd)
{
	const struct engine_hall *hall = b->hall;
	enum arg_kind kind = ops[k].args;
	static const int counts[] = {
	    [ARG_NONE] = 0,          [ARG_WINDOW] = 1,         [ARG_WINDOW_STAFF] = 2,
	    [ARG_WINDOW_TICKET] = 2, [ARG_WINDOW_REASON] = -2, [ARG_WINDOW_OPT_TICKET] = -1,
	    [ARG_TRANSFER] = 3,      [ARG_TICKET] = 1,         [ARG_RATE] = 2,
	    [ARG_ISSUE] = -1,
	};
	int want = counts[kind];
	bool ok = want >= 0 ? n == want : n >= -want;
	long v;

	if (kind == ARG_WINDOW_OPT_TICKET)
		ok = n == 1 || n == 2;
	if (kind == ARG_ISSUE)
		ok = n == 1 || (n == 2 && strcmp(w[1], "green") == 0) ||
		     (n == 3 && strcmp(w[1], "appointment") == 0);
	if (kind == ARG_TRANSFER)
		ok = ok && (strcmp(w[1], "service") == 0 || strcmp(w[1], "window") == 0);
	if (!ok)
		return fail(b, "expected: %s", ops[k].usage);
	cmd->window = cmd->service = cmd->target_window = cmd->reason = -1;
	cmd->ticket = ENGINE_NO_TICKET;
	bool has_window =
	    kind != ARG_NONE && kind != ARG_TICKET && kind != ARG_RATE && kind != ARG_ISSUE;
	if (has_window && (cmd->window = window_index(hall, w[0])) < 0)
		return fail(b, "%s", engine_error_name(ENGINE_ERR_NO_SUCH_WINDOW));
	const char *label = kind == ARG_WINDOW_TICKET || (kind == ARG_WINDOW_OPT_TICKET && n == 2)
				? w[1]
			    : kind == ARG_TICKET || kind == ARG_RATE ? w[0]
								     : NULL;
	if (label && (cmd->ticket = engine_find_label(b->e, label)) == ENGINE_NO_TICKET)
		return fail(b, "%s", engine_error_name(ENGINE_ERR_NO_SUCH_TICKET));
	switch (kind) {
	case ARG_WINDOW_STAFF:
		if (strlen(w[1]) >= sizeof(cmd->staff))
			return fail(b, "staff id too long");
		memcpy(cmd->staff, w[1], strlen(w[1]) + 1);
		break;
	case ARG_WINDOW_REASON: {
		char reason[ENGINE_NAME_SIZE] = "";
		for (int i = 1; i < n; i++) /* a reason of several words */
			snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason), "%s%s",
				 i > 1 ? " " : "", w[i]);
		cmd->reason = hall->queue.n_pause_reasons; /* unknown unless found */
		for (int r = 0; r < hall->queue.n_pause_reasons; r++)
			if (strcmp(hall->queue.pause_reasons[r], reason) == 0)
				cmd->reason = r;
		break;
	}
	case ARG_TRANSFER:
		if (strcmp(w[1], "service") == 0 && (cmd->service = service_index(hall, w[2])) < 0)
			return fail(b, "%s", engine_error_name(ENGINE_ERR_NO_SUCH_SERVICE));
		if (strcmp(w[1], "window") == 0 &&
		    (cmd->target_window = window_index(hall, w[2])) < 0)
			return fail(b, "%s", engine_error_name(ENGINE_ERR_NO_SUCH_WINDOW));
		break;
	case ARG_RATE:
		if (!parse_int(w[1], 1, 5, &v))
			return fail(b, "expected: %s", ops[k].usage);
		cmd->rating = (int)v;
		break;
	case ARG_ISSUE:
		if ((cmd->service = service_index(hall, w[0])) < 0)
			return fail(b, "%s", engine_error_name(ENGINE_ERR_NO_SUCH_SERVICE));
		cmd->cls = n == 1   ? ENGINE_CLASS_NORMAL
			   : n == 2 ? ENGINE_CLASS_GREEN
				    : ENGINE_CLASS_APPOINTMENT;
		if (n == 3) {
			int slot = parse_time(w[2], false);
			if (slot < 0)
				return fail(b, "expected: %s", ops[k].usage);
			cmd->slot_s =
			    fixture_epoch(engine_day(b->e), slot / 3600, slot / 60 % 60, 0);
		}
		break;
	default:
		break;
	}
	return FIXTURE_OK;
}

/* `TIME OP ARGS...` */
static int run_command(struct builder *b, char **w, int n)
{
	int secs = parse_time(w[0], true);
	int k = -1;

	if (secs < 0)
		return fail(b, "expected a time HH:MM or HH:MM:SS or `day`, found \"%s\"", w[0]);
	if (n < 2)
		return fail(b, "expected an operation after the time");
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, w[1]) == 0)
			k = (int)i;
	if (k < 0)
		return fail(b, "unknown operation \"%s\"", w[1]);
	if (!b->e)
		return fail(b, "no day open: start with `day YYYY-MM-DD`");
	int32_t day = engine_day(b->e);
	int64_t now_s = fixture_epoch(day, secs / 3600, secs / 60 % 60, secs % 60);
	if (now_s < b->last_now_s)
		return fail(b, "time goes back");
	struct engine_command cmd = {.op = ops[k].op, .clock = clock_at(now_s)};
	if (cmd.clock.day != day)
		return fail(b, "%s is not a time of day %d", w[0], (int)day);
	int rc = parse_args(b, k, w + 2, n - 2, &cmd);
	if (rc)
		return rc;
	b->last_now_s = now_s;
	return apply(b, &cmd, "fixture");
}

static int run_line(struct builder *b, char *line)
{
	char *words[MAX_WORDS], *save = NULL;
	int n = 0;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == MAX_WORDS)
			return fail(b, "too many words");
		words[n++] = t;
	}
	if (n == 0)
		return FIXTURE_OK;
	if (strcmp(words[0], "day") == 0)
		return open_day(b, words, n);
	return run_command(b, words, n);
}

static int record_config(struct builder *b)
{
	char abs_path[PATH_MAX];
	const struct config *cfg = b->cfg;
	int rc = STORE_OK;

	if (cfg->source)
		rc = store_put_meta(b->st, "config", cfg->source);
	if (rc == STORE_OK && cfg->path[0])
		rc = store_put_meta(b->st, "config_path",
				    realpath(cfg->path, abs_path) ? abs_path : cfg->path);
	if (rc != STORE_OK) {
		snprintf(b->err, b->err_size, "cannot record the config: %s", store_strerror(rc));
		return FIXTURE_ERR_IO;
	}
	return FIXTURE_OK;
}

int fixture_build(const struct config *cfg, const char *db_path, FILE *script,
		  const char *script_name, char *err, size_t err_size)
{
	struct builder b = {
	    .cfg = cfg, .hall = &cfg->hall, .name = script_name, .err = err, .err_size = err_size};
	char line[LINE_SIZE];
	int rc;

	err[0] = '\0';
	setenv("TZ", cfg->timezone, 1);
	tzset();
	rc = store_open(db_path, &b.st, err, err_size);
	if (rc != STORE_OK)
		return FIXTURE_ERR_IO;
	if (store_last_day(b.st, &b.journal_day) != STORE_OK || store_begin(b.st) != STORE_OK) {
		snprintf(err, err_size, "%s: cannot read or lock the database", db_path);
		store_close(b.st);
		return FIXTURE_ERR_IO;
	}
	rc = record_config(&b);
	while (rc == FIXTURE_OK && fgets(line, sizeof(line), script)) {
		b.line++;
		if (!strchr(line, '\n') && !feof(script))
			rc = fail(&b, "line too long");
		else
			rc = run_line(&b, line);
	}
	if (rc == FIXTURE_OK && ferror(script)) {
		snprintf(err, err_size, "%s: cannot read the script", script_name);
		rc = FIXTURE_ERR_IO;
	}
	if (rc == FIXTURE_OK && store_commit(b.st) != STORE_OK) {
		snprintf(err, err_size, "%s: cannot commit", db_path);
		rc = FIXTURE_ERR_IO;
	}
	if (rc != FIXTURE_OK)
		store_rollback(b.st);
	engine_free(b.e);
	store_close(b.st);
	return rc;
}

int fixture_build_text(const struct config *cfg, const char *db_path, const char *text, char *err,
		       size_t err_size)
{
	/* fmemopen() refuses an empty buffer: an empty script is one empty line. */
	FILE *f = fmemopen((void *)(text[0] ? text : "\n"), text[0] ? strlen(text) : 1, "r");
	int rc;

	if (!f) {
		snprintf(err, err_size, "out of memory");
		return FIXTURE_ERR_IO;
	}
	rc = fixture_build(cfg, db_path, f, "script", err, err_size);
	fclose(f);
	return rc;
}
