/*
 * db.c — the evaluation's own connection to the hallq database, and the
 * records supervisors add to it: approved leave, complaints and praise
 * (and closing a complaint), leader-on-duty shifts.
 *
 * Room: hostd/eval. Opens an existing database only (hostd and hallctl's
 * store_open() create and migrate it); refuses a file that is not hallq's
 * or is older than schema 5. Every argument is checked before anything is
 * written, and every statement binds its values (never SQL built from
 * text). The tables are those of schema 5 (hostd/store/store.c);
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

/* Does a query with one bound integer or text (the other NULL) give a row? */
static int row_exists(struct eval *ev, const char *sql, int number, const char *text, bool *exists,
		      char *err, size_t err_size)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(ev->db, sql, -1, &q, NULL);

	if (rc == SQLITE_OK) {
		if (text)
			sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int(q, 1, number);
		rc = sqlite3_step(q);
		*exists = rc == SQLITE_ROW;
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? EVAL_OK : db_failure(ev, rc, "read the journal", err, err_size);
}

/* A window of the config, or one the journal names. */
static int check_window(struct eval *ev, int number, char *err, size_t err_size)
{
	const struct engine_hall *hall = &ev->cfg->hall;
	bool seen = false;

	for (int w = 0; w < hall->n_windows; w++)
		if (hall->windows[w].number == number)
			return EVAL_OK;
	if (number > 0) {
		int ret = row_exists(ev,
				     "SELECT 1 FROM events WHERE window = ?1 OR target_window = ?1 "
				     "LIMIT 1",
				     number, NULL, &seen, err, err_size);
		if (ret != EVAL_OK)
			return ret;
	}
	if (seen)
		return EVAL_OK;
	eval_errorf(err, err_size,
		    "window %d is neither in the config nor in the journal; give the number on "
		    "the window",
		    number);
	return EVAL_ERR_BAD_ARGUMENT;
}

/* "" (nobody named), or a staff member of the config or one who logged in. */
static int check_staff(struct eval *ev, const char *staff, char *err, size_t err_size)
{
	bool seen = false;
	int ret = check_text(staff, ENGINE_ID_SIZE, false, "staff id", err, err_size);

	if (ret != EVAL_OK || !staff[0] || config_staff(ev->cfg, staff))
		return ret;
	ret = row_exists(ev, "SELECT 1 FROM events WHERE op = 'login' AND staff = ?1 LIMIT 1", 0,
			 staff, &seen, err, err_size);
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
		ret = check_window(ev, l->window, err, err_size);
	if (ret == EVAL_OK)
		ret = check_staff(ev, l->staff, err, err_size);
	return ret;
}

int eval_add_leave(struct eval *ev, const struct eval_leave *l, int64_t *id, char *err,
		   size_t err_size)
{
	static const char sql[] = "INSERT INTO leave(window, staff, day, from_min, to_min, reason,"
				  " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *q = NULL;
	int ret = check_leave(ev, l, err, err_size), rc;

	if (ret != EVAL_OK)
		return ret;
	rc = sqlite3_prepare_v2(ev->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_failure(ev, rc, "record the leave", err, err_size);
	sqlite3_bind_int(q, 1, l->window);
	bind_text_or_null(q, 2, l->staff);
	sqlite3_bind_int(q, 3, l->day);
	sqlite3_bind_int(q, 4, l->from_min);
	sqlite3_bind_int(q, 5, l->to_min);
	bind_text_or_null(q, 6, l->reason);
	sqlite3_bind_int64(q, 7, (int64_t)time(NULL));
	ret = insert_row(ev, q, id, "record the leave", err, err_size);
	sqlite3_finalize(q);
	return ret;
}

/* ---- complaints and praise ---- */

static int check_complaint(struct eval *ev, const struct eval_complaint *c, char *err,
			   size_t err_size)
{
	int ret = EVAL_OK;

	if (!memchr(c->kind, '\0', sizeof(c->kind)) ||
	    (strcmp(c->kind, "complaint") != 0 && strcmp(c->kind, "praise") != 0))
		return bad_argument(err, err_size,
				    "the kind of record must be \"complaint\" or \"praise\"");
	ret = check_day(c->day, "day received", err, err_size);
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
		ret = check_window(ev, c->window, err, err_size);
	if (ret == EVAL_OK)
		ret = check_staff(ev, c->staff, err, err_size);
	return ret;
}

/* A complaint is recorded open; praise needs no decision and is closed on
 * the day received. c->status, closed_day and note are not read. */
int eval_add_complaint(struct eval *ev, const struct eval_complaint *c, int64_t *id, char *err,
		       size_t err_size)
{
	static const char sql[] =
	    "INSERT INTO complaints(kind, day, minute, window, staff, ticket, text, status,"
	    " closed_day, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)";
	sqlite3_stmt *q = NULL;
	int ret = check_complaint(ev, c, err, err_size), rc;

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
			 const char *note, char *err, size_t err_size)
{
	char kind[12], now_status[12];
	int32_t day = 0;
	int ret;

	if (!status || (strcmp(status, "upheld") != 0 && strcmp(status, "dismissed") != 0))
		return bad_argument(err, err_size,
				    "a complaint is closed as \"upheld\" or \"dismissed\"");
	ret = check_day(closed_day, "day closed", err, err_size);
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
			 const char *note, char *err, size_t err_size)
{
	static const char sql[] = "UPDATE complaints SET status = ?, closed_day = ?, note = ?"
				  " WHERE id = ? AND kind = 'complaint' AND status = 'open'";
	sqlite3_stmt *q = NULL;
	int ret = check_closing(ev, id, status, closed_day, note, err, err_size), rc;

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

static int check_duty(struct eval *ev, const struct eval_duty *d, char *err, size_t err_size)
{
	int ret = check_day(d->day, "day of the shift", err, err_size);

	if (ret == EVAL_OK)
		ret =
		    check_text(d->leader, sizeof(d->leader), true, "leader's name", err, err_size);
	if (ret == EVAL_OK && (!memchr(d->shift, '\0', sizeof(d->shift)) ||
			       (strcmp(d->shift, "am") != 0 && strcmp(d->shift, "pm") != 0 &&
				strcmp(d->shift, "day") != 0)))
		ret = bad_argument(err, err_size, "a leader's shift is \"am\", \"pm\" or \"day\"");
	if (ret == EVAL_OK)
		ret = check_window(ev, d->window, err, err_size);
	return ret;
}

int eval_add_duty(struct eval *ev, const struct eval_duty *d, int64_t *id, char *err,
		  size_t err_size)
{
	static const char sql[] = "INSERT INTO duty_shifts(day, window, leader, shift, created_at)"
				  " VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *q = NULL;
	int ret = check_duty(ev, d, err, err_size), rc;

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
		eval_errorf(err, err_size, "%s's %s shift at window %d on %ld is already recorded",
			    d->leader, d->shift, d->window, (long)d->day);
	return ret;
}
