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

struct engine_hall {
	char name[ENGINE_NAME_SIZE];
	struct engine_hours hours;
	struct engine_service services[ENGINE_MAX_SERVICES];
	int n_services;
	struct engine_window windows[ENGINE_MAX_WINDOWS];
	int n_windows;
	struct engine_queue_rules queue;
};

#endif /* HALLQ_ENGINE_HALL_H */
