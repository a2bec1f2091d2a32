/*
 * fuzz_firmware.c — the firmware core's register handling (firmware/core)
 * as a Modbus master reaches it: reads and writes of any address and
 * count, the host block's ack and command areas with any contents, mixed
 * with the time passing, key presses and the printer.
 *
 * Input: byte 0 picks the device (kiosk, window terminal, hall display)
 * and the kiosk's buttons; then operations, one byte each and their
 * arguments (fuzz.h reads zeros past the end):
 *   0 write   addr:u16 n:u8 values       fw_write() of any range
 *   1 read    addr:u16 n:u8              fw_read() of any range
 *   2 command seq:u16 code:u8 nargs:u8 args
 *             a write of the whole host block under the right HOST_BOOT,
 *             so that the fuzzer reaches the commands without guessing it
 *   3 ack     seq:u16                    HOST_BOOT and ACK_SEQ, right boot
 *   4 tick    dt_ms:u16 keys:u32         fw_tick()
 *   5 key     key:u8                     fw_key()
 *   6 printer bits:u8                    fw_kiosk_printer()
 *   7 done    ok:u8 bits:u8              fw_kiosk_print_done()
 * Values a write carries are in a buffer of exactly n registers, and a
 * read's out buffer is exactly n registers, so ASan sees any access past
 * them. After every operation the harness checks what the wire contract
 * (proto.h) and fw.h promise: the identity and FIFO registers read whole,
 * EV_COUNT <= 16 with consecutive seqs 1..0x7fff, counters that never go
 * back, the offered buttons among those that exist, display lines that
 * fit and end in a NUL, and every ticket handed to the printer well
 * formed.
 */
#include <string.h>

#include "fuzz.h"
#include "fw.h"

enum { BOOT_ID = 0x5a17, OPS_MAX = 4096 };

struct harness {
	struct fw_device dev;
	uint16_t bad_writes, overflows, print_errors; /* last seen: they only grow */
	int prints;
	bool print_done_inside; /* answer the next print from inside print() */
};

static void on_print(void *arg, const struct fw_ticket *t)
{
	struct harness *h = arg;

	FUZZ_CHECK(memchr(t->label, '\0', sizeof(t->label)) != NULL);
	FUZZ_CHECK(t->token[PROTO_TOKEN_SIZE] == '\0');
	FUZZ_CHECK(t->name_len <= PROTO_NAME_MAX && t->name[t->name_len] == '\0');
	FUZZ_CHECK(t->button < h->dev.u.kiosk.n_buttons);
	FUZZ_CHECK(t->seq != 0);
	h->prints++;
	if (h->print_done_inside) /* fw.h allows the port to answer at once */
		fw_kiosk_print_done(&h->dev, true, PROTO_PRINTER_OK);
}

/* A write of exactly n registers, in a buffer of that size. */
static int write_regs(struct fw_device *d, uint16_t addr, uint16_t n, struct fuzz_in *in,
		      const uint16_t *fixed, uint16_t n_fixed)
{
	uint16_t *v = malloc((n ? n : 1) * sizeof(*v));

	FUZZ_CHECK(v != NULL);
	for (uint16_t k = 0; k < n; k++)
		v[k] = k < n_fixed ? fixed[k] : fuzz_u16(in);
	int exc = fw_write(d, addr, n, v);
	free(v);
	return exc;
}

static void read_regs(struct fw_device *d, uint16_t addr, uint16_t n)
{
	uint16_t *out = malloc((n ? n : 1) * sizeof(*out));
	uint32_t end = (uint32_t)addr + n;

	FUZZ_CHECK(out != NULL);
	int exc = fw_read(d, addr, n, out);
	if (n == 0 || n > PROTO_MAX_READ)
		FUZZ_CHECK(exc == PROTO_EXC_ILLEGAL_VALUE);
	else if (end <= PROTO_REG_READ_COUNT ||
		 (addr >= PROTO_HREG_HOST_BOOT && end <= PROTO_HREG_END))
		FUZZ_CHECK(exc == 0);
	else
		FUZZ_CHECK(exc == PROTO_EXC_ILLEGAL_ADDRESS);
	free(out);
}

static void check_text(const struct fw_device *d)
{
	for (int line = 0; line < 8; line++) {
		size_t len = 99;
		const uint8_t *t = fw_text(d, line, &len);
		if (!t) {
			FUZZ_CHECK(len == 0);
			break;
		}
		FUZZ_CHECK(len < FW_TEXT_SIZE && t[len] == '\0');
	}
}

/* What may be read of the device after any operation. */
static void check_device(struct harness *h)
{
	struct fw_device probe = h->dev, *d = &h->dev;
	uint16_t r[PROTO_REG_READ_COUNT];

	/* on a copy: a read counts as the host polling, which the device
	 * under test must not see */
	FUZZ_CHECK(fw_read(&probe, 0, PROTO_REG_READ_COUNT, r) == 0);
	FUZZ_CHECK(r[PROTO_REG_DEVICE_TYPE] == d->type);
	FUZZ_CHECK(r[PROTO_REG_PROTO_VERSION] == PROTO_VERSION);
	FUZZ_CHECK(r[PROTO_REG_BOOT_ID] == BOOT_ID);
	uint16_t count = r[PROTO_REG_EV_COUNT];
	FUZZ_CHECK(count <= PROTO_FIFO_SIZE);
	for (int k = 0; k < PROTO_FIFO_SIZE; k++) {
		const uint16_t *e = &r[PROTO_REG_EV_FIRST + k * PROTO_EV_REGS];
		if (k >= count) {
			FUZZ_CHECK(e[0] == 0 && e[1] == 0 && e[2] == 0 && e[3] == 0);
			continue;
		}
		FUZZ_CHECK(e[0] >= 1 && e[0] <= PROTO_SEQ_MAX && e[1] != 0);
		if (k > 0)
			FUZZ_CHECK(e[0] == proto_seq_next(e[-PROTO_EV_REGS]));
	}
	FUZZ_CHECK(r[PROTO_REG_BAD_WRITES] >= h->bad_writes);
	FUZZ_CHECK(r[PROTO_REG_FIFO_OVERFLOWS] >= h->overflows);
	FUZZ_CHECK(r[PROTO_REG_PRINT_ERRORS] >= h->print_errors);
	h->bad_writes = r[PROTO_REG_BAD_WRITES];
	h->overflows = r[PROTO_REG_FIFO_OVERFLOWS];
	h->print_errors = r[PROTO_REG_PRINT_ERRORS];
	if (d->type == PROTO_DEVICE_KIOSK) {
		uint16_t offered = fw_kiosk_offered(d);
		FUZZ_CHECK((offered & ~((1u << d->u.kiosk.n_buttons) - 1)) == 0);
		FUZZ_CHECK(r[PROTO_REG_STATE] == fw_kiosk_offered(&probe)); /* polled: online */
	} else if (d->type == PROTO_DEVICE_WINDOW) {
		FUZZ_CHECK(r[PROTO_REG_STATE] <= PROTO_WINDOW_ENTER_REASON);
		FUZZ_CHECK(d->u.window.n_digits <= FW_DIGITS_MAX);
	}
	check_text(d);
}

static void run_op(struct harness *h, struct fuzz_in *in, uint32_t *now_ms)
{
	struct fw_device *d = &h->dev;
	uint8_t op = fuzz_u8(in);

	switch (op % 8) {
	case 0: {
		uint16_t addr = fuzz_u16(in);
		write_regs(d, addr, fuzz_u8(in), in, NULL, 0);
		break;
	}
	case 1: {
		uint16_t addr = fuzz_u16(in);
		read_regs(d, addr, fuzz_u8(in));
		break;
	}
	case 2: {
		uint16_t head[5] = {BOOT_ID, 0, fuzz_u16(in), fuzz_u8(in), fuzz_u8(in)};
		uint16_t n =
		    (uint16_t)(5 + (head[4] < PROTO_CMD_MAX_ARGS ? head[4] : PROTO_CMD_MAX_ARGS));
		head[1] = (uint16_t)(op >> 3); /* an ack of 0..31 in the same write */
		FUZZ_CHECK(write_regs(d, PROTO_HREG_HOST_BOOT, n, in, head, 5) == 0);
		break;
	}
	case 3: {
		uint16_t head[2] = {BOOT_ID, fuzz_u16(in)};
		FUZZ_CHECK(write_regs(d, PROTO_HREG_HOST_BOOT, 2, in, head, 2) == 0);
		break;
	}
	case 4:
		*now_ms += fuzz_u16(in);
		fw_tick(d, *now_ms, fuzz_u32(in));
		break;
	case 5:
		fw_key(d, (int8_t)fuzz_u8(in));
		break;
	case 6:
		fw_kiosk_printer(d, fuzz_u8(in));
		break;
	default: {
		uint8_t ok = fuzz_u8(in);
		h->print_done_inside = ok & 2;
		fw_kiosk_print_done(d, ok & 1, fuzz_u8(in));
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness h; /* big: off the stack */
	struct fuzz_in in = {data, size};
	const struct fw_identity id = {0x0102, 0x00c0ffee, BOOT_ID};
	const struct fw_kiosk_port port = {on_print, &h};
	uint32_t now_ms = 0xfffff000u; /* the clock wraps early in a run */
	uint8_t pick = fuzz_u8(&in);

	memset(&h, 0, sizeof(h));
	switch (pick % 3) {
	case 0:
		fw_kiosk_init(&h.dev, &id, pick / 3 % 17, &port, now_ms);
		break;
	case 1:
		fw_window_init(&h.dev, &id, now_ms);
		break;
	default:
		fw_display_init(&h.dev, &id, now_ms);
		break;
	}
	check_device(&h);
	for (int k = 0; k < OPS_MAX && fuzz_more(&in); k++) {
		run_op(&h, &in, &now_ms);
		check_device(&h);
	}
	return 0;
}
