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

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store {
	sqlite3 *db;
	char journal_mode[16];
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
	}
	return "unknown store error";
}

static int from_sqlite(int rc)
{
	switch (rc & 0xFF) {
	case SQLITE_NOMEM:
		return STORE_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_ERR_BUSY;
	case SQLITE_NOTADB:
		return STORE_ERR_NOT_HALLQ;
	default:
		return STORE_ERR_IO;
	}
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

static int migrate(struct store *st, int from, char *err, size_t err_size)
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
			snprintf(err, err_size, "migration to schema version %d failed: %s", v,
				 msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return from_sqlite(rc);
		}
	}
	return STORE_OK;
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
	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "%s: cannot read the database: %s", path,
			 sqlite3_errmsg(st->db));
		return from_sqlite(rc);
	}
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
		snprintf(err, err_size, "%s: cannot open: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		ret = from_sqlite(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	ret = check_identity(st, path, &version, err, err_size);
	if (ret != STORE_OK)
		goto fail;
	rc = set_journal_mode(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", NULL,
				  NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "%s: cannot set up the database: %s", path,
			 sqlite3_errmsg(st->db));
		ret = from_sqlite(rc);
		goto fail;
	}
	if (strcmp(st->journal_mode, "wal") != 0) {
		snprintf(err, err_size, "%s: cannot use write-ahead logging (journal mode %s)",
			 path, st->journal_mode);
		ret = STORE_ERR_IO;
		goto fail;
	}
	ret = migrate(st, version, err, err_size);
	if (ret != STORE_OK)
		goto fail;
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
	sqlite3_close(st->db); /* all statements are finalized by then */
	free(st);
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
