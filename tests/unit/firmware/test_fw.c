/*
 * test_fw.c — firmware/core/fw.c: the register map, the exactly-once
 * rules for acknowledgements and commands, the event FIFO (order,
 * overflow, seq wrap), the host's presence and the key debounce.
 *
 * Every expected value is worked out by hand from proto.h and fw.h and
 * written next to its assertion; none is copied from the core's output.
 * Events are made with the window terminal's NEXT key (code 0x10, arg 0)
 * where any event will do. The clock is a plain number passed to
 * fw_tick().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fw.h"
#include "test_fw.h"

enum { BOOT = 0x5a5a, T0 = 1000 };

static struct fw_device dev;

static void window(void)
{
	struct fw_identity id = {0x0102, 0x12345678, BOOT};

	fw_window_init(&dev, &id, T0);
}

/* A window that has met its host: HOST_BOOT written. */
static int setup_window(void **state)
{
	(void)state;
	window();
	host_hello(&dev);
	return 0;
}

static void next_key(void)
{
	fw_key(&dev, PROTO_KEY_NEXT);
}

/* ---- identity and status ---- */

static void test_identity_kiosk(void **state)
{
	struct fw_identity id = {0x0102, 0x12345678, 0xbeef};
	uint16_t r[PROTO_REG_EV_FIRST];

	(void)state;
	fw_kiosk_init(&dev, &id, 4, NULL, T0);
	/* 70000 s and 999 ms later: uptime 70000 = 1 << 16 | 4464 */
	fw_tick(&dev, T0 + 70000u * 1000 + 999, 0);
	assert_int_equal(fw_read(&dev, 0, PROTO_REG_EV_FIRST, r), 0);
	assert_int_equal(r[PROTO_REG_DEVICE_TYPE], 1);
	assert_int_equal(r[PROTO_REG_PROTO_VERSION], 1);
	assert_int_equal(r[PROTO_REG_FW_VERSION], 0x0102);
	assert_int_equal(r[PROTO_REG_SERIAL_HI], 0x1234);
	assert_int_equal(r[PROTO_REG_SERIAL_LO], 0x5678);
	assert_int_equal(r[PROTO_REG_UPTIME_HI], 1);
	assert_int_equal(r[PROTO_REG_UPTIME_LO], 4464);
	/* the read itself is the host: online; the printer starts ready */
	assert_int_equal(r[PROTO_REG_FLAGS], PROTO_FLAG_HOST_ONLINE);
	assert_int_equal(r[PROTO_REG_BOOT_ID], 0xbeef);
	assert_int_equal(r[PROTO_REG_CMD_DONE_SEQ], 0);
	assert_int_equal(r[PROTO_REG_CMD_RESULT], 0);
	assert_int_equal(r[PROTO_REG_PRINTER], PROTO_PRINTER_OK);
	assert_int_equal(r[PROTO_REG_BAD_WRITES], 0);
	assert_int_equal(r[PROTO_REG_FIFO_OVERFLOWS], 0);
	assert_int_equal(r[PROTO_REG_PRINT_ERRORS], 0);
	assert_int_equal(r[PROTO_REG_STATE], 0); /* the host allows no button yet */
	assert_int_equal(r[PROTO_REG_EV_COUNT], 0);
}

static void test_identity_window_and_display(void **state)
{
	struct fw_identity id = {0x0203, 0x00010002, 7};
	uint16_t r[PROTO_REG_EV_FIRST];

	(void)state;
	fw_window_init(&dev, &id, 0);
	fw_tick(&dev, 1999, 0); /* 1.999 s: uptime 1 */
	assert_int_equal(fw_read(&dev, 0, PROTO_REG_EV_FIRST, r), 0);
	assert_int_equal(r[PROTO_REG_DEVICE_TYPE], 2);
	assert_int_equal(r[PROTO_REG_FW_VERSION], 0x0203);
	assert_int_equal(r[PROTO_REG_SERIAL_HI], 1);
	assert_int_equal(r[PROTO_REG_SERIAL_LO], 2);
	assert_int_equal(r[PROTO_REG_UPTIME_HI], 0);
	assert_int_equal(r[PROTO_REG_UPTIME_LO], 1);
	assert_int_equal(r[PROTO_REG_FLAGS], PROTO_FLAG_HOST_ONLINE);
	assert_int_equal(r[PROTO_REG_BOOT_ID], 7);
	assert_int_equal(r[PROTO_REG_PRINTER], 0); /* no printer */
	assert_int_equal(r[PROTO_REG_STATE], PROTO_WINDOW_IDLE);

	fw_display_init(&dev, &id, 0);
	assert_int_equal(reg(&dev, PROTO_REG_DEVICE_TYPE), 3);
	assert_int_equal(reg(&dev, PROTO_REG_PRINTER), 0);
	assert_int_equal(reg(&dev, PROTO_REG_STATE), 0);
}

/* BOOT_ID is nonzero even if a port passes 0: 0 is the host's "none". */
static void test_boot_id_never_zero(void **state)
{
	struct fw_identity id = {0x0100, 1, 0};

	(void)state;
	fw_window_init(&dev, &id, 0);
	assert_int_not_equal(reg(&dev, PROTO_REG_BOOT_ID), 0);
	/* a host that writes HOST_BOOT 0 cannot acknowledge */
	next_key();
	host_ack(&dev, 0, 1);
	assert_int_equal(ev_count(&dev), 1);
}

/* ---- reads ---- */

static void test_read_ranges(void **state)
{
	static const struct {
		uint16_t addr, n;
		int exc;
	} cases[] = {
	    {0, 81, 0},                           /* the whole read-only map */
	    {80, 1, 0},                           /* its last register */
	    {100, 121, 0},                        /* the whole host block */
	    {220, 1, 0},                          /* its last register */
	    {81, 1, PROTO_EXC_ILLEGAL_ADDRESS},   /* the gap */
	    {99, 1, PROTO_EXC_ILLEGAL_ADDRESS},   /* the gap */
	    {80, 2, PROTO_EXC_ILLEGAL_ADDRESS},   /* 80..81 crosses into the gap */
	    {99, 2, PROTO_EXC_ILLEGAL_ADDRESS},   /* 99..100 too */
	    {0, 125, PROTO_EXC_ILLEGAL_ADDRESS},  /* 0..124 */
	    {200, 30, PROTO_EXC_ILLEGAL_ADDRESS}, /* 200..229 past 220 */
	    {221, 1, PROTO_EXC_ILLEGAL_ADDRESS},
	    {65535, 1, PROTO_EXC_ILLEGAL_ADDRESS},
	    {0, 0, PROTO_EXC_ILLEGAL_VALUE},
	    {0, 126, PROTO_EXC_ILLEGAL_VALUE},
	    {100, 126, PROTO_EXC_ILLEGAL_VALUE},
	};
	uint16_t out[130];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 0xee, sizeof(out));
		assert_int_equal(fw_read(&dev, cases[i].addr, cases[i].n, out), cases[i].exc);
		if (cases[i].exc) /* nothing written to out */
			assert_int_equal(out[0], 0xeeee);
	}
	/* reads are no bad writes */
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 0);
}

static void test_unused_fifo_reads_zero(void **state)
{
	uint16_t r[PROTO_FIFO_SIZE * PROTO_EV_REGS];

	(void)state;
	memset(r, 0xee, sizeof(r));
	assert_int_equal(fw_read(&dev, PROTO_REG_EV_FIRST, N_ARGS(r), r), 0);
	for (size_t i = 0; i < N_ARGS(r); i++)
		assert_int_equal(r[i], 0);
	/* one event: entry 0 filled, entry 1 (regs 21..24) still 0 */
	next_key();
	assert_int_equal(fw_read(&dev, PROTO_REG_EV_FIRST, 8, r), 0);
	assert_int_equal(r[0], 1);
	assert_int_equal(r[1], PROTO_EV_NEXT);
	for (int i = 4; i < 8; i++)
		assert_int_equal(r[i], 0);
}

static void test_host_block_reads_back(void **state)
{
	uint16_t w[3] = {0x1111, 0x2222, 0x3333}, r[3];

	(void)state;
	write_ok(&dev, 150, 3, w);
	assert_int_equal(fw_read(&dev, 150, 3, r), 0);
	assert_memory_equal(r, w, sizeof(w));
	write_ok(&dev, 220, 1, w);
	assert_int_equal(reg(&dev, 220), 0x1111);
	/* HOST_BOOT reads back as written */
	assert_int_equal(reg(&dev, PROTO_HREG_HOST_BOOT), BOOT);
}

/* ---- writes ---- */

static void test_write_refused_changes_nothing(void **state)
{
	static const struct {
		uint16_t addr, n;
		int exc;
	} cases[] = {
	    {100, 0, PROTO_EXC_ILLEGAL_VALUE},     {100, 124, PROTO_EXC_ILLEGAL_VALUE},
	    {99, 1, PROTO_EXC_ILLEGAL_ADDRESS},    /* below the host block */
	    {99, 3, PROTO_EXC_ILLEGAL_ADDRESS},    /* starting below it */
	    {8, 1, PROTO_EXC_ILLEGAL_ADDRESS},     /* a read-only register */
	    {0, 1, PROTO_EXC_ILLEGAL_ADDRESS},     /* identity */
	    {221, 1, PROTO_EXC_ILLEGAL_ADDRESS},   /* past the block */
	    {220, 2, PROTO_EXC_ILLEGAL_ADDRESS},   /* crossing its end */
	    {100, 123, PROTO_EXC_ILLEGAL_ADDRESS}, /* 100..222 */
	};
	uint16_t w[123], before[121], after[121];

	(void)state;
	/* a command that would be taken if any of these writes were */
	for (size_t i = 0; i < N_ARGS(w); i++)
		w[i] = 0;
	w[0] = BOOT;
	w[2] = 9;                    /* CMD_SEQ */
	w[3] = PROTO_CMD_ARM_RATING; /* CMD_CODE */
	w[4] = 2;                    /* NARGS */
	w[5] = 1, w[6] = 30;         /* ticket 1, 30 s */
	assert_int_equal(fw_read(&dev, PROTO_HREG_HOST_BOOT, 121, before), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(fw_write(&dev, cases[i].addr, cases[i].n, w), cases[i].exc);
	assert_int_equal(fw_read(&dev, PROTO_HREG_HOST_BOOT, 121, after), 0);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), 0);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_RATING_ARMED, 0);
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 9); /* one per refused write */
	/* the largest write there is: 100..220, 121 registers */
	write_ok(&dev, PROTO_HREG_HOST_BOOT, 121, w);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), 9);
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 9);
}

/* ---- the FIFO and acknowledgements ---- */

static void test_fifo_order_and_layout(void **state)
{
	uint16_t r[1 + 3 * PROTO_EV_REGS + 1];

	(void)state;
	next_key();                     /* seq 1: NEXT 0 */
	fw_key(&dev, PROTO_KEY_FINISH); /* seq 2: FINISH 0 */
	fw_key(&dev, PROTO_KEY_LOGIN);  /* LOGIN 1001 / 2222 */
	fw_key(&dev, 1), fw_key(&dev, 0), fw_key(&dev, 0), fw_key(&dev, 1);
	fw_key(&dev, PROTO_KEY_ENTER);
	for (int i = 0; i < 4; i++)
		fw_key(&dev, 2);
	fw_key(&dev, PROTO_KEY_ENTER); /* seq 3: LOGIN 1001 << 16 | 2222 */
	assert_int_equal(fw_read(&dev, PROTO_REG_EV_COUNT, N_ARGS(r), r), 0);
	uint16_t want[] = {3, 1, 0x10, 0,    0,    2,    0x14,
			   0, 0, 3,    0x18, 1001, 2222, 0 /* entry 3 unused */};
	assert_memory_equal(r, want, sizeof(want));
}

static void test_ack_removes_covered(void **state)
{
	(void)state;
	next_key(), next_key(), next_key(); /* seqs 1, 2, 3 */
	host_ack(&dev, BOOT, 2);
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 3, PROTO_EV_NEXT, 0);
	host_ack(&dev, BOOT, 1); /* an older ack: nothing more */
	assert_int_equal(ev_count(&dev), 1);
	host_ack(&dev, BOOT, 2); /* the same again: nothing */
	assert_int_equal(ev_count(&dev), 1);
	host_ack(&dev, BOOT, 3);
	assert_int_equal(ev_count(&dev), 0);
	/* an ack ahead of every event covers what is there */
	next_key(), next_key(); /* seqs 4, 5 */
	host_ack(&dev, BOOT, 9);
	assert_int_equal(ev_count(&dev), 0);
	next_key(); /* seq 6 */
	assert_event(&dev, 0, 6, PROTO_EV_NEXT, 0);
	/* an ack is no bad write */
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 0);
}

/* The ack is taken only under the device's boot id, and only when the
 * write covers ACK_SEQ. */
static void test_ack_needs_host_boot(void **state)
{
	uint16_t v;

	(void)state;
	next_key(), next_key(); /* seqs 1, 2 */
	host_ack(&dev, BOOT ^ 1, 2);
	assert_int_equal(ev_count(&dev), 2);
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 0); /* not an error either */
	/* ACK_SEQ alone, HOST_BOOT still the wrong one written above */
	v = 2;
	write_ok(&dev, PROTO_HREG_ACK_SEQ, 1, &v);
	assert_int_equal(ev_count(&dev), 2);
	/* HOST_BOOT alone, right now: the write does not cover ACK_SEQ */
	v = BOOT;
	write_ok(&dev, PROTO_HREG_HOST_BOOT, 1, &v);
	assert_int_equal(ev_count(&dev), 2);
	/* a command from CMD_SEQ on does not cover ACK_SEQ either */
	assert_int_equal(command(&dev, 4, PROTO_CMD_DISARM_RATING, NULL, 0), PROTO_RESULT_OK);
	assert_int_equal(ev_count(&dev), 2);
	/* ACK_SEQ alone under the right HOST_BOOT */
	v = 1;
	write_ok(&dev, PROTO_HREG_ACK_SEQ, 1, &v);
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 2, PROTO_EV_NEXT, 0);
}

/* Zero is no event's seq: the ack of a host that has processed nothing. */
static void test_ack_zero_covers_nothing(void **state)
{
	(void)state;
	next_key();
	host_ack(&dev, BOOT, 0);
	assert_int_equal(ev_count(&dev), 1);
}

static void test_overflow_keeps_oldest(void **state)
{
	(void)state;
	for (int i = 0; i < PROTO_FIFO_SIZE + 2; i++) /* 18 presses, 16 places */
		next_key();
	assert_int_equal(ev_count(&dev), 16);
	assert_int_equal(reg(&dev, PROTO_REG_FIFO_OVERFLOWS), 2);
	assert_true(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_FIFO_OVERFLOW);
	for (int k = 0; k < PROTO_FIFO_SIZE; k++)
		assert_event(&dev, k, (uint16_t)(k + 1), PROTO_EV_NEXT, 0); /* seqs 1..16 */
	/* the dropped presses took no seq: the next event is 17 */
	host_ack(&dev, BOOT, 16);
	assert_int_equal(ev_count(&dev), 0);
	next_key();
	assert_event(&dev, 0, 17, PROTO_EV_NEXT, 0);
	/* the flag stays: an event was dropped since boot */
	assert_true(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_FIFO_OVERFLOW);
	assert_int_equal(reg(&dev, PROTO_REG_FIFO_OVERFLOWS), 2);
}

/* Seqs run 1..0x7fff and wrap to 1; acks work across the wrap. */
static void test_seq_wrap(void **state)
{
	(void)state;
	/* 0x7ffd events, each acknowledged: the next seq is 0x7ffe */
	for (uint16_t s = 1; s <= 0x7ffd; s++) {
		next_key();
		host_ack(&dev, BOOT, s);
	}
	assert_int_equal(ev_count(&dev), 0);
	for (int i = 0; i < 5; i++)
		next_key(); /* 0x7ffe, 0x7fff, 1, 2, 3 */
	assert_event(&dev, 0, 0x7ffe, PROTO_EV_NEXT, 0);
	assert_event(&dev, 1, 0x7fff, PROTO_EV_NEXT, 0);
	assert_event(&dev, 2, 1, PROTO_EV_NEXT, 0);
	assert_event(&dev, 4, 3, PROTO_EV_NEXT, 0);
	host_ack(&dev, BOOT, 0); /* nothing: 0 is no seq, not "0x7fff + 1" */
	assert_int_equal(ev_count(&dev), 5);
	host_ack(&dev, BOOT, 0x7fff); /* 0x7ffe and 0x7fff */
	assert_int_equal(ev_count(&dev), 3);
	assert_event(&dev, 0, 1, PROTO_EV_NEXT, 0);
	host_ack(&dev, BOOT, 0x7ffe); /* older than what is left: nothing */
	assert_int_equal(ev_count(&dev), 3);
	host_ack(&dev, BOOT, 2); /* 1 and 2 */
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 3, PROTO_EV_NEXT, 0);
}

/* One ack across the wrap takes events on both sides of it. */
static void test_ack_across_wrap(void **state)
{
	(void)state;
	for (uint16_t s = 1; s <= 0x7ffd; s++) {
		next_key();
		host_ack(&dev, BOOT, s);
	}
	next_key(), next_key(), next_key(), next_key(); /* 0x7ffe, 0x7fff, 1, 2 */
	host_ack(&dev, BOOT, 1);
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 2, PROTO_EV_NEXT, 0);
}

/* ---- commands ---- */

/* A command is taken once per CMD_SEQ, however often the block is written. */
static void test_command_taken_once(void **state)
{
	uint16_t arm[2] = {22, 30}; /* ticket 22, 30 s */

	(void)state;
	assert_int_equal(command(&dev, 7, PROTO_CMD_ARM_RATING, arm, 2), PROTO_RESULT_OK);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), 7);
	fw_key(&dev, PROTO_KEY_RATE_1); /* the one rating */
	assert_int_equal(ev_count(&dev), 1);
	/* the host writes the same block again (its reply was lost) */
	assert_int_equal(command(&dev, 7, PROTO_CMD_ARM_RATING, arm, 2), PROTO_RESULT_OK);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_RATING_ARMED, 0);
	fw_key(&dev, PROTO_KEY_RATE_1);
	assert_int_equal(ev_count(&dev), 1); /* not re-armed */
	/* a new seq is a new command */
	assert_int_equal(command(&dev, 8, PROTO_CMD_ARM_RATING, arm, 2), PROTO_RESULT_OK);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), 8);
	assert_true(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_RATING_ARMED);
}

static void test_command_seq_zero_is_none(void **state)
{
	uint16_t arm[2] = {22, 30};

	(void)state;
	command(&dev, 0, PROTO_CMD_ARM_RATING, arm, 2);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), 0);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_RATING_ARMED, 0);
}

/* Under another HOST_BOOT the command waits; it is taken when a write
 * covering CMD_SEQ comes under the right one. */
static void test_command_needs_host_boot(void **state)
{
	uint16_t w[7] = {BOOT ^ 0x100, 0, 5, PROTO_CMD_ARM_RATING, 2, 22, 30}, v;

	(void)state;
	write_ok(&dev, PROTO_HREG_HOST_BOOT, 7, w);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), 0);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_RATING_ARMED, 0);
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 0);
	/* HOST_BOOT and ACK_SEQ right, CMD_SEQ not written: still nothing */
	host_ack(&dev, BOOT, 0);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), 0);
	/* CMD_SEQ written (the rest of the block as it stands) */
	v = 5;
	write_ok(&dev, PROTO_HREG_CMD_SEQ, 1, &v);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), 5);
	assert_true(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_RATING_ARMED);
}

/* Ack and command in one write: the ack first, then the command. */
static void test_ack_and_command_in_one_write(void **state)
{
	uint16_t w[7] = {BOOT, 1, 3, PROTO_CMD_ARM_RATING, 2, 40, 60};

	(void)state;
	next_key(); /* seq 1 */
	write_ok(&dev, PROTO_HREG_HOST_BOOT, 7, w);
	assert_int_equal(ev_count(&dev), 0);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), 3);
	fw_key(&dev, PROTO_KEY_RATE_2); /* seq 2: RATE 2 << 16 | 40 */
	assert_event(&dev, 0, 2, PROTO_EV_RATE, 2u << 16 | 40);
}

static void test_bad_commands(void **state)
{
	static const struct {
		uint16_t code, nargs, result;
	} cases[] = {
	    {0, 0, PROTO_RESULT_BAD_COMMAND},                         /* no such code */
	    {6, 0, PROTO_RESULT_BAD_COMMAND},                         /* no such code */
	    {0xffff, 0, PROTO_RESULT_BAD_COMMAND},                    /* no such code */
	    {PROTO_CMD_DISARM_RATING, 117, PROTO_RESULT_BAD_COMMAND}, /* nargs > 116 */
	    {PROTO_CMD_SET_SERVICES, 1, PROTO_RESULT_NOT_SUPPORTED},  /* a kiosk's */
	    {PROTO_CMD_PRINT, 52, PROTO_RESULT_NOT_SUPPORTED},        /* a kiosk's */
	    {PROTO_CMD_DISARM_RATING, 116, PROTO_RESULT_OK},          /* extra args are fine */
	};
	uint16_t seq = 10, bad = 0;
	uint16_t w[3] = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++, seq++) {
		w[0] = seq, w[1] = cases[i].code, w[2] = cases[i].nargs;
		write_ok(&dev, PROTO_HREG_CMD_SEQ, 3, w);
		assert_int_equal(reg(&dev, PROTO_REG_CMD_RESULT), cases[i].result);
		assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), seq); /* taken all the same */
		if (cases[i].result == PROTO_RESULT_BAD_COMMAND)
			bad++;
		assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), bad);
	}
	assert_int_equal(bad, 4);
}

/* ---- the host's presence ---- */

static void test_host_online(void **state)
{
	struct fw_identity id = {0x0100, 1, BOOT};
	struct fw_kiosk_port port = {NULL, NULL};
	uint16_t mask = 1;

	(void)state;
	fw_kiosk_init(&dev, &id, 1, &port, T0);
	assert_int_equal(fw_kiosk_offered(&dev), 0); /* never seen */
	host_hello(&dev);                            /* at T0 */
	command(&dev, 1, PROTO_CMD_SET_SERVICES, &mask, 1);
	assert_int_equal(fw_kiosk_offered(&dev), 1);
	fw_tick(&dev, T0 + 4999, 0);
	assert_int_equal(fw_kiosk_offered(&dev), 1);
	fw_tick(&dev, T0 + 5000, 0); /* 5000 ms without a poll: offline */
	assert_int_equal(fw_kiosk_offered(&dev), 0);
	/* a read is a poll too, and so is a refused one */
	uint16_t v;
	assert_int_equal(fw_read(&dev, 90, 1, &v), PROTO_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(fw_kiosk_offered(&dev), 1);
	assert_true(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_HOST_ONLINE);
	fw_tick(&dev, T0 + 10000, 0);
	assert_int_equal(fw_kiosk_offered(&dev), 0);
}

/* ---- the debounce ---- */

#define K_NEXT   (1u << PROTO_KEY_NEXT)
#define K_FINISH (1u << PROTO_KEY_FINISH)

static void test_debounce_press_release(void **state)
{
	(void)state;
	fw_tick(&dev, 1000, 0);
	fw_tick(&dev, 1010, K_NEXT); /* down at 1010 */
	fw_tick(&dev, 1029, K_NEXT); /* 19 ms: not yet */
	assert_int_equal(ev_count(&dev), 0);
	fw_tick(&dev, 1030, K_NEXT); /* 20 ms stable: one press */
	assert_int_equal(ev_count(&dev), 1);
	fw_tick(&dev, 1100, K_NEXT); /* held: still one */
	fw_tick(&dev, 5000, K_NEXT);
	assert_int_equal(ev_count(&dev), 1);
	fw_tick(&dev, 5010, 0);      /* up */
	fw_tick(&dev, 5020, K_NEXT); /* down again after 10 ms up: not a release */
	fw_tick(&dev, 5060, K_NEXT);
	assert_int_equal(ev_count(&dev), 1);
	fw_tick(&dev, 5100, 0); /* up ... */
	fw_tick(&dev, 5120, 0); /* ... for 20 ms: released */
	fw_tick(&dev, 5130, K_NEXT);
	fw_tick(&dev, 5150, K_NEXT); /* the second press */
	assert_int_equal(ev_count(&dev), 2);
}

static void test_debounce_chatter(void **state)
{
	(void)state;
	const uint32_t b = 2000; /* the times below count from here */

	fw_tick(&dev, b, 0);
	/* bounces every 5 ms for 60 ms, then up: never a press */
	for (uint32_t t = 5; t <= 60; t += 5)
		fw_tick(&dev, b + t, (t / 5) % 2 ? K_NEXT : 0);
	fw_tick(&dev, b + 60, 0);
	fw_tick(&dev, b + 200, 0);
	assert_int_equal(ev_count(&dev), 0);
	/* bounces, then settles down at 230: one press, at 250 */
	fw_tick(&dev, b + 210, K_NEXT);
	fw_tick(&dev, b + 219, 0);
	fw_tick(&dev, b + 225, K_NEXT);
	fw_tick(&dev, b + 228, 0);
	fw_tick(&dev, b + 230, K_NEXT);
	fw_tick(&dev, b + 249, K_NEXT);
	assert_int_equal(ev_count(&dev), 0);
	fw_tick(&dev, b + 250, K_NEXT);
	fw_tick(&dev, b + 400, K_NEXT);
	assert_int_equal(ev_count(&dev), 1);
}

/* Keys that settle together are pressed in key order. */
static void test_debounce_two_keys(void **state)
{
	(void)state;
	fw_tick(&dev, 2000, K_FINISH | K_NEXT);
	fw_tick(&dev, 2020, K_FINISH | K_NEXT);
	assert_int_equal(ev_count(&dev), 2);
	assert_event(&dev, 0, 1, PROTO_EV_NEXT, 0);   /* key 10 */
	assert_event(&dev, 1, 2, PROTO_EV_FINISH, 0); /* key 14 */
	/* NEXT released, FINISH held: nothing new */
	fw_tick(&dev, 2030, K_FINISH);
	fw_tick(&dev, 2050, K_FINISH);
	assert_int_equal(ev_count(&dev), 2);
}

/* fw_key is a clean press: no wait. */
static void test_key_is_clean(void **state)
{
	(void)state;
	next_key();
	next_key();
	assert_int_equal(ev_count(&dev), 2);
	fw_key(&dev, -1); /* out of range: nothing */
	fw_key(&dev, PROTO_KEY_COUNT);
	fw_key(&dev, 31);
	assert_int_equal(ev_count(&dev), 2);
}

int main(void)
{
#define W(t) cmocka_unit_test_setup(t, setup_window)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity_kiosk),
	    cmocka_unit_test(test_identity_window_and_display),
	    cmocka_unit_test(test_boot_id_never_zero),
	    W(test_read_ranges),
	    W(test_unused_fifo_reads_zero),
	    W(test_host_block_reads_back),
	    W(test_write_refused_changes_nothing),
	    W(test_fifo_order_and_layout),
	    W(test_ack_removes_covered),
	    W(test_ack_needs_host_boot),
	    W(test_ack_zero_covers_nothing),
	    W(test_overflow_keeps_oldest),
	    W(test_seq_wrap),
	    W(test_ack_across_wrap),
	    W(test_command_taken_once),
	    W(test_command_seq_zero_is_none),
	    W(test_command_needs_host_boot),
	    W(test_ack_and_command_in_one_write),
	    W(test_bad_commands),
	    cmocka_unit_test(test_host_online),
	    W(test_debounce_press_release),
	    W(test_debounce_chatter),
	    W(test_debounce_two_keys),
	    W(test_key_is_clean),
	};
#undef W
	return cmocka_run_group_tests(tests, NULL, NULL);
}
