/*
 * eval.h — window evaluation records (窗口量化考评) and supervisor reports
 * (窗口工作通报, 《行政审批简报》), computed from the journal.
 *
 * Room: hostd/eval. Reads the `events` journal, the supervisors' own
 * records (`leave`, `complaints`, `duty_shifts`) and the appointments'
 * `bookings` (schema 6) with SQLite, writes
 * `eval_records`, and renders a report as a table, CSV, JSON or a printable
 * HTML bulletin with SVG charts. Includes engine types, the config and
 * cJSON; never the core, the API or the devices. docs/evaluation.md gives
 * every definition and formula this file implements.
 *
 * Every figure is computed from the journal each time, never from counters
 * that can drift: recomputing a closed period gives identical records.
 *
 * Times: the caller sets TZ to the hall's time zone (config.timezone) before
 * calling eval_compute(); local days and minutes follow it.
 */
#ifndef HALLQ_EVAL_H
#define HALLQ_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "engine/hall.h"

enum eval_error {
	EVAL_OK = 0,
	EVAL_ERR_IO = -1,        /* cannot open, read or write the database */
	EVAL_ERR_NOT_HALLQ = -2, /* not a hallq database, or one older than schema 5 */
	EVAL_ERR_NOMEM = -3,
	EVAL_ERR_BAD_ARGUMENT = -4, /* a date, window, kind ... that is not valid */
	EVAL_ERR_NOT_FOUND = -5,    /* no such complaint */
	EVAL_ERR_DUPLICATE = -6,    /* that leader shift (or one it overlaps) is already recorded */
	EVAL_ERR_BUSY = -7,         /* another process kept the database locked */
	EVAL_ERR_LOCALE = -8,       /* no C.UTF-8 locale: text widths cannot be measured */
};

const char *eval_strerror(int err);

/* ---- periods ---- */

enum eval_period { EVAL_DAY, EVAL_WEEK, EVAL_MONTH, EVAL_QUARTER, EVAL_PERIOD_COUNT };

const char *eval_period_name(int period); /* "day", "week", "month", "quarter" */
int eval_period_parse(const char *name);  /* -1 when unknown */

/* yyyymmdd helpers (proleptic Gregorian calendar; no time zone involved) */
bool eval_day_valid(int32_t day);
int32_t eval_day_add(int32_t day, int days); /* 20261130 + 1 = 20261201 */
int eval_day_wday(int32_t day);              /* 0 = Sunday, as tm_wday */
int eval_day_diff(int32_t a, int32_t b);     /* days from a to b (b - a) */
/* "2026-11-30" -> 20261130; -1 when not a valid date in that form */
int32_t eval_day_parse(const char *text);

/* The period of that kind holding day: a week runs Monday to Sunday, a
 * quarter is January-March, April-June, July-September or October-December. */
void eval_period_range(int period, int32_t day, int32_t *first, int32_t *last);

/* ---- the figures ---- */

enum {
	EVAL_WAIT_BUCKETS =
	    7, /* wait distribution: <5, 5-10, 10-15, 15-30, 30-60, 60-120, >=120 min */
	EVAL_HOURS = 24,
	EVAL_ATT_NONE = 0,  /* attendance classes of one window-day */
	EVAL_ATT_LEFT_POST, /* 擅自离岗: unattended over the grace, up to half a day */
	EVAL_ATT_ABSENT,    /* 旷工: unattended more than half a day */
	EVAL_SIGN_IN_ON_TIME = 0,
	EVAL_SIGN_IN_LATE,
	EVAL_SIGN_IN_NONE,  /* no login that day */
	EVAL_SIGN_IN_LEAVE, /* no login, the whole day on leave: not checked */
};

/* Bucket upper bounds in seconds (the last is open): 300, 600, 900, 1800,
 * 3600, 7200. */
extern const int64_t eval_wait_bucket_limits_s[EVAL_WAIT_BUCKETS - 1];

/* A sample of durations in seconds. n == 0: no data (the other fields 0).
 * p50 and p90 are nearest-rank percentiles (docs/evaluation.md). */
struct eval_stats {
	int n;
	double mean_s;
	int64_t p50_s, p90_s, max_s;
};

/* The score of one window (docs/evaluation.md, "The composite score"). */
struct eval_score {
	double efficiency;   /* 0..1: share of served tickets within standard time; 1 without any */
	double satisfaction; /* 0..1: the satisfaction rate; 1 without ratings */
	double attendance;   /* 0..1: attended / required minutes; 1 when nothing required */
	double weighted;     /* base x (w_e x efficiency + w_s x satisfaction + w_a x attendance) */
	double deductions[CONFIG_DEDUCT_COUNT];    /* points taken off, by rule */
	int deduction_counts[CONFIG_DEDUCT_COUNT]; /* how many of each */
	double deduction_total;
	double bonus; /* the leader-on-duty bonus */
	double total; /* max(0, weighted - deduction_total + bonus) */
};

/*
 * The figures of one subject (the hall, a window or a staff member) over a
 * period. Durations are in seconds; "in hours" means inside the hall's
 * sessions (config hours.sessions) of days that count (docs/evaluation.md).
 * Fields a subject kind does not have stay 0 (say so in the comment).
 */
struct eval_figures {
	/* tickets */
	int issued; /* hall only: tickets issued */
	int served; /* tickets finished here */
	int served_by_service[ENGINE_MAX_SERVICES +
			      1]; /* index into config services; the last: unknown */
	int calls;                /* call_next and call_ticket */
	int transfers_in, transfers_out;
	int recalls, no_shows, holds;
	int cancelled, expired;     /* hall only */
	struct eval_stats wait;     /* issue to first call, of tickets first called here */
	struct eval_stats walk;     /* call to start */
	struct eval_stats handling; /* start to finish minus hold, of tickets served here */
	int over_standard;    /* served tickets whose handling exceeded the service's standard */
	int over_wait_target; /* first-called tickets whose wait exceeded the service's target */
	/* time, in hours */
	int64_t logged_in_s;
	int64_t paused_s;
	int64_t
	    paused_by_reason_s[ENGINE_MAX_PAUSE_REASONS + 1]; /* by config reason; last: others */
	int64_t idle_s;       /* logged in, not paused, no ticket, tickets it serves waiting */
	int64_t hours_s;      /* window: hours of the days that count */
	int64_t leave_s;      /* window: approved leave inside hours */
	int64_t unattended_s; /* window: hours not logged in, outside leave */
	int64_t attended_s;   /* window: hours logged in, outside leave */
	int left_post_days;   /* window: days classed 擅自离岗 */
	int absent_days;      /* window: days classed 旷工 */
	/* sign-in: window (first login at the window) and staff (their first login) */
	int sign_in_on_time, sign_in_late, sign_in_none; /* days; none: window only */
	/* satisfaction */
	int ratings[6];           /* [1] 非常满意 ... [5] 非常不满意; [0] unused */
	int rated;                /* sum of ratings[1..5] */
	double satisfaction_rate; /* (ratings[1] + [2] + [3]) / rated; -1 when rated == 0 */
	/* supervisors' records (window; staff when named on them) */
	int complaints, complaints_upheld, complaints_open, complaints_overdue, praise;
	int leave_records;
	int duty_shifts;
	double duty_bonus; /* window: the leader-on-duty bonus of the period */
	/* window only */
	bool has_score;
	struct eval_score score;
};

struct eval_service_record {
	char id[ENGINE_ID_SIZE];
	char name[ENGINE_NAME_SIZE];
	int standard_min, wait_target_min; /* 0 for a service no longer in the config */
	int issued, served, no_shows, cancelled, expired, transferred_in, transferred_out;
	struct eval_stats wait;     /* tickets issued for it, first called */
	struct eval_stats handling; /* tickets served under it */
	int over_standard, over_wait_target;
	int wait_buckets[EVAL_WAIT_BUCKETS];
	/* appointments (预约; docs/evaluation.md, "Appointments") */
	bool takes_appointments; /* the config's service has an appointment mode */
	int appointments;        /* issued for it as appointment tickets */
	int bookings;            /* of its slots on the period's days, every state */
	int bookings_cancelled, bookings_booked; /* ... still booked: not yet come */
	int bookings_checked_in;                 /* a ticket was issued for them */
	int bookings_on_time;                    /* of those, within the grace */
	int bookings_no_show;                    /* state no_show */
	/* -1 where the base is 0: appointments / issued; no-shows / the
	 * bookings ended (neither cancelled nor still booked); on time /
	 * checked in */
	double appointment_share, no_show_rate, on_time_rate;
};

struct eval_window_record {
	int number;
	char name[ENGINE_NAME_SIZE]; /* "" for a window no longer in the config */
	struct eval_figures f;
};

struct eval_staff_record {
	char id[ENGINE_ID_SIZE];
	char name[ENGINE_NAME_SIZE]; /* from config staff[], "" when unknown */
	/* the numbers of the windows they logged in at in the period, ascending
	 * (malloc'd, freed by eval_report_free; NULL when none): the staff who
	 * worked at a window, for the --window filter */
	int *windows;
	int n_windows;
	struct eval_figures f;
};

/* One window's day, for the attendance list. */
struct eval_attendance_day {
	int32_t day;
	int window;
	int sign_in;                /* EVAL_SIGN_IN_* */
	int64_t first_login_s;      /* epoch seconds, 0 when none */
	char staff[ENGINE_ID_SIZE]; /* who logged in first, "" none */
	int64_t hours_s, leave_s, unattended_s;
	int cls; /* EVAL_ATT_* */
};

/* A 不满意 or 非常不满意 rating, for follow-up. */
struct eval_rating_item {
	int32_t day;
	int64_t at_s; /* when it was given */
	char ticket[8];
	char service[ENGINE_ID_SIZE];
	int window;
	char staff[ENGINE_ID_SIZE];
	int rating; /* 4 or 5 */
};

enum { EVAL_TEXT_SIZE = 512 };

struct eval_complaint {
	int64_t id;
	char kind[12]; /* "complaint" or "praise" */
	int32_t day;   /* received */
	int minute;    /* local minutes since midnight */
	int window;
	char staff[ENGINE_ID_SIZE]; /* "" when not named */
	char ticket[8];             /* "" when not named */
	char text[EVAL_TEXT_SIZE];
	char status[12];    /* "open", "upheld", "dismissed"; praise: "closed" */
	int32_t closed_day; /* 0 while open */
	char note[EVAL_TEXT_SIZE];
	int days_open; /* received to closed (or to the report's last day) */
	bool overdue;  /* days_open > evaluation.complaint_limit_days */
};

struct eval_leave {
	int64_t id;
	int window;
	char staff[ENGINE_ID_SIZE]; /* "" when not named */
	int32_t day;
	int from_min, to_min; /* [from, to), 0..1440; a whole day is 0..1440 */
	char reason[EVAL_TEXT_SIZE];
};

struct eval_duty {
	int64_t id;
	int32_t day;
	int window;
	char leader[ENGINE_NAME_SIZE];
	char shift[8]; /* "am", "pm" or "day" */
};

struct eval_report {
	int period;                  /* enum eval_period */
	int32_t first_day, last_day; /* the whole period */
	int32_t through_day;         /* the last day counted: last_day, or today */
	int64_t now_s;               /* the time the report was computed for */
	bool final;                  /* the period is over: its records will not change */
	int days_with_events;        /* days of the period with anything in the journal */
	int days_counted;            /* of them, workdays: attendance counts */
	char hall_name[ENGINE_NAME_SIZE];
	struct eval_figures hall;
	struct eval_service_record *services; /* config order, then unknown ids seen */
	int n_services;
	struct eval_window_record *windows; /* by number: config windows, then others seen */
	int n_windows;
	struct eval_staff_record *staff; /* by id */
	int n_staff;
	int hourly_issued[EVAL_HOURS], hourly_served[EVAL_HOURS]; /* hall, by local hour */
	struct eval_attendance_day *attendance;                   /* by day then window */
	int n_attendance;
	struct eval_rating_item *low_ratings; /* by time */
	int n_low_ratings;
	struct eval_complaint *complaints; /* received in the period, by day then id */
	int n_complaints;
	struct eval_leave *leave; /* in the period, by day then window */
	int n_leave;
	struct eval_duty *duty; /* in the period, by day then window */
	int n_duty;
	/* the leader bonus of a quarter: the capped bonus of each month (for the
	 * window records' duty_bonus, averaged); only for EVAL_QUARTER */
	double *quarter_month_bonus; /* n_windows x 3, row-major; NULL otherwise */
};

void eval_report_free(struct eval_report *r); /* NULL is fine */

/* ---- the database ---- */

struct eval;

/*
 * Opens the hallq database at path (which must exist, at schema 5 or
 * later; hostd and hallctl's store_open() migrate it) with its own SQLite
 * connection, waiting up to 5 s for another process's lock. cfg is the
 * hall (borrowed; it must outlive the struct eval). Returns EVAL_OK and
 * *out, or an error and a sentence for the operator in err.
 */
int eval_open(const char *path, const struct config *cfg, struct eval **out, char *err,
	      size_t err_size);
void eval_close(struct eval *ev); /* NULL is fine */

/*
 * Computes the report of the period of that kind holding `day`, counting
 * events up to now_s (days after now_s's day are not counted; today is
 * counted up to now_s). On success *out is the report (free it with
 * eval_report_free) and EVAL_OK is returned.
 */
int eval_compute(struct eval *ev, int period, int32_t day, int64_t now_s, struct eval_report **out,
		 char *err, size_t err_size);

/*
 * Writes the report's records into eval_records (one row for the hall,
 * each service, each window and each staff member; replacing the rows of
 * the same period), in one transaction. The figures column is that
 * subject's object of eval_report_json(), so that a closed period
 * recomputed gives rows identical but for computed_at.
 */
int eval_save(struct eval *ev, const struct eval_report *r, char *err, size_t err_size);

/* Supervisors' records. Each checks its arguments (a window of the config,
 * of hostd's windows table or named in the journal, a valid day, minutes
 * in range, text of at most EVAL_TEXT_SIZE - 1 bytes) and returns
 * EVAL_ERR_BAD_ARGUMENT with a sentence in err when they are wrong; on
 * success *id is the new row's id. `today` (yyyymmdd in the hall's time
 * zone, the caller's clock: the library reads none) bounds the records of
 * what happened: a complaint received, a complaint closed or a leader's
 * shift after today is refused. Leave may be in the future (it is
 * approved in advance). */
int eval_add_leave(struct eval *ev, const struct eval_leave *l, int64_t *id, char *err,
		   size_t err_size);
enum { EVAL_MAX_LEAVE_DAYS = 366 };
/* The same leave on every day from first->day to last_day (at most
 * EVAL_MAX_LEAVE_DAYS days), one row a day, in one transaction: every row
 * or none. *first_id and *last_id (either may be NULL) get the ids. */
int eval_add_leave_days(struct eval *ev, const struct eval_leave *first, int32_t last_day,
			int64_t *first_id, int64_t *last_id, char *err, size_t err_size);
int eval_add_complaint(struct eval *ev, const struct eval_complaint *c, int32_t today, int64_t *id,
		       char *err, size_t err_size);
/* status: "upheld" or "dismissed"; a complaint already closed is refused,
 * and so is a closed_day before the day received or after today. */
int eval_close_complaint(struct eval *ev, int64_t id, const char *status, int32_t closed_day,
			 int32_t today, const char *note, char *err, size_t err_size);
/* EVAL_ERR_DUPLICATE when the same day, window, leader and shift is
 * there, or when it overlaps one that is: a "day" shift and an "am" or
 * "pm" shift of the same leader at the same window on the same day. */
int eval_add_duty(struct eval *ev, const struct eval_duty *d, int32_t today, int64_t *id, char *err,
		  size_t err_size);

/* ---- rendering ---- */

enum eval_format {
	EVAL_FORMAT_TABLE,
	EVAL_FORMAT_CSV,
	EVAL_FORMAT_JSON,
	EVAL_FORMAT_HTML,
	EVAL_FORMAT_COUNT
};

const char *eval_format_name(int format); /* "table", "csv", "json", "html" */
int eval_format_parse(const char *name);  /* -1 when unknown */

/*
 * Writes the report to out in that format. window > 0 keeps only that
 * window (its record, attendance, ratings, complaints, leave and shifts,
 * and the staff who worked there: who logged in at it in the period, see
 * eval_staff_record.windows, or are named on its complaints or leave); 0
 * keeps all. cfg gives the weights and
 * deductions the score shows. Returns EVAL_OK or EVAL_ERR_IO when out
 * fails (EVAL_ERR_NOMEM when memory runs out; EVAL_ERR_LOCALE for a table
 * when the system lacks the C.UTF-8 locale, nothing written).
 *
 *   table: aligned for a terminal, CJK characters counted as two columns
 *   csv:   UTF-8 with a byte order mark, CRLF line ends, RFC 4180 quoting
 *   json:  every figure (the same as eval_report_json)
 *   html:  the printable bulletin: the weekly 窗口工作通报, the monthly
 *          《行政审批简报》, with inline SVG charts and no network resource
 */
int eval_render(FILE *out, const struct eval_report *r, const struct config *cfg, int format,
		int window);

/* The JSON text of the whole report (malloc'd, NUL-terminated), or NULL
 * when out of memory. window as for eval_render. */
char *eval_report_json(const struct eval_report *r, const struct config *cfg, int window);

/* Display width of UTF-8 text in terminal columns (CJK wide characters 2),
 * or -1 when the system has no C.UTF-8 locale. Makes and frees the locale
 * each call: the renderers measure with one locale per render instead. */
int eval_text_width(const char *utf8);

#endif /* HALLQ_EVAL_H */
