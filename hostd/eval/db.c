/*
 * db.c — the evaluation's own connection to the hallq database, and the
 * records supervisors add to it: approved leave, complaints and praise
 * (and closing a complaint), leader-on-duty shifts.
 *
 * Room: hostd/eval. Opens an existing database only (hostd and hallctl's
 * store_open() create and migrate it); refuses a file that is not hallq's
 * or is older than schema 5. Every argument is checked before anything is
 * written, and every statement binds its values (never SQL built from
 * text). No clock is read for the rules: the caller passes today. The
 * checks that a window or staff member exists look at the config, then
 * the small `windows` table, then at most a year of the journal through
 * its day index, never the whole journal. A range of leave is one
 * transaction. The tables are those of schema 5 (hostd/store/store.c);
 * docs/evaluation.md says what each record means.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/eval_internal.h"

enum {
	APPLICATION_ID = 0x48414C51, /* "HALQ", as hostd/store writes it */
	FIRST_SCHEMA = 5,            /* the first schema with the evaluation's tables */
	BUSY_TIMEOUT_MS = 5000,
	MINUTES_PER_DAY = 1440,
	TICKET_LABEL_MAX = 5, /* "AB023" */
};

static int from_sqlite(int rc)
{
	switch (rc & 0xFF) {
	case SQLITE_NOMEM:
		return EVAL_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EVAL_ERR_BUSY;
	case SQLITE_NOTADB:
		return EVAL_ERR_NOT_HALLQ;
	default:
		return EVAL_ERR_IO;
	}
}

/* A failed statement: the sentence names the path and SQLite's reason. */
static int db_failure(struct eval *ev, int rc, const char *what, char *err, size_t err_size)
{
	eval_errorf(err, err_size, "%s: cannot %s: %s", ev->path, what, sqlite3_errmsg(ev->db));
	return from_sqlite(rc);
}

static int bad_argument(char *err, size_t err_size, const char *sentence)
{
	eval_errorf(err, err_size, "%s", sentence);
	return EVAL_ERR_BAD_ARGUMENT;
}

/* Runs a query returning one integer; *out gets it (0 when no row). */
static int query_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);

	*out = 0;
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			*out = sqlite3_column_int(q, 0);
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	return rc;
}

static int check_identity(struct eval *ev, char *err, size_t err_size)
{
	int app_id = 0, version = 0;
	int rc = query_int(ev->db, "PRAGMA application_id", &app_id);

	if (rc == SQLITE_OK)
		rc = query_int(ev->db, "PRAGMA user_version", &version);
	if ((rc & 0xFF) == SQLITE_NOTADB) {
		eval_errorf(err, err_size, "%s: not a hallq database (not an SQLite file)",
			    ev->path);
		return EVAL_ERR_NOT_HALLQ;
	}
	if (rc != SQLITE_OK)
		return db_failure(ev, rc, "read the database", err, err_size);
	if (app_id != APPLICATION_ID) {
		eval_errorf(err, err_size,
			    "%s: not a hallq database (application_id %d); give the database "
			    "hostd writes",
			    ev->path, app_id);
		return EVAL_ERR_NOT_HALLQ;
	}
	if (version < FIRST_SCHEMA) {
		eval_errorf(err, err_size,
			    "%s: a hallq database of schema %d, older than the %d the evaluation "
			    "needs; start hostd once on it to bring it up to date",
			    ev->path, version, FIRST_SCHEMA);
		return EVAL_ERR_NOT_HALLQ;
	}
	return EVAL_OK;
}

int eval_open(const char *path, const struct config *cfg, struct eval **out, char *err,
	      size_t err_size)
{
	struct eval *ev;
	int rc, ret;

	*out = NULL;
	if (err && err_size)
		err[0] = '\0';
	if (!path || !*path || !cfg)
		return bad_argument(err, err_size, "no database path or no config given");
	if (strlen(path) >= sizeof(ev->path)) {
		eval_errorf(err, err_size, "%s: the path is too long", path);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		eval_errorf(err, err_size, "out of memory");
		return EVAL_ERR_NOMEM;
	}
	ev->cfg = cfg;
	snprintf(ev->path, sizeof(ev->path), "%s", path);
	rc = sqlite3_open_v2(path, &ev->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		eval_errorf(err, err_size, "%s: cannot open the database: %s", path,
			    ev->db ? sqlite3_errmsg(ev->db) : sqlite3_errstr(rc));
		ret = (rc & 0xFF) == SQLITE_CANTOPEN ? EVAL_ERR_IO : from_sqlite(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(ev->db, 1);
	sqlite3_busy_timeout(ev->db, BUSY_TIMEOUT_MS);
	ret = check_identity(ev, err, err_size);
	if (ret != EVAL_OK)
		goto fail;
	*out = ev;
	return EVAL_OK;
fail:
	eval_close(ev);
	return ret;
}

void eval_close(struct eval *ev)
{
	if (!ev)
		return;
	sqlite3_close(ev->db);
	free(ev);
}

/* ---- checking arguments ---- */

/* Valid UTF-8 without overlong forms, surrogates or code points above
 * U+10FFFF. */
static bool is_utf8(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s) {
		unsigned c = *s, need, min;
		if (c < 0x80) {
			s++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			need = 1, min = 0x80, c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2, min = 0x800, c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= need; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return false;
			c = (c << 6) | (s[i] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return false;
		s += need + 1;
	}
	return true;
}

/* Text in a fixed array: NUL-terminated inside it, valid UTF-8, and not
 * empty when required. `what` names the field in the sentence. */
static int check_text(const char *text, size_t size, bool required, const char *what, char *err,
		      size_t err_size)
{
	if (strnlen(text, size) >= size) {
		eval_errorf(err, err_size, "the %s is longer than %zu bytes", what, size - 1);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	if (required && !text[0]) {
		eval_errorf(err, err_size, "the %s is empty; give one", what);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	if (!is_utf8(text)) {
		eval_errorf(err, err_size, "the %s is not valid UTF-8 text", what);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	return EVAL_OK;
}

static int check_day(int32_t day, const char *what, char *err, size_t err_size)
{
	if (eval_day_valid(day))
		return EVAL_OK;
	eval_errorf(err, err_size, "the %s %ld is not a valid date (yyyymmdd)", what, (long)day);
	return EVAL_ERR_BAD_ARGUMENT;
}

/* How far back the journal is searched for a window or a staff member
 * that is neither in the config nor in the windows table: a year of days
 * before the record's day, through the events_by_day index, so that the
 * check stays bounded however long the journal grows. */
enum { JOURNAL_LOOKBACK_DAYS = 366 };

/* Binds ?2 and ?3 to the days [day - JOURNAL_LOOKBACK_DAYS, day]. */
static void bind_lookback(sqlite3_stmt *q, int32_t day)
{
	int32_t from = eval_day_add(day, -JOURNAL_LOOKBACK_DAYS);

	sqlite3_bind_int(q, 2, from > 0 ? from : 0);
	sqlite3_bind_int(q, 3, day);
}

/* Does a query with ?1 (an integer, or text when text is not NULL) and
 * ?2, ?3 the days looked back from `day` (when day > 0) give a row? */
static int row_exists(struct eval *ev, const char *sql, int number, const char *text, int32_t day,
		      bool *exists, char *err, size_t err_size)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(ev->db, sql, -1, &q, NULL);

	*exists = false;
	if (rc == SQLITE_OK) {
		if (text)
			sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int(q, 1, number);
		if (day > 0)
			bind_lookback(q, day);
		rc = sqlite3_step(q);
		*exists = rc == SQLITE_ROW;
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? EVAL_OK : db_failure(ev, rc, "read the journal", err, err_size);
}

/* A window of the config; else one hostd has a row for in its `windows`
 * table (a primary-key lookup: every window the engine ever changed); else
 * one the journal names in the year up to `day` (bounded, by the day
 * index). */
static int check_window(struct eval *ev, int number, int32_t day, char *err, size_t err_size)
{
	const struct engine_hall *hall = &ev->cfg->hall;
	bool seen = false;
	int ret = EVAL_OK;

	for (int w = 0; w < hall->n_windows; w++)
		if (hall->windows[w].number == number)
			return EVAL_OK;
	if (number > 0)
		ret = row_exists(ev, "SELECT 1 FROM windows WHERE number = ?1", number, NULL, 0,
				 &seen, err, err_size);
	if (ret == EVAL_OK && number > 0 && !seen)
		ret = row_exists(ev,
				 "SELECT 1 FROM events WHERE day BETWEEN ?2 AND ?3 AND"
				 " (window = ?1 OR target_window = ?1) LIMIT 1",
				 number, NULL, day, &seen, err, err_size);
	if (ret != EVAL_OK || seen)
		return ret;
	eval_errorf(err, err_size,
		    "window %d is neither in the config nor in the journal; give the number on "
		    "the window",
		    number);
	return EVAL_ERR_BAD_ARGUMENT;
}

/* "" (nobody named), or a staff member of the config, or one signed in at
 * a window now (the `windows` table, a few rows), or one who logged in in
 * the year up to `day` (bounded, by the day index). */
static int check_staff(struct eval *ev, const char *staff, int32_t day, char *err, size_t err_size)
{
	bool seen = false;
	int ret = check_text(staff, ENGINE_ID_SIZE, false, "staff id", err, err_size);

	if (ret != EVAL_OK || !staff[0] || config_staff(ev->cfg, staff))
		return ret;
	ret = row_exists(ev, "SELECT 1 FROM windows WHERE staff = ?1 LIMIT 1", 0, staff, 0, &seen,
			 err, err_size);
	if (ret == EVAL_OK && !seen)
		ret = row_exists(ev,
				 "SELECT 1 FROM events WHERE day BETWEEN ?2 AND ?3 AND op = 'login'"
				 " AND staff = ?1 LIMIT 1",
				 0, staff, day, &seen, err, err_size);
	if (ret != EVAL_OK || seen)
		return ret;
	eval_errorf(err, err_size,
		    "staff %s is neither in the config nor in the journal; give the id they log "
		    "in with",
		    staff);
	return EVAL_ERR_BAD_ARGUMENT;
}

/* "" or a ticket label: one or two capital letters and three digits. */
static int check_ticket(const char *ticket, size_t size, char *err, size_t err_size)
{
	size_t len = strnlen(ticket, size), letters = 0;

	if (len == 0)
		return EVAL_OK;
	while (letters < len && ticket[letters] >= 'A' && ticket[letters] <= 'Z')
		letters++;
	bool ok = len < size && len <= TICKET_LABEL_MAX && (letters == 1 || letters == 2) &&
		  len == letters + 3;
	for (size_t i = letters; ok && i < len; i++)
		ok = ticket[i] >= '0' && ticket[i] <= '9';
	if (ok)
		return EVAL_OK;
	eval_errorf(err, err_size,
		    "\"%.*s\" is not a ticket number; give one such as A023 (one or two capital "
		    "letters and three digits)",
		    (int)len, ticket);
	return EVAL_ERR_BAD_ARGUMENT;
}

static void bind_text_or_null(sqlite3_stmt *q, int col, const char *text)
{
	if (text && *text)
		sqlite3_bind_text(q, col, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, col);
}

/* Steps an INSERT; *id gets the new row's id. */
static int insert_row(struct eval *ev, sqlite3_stmt *q, int64_t *id, const char *what, char *err,
		      size_t err_size)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_DONE) {
		if (id)
			*id = sqlite3_last_insert_rowid(ev->db);
		return EVAL_OK;
	}
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return EVAL_ERR_DUPLICATE;
	return db_failure(ev, rc, what, err, err_size);
}

/* ---- leave ---- */

static int check_leave(struct eval *ev, const struct eval_leave *l, char *err, size_t err_size)
{
	int ret = check_day(l->day, "leave day", err, err_size);

	if (ret == EVAL_OK &&
	    (l->from_min < 0 || l->to_min > MINUTES_PER_DAY || l->from_min >= l->to_min)) {
		eval_errorf(err, err_size,
			    "the leave runs from minute %d to minute %d; give 0 <= from < to <= "
			    "1440 (a whole day is 0 to 1440)",
			    l->from_min, l->to_min);
		ret = EVAL_ERR_BAD_ARGUMENT;
	}
	if (ret == EVAL_OK)
		ret =
		    check_text(l->reason, sizeof(l->reason), false, "leave reason", err, err_size);
	if (ret == EVAL_OK)
		ret = check_window(ev, l->window, l->day, err, err_size);
	if (ret == EVAL_OK)
		ret = check_staff(ev, l->staff, l->day, err, err_size);
	return ret;
}

/* Runs one statement without results (BEGIN, COMMIT, ROLLBACK). */
static int exec_sql(struct eval *ev, const char *sql, const char *what, char *err, size_t err_size)
{
	int rc = sqlite3_exec(ev->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? EVAL_OK : db_failure(ev, rc, what, err, err_size);
}

int eval_add_leave(struct eval *ev, const struct eval_leave *l, int64_t *id, char *err,
		   size_t err_size)
{
	return eval_add_leave_days(ev, l, l->day, id, NULL, err, err_size);
}

int eval_add_leave_days(struct eval *ev, const struct eval_leave *first, int32_t last_day,
			int64_t *first_id, int64_t *last_id, char *err, size_t err_size)
{
	static const char sql[] = "INSERT INTO leave(window, staff, day, from_min, to_min, reason,"
				  " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *q = NULL;
	int ret = check_leave(ev, first, err, err_size), rc, days;
	int64_t id = 0;

	if (ret == EVAL_OK)
		ret = check_day(last_day, "last day of the leave", err, err_size);
	if (ret != EVAL_OK)
		return ret;
	days = eval_day_diff(first->day, last_day) + 1;
	if (days < 1 || days > EVAL_MAX_LEAVE_DAYS) {
		eval_errorf(err, err_size,
			    "the leave runs from %ld to %ld; give a last day from the first day up "
			    "to %d days later",
			    (long)first->day, (long)last_day, EVAL_MAX_LEAVE_DAYS - 1);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	/* the whole range or nothing: one write transaction */
	ret = exec_sql(ev, "BEGIN IMMEDIATE", "record the leave", err, err_size);
	if (ret != EVAL_OK)
		return ret;
	rc = sqlite3_prepare_v2(ev->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		ret = db_failure(ev, rc, "record the leave", err, err_size);
	for (int i = 0; ret == EVAL_OK && i < days; i++) {
		sqlite3_reset(q);
		sqlite3_bind_int(q, 1, first->window);
		bind_text_or_null(q, 2, first->staff);
		sqlite3_bind_int(q, 3, eval_day_add(first->day, i));
		sqlite3_bind_int(q, 4, first->from_min);
		sqlite3_bind_int(q, 5, first->to_min);
		bind_text_or_null(q, 6, first->reason);
		sqlite3_bind_int64(q, 7, (int64_t)time(NULL));
		ret = insert_row(ev, q, &id, "record the leave", err, err_size);
		if (ret == EVAL_OK && i == 0 && first_id)
			*first_id = id;
	}
	sqlite3_finalize(q);
	if (ret == EVAL_OK)
		ret = exec_sql(ev, "COMMIT", "record the leave", err, err_size);
	if (ret != EVAL_OK) {
		sqlite3_exec(ev->db, "ROLLBACK", NULL, NULL, NULL);
		return ret;
	}
	if (last_id)
		*last_id = id;
	return EVAL_OK;
}

/* A day that must not be after today (complaints, closings, shifts: they
 * record what happened). today is the caller's, in the hall's time zone. */
static int check_not_future(int32_t day, int32_t today, const char *what, char *err,
			    size_t err_size)
{
	if (!eval_day_valid(today)) {
		eval_errorf(err, err_size, "today (%ld) is not a valid date (yyyymmdd)",
			    (long)today);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	if (day <= today)
		return EVAL_OK;
	eval_errorf(err, err_size,
		    "the %s %04ld-%02ld-%02ld is after today (%04ld-%02ld-%02ld); record what "
		    "has happened, on or before today",
		    what, (long)(day / 10000), (long)(day / 100 % 100), (long)(day % 100),
		    (long)(today / 10000), (long)(today / 100 % 100), (long)(today % 100));
	return EVAL_ERR_BAD_ARGUMENT;
}

/* ---- complaints and praise ---- */

static int check_complaint(struct eval *ev, const struct eval_complaint *c, int32_t today,
			   char *err, size_t err_size)
{
	int ret = EVAL_OK;

	if (!memchr(c->kind, '\0', sizeof(c->kind)) ||
	    (strcmp(c->kind, "complaint") != 0 && strcmp(c->kind, "praise") != 0))
		return bad_argument(err, err_size,
				    "the kind of record must be \"complaint\" or \"praise\"");
	ret = check_day(c->day, "day received", err, err_size);
	if (ret == EVAL_OK)
		ret = check_not_future(c->day, today, "day received", err, err_size);
	if (ret == EVAL_OK && (c->minute < 0 || c->minute >= MINUTES_PER_DAY)) {
		eval_errorf(err, err_size,
			    "the time received (minute %d of the day) is not a time of day; give "
			    "0 to 1439",
			    c->minute);
		ret = EVAL_ERR_BAD_ARGUMENT;
	}
	if (ret == EVAL_OK)
		ret =
		    check_text(c->text, sizeof(c->text), true, "text of the record", err, err_size);
	if (ret == EVAL_OK)
		ret = check_ticket(c->ticket, sizeof(c->ticket), err, err_size);
	if (ret == EVAL_OK)
		ret = check_window(ev, c->window, c->day, err, err_size);
	if (ret == EVAL_OK)
		ret = check_staff(ev, c->staff, c->day, err, err_size);
	return ret;
}

/* A complaint is recorded open; praise needs no decision and is closed on
 * the day received. c->status, closed_day and note are not read. */
int eval_add_complaint(struct eval *ev, const struct eval_complaint *c, int32_t today, int64_t *id,
		       char *err, size_t err_size)
{
	static const char sql[] =
	    "INSERT INTO complaints(kind, day, minute, window, staff, ticket, text, status,"
	    " closed_day, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)";
	sqlite3_stmt *q = NULL;
	int ret = check_complaint(ev, c, today, err, err_size), rc;

	if (ret != EVAL_OK)
		return ret;
	bool praise = strcmp(c->kind, "praise") == 0;
	rc = sqlite3_prepare_v2(ev->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_failure(ev, rc, "record the complaint", err, err_size);
	sqlite3_bind_text(q, 1, c->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, c->day);
	sqlite3_bind_int(q, 3, c->minute);
	sqlite3_bind_int(q, 4, c->window);
	bind_text_or_null(q, 5, c->staff);
	bind_text_or_null(q, 6, c->ticket);
	sqlite3_bind_text(q, 7, c->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, praise ? "closed" : "open", -1, SQLITE_STATIC);
	if (praise)
		sqlite3_bind_int(q, 9, c->day);
	else
		sqlite3_bind_null(q, 9);
	sqlite3_bind_int64(q, 10, (int64_t)time(NULL));
	ret = insert_row(ev, q, id, "record the complaint", err, err_size);
	sqlite3_finalize(q);
	return ret;
}

/* Reads the complaint's kind, status and day; EVAL_ERR_NOT_FOUND if none. */
static int read_complaint(struct eval *ev, int64_t id, char *kind, char *status, int32_t *day,
			  char *err, size_t err_size)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(ev->db, "SELECT kind, status, day FROM complaints WHERE id = ?",
				    -1, &q, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, id);
		rc = sqlite3_step(q);
	}
	if (rc == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_text(q, 0), *s = sqlite3_column_text(q, 1);
		snprintf(kind, 12, "%s", k ? (const char *)k : "");
		snprintf(status, 12, "%s", s ? (const char *)s : "");
		*day = sqlite3_column_int(q, 2);
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE) {
		eval_errorf(err, err_size, "there is no complaint number %lld", (long long)id);
		return EVAL_ERR_NOT_FOUND;
	}
	return rc == SQLITE_ROW ? EVAL_OK
				: db_failure(ev, rc, "read the complaints", err, err_size);
}

static int check_closing(struct eval *ev, int64_t id, const char *status, int32_t closed_day,
			 int32_t today, const char *note, char *err, size_t err_size)
{
	char kind[12], now_status[12];
	int32_t day = 0;
	int ret;

	if (!status || (strcmp(status, "upheld") != 0 && strcmp(status, "dismissed") != 0))
		return bad_argument(err, err_size,
				    "a complaint is closed as \"upheld\" or \"dismissed\"");
	ret = check_day(closed_day, "day closed", err, err_size);
	if (ret == EVAL_OK)
		ret = check_not_future(closed_day, today, "day closed", err, err_size);
	if (ret == EVAL_OK && note)
		ret = check_text(note, EVAL_TEXT_SIZE, false, "note", err, err_size);
	if (ret == EVAL_OK)
		ret = read_complaint(ev, id, kind, now_status, &day, err, err_size);
	if (ret != EVAL_OK)
		return ret;
	if (strcmp(kind, "complaint") != 0) {
		eval_errorf(err, err_size, "record %lld is %s, not a complaint: it is not closed",
			    (long long)id, kind);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	if (strcmp(now_status, "open") != 0) {
		eval_errorf(err, err_size, "complaint %lld is already closed (%s)", (long long)id,
			    now_status);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	if (closed_day < day) {
		eval_errorf(err, err_size,
			    "complaint %lld was received on %ld; it cannot be closed on %ld, "
			    "before that",
			    (long long)id, (long)day, (long)closed_day);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	return EVAL_OK;
}

int eval_close_complaint(struct eval *ev, int64_t id, const char *status, int32_t closed_day,
			 int32_t today, const char *note, char *err, size_t err_size)
{
	static const char sql[] = "UPDATE complaints SET status = ?, closed_day = ?, note = ?"
				  " WHERE id = ? AND kind = 'complaint' AND status = 'open'";
	sqlite3_stmt *q = NULL;
	int ret = check_closing(ev, id, status, closed_day, today, note, err, err_size), rc;

	if (ret != EVAL_OK)
		return ret;
	rc = sqlite3_prepare_v2(ev->db, sql, -1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, status, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, closed_day);
		bind_text_or_null(q, 3, note);
		sqlite3_bind_int64(q, 4, id);
		rc = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return db_failure(ev, rc, "close the complaint", err, err_size);
	if (sqlite3_changes(ev->db) != 1) { /* closed by someone else meanwhile */
		eval_errorf(err, err_size, "complaint %lld is already closed", (long long)id);
		return EVAL_ERR_BAD_ARGUMENT;
	}
	return EVAL_OK;
}

/* ---- leader on duty ---- */

/* A leader's "day" shift covers their "am" and "pm": refuses a day shift
 * when they have a morning or an afternoon at that window that day, and a
 * morning or afternoon when they have the day (each would count again). */
static int check_overlap(struct eval *ev, const struct eval_duty *d, char *err, size_t err_size)
{
	static const char sql[] =
	    "SELECT shift FROM duty_shifts WHERE day = ?1 AND window = ?2"
	    " AND leader = ?3 AND shift <> ?4 AND (shift = 'day' OR ?4 = 'day')"
	    " LIMIT 1";
	sqlite3_stmt *q = NULL;
	char other[8] = "";
	int rc = sqlite3_prepare_v2(ev->db, sql, -1, &q, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int(q, 1, d->day);
		sqlite3_bind_int(q, 2, d->window);
		sqlite3_bind_text(q, 3, d->leader, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, d->shift, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			const unsigned char *text = sqlite3_column_text(q, 0);
			snprintf(other, sizeof(other), "%s", text ? (const char *)text : "?");
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_failure(ev, rc, "read the leader shifts", err, err_size);
	if (rc == SQLITE_DONE)
		return EVAL_OK;
	eval_errorf(err, err_size,
		    "%s already has the %s shift at window %d on %04ld-%02ld-%02ld, which %s the "
		    "%s shift; a shift counts once",
		    d->leader, other, d->window, (long)(d->day / 10000), (long)(d->day / 100 % 100),
		    (long)(d->day % 100), strcmp(other, "day") == 0 ? "covers" : "is part of",
		    d->shift);
	return EVAL_ERR_DUPLICATE;
}

static int check_duty(struct eval *ev, const struct eval_duty *d, int32_t today, char *err,
		      size_t err_size)
{
	int ret = check_day(d->day, "day of the shift", err, err_size);

	if (ret == EVAL_OK)
		ret = check_not_future(d->day, today, "day of the shift", err, err_size);
	if (ret == EVAL_OK)
		ret =
		    check_text(d->leader, sizeof(d->leader), true, "leader's name", err, err_size);
	if (ret == EVAL_OK && (!memchr(d->shift, '\0', sizeof(d->shift)) ||
			       (strcmp(d->shift, "am") != 0 && strcmp(d->shift, "pm") != 0 &&
				strcmp(d->shift, "day") != 0)))
		ret = bad_argument(err, err_size, "a leader's shift is \"am\", \"pm\" or \"day\"");
	if (ret == EVAL_OK)
		ret = check_window(ev, d->window, d->day, err, err_size);
	if (ret == EVAL_OK)
		ret = check_overlap(ev, d, err, err_size);
	return ret;
}

int eval_add_duty(struct eval *ev, const struct eval_duty *d, int32_t today, int64_t *id, char *err,
		  size_t err_size)
{
	static const char sql[] = "INSERT INTO duty_shifts(day, window, leader, shift, created_at)"
				  " VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *q = NULL;
	int ret = check_duty(ev, d, today, err, err_size), rc;

	if (ret != EVAL_OK)
		return ret;
	rc = sqlite3_prepare_v2(ev->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_failure(ev, rc, "record the shift", err, err_size);
	sqlite3_bind_int(q, 1, d->day);
	sqlite3_bind_int(q, 2, d->window);
	sqlite3_bind_text(q, 3, d->leader, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, d->shift, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, (int64_t)time(NULL));
	ret = insert_row(ev, q, id, "record the shift", err, err_size);
	sqlite3_finalize(q);
	if (ret == EVAL_ERR_DUPLICATE)
		eval_errorf(err, err_size,
			    "%s's %s shift at window %d on %04ld-%02ld-%02ld is already recorded",
			    d->leader, d->shift, d->window, (long)(d->day / 10000),
			    (long)(d->day / 100 % 100), (long)(d->day % 100));
	return ret;
}
