/*
 * decode.c — ESC/POS bytes back into printed items (escpos_decode.h): text
 * lines with the attributes in force at their first character, feeds, QR
 * symbols (GS ( k, cn 49) and cuts. For tests and tools; it never talks to
 * a printer.
 *
 * Room: drivers/escpos. Plain C and iconv (GB18030 to UTF-8). The state of
 * one decoding lives in a struct decoder on the caller's stack; the result
 * (struct escpos_doc) belongs to the caller and is freed with
 * escpos_doc_free().
 *
 * Commands are looked up in one table (prefix byte, command byte, minimum
 * argument bytes, handler). Every read of an argument is checked against
 * the bytes left first: input from a file or a fuzzer may stop anywhere.
 * Spec: Epson "ESC/POS Application Programming Guide" command reference.
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escpos_decode.h"

enum { LF = 0x0a, CR = 0x0d, HT = 0x09, DLE = 0x10, ESC = 0x1b, FS = 0x1c, GS = 0x1d };

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD in UTF-8 */

struct decoder {
	const uint8_t *data;
	size_t len, pos;
	struct escpos_doc *doc;
	bool nomem;

	/* the printer's modes */
	int align, width, height;
	bool bold, underline, chinese;

	/* the line being filled: UTF-8 text and the modes of its first character */
	char *text;
	size_t text_len, text_cap;
	bool has_line;
	struct escpos_line attrs;

	/* the QR symbol settings and stored data (GS ( k, cn 49) */
	int qr_model, qr_module, qr_ec;
	uint8_t *qr_data;
	size_t qr_len;

	iconv_t cd; /* GB18030 to UTF-8, opened on first use */
	bool cd_open, cd_failed;
};

/*
 * A command handler. args points at the bytes after the command byte, avail
 * says how many there are (at least the table's min_args). Returns how many
 * argument bytes the command takes, or -1 when they run past the data.
 */
typedef ptrdiff_t (*command_fn)(struct decoder *d, const uint8_t *args, size_t avail);

struct command {
	uint8_t prefix, code;
	const char *name;
	int min_args;
	command_fn run; /* NULL: accepted and skipped */
	bool family;    /* the first argument byte names the function (GS ( k) */
};

/* ---- the result ---- */

static struct escpos_item *add_item(struct decoder *d, enum escpos_item_kind kind)
{
	struct escpos_doc *doc = d->doc;
	if (doc->n_items % 16 == 0) {
		struct escpos_item *grown =
		    realloc(doc->items, ((size_t)doc->n_items + 16) * sizeof(*grown));
		if (grown == NULL) {
			d->nomem = true;
			return NULL;
		}
		doc->items = grown;
	}
	struct escpos_item *it = &doc->items[doc->n_items++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	return it;
}

static void note_unknown(struct decoder *d, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Counts an unknown command; describes the first in doc->first_unknown. */
static void note_unknown(struct decoder *d, size_t at, const char *fmt, ...)
{
	if (d->doc->n_unknown++ > 0)
		return;
	char what[40];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(d->doc->first_unknown, sizeof(d->doc->first_unknown), "%s at byte %zu", what, at);
}

/* ---- text ---- */

static void put_text(struct decoder *d, const char *utf8, size_t n)
{
	if (!d->has_line) {
		d->has_line = true;
		d->attrs = (struct escpos_line){.width = d->width,
						.height = d->height,
						.bold = d->bold,
						.underline = d->underline,
						.align = d->align};
	}
	if (d->text_len + n + 1 > d->text_cap) {
		size_t cap = d->text_cap ? d->text_cap * 2 : 64;
		while (cap < d->text_len + n + 1)
			cap *= 2;
		char *grown = realloc(d->text, cap);
		if (grown == NULL) {
			d->nomem = true;
			return;
		}
		d->text = grown;
		d->text_cap = cap;
	}
	memcpy(d->text + d->text_len, utf8, n);
	d->text_len += n;
	d->text[d->text_len] = '\0';
}

/* Ends the line being filled; force: an empty line too (LF prints one). */
static void end_line(struct decoder *d, bool force)
{
	if (!d->has_line && !force)
		return;
	if (!d->has_line)
		put_text(d, "", 0);
	if (d->nomem)
		return;
	struct escpos_item *it = add_item(d, ESCPOS_ITEM_LINE);
	if (it == NULL)
		return;
	it->line = d->attrs;
	it->line.text = d->text;
	d->text = NULL;
	d->text_len = d->text_cap = 0;
	d->has_line = false;
}

/* One GB18030 character (1, 2 or 4 bytes) to UTF-8; U+FFFD if iconv refuses. */
static void put_gb18030(struct decoder *d, const uint8_t *bytes, size_t n)
{
	if (!d->cd_open && !d->cd_failed) {
		d->cd = iconv_open("UTF-8", "GB18030");
		d->cd_open = d->cd != (iconv_t)-1;
		d->cd_failed = !d->cd_open;
	}
	if (d->cd_open) {
		char in_buf[4], out_buf[16];
		memcpy(in_buf, bytes, n);
		char *in = in_buf, *out = out_buf;
		size_t in_left = n, out_left = sizeof(out_buf);
		if (iconv(d->cd, &in, &in_left, &out, &out_left) != (size_t)-1 && in_left == 0) {
			put_text(d, out_buf, sizeof(out_buf) - out_left);
			return;
		}
		iconv(d->cd, NULL, NULL, NULL, NULL);
	}
	put_text(d, replacement, 3);
}

static bool in_range(uint8_t b, uint8_t lo, uint8_t hi)
{
	return b >= lo && b <= hi;
}

/* How many bytes the GB18030 character at p takes (1 for a byte that starts none). */
static size_t gb18030_length(const uint8_t *p, size_t avail)
{
	if (!in_range(p[0], 0x81, 0xfe) || avail < 2)
		return 1;
	if (in_range(p[1], 0x40, 0xfe) && p[1] != 0x7f)
		return 2;
	if (avail >= 4 && in_range(p[1], 0x30, 0x39) && in_range(p[2], 0x81, 0xfe) &&
	    in_range(p[3], 0x30, 0x39))
		return 4;
	return 1;
}

/* A printable byte (>= 0x20): text in the current mode. */
static void decode_text(struct decoder *d)
{
	const uint8_t *p = d->data + d->pos;
	if (p[0] < 0x7f) {
		put_text(d, (const char *)p, 1);
		d->pos++;
		return;
	}
	size_t n = d->chinese ? gb18030_length(p, d->len - d->pos) : 1;
	if (n == 1)
		put_text(d, replacement, 3);
	else
		put_gb18030(d, p, n);
	d->pos += n;
}

/* ---- commands ---- */

static void reset_modes(struct decoder *d)
{
	d->align = ESCPOS_LEFT;
	d->width = d->height = 1;
	d->bold = d->underline = d->chinese = false;
	d->qr_model = 2;
	d->qr_module = 3;
	d->qr_ec = 'L';
	free(d->qr_data);
	d->qr_data = NULL;
	d->qr_len = 0;
}

static ptrdiff_t run_init(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)a;
	(void)avail;
	/* ESC @ clears the print buffer: text not yet printed is lost */
	free(d->text);
	d->text = NULL;
	d->text_len = d->text_cap = 0;
	d->has_line = false;
	reset_modes(d);
	return 0;
}

static ptrdiff_t run_feed(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)avail;
	end_line(d, false);
	if (a[0] > 0) {
		struct escpos_item *it = add_item(d, ESCPOS_ITEM_FEED);
		if (it != NULL)
			it->feed_lines = a[0];
	}
	return 1;
}

static ptrdiff_t run_print_and_feed_dots(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)a;
	(void)avail;
	end_line(d, false);
	return 1;
}

static ptrdiff_t run_align(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)avail;
	int n = a[0] >= '0' ? a[0] - '0' : a[0];
	if (n >= ESCPOS_LEFT && n <= ESCPOS_RIGHT)
		d->align = n;
	return 1;
}

static ptrdiff_t run_bold(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)avail;
	d->bold = a[0] & 1;
	return 1;
}

static ptrdiff_t run_underline(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)avail;
	int n = a[0] >= '0' ? a[0] - '0' : a[0];
	if (n >= 0 && n <= 2)
		d->underline = n != 0;
	return 1;
}

static ptrdiff_t run_size(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)avail;
	d->width = ((a[0] >> 4) & 7) + 1;
	d->height = (a[0] & 7) + 1;
	return 1;
}

static ptrdiff_t run_print_mode(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)avail;
	d->bold = a[0] & 0x08;
	d->height = a[0] & 0x10 ? 2 : 1;
	d->width = a[0] & 0x20 ? 2 : 1;
	d->underline = a[0] & 0x80;
	return 1;
}

static ptrdiff_t run_chinese_on(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)a;
	(void)avail;
	d->chinese = true;
	return 0;
}

static ptrdiff_t run_chinese_off(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)a;
	(void)avail;
	d->chinese = false;
	return 0;
}

static void add_cut(struct decoder *d, bool partial)
{
	end_line(d, false);
	struct escpos_item *it = add_item(d, ESCPOS_ITEM_CUT);
	if (it != NULL)
		it->partial_cut = partial;
}

static ptrdiff_t run_cut_full(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)a;
	(void)avail;
	add_cut(d, false);
	return 0;
}

static ptrdiff_t run_cut_partial(struct decoder *d, const uint8_t *a, size_t avail)
{
	(void)a;
	(void)avail;
	add_cut(d, true);
	return 0;
}

/* GS V m, and GS V m n for the forms that feed before cutting. */
static ptrdiff_t run_cut(struct decoder *d, const uint8_t *a, size_t avail)
{
	switch (a[0]) {
	case 0:
	case '0':
	case 1:
	case '1':
		add_cut(d, a[0] & 1);
		return 1;
	case 65:
	case 66:
	case 97:
	case 98:
	case 103:
	case 104:
		if (avail < 2)
			return -1;
		add_cut(d, a[0] == 66 || a[0] == 98 || a[0] == 104);
		return 2;
	default:
		note_unknown(d, d->pos, "GS V %u", a[0]);
		return 1;
	}
}

static void qr_store(struct decoder *d, const uint8_t *data, size_t n)
{
	uint8_t *copy = malloc(n + 1);
	if (copy == NULL) {
		d->nomem = true;
		return;
	}
	memcpy(copy, data, n);
	copy[n] = '\0';
	free(d->qr_data);
	d->qr_data = copy;
	d->qr_len = n;
}

static void qr_print(struct decoder *d)
{
	end_line(d, false);
	if (d->qr_data == NULL || d->qr_len == 0 || d->nomem)
		return; /* nothing stored: the printer prints nothing */
	struct escpos_item *it = add_item(d, ESCPOS_ITEM_QR);
	if (it == NULL)
		return;
	it->qr_data = malloc(d->qr_len + 1);
	if (it->qr_data == NULL) {
		d->nomem = true;
		return;
	}
	memcpy(it->qr_data, d->qr_data, d->qr_len + 1);
	it->qr_len = d->qr_len;
	it->qr_model = d->qr_model;
	it->qr_module = d->qr_module;
	it->qr_ec = d->qr_ec;
	it->qr_align = d->align;
}

/* GS ( k with cn 49: the k bytes p are cn fn parameters. */
static void run_qr_function(struct decoder *d, const uint8_t *p, size_t k)
{
	static const char ec_letters[] = "LMQH";
	if (k < 2 || p[0] != 49) {
		note_unknown(d, d->pos, "GS ( k cn %u", k > 0 ? p[0] : 0u);
		return;
	}
	uint8_t fn = p[1];
	if (fn == 65 && k >= 3 && (p[2] == 49 || p[2] == 50))
		d->qr_model = p[2] - 48;
	else if (fn == 67 && k >= 3 && in_range(p[2], 1, 16))
		d->qr_module = p[2];
	else if (fn == 69 && k >= 3 && in_range(p[2], 48, 51))
		d->qr_ec = ec_letters[p[2] - 48];
	else if (fn == 80 && k >= 3)
		qr_store(d, p + 3, k - 3);
	else if (fn == 81)
		qr_print(d);
	/* fn 82 (size information) and settings out of range: ignored */
}

/* GS ( X pL pH, FS ( X pL pH: k = pL + 256 pH bytes follow. */
static ptrdiff_t run_paren(struct decoder *d, const uint8_t *a, size_t avail)
{
	size_t k = a[1] | (size_t)a[2] << 8;
	if (k > avail - 3)
		return -1;
	if (d->data[d->pos] == GS && a[0] == 'k')
		run_qr_function(d, a + 3, k);
	else if (d->data[d->pos] == GS)
		note_unknown(d, d->pos, "GS ( %c", a[0] >= 0x21 && a[0] < 0x7f ? a[0] : '?');
	/* FS ( A, FS ( C...: character settings, accepted */
	return (ptrdiff_t)(3 + k);
}

/* GS 8 L p1 p2 p3 p4 ...: graphics with a 32-bit length; not drawn. */
static ptrdiff_t run_graphics_long(struct decoder *d, const uint8_t *a, size_t avail)
{
	if (a[0] != 'L') {
		note_unknown(d, d->pos, "GS 8 0x%02X", a[0]);
		return 1;
	}
	size_t k = a[1] | (size_t)a[2] << 8 | (size_t)a[3] << 16 | (size_t)a[4] << 24;
	if (k > avail - 5)
		return -1;
	note_unknown(d, d->pos, "GS 8 L");
	return (ptrdiff_t)(5 + k);
}

/* GS v 0 m xL xH yL yH: a raster image of (xL + 256 xH) * (yL + 256 yH) bytes. */
static ptrdiff_t run_raster(struct decoder *d, const uint8_t *a, size_t avail)
{
	if (a[0] != '0') {
		note_unknown(d, d->pos, "GS v 0x%02X", a[0]);
		return 1;
	}
	size_t x = a[2] | (size_t)a[3] << 8, y = a[4] | (size_t)a[5] << 8;
	if (x * y > avail - 6)
		return -1;
	note_unknown(d, d->pos, "GS v 0");
	return (ptrdiff_t)(6 + x * y);
}

/* ESC * m nL nH: a bit image of n (8-dot) or 3n (24-dot) bytes. */
static ptrdiff_t run_bit_image(struct decoder *d, const uint8_t *a, size_t avail)
{
	size_t n = a[1] | (size_t)a[2] << 8;
	if (a[0] == 32 || a[0] == 33)
		n *= 3;
	else if (a[0] != 0 && a[0] != 1) {
		note_unknown(d, d->pos, "ESC * %u", a[0]);
		return 1;
	}
	if (n > avail - 3)
		return -1;
	note_unknown(d, d->pos, "ESC *");
	return (ptrdiff_t)(3 + n);
}

/* clang-format off */
static const struct command commands[] = {
	{ESC, '@', "ESC @", 0, run_init, false},
	{ESC, 'd', "ESC d", 1, run_feed, false},
	{ESC, 'J', "ESC J", 1, run_print_and_feed_dots, false},
	{ESC, 'a', "ESC a", 1, run_align, false},
	{ESC, 'E', "ESC E", 1, run_bold, false},
	{ESC, 'G', "ESC G", 1, NULL, false},  /* double-strike */
	{ESC, '-', "ESC -", 1, run_underline, false},
	{ESC, '!', "ESC !", 1, run_print_mode, false},
	{ESC, 't', "ESC t", 1, NULL, false},  /* code table */
	{ESC, 'R', "ESC R", 1, NULL, false},  /* international set */
	{ESC, '2', "ESC 2", 0, NULL, false},  /* default line spacing */
	{ESC, '3', "ESC 3", 1, NULL, false},  /* line spacing */
	{ESC, 'M', "ESC M", 1, NULL, false},  /* font */
	{ESC, ' ', "ESC SP", 1, NULL, false}, /* right-side spacing */
	{ESC, '{', "ESC {", 1, NULL, false},  /* upside down */
	{ESC, 'V', "ESC V", 1, NULL, false},  /* 90-degree rotation */
	{ESC, '$', "ESC $", 2, NULL, false},  /* absolute position */
	{ESC, '\\', "ESC \\", 2, NULL, false}, /* relative position */
	{ESC, 'p', "ESC p", 3, NULL, false},  /* drawer pulse */
	{ESC, 'i', "ESC i", 0, run_cut_full, false},
	{ESC, 'm', "ESC m", 0, run_cut_partial, false},
	{ESC, '*', "ESC *", 3, run_bit_image, false},
	{GS, '!', "GS !", 1, run_size, false},
	{GS, 'V', "GS V", 1, run_cut, false},
	{GS, '(', "GS (", 3, run_paren, true},
	{GS, '8', "GS 8", 5, run_graphics_long, true},
	{GS, 'v', "GS v", 6, run_raster, true},
	{GS, 'r', "GS r", 1, NULL, false},    /* status request */
	{GS, 'L', "GS L", 2, NULL, false},    /* left margin */
	{GS, 'W', "GS W", 2, NULL, false},    /* print area width */
	{GS, 'a', "GS a", 1, NULL, false},    /* automatic status back */
	{GS, 'B', "GS B", 1, NULL, false},    /* white/black reverse */
	{GS, 'b', "GS b", 1, NULL, false},    /* smoothing */
	{GS, 'h', "GS h", 1, NULL, false},    /* bar code height */
	{GS, 'w', "GS w", 1, NULL, false},    /* bar code width */
	{GS, 'H', "GS H", 1, NULL, false},    /* bar code text position */
	{GS, 'f', "GS f", 1, NULL, false},    /* bar code text font */
	{GS, 'P', "GS P", 2, NULL, false},    /* motion units */
	{GS, 'I', "GS I", 1, NULL, false},    /* printer id request */
	{FS, '&', "FS &", 0, run_chinese_on, false},
	{FS, '.', "FS .", 0, run_chinese_off, false},
	{FS, '!', "FS !", 1, NULL, false},    /* Chinese character modes */
	{FS, '-', "FS -", 1, NULL, false},    /* Chinese underline */
	{FS, 'S', "FS S", 2, NULL, false},    /* Chinese character spacing */
	{FS, 'W', "FS W", 1, NULL, false},    /* Chinese quadruple size */
	{FS, 'C', "FS C", 1, NULL, false},    /* Chinese code system */
	{FS, '(', "FS (", 3, run_paren, true},
	{DLE, 0x04, "DLE EOT", 1, NULL, false}, /* status request */
	{DLE, 0x05, "DLE ENQ", 1, NULL, false}, /* real-time request */
};
/* clang-format on */

static const char *prefix_name(uint8_t prefix)
{
	switch (prefix) {
	case ESC:
		return "ESC";
	case GS:
		return "GS";
	case FS:
		return "FS";
	default:
		return "DLE";
	}
}

static const struct command *find_command(uint8_t prefix, uint8_t code)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].prefix == prefix && commands[i].code == code)
			return &commands[i];
	return NULL;
}

/* The command at d->pos (a prefix byte). Returns false when the data ends inside it. */
static bool decode_command(struct decoder *d, char *err, size_t err_size)
{
	size_t at = d->pos;
	uint8_t prefix = d->data[at];
	if (d->len - at < 2) {
		snprintf(err, err_size, "the data ends right after %s at byte %zu",
			 prefix_name(prefix), at);
		return false;
	}
	uint8_t code = d->data[at + 1];
	const struct command *c = find_command(prefix, code);
	if (c == NULL) {
		note_unknown(d, at, "%s 0x%02X", prefix_name(prefix), code);
		d->pos += 2;
		return true;
	}
	const uint8_t *args = d->data + at + 2;
	size_t avail = d->len - at - 2;
	ptrdiff_t used = -1;
	if (avail >= (size_t)c->min_args)
		used = c->run != NULL ? c->run(d, args, avail) : c->min_args;
	if (used < 0) {
		if (c->family && avail > 0 && args[0] >= 0x21 && args[0] < 0x7f)
			snprintf(err, err_size, "the data ends inside %s %c at byte %zu", c->name,
				 args[0], at);
		else
			snprintf(err, err_size, "the data ends inside %s at byte %zu", c->name, at);
		return false;
	}
	d->pos = at + 2 + (size_t)used;
	return true;
}

int escpos_decode(const uint8_t *data, size_t len, struct escpos_doc *doc, char *err,
		  size_t err_size)
{
	struct decoder d = {.data = data, .len = len, .doc = doc};
	memset(doc, 0, sizeof(*doc));
	reset_modes(&d);
	if (err_size > 0)
		err[0] = '\0';
	bool ok = true;
	while (ok && !d.nomem && d.pos < len) {
		uint8_t b = data[d.pos];
		if (b == ESC || b == GS || b == FS || b == DLE) {
			ok = decode_command(&d, err, err_size);
		} else if (b == LF) {
			end_line(&d, true);
			d.pos++;
		} else if (b == HT) {
			put_text(&d, " ", 1);
			d.pos++;
		} else if (b < 0x20) {
			if (b != CR && b != 0) /* CR and NUL: nothing to print */
				note_unknown(&d, d.pos, "0x%02X", b);
			d.pos++;
		} else {
			decode_text(&d);
		}
	}
	if (!d.nomem)
		end_line(&d, false); /* text never ended by LF: shown all the same */
	if (d.nomem)
		snprintf(err, err_size, "out of memory while decoding");
	free(d.text);
	free(d.qr_data);
	if (d.cd_open)
		iconv_close(d.cd);
	return ok && !d.nomem ? 0 : -1;
}

void escpos_doc_free(struct escpos_doc *doc)
{
	if (doc == NULL)
		return;
	for (int i = 0; i < doc->n_items; i++) {
		free(doc->items[i].line.text);
		free(doc->items[i].qr_data);
	}
	free(doc->items);
	memset(doc, 0, sizeof(*doc));
}
