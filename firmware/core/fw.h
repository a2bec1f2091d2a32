/*
 * fw.h — the device logic of the kiosk and the window terminal.
 *
 * Room: firmware/core. Freestanding C: no heap, no OS calls, no libmodbus,
 * fixed buffers. Depends only on firmware/proto. The port (firmware/posix,
 * or a microcontroller's main loop) owns the Modbus stack, the clock, the
 * keys and the printer; it calls in here with the time in milliseconds and
 * gets back register values, Modbus exception codes and display text.
 *
 * A port's loop, in outline:
 *
 *     fw_kiosk_init(&dev, &identity, n_buttons, &port, now_ms());
 *     for (;;) {
 *             fw_tick(&dev, now_ms(), raw_keys());     // debounce, timeouts
 *             if (a Modbus request arrived for this unit) {
 *                     exc = fw_write(&dev, addr, n, values); // FC 06/16/0x17 write part
 *                     exc = fw_read(&dev, addr, n, out);     // FC 03/04/0x17 read part
 *                     reply, or reply with the exception
 *             }
 *             when the printer finishes: fw_kiosk_print_done(&dev, ok, printer_bits);
 *     }
 *
 * Every function here is O(registers or keys) and never blocks.
 */
#ifndef HALLQ_FW_H
#define HALLQ_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

enum {
	FW_KIOSK_MAX_BUTTONS = 15,
	FW_KIOSK_KEY_GREEN = 15, /* raw key bit: the next service press is green channel */
	FW_GREEN_TIMEOUT_MS = 10000,
	FW_TEXT_SIZE = PROTO_TEXT_LINE_MAX + 1, /* GB18030 bytes and a NUL */
	FW_DIGITS_MAX = 5,                      /* digits of a staff id, PIN or number */
};

struct fw_identity {
	uint16_t fw_version; /* major << 8 | minor */
	uint32_t serial;
	uint16_t boot_id; /* nonzero, different at each boot (the port picks it) */
};

/* A ticket to print, decoded from a PRINT command. */
struct fw_ticket {
	uint16_t seq; /* the command's seq, reported back in PRINTED / PRINT_FAILED */
	char label[PROTO_LABEL_SIZE + 1];
	uint8_t button;
	uint8_t cls;
	uint16_t ahead;
	uint16_t wait_min;
	uint32_t date; /* yyyymmdd */
	uint16_t minute;
	uint16_t ticket;
	char token[PROTO_TOKEN_SIZE + 1];
	uint8_t name_len;
	uint8_t name[PROTO_NAME_MAX + 1]; /* GB18030, NUL-terminated */
};

/* What the kiosk asks of its port. */
struct fw_kiosk_port {
	/* Start printing t; the port answers later with fw_kiosk_print_done().
	 * t is only valid during the call. */
	void (*print)(void *arg, const struct fw_ticket *t);
	void *arg;
};

struct fw_fifo {
	struct proto_event_entry e[PROTO_FIFO_SIZE];
	uint8_t head;
	uint8_t count;
	uint16_t next_seq;
	uint16_t overflows;
};

struct fw_debounce {
	uint32_t stable;   /* the debounced state */
	uint32_t last_raw; /* the raw state last sampled */
	uint32_t since_ms; /* when last_raw last changed */
};

struct fw_kiosk {
	uint8_t n_buttons;
	uint16_t host_mask; /* buttons the host allows */
	bool green;         /* the green-channel key was pressed */
	uint32_t green_ms;
	bool printing;
	uint16_t printing_seq;
	uint16_t last_print_seq; /* the newest PRINT taken this boot, 0 none */
	struct fw_kiosk_port port;
	/* the booking code being entered (预约签到) */
	bool entering;
	uint8_t n_code;
	uint32_t entry_ms; /* the last key of the entry */
	/* the line shown while entering, or the message shown */
	uint8_t line[FW_TEXT_SIZE];
	uint8_t line_len;
	bool message; /* line is a message (until message_ms + PROTO_KIOSK_MESSAGE_MS) */
	uint32_t message_ms;
};

struct fw_window {
	uint8_t text[PROTO_WINDOW_LINES][FW_TEXT_SIZE]; /* from the host */
	uint8_t text_len[PROTO_WINDOW_LINES];
	uint8_t prompt[FW_TEXT_SIZE]; /* line 2 while digits are entered */
	uint8_t prompt_len;
	uint8_t input; /* enum proto_window_state */
	uint8_t n_digits;
	char digits[FW_DIGITS_MAX + 1];
	uint16_t staff; /* login: the staff id, while the PIN is entered */
	uint32_t input_ms;
	bool paused; /* the last pause/resume key sent was pause */
	bool armed;
	uint16_t armed_ticket;
	uint32_t armed_until_ms;
};

struct fw_display {
	uint8_t text[PROTO_DISPLAY_LINES][FW_TEXT_SIZE];
	uint8_t text_len[PROTO_DISPLAY_LINES];
};

struct fw_device {
	uint8_t type; /* enum proto_device_type */
	struct fw_identity id;
	uint32_t boot_ms, now_ms, host_ms;
	bool host_seen;
	uint16_t cmd_done_seq, cmd_result;
	uint16_t printer; /* enum proto_printer bits */
	uint16_t bad_writes, print_errors;
	uint16_t hreg[PROTO_HREG_END - PROTO_HREG_HOST_BOOT];
	struct fw_fifo fifo;
	struct fw_debounce keys;
	union {
		struct fw_kiosk kiosk;
		struct fw_window window;
		struct fw_display display;
	} u;
};

void fw_kiosk_init(struct fw_device *d, const struct fw_identity *id, int n_buttons,
		   const struct fw_kiosk_port *port, uint32_t now_ms);
void fw_window_init(struct fw_device *d, const struct fw_identity *id, uint32_t now_ms);
void fw_display_init(struct fw_device *d, const struct fw_identity *id, uint32_t now_ms);

/*
 * Advances the time and samples the raw keys: bit k set while key k is
 * down (kiosk: buttons 0..n-1, FW_KIOSK_KEY_GREEN and the keypad's enum
 * proto_kiosk_key; window: enum proto_key). A key counts as pressed once, when it has been down for
 * PROTO_DEBOUNCE_MS without a change. Also ends timeouts (host offline,
 * digit entry, rating armed, green channel, a kiosk's message).
 */
void fw_tick(struct fw_device *d, uint32_t now_ms, uint32_t raw_keys);

/* A debounced key press, for ports whose keys are already clean. */
void fw_key(struct fw_device *d, int key);

/*
 * Modbus register access. Reads take addresses 0..PROTO_REG_READ_COUNT-1
 * and PROTO_HREG_HOST_BOOT..PROTO_HREG_END-1; writes only the host block.
 * Return 0, or a Modbus exception code (PROTO_EXC_*) with nothing changed.
 * Any access counts as the host being online.
 */
int fw_read(struct fw_device *d, uint16_t addr, uint16_t n, uint16_t *out);
int fw_write(struct fw_device *d, uint16_t addr, uint16_t n, const uint16_t *values);

/* Kiosk: the printer's state changed (enum proto_printer bits). */
void fw_kiosk_printer(struct fw_device *d, uint16_t printer_bits);
/* Kiosk: the print the port was given ended. */
void fw_kiosk_print_done(struct fw_device *d, bool ok, uint16_t printer_bits);
/* Kiosk: buttons offered now (host allows, host online, printer ready). */
uint16_t fw_kiosk_offered(const struct fw_device *d);

/*
 * The text a display shows now, GB18030, NUL-terminated: the kiosk's one
 * line (暂停取号 when nothing is offered; the booking code as it is typed;
 * a message from the host for PROTO_KIOSK_MESSAGE_MS), the window terminal's two lines
 * (line 2 becomes the prompt while digits are entered), the hall display's
 * four. NULL past the last line.
 */
const uint8_t *fw_text(const struct fw_device *d, int line, size_t *len);

#endif /* HALLQ_FW_H */
