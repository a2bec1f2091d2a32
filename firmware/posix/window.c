/*
 * window.c — window-fw: the window terminal's firmware on Linux, with a
 * simulated keypad (staff keys, digits, rating keys).
 *
 * Room: firmware/posix. Keys go to the core as raw key bits (enum
 * proto_key); what a key means is the core's business.
 *
 * Control commands (besides text, status, wait-idle): key NAME, type
 * DIGITS, login STAFF PIN, transfer N, pause R.
 */
#include <stdio.h>
#include <string.h>

#include "port.h"

static const struct {
	const char *name;
	uint8_t key;
} key_names[] = {
    {"next", PROTO_KEY_NEXT},           {"recall", PROTO_KEY_RECALL},
    {"no-show", PROTO_KEY_NO_SHOW},     {"start", PROTO_KEY_START},
    {"finish", PROTO_KEY_FINISH},       {"transfer", PROTO_KEY_TRANSFER},
    {"pause", PROTO_KEY_PAUSE},         {"login", PROTO_KEY_LOGIN},
    {"logout", PROTO_KEY_LOGOUT},       {"hold", PROTO_KEY_HOLD},
    {"call-back", PROTO_KEY_CALL_BACK}, {"enter", PROTO_KEY_ENTER},
    {"clear", PROTO_KEY_CLEAR},         {"rate1", PROTO_KEY_RATE_1},
    {"rate2", PROTO_KEY_RATE_2},        {"rate3", PROTO_KEY_RATE_3},
    {"rate4", PROTO_KEY_RATE_4},        {"rate5", PROTO_KEY_RATE_5},
};

static int key_by_name(const char *name)
{
	if (name[0] >= '0' && name[0] <= '9' && name[1] == '\0')
		return PROTO_KEY_0 + (name[0] - '0');
	for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
		if (strcmp(name, key_names[i].name) == 0)
			return key_names[i].key;
	return -1;
}

/* Appends the digit keys of s (1..FW_DIGITS_MAX digits); false if s is not. */
static bool add_digits(uint8_t *keys, size_t *n, const char *s)
{
	size_t len = strlen(s);

	if (len < 1 || len > FW_DIGITS_MAX || strspn(s, "0123456789") != len)
		return false;
	for (size_t i = 0; i < len; i++)
		keys[(*n)++] = (uint8_t)(PROTO_KEY_0 + (s[i] - '0'));
	return true;
}

/* login STAFF PIN: LOGIN, the staff digits, ENTER, the PIN digits, ENTER. */
static bool login_keys(uint8_t *keys, size_t *n, char *args)
{
	char *pin = args + strcspn(args, " \t");

	if (*pin == '\0')
		return false;
	*pin++ = '\0';
	pin += strspn(pin, " \t");
	keys[(*n)++] = PROTO_KEY_LOGIN;
	if (!add_digits(keys, n, args))
		return false;
	keys[(*n)++] = PROTO_KEY_ENTER;
	if (!add_digits(keys, n, pin))
		return false;
	keys[(*n)++] = PROTO_KEY_ENTER;
	return true;
}

static bool window_command(struct port *p, void *arg, const char *verb, char *args, char *reply,
			   size_t size)
{
	uint8_t keys[2 * FW_DIGITS_MAX + 3];
	size_t n = 0;
	int key;

	(void)arg;
	if (strcmp(verb, "key") == 0) {
		if ((key = key_by_name(args)) < 0) {
			snprintf(
			    reply, size,
			    "error: unknown key \"%.32s\" (next recall no-show start finish "
			    "transfer pause login logout hold call-back enter clear rate1..rate5 "
			    "0..9)",
			    args);
			return true;
		}
		keys[n++] = (uint8_t)key;
	} else if (strcmp(verb, "type") == 0) {
		size_t len = strlen(args);

		if (len < 1 || len > sizeof keys || strspn(args, "0123456789") != len) {
			snprintf(reply, size, "error: type DIGITS, 1 to %zu digits", sizeof keys);
			return true;
		}
		for (size_t i = 0; i < len; i++)
			keys[n++] = (uint8_t)(PROTO_KEY_0 + (args[i] - '0'));
	} else if (strcmp(verb, "login") == 0) {
		if (!login_keys(keys, &n, args)) {
			snprintf(reply, size, "error: login STAFF PIN, each 1 to %d digits",
				 FW_DIGITS_MAX);
			return true;
		}
	} else if (strcmp(verb, "transfer") == 0 || strcmp(verb, "pause") == 0) {
		keys[n++] = verb[0] == 't' ? PROTO_KEY_TRANSFER : PROTO_KEY_PAUSE;
		if (!add_digits(keys, &n, args)) {
			snprintf(reply, size, "error: %s N, N 1 to %d digits", verb, FW_DIGITS_MAX);
			return true;
		}
		keys[n++] = PROTO_KEY_ENTER;
	} else {
		return false;
	}
	port_press(p, keys, n, reply, size);
	return true;
}

int main(int argc, char **argv)
{
	static struct port p; /* the loop's */
	const char *prog = "window-fw";
	struct fw_identity id;
	int status;

	if (!port_opts_parse(&p.opts, prog, PROTO_DEVICE_WINDOW, argc, argv, &status))
		return status;
	port_log_init(prog, p.opts.log_level);
	port_identity(&p.opts, &id);
	fw_window_init(&p.dev, &id, port_now_ms());
	p.ops = (struct port_device_ops){window_command, NULL, NULL};
	return port_run(&p);
}
