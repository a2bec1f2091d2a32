/*
 * proto.h — the wire contract between hostd and the devices on the bus.
 *
 * Room: firmware/proto. The single source of register addresses, event
 * codes and command layouts that the firmware (firmware/core, the device
 * side) and drivers/modbus (the host side) both compile against.
 * docs/protocol.md describes every register with worked frames. Includes
 * <stdint.h>, <stdbool.h> and <stddef.h> only.
 *
 * The map in one picture (protocol version 1):
 *
 *   0..7     identity      read-only, every device type
 *   8..15    status        read-only
 *   16       event count   read-only
 *   17..80   event FIFO    read-only, 16 entries of 4 registers
 *   100..220 host block    read/write: ack, then one command
 *
 * Addresses 0..80 answer both FC 04 (input registers) and FC 03 (holding
 * registers), so that one FC 0x17 can write the host block and read the
 * status and the head of the FIFO in a single transaction. Writes are taken
 * only at 100..220; anything else is ILLEGAL DATA ADDRESS.
 *
 * Exactly once: an event leaves the FIFO only when the host writes its seq
 * (or a later one) to ACK_SEQ; a command is applied only when its CMD_SEQ
 * differs from CMD_DONE_SEQ. Both writes are taken only when HOST_BOOT
 * equals the device's BOOT_ID, so a host that has not yet seen a reboot
 * can neither acknowledge the new boot's events nor replay an old boot's
 * command on it.
 */
#ifndef HALLQ_PROTO_H
#define HALLQ_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1

enum proto_device_type {
	PROTO_DEVICE_KIOSK = 1,
	PROTO_DEVICE_WINDOW = 2,  /* window terminal: keypad, LED text, rating keys */
	PROTO_DEVICE_DISPLAY = 3, /* LED hall display */
};

/* Read-only registers: FC 04, and FC 03 / FC 0x17 read at the same address. */
enum proto_reg {
	/* identity */
	PROTO_REG_DEVICE_TYPE = 0,
	PROTO_REG_PROTO_VERSION = 1,
	PROTO_REG_FW_VERSION = 2, /* major << 8 | minor */
	PROTO_REG_SERIAL_HI = 3,
	PROTO_REG_SERIAL_LO = 4,
	PROTO_REG_UPTIME_HI = 5, /* seconds since boot */
	PROTO_REG_UPTIME_LO = 6,
	PROTO_REG_FLAGS = 7, /* enum proto_flag */
	/* status */
	PROTO_REG_BOOT_ID = 8,         /* nonzero, new at every boot */
	PROTO_REG_CMD_DONE_SEQ = 9,    /* seq of the last command taken, 0 none */
	PROTO_REG_CMD_RESULT = 10,     /* enum proto_result of that command */
	PROTO_REG_PRINTER = 11,        /* enum proto_printer bits; 0 without a printer */
	PROTO_REG_BAD_WRITES = 12,     /* writes refused (exceptions, bad commands) */
	PROTO_REG_FIFO_OVERFLOWS = 13, /* events dropped because the FIFO was full */
	PROTO_REG_PRINT_ERRORS = 14,
	PROTO_REG_STATE =
	    15, /* kiosk: buttons offered now (bit per button); window: enum proto_window_state */
	/* event FIFO */
	PROTO_REG_EV_COUNT = 16, /* events waiting, 0..PROTO_FIFO_SIZE */
	PROTO_REG_EV_FIRST = 17, /* the oldest waiting event, then the next ... */
	PROTO_FIFO_SIZE = 16,
	PROTO_EV_REGS = 4, /* seq, code, arg high, arg low */
	PROTO_REG_READ_COUNT = PROTO_REG_EV_FIRST + PROTO_FIFO_SIZE * PROTO_EV_REGS, /* 81 */
	/* where the host's poll reads from */
	PROTO_REG_POLL_FIRST = PROTO_REG_BOOT_ID,
};

/* The host block: holding registers the host writes (and may read back). */
enum proto_hreg {
	PROTO_HREG_HOST_BOOT = 100, /* the BOOT_ID the host believes; writes below need it */
	PROTO_HREG_ACK_SEQ = 101,   /* the last event seq the host has processed */
	PROTO_HREG_CMD_SEQ = 102,   /* nonzero; applied once while != CMD_DONE_SEQ */
	PROTO_HREG_CMD_CODE = 103,  /* enum proto_cmd */
	PROTO_HREG_CMD_NARGS = 104, /* registers of arguments that follow */
	PROTO_HREG_CMD_ARGS = 105,
	PROTO_CMD_MAX_ARGS = 116, /* so that the whole block is one FC 0x17 write (<= 121) */
	PROTO_HREG_END = PROTO_HREG_CMD_ARGS + PROTO_CMD_MAX_ARGS, /* 221, one past the last */
};

/* Modbus limits of the functions used (Modbus Application Protocol V1.1b3). */
enum {
	PROTO_MAX_READ = 125,     /* FC 03 / 04 */
	PROTO_MAX_WRITE = 123,    /* FC 16 */
	PROTO_MAX_RW_READ = 125,  /* FC 0x17 read part */
	PROTO_MAX_RW_WRITE = 121, /* FC 0x17 write part */
	PROTO_EXC_ILLEGAL_FUNCTION = 1,
	PROTO_EXC_ILLEGAL_ADDRESS = 2,
	PROTO_EXC_ILLEGAL_VALUE = 3,
};

enum proto_flag {
	PROTO_FLAG_HOST_ONLINE = 1 << 0,   /* polled within PROTO_HOST_TIMEOUT_MS */
	PROTO_FLAG_PRINTER_FAULT = 1 << 1, /* paper out, cover open or printer offline */
	PROTO_FLAG_FIFO_OVERFLOW = 1 << 2, /* an event was dropped since boot */
	PROTO_FLAG_RATING_ARMED = 1 << 3,  /* window: rating keys accept one press */
	PROTO_FLAG_INPUT_ACTIVE = 1 << 4,  /* window, kiosk: digits being entered */
	PROTO_FLAG_PRINTING = 1 << 5,      /* kiosk: a ticket is being printed */
};

enum proto_printer {
	PROTO_PRINTER_OK = 1 << 0, /* ready to print */
	PROTO_PRINTER_NEAR_END = 1 << 1,
	PROTO_PRINTER_PAPER_OUT = 1 << 2,
	PROTO_PRINTER_COVER_OPEN = 1 << 3,
	PROTO_PRINTER_OFFLINE = 1 << 4,
};

enum proto_window_state {
	PROTO_WINDOW_IDLE = 0,        /* showing what the host sent */
	PROTO_WINDOW_ENTER_STAFF = 1, /* login: entering the staff id */
	PROTO_WINDOW_ENTER_PIN = 2,
	PROTO_WINDOW_ENTER_WINDOW = 3, /* transfer: entering the window number */
	PROTO_WINDOW_ENTER_REASON = 4, /* pause: entering the reason number */
};

/* Event codes; the 32-bit arg is (arg high << 16 | arg low). */
enum proto_event {
	/* kiosk */
	PROTO_EV_BUTTON = 0x01,       /* arg: button index (bits 0..7), class (bits 8..15) */
	PROTO_EV_PRINTED = 0x02,      /* arg: the print command's seq */
	PROTO_EV_PRINT_FAILED = 0x03, /* arg: seq | printer bits << 16 */
	PROTO_EV_PRINTER = 0x04,      /* arg: printer bits, on every change */
	PROTO_EV_CHECK_IN = 0x05,     /* arg: the booking code's 8 digits as a number */
	/* window terminal */
	PROTO_EV_NEXT = 0x10,
	PROTO_EV_RECALL = 0x11,
	PROTO_EV_NO_SHOW = 0x12,
	PROTO_EV_START = 0x13,
	PROTO_EV_FINISH = 0x14,
	PROTO_EV_TRANSFER = 0x15, /* arg: target window number */
	PROTO_EV_PAUSE = 0x16,    /* arg: reason number, 1-based (0 none) */
	PROTO_EV_RESUME = 0x17,
	PROTO_EV_LOGIN = 0x18, /* arg: staff id << 16 | PIN (0..9999) */
	PROTO_EV_LOGOUT = 0x19,
	PROTO_EV_HOLD = 0x1a,
	PROTO_EV_CALL_BACK = 0x1b, /* arg: 0, the first ticket this window holds */
	PROTO_EV_RATE = 0x20, /* arg: rating (1 非常满意 .. 5 非常不满意) << 16 | ticket id */
};

/* Window terminal keys, as the firmware core receives them. */
enum proto_key {
	PROTO_KEY_0 = 0, /* digits 0..9 are the keys 0..9 */
	PROTO_KEY_NEXT = 10,
	PROTO_KEY_RECALL,
	PROTO_KEY_NO_SHOW,
	PROTO_KEY_START,
	PROTO_KEY_FINISH,
	PROTO_KEY_TRANSFER,
	PROTO_KEY_PAUSE, /* pauses, asking the reason; pressed when paused, resumes */
	PROTO_KEY_LOGIN,
	PROTO_KEY_LOGOUT,
	PROTO_KEY_HOLD,
	PROTO_KEY_CALL_BACK,
	PROTO_KEY_ENTER,
	PROTO_KEY_CLEAR,  /* abandons the digits being entered */
	PROTO_KEY_RATE_1, /* 非常满意 */
	PROTO_KEY_RATE_2, /* 满意 */
	PROTO_KEY_RATE_3, /* 基本满意 */
	PROTO_KEY_RATE_4, /* 不满意 */
	PROTO_KEY_RATE_5, /* 非常不满意 */
	PROTO_KEY_COUNT
};

/*
 * Kiosk keypad keys (预约签到), as the firmware core receives them: raw key
 * bits above the service buttons (0..14) and the green-channel key (15).
 * The check-in key or a digit starts the entry of a booking code; ENTER
 * with exactly PROTO_CODE_DIGITS digits sends PROTO_EV_CHECK_IN.
 */
enum proto_kiosk_key {
	PROTO_KIOSK_KEY_0 = 16,        /* digits 0..9 are the keys 16..25 */
	PROTO_KIOSK_KEY_ENTER = 26,    /* 确认 */
	PROTO_KIOSK_KEY_CLEAR = 27,    /* 清除: abandons the code being entered */
	PROTO_KIOSK_KEY_CHECK_IN = 28, /* 预约签到: starts (again) an empty entry */
	PROTO_CODE_DIGITS = 8,         /* digits of a booking code */
};

enum proto_cmd {
	PROTO_CMD_SET_SERVICES = 1, /* kiosk: args[0] = buttons the host allows (bit per button) */
	PROTO_CMD_PRINT = 2,        /* kiosk: struct proto_ticket, see PROTO_PRINT_* */
	PROTO_CMD_SHOW_TEXT = 3,    /* window, display, kiosk: see PROTO_TEXT_* */
	PROTO_CMD_ARM_RATING = 4,   /* window: args[0] = ticket id, args[1] = seconds armed */
	PROTO_CMD_DISARM_RATING = 5,
};

enum proto_result {
	PROTO_RESULT_OK = 0,
	PROTO_RESULT_BAD_COMMAND = 1,   /* unknown code or bad arguments: nothing done */
	PROTO_RESULT_NOT_SUPPORTED = 2, /* a command this device type does not take */
	PROTO_RESULT_BUSY = 3,          /* kiosk: a print is still running; the PRINT was
					 * not taken (CMD_DONE_SEQ unchanged): send again */
	PROTO_RESULT_STALE = 4,         /* kiosk: a PRINT no newer than the last one taken
					 * this boot (a repeat after a host restart): not
					 * printed again; its PRINTED or PRINT_FAILED event
					 * came, or comes, for the first one */
};

/*
 * PRINT arguments: registers counted from CMD_ARGS. Text is bytes packed
 * two to a register, the first byte in the high half; a length register
 * gives the byte count.
 */
enum proto_print_arg {
	PROTO_PRINT_LABEL = 0, /* 3 registers: "A023", ASCII, NUL padded */
	PROTO_PRINT_BUTTON = 3,
	PROTO_PRINT_CLASS = 4, /* 0 normal, 1 green channel, 2 appointment */
	PROTO_PRINT_AHEAD = 5,
	PROTO_PRINT_WAIT_MIN = 6,
	PROTO_PRINT_DATE_HI = 7, /* yyyymmdd */
	PROTO_PRINT_DATE_LO = 8,
	PROTO_PRINT_MINUTE = 9,    /* minutes since local midnight */
	PROTO_PRINT_TICKET = 10,   /* ticket id of the day */
	PROTO_PRINT_TOKEN = 11,    /* 8 registers: 16 ASCII bytes for the status URL, NUL padded */
	PROTO_PRINT_NAME_LEN = 19, /* service name, GB18030 bytes */
	PROTO_PRINT_NAME = 20,
	PROTO_LABEL_SIZE = 6,
	PROTO_TOKEN_SIZE = 16,
	PROTO_NAME_MAX = 64,
	PROTO_PRINT_MAX_ARGS = PROTO_PRINT_NAME + PROTO_NAME_MAX / 2, /* 52 */
};

/*
 * SHOW_TEXT arguments: args[0] = first line, args[1] = number of lines
 * (1 or 2), args[2], args[3] = byte lengths of those lines (args[3] is 0
 * with one line), then the bytes of the lines one after the other, packed
 * two to a register. Text is GB18030, as LED controllers take it. A
 * kiosk takes one line (first 0) as a message, shown for
 * PROTO_KIOSK_MESSAGE_MS in place of its own line (a check-in refused).
 */
enum proto_text_arg {
	PROTO_TEXT_FIRST = 0,
	PROTO_TEXT_COUNT = 1,
	PROTO_TEXT_LEN = 2,
	PROTO_TEXT_BYTES = 4,
	PROTO_TEXT_LINE_MAX = 64, /* bytes: 32 hanzi */
	PROTO_WINDOW_LINES = 2,
	PROTO_DISPLAY_LINES = 4,
	PROTO_KIOSK_LINES = 1,
	PROTO_TEXT_MAX_ARGS = PROTO_TEXT_BYTES + PROTO_TEXT_LINE_MAX, /* 68 */
};

/* Timing the firmware keeps (milliseconds). */
enum {
	PROTO_HOST_TIMEOUT_MS = 5000,   /* no poll this long: the host is offline */
	PROTO_DEBOUNCE_MS = 20,         /* a key is pressed when stable this long */
	PROTO_INPUT_TIMEOUT_MS = 30000, /* digit entry abandoned after this */
	PROTO_KIOSK_MESSAGE_MS = 5000,  /* a kiosk's message shown this long */
};

/* Event and command sequence numbers. Events count 1..0x7fff and wrap to
 * 1; the host numbers a kiosk's print command 0x8000 | the seq of the
 * button (or check-in) event that asked for it, and its other commands 1..0x7fff, so
 * the two never collide. */
enum {
	PROTO_SEQ_MAX = 0x7fff,
	PROTO_SEQ_PRINT = 0x8000,
};

/* One event as it stands in the FIFO. */
struct proto_event_entry {
	uint16_t seq;
	uint16_t code;
	uint32_t arg;
};

/* The next event seq after seq. */
static inline uint16_t proto_seq_next(uint16_t seq)
{
	return seq >= PROTO_SEQ_MAX ? 1 : (uint16_t)(seq + 1);
}

/*
 * True when the event seq a is covered by an acknowledgement of b: a is b
 * or comes before it, counting back at most half the seq space. An ack of
 * 0 (the host has processed nothing of this boot) covers nothing.
 */
static inline bool proto_seq_covered(uint16_t a, uint16_t b)
{
	if (b < 1 || b > PROTO_SEQ_MAX)
		return false;
	uint16_t back = (uint16_t)((b - a + PROTO_SEQ_MAX) % PROTO_SEQ_MAX);
	return a >= 1 && a <= PROTO_SEQ_MAX && back < PROTO_SEQ_MAX / 2;
}

/* Packs n bytes into registers, two to a register, high byte first; the
 * last half-register is zero. Returns the registers written. */
static inline size_t proto_pack(uint16_t *regs, const uint8_t *bytes, size_t n)
{
	size_t r = 0;
	for (size_t i = 0; i < n; i += 2, r++) {
		uint16_t hi = bytes[i];
		uint16_t lo = i + 1 < n ? bytes[i + 1] : 0;
		regs[r] = (uint16_t)(hi << 8 | lo);
	}
	return r;
}

/* The reverse of proto_pack: n bytes out of the registers. */
static inline void proto_unpack(uint8_t *bytes, const uint16_t *regs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bytes[i] = (uint8_t)(i % 2 == 0 ? regs[i / 2] >> 8 : regs[i / 2] & 0xff);
}

#endif /* HALLQ_PROTO_H */
