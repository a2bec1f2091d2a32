/*
 * fw.c — what every device type shares: the register map (identity,
 * status, event FIFO, host block), the exactly-once rules for the host's
 * acknowledgements and commands, the event FIFO and the key debounce.
 * The types' own behaviour is in kiosk.c, window.c and display.c.
 *
 * Room: firmware/core. Freestanding C: no heap, no OS calls, no clock of
 * its own (the time comes in through fw_tick). All state lives in the
 * caller's struct fw_device. The spec is firmware/proto/proto.h (the wire
 * contract) and fw.h (this interface).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_internal.h"

void fw_init_device(struct fw_device *d, uint8_t type, const struct fw_identity *id,
		    uint32_t now_ms)
{
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->id = *id;
	if (d->id.boot_id == 0)
		d->id.boot_id = 1; /* 0 would match a host that knows no boot yet */
	d->boot_ms = d->now_ms = now_ms;
	d->keys.since_ms = now_ms;
	d->fifo.next_seq = 1;
}

bool fw_host_is_online(const struct fw_device *d)
{
	return d->host_seen && d->now_ms - d->host_ms < PROTO_HOST_TIMEOUT_MS;
}

/*
 * Appends an event with the next seq. A full FIFO keeps the events the
 * host has not seen yet and drops this one, which takes no seq: the seqs
 * in the FIFO stay consecutive and OVERFLOWS says what was lost.
 */
void fw_event(struct fw_device *d, uint16_t code, uint32_t arg)
{
	struct fw_fifo *f = &d->fifo;

	if (f->count == PROTO_FIFO_SIZE) {
		fw_count(&f->overflows);
		return;
	}
	f->e[(f->head + f->count) % PROTO_FIFO_SIZE] =
	    (struct proto_event_entry){f->next_seq, code, arg};
	f->count++;
	f->next_seq = proto_seq_next(f->next_seq);
}

/* ---- registers ---- */

static uint16_t flags_of(const struct fw_device *d)
{
	uint16_t flags = 0;

	if (fw_host_is_online(d))
		flags |= PROTO_FLAG_HOST_ONLINE;
	if (d->fifo.overflows != 0)
		flags |= PROTO_FLAG_FIFO_OVERFLOW;
	if (d->type == PROTO_DEVICE_KIOSK)
		flags |= fw_kiosk_flags(d);
	else if (d->type == PROTO_DEVICE_WINDOW)
		flags |= fw_window_flags(d);
	return flags;
}

static uint16_t state_of(const struct fw_device *d)
{
	if (d->type == PROTO_DEVICE_KIOSK)
		return fw_kiosk_offered(d);
	if (d->type == PROTO_DEVICE_WINDOW)
		return d->u.window.input;
	return 0;
}

/* One register of the FIFO: 4 per entry, oldest first, 0 past the last. */
static uint16_t fifo_reg(const struct fw_fifo *f, unsigned r)
{
	unsigned k = r / PROTO_EV_REGS;
	const struct proto_event_entry *e = &f->e[(f->head + k) % PROTO_FIFO_SIZE];

	if (k >= f->count)
		return 0;
	switch (r % PROTO_EV_REGS) {
	case 0:
		return e->seq;
	case 1:
		return e->code;
	case 2:
		return (uint16_t)(e->arg >> 16);
	default:
		return (uint16_t)(e->arg & 0xffff);
	}
}

/* One read-only register, addr below PROTO_REG_READ_COUNT. */
static uint16_t read_reg(const struct fw_device *d, uint16_t addr)
{
	uint32_t uptime_s = (d->now_ms - d->boot_ms) / 1000;

	switch (addr) {
	case PROTO_REG_DEVICE_TYPE:
		return d->type;
	case PROTO_REG_PROTO_VERSION:
		return PROTO_VERSION;
	case PROTO_REG_FW_VERSION:
		return d->id.fw_version;
	case PROTO_REG_SERIAL_HI:
		return (uint16_t)(d->id.serial >> 16);
	case PROTO_REG_SERIAL_LO:
		return (uint16_t)(d->id.serial & 0xffff);
	case PROTO_REG_UPTIME_HI:
		return (uint16_t)(uptime_s >> 16);
	case PROTO_REG_UPTIME_LO:
		return (uint16_t)(uptime_s & 0xffff);
	case PROTO_REG_FLAGS:
		return flags_of(d);
	case PROTO_REG_BOOT_ID:
		return d->id.boot_id;
	case PROTO_REG_CMD_DONE_SEQ:
		return d->cmd_done_seq;
	case PROTO_REG_CMD_RESULT:
		return d->cmd_result;
	case PROTO_REG_PRINTER:
		return d->printer;
	case PROTO_REG_BAD_WRITES:
		return d->bad_writes;
	case PROTO_REG_FIFO_OVERFLOWS:
		return d->fifo.overflows;
	case PROTO_REG_PRINT_ERRORS:
		return d->print_errors;
	case PROTO_REG_STATE:
		return state_of(d);
	case PROTO_REG_EV_COUNT:
		return d->fifo.count;
	default:
		return fifo_reg(&d->fifo, (unsigned)(addr - PROTO_REG_EV_FIRST));
	}
}

static void host_seen(struct fw_device *d)
{
	d->host_ms = d->now_ms;
	d->host_seen = true;
}

int fw_read(struct fw_device *d, uint16_t addr, uint16_t n, uint16_t *out)
{
	uint32_t end = (uint32_t)addr + n;

	host_seen(d);
	if (n == 0 || n > PROTO_MAX_READ)
		return PROTO_EXC_ILLEGAL_VALUE;
	if (end <= PROTO_REG_READ_COUNT) {
		for (uint16_t i = 0; i < n; i++)
			out[i] = read_reg(d, (uint16_t)(addr + i));
		return 0;
	}
	if (addr >= PROTO_HREG_HOST_BOOT && end <= PROTO_HREG_END) {
		memcpy(out, &FW_HREG(d, addr), n * sizeof(*out));
		return 0;
	}
	return PROTO_EXC_ILLEGAL_ADDRESS;
}

/* ---- the host block ---- */

/*
 * Removes from the head of the FIFO every event the ack covers. An ack
 * outside 1..PROTO_SEQ_MAX (the 0 of a host that has processed nothing
 * yet) names no event and covers none.
 */
static void take_ack(struct fw_fifo *f, uint16_t ack)
{
	if (ack == 0 || ack > PROTO_SEQ_MAX)
		return;
	while (f->count > 0 && proto_seq_covered(f->e[f->head].seq, ack)) {
		f->head = (uint8_t)((f->head + 1) % PROTO_FIFO_SIZE);
		f->count--;
	}
}

static uint16_t run_command(struct fw_device *d, uint16_t seq, uint16_t code, const uint16_t *args,
			    uint16_t nargs)
{
	if (nargs > PROTO_CMD_MAX_ARGS || code < PROTO_CMD_SET_SERVICES ||
	    code > PROTO_CMD_DISARM_RATING)
		return PROTO_RESULT_BAD_COMMAND;
	switch (d->type) {
	case PROTO_DEVICE_KIOSK:
		return fw_kiosk_command(d, seq, code, args, nargs);
	case PROTO_DEVICE_WINDOW:
		return fw_window_command(d, code, args, nargs);
	default:
		return fw_display_command(d, code, args, nargs);
	}
}

/*
 * Runs the command in the host block unless it is the one taken last.
 * BUSY leaves CMD_DONE_SEQ as it was, so that the host sends it again.
 */
static void take_command(struct fw_device *d)
{
	uint16_t seq = FW_HREG(d, PROTO_HREG_CMD_SEQ);
	uint16_t result;

	if (seq == 0 || seq == d->cmd_done_seq)
		return;
	result = run_command(d, seq, FW_HREG(d, PROTO_HREG_CMD_CODE),
			     &FW_HREG(d, PROTO_HREG_CMD_ARGS), FW_HREG(d, PROTO_HREG_CMD_NARGS));
	d->cmd_result = result;
	if (result == PROTO_RESULT_BUSY)
		return;
	if (result == PROTO_RESULT_BAD_COMMAND)
		fw_count(&d->bad_writes);
	d->cmd_done_seq = seq;
}

/*
 * The values are stored first; the ack and the command are then taken
 * from the block as it stands, and only under the right HOST_BOOT (a
 * write under another is no error: the host learns the boot id from the
 * read that follows).
 */
int fw_write(struct fw_device *d, uint16_t addr, uint16_t n, const uint16_t *values)
{
	uint32_t end = (uint32_t)addr + n;

	host_seen(d);
	if (n == 0 || n > PROTO_MAX_WRITE) {
		fw_count(&d->bad_writes);
		return PROTO_EXC_ILLEGAL_VALUE;
	}
	if (addr < PROTO_HREG_HOST_BOOT || end > PROTO_HREG_END) {
		fw_count(&d->bad_writes);
		return PROTO_EXC_ILLEGAL_ADDRESS;
	}
	memcpy(&FW_HREG(d, addr), values, n * sizeof(*values));
	if (FW_HREG(d, PROTO_HREG_HOST_BOOT) != d->id.boot_id)
		return 0;
	if (addr <= PROTO_HREG_ACK_SEQ && end > PROTO_HREG_ACK_SEQ)
		take_ack(&d->fifo, FW_HREG(d, PROTO_HREG_ACK_SEQ));
	if (addr <= PROTO_HREG_CMD_SEQ && end > PROTO_HREG_CMD_SEQ)
		take_command(d);
	return 0;
}

/* ---- keys, time, text ---- */

void fw_key(struct fw_device *d, int key)
{
	if (d->type == PROTO_DEVICE_KIOSK)
		fw_kiosk_key(d, key);
	else if (d->type == PROTO_DEVICE_WINDOW)
		fw_window_key(d, key);
}

/*
 * Timeouts first, so that a press at the moment a rating or an entry
 * expires meets the expired state. The debounce looks at all keys as one
 * word: a change restarts the wait, and a word stable for
 * PROTO_DEBOUNCE_MS becomes the debounced state, whose new bits are the
 * presses. A key held down counts once; it must be seen up before it
 * counts again.
 */
void fw_tick(struct fw_device *d, uint32_t now_ms, uint32_t raw_keys)
{
	struct fw_debounce *k = &d->keys;
	uint32_t pressed = 0;

	d->now_ms = now_ms;
	if (d->type == PROTO_DEVICE_KIOSK)
		fw_kiosk_tick(d);
	else if (d->type == PROTO_DEVICE_WINDOW)
		fw_window_tick(d);
	if (raw_keys != k->last_raw) {
		k->last_raw = raw_keys;
		k->since_ms = now_ms;
	} else if (raw_keys != k->stable && now_ms - k->since_ms >= PROTO_DEBOUNCE_MS) {
		pressed = raw_keys & ~k->stable;
		k->stable = raw_keys;
	}
	for (int key = 0; pressed != 0; key++, pressed >>= 1)
		if (pressed & 1)
			fw_key(d, key);
}

const uint8_t *fw_text(const struct fw_device *d, int line, size_t *len)
{
	const uint8_t *text;
	size_t n = 0;

	if (line < 0)
		text = NULL;
	else if (d->type == PROTO_DEVICE_KIOSK)
		text = fw_kiosk_text(d, line, &n);
	else if (d->type == PROTO_DEVICE_WINDOW)
		text = fw_window_text(d, line, &n);
	else
		text = fw_display_text(d, line, &n);
	if (len)
		*len = text ? n : 0;
	return text;
}
