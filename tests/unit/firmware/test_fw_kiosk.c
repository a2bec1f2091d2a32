/*
 * test_fw_kiosk.c — firmware/core/kiosk.c: the buttons offered (host
 * mask, host presence, printer), BUTTON events and the green channel,
 * PRINT decoded into a struct fw_ticket, BUSY while a ticket prints, the
 * printed / failed / printer events, and the kiosk's line of text.
 *
 * Every expected value is worked out by hand from proto.h and fw.h (the
 * register layout of PRINT, the event args, the GB18030 bytes of the
 * text) and written next to its assertion. The printer is a recording
 * struct fw_kiosk_port; the clock a plain number. Time moves in steps of
 * under PROTO_HOST_TIMEOUT_MS with a poll at each (poll_at), so that the
 * host stays online unless a test lets it go.
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

enum { BOOT = 0x1111, T0 = 1000, GREEN = FW_KIOSK_KEY_GREEN };

#define PAUSED "\xd4\xdd\xcd\xa3\xc8\xa1\xba\xc5"                 /* 暂停取号 */
#define OFFER  "\xc7\xeb\xb0\xb4\xd2\xb5\xce\xf1\xc8\xa1\xba\xc5" /* 请按业务取号 */

static struct fw_device dev;

/* The printer: what print() was given. */
static struct {
	int calls;
	struct fw_ticket last;
	bool done_at_once; /* answer from inside print(), as a fast port may */
} printer;

static void print(void *arg, const struct fw_ticket *t)
{
	assert_ptr_equal(arg, &printer);
	printer.calls++;
	printer.last = *t;
	if (printer.done_at_once)
		fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
}

static void kiosk(int n_buttons)
{
	struct fw_identity id = {0x0100, 42, BOOT};
	struct fw_kiosk_port port = {print, &printer};

	memset(&printer, 0, sizeof(printer));
	fw_kiosk_init(&dev, &id, n_buttons, &port, T0);
	host_hello(&dev);
}

/* A 4-button kiosk whose host knows its boot id. */
static int setup(void **state)
{
	(void)state;
	kiosk(4);
	return 0;
}

static uint16_t seq = 1;

static uint16_t set_services(uint16_t mask)
{
	return command(&dev, seq++, PROTO_CMD_SET_SERVICES, &mask, 1);
}

/* The clock moves to t and the host polls. */
static void poll_at(uint32_t t)
{
	fw_tick(&dev, t, 0);
	(void)reg(&dev, PROTO_REG_BOOT_ID);
}

/*
 * PRINT of A023, button 2, green channel, 5 ahead, 12 min, 2024-05-01
 * 09:15, ticket 22, token 0123456789abcdef, service 企业注册, packed by
 * hand after proto.h's PROTO_PRINT_*.
 */
static const uint16_t a023[] = {
    0x4130, 0x3233, 0x0000, /* "A0" "23" "\0\0" */
    2,                      /* button */
    1,                      /* class: green channel */
    5,                      /* ahead */
    12,                     /* wait_min */
    308,    55413,          /* 308 * 65536 + 55413 = 20240501 */
    555,                    /* 9 * 60 + 15 */
    22,                     /* ticket */
    0x3031, 0x3233, 0x3435, 0x3637, 0x3839, 0x6162, 0x6364, 0x6566, /* token */
    8,                                                              /* name bytes */
    0xc6f3, 0xd2b5, 0xd7a2, 0xb2e1,                                 /* 企业注册 in GB18030 */
};

#define A023_NAME "\xc6\xf3\xd2\xb5\xd7\xa2\xb2\xe1"

enum { PRINT_SEQ = 0x8002, PRINT_SEQ2 = 0x8003 };

static uint16_t print_a023(uint16_t cmd_seq)
{
	return command(&dev, cmd_seq, PROTO_CMD_PRINT, a023, N_ARGS(a023));
}

/* ---- buttons ---- */

static void test_nothing_offered_before_services(void **state)
{
	(void)state;
	assert_int_equal(fw_kiosk_offered(&dev), 0);
	assert_int_equal(reg(&dev, PROTO_REG_STATE), 0);
	assert_text(&dev, 0, PAUSED, 8);
	assert_null(fw_text(&dev, 1, NULL));
	assert_null(fw_text(&dev, -1, NULL));
	fw_key(&dev, 0);
	assert_int_equal(ev_count(&dev), 0);
}

static void test_set_services(void **state)
{
	(void)state;
	assert_int_equal(set_services(0x5), PROTO_RESULT_OK); /* buttons 0 and 2 */
	assert_int_equal(fw_kiosk_offered(&dev), 0x5);
	assert_int_equal(reg(&dev, PROTO_REG_STATE), 0x5);
	assert_text(&dev, 0, OFFER, 12);
	fw_key(&dev, 1); /* not offered: no event */
	fw_key(&dev, 2);
	fw_key(&dev, 0);
	assert_int_equal(ev_count(&dev), 2);
	assert_event(&dev, 0, 1, PROTO_EV_BUTTON, 2); /* button 2, class 0 */
	assert_event(&dev, 1, 2, PROTO_EV_BUTTON, 0);
	/* bits past the 4 buttons are not offered */
	assert_int_equal(set_services(0xffff), PROTO_RESULT_OK);
	assert_int_equal(fw_kiosk_offered(&dev), 0xf);
	for (int key = 4; key < GREEN; key++)
		fw_key(&dev, key);
	assert_int_equal(ev_count(&dev), 2);
	/* no argument: a bad command, the mask stays */
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SET_SERVICES, NULL, 0),
			 PROTO_RESULT_BAD_COMMAND);
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 1);
	assert_int_equal(fw_kiosk_offered(&dev), 0xf);
	/* 0: nothing offered, 暂停取号 */
	set_services(0);
	assert_int_equal(reg(&dev, PROTO_REG_STATE), 0);
	assert_text(&dev, 0, PAUSED, 8);
}

static void test_button_count_limits(void **state)
{
	(void)state;
	kiosk(15);
	set_services(0xffff);
	assert_int_equal(fw_kiosk_offered(&dev), 0x7fff); /* 15 buttons */
	fw_key(&dev, 14);
	assert_event(&dev, 0, 1, PROTO_EV_BUTTON, 14);
	kiosk(40); /* more than a kiosk has: 15 */
	set_services(0xffff);
	assert_int_equal(fw_kiosk_offered(&dev), 0x7fff);
	kiosk(0); /* fewer than one: 1 */
	set_services(0xffff);
	assert_int_equal(fw_kiosk_offered(&dev), 0x1);
}

/* The host gone: nothing offered, 暂停取号, presses ignored. */
static void test_host_offline_offers_nothing(void **state)
{
	(void)state;
	set_services(0xf); /* at T0 */
	fw_tick(&dev, T0 + 4999, 0);
	assert_int_equal(fw_kiosk_offered(&dev), 0xf);
	fw_tick(&dev, T0 + 5000, 0);
	assert_int_equal(fw_kiosk_offered(&dev), 0);
	assert_text(&dev, 0, PAUSED, 8);
	fw_key(&dev, 0);
	fw_tick(&dev, T0 + 6000, 1u << 1); /* button 1 down ... */
	fw_tick(&dev, T0 + 6020, 1u << 1); /* ... and debounced: not offered */
	fw_tick(&dev, T0 + 6040, 0);
	fw_tick(&dev, T0 + 6060, 0);
	/* the host polls again: the events are none, the buttons are back */
	assert_int_equal(ev_count(&dev), 0);
	assert_int_equal(fw_kiosk_offered(&dev), 0xf);
	assert_int_equal(reg(&dev, PROTO_REG_STATE), 0xf);
	assert_text(&dev, 0, OFFER, 12);
}

static void test_green_channel(void **state)
{
	(void)state;
	set_services(0x3);
	fw_key(&dev, GREEN);
	fw_key(&dev, 1);
	fw_key(&dev, 1); /* green was used up */
	assert_event(&dev, 0, 1, PROTO_EV_BUTTON, 1 | 1 << 8);
	assert_event(&dev, 1, 2, PROTO_EV_BUTTON, 1);
	/* a press of a button not offered leaves green armed */
	fw_key(&dev, GREEN);
	fw_key(&dev, 2);
	fw_key(&dev, 0);
	assert_int_equal(ev_count(&dev), 3);
	assert_event(&dev, 2, 3, PROTO_EV_BUTTON, 0 | 1 << 8);
	/* the green key alone is no event */
	fw_key(&dev, GREEN);
	assert_int_equal(ev_count(&dev), 3);
}

static void test_green_timeout(void **state)
{
	uint32_t t = T0 + 100;

	(void)state;
	set_services(0x1);
	poll_at(t);
	fw_key(&dev, GREEN); /* at t */
	poll_at(t + 4000), poll_at(t + 8000), poll_at(t + 9999);
	fw_key(&dev, 0); /* 9999 ms later: still green */
	assert_event(&dev, 0, 1, PROTO_EV_BUTTON, 0x100);
	t += 20000;
	poll_at(t);
	fw_key(&dev, GREEN);
	poll_at(t + 4000), poll_at(t + 8000), poll_at(t + 10000);
	fw_key(&dev, 0); /* 10000 ms later: green has ended */
	assert_event(&dev, 1, 2, PROTO_EV_BUTTON, 0);
}

/* Raw keys: the green key and the buttons go through the debounce. */
static void test_green_by_raw_keys(void **state)
{
	(void)state;
	set_services(0x4);
	fw_tick(&dev, T0 + 10, 1u << GREEN);
	fw_tick(&dev, T0 + 30, 1u << GREEN); /* green pressed */
	fw_tick(&dev, T0 + 40, 0);
	fw_tick(&dev, T0 + 60, 0);
	fw_tick(&dev, T0 + 70, 1u << 2);
	fw_tick(&dev, T0 + 90, 1u << 2); /* button 2 pressed */
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 1, PROTO_EV_BUTTON, 2 | 1 << 8);
}

/* ---- printing ---- */

static void test_print_decode(void **state)
{
	const struct fw_ticket *t = &printer.last;

	(void)state;
	assert_int_equal(print_a023(PRINT_SEQ), PROTO_RESULT_OK);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), PRINT_SEQ);
	assert_int_equal(printer.calls, 1);
	assert_int_equal(t->seq, PRINT_SEQ);
	assert_memory_equal(t->label, "A023\0\0\0", 7);
	assert_int_equal(t->button, 2);
	assert_int_equal(t->cls, 1);
	assert_int_equal(t->ahead, 5);
	assert_int_equal(t->wait_min, 12);
	assert_int_equal(t->date, 20240501);
	assert_int_equal(t->minute, 555);
	assert_int_equal(t->ticket, 22);
	assert_string_equal(t->token, "0123456789abcdef");
	assert_int_equal(t->name_len, 8);
	assert_memory_equal(t->name, A023_NAME, 9); /* and the NUL */
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_PRINTING, PROTO_FLAG_PRINTING);
	assert_int_equal(ev_count(&dev), 0); /* nothing until the printer answers */
	fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 1, PROTO_EV_PRINTED, PRINT_SEQ);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_PRINTING, 0);
	assert_int_equal(reg(&dev, PROTO_REG_PRINT_ERRORS), 0);
	/* the same block written again: printed once */
	print_a023(PRINT_SEQ);
	assert_int_equal(printer.calls, 1);
}

/* Odd name lengths and a label of all six bytes. */
static void test_print_odd_lengths(void **state)
{
	uint16_t a[PROTO_PRINT_NAME + 2];

	(void)state;
	memcpy(a, a023, sizeof(uint16_t) * PROTO_PRINT_NAME);
	a[0] = 0x4231, a[1] = 0x3233, a[2] = 0x3435; /* "B12345" */
	a[PROTO_PRINT_NAME_LEN] = 3;
	a[PROTO_PRINT_NAME] = 0x6162, a[PROTO_PRINT_NAME + 1] = 0x6300; /* "abc" */
	assert_int_equal(command(&dev, 0x8010, PROTO_CMD_PRINT, a, N_ARGS(a)), PROTO_RESULT_OK);
	assert_string_equal(printer.last.label, "B12345");
	assert_int_equal(printer.last.name_len, 3);
	assert_memory_equal(printer.last.name, "abc", 4);
	fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
	/* an empty name: nargs 20 is enough */
	a[PROTO_PRINT_NAME_LEN] = 0;
	assert_int_equal(command(&dev, 0x8011, PROTO_CMD_PRINT, a, PROTO_PRINT_NAME),
			 PROTO_RESULT_OK);
	assert_int_equal(printer.last.name_len, 0);
	assert_int_equal(printer.last.name[0], 0);
	assert_int_equal(printer.calls, 2);
}

static void test_print_busy(void **state)
{
	(void)state;
	print_a023(PRINT_SEQ);
	assert_int_equal(print_a023(PRINT_SEQ2), PROTO_RESULT_BUSY);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), PRINT_SEQ); /* unchanged */
	assert_int_equal(printer.calls, 1);
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 0);
	fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
	/* the host sends it again: now it prints */
	assert_int_equal(print_a023(PRINT_SEQ2), PROTO_RESULT_OK);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), PRINT_SEQ2);
	assert_int_equal(printer.calls, 2);
	assert_int_equal(printer.last.seq, PRINT_SEQ2);
	/* SET_SERVICES is taken while a ticket prints */
	assert_int_equal(set_services(0x1), PROTO_RESULT_OK);
	assert_int_equal(fw_kiosk_offered(&dev), 0x1);
}

/*
 * After a host restart the host sends again the print it owes; the kiosk
 * took it before and CMD_DONE_SEQ has moved on (SET_SERVICES): the print
 * is STALE, not printed twice. A newer print still prints, and seqs count
 * round the wrap (0x8001 after 0xffff is newer).
 */
static void test_print_stale(void **state)
{
	(void)state;
	assert_int_equal(print_a023(PRINT_SEQ), PROTO_RESULT_OK);
	fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
	assert_int_equal(set_services(0x3), PROTO_RESULT_OK); /* CMD_DONE_SEQ moves on */
	assert_int_equal(print_a023(PRINT_SEQ), PROTO_RESULT_STALE);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), PRINT_SEQ); /* taken, as STALE */
	assert_int_equal(reg(&dev, PROTO_REG_CMD_RESULT), PROTO_RESULT_STALE);
	assert_int_equal(printer.calls, 1);
	assert_int_equal(ev_count(&dev), 1); /* the first PRINTED only */
	/* an older one too (button seq 1 before 2) */
	set_services(0x3);
	assert_int_equal(print_a023(0x8001), PROTO_RESULT_STALE);
	assert_int_equal(printer.calls, 1);
	/* the next button's print prints */
	assert_int_equal(print_a023(PRINT_SEQ2), PROTO_RESULT_OK);
	assert_int_equal(printer.calls, 2);
	fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
	/* round the wrap, half the seq space at a time: button seq 0x4000,
	 * 0x7fff, then 1 again are each newer than the one before */
	assert_int_equal(print_a023(0xc000), PROTO_RESULT_OK);
	fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
	assert_int_equal(print_a023(0xffff), PROTO_RESULT_OK);
	fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
	assert_int_equal(print_a023(0x8001), PROTO_RESULT_OK);
	assert_int_equal(printer.calls, 5);
	fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
	assert_int_equal(print_a023(0xffff), PROTO_RESULT_STALE); /* just before 1 */
}

/* The paper runs out during the print. */
static void test_print_failed(void **state)
{
	(void)state;
	set_services(0xf);
	print_a023(PRINT_SEQ);
	fw_kiosk_print_done(&dev, false, PROTO_PRINTER_PAPER_OUT);
	assert_int_equal(ev_count(&dev), 2);
	/* seq | bits << 16: 0x8002 | 4 << 16 */
	assert_event(&dev, 0, 1, PROTO_EV_PRINT_FAILED, 0x48002);
	assert_event(&dev, 1, 2, PROTO_EV_PRINTER, PROTO_PRINTER_PAPER_OUT);
	assert_int_equal(reg(&dev, PROTO_REG_PRINT_ERRORS), 1);
	assert_int_equal(reg(&dev, PROTO_REG_PRINTER), PROTO_PRINTER_PAPER_OUT);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS),
			 PROTO_FLAG_HOST_ONLINE | PROTO_FLAG_PRINTER_FAULT); /* not PRINTING */
	assert_int_equal(fw_kiosk_offered(&dev), 0);
	assert_text(&dev, 0, PAUSED, 8);
}

/* A PRINT while the printer is not ready fails at once, without printing. */
static void test_print_printer_not_ok(void **state)
{
	uint16_t bits = PROTO_PRINTER_OK | PROTO_PRINTER_COVER_OPEN; /* 0x9 */

	(void)state;
	set_services(0xf);
	fw_kiosk_printer(&dev, bits);
	assert_event(&dev, 0, 1, PROTO_EV_PRINTER, 0x9);
	assert_int_equal(fw_kiosk_offered(&dev), 0);
	assert_int_equal(print_a023(PRINT_SEQ), PROTO_RESULT_OK);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), PRINT_SEQ);
	assert_int_equal(printer.calls, 0);
	assert_int_equal(ev_count(&dev), 2);
	assert_event(&dev, 1, 2, PROTO_EV_PRINT_FAILED, 0x9u << 16 | 0x8002);
	assert_int_equal(reg(&dev, PROTO_REG_PRINT_ERRORS), 1);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) &
			     (PROTO_FLAG_PRINTING | PROTO_FLAG_PRINTER_FAULT),
			 PROTO_FLAG_PRINTER_FAULT);
}

static void test_printer_bits(void **state)
{
	static const struct {
		uint16_t bits;
		bool ok;
	} cases[] = {
	    {PROTO_PRINTER_OK | PROTO_PRINTER_NEAR_END, true}, /* near the end still prints */
	    {0, false},                                        /* OK clear */
	    {PROTO_PRINTER_OK | PROTO_PRINTER_PAPER_OUT, false},
	    {PROTO_PRINTER_OK | PROTO_PRINTER_OFFLINE, false},
	    {PROTO_PRINTER_NEAR_END, false},
	    {PROTO_PRINTER_OK, true},
	};
	uint16_t n = 0;

	(void)state;
	set_services(0x3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fw_kiosk_printer(&dev, cases[i].bits);
		fw_kiosk_printer(&dev, cases[i].bits); /* no change: no event */
		n++;
		assert_int_equal(ev_count(&dev), n);
		assert_event(&dev, n - 1, n, PROTO_EV_PRINTER, cases[i].bits);
		assert_int_equal(reg(&dev, PROTO_REG_PRINTER), cases[i].bits);
		assert_int_equal(fw_kiosk_offered(&dev), cases[i].ok ? 0x3 : 0);
		assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_PRINTER_FAULT,
				 cases[i].ok ? 0 : PROTO_FLAG_PRINTER_FAULT);
	}
}

static void test_print_bad(void **state)
{
	uint16_t a[N_ARGS(a023)];
	uint16_t s = 0x8020;

	(void)state;
	/* fewer args than the fixed part */
	assert_int_equal(command(&dev, s++, PROTO_CMD_PRINT, a023, PROTO_PRINT_NAME - 1),
			 PROTO_RESULT_BAD_COMMAND);
	/* the name's 8 bytes need 4 registers; 3 given */
	assert_int_equal(command(&dev, s++, PROTO_CMD_PRINT, a023, N_ARGS(a023) - 1),
			 PROTO_RESULT_BAD_COMMAND);
	/* a name longer than 64 bytes */
	memcpy(a, a023, sizeof(a));
	a[PROTO_PRINT_NAME_LEN] = 65;
	assert_int_equal(command(&dev, s++, PROTO_CMD_PRINT, a, N_ARGS(a)),
			 PROTO_RESULT_BAD_COMMAND);
	/* button 4 on a 4-button kiosk */
	memcpy(a, a023, sizeof(a));
	a[PROTO_PRINT_BUTTON] = 4;
	assert_int_equal(command(&dev, s++, PROTO_CMD_PRINT, a, N_ARGS(a)),
			 PROTO_RESULT_BAD_COMMAND);
	assert_int_equal(reg(&dev, PROTO_REG_CMD_DONE_SEQ), s - 1);
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 4);
	assert_int_equal(printer.calls, 0);
	assert_int_equal(ev_count(&dev), 0);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_PRINTING, 0);
}

static void test_kiosk_not_supported(void **state)
{
	static const uint16_t codes[] = {PROTO_CMD_ARM_RATING, PROTO_CMD_DISARM_RATING};
	uint16_t args[4] = {0, 1, 1, 0x4100};

	(void)state;
	for (size_t i = 0; i < N_ARGS(codes); i++)
		assert_int_equal(command(&dev, seq++, codes[i], args, 4),
				 PROTO_RESULT_NOT_SUPPORTED);
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 0);
}

/* A port that answers from inside print(). */
static void test_print_done_from_print(void **state)
{
	(void)state;
	printer.done_at_once = true;
	assert_int_equal(print_a023(PRINT_SEQ), PROTO_RESULT_OK);
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 1, PROTO_EV_PRINTED, PRINT_SEQ);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_PRINTING, 0);
	assert_int_equal(print_a023(PRINT_SEQ2), PROTO_RESULT_OK); /* not BUSY */
	assert_int_equal(printer.calls, 2);
}

/* print_done with no print running: only the printer bits count. */
static void test_print_done_without_print(void **state)
{
	(void)state;
	fw_kiosk_print_done(&dev, true, PROTO_PRINTER_OK);
	assert_int_equal(ev_count(&dev), 0);
	fw_kiosk_print_done(&dev, false, PROTO_PRINTER_OFFLINE);
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 1, PROTO_EV_PRINTER, PROTO_PRINTER_OFFLINE);
	assert_int_equal(reg(&dev, PROTO_REG_PRINT_ERRORS), 0);
}

/* ---- the keypad: booking codes (预约签到) ---- */

#define CODE_PROMPT "\xd4\xa4\xd4\xbc\xc2\xeb:" /* 预约码: */
#define WAIT        "\xc7\xeb\xc9\xd4\xba\xf2"  /* 请稍候 */

static void key(int k)
{
	fw_key(&dev, k);
}

static void type(const char *digits)
{
	for (; *digits; digits++)
		key(PROTO_KIOSK_KEY_0 + (*digits - '0'));
}

/* Check-in key, 4821 3377, ENTER: one CHECK_IN with 48213377, 请稍候 shown. */
static void test_check_in(void **state)
{
	(void)state;
	set_services(0x0f);
	key(PROTO_KIOSK_KEY_CHECK_IN);
	assert_text(&dev, 0, CODE_PROMPT, 7);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_INPUT_ACTIVE,
			 PROTO_FLAG_INPUT_ACTIVE);
	type("4821");
	assert_text(&dev, 0, CODE_PROMPT "4821", 11);
	type("3377");
	assert_text(&dev, 0, CODE_PROMPT "48213377", 15);
	assert_int_equal(ev_count(&dev), 0);
	key(PROTO_KIOSK_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 1, PROTO_EV_CHECK_IN, 48213377u);
	assert_text(&dev, 0, WAIT, 6);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_INPUT_ACTIVE, 0);
	/* a second ENTER sends nothing more: the entry is over */
	key(PROTO_KIOSK_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 1);
	/* the print of its ticket ends the 请稍候 */
	assert_int_equal(print_a023(0x8001), PROTO_RESULT_OK);
	assert_text(&dev, 0, OFFER, 12);
}

/* A digit starts the entry; leading zeros are digits: 00012345 is 12345. */
static void test_check_in_digit_starts(void **state)
{
	(void)state;
	set_services(0x01);
	type("00012345");
	assert_text(&dev, 0, CODE_PROMPT "00012345", 15);
	type("9"); /* a ninth digit is ignored */
	assert_text(&dev, 0, CODE_PROMPT "00012345", 15);
	key(PROTO_KIOSK_KEY_ENTER);
	assert_event(&dev, 0, 1, PROTO_EV_CHECK_IN, 12345);
}

/* ENTER with 7 digits sends nothing and keeps them; CLEAR abandons. */
static void test_check_in_short_and_clear(void **state)
{
	(void)state;
	set_services(0x01);
	type("1234567");
	key(PROTO_KIOSK_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 0);
	assert_text(&dev, 0, CODE_PROMPT "1234567", 14);
	key(PROTO_KIOSK_KEY_CLEAR);
	assert_text(&dev, 0, OFFER, 12);
	key(PROTO_KIOSK_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 0);
	/* the check-in key starts again from nothing */
	type("99");
	key(PROTO_KIOSK_KEY_CHECK_IN);
	assert_text(&dev, 0, CODE_PROMPT, 7);
	type("87654321");
	key(PROTO_KIOSK_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 1, PROTO_EV_CHECK_IN, 87654321u);
}

/* The entry is abandoned PROTO_INPUT_TIMEOUT_MS (30 s) after its last key. */
static void test_check_in_timeout(void **state)
{
	(void)state;
	set_services(0x01);
	poll_at(T0 + 1000);
	type("1234");
	poll_at(T0 + 1000 + 4000);
	type("5678"); /* the last key at T0 + 5000 */
	for (uint32_t t = T0 + 5000 + 4000; t < T0 + 5000 + 30000; t += 4000)
		poll_at(t);
	poll_at(T0 + 5000 + 29999);
	assert_text(&dev, 0, CODE_PROMPT "12345678", 15);
	poll_at(T0 + 5000 + 30000);
	assert_text(&dev, 0, OFFER, 12);
	key(PROTO_KIOSK_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 0);
}

/* No ticket could print: the keypad starts nothing, an ENTER sends nothing. */
static void test_check_in_printer_not_ok(void **state)
{
	(void)state;
	set_services(0x01);
	fw_kiosk_printer(&dev, PROTO_PRINTER_PAPER_OUT);
	assert_int_equal(ev_count(&dev), 1); /* the PRINTER event */
	type("12345678");
	key(PROTO_KIOSK_KEY_CHECK_IN);
	assert_text(&dev, 0, PAUSED, 8);
	fw_kiosk_printer(&dev, PROTO_PRINTER_OK);
	type("1234");
	fw_kiosk_printer(&dev, PROTO_PRINTER_COVER_OPEN | PROTO_PRINTER_OK);
	type("5678");
	key(PROTO_KIOSK_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 3); /* PRINTER events only */
	assert_text(&dev, 0, PAUSED, 8);
}

/* SHOW_TEXT: one line shown for PROTO_KIOSK_MESSAGE_MS (5 s), then the
 * kiosk's own line; two lines, or line 1, are bad. */
static void test_kiosk_message(void **state)
{
	/* 已签到 in GB18030: d2d1 c7a9 b5bd */
	uint16_t args[] = {0, 1, 6, 0, 0xd2d1, 0xc7a9, 0xb5bd};
	uint16_t two[] = {0, 2, 2, 2, 0x4142, 0x4344};
	uint16_t second[] = {1, 1, 2, 0, 0x4142};

	(void)state;
	set_services(0x01);
	poll_at(T0 + 100);
	type("123"); /* a message ends an entry */
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, args, N_ARGS(args)),
			 PROTO_RESULT_OK);
	assert_text(&dev, 0, "\xd2\xd1\xc7\xa9\xb5\xbd", 6);
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_INPUT_ACTIVE, 0);
	poll_at(T0 + 100 + 4999);
	assert_text(&dev, 0, "\xd2\xd1\xc7\xa9\xb5\xbd", 6);
	poll_at(T0 + 100 + 5000);
	assert_text(&dev, 0, OFFER, 12);
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, two, N_ARGS(two)),
			 PROTO_RESULT_BAD_COMMAND);
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, second, N_ARGS(second)),
			 PROTO_RESULT_BAD_COMMAND);
	assert_text(&dev, 0, OFFER, 12);
	/* a digit during a message starts an entry over it */
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, args, N_ARGS(args)),
			 PROTO_RESULT_OK);
	type("7");
	assert_text(&dev, 0, CODE_PROMPT "7", 8);
}

int main(void)
{
#define K(t) cmocka_unit_test_setup(t, setup)
	const struct CMUnitTest tests[] = {
	    K(test_nothing_offered_before_services),
	    K(test_set_services),
	    K(test_button_count_limits),
	    K(test_host_offline_offers_nothing),
	    K(test_green_channel),
	    K(test_green_timeout),
	    K(test_green_by_raw_keys),
	    K(test_print_decode),
	    K(test_print_odd_lengths),
	    K(test_print_busy),
	    K(test_print_stale),
	    K(test_print_failed),
	    K(test_print_printer_not_ok),
	    K(test_printer_bits),
	    K(test_print_bad),
	    K(test_kiosk_not_supported),
	    K(test_print_done_from_print),
	    K(test_print_done_without_print),
	    K(test_check_in),
	    K(test_check_in_digit_starts),
	    K(test_check_in_short_and_clear),
	    K(test_check_in_timeout),
	    K(test_check_in_printer_not_ok),
	    K(test_kiosk_message),
	};
#undef K
	return cmocka_run_group_tests(tests, NULL, NULL);
}
