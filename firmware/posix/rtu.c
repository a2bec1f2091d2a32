/*
 * rtu.c — frames Modbus RTU requests out of the bytes a slave hears on its
 * line, as a microcontroller's UART handler would.
 *
 * Room: firmware/posix. Pure: no I/O and no clock of its own (the caller
 * passes now_ms). Why not modbus_receive(): after a request for another
 * unit, libmodbus 3.1.6 reads the next frame as that unit's answer and
 * throws it away, so when the answer never reaches us (an absent unit, a
 * line emulator that sends answers only to the master, a lost frame) our
 * own next request is the one lost (upstream issues #83 and #799; see
 * notes/modbus-on-pseudo-terminals.md). Here every frame, request or
 * another slave's answer, is measured by its function code and checked
 * by its CRC, whoever it is for, so the framer stays in step on a shared
 * line whether or not the other slaves' answers reach it.
 *
 * The length of a frame comes from its function code and, for FC 15, 16,
 * 0x17 and read answers, its byte count. A head that is no frame (a bad
 * CRC, noise) is dropped a byte at a time until a frame starts; bytes
 * left waiting after PORT_RTU_SILENCE_MS of silence are dropped the same
 * way. A request with a function code of no known length is framed by
 * that silence too, so that it can still get its ILLEGAL FUNCTION.
 */
#include <string.h>

#include "port.h"

enum head {
	HEAD_FRAME,   /* a frame of *len bytes */
	HEAD_WAIT,    /* a frame may be coming: more bytes needed */
	HEAD_UNKNOWN, /* a function of no known length: framed by silence */
	HEAD_BAD,     /* no frame starts here */
};

static uint16_t crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)(crc >> 1 ^ 0xa001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

/* The CRC closes the frame, low byte first. */
static bool crc_ok(const uint8_t *p, size_t n)
{
	uint16_t crc = crc16(p, n - 2);

	return p[n - 2] == (crc & 0xff) && p[n - 1] == crc >> 8;
}

/* The length of a request with b's function code; 0 when more bytes are
 * needed to know it, -1 for a function of no known length. */
static int request_len(const uint8_t *b, size_t n)
{
	switch (b[1]) {
	case 0x01: /* read coils, inputs, registers: address, count */
	case 0x02:
	case 0x03:
	case 0x04:
	case 0x05: /* write one coil or register: address, value */
	case 0x06:
	case 0x08: /* diagnostics: sub-function, data */
		return 8;
	case 0x07: /* read exception status, event counter and log, slave id */
	case 0x0b:
	case 0x0c:
	case 0x11:
		return 4;
	case 0x0f: /* write coils, registers: address, count, byte count, data */
	case 0x10:
		return n < 7 ? 0 : 9 + b[6];
	case 0x16: /* mask write: address, and, or */
		return 10;
	case 0x17: /* read address, count, write address, count, byte count, data */
		return n < 11 ? 0 : 13 + b[10];
	default:
		return -1;
	}
}

/* The same for another slave's answer. */
static int response_len(const uint8_t *b, size_t n)
{
	if (b[1] & 0x80)
		return 5; /* exception code */
	switch (b[1]) {
	case 0x01: /* byte count, data */
	case 0x02:
	case 0x03:
	case 0x04:
	case 0x0c:
	case 0x11:
	case 0x17:
		return n < 3 ? 0 : 5 + b[2];
	case 0x05: /* the request echoed, or address and count */
	case 0x06:
	case 0x08:
	case 0x0b:
	case 0x0f:
	case 0x10:
		return 8;
	case 0x07:
		return 5;
	case 0x16:
		return 10;
	default:
		return -1;
	}
}

static bool is_mine(const struct port_rtu *f)
{
	return f->buf[0] == f->unit || f->buf[0] == 0;
}

/* What the head of the buffer holds. A request for this unit is only ever
 * a request (no other slave answers with our address). */
static enum head scan(const struct port_rtu *f, size_t *len, bool *request)
{
	int cand[2];
	bool wait = false;

	if (f->n < 2)
		return HEAD_WAIT;
	cand[0] = request_len(f->buf, f->n);
	cand[1] = is_mine(f) ? -1 : response_len(f->buf, f->n);
	for (int i = 0; i < 2; i++) {
		if (cand[i] == 0) {
			wait = true;
		} else if (cand[i] > 0 && cand[i] <= PORT_RTU_MAX) {
			if ((size_t)cand[i] > f->n) {
				wait = true;
			} else if (crc_ok(f->buf, (size_t)cand[i])) {
				*len = (size_t)cand[i];
				*request = i == 0;
				return HEAD_FRAME;
			}
		}
	}
	if (wait)
		return HEAD_WAIT;
	if (cand[0] < 0 && cand[1] < 0 && f->n < PORT_RTU_MAX)
		return HEAD_UNKNOWN;
	return HEAD_BAD;
}

void port_rtu_init(struct port_rtu *f, int unit)
{
	memset(f, 0, sizeof *f);
	f->unit = unit;
}

static void consume(struct port_rtu *f, size_t n)
{
	memmove(f->buf, f->buf + n, f->n - n);
	f->n -= n;
}

/* Drops the head's first byte: one bad frame per run of dropped bytes. */
static void drop_byte(struct port_rtu *f)
{
	if (!f->resyncing) {
		f->bad_frames++;
		f->resyncing = true;
	}
	consume(f, 1);
}

void port_rtu_feed(struct port_rtu *f, const uint8_t *bytes, size_t n, uint32_t now_ms)
{
	if (n == 0)
		return;
	while (n > sizeof f->buf - f->n && f->n > 0)
		drop_byte(f); /* cannot happen while port_rtu_next() is called */
	if (n > sizeof f->buf) {
		bytes += n - sizeof f->buf;
		n = sizeof f->buf;
	}
	memcpy(f->buf + f->n, bytes, n);
	f->n += n;
	f->last_rx_ms = now_ms;
}

/* Hands out the frame of len bytes at the head if it is a request for us;
 * consumes it either way. */
static size_t take(struct port_rtu *f, size_t len, bool request, uint8_t *frame)
{
	bool mine = request && is_mine(f);

	f->resyncing = false;
	if (mine)
		memcpy(frame, f->buf, len);
	else
		f->foreign_frames++;
	consume(f, len);
	return mine ? len : 0;
}

size_t port_rtu_next(struct port_rtu *f, uint8_t *frame, uint32_t now_ms)
{
	bool silent = (uint32_t)(now_ms - f->last_rx_ms) >= PORT_RTU_SILENCE_MS;

	while (f->n > 0) {
		size_t len = 0, got;
		bool request = false;

		switch (scan(f, &len, &request)) {
		case HEAD_FRAME:
			if ((got = take(f, len, request, frame)) > 0)
				return got;
			break;
		case HEAD_WAIT:
			if (!silent)
				return 0;
			drop_byte(f); /* nothing more is coming: it was no frame */
			break;
		case HEAD_UNKNOWN:
			if (!silent)
				return 0;
			if (f->n >= PORT_RTU_MIN && crc_ok(f->buf, f->n)) {
				if ((got = take(f, f->n, true, frame)) > 0)
					return got;
			} else {
				drop_byte(f);
			}
			break;
		case HEAD_BAD:
			drop_byte(f);
			break;
		}
	}
	return 0;
}
