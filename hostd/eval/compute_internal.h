/*
 * compute_internal.h — what the files computing a report share: the run
 * of one eval_compute() (the report being filled, its subjects' samples,
 * the state of the day being followed) and the functions that pass it
 * between them.
 *
 * Room: hostd/eval, private to compute.c, subjects.c, day.c and
 * samples.c. The run owns everything in it until eval_compute() hands
 * the report to its caller; docs/evaluation.md defines each figure.
 */
#ifndef HALLQ_EVAL_COMPUTE_INTERNAL_H
#define HALLQ_EVAL_COMPUTE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "eval/eval_internal.h"

/* ---- samples.c: exact percentiles in little memory ---- */

/*
 * The durations of one figure (wait, walk or handling) of one subject over
 * the period. The day's samples are collected as they come, then folded
 * (sorted and merged) at the day's end into a list of distinct values
 * with their counts, so memory grows with the distinct durations (a few
 * thousand seconds' worth), not with the period's tickets.
 */
struct eval_value_count {
	int64_t value, count;
};

struct eval_samples {
	int64_t *today; /* unsorted samples of the day being followed */
	int n_today, cap_today;
	struct eval_value_count *vc; /* sorted by value, distinct */
	int n_vc, cap_vc;
	int64_t n, sum_s;
};

bool eval_samples_add(struct eval_samples *s, int64_t value_s); /* false: out of memory */
bool eval_samples_fold(struct eval_samples *s);                 /* false: out of memory */
void eval_samples_stats(const struct eval_samples *s, struct eval_stats *out); /* folded */
void eval_samples_free(struct eval_samples *s);

enum { EVAL_DUR_WAIT, EVAL_DUR_WALK, EVAL_DUR_HANDLING, EVAL_DUR_COUNT };

/* The samples of one subject (hall, service, window or staff member). */
struct eval_subject_samples {
	struct eval_samples d[EVAL_DUR_COUNT];
};

/* ---- the day being followed (day.c) ---- */

struct eval_span {
	int64_t from_s, to_s; /* [from, to), epoch seconds */
};

enum eval_ticket_state {
	EVAL_TICKET_WAITING,
	EVAL_TICKET_CALLED,
	EVAL_TICKET_SERVING,
	EVAL_TICKET_HELD,
	EVAL_TICKET_FINISHED,
	EVAL_TICKET_GONE, /* no-show, cancelled or expired */
	/* out of line after a no-show by the config's no_show_requeue_max; a
	 * later call of it in the journal shows it was put back in line after
	 * all (the rule may have been different that day), and is followed */
	EVAL_TICKET_NO_SHOW,
};

/* One ticket of the day, as the journal tells it. Indexes are into the
 * report's services and windows, staff into its staff (-1: none). */
struct eval_ticket {
	char label[8];
	int issued_service, service;
	int target;         /* transferred to this window, -1 none */
	int window;         /* calling, serving or holding it, -1 none */
	int transferred_by; /* the window that transferred it since its last call, -1 */
	int no_shows;
	int state; /* enum eval_ticket_state */
	bool first_called, rated;
	int64_t issued_s, call_s, start_s, hold_from_s, hold_s;
	int finish_window, finish_staff, finish_service;
};

/* One window's day. */
struct eval_window_day {
	bool seen, logged_in, paused, idle, signed_in;
	bool exempt; /* evaluation.attendance_exempt_windows: attendance not checked */
	int staff, reason, current, n_held;
	int targeted_waiting; /* waiting tickets transferred to it */
	int services_waiting; /* its services with a waiting ticket */
	int64_t since_s;      /* accounted up to here */
	int64_t first_login_s;
	int first_staff;
	int64_t attended_s;
	int open_first, n_open; /* its hours outside leave: spans in day.pool, -1: sessions */
};

struct eval_day {
	int32_t day;
	bool counted; /* a workday not in evaluation.closed_days: attendance counts */
	int64_t start_s, end_s, sign_in_end_s;
	struct eval_span sessions[ENGINE_MAX_PERIODS];
	int n_sessions;
	struct eval_span *pool; /* hours outside leave of windows with leave */
	int n_pool, cap_pool;
	struct eval_ticket *tickets;
	int n_tickets, cap_tickets;
	int *ticket_slots;               /* open addressing by label: ticket index + 1, 0 empty */
	int cap_slots;                   /* a power of two */
	struct eval_window_day *windows; /* parallel to report windows */
	int *service_waiting;  /* parallel to report services: not transferred to a window */
	bool *staff_signed_in; /* parallel to report staff */
};

/* ---- the run of one eval_compute() ---- */

struct eval_run {
	const struct config *cfg;
	sqlite3 *db;
	sqlite3_stmt *events; /* one day's journal */
	int64_t now_s;
	struct eval_report *r;
	int cap_services, cap_windows, cap_staff;
	int cap_attendance, cap_low_ratings; /* of r->attendance, r->low_ratings */
	struct eval_subject_samples hall_samples;
	struct eval_subject_samples *service_samples, *window_samples, *staff_samples;
	bool *window_in_config; /* parallel to report windows */
	int *window_slots;      /* open addressing by number: index + 1, 0 empty */
	int cap_window_slots;
	/* the report windows serving each config service (window index = config
	 * index for config windows, which come first) */
	int servers_first[ENGINE_MAX_SERVICES + 1];
	int servers[ENGINE_MAX_WINDOWS * ENGINE_MAX_WINDOW_SERVICES];
	struct eval_day day;
};

/* subjects.c: the report's services, windows and staff, found or added.
 * Each returns the index, or -1 when memory ran out. */
int eval_run_service(struct eval_run *run, const char *id);
int eval_run_window(struct eval_run *run, int number);
int eval_run_staff(struct eval_run *run, const char *id);
bool eval_run_add_config(struct eval_run *run); /* config services and windows first */
int eval_run_find_window(const struct eval_run *run, int number);    /* -1 when absent */
int eval_run_find_staff(const struct eval_run *run, const char *id); /* -1 when absent */
/* Puts windows, unknown services and staff in the report's order. */
bool eval_run_sort_subjects(struct eval_run *run);
void eval_run_free_subjects(struct eval_run *run);

/* day.c: follows one day of the journal; *had_events tells whether it had
 * any row. Returns EVAL_OK or an error (err gets a sentence). */
int eval_follow_day(struct eval_run *run, int32_t day, bool *had_events, char *err,
		    size_t err_size);
/* A window's day as it starts (logged out, nothing accounted yet). */
void eval_day_reset_window(struct eval_run *run, int w);
void eval_day_free(struct eval_day *day);

#endif /* HALLQ_EVAL_COMPUTE_INTERNAL_H */
