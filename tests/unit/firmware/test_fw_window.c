/*
 * test_fw_window.c — firmware/core/window.c and text.c: the window
 * terminal's function keys, the login / transfer / pause entries with
 * their prompts, CLEAR and the entry timeout, the rating keys armed once,
 * SHOW_TEXT and its limits; and the hall display (display.c), which
 * shares SHOW_TEXT.
 *
 * Every expected value is worked out by hand from proto.h and fw.h (event
 * codes and args, the GB18030 bytes of the prompts, the SHOW_TEXT layout)
 * and written next to its assertion. The clock is a plain number.
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

enum { BOOT = 0x2222, T0 = 1000 };

/* The prompts, GB18030. */
#define P_STAFF  "\xb9\xa4\xba\xc5:"                 /* 工号: */
#define P_PIN    "\xc3\xdc\xc2\xeb:"                 /* 密码: */
#define P_WINDOW "\xd7\xaa\xd6\xc1\xb4\xb0\xbf\xda:" /* 转至窗口: */
#define P_REASON "\xd4\xdd\xcd\xa3\xd4\xad\xd2\xf2:" /* 暂停原因: */

static struct fw_device dev;
static uint16_t seq;

static int setup(void **state)
{
	struct fw_identity id = {0x0100, 7, BOOT};

	(void)state;
	fw_window_init(&dev, &id, T0);
	host_hello(&dev);
	seq = 1;
	return 0;
}

static void keys(const char *s)
{
	for (; *s; s++)
		fw_key(&dev, *s - '0');
}

static void key(int k)
{
	fw_key(&dev, k);
}

static uint16_t state_reg(void)
{
	return reg(&dev, PROTO_REG_STATE);
}

static bool input_active(void)
{
	return reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_INPUT_ACTIVE;
}

static bool armed(void)
{
	return reg(&dev, PROTO_REG_FLAGS) & PROTO_FLAG_RATING_ARMED;
}

/* SHOW_TEXT "AB" on line 0 and "cde" on line 1, as the host's text. */
static void host_text(void)
{
	uint16_t a[] = {0, 2, 2, 3, 0x4142, 0x6364, 0x6500}; /* "ABcde" */

	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, a, N_ARGS(a)), PROTO_RESULT_OK);
}

/* ---- function keys ---- */

static void test_function_keys(void **state)
{
	static const struct {
		int key;
		uint16_t code;
	} cases[] = {
	    {PROTO_KEY_NEXT, 0x10},  {PROTO_KEY_RECALL, 0x11},    {PROTO_KEY_NO_SHOW, 0x12},
	    {PROTO_KEY_START, 0x13}, {PROTO_KEY_FINISH, 0x14},    {PROTO_KEY_LOGOUT, 0x19},
	    {PROTO_KEY_HOLD, 0x1a},  {PROTO_KEY_CALL_BACK, 0x1b},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		key(cases[i].key);
	assert_int_equal(ev_count(&dev), 8);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_event(&dev, (int)i, (uint16_t)(i + 1), cases[i].code, 0);
	/* digits, ENTER, CLEAR and the rating keys alone: nothing */
	keys("0123456789");
	key(PROTO_KEY_ENTER), key(PROTO_KEY_CLEAR);
	for (int k = PROTO_KEY_RATE_1; k <= PROTO_KEY_RATE_5; k++)
		key(k);
	assert_int_equal(ev_count(&dev), 8);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
}

/* ---- entries ---- */

static void test_login(void **state)
{
	(void)state;
	host_text();
	key(PROTO_KEY_LOGIN);
	assert_int_equal(state_reg(), PROTO_WINDOW_ENTER_STAFF);
	assert_true(input_active());
	assert_text(&dev, 0, "AB", 2); /* line 1 stays the host's */
	assert_text(&dev, 1, P_STAFF, 5);
	keys("1001");
	assert_text(&dev, 1, P_STAFF "1001", 9);
	key(PROTO_KEY_ENTER);
	assert_int_equal(state_reg(), PROTO_WINDOW_ENTER_PIN);
	assert_text(&dev, 1, P_PIN, 5);
	keys("2222");
	assert_text(&dev, 1, P_PIN "****", 9); /* the PIN is never shown */
	assert_int_equal(ev_count(&dev), 0);
	key(PROTO_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 1);
	assert_event(&dev, 0, 1, PROTO_EV_LOGIN, 1001u << 16 | 2222); /* regs 1001, 2222 */
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	assert_false(input_active());
	assert_text(&dev, 1, "cde", 3);
}

static void test_login_limits(void **state)
{
	(void)state;
	/* the largest staff id and PIN */
	key(PROTO_KEY_LOGIN), keys("65535"), key(PROTO_KEY_ENTER);
	keys("9999"), key(PROTO_KEY_ENTER);
	assert_event(&dev, 0, 1, PROTO_EV_LOGIN, 65535u << 16 | 9999);
	/* PIN 0 (and a leading zero) */
	key(PROTO_KEY_LOGIN), keys("7"), key(PROTO_KEY_ENTER), keys("0000"), key(PROTO_KEY_ENTER);
	assert_event(&dev, 1, 2, PROTO_EV_LOGIN, 7u << 16 | 0);
	/* staff 0, staff 65536, no digits: abandoned at once */
	key(PROTO_KEY_LOGIN), keys("0"), key(PROTO_KEY_ENTER);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	key(PROTO_KEY_LOGIN), keys("65536"), key(PROTO_KEY_ENTER);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	key(PROTO_KEY_LOGIN), key(PROTO_KEY_ENTER);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	/* PIN 10000 or none: abandoned, no event */
	key(PROTO_KEY_LOGIN), keys("12"), key(PROTO_KEY_ENTER), keys("10000"), key(PROTO_KEY_ENTER);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	key(PROTO_KEY_LOGIN), keys("12"), key(PROTO_KEY_ENTER), key(PROTO_KEY_ENTER);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	assert_int_equal(ev_count(&dev), 2);
	/* a sixth digit is not taken: 123456 is 12345 */
	key(PROTO_KEY_LOGIN), keys("123456");
	assert_text(&dev, 1, P_STAFF "12345", 10);
	key(PROTO_KEY_ENTER), keys("1"), key(PROTO_KEY_ENTER);
	assert_event(&dev, 2, 3, PROTO_EV_LOGIN, 12345u << 16 | 1);
}

static void test_transfer(void **state)
{
	(void)state;
	key(PROTO_KEY_TRANSFER);
	assert_int_equal(state_reg(), PROTO_WINDOW_ENTER_WINDOW);
	assert_text(&dev, 1, P_WINDOW, 9);
	keys("12");
	assert_text(&dev, 1, P_WINDOW "12", 11);
	key(PROTO_KEY_ENTER);
	assert_event(&dev, 0, 1, PROTO_EV_TRANSFER, 12);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	/* window 0: abandoned; 65535: taken */
	key(PROTO_KEY_TRANSFER), keys("0"), key(PROTO_KEY_ENTER);
	key(PROTO_KEY_TRANSFER), keys("65535"), key(PROTO_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 2);
	assert_event(&dev, 1, 2, PROTO_EV_TRANSFER, 65535);
}

static void test_pause_resume(void **state)
{
	(void)state;
	key(PROTO_KEY_PAUSE);
	assert_int_equal(state_reg(), PROTO_WINDOW_ENTER_REASON);
	assert_text(&dev, 1, P_REASON, 9);
	keys("2");
	assert_text(&dev, 1, P_REASON "2", 10);
	key(PROTO_KEY_ENTER);
	assert_event(&dev, 0, 1, PROTO_EV_PAUSE, 2);
	key(PROTO_KEY_PAUSE); /* paused: resumes at once */
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	assert_event(&dev, 1, 2, PROTO_EV_RESUME, 0);
	/* reason 100 and a typed 0 are abandoned, and it is not paused */
	key(PROTO_KEY_PAUSE), keys("100"), key(PROTO_KEY_ENTER);
	key(PROTO_KEY_PAUSE), keys("0"), key(PROTO_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 2);
	key(PROTO_KEY_PAUSE); /* asks the reason again, no RESUME */
	assert_int_equal(state_reg(), PROTO_WINDOW_ENTER_REASON);
	keys("99"), key(PROTO_KEY_ENTER);
	assert_event(&dev, 2, 3, PROTO_EV_PAUSE, 99);
	key(PROTO_KEY_PAUSE); /* RESUME */
	/* ENTER alone: a pause without a reason, arg 0 */
	key(PROTO_KEY_PAUSE), key(PROTO_KEY_ENTER);
	assert_int_equal(ev_count(&dev), 5);
	assert_event(&dev, 3, 4, PROTO_EV_RESUME, 0);
	assert_event(&dev, 4, 5, PROTO_EV_PAUSE, 0);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	key(PROTO_KEY_PAUSE); /* paused: RESUME */
	assert_event(&dev, 5, 6, PROTO_EV_RESUME, 0);
}

static void test_clear_abandons(void **state)
{
	(void)state;
	host_text();
	key(PROTO_KEY_LOGIN), keys("12");
	key(PROTO_KEY_CLEAR);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	assert_false(input_active());
	assert_text(&dev, 1, "cde", 3);
	/* at the PIN too; the ENTER after it does nothing */
	key(PROTO_KEY_LOGIN), keys("12"), key(PROTO_KEY_ENTER), keys("34");
	key(PROTO_KEY_CLEAR), key(PROTO_KEY_ENTER);
	key(PROTO_KEY_TRANSFER), keys("5"), key(PROTO_KEY_CLEAR);
	key(PROTO_KEY_PAUSE), keys("1"), key(PROTO_KEY_CLEAR);
	assert_int_equal(ev_count(&dev), 0);
	/* not paused: PAUSE asks a reason */
	key(PROTO_KEY_PAUSE);
	assert_int_equal(state_reg(), PROTO_WINDOW_ENTER_REASON);
}

/* PROTO_INPUT_TIMEOUT_MS after the last key, the entry is abandoned. */
static void test_entry_timeout(void **state)
{
	(void)state;
	host_text();
	key(PROTO_KEY_LOGIN); /* at T0 */
	fw_tick(&dev, T0 + 20000, 0);
	keys("5"); /* at T0 + 20000: the wait starts again */
	fw_tick(&dev, T0 + 49999, 0);
	assert_int_equal(state_reg(), PROTO_WINDOW_ENTER_STAFF);
	fw_tick(&dev, T0 + 50000, 0);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	assert_false(input_active());
	assert_text(&dev, 1, "cde", 3);
	key(PROTO_KEY_ENTER); /* too late: nothing */
	assert_int_equal(ev_count(&dev), 0);
	/* the PIN entry times out the same way */
	key(PROTO_KEY_LOGIN), keys("5"), key(PROTO_KEY_ENTER); /* at T0 + 50000 */
	fw_tick(&dev, T0 + 80000, 0);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
}

/* Another function key during an entry abandons it and does its job. */
static void test_function_key_during_entry(void **state)
{
	(void)state;
	key(PROTO_KEY_LOGIN), keys("12");
	key(PROTO_KEY_NEXT);
	assert_int_equal(state_reg(), PROTO_WINDOW_IDLE);
	assert_event(&dev, 0, 1, PROTO_EV_NEXT, 0);
	/* LOGIN during a transfer starts the login */
	key(PROTO_KEY_TRANSFER), keys("3"), key(PROTO_KEY_LOGIN);
	assert_int_equal(state_reg(), PROTO_WINDOW_ENTER_STAFF);
	assert_text(&dev, 1, P_STAFF, 5);
	assert_int_equal(ev_count(&dev), 1);
}

/* ---- ratings ---- */

static uint16_t arm(uint16_t ticket, uint16_t seconds)
{
	uint16_t a[2] = {ticket, seconds};

	return command(&dev, seq++, PROTO_CMD_ARM_RATING, a, 2);
}

static void test_rating_once(void **state)
{
	(void)state;
	assert_false(armed());
	assert_int_equal(arm(22, 30), PROTO_RESULT_OK);
	assert_true(armed());
	key(PROTO_KEY_RATE_1);
	assert_event(&dev, 0, 1, PROTO_EV_RATE, 1u << 16 | 22); /* regs 1, 22 */
	assert_false(armed());
	key(PROTO_KEY_RATE_2); /* one rating per ticket */
	assert_int_equal(ev_count(&dev), 1);
	arm(23, 30);
	key(PROTO_KEY_RATE_5);
	assert_event(&dev, 1, 2, PROTO_EV_RATE, 5u << 16 | 23);
}

static void test_rating_expires(void **state)
{
	(void)state;
	arm(22, 30); /* at T0: until T0 + 30000 */
	fw_tick(&dev, T0 + 29999, 0);
	assert_true(armed());
	fw_tick(&dev, T0 + 30000, 0);
	assert_false(armed());
	key(PROTO_KEY_RATE_3);
	assert_int_equal(ev_count(&dev), 0);
	/* a rating key down as it expires is too late too */
	arm(24, 1); /* at T0 + 30000: until T0 + 31000 */
	fw_tick(&dev, T0 + 30980, 1u << PROTO_KEY_RATE_4);
	fw_tick(&dev, T0 + 31000, 1u << PROTO_KEY_RATE_4);
	assert_int_equal(ev_count(&dev), 0);
	/* the same key, debounced while armed */
	arm(25, 600);
	fw_tick(&dev, T0 + 31010, 0);
	fw_tick(&dev, T0 + 31030, 0);
	fw_tick(&dev, T0 + 31040, 1u << PROTO_KEY_RATE_4);
	fw_tick(&dev, T0 + 31060, 1u << PROTO_KEY_RATE_4);
	assert_event(&dev, 0, 1, PROTO_EV_RATE, 4u << 16 | 25);
}

static void test_rating_disarm_and_limits(void **state)
{
	uint16_t one = 22;

	(void)state;
	arm(22, 30);
	assert_int_equal(command(&dev, seq++, PROTO_CMD_DISARM_RATING, NULL, 0), PROTO_RESULT_OK);
	assert_false(armed());
	key(PROTO_KEY_RATE_1);
	assert_int_equal(ev_count(&dev), 0);
	/* seconds 0 or 601, or no seconds: bad, nothing armed */
	assert_int_equal(arm(22, 0), PROTO_RESULT_BAD_COMMAND);
	assert_int_equal(arm(22, 601), PROTO_RESULT_BAD_COMMAND);
	assert_int_equal(command(&dev, seq++, PROTO_CMD_ARM_RATING, &one, 1),
			 PROTO_RESULT_BAD_COMMAND);
	assert_false(armed());
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 3);
	assert_int_equal(arm(22, 600), PROTO_RESULT_OK);
	assert_int_equal(arm(22, 1), PROTO_RESULT_OK);
}

/* The citizen's keys leave the staff's entry alone. */
static void test_rating_during_entry(void **state)
{
	(void)state;
	arm(30, 60);
	key(PROTO_KEY_LOGIN), keys("4");
	key(PROTO_KEY_RATE_2);
	assert_event(&dev, 0, 1, PROTO_EV_RATE, 2u << 16 | 30);
	assert_int_equal(state_reg(), PROTO_WINDOW_ENTER_STAFF);
	assert_text(&dev, 1, P_STAFF "4", 6);
}

/* ---- text ---- */

static void test_show_text(void **state)
{
	uint16_t one[] = {1, 1, 3, 0, 0x7879, 0x7a00}; /* line 1: "xyz" */

	(void)state;
	assert_text(&dev, 0, "", 0); /* nothing from the host yet */
	assert_text(&dev, 1, "", 0);
	host_text(); /* "AB" | "cde": the second line starts mid-register */
	assert_text(&dev, 0, "AB", 2);
	assert_text(&dev, 1, "cde", 3);
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, one, N_ARGS(one)),
			 PROTO_RESULT_OK);
	assert_text(&dev, 0, "AB", 2);
	assert_text(&dev, 1, "xyz", 3);
	assert_null(fw_text(&dev, 2, NULL));
	assert_null(fw_text(&dev, -1, NULL));
}

/* A 64-byte line is the longest; 32 hanzi of GB18030 fill it. */
static void test_show_text_longest(void **state)
{
	uint16_t a[PROTO_TEXT_MAX_ARGS] = {0, 1, 64, 0};
	uint8_t want[64];

	(void)state;
	for (int i = 0; i < 32; i++) {
		a[PROTO_TEXT_BYTES + i] = 0xd6d0; /* 中 */
		want[2 * i] = 0xd6, want[2 * i + 1] = 0xd0;
	}
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, a, N_ARGS(a)), PROTO_RESULT_OK);
	assert_text(&dev, 0, (const char *)want, 64);
}

static void test_show_text_limits(void **state)
{
	static const struct {
		uint16_t args[6];
		uint16_t nargs;
	} bad[] = {
	    {{2, 1, 1, 0, 0x4100}, 5},         /* line 2 of 2 */
	    {{1, 2, 1, 1, 0x4142}, 5},         /* lines 1..2 of 2 */
	    {{0, 0, 0, 0}, 4},                 /* no line */
	    {{0, 3, 1, 1, 0x4142, 0x4300}, 6}, /* three lines */
	    {{0, 1, 65, 0}, 4},                /* 65 bytes */
	    {{0, 2, 1, 65}, 4},                /* 65 bytes on the second */
	    {{0, 2, 2, 3, 0x4142, 0x6364}, 6}, /* 5 bytes need 3 registers */
	    {{0, 1, 1}, 3},                    /* no LEN + 1 */
	    {{0xffff, 1, 1, 0, 0x4100}, 5},    /* line 65535 */
	};

	(void)state;
	host_text();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t before = reg(&dev, PROTO_REG_BAD_WRITES);

		assert_int_equal(
		    command(&dev, seq++, PROTO_CMD_SHOW_TEXT, bad[i].args, bad[i].nargs),
		    PROTO_RESULT_BAD_COMMAND);
		assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), before + 1);
	}
	/* nothing changed */
	assert_text(&dev, 0, "AB", 2);
	assert_text(&dev, 1, "cde", 3);
}

static void test_window_not_supported(void **state)
{
	uint16_t a[PROTO_PRINT_MAX_ARGS] = {0};

	(void)state;
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SET_SERVICES, a, 1),
			 PROTO_RESULT_NOT_SUPPORTED);
	assert_int_equal(command(&dev, seq++, PROTO_CMD_PRINT, a, N_ARGS(a)),
			 PROTO_RESULT_NOT_SUPPORTED);
	assert_int_equal(reg(&dev, PROTO_REG_BAD_WRITES), 0);
}

/* ---- the hall display ---- */

static int setup_display(void **state)
{
	struct fw_identity id = {0x0100, 9, BOOT};

	(void)state;
	fw_display_init(&dev, &id, T0);
	host_hello(&dev);
	seq = 1;
	return 0;
}

static void test_display_lines(void **state)
{
	uint16_t two[] = {2, 2, 1, 2, 0x7879, 0x7a00}; /* lines 2, 3: "x", "yz" */
	uint16_t last[] = {3, 1, 2, 0, 0x7071};        /* line 3: "pq" */

	(void)state;
	for (int line = 0; line < 4; line++)
		assert_text(&dev, line, "", 0);
	assert_null(fw_text(&dev, 4, NULL));
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, two, N_ARGS(two)),
			 PROTO_RESULT_OK);
	assert_text(&dev, 2, "x", 1);
	assert_text(&dev, 3, "yz", 2);
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, last, N_ARGS(last)),
			 PROTO_RESULT_OK);
	assert_text(&dev, 2, "x", 1);
	assert_text(&dev, 3, "pq", 2);
	/* lines 3..4 and line 4 are past the four */
	two[0] = 3;
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, two, N_ARGS(two)),
			 PROTO_RESULT_BAD_COMMAND);
	last[0] = 4;
	assert_int_equal(command(&dev, seq++, PROTO_CMD_SHOW_TEXT, last, N_ARGS(last)),
			 PROTO_RESULT_BAD_COMMAND);
	assert_text(&dev, 3, "pq", 2);
}

static void test_display_other_commands(void **state)
{
	uint16_t a[PROTO_PRINT_MAX_ARGS] = {1, 30};

	(void)state;
	for (uint16_t code = PROTO_CMD_SET_SERVICES; code <= PROTO_CMD_DISARM_RATING; code++) {
		if (code == PROTO_CMD_SHOW_TEXT)
			continue;
		assert_int_equal(command(&dev, seq++, code, a, N_ARGS(a)),
				 PROTO_RESULT_NOT_SUPPORTED);
	}
	assert_int_equal(reg(&dev, PROTO_REG_FLAGS), PROTO_FLAG_HOST_ONLINE);
}

static void test_display_no_keys(void **state)
{
	(void)state;
	for (int k = 0; k < 32; k++)
		fw_key(&dev, k);
	fw_tick(&dev, T0 + 10, 0xffffffffu);
	fw_tick(&dev, T0 + 40, 0xffffffffu);
	assert_int_equal(ev_count(&dev), 0);
	assert_int_equal(reg(&dev, PROTO_REG_STATE), 0);
}

int main(void)
{
#define W(t) cmocka_unit_test_setup(t, setup)
#define D(t) cmocka_unit_test_setup(t, setup_display)
	const struct CMUnitTest tests[] = {
	    W(test_function_keys),
	    W(test_login),
	    W(test_login_limits),
	    W(test_transfer),
	    W(test_pause_resume),
	    W(test_clear_abandons),
	    W(test_entry_timeout),
	    W(test_function_key_during_entry),
	    W(test_rating_once),
	    W(test_rating_expires),
	    W(test_rating_disarm_and_limits),
	    W(test_rating_during_entry),
	    W(test_show_text),
	    W(test_show_text_longest),
	    W(test_show_text_limits),
	    W(test_window_not_supported),
	    D(test_display_lines),
	    D(test_display_other_commands),
	    D(test_display_no_keys),
	};
#undef W
#undef D
	return cmocka_run_group_tests(tests, NULL, NULL);
}
