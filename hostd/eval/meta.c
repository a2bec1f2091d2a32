/*
 * meta.c — eval_meta_get(): one value of a hallq database's `meta` table,
 * read with a read-only connection (eval_meta.h).
 *
 * Room: hostd/eval. Opens the file read-only, so that a missing or foreign
 * file is never created or changed here.
 */
#include <stdlib.h>
#include <string.h>

#include "eval/eval_internal.h"
#include "eval/eval_meta.h"

int eval_meta_get(const char *path, const char *key, char **value, char *err, size_t err_size)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, ret = EVAL_OK;

	*value = NULL;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL);
	}
	if (rc != SQLITE_OK) {
		eval_errorf(err, err_size, "%s: cannot read the meta table: %s", path,
			    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = (rc & 0xFF) == SQLITE_BUSY ? EVAL_ERR_BUSY : EVAL_ERR_IO;
		goto done;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(st, 0);
		*value = strdup(text ? (const char *)text : "");
		if (!*value) {
			eval_errorf(err, err_size, "out of memory");
			ret = EVAL_ERR_NOMEM;
		}
	} else if (rc != SQLITE_DONE) {
		eval_errorf(err, err_size, "%s: cannot read the meta table: %s", path,
			    sqlite3_errmsg(db));
		ret = (rc & 0xFF) == SQLITE_BUSY ? EVAL_ERR_BUSY : EVAL_ERR_IO;
	}
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
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

int eval_meta_identify(const char *path, int *app_id, int *version, char *err, size_t err_size)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ret = EVAL_OK;

	*app_id = *version = 0;
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(db, 1);
		sqlite3_busy_timeout(db, 5000);
		rc = pragma_int(db, "PRAGMA application_id", app_id);
	}
	if (rc == SQLITE_OK)
		rc = pragma_int(db, "PRAGMA user_version", version);
	if ((rc & 0xFF) == SQLITE_NOTADB) {
		eval_errorf(err, err_size, "%s: not a hallq database (not an SQLite file)", path);
		ret = EVAL_ERR_NOT_HALLQ;
	} else if (rc != SQLITE_OK) {
		eval_errorf(err, err_size, "%s: cannot read the database: %s", path,
			    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = (rc & 0xFF) == SQLITE_BUSY ? EVAL_ERR_BUSY : EVAL_ERR_IO;
	}
	sqlite3_close(db);
	return ret;
}
