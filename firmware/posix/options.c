/*
 * options.c — the command line of kiosk-fw, window-fw and display-fw.
 *
 * Room: firmware/posix. Options are "--name VALUE" or "--name=VALUE";
 * a bad one is reported in one line and the program exits 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escpos.h"
#include "port.h"

enum opt_id {
	OPT_RTU,
	OPT_BAUD,
	OPT_PARITY,
	OPT_DATA_BITS,
	OPT_STOP_BITS,
	OPT_RS485,
	OPT_TCP,
	OPT_UNIT,
	OPT_CONTROL,
	OPT_SERIAL,
	OPT_LOG_LEVEL,
	OPT_BUTTONS,
	OPT_PRINT_TO,
	OPT_PRINT_DELAY,
	OPT_PRINTER,
	OPT_PAPER,
	OPT_CHARS,
	OPT_HALL,
	OPT_FOOTER,
	OPT_TICKET_URL,
	OPT_HELP,
	OPT_VERSION,
};

struct opt {
	const char *name;
	enum opt_id id;
	bool has_arg;
	bool kiosk_only;
};

static const struct opt opts[] = {
    {"rtu", OPT_RTU, true, false},
    {"baud", OPT_BAUD, true, false},
    {"parity", OPT_PARITY, true, false},
    {"data-bits", OPT_DATA_BITS, true, false},
    {"stop-bits", OPT_STOP_BITS, true, false},
    {"rs485", OPT_RS485, false, false},
    {"tcp", OPT_TCP, true, false},
    {"unit", OPT_UNIT, true, false},
    {"control", OPT_CONTROL, true, false},
    {"serial", OPT_SERIAL, true, false},
    {"log-level", OPT_LOG_LEVEL, true, false},
    {"buttons", OPT_BUTTONS, true, true},
    {"print-to", OPT_PRINT_TO, true, true},
    {"print-delay-ms", OPT_PRINT_DELAY, true, true},
    {"printer", OPT_PRINTER, true, true},
    {"paper", OPT_PAPER, true, true},
    {"chars", OPT_CHARS, true, true},
    {"hall", OPT_HALL, true, true},
    {"footer", OPT_FOOTER, true, true},
    {"ticket-url", OPT_TICKET_URL, true, true},
    {"help", OPT_HELP, false, false},
    {"version", OPT_VERSION, false, false},
};

static void usage(const char *prog, uint8_t type)
{
	printf("usage: %s --rtu DEVICE --baud N [--parity N|E|O] [--data-bits 7|8]\n"
	       "           [--stop-bits 1|2] [--rs485] --unit ID [options]\n"
	       "       %s --tcp HOST:PORT --unit ID [options]\n"
	       "       %s --help | --version\n"
	       "\n"
	       "The hallq %s firmware on Linux: a Modbus slave (RTU on a serial line or\n"
	       "pseudo-terminal, or Modbus TCP listening on HOST:PORT) answering the register\n"
	       "map of firmware/proto/proto.h.\n"
	       "\n"
	       "options:\n"
	       "  --unit ID              slave address / unit id, 1..247\n"
	       "  --control PATH         Unix socket taking control commands (see README.md)\n"
	       "  --serial N             serial number (default: type * 1000000 + unit)\n"
	       "  --log-level LEVEL      error, warn, info (default) or debug\n"
	       "  --rs485                RS-485 mode on the serial line (a warning if the\n"
	       "                         line cannot, as a pseudo-terminal cannot)\n",
	       prog, prog, prog,
	       type == PROTO_DEVICE_KIOSK    ? "kiosk"
	       : type == PROTO_DEVICE_WINDOW ? "window terminal"
					     : "hall display");
	if (type == PROTO_DEVICE_KIOSK)
		printf(
		    "  --buttons N            service buttons, 1..15 (default 8)\n"
		    "  --print-to FILE        append each printed ticket to FILE as text\n"
		    "  --print-delay-ms N     simulated printing time (default 0)\n"
		    "  --printer SPEC         print ESC/POS tickets on a printer: usb,\n"
		    "                         usb:VVVV:PPPP, dev:/dev/usb/lp0 or file:PATH\n"
		    "                         (docs/escpos.md); without it the printer is\n"
		    "                         simulated (paper and cover from the control socket)\n"
		    "                         png:DIR: simulated, each ticket kept as a picture\n"
		    "                         DIR/YYYYMMDD-LABEL.png\n"
		    "  --paper 58|80          paper width in mm (default 58)\n"
		    "  --chars N              characters per line, 24..72 (default 32 or 48)\n"
		    "  --hall NAME            the hall name printed at the top of a ticket\n"
		    "  --footer TEXT          printed at the foot of a ticket\n"
		    "  --ticket-url URL       the QR code: URL followed by the ticket's status\n"
		    "                         token from the host (no QR without one)\n");
}

static int bad(const char *prog, const char *fmt, const char *name, const char *value)
{
	fprintf(stderr, "%s: --%s", prog, name);
	if (value)
		fprintf(stderr, " \"%s\"", value);
	fprintf(stderr, ": ");
	fputs(fmt, stderr);
	fprintf(stderr, " (see %s --help)\n", prog);
	return 2;
}

bool port_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || *s == '\0' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* HOST:PORT, [V6ADDR]:PORT or :PORT (every address). */
static bool parse_tcp(struct port_opts *o, const char *v)
{
	const char *colon = strrchr(v, ':');
	const char *host = v;
	size_t host_len;
	long port;

	if (!colon || !port_parse_int(colon + 1, 1, 65535, &port))
		return false;
	host_len = (size_t)(colon - v);
	if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	} else if (memchr(host, ':', host_len)) {
		return false; /* a bare IPv6 address needs brackets */
	}
	if (host_len >= sizeof o->tcp_host)
		return false;
	memcpy(o->tcp_host, host, host_len);
	o->tcp_host[host_len] = '\0';
	if (strcmp(o->tcp_host, "*") == 0)
		o->tcp_host[0] = '\0';
	snprintf(o->tcp_port, sizeof o->tcp_port, "%ld", port);
	return true;
}

/* Takes one option's value; returns 0, or 2 after reporting it. */
static int take(struct port_opts *o, const struct opt *op, const char *v, bool *serial_set)
{
	const char *p = o->prog;
	long n;

	switch (op->id) {
	case OPT_RTU:
		if (*v == '\0')
			return bad(p, "expected a serial device", op->name, v);
		o->rtu_device = v;
		return 0;
	case OPT_BAUD:
		if (!port_parse_int(v, 50, 4000000, &n))
			return bad(p, "expected a baud rate such as 9600 or 115200", op->name, v);
		o->baud = (int)n;
		return 0;
	case OPT_PARITY:
		if (strlen(v) != 1 || !strchr("NEO", *v))
			return bad(p, "expected N, E or O", op->name, v);
		o->parity = *v;
		return 0;
	case OPT_DATA_BITS:
		if (!port_parse_int(v, 7, 8, &n))
			return bad(p, "expected 7 or 8", op->name, v);
		o->data_bits = (int)n;
		return 0;
	case OPT_STOP_BITS:
		if (!port_parse_int(v, 1, 2, &n))
			return bad(p, "expected 1 or 2", op->name, v);
		o->stop_bits = (int)n;
		return 0;
	case OPT_RS485:
		o->rs485 = true;
		return 0;
	case OPT_TCP:
		if (!parse_tcp(o, v))
			return bad(p, "expected HOST:PORT with a port from 1 to 65535", op->name,
				   v);
		o->tcp = true;
		return 0;
	case OPT_UNIT:
		if (!port_parse_int(v, 1, 247, &n))
			return bad(p, "expected a unit id from 1 to 247", op->name, v);
		o->unit = (int)n;
		return 0;
	case OPT_CONTROL:
		if (*v == '\0')
			return bad(p, "expected a socket path", op->name, v);
		o->control_path = v;
		return 0;
	case OPT_SERIAL:
		if (!port_parse_int(v, 0, 4294967295L, &n))
			return bad(p, "expected a number from 0 to 4294967295", op->name, v);
		o->serial = (uint32_t)n;
		*serial_set = true;
		return 0;
	case OPT_LOG_LEVEL:
		if ((o->log_level = port_log_level_parse(v)) < 0)
			return bad(p, "expected error, warn, info or debug", op->name, v);
		return 0;
	case OPT_BUTTONS:
		if (!port_parse_int(v, 1, FW_KIOSK_MAX_BUTTONS, &n))
			return bad(p, "expected a number of buttons from 1 to 15", op->name, v);
		o->buttons = (int)n;
		return 0;
	case OPT_PRINT_TO:
		if (*v == '\0')
			return bad(p, "expected a file", op->name, v);
		o->print_to = v;
		return 0;
	case OPT_PRINT_DELAY:
		if (!port_parse_int(v, 0, 600000, &n))
			return bad(p, "expected milliseconds from 0 to 600000", op->name, v);
		o->print_delay_ms = (int)n;
		return 0;
	case OPT_PRINTER:
		if (strncmp(v, "usb", 3) != 0 && strncmp(v, "dev:", 4) != 0 &&
		    strncmp(v, "file:", 5) != 0 && (strncmp(v, "png:", 4) != 0 || !v[4]))
			return bad(p, "expected usb, usb:VVVV:PPPP, dev:PATH, file:PATH or png:DIR",
				   op->name, v);
		o->printer = v;
		return 0;
	case OPT_PAPER:
		if (!port_parse_int(v, 58, 80, &n) || (n != 58 && n != 80))
			return bad(p, "expected 58 or 80", op->name, v);
		o->paper_mm = (int)n;
		return 0;
	case OPT_CHARS:
		if (!port_parse_int(v, 24, 72, &n))
			return bad(p, "expected 24 to 72 characters", op->name, v);
		o->chars = (int)n;
		return 0;
	case OPT_HALL:
		o->hall = v;
		return 0;
	case OPT_FOOTER:
		o->footer = v;
		return 0;
	case OPT_TICKET_URL: {
		/* the token (16 bytes) must still fit the ticket's QR code */
		size_t len = strlen(v);
		bool ok = len > 0 && len + PROTO_TOKEN_SIZE <= ESCPOS_URL_MAX;
		for (size_t i = 0; ok && i < len; i++)
			ok = v[i] > ' ' && v[i] < 0x7f;
		if (!ok)
			return bad(
			    p,
			    "expected printable ASCII without spaces, at most 197 bytes (with "
			    "the 16-byte token, what the ticket's QR code holds)",
			    op->name, v);
		o->ticket_url = v;
		return 0;
	}
	case OPT_HELP:
	case OPT_VERSION:
		break;
	}
	return 0;
}

static const struct opt *find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* The checks between options, once all are read. */
static int check(struct port_opts *o)
{
	const char *p = o->prog;

	if (o->tcp == (o->rtu_device != NULL)) {
		fprintf(
		    stderr,
		    "%s: give exactly one of --rtu DEVICE and --tcp HOST:PORT (see %s --help)\n", p,
		    p);
		return 2;
	}
	if (o->rtu_device && o->baud == 0) {
		fprintf(stderr, "%s: --rtu needs --baud N (see %s --help)\n", p, p);
		return 2;
	}
	if (o->tcp && (o->baud || o->parity || o->data_bits || o->stop_bits || o->rs485)) {
		fprintf(stderr,
			"%s: --baud, --parity, --data-bits, --stop-bits and --rs485 are for --rtu "
			"only\n",
			p);
		return 2;
	}
	if (o->unit == 0) {
		fprintf(stderr, "%s: missing --unit ID (see %s --help)\n", p, p);
		return 2;
	}
	if (!o->parity)
		o->parity = 'N';
	if (!o->data_bits)
		o->data_bits = 8;
	if (!o->stop_bits)
		o->stop_bits = 1;
	return 0;
}

/* 0 to run, 1 after printing help or the version, 2 after a bad option. */
static int parse(struct port_opts *o, const char *prog, uint8_t type, int argc, char **argv)
{
	bool serial_set = false;
	int rc;

	memset(o, 0, sizeof *o);
	o->prog = prog;
	o->type = type;
	o->log_level = PORT_LOG_INFO;
	o->buttons = 8;
	o->paper_mm = 58;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *v = NULL;
		const struct opt *op;

		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "%s: unexpected argument \"%s\" (see %s --help)\n", prog, a,
				prog);
			return 2;
		}
		a += 2;
		eq = strchr(a, '=');
		op = find(a, eq ? (size_t)(eq - a) : strlen(a));
		if (!op || (op->kiosk_only && type != PROTO_DEVICE_KIOSK)) {
			fprintf(stderr, "%s: unknown option \"%s\" (see %s --help)\n", prog,
				argv[i], prog);
			return 2;
		}
		if (op->id == OPT_HELP) {
			usage(prog, type);
			return 1;
		}
		if (op->id == OPT_VERSION) {
			printf("%s (hallq) %s\n", prog, HALLQ_VERSION);
			return 1;
		}
		if (op->has_arg) {
			if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else
				return bad(prog, "needs a value", op->name, NULL);
		} else if (eq) {
			return bad(prog, "takes no value", op->name, NULL);
		}
		if ((rc = take(o, op, v, &serial_set)) != 0)
			return rc;
	}
	if ((rc = check(o)) != 0)
		return rc;
	if (!serial_set)
		o->serial = (uint32_t)type * 1000000u + (uint32_t)o->unit;
	return 0;
}

bool port_opts_parse(struct port_opts *o, const char *prog, uint8_t type, int argc, char **argv,
		     int *status)
{
	int rc = parse(o, prog, type, argc, argv);

	*status = rc == 2 ? 2 : 0;
	return rc == 0;
}
