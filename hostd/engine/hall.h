/*
 * hall.h — the hall as the queue engine sees it: services, windows, hours
 * and queue rules. Plain data with fixed capacities.
 *
 * Room: hostd/engine. Includes libc headers only; no I/O. The config loader
 * (hostd/config) fills a struct engine_hall from hall.json; the engine only
 * reads it. docs/config.md describes every field.
 */
#ifndef HALLQ_ENGINE_HALL_H
#define HALLQ_ENGINE_HALL_H

#include <stdint.h>

enum {
	ENGINE_MAX_SERVICES = 64,
	ENGINE_MAX_WINDOWS = 256,
	ENGINE_MAX_WINDOW_SERVICES = 16,
	ENGINE_MAX_PERIODS = 4,
	ENGINE_MAX_PAUSE_REASONS = 16,
	ENGINE_MAX_LEVEL = 9,
	ENGINE_MAX_QUOTA = 999, /* three digits after the prefix */
	ENGINE_ID_SIZE = 32,    /* ASCII ids, NUL included */
	ENGINE_NAME_SIZE = 96,  /* UTF-8 names, NUL included */
	ENGINE_MAX_CLOSED_DAYS = 128,
};

/* A span of local clock time, minutes since midnight, start < end. */
struct engine_period {
	uint16_t start_min;
	uint16_t end_min;
};

struct engine_hours {
	uint8_t workdays; /* bit 0 = Sunday ... bit 6 = Saturday (tm_wday) */
	struct engine_period sign_in;
	struct engine_period sessions[ENGINE_MAX_PERIODS];
	int n_sessions; /* sorted, non-overlapping */
};

/*
 * Appointments (预约制度) of a service. The engine does not read them: the
 * core books slots and checks bookings in with them (docs/config.md,
 * services[].appointment), and the reports count them.
 */
enum engine_appointment_mode {
	ENGINE_APPOINTMENT_NONE = 0, /* walk-ins only */
	ENGINE_APPOINTMENT_OPTIONAL, /* bookings and walk-ins */
	ENGINE_APPOINTMENT_REQUIRED, /* 必须预约: no walk-in tickets */
};

enum engine_late_check_in {
	ENGINE_LATE_NORMAL = 0, /* a check-in after the grace becomes a normal ticket */
	ENGINE_LATE_REFUSE,     /* ... or is refused */
};

struct engine_appointment {
	int mode;             /* enum engine_appointment_mode */
	int slot_min;         /* a slot's length; slots start at each period's start */
	int places_per_slot;  /* citizens a slot takes, walk-ins included */
	int walk_in_percent;  /* share of each slot's places kept for walk-ins */
	int days_ahead;       /* bookable from today to today + days_ahead */
	int close_before_min; /* booking a slot closes this long before it starts */
	int grace_min;        /* a check-in up to this long after the start is on time */
	int late;             /* enum engine_late_check_in */
};

struct engine_service {
	char id[ENGINE_ID_SIZE];
	char name[ENGINE_NAME_SIZE];
	char prefix[3]; /* one or two capital letters: tickets are prefix + 3 digits */
	int standard_min;
	int wait_target_min;
	int daily_quota; /* 0 = no quota */
	/* Issue hours of this service; n_hours == 0 means the hall's sessions. */
	struct engine_period hours[ENGINE_MAX_PERIODS];
	int n_hours;
	struct engine_appointment appointment;
};

struct engine_window_service {
	int service; /* index into engine_hall.services */
	int level;   /* 1 = primary, larger = served later */
};

struct engine_window {
	int number; /* the number on the window, >= 1, unique */
	char name[ENGINE_NAME_SIZE];
	struct engine_window_service services[ENGINE_MAX_WINDOW_SERVICES];
	int n_services;
};

struct engine_queue_rules {
	int no_show_requeue_max;        /* times a no-show goes back in line */
	int no_show_requeue_places;     /* places behind the head it goes back */
	int appointment_due_before_min; /* an appointment is due this early */
	int estimate_recent_tickets;    /* handling times kept per service */
	char pause_reasons[ENGINE_MAX_PAUSE_REASONS][ENGINE_NAME_SIZE];
	int n_pause_reasons;
};

/* The hall's rules for bookings (docs/config.md, appointments); the core
 * keeps them, the engine does not read them. */
struct engine_booking_rules {
	int max_per_phone_per_day; /* live bookings one phone may hold for a day */
	/* K no-shows within N days block the phone from booking for D days
	 * from the K-th; no_show_count 0: no such rule */
	int no_show_count, no_show_within_days, no_show_block_days;
	/* days the hall does not work (yyyymmdd): no slots */
	int32_t closed_days[ENGINE_MAX_CLOSED_DAYS];
	int n_closed_days;
};

struct engine_hall {
	char name[ENGINE_NAME_SIZE];
	struct engine_hours hours;
	struct engine_service services[ENGINE_MAX_SERVICES];
	int n_services;
	struct engine_window windows[ENGINE_MAX_WINDOWS];
	int n_windows;
	struct engine_queue_rules queue;
	struct engine_booking_rules booking;
};

#endif /* HALLQ_ENGINE_HALL_H */
