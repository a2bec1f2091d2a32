/*
 * kiosk.c — the kiosk (取号机): service buttons and the green-channel key
 * become BUTTON events, a booking code typed on the keypad becomes a
 * CHECK_IN event (预约签到), the host's PRINT command becomes a struct
 * fw_ticket for the port's printer, its SHOW_TEXT a message shown for a
 * while, and the printer's state decides with the host's presence which
 * buttons are offered.
 *
 * Room: firmware/core. Freestanding C: no heap, no OS calls; the printer
 * is the port's (struct fw_kiosk_port). State: struct fw_kiosk in the
 * caller's struct fw_device. Spec: proto.h (PROTO_CMD_SET_SERVICES,
 * PROTO_CMD_PRINT, PROTO_PRINT_*, the kiosk events and keys) and fw.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_internal.h"

/* The kiosk's line of text, GB18030. */
static const uint8_t text_paused[] = "\xd4\xdd\xcd\xa3\xc8\xa1\xba\xc5"; /* 暂停取号 */
static const uint8_t text_offer[] =
    "\xc7\xeb\xb0\xb4\xd2\xb5\xce\xf1\xc8\xa1\xba\xc5";         /* 请按业务取号 */
static const uint8_t text_code[] = "\xd4\xa4\xd4\xbc\xc2\xeb:"; /* 预约码: */
static const uint8_t text_wait[] = "\xc7\xeb\xc9\xd4\xba\xf2";  /* 请稍候 */

_Static_assert(sizeof(text_code) - 1 + PROTO_CODE_DIGITS < FW_TEXT_SIZE, "the entry line fits");

enum {
	PRINTER_FAULTS = PROTO_PRINTER_PAPER_OUT | PROTO_PRINTER_COVER_OPEN | PROTO_PRINTER_OFFLINE,
};

static bool printer_is_ok(uint16_t bits)
{
	return (bits & PROTO_PRINTER_OK) && !(bits & PRINTER_FAULTS);
}

/*
 * The printer is taken to be ready until the port says otherwise, so a
 * port whose printer starts ready need not call fw_kiosk_printer() (and
 * the FIFO starts empty).
 */
void fw_kiosk_init(struct fw_device *d, const struct fw_identity *id, int n_buttons,
		   const struct fw_kiosk_port *port, uint32_t now_ms)
{
	struct fw_kiosk *k = &d->u.kiosk;

	fw_init_device(d, PROTO_DEVICE_KIOSK, id, now_ms);
	if (n_buttons < 1)
		n_buttons = 1;
	if (n_buttons > FW_KIOSK_MAX_BUTTONS)
		n_buttons = FW_KIOSK_MAX_BUTTONS;
	k->n_buttons = (uint8_t)n_buttons;
	if (port)
		k->port = *port;
	d->printer = PROTO_PRINTER_OK;
}

uint16_t fw_kiosk_offered(const struct fw_device *d)
{
	const struct fw_kiosk *k = &d->u.kiosk;

	if (d->type != PROTO_DEVICE_KIOSK || !fw_host_is_online(d) || !printer_is_ok(d->printer))
		return 0;
	return (uint16_t)(k->host_mask & ((1u << k->n_buttons) - 1));
}

uint16_t fw_kiosk_flags(const struct fw_device *d)
{
	uint16_t flags = 0;

	if (!printer_is_ok(d->printer))
		flags |= PROTO_FLAG_PRINTER_FAULT;
	if (d->u.kiosk.printing)
		flags |= PROTO_FLAG_PRINTING;
	if (d->u.kiosk.entering)
		flags |= PROTO_FLAG_INPUT_ACTIVE;
	return flags;
}

/* A ticket could be printed now: the host is there and the printer ready. */
static bool can_check_in(const struct fw_device *d)
{
	return fw_host_is_online(d) && printer_is_ok(d->printer);
}

static void show_message(struct fw_device *d, const uint8_t *text, size_t len)
{
	struct fw_kiosk *k = &d->u.kiosk;

	memcpy(k->line, text, len);
	k->line[len] = 0;
	k->line_len = (uint8_t)len;
	k->message = true;
	k->message_ms = d->now_ms;
}

/* The entry line: 预约码: and the digits typed. */
static void show_entry(struct fw_kiosk *k)
{
	k->line_len = (uint8_t)(sizeof(text_code) - 1 + k->n_code);
	k->line[k->line_len] = 0;
	k->message = false;
}

static void start_entry(struct fw_device *d)
{
	struct fw_kiosk *k = &d->u.kiosk;

	k->entering = true;
	k->n_code = 0;
	k->entry_ms = d->now_ms;
	memcpy(k->line, text_code, sizeof(text_code) - 1);
	show_entry(k);
}

static void end_entry(struct fw_kiosk *k)
{
	k->entering = false;
	k->n_code = 0;
}

/*
 * The keypad. The check-in key, or a digit, starts an entry (a digit is
 * its first digit); digits past the eighth are ignored; CLEAR abandons
 * it; ENTER sends CHECK_IN with exactly PROTO_CODE_DIGITS digits and
 * does nothing with fewer. While no ticket could be printed (host
 * offline, printer not ready) the keypad starts nothing, and an entry
 * ENTERed then is abandoned unsent.
 */
static void keypad(struct fw_device *d, int key)
{
	struct fw_kiosk *k = &d->u.kiosk;

	if (key == PROTO_KIOSK_KEY_CLEAR) {
		end_entry(k);
		return;
	}
	if (!k->entering && key != PROTO_KIOSK_KEY_CHECK_IN && key != PROTO_KIOSK_KEY_ENTER &&
	    !can_check_in(d))
		return;
	if (key == PROTO_KIOSK_KEY_CHECK_IN) {
		if (can_check_in(d))
			start_entry(d);
		return;
	}
	if (k->entering)
		k->entry_ms = d->now_ms;
	if (key == PROTO_KIOSK_KEY_ENTER) {
		if (!k->entering || k->n_code != PROTO_CODE_DIGITS)
			return;
		if (can_check_in(d)) {
			uint32_t code = 0;
			for (int i = 0; i < PROTO_CODE_DIGITS; i++)
				code = code * 10 +
				       (uint32_t)(k->line[sizeof(text_code) - 1 + i] - '0');
			fw_event(d, PROTO_EV_CHECK_IN, code);
			show_message(d, text_wait, sizeof(text_wait) - 1);
		}
		end_entry(k);
		return;
	}
	/* a digit */
	if (!k->entering)
		start_entry(d);
	if (k->n_code < PROTO_CODE_DIGITS) {
		k->line[sizeof(text_code) - 1 + k->n_code] =
		    (uint8_t)('0' + key - PROTO_KIOSK_KEY_0);
		k->n_code++;
		show_entry(k);
	}
}

/* A press of a button that is not offered does nothing (and keeps green). */
void fw_kiosk_key(struct fw_device *d, int key)
{
	struct fw_kiosk *k = &d->u.kiosk;
	uint32_t cls;

	if (key >= PROTO_KIOSK_KEY_0 && key <= PROTO_KIOSK_KEY_CHECK_IN) {
		keypad(d, key);
		return;
	}
	if (key == FW_KIOSK_KEY_GREEN) {
		k->green = true;
		k->green_ms = d->now_ms;
		return;
	}
	if (key < 0 || key >= k->n_buttons || !(fw_kiosk_offered(d) & 1u << key))
		return;
	cls = k->green ? 1 : 0;
	k->green = false;
	fw_event(d, PROTO_EV_BUTTON, (uint32_t)key | cls << 8);
}

void fw_kiosk_tick(struct fw_device *d)
{
	struct fw_kiosk *k = &d->u.kiosk;

	if (k->green && d->now_ms - k->green_ms >= FW_GREEN_TIMEOUT_MS)
		k->green = false;
	if (k->entering && d->now_ms - k->entry_ms >= PROTO_INPUT_TIMEOUT_MS)
		end_entry(k);
	if (k->message && d->now_ms - k->message_ms >= PROTO_KIOSK_MESSAGE_MS)
		k->message = false;
}

void fw_kiosk_printer(struct fw_device *d, uint16_t printer_bits)
{
	if (d->type != PROTO_DEVICE_KIOSK || printer_bits == d->printer)
		return;
	d->printer = printer_bits;
	fw_event(d, PROTO_EV_PRINTER, printer_bits);
}

static void print_failed(struct fw_device *d, uint16_t seq, uint16_t printer_bits)
{
	fw_count(&d->print_errors);
	fw_event(d, PROTO_EV_PRINT_FAILED, seq | (uint32_t)printer_bits << 16);
}

/* A print the port was not running is no print of ours: only the bits count. */
void fw_kiosk_print_done(struct fw_device *d, bool ok, uint16_t printer_bits)
{
	struct fw_kiosk *k = &d->u.kiosk;

	if (d->type != PROTO_DEVICE_KIOSK)
		return;
	if (k->printing) {
		k->printing = false;
		if (ok)
			fw_event(d, PROTO_EV_PRINTED, k->printing_seq);
		else
			print_failed(d, k->printing_seq, printer_bits);
	}
	fw_kiosk_printer(d, printer_bits);
}

/* The PRINT arguments as a ticket; false when they do not make one. */
static bool decode_ticket(const struct fw_device *d, const uint16_t *args, uint16_t nargs,
			  struct fw_ticket *t)
{
	uint16_t name_len;

	if (nargs < PROTO_PRINT_NAME)
		return false;
	name_len = args[PROTO_PRINT_NAME_LEN];
	if (name_len > PROTO_NAME_MAX || nargs < PROTO_PRINT_NAME + (name_len + 1) / 2 ||
	    args[PROTO_PRINT_BUTTON] >= d->u.kiosk.n_buttons || args[PROTO_PRINT_CLASS] > UINT8_MAX)
		return false;
	memset(t, 0, sizeof(*t));
	proto_unpack((uint8_t *)t->label, &args[PROTO_PRINT_LABEL], PROTO_LABEL_SIZE);
	t->button = (uint8_t)args[PROTO_PRINT_BUTTON];
	t->cls = (uint8_t)args[PROTO_PRINT_CLASS];
	t->ahead = args[PROTO_PRINT_AHEAD];
	t->wait_min = args[PROTO_PRINT_WAIT_MIN];
	t->date = (uint32_t)args[PROTO_PRINT_DATE_HI] << 16 | args[PROTO_PRINT_DATE_LO];
	t->minute = args[PROTO_PRINT_MINUTE];
	t->ticket = args[PROTO_PRINT_TICKET];
	proto_unpack((uint8_t *)t->token, &args[PROTO_PRINT_TOKEN], PROTO_TOKEN_SIZE);
	t->name_len = (uint8_t)name_len;
	proto_unpack(t->name, &args[PROTO_PRINT_NAME], name_len);
	return true;
}

/*
 * PRINT: one ticket at a time (BUSY while one prints). A printer that is
 * not ready fails the print at once, with an event like a failed print,
 * and the command itself is OK: the host learns the outcome from the
 * event either way. A print seq (PROTO_SEQ_PRINT | button seq) no newer
 * than the last one taken this boot is STALE: the host sends prints in
 * button order, so it is one taken before, sent again after a host
 * restart (other commands may have moved CMD_DONE_SEQ on since).
 */
static uint16_t print(struct fw_device *d, uint16_t seq, const uint16_t *args, uint16_t nargs)
{
	struct fw_kiosk *k = &d->u.kiosk;
	struct fw_ticket t;

	if (!decode_ticket(d, args, nargs, &t))
		return PROTO_RESULT_BAD_COMMAND;
	if (k->printing)
		return PROTO_RESULT_BUSY;
	if ((seq & PROTO_SEQ_PRINT) && k->last_print_seq &&
	    proto_seq_covered(seq & ~PROTO_SEQ_PRINT, k->last_print_seq & ~PROTO_SEQ_PRINT))
		return PROTO_RESULT_STALE;
	if (seq & PROTO_SEQ_PRINT)
		k->last_print_seq = seq;
	if (!printer_is_ok(d->printer) || !k->port.print) {
		print_failed(d, seq, d->printer);
		return PROTO_RESULT_OK;
	}
	t.seq = seq;
	k->message = false; /* 请稍候 answered: the ticket comes */
	k->printing = true; /* before the call: the port may answer from inside it */
	k->printing_seq = seq;
	k->port.print(k->port.arg, &t);
	return PROTO_RESULT_OK;
}

uint16_t fw_kiosk_command(struct fw_device *d, uint16_t seq, uint16_t code, const uint16_t *args,
			  uint16_t nargs)
{
	switch (code) {
	case PROTO_CMD_SET_SERVICES:
		if (nargs < 1)
			return PROTO_RESULT_BAD_COMMAND;
		d->u.kiosk.host_mask = args[0]; /* bits past the last button are ignored */
		return PROTO_RESULT_OK;
	case PROTO_CMD_PRINT:
		return print(d, seq, args, nargs);
	case PROTO_CMD_SHOW_TEXT: {
		uint8_t text[PROTO_KIOSK_LINES][FW_TEXT_SIZE], len[PROTO_KIOSK_LINES];
		uint16_t result = fw_show_text(text, len, PROTO_KIOSK_LINES, args, nargs);
		if (result == PROTO_RESULT_OK) {
			end_entry(&d->u.kiosk);
			show_message(d, text[0], len[0]);
		}
		return result;
	}
	default:
		return PROTO_RESULT_NOT_SUPPORTED;
	}
}

const uint8_t *fw_kiosk_text(const struct fw_device *d, int line, size_t *len)
{
	const struct fw_kiosk *k = &d->u.kiosk;

	if (line != 0)
		return NULL;
	if (k->message || k->entering) {
		*len = k->line_len;
		return k->line;
	}
	if (fw_kiosk_offered(d) == 0) {
		*len = sizeof(text_paused) - 1;
		return text_paused;
	}
	*len = sizeof(text_offer) - 1;
	return text_offer;
}
