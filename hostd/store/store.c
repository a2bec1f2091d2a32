/*
 * store.c — open the SQLite database and bring its schema up to date.
 *
 * Room: hostd/store. SQLite is used only here and in hostd/eval. The
 * migrations table below is the schema's history: entry N turns version
 * N-1 into version N, inside one transaction together with the new
 * user_version, so a crash mid-migration leaves the old version intact.
 * Never edit a released migration; add the next one.
 */
#include "store/store.h"
#include "store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct store {
	sqlite3 *db;
	char journal_mode[16];
	sqlite3_stmt *insert_event;
	sqlite3_stmt *put_ticket;
	sqlite3_stmt *put_window;
	bool in_transaction;
	int busy_timeout_ms;
	char last_error[192]; /* SQLite's and the system's words for the last failure */
	const char *cause;    /* why it is read-only, when the file system says so */
};

static const char *const migrations[] = {
    /* 1: the store's own facts (who created it, with which version). */
    "CREATE TABLE meta ("
    "  key   TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES"
    "  ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    "  ('created_by', 'hallq " HALLQ_VERSION "');",

    /* 2: the journal of accepted commands and the projections of tickets
     * and windows (docs/store.md). */
    "CREATE TABLE events ("
    "  id            INTEGER PRIMARY KEY,"
    "  day           INTEGER NOT NULL," /* business day, yyyymmdd local */
    "  at            INTEGER NOT NULL," /* epoch seconds */
    "  minute        INTEGER NOT NULL," /* local minutes since midnight */
    "  wday          INTEGER NOT NULL,"
    "  op            TEXT NOT NULL,"
    "  window        INTEGER," /* window number */
    "  target_window INTEGER,"
    "  service       TEXT," /* service id: issued for, or transferred to */
    "  ticket        TEXT," /* label of the ticket concerned, A023 */
    "  class         TEXT,"
    "  slot          INTEGER,"
    "  reason        TEXT,"
    "  rating        INTEGER,"
    "  staff         TEXT,"
    "  source        TEXT NOT NULL,"
    "  people_ahead  INTEGER,"
    "  estimated_wait_min INTEGER"
    ");"
    "CREATE INDEX events_by_day ON events(day, id);"
    "CREATE TABLE tickets ("
    "  day             INTEGER NOT NULL,"
    "  ticket          TEXT NOT NULL,"
    "  issued_service  TEXT NOT NULL,"
    "  service         TEXT NOT NULL,"
    "  class           TEXT NOT NULL,"
    "  state           TEXT NOT NULL,"
    "  slot            INTEGER,"
    "  issued_at       INTEGER NOT NULL,"
    "  first_called_at INTEGER,"
    "  called_at       INTEGER,"
    "  started_at      INTEGER,"
    "  finished_at     INTEGER,"
    "  hold_s          INTEGER NOT NULL,"
    "  handling_s      INTEGER,"
    "  window          INTEGER,"
    "  target_window   INTEGER,"
    "  recalls         INTEGER NOT NULL,"
    "  no_shows        INTEGER NOT NULL,"
    "  transfers       INTEGER NOT NULL,"
    "  rating          INTEGER,"
    "  called_specifically INTEGER NOT NULL,"
    "  PRIMARY KEY (day, ticket)"
    ") WITHOUT ROWID;"
    "CREATE INDEX tickets_finished ON tickets(service, finished_at) WHERE state = 'finished';"
    "CREATE TABLE windows ("
    "  number       INTEGER PRIMARY KEY,"
    "  day          INTEGER NOT NULL,"
    "  state        TEXT NOT NULL,"
    "  staff        TEXT,"
    "  pause_reason TEXT,"
    "  current      TEXT,"
    "  held         INTEGER NOT NULL,"
    "  since        INTEGER"
    ");",

    /* 3: what the host has processed of each device (exactly once across
     * restarts: docs/protocol.md), and the prints it still owes kiosks. */
    "CREATE TABLE devices ("
    "  id   TEXT PRIMARY KEY,"
    "  boot INTEGER NOT NULL," /* the device's BOOT_ID the seq belongs to */
    "  seq  INTEGER NOT NULL"  /* the last event seq processed */
    ") WITHOUT ROWID;"
    "CREATE TABLE prints ("
    "  device       TEXT NOT NULL,"
    "  seq          INTEGER NOT NULL," /* the print command's seq */
    "  boot         INTEGER NOT NULL," /* for this boot of the kiosk only */
    "  day          INTEGER NOT NULL,"
    "  ticket       TEXT NOT NULL,"
    "  people_ahead INTEGER NOT NULL,"
    "  wait_min     INTEGER NOT NULL,"
    "  PRIMARY KEY (device, seq)"
    ") WITHOUT ROWID;",

    /* 4: keys made once and kept (the ticket status tokens' key). */
    "CREATE TABLE secrets ("
    "  name  TEXT PRIMARY KEY,"
    "  value BLOB NOT NULL"
    ") WITHOUT ROWID;",

    /* 5: what supervisors record for the evaluation (leave, complaints and
     * praise, leader-on-duty shifts) and the evaluation records computed
     * from the journal (hostd/eval, docs/evaluation.md). */
    "CREATE TABLE leave ("
    "  id         INTEGER PRIMARY KEY,"
    "  window     INTEGER NOT NULL,"
    "  staff      TEXT,"
    "  day        INTEGER NOT NULL," /* yyyymmdd */
    "  from_min   INTEGER NOT NULL," /* local minutes, [from, to) */
    "  to_min     INTEGER NOT NULL,"
    "  reason     TEXT,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX leave_by_day ON leave(day, window);"
    "CREATE TABLE complaints ("
    "  id         INTEGER PRIMARY KEY,"
    "  kind       TEXT NOT NULL,"    /* complaint or praise */
    "  day        INTEGER NOT NULL," /* received */
    "  minute     INTEGER NOT NULL,"
    "  window     INTEGER NOT NULL,"
    "  staff      TEXT,"
    "  ticket     TEXT,"
    "  text       TEXT NOT NULL,"
    "  status     TEXT NOT NULL," /* open, upheld, dismissed (praise: closed) */
    "  closed_day INTEGER,"
    "  note       TEXT,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX complaints_by_day ON complaints(day, window);"
    "CREATE TABLE duty_shifts ("
    "  id         INTEGER PRIMARY KEY,"
    "  day        INTEGER NOT NULL,"
    "  window     INTEGER NOT NULL,"
    "  leader     TEXT NOT NULL,"
    "  shift      TEXT NOT NULL," /* am, pm or day */
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (day, window, leader, shift)"
    ");"
    "CREATE TABLE eval_records ("
    "  period      TEXT NOT NULL," /* day, week, month, quarter */
    "  first_day   INTEGER NOT NULL,"
    "  last_day    INTEGER NOT NULL,"
    "  kind        TEXT NOT NULL,"    /* hall, service, window, staff */
    "  subject     TEXT NOT NULL,"    /* '', service id, window number, staff id */
    "  final       INTEGER NOT NULL," /* 1 when the period was over */
    "  computed_at INTEGER NOT NULL,"
    "  served      INTEGER NOT NULL,"
    "  score       REAL,"
    "  figures     TEXT NOT NULL," /* every figure, JSON */
    "  PRIMARY KEY (period, first_day, kind, subject)"
    ") WITHOUT ROWID;",

    /* 6: bookings of appointment slots (预约; hostd/store/bookings.c). The
     * phone number itself is never stored: its masked form for showing,
     * a keyed hash for recognising it again. */
    "CREATE TABLE bookings ("
    "  id             INTEGER PRIMARY KEY,"
    "  code           TEXT NOT NULL UNIQUE,"
    "  idem_key       TEXT NOT NULL UNIQUE," /* the client's idempotency key */
    "  service        TEXT NOT NULL,"        /* service id */
    "  day            INTEGER NOT NULL,"     /* the slot's business day */
    "  slot           INTEGER NOT NULL,"     /* the slot's start, epoch seconds */
    "  slot_minutes   INTEGER NOT NULL,"
    "  phone_mask     TEXT NOT NULL,"    /* 138****5678 */
    "  phone_hash     TEXT NOT NULL,"    /* HMAC-SHA256 with secrets.phone_key, 128 bits */
    "  state          TEXT NOT NULL,"    /* booked, cancelled, checked_in, no_show */
    "  ticket         TEXT,"             /* the ticket it became, of `day` */
    "  late           INTEGER NOT NULL," /* checked in after the grace */
    "  created_at     INTEGER NOT NULL,"
    "  cancelled_at   INTEGER,"
    "  checked_in_at  INTEGER,"
    "  check_in_source TEXT"
    ");"
    "CREATE INDEX bookings_by_slot ON bookings(service, slot);"
    "CREATE INDEX bookings_by_day ON bookings(day, state);"
    "CREATE INDEX bookings_by_phone ON bookings(phone_hash, day);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

const char *store_strerror(int err)
{
	switch (err) {
	case STORE_OK:
		return "ok";
	case STORE_ERR_IO:
		return "database cannot be opened, read or written";
	case STORE_ERR_NOT_HALLQ:
		return "not a hallq database";
	case STORE_ERR_TOO_NEW:
		return "database schema newer than this program";
	case STORE_ERR_NOMEM:
		return "out of memory";
	case STORE_ERR_BUSY:
		return "database is locked by another process";
	case STORE_ERR_FULL:
		return "the disk holding the database is full";
	case STORE_ERR_READONLY:
		return "database is read-only: a read-only file system, or no write permission";
	}
	return "unknown store error";
}

const char *store_error_name(int err)
{
	switch (err) {
	case STORE_OK:
		return "OK";
	case STORE_ERR_NOT_HALLQ:
		return "NOT_HALLQ";
	case STORE_ERR_TOO_NEW:
		return "TOO_NEW";
	case STORE_ERR_NOMEM:
		return "NO_MEMORY";
	case STORE_ERR_BUSY:
		return "LOCKED";
	case STORE_ERR_FULL:
		return "DISK_FULL";
	case STORE_ERR_READONLY:
		return "READ_ONLY";
	default:
		return "IO_ERROR";
	}
}

/*
 * SQLite's result code as a store_error. The system's errno says more
 * than SQLITE_IOERR or SQLITE_CANTOPEN: a write that found no space, a
 * file system mounted read-only, a folder the user may not write.
 */
static int from_sqlite_errno(int rc, int sys_errno)
{
	switch (rc & 0xFF) {
	case SQLITE_NOMEM:
		return STORE_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_ERR_BUSY;
	case SQLITE_NOTADB:
		return STORE_ERR_NOT_HALLQ;
	case SQLITE_FULL:
		return STORE_ERR_FULL;
	case SQLITE_READONLY:
		return STORE_ERR_READONLY;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (sys_errno == ENOSPC || sys_errno == EDQUOT)
			return STORE_ERR_FULL;
		if (sys_errno == EROFS || sys_errno == EACCES || sys_errno == EPERM)
			return STORE_ERR_READONLY;
		return STORE_ERR_IO;
	default:
		return STORE_ERR_IO;
	}
}

/*
 * Why path (or its folder, where SQLite makes the -wal and -shm files)
 * cannot be written, when the system says so; NULL when it can. SQLite
 * reports a read-only file system as "unable to open database file" or
 * "disk I/O error", with the errno of its last attempt, often another
 * file's or none. access() does not see an ext4 the kernel turned
 * read-only after an error; opening the -wal file for writing does. (Never
 * the database file itself: closing any descriptor of it would drop
 * SQLite's POSIX locks.)
 */
static const char *unwritable_cause(const char *path)
{
	char buf[4096];
	const char *slash = strrchr(path, '/');

	if (access(path, W_OK) != 0 && errno != ENOENT)
		return errno == EROFS ? "a read-only file system"
				      : "no write permission on the file";
	snprintf(buf, sizeof(buf), "%s-wal", path);
	int fd = open(buf, O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	else if (errno == EROFS)
		return "a read-only file system";
	else if (errno == EACCES || errno == EPERM)
		return "no write permission on the -wal file";
	if (!slash)
		snprintf(buf, sizeof(buf), ".");
	else
		snprintf(buf, sizeof(buf), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (access(buf, W_OK) != 0)
		return errno == EROFS ? "a read-only file system"
				      : "no write permission on the folder (for the -wal and -shm "
					"files)";
	return NULL;
}

/*
 * A failure of st's connection: converted, and kept with SQLite's words
 * and the system's for store_last_error().
 */
static int failed(struct store *st, int rc)
{
	int sys_errno = st->db ? sqlite3_system_errno(st->db) : 0;
	int err = from_sqlite_errno(rc, sys_errno);
	const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	const char *file = st->db ? sqlite3_db_filename(st->db, "main") : NULL;
	/* errno is often lost by then (a disk that turned read-only gives a
	 * bare "disk I/O error"): ask the file system itself */
	const char *cause = err == STORE_ERR_IO && file && *file ? unwritable_cause(file) : NULL;

	st->cause = cause;
	if (cause) {
		err = STORE_ERR_READONLY;
		snprintf(st->last_error, sizeof(st->last_error), "%s: %s", msg, cause);
	} else if (sys_errno && ((rc & 0xFF) == SQLITE_IOERR || (rc & 0xFF) == SQLITE_CANTOPEN ||
				 (rc & 0xFF) == SQLITE_FULL)) {
		snprintf(st->last_error, sizeof(st->last_error), "%s (%s)", msg,
			 strerror(sys_errno));
	} else {
		snprintf(st->last_error, sizeof(st->last_error), "%s", msg);
	}
	return err;
}

const char *store_last_error(const struct store *st)
{
	return st->last_error;
}

sqlite3 *store_db(struct store *st)
{
	return st->db;
}

int store_from_sqlite(int rc)
{
	return from_sqlite_errno(rc, 0);
}

int store_fail(struct store *st, int rc)
{
	return failed(st, rc);
}

/* Runs a query that returns one integer (a PRAGMA); *out gets it. */
static int query_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(stmt, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int set_journal_mode(struct store *st)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &stmt, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *mode = sqlite3_column_text(stmt, 0);
		snprintf(st->journal_mode, sizeof(st->journal_mode), "%s",
			 mode ? (const char *)mode : "");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int migrate(struct store *st, const char *path, int from, char *err, size_t err_size)
{
	for (int v = from + 1; v <= STORE_SCHEMA_VERSION; v++) {
		char *msg = NULL, sql[96];
		int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(st->db, migrations[v - 1], NULL, NULL, &msg);
		if (rc == SQLITE_OK && v == 1) {
			snprintf(sql, sizeof(sql), "PRAGMA application_id=%d",
				 STORE_APPLICATION_ID);
			rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
		}
		if (rc == SQLITE_OK) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
			rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
		}
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			int ret = failed(st, rc);
			snprintf(err, err_size,
				 "%s: migration to schema version %d failed: %s [%s]", path, v,
				 store_strerror(ret), msg ? msg : st->last_error);
			sqlite3_free(msg);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return ret;
		}
	}
	return STORE_OK;
}

static int prepare_statements(struct store *st)
{
	static const char insert_event[] =
	    "INSERT INTO events(day, at, minute, wday, op, window, target_window, service,"
	    " ticket, class, slot, reason, rating, staff, source, people_ahead,"
	    " estimated_wait_min) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char put_ticket[] =
	    "INSERT OR REPLACE INTO tickets(day, ticket, issued_service, service, class,"
	    " state, slot, issued_at, first_called_at, called_at, started_at, finished_at,"
	    " hold_s, handling_s, window, target_window, recalls, no_shows, transfers,"
	    " rating, called_specifically)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char put_window[] =
	    "INSERT OR REPLACE INTO windows(number, day, state, staff, pause_reason, current,"
	    " held, since) VALUES (?,?,?,?,?,?,?,?)";
	int rc = sqlite3_prepare_v3(st->db, insert_event, -1, SQLITE_PREPARE_PERSISTENT,
				    &st->insert_event, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(st->db, put_ticket, -1, SQLITE_PREPARE_PERSISTENT,
					&st->put_ticket, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(st->db, put_window, -1, SQLITE_PREPARE_PERSISTENT,
					&st->put_window, NULL);
	return rc;
}

/*
 * The sentence for a failure of store_open(): the file, what could not be
 * done, the cause in words (locked, read-only, full) and SQLite's and the
 * system's own. Returns the store_error.
 */
static int open_failed(struct store *st, const char *path, const char *what, int rc, char *err,
		       size_t err_size)
{
	int ret = failed(st, rc);

	if (ret == STORE_ERR_READONLY && st->cause)
		snprintf(err, err_size, "%s: cannot %s the database: it is read-only: %s [%s]",
			 path, what, st->cause, sqlite3_errmsg(st->db));
	else if (ret == STORE_ERR_IO)
		snprintf(err, err_size, "%s: cannot %s the database: %s", path, what,
			 st->last_error);
	else
		snprintf(err, err_size, "%s: cannot %s the database: %s [%s]", path, what,
			 store_strerror(ret), st->last_error);
	return ret;
}

/* Refuses files that are not ours or are newer; *version gets the schema. */
static int check_identity(struct store *st, const char *path, int *version, char *err,
			  size_t err_size)
{
	int app_id = 0, tables = 0, rc;

	rc = query_int(st->db, "PRAGMA application_id", &app_id);
	if (rc == SQLITE_OK)
		rc = query_int(st->db, "PRAGMA user_version", version);
	if (rc == SQLITE_OK)
		rc = query_int(st->db, "SELECT count(*) FROM sqlite_schema", &tables);
	if ((rc & 0xFF) == SQLITE_NOTADB) {
		snprintf(err, err_size,
			 "%s: not a hallq database (not an SQLite file); give hostd another --db "
			 "file",
			 path);
		return STORE_ERR_NOT_HALLQ;
	}
	if (rc != SQLITE_OK)
		return open_failed(st, path, "open", rc, err, err_size);
	bool empty = app_id == 0 && *version == 0 && tables == 0;
	if (!empty && app_id != STORE_APPLICATION_ID) {
		snprintf(err, err_size,
			 "%s: not a hallq database (application_id %d); give hostd another --db "
			 "file",
			 path, app_id);
		return STORE_ERR_NOT_HALLQ;
	}
	if (*version > STORE_SCHEMA_VERSION) {
		snprintf(err, err_size,
			 "%s: database schema version %d is newer than this hostd knows (%d); "
			 "run a newer hallq on it, or restore a backup made by this version",
			 path, *version, STORE_SCHEMA_VERSION);
		return STORE_ERR_TOO_NEW;
	}
	return STORE_OK;
}

int store_open(const char *path, struct store **out, char *err, size_t err_size)
{
	struct store *st = calloc(1, sizeof(*st));
	int version = 0, rc, ret;

	*out = NULL;
	err[0] = '\0';
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return STORE_ERR_NOMEM;
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		ret = open_failed(st, path, "open", rc, err, err_size);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	store_set_busy_timeout(st, STORE_BUSY_TIMEOUT_MS);
	ret = check_identity(st, path, &version, err, err_size);
	if (ret != STORE_OK)
		goto fail;
	rc = set_journal_mode(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", NULL,
				  NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = open_failed(st, path, "set up", rc, err, err_size);
		goto fail;
	}
	if (strcmp(st->journal_mode, "wal") != 0) {
		snprintf(err, err_size, "%s: cannot use write-ahead logging (journal mode %s)",
			 path, st->journal_mode);
		ret = STORE_ERR_IO;
		goto fail;
	}
	ret = migrate(st, path, version, err, err_size);
	if (ret != STORE_OK)
		goto fail;
	/* SQLite opens a file it may not write read-only, and says so only at
	 * the first write: hostd would start and refuse everything. */
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		const char *cause = unwritable_cause(path);
		snprintf(err, err_size,
			 "%s: cannot write the database: it is read-only: %s [SQLite opened it "
			 "read-only]",
			 path, cause ? cause : "no write permission");
		ret = STORE_ERR_READONLY;
		goto fail;
	}
	rc = prepare_statements(st);
	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "%s: cannot prepare statements: %s", path,
			 sqlite3_errmsg(st->db));
		ret = failed(st, rc);
		goto fail;
	}
	*out = st;
	return STORE_OK;
fail:
	store_close(st);
	return ret;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->insert_event);
	sqlite3_finalize(st->put_ticket);
	sqlite3_finalize(st->put_window);
	sqlite3_close(st->db);
	free(st);
}

void store_set_busy_timeout(struct store *st, int timeout_ms)
{
	st->busy_timeout_ms = timeout_ms;
	sqlite3_busy_timeout(st->db, timeout_ms);
}

int store_busy_timeout(const struct store *st)
{
	return st->busy_timeout_ms;
}

int store_schema_version(struct store *st)
{
	int version = -1;

	query_int(st->db, "PRAGMA user_version", &version);
	return version;
}

const char *store_journal_mode(struct store *st)
{
	return st->journal_mode;
}

/* ---- the journal ---- */

int store_begin(struct store *st)
{
	int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return failed(st, rc);
	st->in_transaction = true;
	return STORE_OK;
}

int store_commit(struct store *st)
{
	int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return failed(st, rc); /* still in the transaction: roll back */
	st->in_transaction = false;
	return STORE_OK;
}

void store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db) == 0)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_transaction = false;
}

int store_check_write(struct store *st, int64_t now_s)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db,
					"INSERT OR REPLACE INTO meta(key, value) VALUES "
					"('write_checked_at', ?)",
					-1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, now_s);
		rc = sqlite3_step(q);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return STORE_OK;
	int ret = failed(st, rc);
	if (sqlite3_get_autocommit(st->db) == 0)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

static void bind_text_or_null(sqlite3_stmt *stmt, int col, const char *text)
{
	if (text && *text)
		sqlite3_bind_text(stmt, col, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt, col);
}

static void bind_time_or_null(sqlite3_stmt *stmt, int col, int64_t t)
{
	if (t)
		sqlite3_bind_int64(stmt, col, t);
	else
		sqlite3_bind_null(stmt, col);
}

static void bind_window(sqlite3_stmt *stmt, int col, const struct engine_hall *hall, int w)
{
	if (w >= 0 && w < hall->n_windows)
		sqlite3_bind_int(stmt, col, hall->windows[w].number);
	else
		sqlite3_bind_null(stmt, col);
}

static const char *service_id(const struct engine_hall *hall, int s)
{
	return s >= 0 && s < hall->n_services ? hall->services[s].id : NULL;
}

static int step_done(struct store *st, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc == SQLITE_DONE ? STORE_OK : failed(st, rc);
}

static int put_ticket(struct store *st, const struct engine *e, const struct engine_ticket *t)
{
	const struct engine_hall *hall = engine_hall(e);
	sqlite3_stmt *q = st->put_ticket;
	char label[8];

	sqlite3_bind_int(q, 1, engine_day(e));
	sqlite3_bind_text(q, 2, engine_ticket_label(t, label), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, hall->services[t->issued_service].id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, hall->services[t->service].id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, engine_class_name(t->cls), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, engine_ticket_state_name(t->state), -1, SQLITE_STATIC);
	bind_time_or_null(q, 7, t->slot_s);
	sqlite3_bind_int64(q, 8, t->issued_s);
	bind_time_or_null(q, 9, t->first_called_s);
	bind_time_or_null(q, 10, t->called_s);
	bind_time_or_null(q, 11, t->started_s);
	bind_time_or_null(q, 12, t->finished_s);
	sqlite3_bind_int64(q, 13, t->hold_total_s);
	if (t->state == ENGINE_TICKET_FINISHED)
		sqlite3_bind_int64(q, 14, engine_handling_s(t));
	bind_window(q, 15, hall, t->window);
	bind_window(q, 16, hall, t->target_window);
	sqlite3_bind_int(q, 17, t->recalls);
	sqlite3_bind_int(q, 18, t->no_shows);
	sqlite3_bind_int(q, 19, t->transfers);
	if (t->rating)
		sqlite3_bind_int(q, 20, t->rating);
	sqlite3_bind_int(q, 21, t->called_specifically);
	return step_done(st, q);
}

static int put_window(struct store *st, const struct engine *e, int w)
{
	const struct engine_hall *hall = engine_hall(e);
	const struct engine_window_status *ws = engine_window(e, w);
	sqlite3_stmt *q = st->put_window;
	char label[8];

	sqlite3_bind_int(q, 1, hall->windows[w].number);
	sqlite3_bind_int(q, 2, engine_day(e));
	sqlite3_bind_text(q, 3, engine_window_state_name(ws->state), -1, SQLITE_STATIC);
	bind_text_or_null(q, 4, ws->state == ENGINE_WINDOW_LOGGED_OUT ? NULL : ws->staff);
	bind_text_or_null(
	    q, 5, ws->pause_reason >= 0 ? hall->queue.pause_reasons[ws->pause_reason] : NULL);
	bind_text_or_null(q, 6,
			  ws->current != ENGINE_NO_TICKET
			      ? engine_ticket_label(engine_ticket(e, ws->current), label)
			      : NULL);
	sqlite3_bind_int(q, 7, ws->n_held);
	bind_time_or_null(q, 8, ws->since_s);
	return step_done(st, q);
}

static int insert_event(struct store *st, const struct engine *e, const struct engine_command *c,
			const struct engine_result *r, const char *source)
{
	const struct engine_hall *hall = engine_hall(e);
	sqlite3_stmt *q = st->insert_event;
	char label[8] = "";

	/* CLOSE_DAY is journalled under the day it closes. */
	sqlite3_bind_int(q, 1, c->op == ENGINE_OP_CLOSE_DAY ? engine_day(e) : c->clock.day);
	sqlite3_bind_int64(q, 2, c->clock.now_s);
	sqlite3_bind_int(q, 3, c->clock.minute);
	sqlite3_bind_int(q, 4, c->clock.wday);
	sqlite3_bind_text(q, 5, engine_op_name(c->op), -1, SQLITE_STATIC);
	bind_window(q, 6, hall, r->window);
	bind_window(q, 7, hall, c->op == ENGINE_OP_TRANSFER ? c->target_window : -1);
	bind_text_or_null(q, 8,
			  c->op == ENGINE_OP_ISSUE || c->op == ENGINE_OP_TRANSFER
			      ? service_id(hall, c->service)
			      : NULL);
	if (r->ticket != ENGINE_NO_TICKET)
		engine_ticket_label(engine_ticket(e, r->ticket), label);
	bind_text_or_null(q, 9, label);
	if (c->op == ENGINE_OP_ISSUE) {
		sqlite3_bind_text(q, 10, engine_class_name(c->cls), -1, SQLITE_STATIC);
		bind_time_or_null(q, 11, c->slot_s);
		sqlite3_bind_int(q, 16, r->people_ahead);
		sqlite3_bind_int(q, 17, r->estimated_wait_min);
	}
	if (c->op == ENGINE_OP_PAUSE)
		sqlite3_bind_text(q, 12, hall->queue.pause_reasons[c->reason], -1, SQLITE_STATIC);
	if (c->op == ENGINE_OP_RATE)
		sqlite3_bind_int(q, 13, c->rating);
	if (c->op == ENGINE_OP_LOGIN)
		bind_text_or_null(q, 14, c->staff);
	sqlite3_bind_text(q, 15, source && *source ? source : "core", -1, SQLITE_TRANSIENT);
	return step_done(st, q);
}

int store_record(struct store *st, const struct engine *e, const struct engine_command *cmd,
		 const struct engine_result *res, const char *source)
{
	int rc = insert_event(st, e, cmd, res, source);

	if (res->all_changed) {
		for (uint32_t id = 0; rc == STORE_OK && id < engine_ticket_count(e); id++)
			rc = put_ticket(st, e, engine_ticket(e, id));
		for (int w = 0; rc == STORE_OK && w < engine_hall(e)->n_windows; w++)
			rc = put_window(st, e, w);
		return rc;
	}
	for (int i = 0; rc == STORE_OK && i < res->n_tickets; i++)
		rc = put_ticket(st, e, engine_ticket(e, res->tickets[i]));
	for (int i = 0; rc == STORE_OK && i < res->n_windows; i++)
		rc = put_window(st, e, res->windows[i]);
	return rc;
}

/* ---- reading back ---- */

static int find_window(const struct engine_hall *hall, int number)
{
	for (int w = 0; w < hall->n_windows; w++)
		if (hall->windows[w].number == number)
			return w;
	return -1;
}

static int find_service(const struct engine_hall *hall, const char *id)
{
	for (int s = 0; id && s < hall->n_services; s++)
		if (strcmp(hall->services[s].id, id) == 0)
			return s;
	return -1;
}

static int find_reason(const struct engine_hall *hall, const char *text)
{
	for (int i = 0; text && i < hall->queue.n_pause_reasons; i++)
		if (strcmp(hall->queue.pause_reasons[i], text) == 0)
			return i;
	return -1;
}

static const char *column_text(sqlite3_stmt *q, int col)
{
	return (const char *)sqlite3_column_text(q, col);
}

/* Turns one events row into a command; marks names the hall lacks. */
static void read_event(sqlite3_stmt *q, const struct engine_hall *hall, struct store_event *ev)
{
	struct engine_command *c = &ev->cmd;
	const char *text;

	memset(ev, 0, sizeof(*ev));
	ev->id = sqlite3_column_int64(q, 0);
	c->clock.day = sqlite3_column_int(q, 1);
	c->clock.now_s = sqlite3_column_int64(q, 2);
	c->clock.minute = (int16_t)sqlite3_column_int(q, 3);
	c->clock.wday = (int8_t)sqlite3_column_int(q, 4);
	int op = engine_op_parse(column_text(q, 5) ? column_text(q, 5) : "");
	c->op = op > 0 ? (enum engine_op)op : 0;
	c->window = c->target_window = c->service = c->reason = -1;
	c->ticket = ENGINE_NO_TICKET;
	if (sqlite3_column_type(q, 6) != SQLITE_NULL &&
	    (c->window = find_window(hall, sqlite3_column_int(q, 6))) < 0)
		ev->unknown_ref = 1;
	if (sqlite3_column_type(q, 7) != SQLITE_NULL &&
	    (c->target_window = find_window(hall, sqlite3_column_int(q, 7))) < 0)
		ev->unknown_ref = 1;
	if ((text = column_text(q, 8)) && (c->service = find_service(hall, text)) < 0)
		ev->unknown_ref = 1;
	if ((text = column_text(q, 9)))
		snprintf(ev->ticket, sizeof(ev->ticket), "%s", text);
	if ((text = column_text(q, 10)))
		c->cls = (enum engine_class)(
		    engine_class_parse(text) < 0 ? 0 : engine_class_parse(text));
	c->slot_s = sqlite3_column_int64(q, 11);
	if ((text = column_text(q, 12)) && (c->reason = find_reason(hall, text)) < 0)
		ev->unknown_ref = 1;
	c->rating = sqlite3_column_int(q, 13);
	if ((text = column_text(q, 14)))
		snprintf(c->staff, sizeof(c->staff), "%s", text);
	if ((text = column_text(q, 15)))
		snprintf(ev->source, sizeof(ev->source), "%s", text);
	if (!c->op)
		ev->unknown_ref = 1;
}

int store_replay_day(struct store *st, const struct engine_hall *hall, int32_t day,
		     store_event_fn fn, void *arg)
{
	static const char sql[] =
	    "SELECT id, day, at, minute, wday, op, window, target_window, service, ticket,"
	    " class, slot, reason, rating, staff, source FROM events WHERE day = ? ORDER BY id";
	sqlite3_stmt *q = NULL;
	struct store_event ev;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL), ret = 0;

	if (rc != SQLITE_OK)
		return failed(st, rc);
	sqlite3_bind_int(q, 1, day);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_event(q, hall, &ev);
		if ((ret = fn(arg, &ev)) != 0)
			break;
	}
	sqlite3_finalize(q);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? STORE_OK : failed(st, rc);
}

int store_last_day(struct store *st, int32_t *day)
{
	int value = 0;
	int rc = query_int(st->db, "SELECT coalesce(max(day), 0) FROM events", &value);

	*day = value;
	return rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}

int store_recent_handling(struct store *st, const struct engine_hall *hall, int32_t day,
			  int per_service, store_handling_fn fn, void *arg)
{
	static const char sql[] =
	    "SELECT handling_s FROM (SELECT handling_s, finished_at, day, ticket FROM tickets"
	    "  WHERE service = ? AND state = 'finished' AND day < ?"
	    "  ORDER BY finished_at DESC, day DESC, ticket DESC LIMIT ?)"
	    " ORDER BY finished_at, day, ticket";
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);

	if (rc != SQLITE_OK)
		return failed(st, rc);
	for (int s = 0; s < hall->n_services && (rc == SQLITE_DONE || rc == SQLITE_OK); s++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, hall->services[s].id, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, day);
		sqlite3_bind_int(q, 3, per_service);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW)
			fn(arg, s, sqlite3_column_int64(q, 0));
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE || rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}

static void copy_text(sqlite3_stmt *q, int col, char *out, size_t size)
{
	const unsigned char *text = sqlite3_column_text(q, col);

	snprintf(out, size, "%s", text ? (const char *)text : "");
}

int store_recent_calls(struct store *st, int32_t day, int max,
		       int (*fn)(void *arg, const struct store_call *c), void *arg)
{
	static const char sql[] =
	    "SELECT e.ticket, e.window, t.service, e.at, e.op = 'recall' FROM events e"
	    " LEFT JOIN tickets t ON t.day = e.day AND t.ticket = e.ticket"
	    " WHERE e.day = ? AND e.op IN ('call_next', 'call_ticket', 'call_back', 'recall')"
	    " AND e.window IS NOT NULL AND e.ticket IS NOT NULL ORDER BY e.id DESC LIMIT ?";
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int(q, 1, day);
		sqlite3_bind_int(q, 2, max);
	}
	while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_call c = {.window = sqlite3_column_int(q, 1)};
		copy_text(q, 0, c.ticket, sizeof(c.ticket));
		copy_text(q, 2, c.service, sizeof(c.service));
		c.at_s = sqlite3_column_int64(q, 3);
		c.recall = sqlite3_column_int(q, 4) != 0;
		rc = fn(arg, &c) ? SQLITE_DONE : SQLITE_OK;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE || rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}

int store_ticket_count(struct store *st, int32_t day, int *count)
{
	sqlite3_stmt *q = NULL;
	int rc =
	    sqlite3_prepare_v2(st->db, "SELECT count(*) FROM tickets WHERE day = ?", -1, &q, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int(q, 1, day);
		rc = sqlite3_step(q);
		*count = sqlite3_column_int(q, 0);
		rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}

static int exec_bound(struct store *st, const char *sql, const struct store_device *d,
		      const struct store_print *p)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);

	if (rc == SQLITE_OK && d) {
		sqlite3_bind_text(q, 1, d->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, d->boot);
		sqlite3_bind_int(q, 3, d->seq);
	}
	if (rc == SQLITE_OK && p) {
		sqlite3_bind_text(q, 1, p->device, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, p->seq);
		sqlite3_bind_int(q, 3, p->boot);
		sqlite3_bind_int(q, 4, p->day);
		sqlite3_bind_text(q, 5, p->ticket, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 6, p->people_ahead);
		sqlite3_bind_int(q, 7, p->wait_min);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(q);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}

int store_put_device(struct store *st, const struct store_device *d)
{
	return exec_bound(st, "INSERT OR REPLACE INTO devices(id, boot, seq) VALUES (?, ?, ?)", d,
			  NULL);
}

int store_put_print(struct store *st, const struct store_print *p)
{
	return exec_bound(st,
			  "INSERT OR REPLACE INTO prints(device, seq, boot, day, ticket, "
			  "people_ahead, wait_min) VALUES (?, ?, ?, ?, ?, ?, ?)",
			  NULL, p);
}

int store_delete_print(struct store *st, const char *device, uint16_t seq)
{
	struct store_print p = {.seq = seq};

	snprintf(p.device, sizeof(p.device), "%s", device);
	return exec_bound(st, "DELETE FROM prints WHERE device = ?1 AND seq = ?2", NULL, &p);
}

int store_prune_prints(struct store *st, int32_t day)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, "DELETE FROM prints WHERE day < ?", -1, &q, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int(q, 1, day);
		rc = sqlite3_step(q);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}

int store_devices(struct store *st, int (*fn)(void *arg, const struct store_device *d), void *arg)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT id, boot, seq FROM devices ORDER BY id", -1, &q,
				    NULL);

	while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_device d = {0};
		copy_text(q, 0, d.id, sizeof(d.id));
		d.boot = (uint16_t)sqlite3_column_int(q, 1);
		d.seq = (uint16_t)sqlite3_column_int(q, 2);
		rc = fn(arg, &d) ? SQLITE_ABORT : SQLITE_OK;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	return rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}

int store_prints(struct store *st, int (*fn)(void *arg, const struct store_print *p), void *arg)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT device, seq, boot, day, ticket, people_ahead, wait_min "
				    "FROM prints ORDER BY device, day, seq",
				    -1, &q, NULL);

	while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_print p = {0};
		copy_text(q, 0, p.device, sizeof(p.device));
		p.seq = (uint16_t)sqlite3_column_int(q, 1);
		p.boot = (uint16_t)sqlite3_column_int(q, 2);
		p.day = sqlite3_column_int(q, 3);
		copy_text(q, 4, p.ticket, sizeof(p.ticket));
		p.people_ahead = sqlite3_column_int(q, 5);
		p.wait_min = sqlite3_column_int(q, 6);
		rc = fn(arg, &p) ? SQLITE_ABORT : SQLITE_OK;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	return rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}

int store_put_meta(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
				    -1, &q, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}

int store_secret(struct store *st, const char *name, uint8_t *out, size_t len)
{
	sqlite3_stmt *q = NULL;
	int rc =
	    sqlite3_prepare_v2(st->db, "SELECT value FROM secrets WHERE name = ?", -1, &q, NULL);

	if (rc != SQLITE_OK)
		return failed(st, rc);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(q, 0) == len) {
		memcpy(out, sqlite3_column_blob(q, 0), len);
		sqlite3_finalize(q);
		return STORE_OK;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return failed(st, rc);
	/* none yet (or of another length): a new one */
	for (size_t got = 0; got < len;) {
		ssize_t n = getrandom(out + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return STORE_ERR_IO;
		got += (size_t)n;
	}
	rc = sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO secrets(name, value) VALUES (?, ?)",
				-1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(q, 2, out, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(q);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? STORE_OK : failed(st, rc);
}
