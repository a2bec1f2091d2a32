/*
 * dispatch.c — which waiting ticket a window calls next.
 *
 * Room: hostd/engine. Pure. The policy (DESIGN.md, "Dispatch"), in order:
 *   1. a ticket transferred to this window by name, first come first;
 *   2. class: an appointment that is due (from queue.appointment_due_
 *      before_minutes before its slot), then the green channel, then the
 *      rest (normal tickets, and appointments not yet due, which wait in
 *      the normal queue by issue time until engine_promote_due() moves
 *      them to the appointment queue);
 *   3. the window's level for the ticket's service (1 first), except that
 *      a ticket waiting longer than its service's wait target counts as
 *      level 0, so secondary services never starve;
 *   4. the longest wait (earliest issue time; a transfer keeps it).
 * Only the head of each queue can be next, so choosing looks at three heads
 * per service the window serves: O(services of the window), never a scan
 * of the tickets.
 */
#include "engine/engine_internal.h"

struct candidate {
	uint32_t id;
	int rank;  /* class rank: 0 appointment due, 1 green, 2 other */
	int level; /* 0 when over the wait target */
	int64_t issued_s;
};

static bool better(const struct candidate *a, const struct candidate *b)
{
	if (a->rank != b->rank)
		return a->rank < b->rank;
	if (a->level != b->level)
		return a->level < b->level;
	if (a->issued_s != b->issued_s)
		return a->issued_s < b->issued_s;
	return a->id < b->id;
}

/* The queue's class decides the rank: appointments reach the appointment
 * queue only once due (engine_promote_due), before that they wait in the
 * normal queue by their issue time. */
static int class_rank(int queue_class)
{
	static const int ranks[ENGINE_CLASS_COUNT] = {
	    [ENGINE_CLASS_APPOINTMENT] = 0, [ENGINE_CLASS_GREEN] = 1, [ENGINE_CLASS_NORMAL] = 2};

	return ranks[queue_class];
}

uint32_t engine_choose(struct engine *e, int w, int64_t now_s)
{
	const struct engine_window *win = &e->hall.windows[w];
	const struct engine_queue *mine = &e->queues[e->n_service_queues + w];
	struct candidate best = {.id = ENGINE_NO_TICKET};

	if (mine->head != ENGINE_NO_TICKET)
		return mine->head;
	for (int i = 0; i < win->n_services; i++) {
		int s = win->services[i].service;
		int64_t target_s = (int64_t)e->hall.services[s].wait_target_min * 60;
		/* Amortized O(1): each appointment is promoted once. A promotion
		 * puts a ticket in a queue this window serves, so a call that then
		 * finds nothing has promoted nothing. */
		engine_promote_due(e, s, now_s);
		for (int cls = 0; cls < ENGINE_CLASS_COUNT; cls++) {
			uint32_t id = e->queues[s * ENGINE_CLASS_COUNT + cls].head;
			if (id == ENGINE_NO_TICKET)
				continue;
			const struct engine_ticket *t = &e->tickets[id];
			struct candidate c = {
			    .id = id,
			    .rank = class_rank(cls),
			    .level = now_s - t->issued_s > target_s ? 0 : win->services[i].level,
			    .issued_s = t->issued_s,
			};
			if (best.id == ENGINE_NO_TICKET || better(&c, &best))
				best = c;
		}
	}
	return best.id;
}
