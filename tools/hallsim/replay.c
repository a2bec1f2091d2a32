/*
 * replay.c — a simulated day read back from the journal (replay.h), as
 * hostd/core/core.c restores the last day on a start.
 *
 * Room: tools/hallsim. Uses the engine and the store; no SQLite.
 */
#include "replay.h"

#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

struct replay {
	struct engine *e;
	char *err;
	size_t err_size;
};

static void seed(void *arg, int service, int64_t handling_s)
{
	engine_seed_handling(arg, service, handling_s);
}

static int replay_one(void *arg, const struct store_event *ev)
{
	struct replay *rp = arg;
	struct engine_command cmd = ev->cmd;
	struct engine_result res;
	char label[8];

	cmd.replay = true;
	if (ev->unknown_ref) {
		snprintf(rp->err, rp->err_size, "event %lld names what the config does not have",
			 (long long)ev->id);
		return 1;
	}
	/* the journal names tickets by label, the engine by id */
	if (ev->ticket[0] && (cmd.op == ENGINE_OP_CALL_TICKET || cmd.op == ENGINE_OP_CALL_BACK ||
			      cmd.op == ENGINE_OP_CANCEL || cmd.op == ENGINE_OP_RATE))
		cmd.ticket = engine_find_label(rp->e, ev->ticket);
	int err = engine_apply(rp->e, &cmd, &res);
	if (err) {
		snprintf(rp->err, rp->err_size, "event %lld (%s %s) refused on replay: %s",
			 (long long)ev->id, engine_op_name(cmd.op), ev->ticket,
			 engine_error_name(err));
		return 1;
	}
	if (cmd.op == ENGINE_OP_ISSUE &&
	    strcmp(engine_ticket_label(engine_ticket(rp->e, res.ticket), label), ev->ticket) != 0) {
		snprintf(rp->err, rp->err_size, "event %lld issued %s, the replay %s",
			 (long long)ev->id, ev->ticket, label);
		return 1;
	}
	return 0;
}

int replay_day(struct store *st, const struct engine_hall *hall, int32_t day, uint64_t *digest,
	       char *err, size_t err_size)
{
	struct replay rp = {.e = engine_new(hall, day), .err = err, .err_size = err_size};
	int rc;

	err[0] = '\0';
	if (!rp.e) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	rc = store_recent_handling(st, hall, day, hall->queue.estimate_recent_tickets, seed, rp.e);
	if (rc == STORE_OK)
		rc = store_replay_day(st, hall, day, replay_one, &rp);
	if (rc != STORE_OK && !err[0])
		snprintf(err, err_size, "cannot read the journal of %d: %s", (int)day,
			 rc < 0 ? store_strerror(rc) : "replay stopped");
	const char *broken = rc == STORE_OK ? engine_check(rp.e) : NULL;
	if (broken)
		snprintf(err, err_size, "day %d replays to a broken state: %s", (int)day, broken);
	*digest = engine_digest(rp.e);
	engine_free(rp.e);
	return rc == STORE_OK && !broken ? 0 : -1;
}
