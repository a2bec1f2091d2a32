/*
 * ticket.c — a queue ticket laid out as ESC/POS bytes (docs/escpos.md gives
 * the layout and every command, byte by byte).
 *
 * Room: drivers/escpos. Pure apart from iconv: the bytes go to a buffer,
 * the transports (port.c, usb.c) carry them.
 */
#include "escpos.h"

#include <stdio.h>
#include <string.h>

enum {
	QR_MODULE_58 = 6, /* dots per module: version 10 (57 modules) is 342 of 384 dots */
	QR_MODULE_80 = 8, /* 456 of 576 */
	TEXT_LINES = 2,   /* a long hall name, service or footer wraps once, then is cut */
	FEED_LINES = 4,   /* the ticket clears the cutter */
};

/* The byte-mode capacity of QR codes at error correction M, versions 1..10
 * (ISO/IEC 18004 table 7). */
static const int qr_capacity_m[ESCPOS_QR_MAX_VERSION + 1] = {0,   14,  26,  42,  62, 84,
							     106, 122, 152, 180, 213};

static void put(struct escpos_buf *b, const char *bytes, size_t n)
{
	escpos_buf_put(b, bytes, n);
}

#define PUT(b, ...)                                                                                \
	do {                                                                                       \
		const char cmd_[] = {__VA_ARGS__};                                                 \
		put((b), cmd_, sizeof(cmd_));                                                      \
	} while (0)

/* Columns of one GB18030 character starting at g (ASCII 1, two bytes 2). */
static size_t char_len(const uint8_t *g)
{
	return g[0] >= 0x81 ? 2 : 1;
}

/*
 * Prints utf8 on at most TEXT_LINES lines of cols columns each (a
 * character of two bytes takes two columns); what does not fit is cut and
 * the last line ends in "…".
 */
static void put_text(struct escpos_buf *out, const char *utf8, size_t cols,
		     struct escpos_report *rep)
{
	static const char ellipsis[] = "\xa1\xad"; /* … in GB18030, two columns */
	struct escpos_buf gb;

	escpos_buf_init(&gb);
	rep->replaced += escpos_gb18030(utf8, strlen(utf8), &gb);
	if (gb.failed) {
		out->failed = true;
		escpos_buf_free(&gb);
		return;
	}
	size_t i = 0;
	for (int line = 0; line < TEXT_LINES && i < gb.len; line++) {
		size_t start = i, used = 0;
		while (i < gb.len && used + char_len(gb.data + i) <= cols) {
			used += char_len(gb.data + i);
			i += char_len(gb.data + i);
		}
		if (line == TEXT_LINES - 1 && i < gb.len) {
			/* more than fits: make room for the ellipsis */
			while (i > start && used + 2 > cols) {
				size_t back = 1;
				/* step back one character: find the last start before i */
				for (size_t k = start; k < i; k += char_len(gb.data + k))
					back = i - k;
				i -= back;
				used -= back;
			}
			escpos_buf_put(out, gb.data + start, i - start);
			put(out, ellipsis, 2);
			rep->cut_fields++;
			i = gb.len;
		} else {
			escpos_buf_put(out, gb.data + start, i - start);
		}
		put(out, "\n", 1);
	}
	escpos_buf_free(&gb);
}

static void put_utf8_line(struct escpos_buf *out, const char *utf8, struct escpos_report *rep)
{
	rep->replaced += escpos_gb18030(utf8, strlen(utf8), out);
	put(out, "\n", 1);
}

/* GS ( k: model 2, the module size, error correction M, store, print. */
static void put_qr(struct escpos_buf *out, const char *url, int module)
{
	size_t n = strlen(url) + 3;

	PUT(out, 0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00);
	PUT(out, 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, (char)module);
	PUT(out, 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31);
	PUT(out, 0x1d, 0x28, 0x6b, (char)(n & 0xff), (char)(n >> 8), 0x31, 0x50, 0x30);
	put(out, url, strlen(url));
	PUT(out, 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30);
}

static int fail(char *err, size_t err_size, int code, const char *what)
{
	snprintf(err, err_size, "%s", what);
	return code;
}

static bool number_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > ESCPOS_NUMBER_MAX)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!((s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= 'a' && s[k] <= 'z') ||
		      (s[k] >= '0' && s[k] <= '9')))
			return false;
	return true;
}

static bool is_set(const char *s)
{
	return s && *s;
}

/* The QR version at level M that holds n bytes, or 0 when none <= 10 does. */
static int qr_version(size_t n)
{
	for (int v = 1; v <= ESCPOS_QR_MAX_VERSION; v++)
		if (n <= (size_t)qr_capacity_m[v])
			return v;
	return 0;
}

static int check(const struct escpos_ticket *t, char *err, size_t err_size)
{
	if (!number_ok(t->number))
		return fail(err, err_size, ESCPOS_ERR_ARG,
			    "the ticket number must be 1 to 8 letters and digits, such as A023");
	if (!is_set(t->service))
		return fail(err, err_size, ESCPOS_ERR_ARG, "the service name is empty");
	if (t->cls < ESCPOS_CLASS_NORMAL || t->cls > ESCPOS_CLASS_APPOINTMENT)
		return fail(err, err_size, ESCPOS_ERR_ARG,
			    "the class must be normal, green or appointment");
	if (t->width_mm != 58 && t->width_mm != 80)
		return fail(err, err_size, ESCPOS_ERR_ARG, "the paper width must be 58 or 80 mm");
	if (t->chars != 0 && (t->chars < 24 || t->chars > 72))
		return fail(err, err_size, ESCPOS_ERR_ARG,
			    "characters per line must be from 24 to 72");
	if (t->year < 2000 || t->year > 9999 || t->month < 1 || t->month > 12 || t->day < 1 ||
	    t->day > 31 || t->hour < 0 || t->hour > 23 || t->minute < 0 || t->minute > 59)
		return fail(err, err_size, ESCPOS_ERR_ARG, "the issue date or time is not valid");
	if (is_set(t->url)) {
		size_t n = strlen(t->url);
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)t->url[k] <= 0x20 || (unsigned char)t->url[k] >= 0x7f)
				return fail(err, err_size, ESCPOS_ERR_ARG,
					    "the URL must be printable ASCII without spaces");
		if (!qr_version(n)) {
			snprintf(err, err_size,
				 "the URL is %zu bytes; a ticket's QR code (version %d, error "
				 "correction M) holds at most %d",
				 n, ESCPOS_QR_MAX_VERSION, qr_capacity_m[ESCPOS_QR_MAX_VERSION]);
			return ESCPOS_ERR_QR;
		}
	}
	return ESCPOS_OK;
}

int escpos_ticket(const struct escpos_ticket *t, struct escpos_buf *out,
		  struct escpos_report *report, char *err, size_t err_size)
{
	struct escpos_report rep = {0, 0};
	struct escpos_buf b;
	char line[96];
	int rc = check(t, err, err_size);

	if (rc != ESCPOS_OK)
		return rc;
	size_t cols = (size_t)(t->chars ? t->chars : t->width_mm == 58 ? 32 : 48);
	escpos_buf_init(&b);

	PUT(&b, 0x1b, 0x40);       /* ESC @: initialise */
	PUT(&b, 0x1c, 0x26);       /* FS &: Chinese mode */
	PUT(&b, 0x1b, 0x61, 0x01); /* ESC a 1: centred */
	if (is_set(t->hall)) {
		PUT(&b, 0x1b, 0x45, 0x01); /* ESC E 1: bold */
		put_text(&b, t->hall, cols, &rep);
		PUT(&b, 0x1b, 0x45, 0x00);
	}
	PUT(&b, 0x1d, 0x21, 0x22); /* GS ! 0x22: three times as wide and as high */
	put_utf8_line(&b, t->number, &rep);
	PUT(&b, 0x1d, 0x21, 0x01); /* GS ! 0x01: twice as high */
	put_text(&b, t->service, cols, &rep);
	PUT(&b, 0x1d, 0x21, 0x00);
	if (t->cls != ESCPOS_CLASS_NORMAL) {
		PUT(&b, 0x1b, 0x45, 0x01);
		put_utf8_line(&b, t->cls == ESCPOS_CLASS_GREEN ? "【绿色通道】" : "【预约】", &rep);
		PUT(&b, 0x1b, 0x45, 0x00);
	}
	PUT(&b, 0x1b, 0x61, 0x00); /* ESC a 0: left */
	if (t->ahead >= 0) {
		snprintf(line, sizeof(line), "前面还有 %d 人", t->ahead);
		put_utf8_line(&b, line, &rep);
	}
	if (t->wait_min >= 0) {
		snprintf(line, sizeof(line), "预计等待 %d 分钟", t->wait_min);
		put_utf8_line(&b, line, &rep);
	}
	snprintf(line, sizeof(line), "取号时间 %04d-%02d-%02d %02d:%02d", t->year, t->month, t->day,
		 t->hour, t->minute);
	put_utf8_line(&b, line, &rep);
	PUT(&b, 0x1b, 0x61, 0x01);
	if (is_set(t->url))
		put_qr(&b, t->url, t->width_mm == 58 ? QR_MODULE_58 : QR_MODULE_80);
	if (is_set(t->footer))
		put_text(&b, t->footer, cols, &rep);
	PUT(&b, 0x1b, 0x64, FEED_LINES); /* ESC d 4: feed */
	PUT(&b, 0x1d, 0x56, 0x01);       /* GS V 1: partial cut */

	if (b.failed) {
		escpos_buf_free(&b);
		return fail(err, err_size, ESCPOS_ERR_NOMEM, "out of memory");
	}
	escpos_buf_put(out, b.data, b.len);
	escpos_buf_free(&b);
	if (out->failed)
		return fail(err, err_size, ESCPOS_ERR_NOMEM, "out of memory");
	if (report)
		*report = rep;
	return ESCPOS_OK;
}
