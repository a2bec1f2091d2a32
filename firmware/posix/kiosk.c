/*
 * kiosk.c — kiosk-fw: the kiosk firmware on Linux, with simulated service
 * buttons and a simulated printer.
 *
 * Room: firmware/posix. The core (fw.h) decides what to print and when;
 * this file only plays the printer: a ticket given to print() is printed
 * --print-delay-ms later, on a turn of the loop (never while a Modbus
 * reply waits), appended to --print-to as a readable UTF-8 text block,
 * and reported back with fw_kiosk_print_done(). Paper and cover come from
 * the control socket. ESC/POS printing through drivers/escpos replaces
 * the text file in a later issue.
 *
 * Control commands (besides text, status, wait-idle): press N, green,
 * paper ok|near|out, cover open|closed, printed, last, offered.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "port.h"

struct kiosk {
	struct port port;
	/* the printer */
	bool paper_out, near_end, cover_open;
	bool printing;
	uint32_t print_due_ms;
	struct fw_ticket ticket; /* being printed */
	unsigned long printed;
	bool has_last;
	struct fw_ticket last; /* the last ticket printed */
};

static const char *const class_names[] = {"普通", "绿色通道", "预约"};

static uint16_t printer_bits(const struct kiosk *k)
{
	uint16_t bits = 0;

	if (k->cover_open)
		bits |= PROTO_PRINTER_COVER_OPEN;
	if (k->paper_out)
		bits |= PROTO_PRINTER_PAPER_OUT;
	else if (k->near_end)
		bits |= PROTO_PRINTER_NEAR_END;
	if (!k->cover_open && !k->paper_out)
		bits |= PROTO_PRINTER_OK;
	return bits;
}

/* The core's print(): the ticket is printed later, by kiosk_poll(). */
static void kiosk_print(void *arg, const struct fw_ticket *t)
{
	struct kiosk *k = arg;

	if (k->printing)
		port_warn("ticket %.6s given to print while %.6s is printing; %.6s dropped",
			  t->label, k->ticket.label, k->ticket.label);
	k->ticket = *t;
	k->printing = true;
	k->print_due_ms = port_now_ms() + (uint32_t)k->port.opts.print_delay_ms;
}

/* ASCII from the host, made printable. */
static void ascii(char *out, size_t size, const char *in, size_t max)
{
	size_t i;

	for (i = 0; i < max && i + 1 < size && in[i]; i++)
		out[i] = in[i] > ' ' && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

static const char *class_name(uint8_t cls)
{
	return cls < sizeof class_names / sizeof class_names[0] ? class_names[cls] : "?";
}

/* Appends t to the --print-to file; false when it could not. */
static bool print_text(const char *path, const struct fw_ticket *t)
{
	char label[PROTO_LABEL_SIZE + 1], token[PROTO_TOKEN_SIZE + 1];
	char name[PROTO_NAME_MAX * 3 + 1];
	FILE *f = fopen(path, "a");
	int failed;

	if (!f)
		return false;
	ascii(label, sizeof label, t->label, PROTO_LABEL_SIZE);
	ascii(token, sizeof token, t->token, PROTO_TOKEN_SIZE);
	port_text_utf8(name, sizeof name, t->name,
		       t->name_len < PROTO_NAME_MAX ? t->name_len : PROTO_NAME_MAX);
	fprintf(f,
		"ticket %s\n"
		"service: %s\n"
		"class: %u %s\n"
		"ahead: %u\n"
		"wait: %u min\n"
		"time: %04lu-%02lu-%02lu %02u:%02u\n"
		"number: %u\n"
		"token: %s\n"
		"button: %u\n"
		"seq: %u\n"
		"\n",
		label, name, t->cls, class_name(t->cls), t->ahead, t->wait_min,
		(unsigned long)t->date / 10000, (unsigned long)t->date / 100 % 100,
		(unsigned long)t->date % 100, t->minute / 60u, t->minute % 60u, t->ticket, token,
		t->button, t->seq);
	failed = ferror(f);
	return (fclose(f) == 0) && !failed;
}

static void kiosk_poll(struct port *p, void *arg, uint32_t now_ms)
{
	struct kiosk *k = arg;
	uint16_t bits = printer_bits(k);
	bool ok = (bits & PROTO_PRINTER_OK) != 0;
	const char *path = p->opts.print_to;

	if (!k->printing || (int32_t)(now_ms - k->print_due_ms) < 0)
		return;
	k->printing = false;
	if (ok && path && !print_text(path, &k->ticket)) {
		port_error("cannot append ticket %.6s to %s", k->ticket.label, path);
		ok = false;
	}
	if (ok) {
		k->printed++;
		k->last = k->ticket;
		k->has_last = true;
		port_info("printed ticket %.6s (seq %u)", k->ticket.label, k->ticket.seq);
	} else {
		port_info("ticket %.6s (seq %u) not printed: printer %#x", k->ticket.label,
			  k->ticket.seq, bits);
	}
	fw_kiosk_print_done(&p->dev, ok, bits);
}

/* paper ok|near|out, cover open|closed. */
static void set_printer(struct kiosk *k, const char *verb, const char *args, char *reply,
			size_t size)
{
	if (strcmp(verb, "paper") == 0 && strcmp(args, "ok") == 0) {
		k->paper_out = k->near_end = false;
	} else if (strcmp(verb, "paper") == 0 && strcmp(args, "near") == 0) {
		k->paper_out = false;
		k->near_end = true;
	} else if (strcmp(verb, "paper") == 0 && strcmp(args, "out") == 0) {
		k->paper_out = true;
	} else if (strcmp(verb, "cover") == 0 && strcmp(args, "open") == 0) {
		k->cover_open = true;
	} else if (strcmp(verb, "cover") == 0 && strcmp(args, "closed") == 0) {
		k->cover_open = false;
	} else {
		snprintf(reply, size, "error: expected paper ok|near|out or cover open|closed");
		return;
	}
	fw_kiosk_printer(&k->port.dev, printer_bits(k));
	snprintf(reply, size, "ok");
}

static void cmd_last(const struct kiosk *k, char *reply, size_t size)
{
	const struct fw_ticket *t = &k->last;
	char label[PROTO_LABEL_SIZE + 1];

	if (!k->has_last) {
		snprintf(reply, size, "error: no ticket printed yet");
		return;
	}
	ascii(label, sizeof label, t->label, PROTO_LABEL_SIZE);
	snprintf(reply, size,
		 "ok %s ahead=%u wait=%u class=%u ticket=%u seq=%u button=%u date=%lu minute=%u",
		 label[0] ? label : "-", t->ahead, t->wait_min, t->cls, t->ticket, t->seq,
		 t->button, (unsigned long)t->date, t->minute);
}

static bool kiosk_command(struct port *p, void *arg, const char *verb, char *args, char *reply,
			  size_t size)
{
	struct kiosk *k = arg;
	long n;

	if (strcmp(verb, "press") == 0) {
		uint8_t key;

		if (!port_parse_int(args, 0, p->opts.buttons - 1, &n)) {
			snprintf(reply, size, "error: press N, N a button from 0 to %d",
				 p->opts.buttons - 1);
			return true;
		}
		key = (uint8_t)n;
		port_press(p, &key, 1, reply, size);
	} else if (strcmp(verb, "green") == 0 && !*args) {
		uint8_t key = FW_KIOSK_KEY_GREEN;

		port_press(p, &key, 1, reply, size);
	} else if (strcmp(verb, "paper") == 0 || strcmp(verb, "cover") == 0) {
		set_printer(k, verb, args, reply, size);
	} else if (strcmp(verb, "printed") == 0 && !*args) {
		snprintf(reply, size, "ok %lu", k->printed);
	} else if (strcmp(verb, "last") == 0 && !*args) {
		cmd_last(k, reply, size);
	} else if (strcmp(verb, "offered") == 0 && !*args) {
		snprintf(reply, size, "ok %u", fw_kiosk_offered(&p->dev));
	} else {
		return false;
	}
	return true;
}

/* The --print-to file must take appends before the kiosk starts. */
static bool print_file_ok(const char *path)
{
	FILE *f = fopen(path, "a");

	if (!f)
		return false;
	return fclose(f) == 0;
}

int main(int argc, char **argv)
{
	static struct kiosk k; /* the loop's; large, so not on the stack */
	const char *prog = "kiosk-fw";
	struct fw_kiosk_port printer = {kiosk_print, &k};
	struct fw_identity id;
	uint16_t bits;
	int status;

	if (!port_opts_parse(&k.port.opts, prog, PROTO_DEVICE_KIOSK, argc, argv, &status))
		return status;
	port_log_init(prog, k.port.opts.log_level);
	if (k.port.opts.print_to && !print_file_ok(k.port.opts.print_to)) {
		port_error("cannot append to %s: %s", k.port.opts.print_to, strerror(errno));
		return 1;
	}
	port_identity(&k.port.opts, &id);
	fw_kiosk_init(&k.port.dev, &id, k.port.opts.buttons, &printer, port_now_ms());
	/* The printer starts ready; tell the core unless it assumes so. */
	bits = printer_bits(&k);
	if (k.port.dev.printer != bits)
		fw_kiosk_printer(&k.port.dev, bits);
	k.port.ops = (struct port_device_ops){kiosk_command, kiosk_poll, &k};
	return port_run(&k.port);
}
