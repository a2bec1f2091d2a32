/*
 * kiosk.c — kiosk-fw: the kiosk firmware on Linux, with simulated service
 * buttons and a simulated printer.
 *
 * Room: firmware/posix. The core (fw.h) decides what to print and when;
 * this file drives the printer: a ticket given to print() is printed
 * --print-delay-ms later, on a turn of the loop (never while a Modbus
 * reply waits), and reported back with fw_kiosk_print_done().
 *
 * With --printer the ticket goes to a real ESC/POS printer through
 * drivers/escpos (USB, a device file, or a file of bytes), laid out with
 * --paper, --chars, --hall, --footer and --ticket-url; the printer's own
 * status (DLE EOT) is read every PRINTER_STATUS_MS and becomes the PRINTER
 * register. Without it the printer is simulated: paper and cover come
 * from the control socket. `--printer png:DIR` is a simulated printer
 * too (paper and cover from the control socket) that keeps each ticket
 * it prints as a picture: laid out by drivers/escpos as for a real
 * printer, decoded and drawn (escpos_render_png) into DIR/YYYYMMDD-
 * LABEL.png, never over an earlier file (a second print of the same
 * ticket becomes YYYYMMDD-LABEL.2.png). Either way --print-to, if
 * given, gets each printed ticket as a readable UTF-8 text block.
 *
 * Control commands (besides text, status, wait-idle): press N, green,
 * key 0..9|enter|clear|checkin, checkin CODE,
 * paper ok|near|out, cover open|closed (simulated printer only), printed,
 * last, offered.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escpos.h"
#include "escpos_decode.h"
#include "port.h"

/* The font of the pictures of --printer png:DIR (as tools/ticket-render). */
#define PNG_FONT "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

enum {
	PRINTER_STATUS_MS = 2000,  /* how often a real printer's status is read */
	PRINTER_SILENT_MS = 10000, /* and after it did not answer in time */
	PRINTER_REOPEN_MS = 5000,  /* how often a printer that cannot be opened is tried */
	PRINTER_TIMEOUT_MS = 5000, /* for a ticket */
	/* for a status question: the loop also answers the Modbus master, so a
	 * printer that never answers must not hold it for long */
	PRINTER_ASK_MS = 300,
};

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
	/* a real printer (--printer) */
	struct escpos_port *printer;
	uint16_t real_bits; /* its PRINTER bits as last read */
	uint32_t next_status_ms, next_open_ms;
	bool open_failed; /* said once, until it opens */
};

static const char *const class_names[] = {"普通", "绿色通道", "预约"};

/* The folder of --printer png:DIR, else NULL. */
static const char *png_dir(const struct kiosk *k)
{
	const char *spec = k->port.opts.printer;

	return spec && strncmp(spec, "png:", 4) == 0 ? spec + 4 : NULL;
}

/* A real printer (--printer, not png:DIR): it reports its own status. */
static bool real_printer(const struct kiosk *k)
{
	return k->port.opts.printer && !png_dir(k);
}

static uint16_t printer_bits(const struct kiosk *k)
{
	uint16_t bits = 0;

	if (real_printer(k))
		return k->real_bits;
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

/* The ticket as drivers/escpos lays it out, from the PRINT and --options. */
static void escpos_fields(const struct kiosk *k, const struct fw_ticket *t, struct escpos_ticket *e,
			  char *label, char *name, size_t name_size, char *url, size_t url_size)
{
	const struct port_opts *o = &k->port.opts;

	ascii(label, PROTO_LABEL_SIZE + 1, t->label, PROTO_LABEL_SIZE);
	port_text_utf8(name, name_size, t->name,
		       t->name_len < PROTO_NAME_MAX ? t->name_len : PROTO_NAME_MAX);
	memset(e, 0, sizeof(*e));
	e->hall = o->hall;
	e->number = label;
	e->service = name;
	e->cls = t->cls <= ESCPOS_CLASS_APPOINTMENT ? t->cls : ESCPOS_CLASS_NORMAL;
	e->ahead = t->ahead;
	e->wait_min = t->wait_min;
	e->year = (int)(t->date / 10000);
	e->month = (int)(t->date / 100 % 100);
	e->day = (int)(t->date % 100);
	e->hour = t->minute / 60 % 24;
	e->minute = t->minute % 60;
	e->url = NULL;
	if (o->ticket_url) {
		/* the status token the host sent; without one, no QR code (the
		 * status page knows tickets by token only) */
		char token[PROTO_TOKEN_SIZE + 1];
		ascii(token, sizeof token, t->token, PROTO_TOKEN_SIZE);
		snprintf(url, url_size, "%s%s", o->ticket_url, token);
		e->url = token[0] ? url : NULL;
	}
	e->footer = o->footer;
	e->width_mm = o->paper_mm;
	e->chars = o->chars;
}

/* Prints t on the real printer; false (with *bits updated) when it did not. */
static bool print_escpos(struct kiosk *k, const struct fw_ticket *t, uint16_t *bits)
{
	char label[PROTO_LABEL_SIZE + 1], name[PROTO_NAME_MAX * 3 + 1], url[512], err[256];
	struct escpos_ticket e;
	struct escpos_buf b;
	struct escpos_report rep;
	int rc;

	if (!k->printer)
		return false;
	escpos_fields(k, t, &e, label, name, sizeof name, url, sizeof url);
	escpos_buf_init(&b);
	rc = escpos_ticket(&e, &b, &rep, err, sizeof err);
	if (rc == ESCPOS_OK) {
		if (rep.replaced || rep.cut_fields)
			port_warn("ticket %s: %d character(s) printed as '?', %d field(s) cut",
				  label, rep.replaced, rep.cut_fields);
		rc = escpos_write(k->printer, b.data, b.len, PRINTER_TIMEOUT_MS, err, sizeof err);
	}
	escpos_buf_free(&b);
	if (rc != ESCPOS_OK) {
		port_error("ticket %s not printed: %s", label, err);
		if (rc == ESCPOS_ERR_IO || rc == ESCPOS_ERR_TIMEOUT || rc == ESCPOS_ERR_NO_PRINTER)
			*bits = k->real_bits = PROTO_PRINTER_OFFLINE;
		return false;
	}
	return true;
}

/*
 * Keeps t as a picture in the png:DIR folder: a new file, never an earlier
 * one overwritten, so a ticket printed twice shows as two files. False
 * when it could not (the ticket counts as not printed).
 */
static bool print_png(struct kiosk *k, const struct fw_ticket *t)
{
	char label[PROTO_LABEL_SIZE + 1], name[PROTO_NAME_MAX * 3 + 1], url[512], err[256];
	char path[4096];
	struct escpos_ticket e;
	struct escpos_buf b;
	struct escpos_report rep;
	struct escpos_doc doc;
	int fd = -1, rc;

	escpos_fields(k, t, &e, label, name, sizeof name, url, sizeof url);
	for (int n = 1; fd < 0 && n < 100; n++) {
		if (n == 1)
			snprintf(path, sizeof path, "%s/%08lu-%s.png", png_dir(k),
				 (unsigned long)t->date, label);
		else
			snprintf(path, sizeof path, "%s/%08lu-%s.%d.png", png_dir(k),
				 (unsigned long)t->date, label, n);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		port_error("ticket %s: cannot create its picture %s: %s", label, path,
			   strerror(errno));
		return false;
	}
	close(fd);
	escpos_buf_init(&b);
	rc = escpos_ticket(&e, &b, &rep, err, sizeof err);
	if (rc == ESCPOS_OK) {
		rc = escpos_decode(b.data, b.len, &doc, err, sizeof err);
		if (rc == 0)
			rc = escpos_render_png(&doc, e.width_mm == 80 ? 576 : 384, PNG_FONT, path,
					       err, sizeof err);
		escpos_doc_free(&doc);
	}
	escpos_buf_free(&b);
	if (rc != 0) {
		port_error("ticket %s: no picture: %s", label, err);
		unlink(path);
		return false;
	}
	return true;
}

/* Opens the real printer when it is not, and reads its status now and then. */
static void watch_printer(struct port *p, struct kiosk *k, uint32_t now_ms)
{
	char err[256];

	if (!k->printer && (int32_t)(now_ms - k->next_open_ms) >= 0) {
		k->next_open_ms = now_ms + PRINTER_REOPEN_MS;
		if (escpos_open(p->opts.printer, &k->printer, err, sizeof err) != ESCPOS_OK) {
			k->printer = NULL;
			if (!k->open_failed)
				port_error("printer: %s; trying again every %d s", err,
					   PRINTER_REOPEN_MS / 1000);
			k->open_failed = true;
			k->real_bits = PROTO_PRINTER_OFFLINE;
			fw_kiosk_printer(&p->dev, k->real_bits);
			return;
		}
		port_info("printer %s open", p->opts.printer);
		k->open_failed = false;
		k->next_status_ms = now_ms;
	}
	if (!k->printer || k->printing || (int32_t)(now_ms - k->next_status_ms) < 0)
		return;
	k->next_status_ms = now_ms + PRINTER_STATUS_MS;
	uint16_t bits;
	int rc = escpos_status(k->printer, &bits, PRINTER_ASK_MS, err, sizeof err);
	if (rc != ESCPOS_OK) {
		if (k->real_bits != PROTO_PRINTER_OFFLINE) /* once an outage, not every poll */
			port_warn("printer status: %s", err);
		bits = PROTO_PRINTER_OFFLINE;
		if (rc == ESCPOS_ERR_TIMEOUT) /* a printer that is there but silent */
			k->next_status_ms = now_ms + PRINTER_SILENT_MS;
	}
	if (bits != k->real_bits)
		port_info("printer status %#x", bits);
	k->real_bits = bits;
	fw_kiosk_printer(&p->dev, bits);
}

static void kiosk_poll(struct port *p, void *arg, uint32_t now_ms)
{
	struct kiosk *k = arg;

	if (real_printer(k))
		watch_printer(p, k, now_ms);
	if (!k->printing || (int32_t)(now_ms - k->print_due_ms) < 0)
		return;

	uint16_t bits = printer_bits(k);
	bool ok = (bits & PROTO_PRINTER_OK) != 0;
	const char *path = p->opts.print_to;

	k->printing = false;
	if (ok && real_printer(k) && !print_escpos(k, &k->ticket, &bits))
		ok = false;
	if (ok && png_dir(k) && !print_png(k, &k->ticket))
		ok = false;
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
	if (real_printer(k)) {
		snprintf(reply, size, "error: a real printer (--printer) reports its own %s", verb);
		return;
	}
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

/* The keypad's key named name: a digit, enter, clear or checkin; -1 none. */
static int keypad_key(const char *name)
{
	if (name[0] >= '0' && name[0] <= '9' && name[1] == '\0')
		return PROTO_KIOSK_KEY_0 + (name[0] - '0');
	if (strcmp(name, "enter") == 0)
		return PROTO_KIOSK_KEY_ENTER;
	if (strcmp(name, "clear") == 0)
		return PROTO_KIOSK_KEY_CLEAR;
	if (strcmp(name, "checkin") == 0)
		return PROTO_KIOSK_KEY_CHECK_IN;
	return -1;
}

/* checkin CODE: the check-in key, CODE's digits (1..16 of them, so that
 * short and long codes can be tried), ENTER. */
static void cmd_checkin(struct port *p, const char *code, char *reply, size_t size)
{
	uint8_t keys[2 + 2 * PROTO_CODE_DIGITS];
	size_t n = 0, len = strlen(code);

	if (len < 1 || len > 2 * PROTO_CODE_DIGITS || strspn(code, "0123456789") != len) {
		snprintf(reply, size, "error: checkin CODE, CODE 1 to %d digits",
			 2 * PROTO_CODE_DIGITS);
		return;
	}
	keys[n++] = PROTO_KIOSK_KEY_CHECK_IN;
	for (size_t i = 0; i < len; i++)
		keys[n++] = (uint8_t)(PROTO_KIOSK_KEY_0 + (code[i] - '0'));
	keys[n++] = PROTO_KIOSK_KEY_ENTER;
	port_press(p, keys, n, reply, size);
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
	} else if (strcmp(verb, "key") == 0) {
		int key = keypad_key(args);

		if (key < 0) {
			snprintf(reply, size,
				 "error: unknown key \"%.32s\" (0..9 enter clear checkin)", args);
			return true;
		}
		uint8_t k8 = (uint8_t)key;
		port_press(p, &k8, 1, reply, size);
	} else if (strcmp(verb, "checkin") == 0) {
		cmd_checkin(p, args, reply, size);
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
	if (png_dir(&k) && mkdir(png_dir(&k), 0755) != 0 && errno != EEXIST) {
		port_error("cannot create the folder %s: %s", png_dir(&k), strerror(errno));
		return 1;
	}
	if (png_dir(&k) && access(png_dir(&k), W_OK | X_OK) != 0) {
		port_error("cannot write pictures into %s: %s", png_dir(&k), strerror(errno));
		return 1;
	}
	port_identity(&k.port.opts, &id);
	fw_kiosk_init(&k.port.dev, &id, k.port.opts.buttons, &printer, port_now_ms());
	k.real_bits = PROTO_PRINTER_OFFLINE; /* a real printer: until it answers */
	/* The printer starts ready; tell the core unless it assumes so. */
	bits = printer_bits(&k);
	if (k.port.dev.printer != bits)
		fw_kiosk_printer(&k.port.dev, bits);
	k.port.ops = (struct port_device_ops){kiosk_command, kiosk_poll, &k};
	status = port_run(&k.port);
	escpos_close(k.printer);
	return status;
}
