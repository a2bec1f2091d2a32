/*
 * core.h — the core: the one thread that owns the engine and the store.
 *
 * Room: hostd/core. Other threads (bus, HTTP) never touch the engine or the
 * store; they post a struct core_request with core_call() and wait for the
 * reply. The core group-commits: it drains every pending request, applies
 * each to the engine, journals the accepted ones, commits once, and only
 * then replies to all of them (DESIGN.md: nothing is acknowledged before
 * it is durable). If the commit fails, the engine is rebuilt from the
 * store and every accepted request of the batch is answered
 * CORE_ERR_STORE: what was not committed never happened.
 *
 * The core stamps each command with its clock when it applies it, and
 * closes the business day (CLOSE_DAY, then opens the next) when the clock's
 * day changes, on a request or on its own once a second.
 */
#ifndef HALLQ_CORE_H
#define HALLQ_CORE_H

#include <stdint.h>

#include "engine/engine.h"
#include "store/store.h"

enum core_error {
	CORE_OK = 0,
	CORE_ERR_BUSY = -1,    /* the request queue is full: try again */
	CORE_ERR_STOPPED = -2, /* the core is stopping */
	CORE_ERR_STORE = -3,   /* the store failed: nothing of it was applied */
	CORE_ERR_NOMEM = -4,
};

const char *core_strerror(int err);

/* Where the core reads the time; a test passes a fake one. */
struct core_clock {
	void (*now)(void *arg, struct engine_clock *out);
	void *arg;
};

/* The system clock in the local time zone (TZ must be set before threads). */
extern const struct core_clock core_system_clock;

struct core_request {
	struct engine_command cmd;   /* the clock is filled by the core */
	char source[ENGINE_ID_SIZE]; /* who asks: device id, API client */
	/* the reply */
	int err; /* CORE_OK, a core_error, or an engine_error refusal */
	struct engine_result res;
	struct engine_ticket ticket; /* copy of res.ticket's state, if any */
	/* private to the core */
	struct core_request *next_;
	int done_;
};

struct core_stats {
	uint64_t batches;  /* commits */
	uint64_t requests; /* requests answered */
	uint64_t max_batch;
	int pending; /* requests waiting now */
};

struct core;

/*
 * Restores the engine from the store (today's journal replayed on top of
 * the recent handling times of earlier days) without starting the thread.
 * queue_capacity bounds the pending requests. Returns NULL with a sentence
 * in err on failure.
 */
struct core *core_new(const struct engine_hall *hall, struct store *st,
		      const struct core_clock *clock, int queue_capacity, char *err, int err_size);
int core_start(struct core *c);
/* Stops the thread after it answers what it has taken; pending requests
 * get CORE_ERR_STOPPED. */
void core_stop(struct core *c);
/* Stops first; NULL is fine. Every thread that calls core_call() must
 * have returned from it (and make no more calls) before core_free(). */
void core_free(struct core *c);

/*
 * Posts req and waits for its reply. Returns CORE_OK when req->err holds
 * the reply, or CORE_ERR_BUSY / CORE_ERR_STOPPED when it was not taken.
 */
int core_call(struct core *c, struct core_request *req);

/* The engine, for reading when the core thread is not running (tests,
 * restore checks). */
const struct engine *core_engine(const struct core *c);
struct core_stats core_stats(struct core *c);

#endif /* HALLQ_CORE_H */
