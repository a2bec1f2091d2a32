/*
 * bookings.c — the bookings of appointment slots (预约), schema 6.
 *
 * Room: hostd/store. SQLite only here and in hostd/eval. The core thread
 * owns the store: it decides each booking (places left, the phone's
 * limits) and writes it in the transaction of its batch, so what these
 * functions count includes the rows of the batch not yet committed.
 * docs/store.md describes the table.
 */
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_internal.h"

static const char *const state_names[STORE_BOOKING_STATE_COUNT] = {"booked", "cancelled",
								   "checked_in", "no_show"};

const char *store_booking_state_name(int state)
{
	return state >= 0 && state < STORE_BOOKING_STATE_COUNT ? state_names[state] : "unknown";
}

static int state_parse(const char *name)
{
	for (int k = 0; name && k < STORE_BOOKING_STATE_COUNT; k++)
		if (strcmp(state_names[k], name) == 0)
			return k;
	return -1;
}

#define COLUMNS                                                                                    \
	"code, idem_key, service, day, slot, slot_minutes, phone_mask, phone_hash, state, ticket," \
	" late, created_at, cancelled_at, checked_in_at, check_in_source"

static void bind_time(sqlite3_stmt *q, int col, int64_t t)
{
	if (t)
		sqlite3_bind_int64(q, col, t);
	else
		sqlite3_bind_null(q, col);
}

static void bind_text(sqlite3_stmt *q, int col, const char *text)
{
	if (text && *text)
		sqlite3_bind_text(q, col, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, col);
}

static void copy_text(sqlite3_stmt *q, int col, char *out, size_t size)
{
	const unsigned char *text = sqlite3_column_text(q, col);

	snprintf(out, size, "%s", text ? (const char *)text : "");
}

/* One row of COLUMNS into b. */
static void read_row(sqlite3_stmt *q, struct store_booking *b)
{
	memset(b, 0, sizeof(*b));
	copy_text(q, 0, b->code, sizeof(b->code));
	copy_text(q, 1, b->key, sizeof(b->key));
	copy_text(q, 2, b->service, sizeof(b->service));
	b->day = sqlite3_column_int(q, 3);
	b->slot_s = sqlite3_column_int64(q, 4);
	b->slot_min = sqlite3_column_int(q, 5);
	copy_text(q, 6, b->phone_mask, sizeof(b->phone_mask));
	copy_text(q, 7, b->phone_hash, sizeof(b->phone_hash));
	int state = state_parse((const char *)sqlite3_column_text(q, 8));
	b->state = state < 0 ? STORE_BOOKING_BOOKED : state;
	copy_text(q, 9, b->ticket, sizeof(b->ticket));
	b->late = sqlite3_column_int(q, 10) != 0;
	b->created_s = sqlite3_column_int64(q, 11);
	b->cancelled_s = sqlite3_column_int64(q, 12);
	b->checked_in_s = sqlite3_column_int64(q, 13);
	copy_text(q, 14, b->check_in_source, sizeof(b->check_in_source));
}

static int finish(struct store *st, sqlite3_stmt *q, int rc)
{
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = SQLITE_OK;
	return rc == SQLITE_OK ? STORE_OK : store_fail(st, rc);
}

int store_booking_insert(struct store *st, const struct store_booking *b)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(store_db(st),
				    "INSERT INTO bookings(" COLUMNS
				    ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
				    -1, &q, NULL);

	if (rc != SQLITE_OK)
		return finish(st, q, rc);
	sqlite3_bind_text(q, 1, b->code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, b->key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, b->service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 4, b->day);
	sqlite3_bind_int64(q, 5, b->slot_s);
	sqlite3_bind_int(q, 6, b->slot_min);
	sqlite3_bind_text(q, 7, b->phone_mask, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 8, b->phone_hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 9, store_booking_state_name(b->state), -1, SQLITE_STATIC);
	bind_text(q, 10, b->ticket);
	sqlite3_bind_int(q, 11, b->late);
	sqlite3_bind_int64(q, 12, b->created_s);
	bind_time(q, 13, b->cancelled_s);
	bind_time(q, 14, b->checked_in_s);
	bind_text(q, 15, b->check_in_source);
	return finish(st, q, sqlite3_step(q));
}

int store_booking_update(struct store *st, const struct store_booking *b)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(store_db(st),
				    "UPDATE bookings SET state = ?, ticket = ?, late = ?,"
				    " cancelled_at = ?, checked_in_at = ?, check_in_source = ?"
				    " WHERE code = ?",
				    -1, &q, NULL);

	if (rc != SQLITE_OK)
		return finish(st, q, rc);
	sqlite3_bind_text(q, 1, store_booking_state_name(b->state), -1, SQLITE_STATIC);
	bind_text(q, 2, b->ticket);
	sqlite3_bind_int(q, 3, b->late);
	bind_time(q, 4, b->cancelled_s);
	bind_time(q, 5, b->checked_in_s);
	bind_text(q, 6, b->check_in_source);
	sqlite3_bind_text(q, 7, b->code, -1, SQLITE_TRANSIENT);
	return finish(st, q, sqlite3_step(q));
}

/* The booking one of sql's rows is (sql: COLUMNS where one text = ?). */
static int booking_where(struct store *st, const char *sql, const char *value,
			 struct store_booking *out, bool *found)
{
	sqlite3_stmt *q = NULL;

	*found = false;
	int rc = sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return finish(st, q, rc);
	sqlite3_bind_text(q, 1, value, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		read_row(q, out);
		*found = true;
	}
	return finish(st, q, rc);
}

int store_booking_by_code(struct store *st, const char *code, struct store_booking *out,
			  bool *found)
{
	return booking_where(st, "SELECT " COLUMNS " FROM bookings WHERE code = ?", code, out,
			     found);
}

int store_booking_by_key(struct store *st, const char *key, struct store_booking *out, bool *found)
{
	return booking_where(st, "SELECT " COLUMNS " FROM bookings WHERE idem_key = ?", key, out,
			     found);
}

/* The one integer a prepared count gives; q is finalized. */
static int count_result(struct store *st, sqlite3_stmt *q, int *n)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int(q, 0);
	return finish(st, q, rc);
}

int store_booking_count_slot(struct store *st, const char *service, int64_t slot_s, int *n)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(store_db(st),
				    "SELECT count(*) FROM bookings WHERE service = ? AND slot = ?"
				    " AND state <> 'cancelled'",
				    -1, &q, NULL);

	*n = 0;
	if (rc != SQLITE_OK)
		return finish(st, q, rc);
	sqlite3_bind_text(q, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, slot_s);
	return count_result(st, q, n);
}

int store_booking_count_phone(struct store *st, const char *phone_hash, int32_t day,
			      const char *service, int *n)
{
	sqlite3_stmt *q = NULL;
	int rc =
	    sqlite3_prepare_v2(store_db(st),
			       "SELECT count(*) FROM bookings WHERE phone_hash = ?1 AND day = ?2"
			       " AND state <> 'cancelled' AND (?3 IS NULL OR service = ?3)",
			       -1, &q, NULL);

	*n = 0;
	if (rc != SQLITE_OK)
		return finish(st, q, rc);
	sqlite3_bind_text(q, 1, phone_hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 2, day);
	if (service)
		sqlite3_bind_text(q, 3, service, -1, SQLITE_TRANSIENT);
	return count_result(st, q, n);
}

int store_booking_count_due(struct store *st, const char *service, int32_t day, int64_t from_slot_s,
			    int *n)
{
	sqlite3_stmt *q = NULL;
	int rc =
	    sqlite3_prepare_v2(store_db(st),
			       "SELECT count(*) FROM bookings WHERE day = ? AND state = 'booked'"
			       " AND service = ? AND slot >= ?",
			       -1, &q, NULL);

	*n = 0;
	if (rc != SQLITE_OK)
		return finish(st, q, rc);
	sqlite3_bind_int(q, 1, day);
	sqlite3_bind_text(q, 2, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, from_slot_s);
	return count_result(st, q, n);
}

int store_booking_no_show_days(struct store *st, const char *phone_hash, int32_t from,
			       int32_t *days, int max, int *n)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(store_db(st),
				    "SELECT day FROM bookings WHERE phone_hash = ? AND day >= ?"
				    " AND state = 'no_show' ORDER BY day DESC",
				    -1, &q, NULL);

	*n = 0;
	if (rc != SQLITE_OK)
		return finish(st, q, rc);
	sqlite3_bind_text(q, 1, phone_hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 2, from);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < max)
		days[(*n)++] = sqlite3_column_int(q, 0);
	return finish(st, q, rc);
}

int store_bookings_of_day(struct store *st, int32_t day, const char *service,
			  int (*fn)(void *arg, const struct store_booking *b), void *arg)
{
	sqlite3_stmt *q = NULL;
	struct store_booking b;
	int rc = sqlite3_prepare_v2(store_db(st),
				    "SELECT " COLUMNS " FROM bookings WHERE day = ?1"
				    " AND (?2 IS NULL OR service = ?2) ORDER BY slot, id",
				    -1, &q, NULL);

	if (rc != SQLITE_OK)
		return finish(st, q, rc);
	sqlite3_bind_int(q, 1, day);
	if (service)
		sqlite3_bind_text(q, 2, service, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_row(q, &b);
		if (fn(arg, &b) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return finish(st, q, rc);
}

int store_bookings_close(struct store *st, int32_t today, int *n)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q = NULL;

	*n = 0;
	int rc = sqlite3_prepare_v2(db,
				    "UPDATE bookings SET state = 'no_show' WHERE day < ?1 AND"
				    " (state = 'booked' OR (state = 'checked_in' AND EXISTS"
				    " (SELECT 1 FROM tickets t WHERE t.day = bookings.day"
				    " AND t.ticket = bookings.ticket AND t.state = 'no_show')))",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return finish(st, q, rc);
	sqlite3_bind_int(q, 1, today);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		*n = sqlite3_changes(db);
	return finish(st, q, rc);
}
