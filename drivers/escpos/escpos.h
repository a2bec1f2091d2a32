/*
 * escpos.h — a queue ticket as ESC/POS bytes for a thermal printer, the
 * printer's status bytes as the kiosk's PRINTER bits, and the way to the
 * printer (libusb, a device file, a plain file).
 *
 * Room: drivers/escpos. The only room that includes libusb. It knows the
 * wire contract of the kiosk (firmware/proto/proto.h, for the PRINTER
 * bits) and nothing of hostd. docs/escpos.md gives the ticket layout and
 * every command used.
 */
#ifndef HALLQ_ESCPOS_H
#define HALLQ_ESCPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- a growing byte buffer ---- */

struct escpos_buf {
	uint8_t *data;
	size_t len, cap;
	bool failed; /* an allocation failed: data holds what came before */
};

void escpos_buf_init(struct escpos_buf *b);
void escpos_buf_free(struct escpos_buf *b);
void escpos_buf_put(struct escpos_buf *b, const void *bytes, size_t n);

/* ---- the ticket ---- */

enum escpos_class {
	ESCPOS_CLASS_NORMAL = 0,
	ESCPOS_CLASS_GREEN = 1,       /* 绿色通道 */
	ESCPOS_CLASS_APPOINTMENT = 2, /* 预约 */
};

enum {
	ESCPOS_NUMBER_MAX = 8,      /* bytes of the ticket number, "A023" */
	ESCPOS_QR_MAX_VERSION = 10, /* the largest QR code on a ticket: 57 modules */
	ESCPOS_URL_MAX = 213,       /* bytes version 10 holds at error correction M */
};

struct escpos_ticket {
	const char *hall;                   /* UTF-8; "" or NULL: no hall line */
	const char *number;                 /* ASCII letters and digits, 1..ESCPOS_NUMBER_MAX */
	const char *service;                /* UTF-8, required */
	int cls;                            /* enum escpos_class */
	int ahead;                          /* people ahead; < 0: line left out */
	int wait_min;                       /* estimated wait in minutes; < 0: line left out */
	int year, month, day, hour, minute; /* when issued */
	const char *url;    /* the ticket status URL for the QR; "" or NULL: no QR */
	const char *footer; /* UTF-8; "" or NULL: no footer */
	int width_mm;       /* paper: 58 or 80 */
	int chars; /* characters (half-width columns) per line; 0: 32 at 58 mm, 48 at 80 mm */
};

/* What the layout had to change to fit; the ticket is printed all the same. */
struct escpos_report {
	int replaced;   /* characters GB18030 cannot hold (or bad UTF-8), printed as '?' */
	int cut_fields; /* text fields shortened to the line (marked with "…") */
};

enum escpos_error {
	ESCPOS_OK = 0,
	ESCPOS_ERR_ARG = -1, /* a field the ticket cannot do without is missing or wrong */
	ESCPOS_ERR_QR = -2,  /* the URL does not fit a QR code of version <= 10 */
	ESCPOS_ERR_NOMEM = -3,
	ESCPOS_ERR_IO = -4, /* the transport failed (see the message) */
	ESCPOS_ERR_NO_PRINTER = -5,
	ESCPOS_ERR_TIMEOUT = -6,
};

const char *escpos_strerror(int err);

/*
 * Appends the ESC/POS bytes of ticket t to out: initialise, Chinese mode,
 * the hall name centred, the number at 3x width and height, the service,
 * the class marker, people ahead and the estimated wait, the time, the QR
 * code (GS ( k, model 2), the footer, feed and partial cut. Returns
 * ESCPOS_OK (with what it changed in *report, which may be NULL) or an
 * error with a sentence in err; on error out is left as it was.
 */
int escpos_ticket(const struct escpos_ticket *t, struct escpos_buf *out,
		  struct escpos_report *report, char *err, size_t err_size);

/*
 * UTF-8 to GB18030 for the printer: a character GB18030 cannot hold, or a
 * byte that is not UTF-8, becomes '?'. Appends to out; returns how many
 * were replaced.
 */
int escpos_gb18030(const char *utf8, size_t len, struct escpos_buf *out);

/* ---- the printer's status ---- */

/*
 * The replies to DLE EOT 1 (printer), 2 (offline cause) and 4 (roll paper
 * sensor) as PROTO_PRINTER_* bits of the kiosk's PRINTER register: OK,
 * NEAR_END, PAPER_OUT, COVER_OPEN, OFFLINE. A reply that is not a status
 * byte (bit 4 set, bits 0 and 7 clear) makes the printer OFFLINE.
 */
uint16_t escpos_status_bits(uint8_t eot1, uint8_t eot2, uint8_t eot4);

/* ---- transports ---- */

struct escpos_port;

/*
 * Opens a printer. spec:
 *   usb                first USB printer (interface class 7)
 *   usb:VVVV:PPPP      the USB device with this vendor and product id (hex)
 *   dev:/dev/usb/lp0   a device file (read for status, write for print)
 *   file:PATH          a plain file: bytes appended, status always OK
 * Returns ESCPOS_OK, or an error with a sentence in err (no printer: a
 * clear ESCPOS_ERR_NO_PRINTER, never a crash).
 */
int escpos_open(const char *spec, struct escpos_port **out, char *err, size_t err_size);
/* Writes all n bytes within timeout_ms (negative: no limit); a USB printer
 * unplugged mid-job gives ESCPOS_ERR_IO and the port is reopened on the
 * next call. */
int escpos_write(struct escpos_port *p, const void *data, size_t n, int timeout_ms, char *err,
		 size_t err_size);
/* Asks DLE EOT 1, 2, 4 and maps the answers (escpos_status_bits); on
 * failure *bits is PROTO_PRINTER_OFFLINE as well as the error returned. */
int escpos_status(struct escpos_port *p, uint16_t *bits, int timeout_ms, char *err,
		  size_t err_size);
void escpos_close(struct escpos_port *p); /* NULL is fine */

#endif /* HALLQ_ESCPOS_H */
