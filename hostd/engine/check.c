/*
 * check.c — the engine's invariants, and a digest of its state.
 *
 * Room: hostd/engine. Pure. engine_check() is what the randomized test and
 * a restore lean on: every rule here is one the operations must keep.
 */
#include "engine/engine_internal.h"

#include <string.h>

static const char *check_queues(const struct engine *e, int *in_queues)
{
	for (int q = 0; q < e->n_queues; q++) {
		const struct engine_queue *queue = &e->queues[q];
		uint32_t prev = ENGINE_NO_TICKET;
		int n = 0;
		for (uint32_t id = queue->head; id != ENGINE_NO_TICKET;
		     id = e->tickets[id].link[ENGINE_LINK_QUEUE].next) {
			if (id >= e->n_tickets || n > (int)e->n_tickets)
				return "a queue links to a ticket that does not exist";
			const struct engine_ticket *t = &e->tickets[id];
			if (t->link[ENGINE_LINK_QUEUE].prev != prev)
				return "a queue's back link is wrong";
			if (t->list != q)
				return "a ticket's queue is not the queue that holds it";
			if (t->state != ENGINE_TICKET_WAITING)
				return "a ticket in a queue is not waiting";
			bool window_q = q >= e->n_service_queues;
			bool pending_ok = q % ENGINE_CLASS_COUNT == ENGINE_CLASS_NORMAL &&
					  t->cls == ENGINE_CLASS_APPOINTMENT &&
					  t->pending == q / ENGINE_CLASS_COUNT;
			if (window_q
				? t->target_window != q - e->n_service_queues
				: (t->target_window >= 0 || t->service != q / ENGINE_CLASS_COUNT ||
				   (t->cls != q % ENGINE_CLASS_COUNT && !pending_ok)))
				return "a ticket is in the wrong queue";
			if (t->pending >= 0 && (window_q || !pending_ok))
				return "a pending appointment is not in its normal queue";
			prev = id;
			n++;
		}
		if (queue->tail != prev || queue->count != n)
			return "a queue's tail or count is wrong";
		*in_queues += n;
	}
	return NULL;
}

static const char *check_tickets(const struct engine *e, int *waiting, int *issued, int *held)
{
	for (uint32_t id = 0; id < e->n_tickets; id++) {
		const struct engine_ticket *t = &e->tickets[id];
		if (t->id != id)
			return "a ticket's id is not its index";
		if (t->number < 1 || t->number > ENGINE_MAX_QUOTA ||
		    e->by_number[t->issued_service * (ENGINE_MAX_QUOTA + 1) + t->number] != id)
			return "a ticket number does not lead back to its ticket";
		issued[t->issued_service]++;
		if (t->state == ENGINE_TICKET_WAITING) {
			(*waiting)++;
			if (t->list < 0)
				return "a waiting ticket is in no queue";
		} else if (t->list >= 0) {
			return "a ticket that is not waiting is in a queue";
		}
		if (t->first_called_s && t->first_called_s < t->issued_s)
			return "a ticket was called before it was issued";
		if (t->state >= ENGINE_TICKET_FINISHED && t->finished_s < t->issued_s)
			return "a ticket ended before it was issued";
		if (t->state == ENGINE_TICKET_FINISHED && t->first_called_s == 0)
			return "a finished ticket was never called";
		bool at_window =
		    t->state == ENGINE_TICKET_CALLED || t->state == ENGINE_TICKET_SERVING;
		if (at_window && (t->window < 0 || e->windows[t->window].current != id))
			return "a called or serving ticket is not its window's current ticket";
		if (t->state == ENGINE_TICKET_HELD) {
			if (t->window < 0)
				return "a held ticket has no window";
			held[t->window]++;
		}
		if (t->hold_total_s < 0)
			return "a ticket's time on hold is negative";
	}
	return NULL;
}

static const char *check_windows(const struct engine *e, const int *held)
{
	int open[ENGINE_MAX_SERVICES] = {0};
	int open_halves[ENGINE_MAX_SERVICES] = {0}, busy_halves[ENGINE_MAX_SERVICES] = {0};
	int idle[ENGINE_MAX_SERVICES] = {0};

	for (int w = 0; w < e->hall.n_windows; w++) {
		const struct engine_window_status *ws = &e->windows[w];
		if (ws->n_held != held[w])
			return "a window's count of held tickets is wrong";
		if (ws->current != ENGINE_NO_TICKET) {
			if (ws->current >= e->n_tickets)
				return "a window's current ticket does not exist";
			const struct engine_ticket *t = &e->tickets[ws->current];
			int want = t->state == ENGINE_TICKET_CALLED ? ENGINE_WINDOW_CALLED
								    : ENGINE_WINDOW_SERVING;
			if (t->window != w || ws->state != want)
				return "a window's current ticket disagrees with it";
		} else if (ws->state == ENGINE_WINDOW_CALLED ||
			   ws->state == ENGINE_WINDOW_SERVING) {
			return "a window is calling or serving nothing";
		}
		if (ws->state == ENGINE_WINDOW_LOGGED_OUT) {
			if (ws->current != ENGINE_NO_TICKET || ws->n_held)
				return "a logged-out window has tickets";
			continue;
		}
		for (int i = 0; i < e->hall.windows[w].n_services; i++) {
			const struct engine_window_service *ws_svc =
			    &e->hall.windows[w].services[i];
			int s = ws_svc->service, halves = engine_estimate_halves(ws_svc->level);
			open[s]++;
			open_halves[s] += halves;
			if (ws->state == ENGINE_WINDOW_CALLED || ws->state == ENGINE_WINDOW_SERVING)
				busy_halves[s] += halves;
			else if (ws->state == ENGINE_WINDOW_IDLE)
				idle[s]++;
		}
	}
	if (memcmp(open, e->open_windows, sizeof(int) * (size_t)e->hall.n_services) != 0)
		return "the count of open windows per service is wrong";
	if (memcmp(open_halves, e->open_halves, sizeof(int) * (size_t)e->hall.n_services) != 0 ||
	    memcmp(busy_halves, e->busy_halves, sizeof(int) * (size_t)e->hall.n_services) != 0 ||
	    memcmp(idle, e->idle_windows, sizeof(int) * (size_t)e->hall.n_services) != 0)
		return "the estimate's counts of windows per service are wrong";
	return NULL;
}

/* Each service's appointments not yet due, in slot order. */
static const char *check_pending(const struct engine *e)
{
	int listed = 0, marked = 0;

	for (int s = 0; s < e->hall.n_services; s++) {
		const struct engine_queue *q = &e->pending[s];
		uint32_t prev = ENGINE_NO_TICKET;
		int n = 0;
		for (uint32_t id = q->head; id != ENGINE_NO_TICKET;
		     id = e->tickets[id].link[ENGINE_LINK_PENDING].next) {
			if (id >= e->n_tickets || n > (int)e->n_tickets)
				return "a pending list links to a ticket that does not exist";
			const struct engine_ticket *t = &e->tickets[id];
			if (t->link[ENGINE_LINK_PENDING].prev != prev || t->pending != s)
				return "a pending list's links are wrong";
			if (t->state != ENGINE_TICKET_WAITING || t->cls != ENGINE_CLASS_APPOINTMENT)
				return "a pending list holds a ticket that is not a waiting "
				       "appointment";
			if (prev != ENGINE_NO_TICKET && e->tickets[prev].slot_s > t->slot_s)
				return "a pending list is out of slot order";
			prev = id;
			n++;
		}
		if (q->tail != prev || q->count != n)
			return "a pending list's tail or count is wrong";
		listed += n;
	}
	for (uint32_t id = 0; id < e->n_tickets; id++)
		marked += e->tickets[id].pending >= 0;
	return listed == marked ? NULL : "a ticket marked pending is in no pending list";
}

const char *engine_check(const struct engine *e)
{
	int in_queues = 0, waiting = 0;
	int issued[ENGINE_MAX_SERVICES] = {0}, held[ENGINE_MAX_WINDOWS] = {0};
	const char *why;

	if ((why = check_queues(e, &in_queues)) || (why = check_pending(e)) ||
	    (why = check_tickets(e, &waiting, issued, held)) || (why = check_windows(e, held)))
		return why;
	if (in_queues != waiting)
		return "waiting tickets and queued tickets differ";
	for (int s = 0; s < e->hall.n_services; s++) {
		int n = 0;
		for (int c = 0; c < ENGINE_CLASS_COUNT; c++)
			n += e->queues[s * ENGINE_CLASS_COUNT + c].count;
		if (n != e->waiting[s])
			return "a service's waiting count is wrong";
		if (issued[s] != e->issued[s])
			return "a service's issued count is wrong";
	}
	return NULL;
}

/* FNV-1a, 64 bits. */
static uint64_t mix(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define MIX(h, field) ((h) = mix((h), &(field), sizeof(field)))

uint64_t engine_digest(const struct engine *e)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	MIX(h, e->day);
	MIX(h, e->closed);
	MIX(h, e->n_tickets);
	for (uint32_t id = 0; id < e->n_tickets; id++) {
		const struct engine_ticket *t = &e->tickets[id];
		MIX(h, t->issued_service);
		MIX(h, t->number);
		MIX(h, t->service);
		MIX(h, t->cls);
		MIX(h, t->state);
		MIX(h, t->rating);
		MIX(h, t->called_specifically);
		MIX(h, t->displaced);
		MIX(h, t->window);
		MIX(h, t->target_window);
		MIX(h, t->recalls);
		MIX(h, t->no_shows);
		MIX(h, t->transfers);
		MIX(h, t->slot_s);
		MIX(h, t->issued_s);
		MIX(h, t->first_called_s);
		MIX(h, t->called_s);
		MIX(h, t->started_s);
		MIX(h, t->held_s);
		MIX(h, t->finished_s);
		MIX(h, t->hold_total_s);
		MIX(h, t->link);
		MIX(h, t->list);
		MIX(h, t->pending);
	}
	for (int w = 0; w < e->hall.n_windows; w++) {
		const struct engine_window_status *ws = &e->windows[w];
		MIX(h, ws->state);
		MIX(h, ws->pause_reason);
		MIX(h, ws->current);
		h = mix(h, ws->staff, strlen(ws->staff));
		MIX(h, ws->n_held);
		MIX(h, ws->since_s);
	}
	for (int s = 0; s < e->hall.n_services; s++) {
		MIX(h, e->recent_n[s]);
		MIX(h, e->recent_sum[s]);
	}
	return h;
}
