/*
 * drive.c — device mode's loop (drive.h): an event queue in simulated
 * time, run as the real clock reaches each event, and one agent per
 * window terminal and one queue per kiosk, each pressing keys through a
 * control socket and reading back the result.
 *
 * Room: tools/hallsim. Uses the models, the control socket client and the
 * rig; the queue itself is hostd's, seen only through the devices.
 *
 * A key's outcome: the key is sent with a "wait-idle" behind it (the
 * device holds that reply until the press is over); then the device's
 * event FIFO must empty (hostd took the event: it acknowledges it in the
 * same write that carries the resulting text); then the terminal's text
 * says what the host made of it: "请A001号到3号窗口" a call, "A001 办理中"
 * serving, "3号窗口 欢迎您" free, "3号窗口 暂停服务" paused or logged
 * out. When the text is not what the key should have led to, the agent
 * takes the state shown and carries on from there (counted in problems).
 *
 * The staff behave as in fast mode (sim.c), with two differences the
 * devices impose: a window waits for its citizen's rating before the next
 * call (the rating keys belong to the last ticket finished), and a
 * transfer goes to a window (the keypad's TRANSFER takes a window number):
 * the first other simulated window serving the service, by level.
 */
#define _DEFAULT_SOURCE /* localtime_r */
#include "drive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "engine/engine.h" /* the ticket classes */

enum {
	CALL_MS = 5000,     /* a control command's reply */
	SETTLE_MS = 400,    /* text still changing after the host took a key */
	KEY_MS = 15000,     /* a key's whole round trip before we give up on it */
	PRINT_MS = 5000,    /* a press to its printed ticket */
	DISPLAY_MS = 200,   /* the hall display's text is read this often */
	MAX_HELD = 16,      /* per window */
	KIOSK_QUEUE = 4096, /* citizens waiting at a kiosk */
	UNKNOWN = -2,       /* a ticket hallsim did not take (the web, a person) */
};

enum ev_type {
	EV_LOGIN,       /* window, session */
	EV_SESSION_END, /* window */
	EV_WAKE,        /* window: a ticket it serves came */
	EV_RETRY,       /* window: look again */
	EV_RECALL,
	EV_NO_SHOW,
	EV_START,
	EV_HOLD,
	EV_HOLD_BACK, /* citizen */
	EV_TRANSFER,
	EV_FINISH,
	EV_RATE,
	EV_RESUME,
	EV_RESOLVE, /* window: who is the ticket called, now that it is printed? */
};

enum op {
	OP_NONE,
	OP_LOGIN,
	OP_NEXT,
	OP_RECALL,
	OP_NO_SHOW,
	OP_START,
	OP_HOLD,
	OP_CALL_BACK,
	OP_TRANSFER,
	OP_FINISH,
	OP_RATE,
	OP_PAUSE,
	OP_RESUME,
	OP_LOGOUT,
};

static const char *const op_names[] = {
    "-",         "login",    "next",   "recall", "no-show", "start",  "hold",
    "call-back", "transfer", "finish", "rate",   "pause",   "resume", "logout",
};

/* What a window terminal's text shows. */
enum shown { SHOWN_OTHER, SHOWN_CLOSED, SHOWN_IDLE, SHOWN_CALLED, SHOWN_SERVING };

struct event {
	double t;
	uint64_t seq;
	int type, who, arg;
};

struct agent {
	bool present; /* a terminal and staff with a PIN */
	int number;   /* on the window */
	struct ctl ctl;
	int state; /* enum shown: CLOSED (logged out or paused), IDLE, CALLED, SERVING */
	bool paused;
	bool rating;       /* waiting for the citizen's rating ... */
	double rate_until; /* ... for the keys to be armed until then */
	int session;
	int citizen; /* called or served: a citizen, UNKNOWN, or -1 */
	double called_at;
	char label[8];
	int held[MAX_HELD]; /* citizens held here, in order */
	int n_held;
	bool wake_queued;
	/* the key in flight */
	int op, op_arg;
	int phase;       /* 0 none, 1 replies owed, 2 the host to take it, 3 the text */
	double since_ms; /* when the phase began (monotonic) */
	double sent_ms;
};

struct walker {
	char label[8]; /* "" until printed */
	int stage;     /* 0 first service, 1 after a transfer */
	bool held_done;
	bool back;
	int remaining_s;
};

struct kiosk {
	struct ctl ctl;
	int queue[KIOSK_QUEUE];
	int head, n;
	int citizen; /* being pressed for, -1 */
	int phase;   /* 0 idle, 1 replies owed, 2 waiting for the print */
	double since_ms;
	unsigned long printed;
};

struct drive {
	const struct drive_options *o;
	const struct engine_hall *hall;
	struct model_day plan;
	struct walker *walkers;
	struct agent agents[ENGINE_MAX_WINDOWS];
	struct kiosk kiosks[RIG_MAX_KIOSKS];
	int n_kiosks;
	struct ctl display;
	char display_last[4][96];
	double display_next_ms;
	struct event *heap;
	int n_heap, cap_heap;
	uint64_t seq;
	int next_arrival;
	int64_t midnight_s;
	int64_t last_hour;
	FILE *seen;
	struct drive_summary *sum;
	char *err;
	size_t err_size;
	bool failed;
	bool draining; /* stopping: finish the keys in flight, start none */
};

/* ---- clocks ---- */

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static double sim_now(const struct drive *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	double real = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return (double)d->o->start_s + (real - d->o->origin) * d->o->speed;
}

static void clock_text(double t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	snprintf(out, size, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void fail(struct drive *d, const char *what, const char *path)
{
	if (d->failed)
		return;
	d->failed = true;
	snprintf(d->err, d->err_size, "%s: %s: %s", path, what, strerror(errno ? errno : EIO));
}

/* One line of the seen log: TIME KIND WHERE LABEL. */
static void seen(struct drive *d, double t, const char *kind, const char *where, const char *label)
{
	char when[16];

	clock_text(t, when, sizeof(when));
	if (d->seen) {
		fprintf(d->seen, "%s\t%s\t%s\t%s\n", when, kind, where, label);
		fflush(d->seen);
	}
}

/* ---- the event queue: a binary min-heap on (t, seq) ---- */

static bool earlier(const struct event *a, const struct event *b)
{
	return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static void schedule(struct drive *d, double t, int type, int who, int arg)
{
	if (d->n_heap == d->cap_heap) {
		int cap = d->cap_heap ? d->cap_heap * 2 : 256;
		struct event *grown = realloc(d->heap, (size_t)cap * sizeof(*grown));
		if (!grown) {
			errno = ENOMEM;
			fail(d, "out of memory", "hallsim");
			return;
		}
		d->heap = grown;
		d->cap_heap = cap;
	}
	struct event ev = {t, d->seq++, type, who, arg};
	int i = d->n_heap++;
	while (i > 0 && earlier(&ev, &d->heap[(i - 1) / 2])) {
		d->heap[i] = d->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	d->heap[i] = ev;
}

static struct event pop(struct drive *d)
{
	struct event top = d->heap[0], last = d->heap[--d->n_heap];
	int i = 0;

	for (;;) {
		int child = 2 * i + 1;
		if (child >= d->n_heap)
			break;
		if (child + 1 < d->n_heap && earlier(&d->heap[child + 1], &d->heap[child]))
			child++;
		if (!earlier(&d->heap[child], &last))
			break;
		d->heap[i] = d->heap[child];
		i = child;
	}
	if (d->n_heap > 0)
		d->heap[i] = last;
	return top;
}

/* ---- what a terminal shows ---- */

/* Splits "LINE1|LINE2" and reads the state; the label of a call or a
 * service into label. */
static int parse_shown(const char *text, int number, char *label, char lines[2][160])
{
	char mine[32];
	const char *bar = strchr(text, '|');

	snprintf(lines[0], 160, "%.*s", bar ? (int)(bar - text) : (int)strlen(text), text);
	snprintf(lines[1], 160, "%s", bar ? bar + 1 : "");
	label[0] = 0;
	snprintf(mine, sizeof(mine), "号到%d号窗口", number);
	const char *to = strstr(lines[0], mine);
	if (strncmp(lines[0], "请", strlen("请")) == 0 && to && to[strlen(mine)] == 0) {
		int len = (int)(to - lines[0] - (int)strlen("请"));
		snprintf(label, 8, "%.*s", len < 7 ? len : 7, lines[0] + strlen("请"));
		return SHOWN_CALLED;
	}
	const char *serving = strstr(lines[0], " 办理中");
	if (serving && serving[strlen(" 办理中")] == 0) {
		int len = (int)(serving - lines[0]);
		snprintf(label, 8, "%.*s", len < 7 ? len : 7, lines[0]);
		return SHOWN_SERVING;
	}
	if (strstr(lines[0], "欢迎您"))
		return SHOWN_IDLE;
	if (strstr(lines[0], "暂停服务"))
		return SHOWN_CLOSED;
	return SHOWN_OTHER;
}

/* ---- citizens ---- */

static const struct model_citizen *citizen(const struct drive *d, int c)
{
	return &d->plan.citizens[c];
}

static int citizen_of(const struct drive *d, const char *label)
{
	for (int c = 0; c < d->plan.n_citizens; c++)
		if (strcmp(d->walkers[c].label, label) == 0)
			return c;
	return UNKNOWN;
}

static int service_level(const struct drive *d, int w, int service)
{
	const struct engine_window *win = &d->hall->windows[w];

	for (int i = 0; i < win->n_services; i++)
		if (win->services[i].service == service)
			return win->services[i].level;
	return 0;
}

/* ---- the windows ---- */

static int64_t session_end(const struct drive *d, int k)
{
	return d->midnight_s + (int64_t)d->hall->hours.sessions[k].end_min * 60;
}

static bool idle(const struct agent *a)
{
	return a->present && a->state == SHOWN_IDLE && !a->paused && !a->rating && a->phase == 0;
}

static void wake(struct drive *d, int w, double t)
{
	struct agent *a = &d->agents[w];

	if (idle(a) && !a->wake_queued) {
		a->wake_queued = true;
		schedule(d, t + d->o->params.react_s, EV_WAKE, w, 0);
	}
}

/* A ticket of service waits: the idle windows serving it react. */
static void poke(struct drive *d, int service, double t)
{
	for (int w = 0; w < d->hall->n_windows; w++)
		if (service_level(d, w, service) > 0)
			wake(d, w, t);
}

/* Presses key(s) at window w: the command, then wait-idle behind it. */
static void press(struct drive *d, int w, int op, int arg, const char *command)
{
	struct agent *a = &d->agents[w];

	if (d->draining)
		return; /* stopping: no new key */
	if (ctl_send(&a->ctl, command) != 0 || ctl_send(&a->ctl, "wait-idle") != 0) {
		fail(d, "the control socket failed", a->ctl.path);
		return;
	}
	a->op = op;
	a->op_arg = arg;
	a->phase = 1;
	a->since_ms = a->sent_ms = mono_ms();
}

static void press_key(struct drive *d, int w, int op, const char *key)
{
	char command[64];

	snprintf(command, sizeof(command), "key %s", key);
	press(d, w, op, 0, command);
}

/* A window to transfer service to: the first other simulated window
 * serving it, by level; -1 if none. */
static int transfer_target(const struct drive *d, int from, int service)
{
	int best = -1, best_level = ENGINE_MAX_LEVEL + 1;

	for (int w = 0; w < d->hall->n_windows; w++) {
		int level = service_level(d, w, service);
		if (w != from && d->agents[w].present && level > 0 && level < best_level) {
			best = w;
			best_level = level;
		}
	}
	return best;
}

static void logout_or_wait(struct drive *d, int w)
{
	if (d->agents[w].n_held == 0)
		press_key(d, w, OP_LOGOUT, "logout");
}

/* A free window decides what to do next (as sim.c's decide()). */
static void decide(struct drive *d, int w, double t)
{
	struct agent *a = &d->agents[w];

	if (!idle(a))
		return;
	if (a->n_held > 0 && d->walkers[a->held[0]].back) {
		press_key(d, w, OP_CALL_BACK, "call-back");
		return;
	}
	int64_t end = session_end(d, a->session);
	if (t < (double)end + d->o->params.overtime_max_s) {
		press_key(d, w, OP_NEXT, "next");
		return;
	}
	logout_or_wait(d, w);
}

static void on_started(struct drive *d, int w, double t)
{
	struct agent *a = &d->agents[w];
	int c = a->citizen;

	if (c < 0) {
		int s = 0;
		for (int i = 0; i < d->hall->n_services; i++)
			if (strncmp(a->label, d->hall->services[i].prefix,
				    strlen(d->hall->services[i].prefix)) == 0)
				s = i;
		schedule(d, t + d->hall->services[s].standard_min * 60 * 0.9, EV_FINISH, w, 0);
		return;
	}
	const struct model_citizen *cz = citizen(d, c);
	struct walker *wk = &d->walkers[c];
	if (wk->stage == 1) {
		schedule(d, t + cz->handling2_s, EV_FINISH, w, 0);
	} else if (cz->hold_s > 0 && !wk->held_done) {
		int before = (int)(cz->hold_at * cz->handling_s);
		wk->remaining_s = cz->handling_s - before;
		schedule(d, t + before, EV_HOLD, w, 0);
	} else if (cz->transfer_to >= 0 && transfer_target(d, w, cz->transfer_to) >= 0) {
		schedule(d, t + cz->transfer_at * cz->handling_s, EV_TRANSFER, w, 0);
	} else {
		schedule(d, t + cz->handling_s, EV_FINISH, w, 0);
	}
}

/* After the finish and the rating: a pause, or the next citizen. */
static void after_finish(struct drive *d, int w, int c, double t)
{
	struct agent *a = &d->agents[w];
	char command[32];

	if (c >= 0 && citizen(d, c)->pause_reason >= 0 &&
	    t + 600 < (double)session_end(d, a->session)) {
		snprintf(command, sizeof(command), "pause %d", citizen(d, c)->pause_reason + 1);
		press(d, w, OP_PAUSE, c, command);
		return;
	}
	decide(d, w, t);
}

/* The state shown is not what the key should have led to: take it. */
static void adopt(struct drive *d, int w, int shown, const char *label, const char *text, double t)
{
	struct agent *a = &d->agents[w];
	char when[16];

	clock_text(t, when, sizeof(when));
	d->sum->problems++;
	fprintf(stderr, "hallsim: %s window %d: %s not taken as expected; it shows \"%s\"\n", when,
		a->number, op_names[a->op], text);
	a->rating = false;
	if (shown == SHOWN_CALLED || shown == SHOWN_SERVING) {
		if (strcmp(label, a->label) != 0) {
			a->citizen = citizen_of(d, label);
			snprintf(a->label, sizeof(a->label), "%s", label);
		}
		a->state = shown;
		a->paused = false;
		schedule(d, t + 60, shown == SHOWN_CALLED ? EV_START : EV_FINISH, w, 0);
	} else if (shown == SHOWN_IDLE) {
		a->state = SHOWN_IDLE;
		a->paused = false;
		a->citizen = -1;
		schedule(d, t + 60, EV_RETRY, w, 0);
	} else if (shown == SHOWN_CLOSED && a->paused) {
		schedule(d, t + 60, EV_RESUME, w, 0);
	} else if (shown == SHOWN_CLOSED) {
		a->state = SHOWN_CLOSED;
		if (t < (double)session_end(d, a->session))
			schedule(d, t + 300, EV_LOGIN, w, a->session);
	}
}

/* The key at window w has had its effect; shown is what the terminal shows. */
static void on_key_done(struct drive *d, int w, int shown, const char *label, const char *text,
			double t)
{
	struct agent *a = &d->agents[w];
	int op = a->op, c = a->citizen;

	a->op = OP_NONE;
	a->phase = 0;
	switch (op) {
	case OP_LOGIN:
		if (shown != SHOWN_IDLE) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		a->state = SHOWN_IDLE;
		a->paused = false;
		a->session = a->op_arg;
		schedule(d, (double)session_end(d, a->session), EV_SESSION_END, w, 0);
		decide(d, w, t);
		return;
	case OP_NEXT:
		if (shown == SHOWN_CALLED) {
			a->state = SHOWN_CALLED;
			char where[16];
			snprintf(where, sizeof(where), "%d", a->number);
			a->citizen = citizen_of(d, label);
			snprintf(a->label, sizeof(a->label), "%s", label);
			d->sum->calls++;
			seen(d, t, "call", where, label);
			a->called_at = t;
			/* the window may call a ticket before its kiosk has printed it */
			schedule(d, a->citizen == UNKNOWN ? t + 1 : t, EV_RESOLVE, w, 0);
			return;
		}
		if (shown != SHOWN_IDLE) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		/* nothing waits for this window */
		if (t >= (double)session_end(d, a->session))
			logout_or_wait(d, w);
		else
			schedule(d, t + 120, EV_RETRY, w, 0);
		return;
	case OP_RECALL:
		schedule(d, t + d->o->params.recall_after_s, EV_NO_SHOW, w, 0);
		return;
	case OP_NO_SHOW:
		if (shown != SHOWN_IDLE) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		a->state = SHOWN_IDLE;
		a->citizen = -1;
		d->sum->no_shows++;
		if (c >= 0)
			poke(d, citizen(d, c)->service, t); /* it may be back in line */
		decide(d, w, t);
		return;
	case OP_START:
		if (shown != SHOWN_SERVING) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		a->state = SHOWN_SERVING;
		on_started(d, w, t);
		return;
	case OP_HOLD:
		if (shown != SHOWN_IDLE || c < 0 || a->n_held == MAX_HELD) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		a->state = SHOWN_IDLE;
		a->held[a->n_held++] = c;
		d->walkers[c].held_done = true;
		schedule(d, t + citizen(d, c)->hold_s, EV_HOLD_BACK, c, w);
		a->citizen = -1;
		decide(d, w, t);
		return;
	case OP_CALL_BACK:
		if (shown != SHOWN_SERVING || a->n_held == 0) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		a->state = SHOWN_SERVING;
		a->citizen = a->held[0];
		memmove(a->held, a->held + 1, sizeof(int) * (size_t)--a->n_held);
		snprintf(a->label, sizeof(a->label), "%s", label);
		d->walkers[a->citizen].back = false;
		schedule(d, t + d->walkers[a->citizen].remaining_s, EV_FINISH, w, 0);
		return;
	case OP_TRANSFER:
		if (shown != SHOWN_IDLE) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		a->state = SHOWN_IDLE;
		a->citizen = -1;
		if (c >= 0)
			d->walkers[c].stage = 1;
		wake(d, a->op_arg, t);
		decide(d, w, t);
		return;
	case OP_FINISH:
		if (shown != SHOWN_IDLE) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		a->state = SHOWN_IDLE;
		a->citizen = -1;
		d->sum->finished++;
		if (c >= 0 && citizen(d, c)->rating > 0) {
			a->rating = true;
			a->op_arg = c;
			a->rate_until = t + citizen(d, c)->rate_after_s + 2.0 * d->o->speed;
			schedule(d, t + citizen(d, c)->rate_after_s, EV_RATE, w, c);
			return;
		}
		after_finish(d, w, c, t);
		return;
	case OP_RATE:
		a->rating = false;
		d->sum->ratings++;
		after_finish(d, w, a->op_arg, t);
		return;
	case OP_PAUSE:
		if (shown != SHOWN_CLOSED) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		a->paused = true;
		schedule(d, t + citizen(d, a->op_arg)->pause_s, EV_RESUME, w, 0);
		return;
	case OP_RESUME:
		if (shown != SHOWN_IDLE) {
			a->op = op;
			adopt(d, w, shown, label, text, t);
			return;
		}
		a->paused = false;
		a->state = SHOWN_IDLE;
		decide(d, w, t);
		return;
	case OP_LOGOUT: {
		a->state = SHOWN_CLOSED;
		int next = a->session + 1;
		if (next < d->hall->hours.n_sessions && d->plan.staff[w].login_s[next] >= 0) {
			double at = (double)d->plan.staff[w].login_s[next];
			schedule(d, at > t ? at : t + 1, EV_LOGIN, w, next);
		}
		return;
	}
	}
}

/* The citizen of the ticket called: absent (recall, then no-show) or on
 * the way (start). A ticket hallsim did not take, or whose print it has
 * not seen after 2 s, is served as an unknown citizen: present, the
 * service's standard time less 10 %. */
static void resolve(struct drive *d, int w, double t)
{
	struct agent *a = &d->agents[w];

	if (a->state != SHOWN_CALLED)
		return;
	if (a->citizen == UNKNOWN)
		a->citizen = citizen_of(d, a->label);
	if (a->citizen == UNKNOWN && t < a->called_at + 2.0 * d->o->speed) {
		schedule(d, t + 0.05 * d->o->speed, EV_RESOLVE, w, 0);
		return;
	}
	if (a->citizen == UNKNOWN) {
		schedule(d, t + 30, EV_START, w, 0);
		return;
	}
	const struct model_citizen *cz = citizen(d, a->citizen);
	double at = a->called_at + (cz->no_show                    ? d->o->params.recall_after_s
				    : d->walkers[a->citizen].stage ? cz->walk2_s
								   : cz->walk_s);
	schedule(d, at > t ? at : t, cz->no_show ? EV_RECALL : EV_START, w, 0);
}

static void login(struct drive *d, int w, int session, double t)
{
	const struct config_staff *st = &d->o->cfg->staff[w];
	char command[96];

	while (session < d->hall->hours.n_sessions && t >= (double)session_end(d, session))
		session++; /* too late for that session */
	if (session >= d->hall->hours.n_sessions)
		return;
	snprintf(command, sizeof(command), "login %s %s", st->id, st->pin);
	press(d, w, OP_LOGIN, session, command);
}

/* Whether the rating keys are armed at window w (status flags bit 3). */
static int rating_armed(struct drive *d, int w)
{
	char reply[CTL_REPLY_SIZE];
	struct agent *a = &d->agents[w];

	if (ctl_call(&a->ctl, "status", reply, sizeof(reply), CALL_MS) != 0) {
		fail(d, "the control socket failed", a->ctl.path);
		return -1;
	}
	const char *f = strstr(reply, "flags=");
	return f && (strtol(f + 6, NULL, 0) & 8) != 0;
}

static void run_window_event(struct drive *d, const struct event *ev, double t)
{
	char command[32];

	if (ev->type == EV_HOLD_BACK) { /* who: the citizen, arg: the window */
		d->walkers[ev->who].back = true;
		decide(d, ev->arg, t);
		return;
	}
	int w = ev->who;
	struct agent *a = &d->agents[w];
	if (a->phase != 0) {
		/* a key is in flight: after it */
		if (ev->type != EV_WAKE && ev->type != EV_RETRY && ev->type != EV_SESSION_END)
			schedule(d, t + 0.05 * d->o->speed, ev->type, ev->who, ev->arg);
		else if (ev->type == EV_WAKE)
			a->wake_queued = false;
		return;
	}
	switch (ev->type) {
	case EV_LOGIN:
		if (a->state == SHOWN_CLOSED && !a->paused)
			login(d, w, ev->arg, t);
		break;
	case EV_WAKE:
		a->wake_queued = false;
		decide(d, w, t);
		break;
	case EV_SESSION_END:
	case EV_RETRY:
		decide(d, w, t);
		break;
	case EV_RECALL:
		if (a->state == SHOWN_CALLED)
			press_key(d, w, OP_RECALL, "recall");
		break;
	case EV_NO_SHOW:
		if (a->state == SHOWN_CALLED)
			press_key(d, w, OP_NO_SHOW, "no-show");
		break;
	case EV_START:
		if (a->state == SHOWN_CALLED)
			press_key(d, w, OP_START, "start");
		break;
	case EV_HOLD:
		if (a->state == SHOWN_SERVING)
			press_key(d, w, OP_HOLD, "hold");
		break;
	case EV_TRANSFER: {
		int to = a->citizen >= 0
			     ? transfer_target(d, w, citizen(d, a->citizen)->transfer_to)
			     : -1;
		if (a->state != SHOWN_SERVING)
			break;
		if (to < 0) { /* nobody to take it: served here to the end */
			schedule(d, t + 60, EV_FINISH, w, 0);
			break;
		}
		snprintf(command, sizeof(command), "transfer %d", d->hall->windows[to].number);
		press(d, w, OP_TRANSFER, to, command);
		break;
	}
	case EV_FINISH:
		if (a->state == SHOWN_SERVING)
			press_key(d, w, OP_FINISH, "finish");
		break;
	case EV_RATE: {
		int armed = rating_armed(d, w);
		if (armed < 0)
			break;
		if (!armed && t < a->rate_until) {
			/* the host arms the keys a moment after the finish */
			schedule(d, t + 0.05 * d->o->speed, ev->type, ev->who, ev->arg);
			break;
		}
		if (!armed) {
			a->rating = false;
			after_finish(d, w, ev->arg, t);
			break;
		}
		snprintf(command, sizeof(command), "rate%d", citizen(d, ev->arg)->rating);
		press_key(d, w, OP_RATE, command);
		a->op_arg = ev->arg;
		break;
	}
	case EV_RESUME:
		if (a->paused)
			press_key(d, w, OP_RESUME, "pause");
		break;
	case EV_RESOLVE:
		resolve(d, w, t);
		break;
	}
}

/* Moves the key in flight at window w along; see the file's comment. */
static void step_window(struct drive *d, int w)
{
	struct agent *a = &d->agents[w];
	char reply[CTL_REPLY_SIZE], label[8], lines[2][160];
	int errors = 0;
	double now_ms = mono_ms();

	if (a->phase == 1) {
		int owed = ctl_poll(&a->ctl, reply, sizeof(reply), &errors);
		if (owed < 0) {
			fail(d, "the control socket failed", a->ctl.path);
			return;
		}
		if (errors) {
			fprintf(stderr, "hallsim: window %d: %s refused by the terminal: %s\n",
				a->number, op_names[a->op], reply);
			d->sum->problems++;
		}
		if (owed > 0)
			return;
		a->phase = 2;
		a->since_ms = now_ms;
	}
	if (a->phase == 2) {
		if (ctl_call(&a->ctl, "status", reply, sizeof(reply), CALL_MS) != 0) {
			fail(d, "the control socket failed", a->ctl.path);
			return;
		}
		const char *f = strstr(reply, "fifo=");
		if (f && atoi(f + 5) > 0 && now_ms - a->sent_ms < KEY_MS)
			return;
		a->phase = 3;
		a->since_ms = now_ms;
	}
	if (ctl_call(&a->ctl, "text", reply, sizeof(reply), CALL_MS) != 0) {
		fail(d, "the control socket failed", a->ctl.path);
		return;
	}
	int shown = parse_shown(reply, a->number, label, lines);
	bool expected;
	switch (a->op) {
	case OP_NEXT:
		/* a refusal says so on the second line at once */
		expected = shown == SHOWN_CALLED || strcmp(lines[1], "无人等候") == 0;
		break;
	case OP_LOGIN:
	case OP_NO_SHOW:
	case OP_HOLD:
	case OP_TRANSFER:
	case OP_FINISH:
	case OP_RESUME:
		expected = shown == SHOWN_IDLE;
		break;
	case OP_START:
	case OP_CALL_BACK:
		expected = shown == SHOWN_SERVING;
		break;
	case OP_PAUSE:
	case OP_LOGOUT:
		expected = shown == SHOWN_CLOSED;
		break;
	default:
		expected = true;
	}
	if (!expected && now_ms - a->since_ms < SETTLE_MS)
		return; /* the text may be a moment behind */
	on_key_done(d, w, shown, label, reply, sim_now(d));
}

/* ---- the kiosks ---- */

static int kiosk_button(const struct drive *d, int k, int service)
{
	const struct rig_kiosk *rk = &d->o->rig->kiosks[k];

	for (int b = 0; b < rk->n_buttons; b++)
		if (rk->service[b] == service)
			return b;
	return -1;
}

static void on_arrive(struct drive *d, int c, double t)
{
	int best = -1;

	d->sum->citizens++;
	for (int k = 0; k < d->n_kiosks; k++)
		if (kiosk_button(d, k, citizen(d, c)->service) >= 0 &&
		    (best < 0 || d->kiosks[k].n < d->kiosks[best].n))
			best = k;
	if (best < 0 || d->kiosks[best].n == KIOSK_QUEUE) {
		d->sum->refused++;
		seen(d, t, "refused", "-", d->hall->services[citizen(d, c)->service].id);
		return;
	}
	struct kiosk *k = &d->kiosks[best];
	k->queue[(k->head + k->n++) % KIOSK_QUEUE] = c;
}

static void step_kiosk(struct drive *d, int k)
{
	struct kiosk *ki = &d->kiosks[k];
	char reply[CTL_REPLY_SIZE], where[32], command[32];
	int errors = 0;
	double t = sim_now(d);

	snprintf(where, sizeof(where), "kiosk-%d", k + 1);
	if (ki->phase == 0 && ki->n > 0 && !d->draining) {
		int c = ki->queue[ki->head];
		int b = kiosk_button(d, k, citizen(d, c)->service);
		ki->head = (ki->head + 1) % KIOSK_QUEUE;
		ki->n--;
		if (ctl_call(&ki->ctl, "offered", reply, sizeof(reply), CALL_MS) != 0) {
			fail(d, "the control socket failed", ki->ctl.path);
			return;
		}
		if (!((strtoul(reply, NULL, 10) >> b) & 1)) {
			/* not offered now: out of hours, or the quota is reached */
			d->sum->refused++;
			seen(d, t, "refused", where, d->hall->services[citizen(d, c)->service].id);
			return;
		}
		if (citizen(d, c)->cls == ENGINE_CLASS_GREEN && ctl_send(&ki->ctl, "green") != 0)
			fail(d, "the control socket failed", ki->ctl.path);
		snprintf(command, sizeof(command), "press %d", b);
		if (ctl_send(&ki->ctl, command) != 0 || ctl_send(&ki->ctl, "wait-idle") != 0)
			fail(d, "the control socket failed", ki->ctl.path);
		ki->citizen = c;
		ki->phase = 1;
		ki->since_ms = mono_ms();
		d->sum->pressed++;
		return;
	}
	if (ki->phase == 1) {
		int owed = ctl_poll(&ki->ctl, reply, sizeof(reply), &errors);
		if (owed < 0)
			fail(d, "the control socket failed", ki->ctl.path);
		if (owed == 0)
			ki->phase = 2;
		return;
	}
	if (ki->phase != 2)
		return;
	if (ctl_call(&ki->ctl, "printed", reply, sizeof(reply), CALL_MS) != 0) {
		fail(d, "the control socket failed", ki->ctl.path);
		return;
	}
	unsigned long printed = strtoul(reply, NULL, 10);
	if (printed == ki->printed) {
		if (mono_ms() - ki->since_ms > PRINT_MS) {
			d->sum->refused++;
			seen(d, t, "refused", where,
			     d->hall->services[citizen(d, ki->citizen)->service].id);
			ki->phase = 0;
		}
		return;
	}
	if (printed > ki->printed + 1)
		fprintf(stderr, "hallsim: %s printed %lu tickets for one press\n", where,
			printed - ki->printed);
	ki->printed = printed;
	if (ctl_call(&ki->ctl, "last", reply, sizeof(reply), CALL_MS) != 0) {
		fail(d, "the control socket failed", ki->ctl.path);
		return;
	}
	char label[8] = "";
	sscanf(reply, "%7s", label);
	snprintf(d->walkers[ki->citizen].label, sizeof(d->walkers[ki->citizen].label), "%s", label);
	d->sum->printed++;
	seen(d, t, "print", where, label);
	poke(d, citizen(d, ki->citizen)->service, t);
	ki->phase = 0;
}

/* ---- the hall display: each new call at the top of its 4 lines ---- */

static void step_display(struct drive *d)
{
	char reply[CTL_REPLY_SIZE], lines[4][96];
	int n = 0;

	if (d->display.fd < 0 || mono_ms() < d->display_next_ms)
		return;
	d->display_next_ms = mono_ms() + DISPLAY_MS;
	if (ctl_call(&d->display, "text", reply, sizeof(reply), CALL_MS) != 0) {
		fail(d, "the control socket failed", d->display.path);
		return;
	}
	for (char *p = reply, *bar; n < 4 && p; p = bar ? bar + 1 : NULL, n++) {
		bar = strchr(p, '|');
		int len = bar ? (int)(bar - p) : (int)strlen(p);
		snprintf(lines[n], sizeof(lines[n]), "%.*s", len < 95 ? len : 95, p);
	}
	/* the lines that are new: those above the one that was on top */
	int fresh = 0;
	while (fresh < n && strcmp(lines[fresh], d->display_last[0]) != 0)
		fresh++;
	for (int i = fresh - 1; i >= 0; i--) {
		char label[8], window[16];
		const char *to = strstr(lines[i], "号到");
		if (strncmp(lines[i], "请", strlen("请")) != 0 || !to)
			continue;
		int len = (int)(to - lines[i] - (int)strlen("请"));
		snprintf(label, sizeof(label), "%.*s", len < 7 ? len : 7, lines[i] + strlen("请"));
		snprintf(window, sizeof(window), "%d", atoi(to + strlen("号到")));
		seen(d, sim_now(d), "display", window, label);
	}
	for (int i = 0; i < 4; i++)
		memcpy(d->display_last[i], i < n ? lines[i] : "", i < n ? strlen(lines[i]) + 1 : 1);
}

/* ---- the day ---- */

static int setup(struct drive *d, char *err, size_t err_size)
{
	const struct drive_options *o = d->o;
	double volume[ENGINE_MAX_SERVICES];
	struct tm tm = {.tm_year = o->day / 10000 - 1900,
			.tm_mon = o->day / 100 % 100 - 1,
			.tm_mday = o->day % 100,
			.tm_isdst = -1};

	d->midnight_s = (int64_t)mktime(&tm);
	model_volumes(d->hall, &o->params, volume);
	if (model_plan_day(d->hall, &o->params, volume, o->seed, o->day, tm.tm_wday, d->midnight_s,
			   &d->plan) != 0) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	d->walkers = calloc((size_t)d->plan.n_citizens + 1, sizeof(*d->walkers));
	if (!d->walkers) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	for (int w = 0; w < d->hall->n_windows; w++) {
		struct agent *a = &d->agents[w];
		a->number = d->hall->windows[w].number;
		a->citizen = -1;
		a->state = SHOWN_CLOSED;
		a->present = o->rig->terminal_sock[w][0] && w < o->cfg->n_staff;
		if (!o->rig->terminal_sock[w][0])
			continue;
		if (ctl_open(&a->ctl, o->rig->terminal_sock[w], 10000) != 0) {
			snprintf(err, err_size, "%s: cannot connect: %s", o->rig->terminal_sock[w],
				 strerror(errno));
			return -1;
		}
		if (a->present && d->plan.staff[w].login_s[0] >= 0)
			schedule(d, (double)d->plan.staff[w].login_s[0], EV_LOGIN, w, 0);
	}
	d->n_kiosks = o->rig->n_kiosks;
	for (int k = 0; k < d->n_kiosks; k++) {
		d->kiosks[k].citizen = -1;
		if (ctl_open(&d->kiosks[k].ctl, o->rig->kiosks[k].sock, 10000) != 0) {
			snprintf(err, err_size, "%s: cannot connect: %s", o->rig->kiosks[k].sock,
				 strerror(errno));
			return -1;
		}
	}
	if (ctl_open(&d->display, o->rig->display_sock, 10000) != 0) {
		snprintf(err, err_size, "%s: cannot connect: %s", o->rig->display_sock,
			 strerror(errno));
		return -1;
	}
	/* citizens planned before the clock starts do not come */
	double t0 = sim_now(d);
	while (d->next_arrival < d->plan.n_citizens &&
	       (double)d->plan.citizens[d->next_arrival].arrive_s < t0)
		d->next_arrival++;
	return 0;
}

/* Every window closed after the last session, nobody left to come. */
static bool day_over(const struct drive *d, double t)
{
	const struct engine_hours *h = &d->hall->hours;

	if (h->n_sessions == 0 || t < (double)session_end(d, h->n_sessions - 1))
		return false;
	if (d->next_arrival < d->plan.n_citizens)
		return false;
	for (int k = 0; k < d->n_kiosks; k++)
		if (d->kiosks[k].n > 0 || d->kiosks[k].phase != 0)
			return false;
	for (int w = 0; w < d->hall->n_windows; w++)
		if (d->agents[w].present &&
		    (d->agents[w].state != SHOWN_CLOSED || d->agents[w].phase != 0))
			return false;
	return true;
}

static void progress(struct drive *d, double t)
{
	int64_t hour = (int64_t)(t - (double)d->midnight_s) / 3600;

	if (hour == d->last_hour)
		return;
	if (d->last_hour >= 0 && !d->o->quiet)
		printf("hallsim: %02d:00 printed=%d calls=%d finished=%d no_shows=%d refused=%d\n",
		       (int)hour, d->sum->printed, d->sum->calls, d->sum->finished,
		       d->sum->no_shows, d->sum->refused);
	fflush(stdout);
	d->last_hour = hour;
}

/* Stopping: the presses and keys in flight are seen through (at most
 * 5 s), so that every ticket printed and every call shown is counted. */
static void drain(struct drive *d)
{
	double end_ms = mono_ms() + 5000;

	d->draining = true;
	while (!d->failed && mono_ms() < end_ms) {
		bool busy = false;
		for (int k = 0; k < d->n_kiosks && !d->failed; k++) {
			step_kiosk(d, k);
			busy = busy || d->kiosks[k].phase != 0;
		}
		for (int w = 0; w < d->hall->n_windows && !d->failed; w++)
			if (d->agents[w].phase != 0) {
				step_window(d, w);
				busy = true;
			}
		if (!busy)
			return;
		struct timespec nap = {0, 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
}

static void loop(struct drive *d)
{
	double next_check_ms = 0;

	while (!d->failed && !*d->o->stop) {
		double t = sim_now(d);
		if (t >= (double)d->o->until_s)
			break;
		if (day_over(d, t)) {
			d->sum->day_over = true;
			break;
		}
		progress(d, t);
		while (!d->failed && d->next_arrival < d->plan.n_citizens &&
		       (double)d->plan.citizens[d->next_arrival].arrive_s <= t)
			on_arrive(d, d->next_arrival++, t);
		while (!d->failed && d->n_heap > 0 && d->heap[0].t <= t) {
			struct event ev = pop(d);
			run_window_event(d, &ev, t);
		}
		for (int k = 0; k < d->n_kiosks && !d->failed; k++)
			step_kiosk(d, k);
		for (int w = 0; w < d->hall->n_windows && !d->failed; w++)
			if (d->agents[w].phase != 0)
				step_window(d, w);
		step_display(d);
		if (mono_ms() >= next_check_ms) {
			const char *dead = rig_dead_child((struct rig *)d->o->rig);
			next_check_ms = mono_ms() + 500;
			if (dead && !d->failed) {
				d->failed = true;
				snprintf(d->err, d->err_size,
					 "%s stopped by itself (see its log in the work folder)",
					 dead);
			}
		}
		struct timespec nap = {0, 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	d->sum->ended_s = (int64_t)sim_now(d);
	drain(d);
}

int drive_run(const struct drive_options *o, struct drive_summary *sum, char *err, size_t err_size)
{
	struct drive *d = calloc(1, sizeof(*d));
	int rc = -1;

	if (!d) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	memset(sum, 0, sizeof(*sum));
	for (int w = 0; w < ENGINE_MAX_WINDOWS; w++)
		d->agents[w].ctl.fd = -1;
	for (int k = 0; k < RIG_MAX_KIOSKS; k++)
		d->kiosks[k].ctl.fd = -1;
	d->display.fd = -1;
	d->o = o;
	d->hall = &o->cfg->hall;
	d->sum = sum;
	d->err = err;
	d->err_size = err_size;
	d->last_hour = -1;
	d->seen = o->seen_path ? fopen(o->seen_path, "a") : NULL;
	if (o->seen_path && !d->seen) {
		snprintf(err, err_size, "%s: %s", o->seen_path, strerror(errno));
		goto done;
	}
	if (setup(d, err, err_size) != 0)
		goto done;
	loop(d);
	rc = d->failed ? -1 : 0;
done:
	for (int w = 0; w < ENGINE_MAX_WINDOWS; w++)
		ctl_close(&d->agents[w].ctl);
	for (int k = 0; k < RIG_MAX_KIOSKS; k++)
		ctl_close(&d->kiosks[k].ctl);
	ctl_close(&d->display);
	if (d->seen)
		fclose(d->seen);
	model_day_free(&d->plan);
	free(d->walkers);
	free(d->heap);
	free(d);
	return rc;
}
