/*
 * engine_internal.h — the engine's state, shared by engine.c (operations),
 * dispatch.c (choosing the next ticket) and check.c (invariants, digest).
 *
 * Room: hostd/engine. Not for use outside the engine.
 */
#ifndef HALLQ_ENGINE_INTERNAL_H
#define HALLQ_ENGINE_INTERNAL_H

#include "engine/engine.h"

struct engine_queue {
	uint32_t head, tail; /* ticket ids, ENGINE_NO_TICKET when empty */
	int count;
};

struct engine {
	struct engine_hall hall; /* a copy: the engine owns it */
	int32_t day;
	bool closed;
	struct engine_ticket *tickets; /* today's, by id */
	uint32_t n_tickets;
	uint32_t capacity; /* n_services * 999: the most a day can issue */
	/* service s, class c: queues[s * ENGINE_CLASS_COUNT + c]; then one per
	 * window for tickets transferred to it by name */
	struct engine_queue *queues;
	/* per service: appointments not yet due, by due time; they wait in
	 * the service's normal queue until due_promote() moves them */
	struct engine_queue *pending;
	int n_service_queues;
	int n_queues;
	struct engine_window_status windows[ENGINE_MAX_WINDOWS];
	int issued[ENGINE_MAX_SERVICES];       /* tickets issued today per service */
	int waiting[ENGINE_MAX_SERVICES];      /* in the service's three queues */
	int open_windows[ENGINE_MAX_SERVICES]; /* logged-in windows serving it */
	/* for the estimate, kept by set_window_state(), in half windows (a
	 * window counts 2 where the service is its level 1, else 1): the
	 * logged-in windows serving it, those of them calling or serving a
	 * ticket; and how many of them are idle (whole windows) */
	int open_halves[ENGINE_MAX_SERVICES];
	int busy_halves[ENGINE_MAX_SERVICES];
	int idle_windows[ENGINE_MAX_SERVICES];
	/* issued service, number -> id: by_number[s * (ENGINE_MAX_QUOTA + 1) + n] */
	uint32_t *by_number;
	/* recent handling times per service: a ring of recent_cap each */
	int32_t *recent;
	int recent_cap;
	int recent_n[ENGINE_MAX_SERVICES];
	int recent_pos[ENGINE_MAX_SERVICES];
	int64_t recent_sum[ENGINE_MAX_SERVICES];
};

/* What a window counts for a service in the estimate, in half windows:
 * 2 where the service is its level 1, else 1. */
static inline int engine_estimate_halves(int level)
{
	return level <= 1 ? 2 : 1;
}

/* dispatch.c: the ticket window w should call next, or ENGINE_NO_TICKET. */
uint32_t engine_choose(struct engine *e, int w, int64_t now_s);

/* engine.c */
void engine_queue_remove(struct engine *e, struct engine_ticket *t);
/* Moves the service's appointments that are due at now_s into its
 * appointment queue, by issue time. */
void engine_promote_due(struct engine *e, int service, int64_t now_s);
bool engine_is_due(const struct engine *e, const struct engine_ticket *t, int64_t now_s);

#endif /* HALLQ_ENGINE_INTERNAL_H */
