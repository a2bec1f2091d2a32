/*
 * core_internal.h — what core.c and booking.c share. Not for other rooms.
 */
#ifndef HALLQ_CORE_INTERNAL_H
#define HALLQ_CORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

enum { CORE_PHONE_KEY_SIZE = 32 };

/* What booking.c works with, on the core thread. */
struct booking_ctx {
	struct store *st;
	const struct engine_hall *hall;
	struct engine *e;
	const uint8_t *phone_key; /* CORE_PHONE_KEY_SIZE bytes */
	const struct engine_clock *now;
};

/* ---- booking.c ---- */

bool booking_is_question(int op);
/*
 * A booking's command (BOOK, CANCEL, CHECK_IN) in the batch's
 * transaction. Sets r->err (and the reply). For CHECK_IN taken so far,
 * fills r->cmd with the ISSUE to apply and sets *apply; the core applies
 * and journals it, then calls booking_checked_in(). Returns STORE_OK, or
 * a store error: the batch fails.
 */
int booking_command(const struct booking_ctx *b, struct core_request *r, bool *apply);
/* After the check-in's ISSUE was taken: the booking names its ticket. */
int booking_checked_in(const struct booking_ctx *b, struct core_request *r);
/* A question (GET, SLOTS, LIST): sets r->err and the reply; a store
 * that cannot be read answers CORE_ERR_STORE. */
void booking_question(const struct booking_ctx *b, struct core_request *r);
/* Bookings of service s today still to come in on time (booked, their
 * slot's grace not over): the places of the daily quota they hold. */
int booking_due(const struct booking_ctx *b, int s, int *due);
/*
 * Whether a walk-in ISSUE of service s (or a late check-in's normal
 * ticket, from_booking) is refused where appointments rule, beyond the
 * engine's own checks: CORE_REFUSE_APPOINTMENT_REQUIRED, or
 * ENGINE_ERR_QUOTA_REACHED when the daily quota left is held for the
 * `due` bookings still to come in (booking_due()). 0 when not.
 */
int booking_walk_in_refusal(const struct booking_ctx *b, int s, bool from_booking, int due);
/* At the day close, before `today` opens: the no-shows of bookings. */
int booking_close_days(const struct booking_ctx *b, int32_t today);

#endif /* HALLQ_CORE_INTERNAL_H */
