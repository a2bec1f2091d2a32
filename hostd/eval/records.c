/*
 * records.c — eval_save(): a computed report into eval_records, one row
 * per subject (the hall, each service, each window, each staff member).
 *
 * Room: hostd/eval. One transaction: the period's old rows go and the new
 * ones come in together, so a reader sees the old records or the new,
 * never a mix. The figures column is the subject's object of the JSON
 * report (eval_subject_json), so a closed period recomputed gives rows
 * identical but for computed_at. docs/store.md gives the table.
 */
#include <stdlib.h>
#include <string.h>

#include "eval/eval_internal.h"
#include "eval/render.h"

static int from_sqlite(int rc)
{
	switch (rc & 0xFF) {
	case SQLITE_NOMEM:
		return EVAL_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EVAL_ERR_BUSY;
	default:
		return EVAL_ERR_IO;
	}
}

struct saver {
	struct eval *ev;
	const struct eval_report *r;
	const struct config *cfg;
	sqlite3_stmt *insert;
	char *err;
	size_t err_size;
};

static int put_row(struct saver *s, const char *kind, const char *subject, int served,
		   const struct eval_figures *f)
{
	char *figures = eval_subject_json(s->r, s->cfg, kind, subject);
	sqlite3_stmt *st = s->insert;
	int rc;

	if (!figures) {
		eval_errorf(s->err, s->err_size, "out of memory writing the %s record %s", kind,
			    subject);
		return EVAL_ERR_NOMEM;
	}
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, eval_period_key(s->r->period), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, s->r->first_day);
	sqlite3_bind_int(st, 3, s->r->last_day);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 6, s->r->final ? 1 : 0);
	sqlite3_bind_int64(st, 7, s->r->now_s);
	sqlite3_bind_int(st, 8, served);
	if (f && f->has_score)
		sqlite3_bind_double(st, 9, f->score.total);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_text(st, 10, figures, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	free(figures);
	if (rc != SQLITE_DONE) {
		eval_errorf(s->err, s->err_size, "%s: cannot write eval_records: %s", s->ev->path,
			    sqlite3_errmsg(s->ev->db));
		return from_sqlite(rc);
	}
	return EVAL_OK;
}

static int put_all(struct saver *s)
{
	const struct eval_report *r = s->r;
	char number[16];
	int rc = put_row(s, "hall", "", r->hall.served, NULL);

	for (int i = 0; rc == EVAL_OK && i < r->n_services; i++)
		rc = put_row(s, "service", r->services[i].id, r->services[i].served, NULL);
	for (int i = 0; rc == EVAL_OK && i < r->n_windows; i++) {
		snprintf(number, sizeof(number), "%d", r->windows[i].number);
		rc = put_row(s, "window", number, r->windows[i].f.served, &r->windows[i].f);
	}
	for (int i = 0; rc == EVAL_OK && i < r->n_staff; i++)
		rc = put_row(s, "staff", r->staff[i].id, r->staff[i].f.served, NULL);
	return rc;
}

static int exec(struct eval *ev, const char *sql, char *err, size_t err_size)
{
	int rc = sqlite3_exec(ev->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		eval_errorf(err, err_size, "%s: %s: %s", ev->path, sql, sqlite3_errmsg(ev->db));
		return from_sqlite(rc);
	}
	return EVAL_OK;
}

int eval_save(struct eval *ev, const struct eval_report *r, char *err, size_t err_size)
{
	struct saver s = {.ev = ev, .r = r, .cfg = ev->cfg, .err = err, .err_size = err_size};
	sqlite3_stmt *del = NULL;
	int rc;

	rc = exec(ev, "BEGIN IMMEDIATE", err, err_size);
	if (rc != EVAL_OK)
		return rc;
	if (sqlite3_prepare_v2(ev->db,
			       "DELETE FROM eval_records WHERE period = ? AND first_day = ?", -1,
			       &del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ev->db,
			       "INSERT OR REPLACE INTO eval_records(period, first_day, last_day, "
			       "kind, subject, final, computed_at, served, score, figures) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &s.insert, NULL) != SQLITE_OK) {
		eval_errorf(err, err_size, "%s: cannot write eval_records: %s", ev->path,
			    sqlite3_errmsg(ev->db));
		rc = from_sqlite(sqlite3_errcode(ev->db));
		goto fail;
	}
	sqlite3_bind_text(del, 1, eval_period_key(r->period), -1, SQLITE_STATIC);
	sqlite3_bind_int(del, 2, r->first_day);
	if (sqlite3_step(del) != SQLITE_DONE) {
		eval_errorf(err, err_size, "%s: cannot write eval_records: %s", ev->path,
			    sqlite3_errmsg(ev->db));
		rc = from_sqlite(sqlite3_errcode(ev->db));
		goto fail;
	}
	rc = put_all(&s);
	if (rc != EVAL_OK)
		goto fail;
	sqlite3_finalize(del);
	sqlite3_finalize(s.insert);
	return exec(ev, "COMMIT", err, err_size);
fail:
	sqlite3_finalize(del);
	sqlite3_finalize(s.insert);
	sqlite3_exec(ev->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
