/*
 * store.h — hallq's durable state in SQLite: open, migrate, close.
 *
 * Room: hostd/store. The only place (with hostd/eval) that includes
 * sqlite3.h. One struct store is owned by one thread (the core thread);
 * it is not shared. Later issues add the journal and projections here.
 *
 * The database is a hallq database when its application_id is
 * STORE_APPLICATION_ID; its schema version is PRAGMA user_version, raised
 * one step at a time by the migrations in store.c. A database written by a
 * newer hallq (a version above STORE_SCHEMA_VERSION) is refused, never
 * touched.
 */
#ifndef HALLQ_STORE_H
#define HALLQ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define STORE_APPLICATION_ID 0x48414C51 /* "HALQ" */

enum {
	STORE_SCHEMA_VERSION = 6, /* the newest schema this build knows */
	STORE_BUSY_TIMEOUT_MS = 5000,
};

/* Errors: negative values; store_strerror() names them. */
enum store_error {
	STORE_OK = 0,
	STORE_ERR_IO = -1,        /* cannot open, read or write the file */
	STORE_ERR_NOT_HALLQ = -2, /* another program's database */
	STORE_ERR_TOO_NEW = -3,   /* schema newer than this build */
	STORE_ERR_NOMEM = -4,
	STORE_ERR_BUSY = -5,     /* another process holds the database */
	STORE_ERR_FULL = -6,     /* no space left for it (SQLITE_FULL, ENOSPC) */
	STORE_ERR_READONLY = -7, /* a read-only file system, or no write permission */
};

struct store;

/*
 * Opens the database at path, creating it if it does not exist, in WAL mode
 * with synchronous=FULL, and migrates it to STORE_SCHEMA_VERSION. On
 * success *out is the store and 0 is returned; on failure a negative
 * store_error and one line for the operator in err (err_size bytes): the
 * file, what failed, and why (locked by another process, read-only, the
 * disk full). A file SQLite could open only read-only is refused.
 */
int store_open(const char *path, struct store **out, char *err, size_t err_size);

void store_close(struct store *st); /* NULL is fine */

/* The schema version of the open database (STORE_SCHEMA_VERSION once open). */
int store_schema_version(struct store *st);

/* "wal" when the journal mode is WAL, as SQLite reports it. */
const char *store_journal_mode(struct store *st);

const char *store_strerror(int err);
/* The error as an upper-case word for machines (DISK_FULL, LOCKED,
 * READ_ONLY, IO_ERROR, ...): what the API reports. */
const char *store_error_name(int err);
/* SQLite's words (and the system's, for I/O) for the last failure of st,
 * "" if none: for the log, beside store_strerror(). */
const char *store_last_error(const struct store *st);

/* How long a write waits for another process's lock before failing
 * (STORE_ERR_BUSY); STORE_BUSY_TIMEOUT_MS from store_open(). */
void store_set_busy_timeout(struct store *st, int timeout_ms);
int store_busy_timeout(const struct store *st);

/*
 * Writes one row (meta "write_checked_at" = now_s) in a transaction of its
 * own: STORE_OK when the database takes writes now, else why not
 * (STORE_ERR_FULL, _BUSY, _READONLY, _IO). hostd checks this before it
 * says ready, and the core while writes fail, to see them work again.
 */
int store_check_write(struct store *st, int64_t now_s);

/* ---- the journal and its projections (schema 2) ----
 *
 * Every command the engine accepted is one row of `events`, written with
 * the projections it changed (`tickets`, `windows`) in the same
 * transaction: store_begin(), store_record() per command, store_commit().
 * Events name services by id and windows by number, so a journal stays
 * readable when the config changes; the hall given to these functions maps
 * them to the engine's indexes.
 */

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st); /* after a failure; safe to repeat */

/*
 * Journals one accepted command (with its result) and writes the tickets
 * and windows it changed, as the engine now holds them. source names who
 * asked (a device id, an API client, "core"). For CLOSE_DAY every ticket
 * and window is written.
 */
int store_record(struct store *st, const struct engine *e, const struct engine_command *cmd,
		 const struct engine_result *res, const char *source);

/* One journalled command, as read back for a replay. */
struct store_event {
	int64_t id;
	struct engine_command cmd; /* indexes mapped through the hall; -1 if unknown */
	char ticket[8];            /* label of the ticket concerned, "" if none */
	char source[ENGINE_ID_SIZE];
	int unknown_ref; /* names a service or window the hall no longer has */
};

typedef int (*store_event_fn)(void *arg, const struct store_event *ev);

/* Calls fn for each event of `day`, in order; stops early if fn returns
 * non-zero and returns that value. */
int store_replay_day(struct store *st, const struct engine_hall *hall, int32_t day,
		     store_event_fn fn, void *arg);

/* The latest business day in the journal, or 0 when it is empty. */
int store_last_day(struct store *st, int32_t *day);

typedef void (*store_handling_fn)(void *arg, int service, int64_t handling_s);

/* Calls fn with up to `per_service` most recent handling times of each
 * service from days before `day`, oldest first. */
int store_recent_handling(struct store *st, const struct engine_hall *hall, int32_t day,
			  int per_service, store_handling_fn fn, void *arg);

/* One call of a day's journal (call_next, call_ticket, call_back or
 * recall): what the hall displays and the API's recent calls show. */
struct store_call {
	char ticket[8];
	int window;                   /* its number */
	char service[ENGINE_ID_SIZE]; /* the ticket's service now, "" if unknown */
	int64_t at_s;
	bool recall;
};

/* Calls fn with the last `max` calls of `day`, newest first, so that a
 * restart shows what the hall saw before it; fn returns nonzero to stop. */
int store_recent_calls(struct store *st, int32_t day, int max,
		       int (*fn)(void *arg, const struct store_call *c), void *arg);

/* Rows in tickets for `day` (for tests and reports). */
int store_ticket_count(struct store *st, int32_t day, int *count);

/*
 * What the host has processed of one device's events, so that a restart
 * neither repeats nor skips a button press (docs/protocol.md), and the
 * prints it still owes kiosks. Written in the transaction of the command
 * the event caused.
 */
struct store_device {
	char id[ENGINE_ID_SIZE];
	uint16_t boot; /* the device's BOOT_ID that seq belongs to */
	uint16_t seq;  /* the last event seq processed */
};

struct store_print {
	char device[ENGINE_ID_SIZE];
	uint16_t seq;  /* the print command's seq */
	uint16_t boot; /* owed to this boot of the kiosk only */
	int32_t day;
	char ticket[8]; /* label, A023 */
	int people_ahead, wait_min;
};

int store_put_device(struct store *st, const struct store_device *d);
int store_put_print(struct store *st, const struct store_print *p);
int store_delete_print(struct store *st, const char *device, uint16_t seq);
/* Forgets the prints owed on days before day: a ticket of another day is
 * no ticket to print. */
int store_prune_prints(struct store *st, int32_t day);
/* Call fn for each row (devices by id; prints by device, day and seq);
 * fn returns nonzero to stop. */
int store_devices(struct store *st, int (*fn)(void *arg, const struct store_device *d), void *arg);
int store_prints(struct store *st, int (*fn)(void *arg, const struct store_print *p), void *arg);

/*
 * Sets one row of `meta` (key, text value), replacing the old one. hostd
 * records there the config it runs with ("config", "config_path"), which
 * hallctl reads when it is not given --config.
 */
int store_put_meta(struct store *st, const char *key, const char *value);

/*
 * The secret called name, len bytes, into out: made from the system's
 * random source and stored the first time, read back every time after.
 * Returns STORE_OK or an error (STORE_ERR_IO when no random bytes).
 */
int store_secret(struct store *st, const char *name, uint8_t *out, size_t len);

/* ---- bookings (schema 6; bookings.c) ----
 *
 * One row per booking of a slot (预约): the core decides, the store keeps.
 * Written in the core's batch transaction like the journal, so a booking
 * acknowledged is a booking kept. Of the citizen's phone only the masked
 * form (138****5678) and a keyed hash (to recognise the number again for
 * the limits and the no-show rule) are kept, never the number.
 */

enum store_booking_state {
	STORE_BOOKING_BOOKED = 0,
	STORE_BOOKING_CANCELLED,
	STORE_BOOKING_CHECKED_IN,
	STORE_BOOKING_NO_SHOW,
	STORE_BOOKING_STATE_COUNT
};

enum {
	STORE_BOOKING_CODE_SIZE = 9, /* 8 digits and a NUL */
	STORE_BOOKING_KEY_SIZE = 65, /* idempotency key: up to 64 characters */
	STORE_PHONE_MASK_SIZE = 12,  /* "138****5678" */
	STORE_PHONE_HASH_SIZE = 33,  /* 32 hex digits */
};

struct store_booking {
	char code[STORE_BOOKING_CODE_SIZE];
	char key[STORE_BOOKING_KEY_SIZE]; /* the idempotency key it was made with */
	char service[ENGINE_ID_SIZE];     /* service id */
	int32_t day;                      /* the slot's business day, yyyymmdd */
	int64_t slot_s;                   /* the slot's start, epoch seconds */
	int slot_min;                     /* its length when booked */
	char phone_mask[STORE_PHONE_MASK_SIZE];
	char phone_hash[STORE_PHONE_HASH_SIZE];
	int state;      /* enum store_booking_state */
	char ticket[8]; /* the ticket it became (label of `day`), "" none */
	bool late;      /* checked in after the grace */
	int64_t created_s, cancelled_s, checked_in_s; /* 0: not (yet) */
	char check_in_source[ENGINE_ID_SIZE];         /* who checked it in */
};

const char *store_booking_state_name(int state); /* "booked", ... "no_show" */

/* Adds b (code and key must be new: the core looks first). */
int store_booking_insert(struct store *st, const struct store_booking *b);
/* Writes b's state, ticket, late flag, times and check-in source. */
int store_booking_update(struct store *st, const struct store_booking *b);
/* The booking with this code (or idempotency key): *found says whether
 * there is one, *out gets it. */
int store_booking_by_code(struct store *st, const char *code, struct store_booking *out,
			  bool *found);
int store_booking_by_key(struct store *st, const char *key, struct store_booking *out, bool *found);
/* Bookings of a service's slot that hold a place (all but cancelled). */
int store_booking_count_slot(struct store *st, const char *service, int64_t slot_s, int *n);
/* A phone's bookings of a day that hold a place; service NULL: all. */
int store_booking_count_phone(struct store *st, const char *phone_hash, int32_t day,
			      const char *service, int *n);
/* Bookings of a service and day still to come in: booked, slot at or
 * after from_slot_s. */
int store_booking_count_due(struct store *st, const char *service, int32_t day, int64_t from_slot_s,
			    int *n);
/* The days of a phone's no-shows from day `from` on, newest first, up to
 * max into days; *n gets how many. */
int store_booking_no_show_days(struct store *st, const char *phone_hash, int32_t from,
			       int32_t *days, int max, int *n);
/* Each booking of day (service NULL: every service) by slot, then
 * creation; fn returns nonzero to stop. */
int store_bookings_of_day(struct store *st, int32_t day, const char *service,
			  int (*fn)(void *arg, const struct store_booking *b), void *arg);
/*
 * At the day close, before `today` opens: bookings of earlier days never
 * checked in, and those whose ticket ended a no-show, become no_show.
 * *n gets how many changed.
 */
int store_bookings_close(struct store *st, int32_t today, int *n);

#endif /* HALLQ_STORE_H */
