/*
 * compute.c — eval_compute(): the report of a day, week, month or quarter,
 * from the journal and the supervisors' records; and eval_report_free().
 *
 * Room: hostd/eval. Reads the database through the struct eval's
 * connection, never the clock (the report's time is given), and writes
 * nothing. The order of the work: the period and its days up to the
 * report's time; the supervisors' records of the period (leave shapes the
 * hours of a window's day); each day of the journal (day.c); then the
 * figures that need the whole period: statistics, the records' counts,
 * the leader bonus, the satisfaction rates and each window's score.
 * docs/evaluation.md is the spec of every figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/compute_internal.h"

static const char events_sql[] =
    "SELECT at, minute, op, window, target_window, service, ticket, reason, rating, staff,"
    " class FROM events WHERE day = ? AND at <= ? ORDER BY id";

static void copy_column(sqlite3_stmt *q, int col, char *out, size_t size)
{
	const unsigned char *text = sqlite3_column_text(q, col);

	snprintf(out, size, "%s", text ? (const char *)text : "");
}

/* Runs a query over [first, through] of the period, calling read for each
 * row; read returns false when memory runs out. */
static int read_rows(struct eval_run *run, struct eval *ev, const char *sql,
		     bool (*read)(struct eval_run *run, sqlite3_stmt *q), char *err,
		     size_t err_size)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(run->db, sql, -1, &q, NULL);
	bool ok = true;

	if (rc == SQLITE_OK) {
		sqlite3_bind_int(q, 1, run->r->first_day);
		sqlite3_bind_int(q, 2, run->r->through_day);
		while (ok && (rc = sqlite3_step(q)) == SQLITE_ROW)
			ok = read(run, q);
	}
	sqlite3_finalize(q);
	if (!ok) {
		eval_errorf(err, err_size, "out of memory");
		return EVAL_ERR_NOMEM;
	}
	if (rc != SQLITE_DONE) {
		eval_errorf(err, err_size, "%s: cannot read the supervisors' records: %s", ev->path,
			    sqlite3_errmsg(run->db));
		return (rc & 0xFF) == SQLITE_BUSY ? EVAL_ERR_BUSY : EVAL_ERR_IO;
	}
	return EVAL_OK;
}

/* The window and staff member a record names are subjects of the report. */
static bool note_subjects(struct eval_run *run, int window, const char *staff)
{
	return eval_run_window(run, window) >= 0 && (!*staff || eval_run_staff(run, staff) >= 0);
}

static void *push(void *items, int *n, size_t size)
{
	char *p = realloc(items, (size_t)(*n + 1) * size);

	if (p)
		memset(p + (size_t)(*n)++ * size, 0, size);
	return p;
}

static bool read_complaint(struct eval_run *run, sqlite3_stmt *q)
{
	struct eval_report *r = run->r;
	struct eval_complaint *p = push(r->complaints, &r->n_complaints, sizeof(*p));

	if (!p)
		return false;
	r->complaints = p;
	struct eval_complaint *c = &p[r->n_complaints - 1];
	c->id = sqlite3_column_int64(q, 0);
	copy_column(q, 1, c->kind, sizeof(c->kind));
	c->day = sqlite3_column_int(q, 2);
	c->minute = sqlite3_column_int(q, 3);
	c->window = sqlite3_column_int(q, 4);
	copy_column(q, 5, c->staff, sizeof(c->staff));
	copy_column(q, 6, c->ticket, sizeof(c->ticket));
	copy_column(q, 7, c->text, sizeof(c->text));
	copy_column(q, 8, c->status, sizeof(c->status));
	c->closed_day = sqlite3_column_int(q, 9);
	copy_column(q, 10, c->note, sizeof(c->note));
	return note_subjects(run, c->window, c->staff);
}

static bool read_leave(struct eval_run *run, sqlite3_stmt *q)
{
	struct eval_report *r = run->r;
	struct eval_leave *p = push(r->leave, &r->n_leave, sizeof(*p));

	if (!p)
		return false;
	r->leave = p;
	struct eval_leave *l = &p[r->n_leave - 1];
	l->id = sqlite3_column_int64(q, 0);
	l->window = sqlite3_column_int(q, 1);
	copy_column(q, 2, l->staff, sizeof(l->staff));
	l->day = sqlite3_column_int(q, 3);
	l->from_min = sqlite3_column_int(q, 4);
	l->to_min = sqlite3_column_int(q, 5);
	copy_column(q, 6, l->reason, sizeof(l->reason));
	return note_subjects(run, l->window, l->staff);
}

static bool read_duty(struct eval_run *run, sqlite3_stmt *q)
{
	struct eval_report *r = run->r;
	struct eval_duty *p = push(r->duty, &r->n_duty, sizeof(*p));

	if (!p)
		return false;
	r->duty = p;
	struct eval_duty *d = &p[r->n_duty - 1];
	d->id = sqlite3_column_int64(q, 0);
	d->day = sqlite3_column_int(q, 1);
	d->window = sqlite3_column_int(q, 2);
	copy_column(q, 3, d->leader, sizeof(d->leader));
	copy_column(q, 4, d->shift, sizeof(d->shift));
	return note_subjects(run, d->window, "");
}

/* One booking of the period (docs/evaluation.md, "Appointments"). */
static bool read_booking(struct eval_run *run, sqlite3_stmt *q)
{
	const char *service = (const char *)sqlite3_column_text(q, 0);
	const char *state = (const char *)sqlite3_column_text(q, 1);
	int s = eval_run_service(run, service ? service : "");

	if (s < 0)
		return false;
	struct eval_service_record *rec = &run->r->services[s];
	bool checked_in = sqlite3_column_type(q, 2) != SQLITE_NULL;
	rec->bookings++;
	rec->bookings_cancelled += state && strcmp(state, "cancelled") == 0;
	rec->bookings_booked += state && strcmp(state, "booked") == 0;
	rec->bookings_no_show += state && strcmp(state, "no_show") == 0;
	rec->bookings_checked_in += checked_in;
	rec->bookings_on_time += checked_in && sqlite3_column_int(q, 3) == 0;
	return true;
}

/* The bookings of the period's days made up to the report's time (the
 * table is there from schema 6 on). */
static int read_bookings(struct eval_run *run, struct eval *ev, char *err, size_t err_size)
{
	sqlite3_stmt *q = NULL;
	bool ok = true;
	int rc = sqlite3_prepare_v2(run->db,
				    "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
				    " AND name = 'bookings'",
				    -1, &q, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		ok = sqlite3_column_int(q, 0) > 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc == SQLITE_OK && !ok)
		return EVAL_OK; /* a schema-5 file: no bookings to count */
	if (rc == SQLITE_OK)
		rc =
		    sqlite3_prepare_v2(run->db,
				       "SELECT service, state, checked_in_at, late FROM bookings"
				       " WHERE day BETWEEN ? AND ? AND created_at <= ? ORDER BY id",
				       -1, &q, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(q);
		eval_errorf(err, err_size, "%s: cannot read the bookings: %s", ev->path,
			    sqlite3_errmsg(run->db));
		return (rc & 0xFF) == SQLITE_BUSY ? EVAL_ERR_BUSY : EVAL_ERR_IO;
	}
	sqlite3_bind_int(q, 1, run->r->first_day);
	sqlite3_bind_int(q, 2, run->r->through_day);
	sqlite3_bind_int64(q, 3, run->now_s);
	while (ok && (rc = sqlite3_step(q)) == SQLITE_ROW)
		ok = read_booking(run, q);
	sqlite3_finalize(q);
	if (!ok) {
		eval_errorf(err, err_size, "out of memory");
		return EVAL_ERR_NOMEM;
	}
	if (rc != SQLITE_DONE) {
		eval_errorf(err, err_size, "%s: cannot read the bookings: %s", ev->path,
			    sqlite3_errmsg(run->db));
		return (rc & 0xFF) == SQLITE_BUSY ? EVAL_ERR_BUSY : EVAL_ERR_IO;
	}
	return EVAL_OK;
}

/* docs/evaluation.md, "Appointments": -1 where a rate has no base. */
static void rate_appointments(struct eval_service_record *s)
{
	int ended = s->bookings - s->bookings_cancelled - s->bookings_booked;

	s->appointment_share = s->issued ? (double)s->appointments / s->issued : -1;
	s->no_show_rate = ended > 0 ? (double)s->bookings_no_show / ended : -1;
	s->on_time_rate =
	    s->bookings_checked_in ? (double)s->bookings_on_time / s->bookings_checked_in : -1;
}

static int read_records(struct eval_run *run, struct eval *ev, char *err, size_t err_size)
{
	int ret = read_rows(run, ev,
			    "SELECT id, kind, day, minute, window, staff, ticket, text, status,"
			    " closed_day, note FROM complaints WHERE day BETWEEN ? AND ?"
			    " ORDER BY day, id",
			    read_complaint, err, err_size);

	if (ret == EVAL_OK)
		ret = read_rows(run, ev,
				"SELECT id, window, staff, day, from_min, to_min, reason FROM leave"
				" WHERE day BETWEEN ? AND ? ORDER BY day, window, id",
				read_leave, err, err_size);
	if (ret == EVAL_OK)
		ret = read_rows(run, ev,
				"SELECT id, day, window, leader, shift FROM duty_shifts"
				" WHERE day BETWEEN ? AND ? ORDER BY day, window, id",
				read_duty, err, err_size);
	if (ret == EVAL_OK)
		ret = read_bookings(run, ev, err, err_size);
	return ret;
}

/* ---- figures of the whole period ---- */

static void take_stats(const struct eval_subject_samples *s, struct eval_figures *f)
{
	eval_samples_stats(&s->d[EVAL_DUR_WAIT], &f->wait);
	eval_samples_stats(&s->d[EVAL_DUR_WALK], &f->walk);
	eval_samples_stats(&s->d[EVAL_DUR_HANDLING], &f->handling);
}

static void take_all_stats(struct eval_run *run)
{
	struct eval_report *r = run->r;

	take_stats(&run->hall_samples, &r->hall);
	for (int i = 0; i < r->n_windows; i++)
		take_stats(&run->window_samples[i], &r->windows[i].f);
	for (int i = 0; i < r->n_staff; i++)
		take_stats(&run->staff_samples[i], &r->staff[i].f);
	for (int i = 0; i < r->n_services; i++) {
		eval_samples_stats(&run->service_samples[i].d[EVAL_DUR_WAIT], &r->services[i].wait);
		eval_samples_stats(&run->service_samples[i].d[EVAL_DUR_HANDLING],
				   &r->services[i].handling);
	}
}

/* The figures a record counts for: its window, the staff it names, the
 * hall. */
static int record_figures(struct eval_run *run, int window, const char *staff,
			  struct eval_figures *f[3])
{
	int n = 0, w = eval_run_find_window(run, window);
	int s = *staff ? eval_run_find_staff(run, staff) : -1;

	if (w >= 0)
		f[n++] = &run->r->windows[w].f;
	if (s >= 0)
		f[n++] = &run->r->staff[s].f;
	f[n++] = &run->r->hall;
	return n;
}

static void count_complaints(struct eval_run *run)
{
	struct eval_report *r = run->r;
	struct eval_figures *f[3];

	for (int i = 0; i < r->n_complaints; i++) {
		struct eval_complaint *c = &r->complaints[i];
		bool praise = strcmp(c->kind, "praise") == 0;
		bool open = strcmp(c->status, "open") == 0;
		int32_t until = open || c->closed_day <= 0 ? r->through_day : c->closed_day;
		c->days_open = eval_day_valid(c->day) && eval_day_valid(until)
				   ? eval_day_diff(c->day, until)
				   : 0;
		if (c->days_open < 0)
			c->days_open = 0;
		c->overdue = !praise && c->days_open > run->cfg->eval.complaint_limit_days;
		int n = record_figures(run, c->window, c->staff, f);
		for (int k = 0; k < n; k++) {
			f[k]->praise += praise;
			f[k]->complaints += !praise;
			f[k]->complaints_upheld += !praise && strcmp(c->status, "upheld") == 0;
			f[k]->complaints_open += !praise && open;
			f[k]->complaints_overdue += c->overdue;
		}
	}
}

static void count_leave(struct eval_run *run)
{
	struct eval_figures *f[3];

	for (int i = 0; i < run->r->n_leave; i++) {
		const struct eval_leave *l = &run->r->leave[i];
		int n = record_figures(run, l->window, l->staff, f);
		for (int k = 0; k < n; k++)
			f[k]->leave_records++;
	}
}

/* Shifts per window and the bonus of the period (docs/evaluation.md,
 * "Leader on duty"). */
static int count_duty(struct eval_run *run)
{
	struct eval_report *r = run->r;
	const struct config_eval *rules = &run->cfg->eval;
	int first_month = r->first_day / 10000 * 12 + r->first_day / 100 % 100;
	int *shifts = calloc((size_t)r->n_windows * 3 + 1, sizeof(*shifts));
	struct eval_figures *f[3];

	if (!shifts)
		return EVAL_ERR_NOMEM;
	for (int i = 0; i < r->n_duty; i++) {
		const struct eval_duty *d = &r->duty[i];
		int n = record_figures(run, d->window, "", f);
		for (int k = 0; k < n; k++)
			f[k]->duty_shifts++;
		int w = eval_run_find_window(run, d->window);
		int month = d->day / 10000 * 12 + d->day / 100 % 100;
		if (w >= 0 && month - first_month >= 0 && month - first_month < 3)
			shifts[w * 3 + month - first_month]++;
	}
	if (r->period == EVAL_QUARTER) {
		r->quarter_month_bonus = calloc((size_t)r->n_windows * 3 + 1, sizeof(double));
		if (!r->quarter_month_bonus) {
			free(shifts);
			return EVAL_ERR_NOMEM;
		}
	}
	for (int w = 0; w < r->n_windows; w++) {
		double sum = 0;
		for (int m = 0; m < 3; m++) {
			double b = rules->leader_points_per_shift * shifts[w * 3 + m];
			if (r->period == EVAL_MONTH || r->period == EVAL_QUARTER)
				b = b < rules->leader_max_points_per_month
					? b
					: rules->leader_max_points_per_month;
			if (r->quarter_month_bonus)
				r->quarter_month_bonus[w * 3 + m] = b;
			sum += b;
		}
		r->windows[w].f.duty_bonus = r->period == EVAL_QUARTER ? sum / 3 : sum;
	}
	free(shifts);
	return EVAL_OK;
}

static void rate_satisfaction(struct eval_figures *f)
{
	f->satisfaction_rate =
	    f->rated ? (double)(f->ratings[1] + f->ratings[2] + f->ratings[3]) / f->rated : -1;
}

/* docs/evaluation.md, "The composite score". */
static void score_window(const struct config_eval *rules, struct eval_figures *f)
{
	struct eval_score *s = &f->score;
	int64_t required_s = f->hours_s - f->leave_s;

	memset(s, 0, sizeof(*s));
	s->efficiency = f->served ? (double)(f->served - f->over_standard) / f->served : 1;
	s->satisfaction = f->rated ? f->satisfaction_rate : 1;
	s->attendance = required_s > 0 ? (double)f->attended_s / (double)required_s : 1;
	s->weighted = rules->score_base * (rules->weight_efficiency * s->efficiency +
					   rules->weight_satisfaction * s->satisfaction +
					   rules->weight_attendance * s->attendance);
	s->deduction_counts[CONFIG_DEDUCT_LATE_SIGN_IN] = f->sign_in_late;
	s->deduction_counts[CONFIG_DEDUCT_UNAUTHORIZED_LEAVE] = f->left_post_days;
	s->deduction_counts[CONFIG_DEDUCT_ABSENCE] = f->absent_days;
	s->deduction_counts[CONFIG_DEDUCT_DISSATISFIED_RATING] = f->ratings[4] + f->ratings[5];
	s->deduction_counts[CONFIG_DEDUCT_COMPLAINT] = f->complaints_upheld;
	s->deduction_counts[CONFIG_DEDUCT_OVERTIME_TICKET] = f->over_standard;
	for (int i = 0; i < CONFIG_DEDUCT_COUNT; i++) {
		s->deductions[i] = rules->deductions[i] * s->deduction_counts[i];
		s->deduction_total += s->deductions[i];
	}
	s->bonus = f->duty_bonus;
	s->total = s->weighted - s->deduction_total + s->bonus;
	if (s->total < 0)
		s->total = 0;
	f->has_score = true;
}

static int compare_attendance(const void *a, const void *b)
{
	const struct eval_attendance_day *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->window > y->window) - (x->window < y->window);
}

static int finish_figures(struct eval_run *run)
{
	struct eval_report *r = run->r;

	take_all_stats(run);
	if (!eval_run_sort_subjects(run))
		return EVAL_ERR_NOMEM;
	if (r->n_attendance > 1)
		qsort(r->attendance, (size_t)r->n_attendance, sizeof(*r->attendance),
		      compare_attendance);
	count_complaints(run);
	count_leave(run);
	int ret = count_duty(run);
	if (ret != EVAL_OK)
		return ret;
	rate_satisfaction(&r->hall);
	for (int i = 0; i < r->n_services; i++)
		rate_appointments(&r->services[i]);
	for (int i = 0; i < r->n_staff; i++)
		rate_satisfaction(&r->staff[i].f);
	for (int i = 0; i < r->n_windows; i++) {
		rate_satisfaction(&r->windows[i].f);
		score_window(&run->cfg->eval, &r->windows[i].f);
	}
	return EVAL_OK;
}

/* ---- the period ---- */

static int32_t local_day_of(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return -1;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* The report's period, through_day and final from the arguments. */
static int set_period(struct eval_report *r, int period, int32_t day, int64_t now_s, char *err,
		      size_t err_size)
{
	int32_t today = local_day_of(now_s);

	if (period < 0 || period >= EVAL_PERIOD_COUNT) {
		eval_errorf(err, err_size, "unknown period %d; give day, week, month or quarter",
			    period);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	if (!eval_day_valid(day) || !eval_day_valid(today)) {
		eval_errorf(err, err_size, "%ld is not a valid date",
			    (long)(eval_day_valid(day) ? today : day));
		return EVAL_ERR_BAD_ARGUMENT;
	}
	r->period = period;
	r->now_s = now_s;
	eval_period_range(period, day, &r->first_day, &r->last_day);
	if (r->first_day < 0) {
		eval_errorf(err, err_size, "the %s holding %ld is outside the calendar",
			    eval_period_name(period), (long)day);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	if (r->first_day > today) {
		eval_errorf(err, err_size,
			    "the %s holding %ld starts after the time of the report (%ld): nothing "
			    "to count yet",
			    eval_period_name(period), (long)day, (long)today);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	r->through_day = r->last_day < today ? r->last_day : today;
	r->final = r->last_day < today;
	return EVAL_OK;
}

static int follow_days(struct eval_run *run, char *err, size_t err_size)
{
	struct eval_report *r = run->r;
	int ret = EVAL_OK;

	for (int32_t d = r->first_day; ret == EVAL_OK && d > 0 && d <= r->through_day;
	     d = eval_day_add(d, 1)) {
		bool had_events = false;
		ret = eval_follow_day(run, d, &had_events, err, err_size);
		if (had_events) {
			r->days_with_events++;
			r->days_counted += run->day.counted;
		}
	}
	return ret;
}

static int compute(struct eval_run *run, struct eval *ev, char *err, size_t err_size)
{
	int rc = sqlite3_prepare_v2(run->db, events_sql, -1, &run->events, NULL);

	if (rc != SQLITE_OK) {
		eval_errorf(err, err_size, "%s: cannot read the journal: %s", ev->path,
			    sqlite3_errmsg(run->db));
		return (rc & 0xFF) == SQLITE_BUSY ? EVAL_ERR_BUSY : EVAL_ERR_IO;
	}
	if (!eval_run_add_config(run)) {
		eval_errorf(err, err_size, "out of memory");
		return EVAL_ERR_NOMEM;
	}
	int ret = read_records(run, ev, err, err_size);
	if (ret == EVAL_OK)
		ret = follow_days(run, err, err_size);
	if (ret == EVAL_OK && (ret = finish_figures(run)) != EVAL_OK)
		eval_errorf(err, err_size, "out of memory");
	return ret;
}

int eval_compute(struct eval *ev, int period, int32_t day, int64_t now_s, struct eval_report **out,
		 char *err, size_t err_size)
{
	struct eval_report *r = calloc(1, sizeof(*r));
	struct eval_run run = {.cfg = ev->cfg, .db = ev->db, .now_s = now_s, .r = r};
	int ret;

	*out = NULL;
	if (err && err_size)
		err[0] = '\0';
	if (!r) {
		eval_errorf(err, err_size, "out of memory");
		return EVAL_ERR_NOMEM;
	}
	snprintf(r->hall_name, sizeof(r->hall_name), "%s", ev->cfg->hall.name);
	ret = set_period(r, period, day, now_s, err, err_size);
	if (ret == EVAL_OK) {
		/* nothing in the journal is read outside a read transaction's
		 * snapshot: the days agree with each other */
		int rc = sqlite3_exec(ev->db, "BEGIN", NULL, NULL, NULL);
		ret = rc == SQLITE_OK ? compute(&run, ev, err, err_size) : EVAL_ERR_IO;
		if (rc != SQLITE_OK)
			eval_errorf(err, err_size, "%s: cannot read the database: %s", ev->path,
				    sqlite3_errmsg(ev->db));
		sqlite3_finalize(run.events);
		if (rc == SQLITE_OK)
			sqlite3_exec(ev->db, "COMMIT", NULL, NULL, NULL);
	}
	eval_run_free_subjects(&run);
	eval_day_free(&run.day);
	if (ret != EVAL_OK) {
		eval_report_free(r);
		return ret;
	}
	*out = r;
	return EVAL_OK;
}

void eval_report_free(struct eval_report *r)
{
	if (!r)
		return;
	free(r->services);
	free(r->windows);
	for (int i = 0; r->staff && i < r->n_staff; i++)
		free(r->staff[i].windows);
	free(r->staff);
	free(r->attendance);
	free(r->low_ratings);
	free(r->complaints);
	free(r->leave);
	free(r->duty);
	free(r->quarter_month_bonus);
	free(r);
}
