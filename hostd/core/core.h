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
 * While the store fails (the disk full, the file locked by another
 * process or read-only), the view says so (store_failing: kiosks show
 * 暂停取号) and the core tries a write at most once every
 * CORE_STORE_RETRY_MS: a batch that comes then, or a check write of its
 * own when none does; requests in between are refused CORE_ERR_STORE at
 * once. The first write that works ends it: service resumes by itself.
 *
 * The core stamps each command with its clock when it applies it, and
 * closes the business day (CLOSE_DAY, then opens the next) when the clock's
 * day changes, on a request or on its own once a second.
 */
#ifndef HALLQ_CORE_H
#define HALLQ_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "store/store.h"

enum core_error {
	CORE_OK = 0,
	CORE_ERR_BUSY = -1,    /* the request queue is full: try again */
	CORE_ERR_STOPPED = -2, /* the core is stopping */
	CORE_ERR_STORE = -3,   /* the store failed: nothing of it was applied */
	CORE_ERR_NOMEM = -4,
	CORE_ERR_RANDOM = -5, /* no random bytes from the system (a booking code) */
};

/*
 * Refusals the core adds to the engine's (positive, after them): of the
 * bookings, and of walk-in tickets where appointments rule.
 * core_error_name() gives the stable names the API answers with.
 */
enum core_refusal {
	CORE_REFUSE_NOT_FOUND = 100,      /* no booking has that code */
	CORE_REFUSE_NO_APPOINTMENTS,      /* the service takes none */
	CORE_REFUSE_APPOINTMENT_REQUIRED, /* 必须预约: no walk-in ticket for the service */
	CORE_REFUSE_NOT_A_SLOT,           /* not the start of a slot of the service that day */
	CORE_REFUSE_TOO_FAR_AHEAD,        /* after the last day open for booking */
	CORE_REFUSE_BOOKING_CLOSED,       /* the slot is past, or closes soon */
	CORE_REFUSE_SLOT_FULL,            /* every place of the slot is booked */
	CORE_REFUSE_ALREADY_BOOKED,       /* the phone has a booking of the service that day */
	CORE_REFUSE_PHONE_LIMIT,          /* the phone has the most bookings a day allows */
	CORE_REFUSE_PHONE_BLOCKED,        /* the no-show rule blocks the phone for now */
	CORE_REFUSE_KEY_REUSED,           /* the idempotency key booked something else */
	CORE_REFUSE_ALREADY_CHECKED_IN,   /* the code was used: the booking is a ticket */
	CORE_REFUSE_BOOKING_CANCELLED,    /* the booking was cancelled */
	CORE_REFUSE_NOT_TODAY,            /* checking in on another day than the slot's */
	CORE_REFUSE_TOO_LATE,             /* after the grace, where late check-ins are refused */
	CORE_REFUSE_CANCEL_TOO_LATE,      /* the slot has started */
	CORE_REFUSE_END
};

enum {
	CORE_STORE_RETRY_MS = 1000, /* while the store fails: one write tried this often */
	CORE_FAILING_BUSY_MS = 200, /* ... waiting at most this long for a lock */
	CORE_TOKEN_SIZE = 17,       /* a ticket status token: 16 hex digits and a NUL */
	CORE_MAX_OBSERVERS = 4,
};

const char *core_strerror(int err);
/* A stable identifier: "SLOT_FULL", the engine's ("QUOTA_REACHED"), or
 * "STORE_FAILED" and the like for the core's own errors. */
const char *core_error_name(int err);

/* Where the core reads the time; a test passes a fake one. */
struct core_clock {
	void (*now)(void *arg, struct engine_clock *out);
	void *arg;
};

/* The system clock in the local time zone (TZ must be set before threads). */
extern const struct core_clock core_system_clock;

/*
 * A clock that runs `speed` times as fast as the system's: at the real
 * time origin_s (epoch seconds, with fractions) it reads start_s, and each
 * real second after that adds `speed` seconds. hallsim runs a simulated
 * day through hostd this way (hostd --clock-start, --clock-speed); the
 * engine never knows. The state must outlive the clock.
 */
struct core_scaled_clock {
	int64_t start_s;
	double origin_s;
	double speed; /* > 0 */
};
struct core_clock core_scaled_clock(struct core_scaled_clock *state);
/* The local calendar of epoch second t (TZ as for core_system_clock). */
void core_clock_at(int64_t t, struct engine_clock *out);

/* cmd.op of a request that carries only a device mark, no engine command. */
#define CORE_OP_NONE 0

/* ---- bookings (预约制度; docs/api.md, "Appointments") ---- */

enum core_booking_op {
	CORE_BOOKING_NONE = 0,
	CORE_BOOKING_BOOK,     /* a place in a slot: a new booking, or the one its key made */
	CORE_BOOKING_CANCEL,   /* by code; a cancelled one again is answered as it is */
	CORE_BOOKING_CHECK_IN, /* by code: becomes an ISSUE (see core_check_in) */
	/* questions: nothing is written */
	CORE_BOOKING_GET,   /* by code */
	CORE_BOOKING_SLOTS, /* the slots of a service and day, with the places taken */
	CORE_BOOKING_LIST,  /* the bookings of a day, one by one to a function */
};

enum {
	CORE_MAX_SLOTS = 288, /* a day of 5-minute slots */
	CORE_PHONE_SIZE = 12, /* 11 digits and a NUL */
};

struct core_slot {
	int64_t start_s;            /* epoch seconds */
	int16_t start_min, end_min; /* local minutes since midnight */
	int places;                 /* places to book: the walk-ins' share kept back */
	int taken;                  /* SLOTS: places booked (cancelled ones freed) */
	bool open;                  /* can be booked now */
};

struct core_request {
	struct engine_command cmd;   /* the clock is filled by the core */
	char source[ENGINE_ID_SIZE]; /* who asks: device id, API client */
	/*
	 * A bus device's event this request answers (docs/protocol.md): the
	 * core records it in the same transaction as the command, taken or
	 * refused, so that a restart neither repeats nor skips it.
	 */
	struct {
		bool set;                /* record row */
		struct store_device row; /* id (also for print_done alone), boot, seq */
		uint16_t owe_print;      /* ISSUE: if taken, the kiosk is owed this print */
		uint16_t print_done;     /* the print with this seq ended: no longer owed */
	} device;
	/*
	 * A question, not a command: the ticket cmd.ticket as it is now
	 * (reply in ticket, its place in res.people_ahead and
	 * res.estimated_wait_min; err ENGINE_ERR_NO_SUCH_TICKET if none).
	 * Nothing is applied or recorded.
	 */
	bool query;
	/* A ticket named by its number ("A023") instead of cmd.ticket (left
	 * ENGINE_NO_TICKET): resolved on the core thread; unknown today is
	 * ENGINE_ERR_NO_SUCH_TICKET. */
	char ticket_label[8];
	/*
	 * A booking's request (booking.op set; cmd.op left CORE_OP_NONE).
	 * The core decides it on its thread, so concurrent bookings of the
	 * last places are taken one at a time: never overbooked.
	 */
	struct {
		int op;                             /* enum core_booking_op */
		char code[STORE_BOOKING_CODE_SIZE]; /* CANCEL, CHECK_IN, GET */
		int service;                        /* BOOK, SLOTS; LIST: -1 every service */
		int32_t day;                        /* SLOTS, LIST: yyyymmdd */
		int64_t slot_s;                     /* BOOK: the slot's start */
		char phone[CORE_PHONE_SIZE];        /* BOOK: never stored, never logged */
		char key[STORE_BOOKING_KEY_SIZE];   /* BOOK: the idempotency key */
		struct core_slot *slots;            /* SLOTS: room for CORE_MAX_SLOTS */
		/* LIST: called on the core thread for each booking; copy and
		 * return at once (nonzero stops) */
		int (*each)(void *arg, const struct store_booking *b);
		void *arg;
		/* the reply */
		struct store_booking row; /* BOOK, CANCEL, CHECK_IN, GET: the booking now */
		bool again;               /* BOOK, CANCEL: it was so already; nothing written */
		int n_slots;              /* SLOTS */
		int32_t blocked_until;    /* PHONE_BLOCKED: the last day blocked */
	} booking;
	/* the reply */
	int err; /* CORE_OK, a core_error, an engine_error or a core_refusal */
	struct engine_result res;
	struct engine_ticket ticket; /* copy of res.ticket's state, if any */
	struct store_print print;    /* the print owed, when owe_print was taken */
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

/*
 * What other threads may read of the engine: a copy the core refreshes
 * after every batch and every second (hours open and close with time).
 */
struct core_service_view {
	int waiting;
	int issued;
	int issue_err; /* ENGINE_OK when a walk-in ISSUE would be taken now, else the refusal */
	int wait_min;  /* estimate for a new normal ticket */
	int booked;    /* today's bookings still to come in on time: quota places they hold */
};

struct core_window_view {
	uint8_t state; /* enum engine_window_state */
	int8_t pause_reason;
	int n_held;
	uint32_t current; /* ticket id, or ENGINE_NO_TICKET */
	char label[8];    /* of current, or "" */
	int waiting;      /* tickets waiting in the services this window serves */
	char staff[ENGINE_ID_SIZE];
};

struct core_view {
	uint64_t version; /* changes with every refresh that changed something */
	/* The last write to the database failed and none has worked since:
	 * take nothing new (kiosks show 暂停取号) until it works again. */
	bool store_failing;
	int store_error;             /* then why: a store_error (STORE_ERR_FULL, ...) */
	int64_t store_failing_since; /* and since when (the hall's clock, epoch s) */
	int32_t day;
	int64_t now_s;
	int n_services, n_windows;
	struct core_service_view services[ENGINE_MAX_SERVICES];
	struct core_window_view windows[ENGINE_MAX_WINDOWS];
};

struct core;

/*
 * What a committed request changed, for those who follow the hall (the
 * API's live events, the voice). Given on the core thread after the
 * batch's commit, in order; view is the state after the whole batch.
 * When the store starts or stops failing (view->store_failing), observers
 * are told once with req and window NULL. An observer copies what it
 * needs and returns at once.
 */
struct core_change {
	const struct core_request *req;            /* cmd, res and ticket as replied; or NULL */
	const struct engine_window_status *window; /* res.window's, or NULL */
	const struct core_view *view;
};
typedef void (*core_observer)(void *arg, const struct core_change *change);

/*
 * Restores the engine from the store (today's journal replayed on top of
 * the recent handling times of earlier days) without starting the thread.
 * queue_capacity bounds the pending requests. Returns NULL with a sentence
 * in err on failure.
 */
struct core *core_new(const struct engine_hall *hall, struct store *st,
		      const struct core_clock *clock, int queue_capacity, char *err, int err_size);
/* Before core_start(): fn is told of every committed request that the
 * engine took. Returns 0, or -1 when CORE_MAX_OBSERVERS are set. */
int core_observe(struct core *c, core_observer fn, void *arg);
/*
 * Before core_start(): fn(arg) is called on the core thread each time
 * round its loop, after the batch (or the idle check) it has just carried
 * out, and so at least every period_ms while the core is idle (1 to 1000;
 * the idle check alone comes once a second). A core that hangs (a stuck
 * commit, a clock or observer that never returns) stops calling it:
 * hostd's systemd watchdog is pinged from here. fn must return at once.
 * Returns 0, or -1 when the core has started or period_ms is out of range.
 */
int core_on_tick(struct core *c, void (*fn)(void *arg), void *arg, int period_ms);
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
/* Copies the latest view (any thread). */
void core_view(struct core *c, struct core_view *out);

/*
 * The status token of ticket id of business day `day` (any thread): four
 * hex digits of the id and twelve of a keyed hash (HMAC-SHA256 with a key
 * the store keeps), so that a ticket's token cannot be guessed from
 * another's. What the printed QR code and the ticket page carry.
 */
void core_ticket_token(const struct core *c, int32_t day, uint32_t id, char *out);
/* The ticket id a token of `day` names, or ENGINE_NO_TICKET when it is
 * not one (forged, malformed, another day's). */
uint32_t core_token_ticket(const struct core *c, int32_t day, const char *token);

/* ---- bookings ---- */

/*
 * Prepares req (all of it) to check in the booking with this code for
 * source (a device id, "api:NAME"). Callers may add a device mark
 * (req->device: the kiosk's event and the print owed) before core_call().
 *
 * On the core thread, in the batch's transaction: a code not booked is
 * CORE_REFUSE_NOT_FOUND; a booking cancelled CORE_REFUSE_BOOKING_CANCELLED;
 * one already checked in CORE_REFUSE_ALREADY_CHECKED_IN (booking.row
 * names its ticket); one of another day CORE_REFUSE_NOT_TODAY. Otherwise
 * it becomes an ISSUE of its service (req->cmd.op ENGINE_OP_ISSUE): up to
 * grace_min after the slot's start an appointment ticket for the slot
 * (waiting as a normal ticket until queue.appointment_due_before_minutes
 * before it, docs/engine.md); later a normal ticket, or
 * CORE_REFUSE_TOO_LATE where the service refuses late check-ins. The
 * engine may still refuse the issue (OUTSIDE_HOURS, ...). When taken,
 * req->err is ENGINE_OK, req->ticket and req->res are as for an ISSUE and
 * booking.row is the booking, checked in, naming the ticket.
 */
void core_check_in_request(struct core_request *req, const char *code, const char *source);
/* core_check_in_request() and core_call(): returns as core_call(). */
int core_check_in(struct core *c, const char *code, const char *source, struct core_request *req);

/* A booking code as the core makes them: 8 digits. */
bool core_booking_code_is_valid(const char *code);
/* A mainland mobile number: 11 digits, 1 then 3-9 (13x ... 19x). */
bool core_phone_is_valid(const char *phone);
/* "138****5678" of a valid number into out (STORE_PHONE_MASK_SIZE). */
void core_phone_mask(const char *phone, char *out);
/* Places of a slot open to booking: places_per_slot less the walk-ins'
 * share, rounded down. */
int core_slot_places(const struct engine_appointment *a);

/*
 * The slots of service s on `day` into out (room for CORE_MAX_SLOTS),
 * in time order; returns how many: 0 when the service takes no
 * appointments or the hall is closed that day (not a workday, one of
 * booking.closed_days). open is whether each can be booked at now_s
 * (today is now_s's business day); taken is 0. Any thread, TZ set.
 */
int core_slots(const struct engine_hall *h, int s, int32_t day, int64_t now_s, int32_t today,
	       struct core_slot *out);
/* The days service s can be booked for, from today on, up to max into
 * days (those with slots; a day whose slots have all closed too). */
int core_booking_days(const struct engine_hall *h, int s, int32_t today, int32_t *days, int max);
/* The epoch second of local minute `minute` of day (yyyymmdd); TZ set. */
int64_t core_local_time(int32_t day, int minute);
/* yyyymmdd plus n days. */
int32_t core_day_add(int32_t day, int n);

#endif /* HALLQ_CORE_H */
