/*
 * window.c — the window terminal (呼叫器 with 评价器): the keypad's
 * function keys become events, digit entry for login, transfer and pause
 * (with its prompt on line 2), the host's two lines of text, and the
 * rating keys that take one press while the host has armed them.
 *
 * Room: firmware/core. Freestanding C: no heap, no OS calls. State:
 * struct fw_window in the caller's struct fw_device. Spec: proto.h (enum
 * proto_key, enum proto_window_state, the window events, SHOW_TEXT,
 * ARM_RATING) and fw.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_internal.h"

enum {
	RATING_MAX_S = 600,  /* ARM_RATING's longest */
	STAFF_MAX = 0xffff,  /* staff ids 1..65535 */
	PIN_MAX = 9999,      /* PINs 0..9999 */
	WINDOW_MAX = 0xffff, /* window numbers 1..65535 */
	REASON_MAX = 99,     /* pause reasons 1..99 */
	PROMPT_PREFIX_MAX = 10,
};

/* Line 2's prompt per entry state (enum proto_window_state - 1), GB18030. */
static const struct {
	uint8_t len;
	uint8_t bytes[PROMPT_PREFIX_MAX];
} prompts[] = {
    {5, "\xb9\xa4\xba\xc5:"},                 /* 工号: */
    {5, "\xc3\xdc\xc2\xeb:"},                 /* 密码: */
    {9, "\xd7\xaa\xd6\xc1\xb4\xb0\xbf\xda:"}, /* 转至窗口: */
    {9, "\xd4\xdd\xcd\xa3\xd4\xad\xd2\xf2:"}, /* 暂停原因: */
};

_Static_assert(PROMPT_PREFIX_MAX + FW_DIGITS_MAX < FW_TEXT_SIZE, "the prompt fits its buffer");

/* The keys that are one event each, arg 0. */
static const uint8_t key_events[PROTO_KEY_COUNT] = {
    [PROTO_KEY_NEXT] = PROTO_EV_NEXT,       [PROTO_KEY_RECALL] = PROTO_EV_RECALL,
    [PROTO_KEY_NO_SHOW] = PROTO_EV_NO_SHOW, [PROTO_KEY_START] = PROTO_EV_START,
    [PROTO_KEY_FINISH] = PROTO_EV_FINISH,   [PROTO_KEY_LOGOUT] = PROTO_EV_LOGOUT,
    [PROTO_KEY_HOLD] = PROTO_EV_HOLD,       [PROTO_KEY_CALL_BACK] = PROTO_EV_CALL_BACK,
};

void fw_window_init(struct fw_device *d, const struct fw_identity *id, uint32_t now_ms)
{
	fw_init_device(d, PROTO_DEVICE_WINDOW, id, now_ms);
}

uint16_t fw_window_flags(const struct fw_device *d)
{
	const struct fw_window *w = &d->u.window;
	uint16_t flags = 0;

	if (w->armed)
		flags |= PROTO_FLAG_RATING_ARMED;
	if (w->input != PROTO_WINDOW_IDLE)
		flags |= PROTO_FLAG_INPUT_ACTIVE;
	return flags;
}

/* ---- digit entry ---- */

static void show_prompt(struct fw_window *w)
{
	uint8_t n = prompts[w->input - 1].len;

	memcpy(w->prompt, prompts[w->input - 1].bytes, n);
	for (uint8_t i = 0; i < w->n_digits; i++)
		w->prompt[n++] = w->input == PROTO_WINDOW_ENTER_PIN ? '*' : (uint8_t)w->digits[i];
	w->prompt[n] = '\0';
	w->prompt_len = n;
}

static void begin_entry(struct fw_device *d, uint8_t state)
{
	struct fw_window *w = &d->u.window;

	w->input = state;
	w->n_digits = 0;
	memset(w->digits, 0, sizeof(w->digits));
	w->input_ms = d->now_ms;
	show_prompt(w);
}

/* Back to the host's text; the digits (a PIN among them) are wiped. */
static void end_entry(struct fw_window *w)
{
	w->input = PROTO_WINDOW_IDLE;
	w->n_digits = 0;
	memset(w->digits, 0, sizeof(w->digits));
	w->staff = 0;
	w->prompt_len = 0;
	w->prompt[0] = '\0';
}

/*
 * ENTER: the number entered moves the entry on or sends its event. No
 * digits, or a number out of range, abandons the entry, except that a
 * pause may go without a reason (PAUSE arg 0).
 */
static void enter(struct fw_device *d)
{
	struct fw_window *w = &d->u.window;
	uint8_t state = w->input;
	uint16_t staff = w->staff;
	bool any = w->n_digits > 0;
	uint32_t v = 0;

	for (uint8_t i = 0; i < w->n_digits; i++)
		v = v * 10 + (uint32_t)(w->digits[i] - '0');
	end_entry(w);
	if (!any && state == PROTO_WINDOW_ENTER_REASON) {
		fw_event(d, PROTO_EV_PAUSE, 0); /* a pause without a reason */
		w->paused = true;
		return;
	}
	if (!any)
		return; /* nothing entered: abandoned */
	switch (state) {
	case PROTO_WINDOW_ENTER_STAFF:
		if (v >= 1 && v <= STAFF_MAX) {
			begin_entry(d, PROTO_WINDOW_ENTER_PIN);
			w->staff = (uint16_t)v;
		}
		break;
	case PROTO_WINDOW_ENTER_PIN:
		if (v <= PIN_MAX)
			fw_event(d, PROTO_EV_LOGIN, (uint32_t)staff << 16 | v);
		break;
	case PROTO_WINDOW_ENTER_WINDOW:
		if (v >= 1 && v <= WINDOW_MAX)
			fw_event(d, PROTO_EV_TRANSFER, v);
		break;
	case PROTO_WINDOW_ENTER_REASON:
		if (v >= 1 && v <= REASON_MAX) {
			fw_event(d, PROTO_EV_PAUSE, v);
			w->paused = true;
		}
		break;
	}
}

/* A key while digits are entered; false when it is not an entry key. */
static bool entry_key(struct fw_device *d, int key)
{
	struct fw_window *w = &d->u.window;

	if (key <= 9) {
		if (w->n_digits < FW_DIGITS_MAX) /* further digits are not taken */
			w->digits[w->n_digits++] = (char)('0' + key);
		w->input_ms = d->now_ms;
		show_prompt(w);
	} else if (key == PROTO_KEY_ENTER) {
		enter(d);
	} else if (key == PROTO_KEY_CLEAR) {
		end_entry(w);
	} else {
		return false;
	}
	return true;
}

/* ---- keys ---- */

/* A rating key: one press while armed, then disarmed; nothing otherwise. */
static void rate(struct fw_device *d, int key)
{
	struct fw_window *w = &d->u.window;
	uint32_t rating = (uint32_t)(key - PROTO_KEY_RATE_1 + 1);

	if (!w->armed)
		return;
	w->armed = false;
	fw_event(d, PROTO_EV_RATE, rating << 16 | w->armed_ticket);
}

/*
 * The rating keys are the citizen's and leave an entry alone. Any other
 * function key pressed during an entry abandons it and then does what it
 * does (a LOGIN starts the login again).
 */
void fw_window_key(struct fw_device *d, int key)
{
	struct fw_window *w = &d->u.window;

	if (key < 0 || key >= PROTO_KEY_COUNT)
		return;
	if (key >= PROTO_KEY_RATE_1) {
		rate(d, key);
		return;
	}
	if (w->input != PROTO_WINDOW_IDLE) {
		if (entry_key(d, key))
			return;
		end_entry(w);
	}
	if (key_events[key] != 0) {
		fw_event(d, key_events[key], 0);
	} else if (key == PROTO_KEY_LOGIN) {
		begin_entry(d, PROTO_WINDOW_ENTER_STAFF);
	} else if (key == PROTO_KEY_TRANSFER) {
		begin_entry(d, PROTO_WINDOW_ENTER_WINDOW);
	} else if (key == PROTO_KEY_PAUSE && !w->paused) {
		begin_entry(d, PROTO_WINDOW_ENTER_REASON);
	} else if (key == PROTO_KEY_PAUSE) {
		w->paused = false;
		fw_event(d, PROTO_EV_RESUME, 0);
	}
	/* digits, ENTER and CLEAR outside an entry do nothing */
}

void fw_window_tick(struct fw_device *d)
{
	struct fw_window *w = &d->u.window;

	if (w->input != PROTO_WINDOW_IDLE && d->now_ms - w->input_ms >= PROTO_INPUT_TIMEOUT_MS)
		end_entry(w);
	if (w->armed && fw_time_reached(d->now_ms, w->armed_until_ms))
		w->armed = false;
}

/* ---- commands, text ---- */

uint16_t fw_window_command(struct fw_device *d, uint16_t code, const uint16_t *args, uint16_t nargs)
{
	struct fw_window *w = &d->u.window;

	switch (code) {
	case PROTO_CMD_SHOW_TEXT:
		return fw_show_text(w->text, w->text_len, PROTO_WINDOW_LINES, args, nargs);
	case PROTO_CMD_ARM_RATING:
		if (nargs < 2 || args[1] < 1 || args[1] > RATING_MAX_S)
			return PROTO_RESULT_BAD_COMMAND;
		w->armed = true;
		w->armed_ticket = args[0];
		w->armed_until_ms = d->now_ms + (uint32_t)args[1] * 1000;
		return PROTO_RESULT_OK;
	case PROTO_CMD_DISARM_RATING:
		w->armed = false;
		return PROTO_RESULT_OK;
	default:
		return PROTO_RESULT_NOT_SUPPORTED;
	}
}

const uint8_t *fw_window_text(const struct fw_device *d, int line, size_t *len)
{
	const struct fw_window *w = &d->u.window;

	if (line >= PROTO_WINDOW_LINES)
		return NULL;
	if (line == 1 && w->input != PROTO_WINDOW_IDLE) {
		*len = w->prompt_len;
		return w->prompt;
	}
	*len = w->text_len[line];
	return w->text[line];
}
