/*
 * booking.c — bookings of appointment slots (预约制度): the slot grid, the
 * rules a booking must pass, its cancel and check-in, and the walk-ins'
 * limits where appointments rule.
 *
 * Room: hostd/core. The booking_* functions run on the core thread only:
 * the core owns the store, so bookings are decided one after another
 * inside the batch's transaction and a slot is never overbooked. The
 * core_* helpers at the top are pure and safe on any thread. Includes the
 * engine, the store, the log and nettle (the phone's keyed hash); never
 * SQLite. docs/api.md ("Appointments") states the rules.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <nettle/hmac.h>

#include "core/core_internal.h"
#include "log/log.h"

enum {
	CODE_DIGITS = STORE_BOOKING_CODE_SIZE - 1,
	CODE_ATTEMPTS = 16,  /* a new code is tried this often against the used ones */
	NO_SHOWS_READ = 128, /* a phone's recent no-shows looked at */
};

/* ---- the calendar ---- */

/* yyyymmdd as a UTC noon struct tm, normalised by timegm. */
static time_t day_noon(int32_t day, int add, struct tm *tm)
{
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(day / 10000) - 1900;
	tm->tm_mon = (int)(day / 100 % 100) - 1;
	tm->tm_mday = (int)(day % 100) + add;
	tm->tm_hour = 12;
	time_t t = timegm(tm);
	gmtime_r(&t, tm);
	return t;
}

int32_t core_day_add(int32_t day, int n)
{
	struct tm tm;

	day_noon(day, n, &tm);
	return (int32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

static int day_wday(int32_t day)
{
	struct tm tm;

	day_noon(day, 0, &tm);
	return tm.tm_wday;
}

int64_t core_local_time(int32_t day, int minute)
{
	struct tm tm = {
	    .tm_year = (int)(day / 10000) - 1900,
	    .tm_mon = (int)(day / 100 % 100) - 1,
	    .tm_mday = (int)(day % 100),
	    .tm_hour = minute / 60,
	    .tm_min = minute % 60,
	    .tm_isdst = -1,
	};

	return (int64_t)mktime(&tm);
}

/* ---- pure helpers ---- */

bool core_booking_code_is_valid(const char *code)
{
	if (!code || strlen(code) != CODE_DIGITS)
		return false;
	for (int k = 0; k < CODE_DIGITS; k++)
		if (code[k] < '0' || code[k] > '9')
			return false;
	return true;
}

bool core_phone_is_valid(const char *phone)
{
	if (!phone || strlen(phone) != CORE_PHONE_SIZE - 1 || phone[0] != '1' || phone[1] < '3')
		return false;
	for (int k = 0; k < CORE_PHONE_SIZE - 1; k++)
		if (phone[k] < '0' || phone[k] > '9')
			return false;
	return true;
}

void core_phone_mask(const char *phone, char *out)
{
	snprintf(out, STORE_PHONE_MASK_SIZE, "%.3s****%.4s", phone, phone + 7);
}

int core_slot_places(const struct engine_appointment *a)
{
	return a->places_per_slot * (100 - a->walk_in_percent) / 100;
}

static bool hall_works(const struct engine_hall *h, int32_t day)
{
	if (!(h->hours.workdays & (1u << day_wday(day))))
		return false;
	for (int k = 0; k < h->booking.n_closed_days; k++)
		if (h->booking.closed_days[k] == day)
			return false;
	return true;
}

static bool takes_appointments(const struct engine_hall *h, int s)
{
	return s >= 0 && s < h->n_services &&
	       h->services[s].appointment.mode != ENGINE_APPOINTMENT_NONE &&
	       h->services[s].appointment.slot_min > 0;
}

int core_slots(const struct engine_hall *h, int s, int32_t day, int64_t now_s, int32_t today,
	       struct core_slot *out)
{
	if (!takes_appointments(h, s) || !hall_works(h, day))
		return 0;
	const struct engine_service *svc = &h->services[s];
	const struct engine_appointment *a = &svc->appointment;
	const struct engine_period *p = svc->n_hours ? svc->hours : h->hours.sessions;
	int n_periods = svc->n_hours ? svc->n_hours : h->hours.n_sessions, n = 0;
	bool bookable_day = day >= today && day <= core_day_add(today, a->days_ahead);

	/* the grid of config.c's slots_a_day(): each period cut from its start */
	for (int k = 0; k < n_periods; k++)
		for (int m = p[k].start_min; m + a->slot_min <= p[k].end_min && n < CORE_MAX_SLOTS;
		     m += a->slot_min) {
			struct core_slot *sl = &out[n++];
			sl->start_s = core_local_time(day, m);
			sl->start_min = (int16_t)m;
			sl->end_min = (int16_t)(m + a->slot_min);
			sl->places = core_slot_places(a);
			sl->taken = 0;
			sl->open =
			    bookable_day && sl->start_s - (int64_t)a->close_before_min * 60 > now_s;
		}
	return n;
}

int core_booking_days(const struct engine_hall *h, int s, int32_t today, int32_t *days, int max)
{
	int n = 0;

	if (!takes_appointments(h, s))
		return 0;
	for (int k = 0; k <= h->services[s].appointment.days_ahead && n < max; k++) {
		int32_t day = core_day_add(today, k);
		if (hall_works(h, day))
			days[n++] = day;
	}
	return n;
}

/* 32 hex digits of HMAC-SHA256(key, phone): the number recognised again,
 * never kept. */
static void phone_hash(const uint8_t *key, const char *phone, char *out)
{
	struct hmac_sha256_ctx h;
	uint8_t digest[SHA256_DIGEST_SIZE];

	hmac_sha256_set_key(&h, CORE_PHONE_KEY_SIZE, key);
	hmac_sha256_update(&h, strlen(phone), (const uint8_t *)phone);
	hmac_sha256_digest(&h, sizeof(digest), digest);
	for (int k = 0; k < (STORE_PHONE_HASH_SIZE - 1) / 2; k++)
		snprintf(out + 2 * k, 3, "%02x", digest[k]);
}

/* ---- on the core thread ---- */

static int service_index(const struct engine_hall *h, const char *id)
{
	for (int s = 0; s < h->n_services; s++)
		if (strcmp(h->services[s].id, id) == 0)
			return s;
	return -1;
}

/* A code no booking has: 8 digits from the system's random source, each
 * from a byte below 250 (so every digit is as likely). *err gets
 * CORE_ERR_RANDOM when none could be made. */
static int new_code(const struct booking_ctx *b, char *out, int *err)
{
	struct store_booking other;
	bool found = true;

	*err = CORE_OK;
	for (int attempt = 0; attempt < CODE_ATTEMPTS && found; attempt++) {
		uint8_t bytes[32];
		ssize_t got = getrandom(bytes, sizeof(bytes), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)sizeof(bytes)) {
			*err = CORE_ERR_RANDOM;
			return STORE_OK;
		}
		int n = 0;
		for (size_t k = 0; k < sizeof(bytes) && n < CODE_DIGITS; k++)
			if (bytes[k] < 250)
				out[n++] = (char)('0' + bytes[k] % 10);
		if (n < CODE_DIGITS)
			continue;
		out[n] = '\0';
		int rc = store_booking_by_code(b->st, out, &other, &found);
		if (rc != STORE_OK)
			return rc;
	}
	if (found)
		*err = CORE_ERR_RANDOM;
	return STORE_OK;
}

/*
 * The last day the no-show rule blocks this phone from booking, or 0:
 * a no-show on day d with at least no_show_count no-shows in the
 * no_show_within_days ending on d blocks the no_show_block_days after d.
 */
static int blocked_until(const struct booking_ctx *b, const char *hash, int32_t *until)
{
	const struct engine_booking_rules *r = &b->hall->booking;
	int32_t days[NO_SHOWS_READ];
	int n = 0;

	*until = 0;
	if (r->no_show_count <= 0)
		return STORE_OK;
	int32_t from = core_day_add(b->now->day, -(r->no_show_within_days + r->no_show_block_days));
	int rc = store_booking_no_show_days(b->st, hash, from, days, NO_SHOWS_READ, &n);
	for (int i = 0; rc == STORE_OK && i < n; i++) {
		int32_t first = core_day_add(days[i], 1 - r->no_show_within_days), end;
		int within = 0;
		for (int j = 0; j < n; j++)
			within += days[j] >= first && days[j] <= days[i];
		end = core_day_add(days[i], r->no_show_block_days);
		if (within >= r->no_show_count && end >= b->now->day && end > *until)
			*until = end;
	}
	return rc;
}

/* Sets the refusal; the reply's row is empty. */
static int refuse(struct core_request *r, int err)
{
	memset(&r->booking.row, 0, sizeof(r->booking.row));
	r->err = err;
	return STORE_OK;
}

/* The checks of a new booking of a valid slot; 0 or the refusal. */
static int book_refusal(const struct booking_ctx *b, struct core_request *r,
			const struct engine_service *svc, int32_t day, const char *hash,
			int *refusal)
{
	const struct engine_appointment *a = &svc->appointment;
	int n = 0, rc = blocked_until(b, hash, &r->booking.blocked_until);

	*refusal = 0;
	if (rc == STORE_OK && r->booking.blocked_until) {
		*refusal = CORE_REFUSE_PHONE_BLOCKED;
		return STORE_OK;
	}
	if (rc == STORE_OK)
		rc = store_booking_count_phone(b->st, hash, day, svc->id, &n);
	if (rc == STORE_OK && n > 0) {
		*refusal = CORE_REFUSE_ALREADY_BOOKED;
		return STORE_OK;
	}
	if (rc == STORE_OK)
		rc = store_booking_count_phone(b->st, hash, day, NULL, &n);
	if (rc == STORE_OK && n >= b->hall->booking.max_per_phone_per_day) {
		*refusal = CORE_REFUSE_PHONE_LIMIT;
		return STORE_OK;
	}
	if (rc == STORE_OK)
		rc = store_booking_count_slot(b->st, svc->id, r->booking.slot_s, &n);
	if (rc == STORE_OK && n >= core_slot_places(a))
		*refusal = CORE_REFUSE_SLOT_FULL;
	return rc;
}

static int book(const struct booking_ctx *b, struct core_request *r)
{
	const struct engine_hall *h = b->hall;
	int s = r->booking.service, refusal = 0, err;
	struct store_booking *row = &r->booking.row;
	struct core_slot slots[CORE_MAX_SLOTS];
	char hash[STORE_PHONE_HASH_SIZE];
	bool found = false;

	if (s < 0 || s >= h->n_services)
		return refuse(r, ENGINE_ERR_NO_SUCH_SERVICE);
	const struct engine_service *svc = &h->services[s];
	if (!takes_appointments(h, s))
		return refuse(r, CORE_REFUSE_NO_APPOINTMENTS);
	if (!core_phone_is_valid(r->booking.phone) || !r->booking.key[0])
		return refuse(r, ENGINE_ERR_BAD_ARGUMENT);
	phone_hash(b->phone_key, r->booking.phone, hash);
	int rc = store_booking_by_key(b->st, r->booking.key, row, &found);
	if (rc != STORE_OK)
		return rc;
	if (found) {
		/* a retry gets its booking; the key with other details nothing */
		if (strcmp(row->service, svc->id) != 0 || row->slot_s != r->booking.slot_s ||
		    strcmp(row->phone_hash, hash) != 0)
			return refuse(r, CORE_REFUSE_KEY_REUSED);
		r->booking.again = true;
		r->err = CORE_OK;
		return STORE_OK;
	}
	struct engine_clock at;
	core_clock_at(r->booking.slot_s, &at);
	int n = core_slots(h, s, at.day, b->now->now_s, b->now->day, slots), k = 0;
	while (k < n && slots[k].start_s != r->booking.slot_s)
		k++;
	if (k == n)
		return refuse(r, CORE_REFUSE_NOT_A_SLOT);
	if (at.day > core_day_add(b->now->day, svc->appointment.days_ahead))
		return refuse(r, CORE_REFUSE_TOO_FAR_AHEAD);
	if (!slots[k].open)
		return refuse(r, CORE_REFUSE_BOOKING_CLOSED);
	rc = book_refusal(b, r, svc, at.day, hash, &refusal);
	if (rc != STORE_OK || refusal)
		return rc != STORE_OK ? rc : refuse(r, refusal);

	memset(row, 0, sizeof(*row));
	rc = new_code(b, row->code, &err);
	if (rc != STORE_OK || err)
		return rc != STORE_OK ? rc : refuse(r, err);
	snprintf(row->key, sizeof(row->key), "%s", r->booking.key);
	snprintf(row->service, sizeof(row->service), "%s", svc->id);
	row->day = at.day;
	row->slot_s = r->booking.slot_s;
	row->slot_min = svc->appointment.slot_min;
	core_phone_mask(r->booking.phone, row->phone_mask);
	memcpy(row->phone_hash, hash, sizeof(row->phone_hash));
	row->state = STORE_BOOKING_BOOKED;
	row->created_s = b->now->now_s;
	rc = store_booking_insert(b->st, row);
	if (rc == STORE_OK) {
		r->err = CORE_OK;
		log_info("booking %s: %s on %d at %02d:%02d for %s", row->code, svc->id,
			 (int)row->day, slots[k].start_min / 60, slots[k].start_min % 60,
			 row->phone_mask);
	}
	return rc;
}

static int cancel(const struct booking_ctx *b, struct core_request *r)
{
	struct store_booking *row = &r->booking.row;
	bool found = false;
	int rc = store_booking_by_code(b->st, r->booking.code, row, &found);

	if (rc != STORE_OK || !found)
		return rc != STORE_OK ? rc : refuse(r, CORE_REFUSE_NOT_FOUND);
	switch (row->state) {
	case STORE_BOOKING_CANCELLED:
		r->booking.again = true;
		r->err = CORE_OK;
		return STORE_OK;
	case STORE_BOOKING_CHECKED_IN:
		r->err = CORE_REFUSE_ALREADY_CHECKED_IN;
		return STORE_OK;
	case STORE_BOOKING_NO_SHOW:
		r->err = CORE_REFUSE_CANCEL_TOO_LATE;
		return STORE_OK;
	}
	if (b->now->now_s >= row->slot_s) {
		r->err = CORE_REFUSE_CANCEL_TOO_LATE;
		return STORE_OK;
	}
	row->state = STORE_BOOKING_CANCELLED;
	row->cancelled_s = b->now->now_s;
	r->err = CORE_OK;
	rc = store_booking_update(b->st, row);
	if (rc == STORE_OK)
		log_info("booking %s cancelled", row->code);
	return rc;
}

/* The check-in's decision: a refusal, or the ISSUE to apply. */
static int check_in(const struct booking_ctx *b, struct core_request *r, bool *apply)
{
	struct store_booking *row = &r->booking.row;
	bool found = false;
	int rc = store_booking_by_code(b->st, r->booking.code, row, &found);

	*apply = false;
	if (rc != STORE_OK || !found)
		return rc != STORE_OK ? rc : refuse(r, CORE_REFUSE_NOT_FOUND);
	r->err = row->state == STORE_BOOKING_CANCELLED    ? CORE_REFUSE_BOOKING_CANCELLED
		 : row->state == STORE_BOOKING_CHECKED_IN ? CORE_REFUSE_ALREADY_CHECKED_IN
		 : row->day != b->now->day                ? CORE_REFUSE_NOT_TODAY
							  : CORE_OK;
	if (r->err)
		return STORE_OK;
	int s = service_index(b->hall, row->service);
	if (s < 0) {
		r->err = ENGINE_ERR_NO_SUCH_SERVICE; /* gone from the config */
		return STORE_OK;
	}
	const struct engine_appointment *a = &b->hall->services[s].appointment;
	bool late = b->now->now_s > row->slot_s + (int64_t)a->grace_min * 60;
	if (late && a->late == ENGINE_LATE_REFUSE) {
		r->err = CORE_REFUSE_TOO_LATE;
		return STORE_OK;
	}
	if (late) {
		/* a normal ticket now: the quota's share held for bookings is not its own */
		int due = 0;
		rc = booking_due(b, s, &due);
		if (rc != STORE_OK)
			return rc;
		r->err = booking_walk_in_refusal(b, s, true, due);
		if (r->err)
			return STORE_OK;
	}
	r->cmd.op = ENGINE_OP_ISSUE;
	r->cmd.service = s;
	r->cmd.cls = late ? ENGINE_CLASS_NORMAL : ENGINE_CLASS_APPOINTMENT;
	r->cmd.slot_s = late ? 0 : row->slot_s;
	*apply = true;
	return STORE_OK;
}

int booking_checked_in(const struct booking_ctx *b, struct core_request *r)
{
	struct store_booking *row = &r->booking.row;

	row->state = STORE_BOOKING_CHECKED_IN;
	engine_ticket_label(&r->ticket, row->ticket);
	row->late = r->ticket.cls != ENGINE_CLASS_APPOINTMENT;
	row->checked_in_s = b->now->now_s;
	snprintf(row->check_in_source, sizeof(row->check_in_source), "%s", r->source);
	int rc = store_booking_update(b->st, row);
	if (rc == STORE_OK)
		log_info("booking %s checked in%s: ticket %s", row->code, row->late ? " late" : "",
			 row->ticket);
	return rc;
}

bool booking_is_question(int op)
{
	return op == CORE_BOOKING_GET || op == CORE_BOOKING_SLOTS || op == CORE_BOOKING_LIST;
}

int booking_command(const struct booking_ctx *b, struct core_request *r, bool *apply)
{
	*apply = false;
	r->booking.again = false;
	r->booking.blocked_until = 0;
	switch (r->booking.op) {
	case CORE_BOOKING_BOOK:
		return book(b, r);
	case CORE_BOOKING_CANCEL:
		return cancel(b, r);
	case CORE_BOOKING_CHECK_IN:
		return check_in(b, r, apply);
	}
	r->err = ENGINE_ERR_BAD_COMMAND;
	return STORE_OK;
}

void booking_question(const struct booking_ctx *b, struct core_request *r)
{
	const struct engine_hall *h = b->hall;
	int s = r->booking.service, rc = STORE_OK;
	bool found = false;

	r->err = CORE_OK;
	switch (r->booking.op) {
	case CORE_BOOKING_GET:
		rc = store_booking_by_code(b->st, r->booking.code, &r->booking.row, &found);
		if (rc == STORE_OK && !found)
			refuse(r, CORE_REFUSE_NOT_FOUND);
		break;
	case CORE_BOOKING_SLOTS:
		r->booking.n_slots = 0;
		if (s < 0 || s >= h->n_services || !r->booking.slots) {
			r->err = ENGINE_ERR_NO_SUCH_SERVICE;
			break;
		}
		if (!takes_appointments(h, s)) {
			r->err = CORE_REFUSE_NO_APPOINTMENTS;
			break;
		}
		r->booking.n_slots =
		    core_slots(h, s, r->booking.day, b->now->now_s, b->now->day, r->booking.slots);
		for (int k = 0; rc == STORE_OK && k < r->booking.n_slots; k++)
			rc = store_booking_count_slot(b->st, h->services[s].id,
						      r->booking.slots[k].start_s,
						      &r->booking.slots[k].taken);
		break;
	case CORE_BOOKING_LIST:
		if (s >= h->n_services || !r->booking.each) {
			r->err = ENGINE_ERR_NO_SUCH_SERVICE;
			break;
		}
		rc = store_bookings_of_day(b->st, r->booking.day, s >= 0 ? h->services[s].id : NULL,
					   r->booking.each, r->booking.arg);
		break;
	default:
		r->err = ENGINE_ERR_BAD_COMMAND;
	}
	if (rc != STORE_OK)
		r->err = CORE_ERR_STORE;
}

int booking_due(const struct booking_ctx *b, int s, int *due)
{
	const struct engine_service *svc = &b->hall->services[s];

	*due = 0;
	if (svc->appointment.mode == ENGINE_APPOINTMENT_NONE)
		return STORE_OK;
	return store_booking_count_due(b->st, svc->id, b->now->day,
				       b->now->now_s - (int64_t)svc->appointment.grace_min * 60,
				       due);
}

int booking_walk_in_refusal(const struct booking_ctx *b, int s, bool from_booking, int due)
{
	const struct engine_service *svc = &b->hall->services[s];

	if (svc->appointment.mode == ENGINE_APPOINTMENT_NONE)
		return 0;
	if (!from_booking && svc->appointment.mode == ENGINE_APPOINTMENT_REQUIRED)
		return CORE_REFUSE_APPOINTMENT_REQUIRED;
	if (svc->daily_quota > 0 && engine_issued_count(b->e, s) + due >= svc->daily_quota)
		return ENGINE_ERR_QUOTA_REACHED;
	return 0;
}

int booking_close_days(const struct booking_ctx *b, int32_t today)
{
	int n = 0;
	int rc = store_bookings_close(b->st, today, &n);

	if (rc == STORE_OK && n > 0)
		log_info("%d booking%s of earlier days recorded as no-shows", n, n == 1 ? "" : "s");
	return rc;
}
