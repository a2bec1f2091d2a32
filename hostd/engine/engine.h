/*
 * engine.h — the queue engine: tickets, windows and the dispatch policy.
 *
 * Room: hostd/engine. Pure C: no I/O, no clock, no threads. Every command
 * carries the time it happens at (struct engine_clock), so a whole day can
 * be replayed from the journal to the same state, and tests run a hall in
 * microseconds. The engine is owned by one thread (the core); it is not
 * shared.
 *
 * A command is plain data (struct engine_command): the core journals the
 * commands that succeed and replays them on restart. engine_apply() returns
 * 0 and fills a struct engine_result, or a positive enum engine_error for a
 * refusal a user can cause (nothing changed then), or a negative one for a
 * bug in the caller. docs/engine.md describes the rules.
 */
#ifndef HALLQ_ENGINE_H
#define HALLQ_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/hall.h"

#define ENGINE_NO_TICKET UINT32_MAX

enum { ENGINE_LINK_QUEUE = 0, ENGINE_LINK_PENDING = 1 }; /* engine_ticket.link[] */

enum engine_error {
	ENGINE_OK = 0,
	/* negative: the caller's bug */
	ENGINE_ERR_BAD_COMMAND = -1,
	ENGINE_ERR_NOMEM = -2,
	/* positive: refusals */
	ENGINE_ERR_NO_SUCH_SERVICE = 1,
	ENGINE_ERR_NO_SUCH_WINDOW,
	ENGINE_ERR_NO_SUCH_TICKET,
	ENGINE_ERR_BAD_ARGUMENT, /* e.g. an appointment slot on another day */
	ENGINE_ERR_CLOSED_TODAY, /* not a workday */
	ENGINE_ERR_OUTSIDE_HOURS,
	ENGINE_ERR_QUOTA_REACHED,
	ENGINE_ERR_WINDOW_NOT_LOGGED_IN,
	ENGINE_ERR_WINDOW_LOGGED_IN, /* login while another staff is logged in */
	ENGINE_ERR_WINDOW_PAUSED,
	ENGINE_ERR_WINDOW_NOT_PAUSED,
	ENGINE_ERR_WINDOW_BUSY, /* it has a called or serving ticket */
	ENGINE_ERR_WINDOW_HOLDS_TICKETS,
	ENGINE_ERR_PAUSE_REASON_REQUIRED,
	ENGINE_ERR_UNKNOWN_PAUSE_REASON,
	ENGINE_ERR_NO_TICKET_WAITING,
	ENGINE_ERR_NOT_CALLED, /* the window has no called ticket */
	ENGINE_ERR_NOT_SERVING,
	ENGINE_ERR_NOT_WAITING,
	ENGINE_ERR_NOT_HELD_HERE,
	ENGINE_ERR_NOT_SERVED_HERE, /* the window does not serve that service */
	ENGINE_ERR_NOT_FINISHED,
	ENGINE_ERR_ALREADY_RATED,
	ENGINE_ERR_SAME_PLACE, /* transfer to where the ticket already is */
	ENGINE_ERR_DAY_CLOSED, /* the business day is closed; next day not open */
	ENGINE_ERR_COUNT
};

const char *engine_strerror(int err);
/* A stable identifier for APIs and the journal: "QUOTA_REACHED". */
const char *engine_error_name(int err);

/* The time of a command: epoch seconds and the hall's local calendar. */
struct engine_clock {
	int64_t now_s;
	int32_t day;    /* local business day as yyyymmdd */
	int16_t minute; /* local minutes since midnight */
	int8_t wday;    /* 0 = Sunday, as tm_wday */
};

enum engine_class {
	ENGINE_CLASS_NORMAL = 0,
	ENGINE_CLASS_GREEN,       /* 绿色通道: elderly, disabled, pregnant, military */
	ENGINE_CLASS_APPOINTMENT, /* with a slot time */
	ENGINE_CLASS_COUNT
};

enum engine_ticket_state {
	ENGINE_TICKET_WAITING = 0,
	ENGINE_TICKET_CALLED,
	ENGINE_TICKET_SERVING,
	ENGINE_TICKET_HELD,
	/* final states */
	ENGINE_TICKET_FINISHED,
	ENGINE_TICKET_NO_SHOW,
	ENGINE_TICKET_CANCELLED,
	ENGINE_TICKET_EXPIRED,
	ENGINE_TICKET_STATE_COUNT
};

enum engine_window_state {
	ENGINE_WINDOW_LOGGED_OUT = 0,
	ENGINE_WINDOW_IDLE,
	ENGINE_WINDOW_PAUSED,
	ENGINE_WINDOW_CALLED,  /* current ticket called, citizen on the way */
	ENGINE_WINDOW_SERVING, /* current ticket being served */
	ENGINE_WINDOW_STATE_COUNT
};

enum engine_rating {
	ENGINE_RATING_NONE = 0,
	ENGINE_RATING_VERY_SATISFIED,   /* 非常满意 */
	ENGINE_RATING_SATISFIED,        /* 满意 */
	ENGINE_RATING_BASIC,            /* 基本满意 */
	ENGINE_RATING_DISSATISFIED,     /* 不满意 */
	ENGINE_RATING_VERY_DISSATISFIED /* 非常不满意 */
};

struct engine_ticket {
	uint32_t id;    /* index in the day, from 0 */
	char prefix[3]; /* of the service it was issued for: the number keeps it */
	int16_t number; /* 1..999 */
	int16_t issued_service;
	int16_t service; /* where it is now (a transfer changes it) */
	uint8_t cls;     /* enum engine_class */
	uint8_t state;   /* enum engine_ticket_state */
	uint8_t rating;  /* enum engine_rating */
	uint8_t called_specifically;
	uint8_t displaced;     /* re-queued after a no-show: keeps the place it was given */
	int16_t window;        /* the window calling/serving/holding it; else -1 */
	int16_t target_window; /* transferred to this window; else -1 */
	int16_t recalls, no_shows, transfers;
	int64_t slot_s; /* appointment slot, else 0 */
	int64_t issued_s, first_called_s, called_s, started_s, held_s, finished_s;
	int64_t hold_total_s; /* time on hold, not handling time */
	/* links (ticket ids, ENGINE_NO_TICKET at the ends) in the queue that
	 * holds it, and in its service's list of appointments not yet due */
	struct engine_link {
		uint32_t prev, next;
	} link[2];
	int32_t list;    /* which queue holds it, -1 none */
	int16_t pending; /* the service whose pending list holds it, -1 none */
};

struct engine_window_status {
	uint8_t state; /* enum engine_window_state */
	int8_t pause_reason;
	uint32_t current; /* called or serving ticket, else ENGINE_NO_TICKET */
	char staff[ENGINE_ID_SIZE];
	int n_held;
	int64_t since_s; /* when the state began */
};

enum engine_op {
	ENGINE_OP_ISSUE = 1,
	ENGINE_OP_LOGIN,
	ENGINE_OP_LOGOUT,
	ENGINE_OP_PAUSE,
	ENGINE_OP_RESUME,
	ENGINE_OP_CALL_NEXT,
	ENGINE_OP_CALL_TICKET,
	ENGINE_OP_RECALL,
	ENGINE_OP_NO_SHOW,
	ENGINE_OP_START,
	ENGINE_OP_HOLD,
	ENGINE_OP_CALL_BACK,
	ENGINE_OP_FINISH,
	ENGINE_OP_TRANSFER,
	ENGINE_OP_CANCEL,
	ENGINE_OP_RATE,
	ENGINE_OP_CLOSE_DAY,
	ENGINE_OP_COUNT
};

/* Stable names for the journal and the API, and their parsers (-1 unknown). */
const char *engine_class_name(int cls); /* "normal", "green", "appointment" */
int engine_class_parse(const char *name);
const char *engine_ticket_state_name(int state); /* "waiting" ... "expired" */
const char *engine_window_state_name(int state); /* "logged_out" ... "serving" */

const char *engine_op_name(enum engine_op op); /* "call_next" */
int engine_op_parse(const char *name);         /* -1 when unknown */

struct engine_command {
	enum engine_op op;
	struct engine_clock clock;
	int window;                 /* window index (window ops) */
	int service;                /* ISSUE: the service; TRANSFER: the new service or -1 */
	int target_window;          /* TRANSFER to this window index, or -1 */
	uint32_t ticket;            /* CALL_TICKET, CALL_BACK, CANCEL, RATE */
	enum engine_class cls;      /* ISSUE */
	int64_t slot_s;             /* ISSUE of an appointment */
	int reason;                 /* PAUSE: index into queue.pause_reasons, -1 none */
	int rating;                 /* RATE: 1..5 */
	char staff[ENGINE_ID_SIZE]; /* LOGIN */
	/* Replaying the journal: an ISSUE accepted then is accepted again, even
	 * if the config's hours, workdays or quota have changed since, so every
	 * ticket gets back its number. */
	bool replay;
};

struct engine_result {
	uint32_t ticket;        /* the ticket the command concerned, or ENGINE_NO_TICKET */
	int window;             /* the window, or -1 */
	int people_ahead;       /* ISSUE: waiting before it in its service */
	int estimated_wait_min; /* ISSUE */
	int requeued;           /* NO_SHOW: 1 when put back in line */
	/* what changed, for the store's projections */
	uint32_t tickets[2];
	int n_tickets;
	int windows[2];
	int n_windows;
	bool all_changed; /* CLOSE_DAY: every ticket and window */
};

struct engine;

/*
 * A new engine for the hall (copied; the caller may free it) with the
 * business day `day` open and empty. Returns NULL when out of memory.
 */
struct engine *engine_new(const struct engine_hall *hall, int32_t day);
void engine_free(struct engine *e); /* NULL is fine */

/* Applies one command; see the file comment for the contract. */
int engine_apply(struct engine *e, const struct engine_command *cmd, struct engine_result *res);

/*
 * Starts a new business day: numbering restarts, every window is logged
 * out. The estimates' history of handling times is kept. Tickets not
 * final must have been expired by CLOSE_DAY first (else BAD_COMMAND).
 */
int engine_open_day(struct engine *e, int32_t day);

/* Feeds one handling time of an earlier day into a service's estimate
 * history (restart restores the history this way, oldest first). */
void engine_seed_handling(struct engine *e, int service, int64_t handling_s);

/* ---- reading the state ---- */
int32_t engine_day(const struct engine *e);
bool engine_day_is_closed(const struct engine *e);
uint32_t engine_ticket_count(const struct engine *e);
const struct engine_ticket *engine_ticket(const struct engine *e, uint32_t id); /* NULL if none */
/* The ticket with this prefix and number today, or ENGINE_NO_TICKET. */
uint32_t engine_find_ticket(const struct engine *e, const char *prefix, int number);
/* The same from a label such as "A023" or "AB023". */
uint32_t engine_find_label(const struct engine *e, const char *label);
const struct engine_window_status *engine_window(const struct engine *e, int window);
int engine_waiting_count(const struct engine *e, int service);
int engine_issued_count(const struct engine *e, int service);
const struct engine_hall *engine_hall(const struct engine *e);
/* Would ISSUE for this service be taken at this time? ENGINE_OK or the
 * refusal (CLOSED_TODAY, OUTSIDE_HOURS, QUOTA_REACHED, DAY_CLOSED). */
int engine_issue_check(const struct engine *e, int service, const struct engine_clock *clock);
/* Minutes a new ticket of this class would wait; people before it in *ahead. */
int engine_estimate(const struct engine *e, int service, int cls, int *ahead);
/* A waiting ticket's place: people served before it in *ahead (the classes
 * served first, then those before it in its queue), and the minutes it
 * may still wait as engine_estimate() counts them; -1 when it is not
 * waiting. O(its queue). */
int engine_ticket_position(const struct engine *e, uint32_t id, int *ahead);
/* The ticket this window has held longest, or ENGINE_NO_TICKET; O(tickets).
 * CALL_BACK with ticket ENGINE_NO_TICKET calls back this one. */
uint32_t engine_first_held(const struct engine *e, int window);
/* "A023" (or "AB023") into buf, which holds at least 8 bytes. */
const char *engine_ticket_label(const struct engine_ticket *t, char *buf);
/* Handling time of a finished ticket: start (or call) to finish, minus hold. */
int64_t engine_handling_s(const struct engine_ticket *t);

/*
 * Checks the engine's internal consistency (queues, counters, window and
 * ticket states agree). Returns NULL, or a sentence naming the first rule
 * broken. For tests and for checking a restored state; O(tickets).
 */
const char *engine_check(const struct engine *e);

/* A digest of the whole observable state, equal for equal states. */
uint64_t engine_digest(const struct engine *e);

#endif /* HALLQ_ENGINE_H */
