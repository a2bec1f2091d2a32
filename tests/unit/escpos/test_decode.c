/*
 * test_decode.c — the ESC/POS decoder (drivers/escpos/decode.c). Every
 * byte sequence is written by hand from the ESC/POS command definitions
 * (Epson command reference) and every expected item from what a printer
 * does with it; the GB18030 and UTF-8 bytes were worked out with Python
 * ('请A023号'.encode('gb18030'), .encode('utf-8')), not with the decoder.
 * Then truncations at every offset of a ticket-like sequence and a few
 * thousand seeded random byte strings, which must never crash (run them
 * in the ASan build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "escpos_decode.h"

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static char err[128];

static int decode(struct escpos_doc *doc, const uint8_t *data, size_t len)
{
	return escpos_decode(data, len, doc, err, sizeof(err));
}

static void expect_line(const struct escpos_doc *doc, int i, const char *text, int w, int h,
			bool bold, bool underline, int align)
{
	assert_true(i < doc->n_items);
	const struct escpos_item *it = &doc->items[i];
	assert_int_equal(it->kind, ESCPOS_ITEM_LINE);
	assert_string_equal(it->line.text, text);
	assert_int_equal(it->line.width, w);
	assert_int_equal(it->line.height, h);
	assert_int_equal(it->line.bold, bold);
	assert_int_equal(it->line.underline, underline);
	assert_int_equal(it->line.align, align);
}

static void expect_feed(const struct escpos_doc *doc, int i, int n)
{
	assert_true(i < doc->n_items);
	assert_int_equal(doc->items[i].kind, ESCPOS_ITEM_FEED);
	assert_int_equal(doc->items[i].feed_lines, n);
}

static void expect_cut(const struct escpos_doc *doc, int i, bool partial)
{
	assert_true(i < doc->n_items);
	assert_int_equal(doc->items[i].kind, ESCPOS_ITEM_CUT);
	assert_int_equal(doc->items[i].partial_cut, partial);
}

/* ESC @, LF: plain lines at the initial modes; LF alone prints an empty line. */
static void test_lines(void **state)
{
	(void)state;
	struct escpos_doc doc;
	assert_int_equal(decode(&doc, BYTES(0x1b, '@', 'A', 'B', '\n', '\n', 'C', '\r', '\n')), 0);
	assert_int_equal(doc.n_items, 3);
	expect_line(&doc, 0, "AB", 1, 1, false, false, ESCPOS_LEFT);
	expect_line(&doc, 1, "", 1, 1, false, false, ESCPOS_LEFT);
	expect_line(&doc, 2, "C", 1, 1, false, false, ESCPOS_LEFT);
	assert_int_equal(doc.n_unknown, 0);
	escpos_doc_free(&doc);

	/* text never ended by LF is shown all the same; ESC @ drops unprinted text */
	assert_int_equal(decode(&doc, BYTES('x', 0x1b, '@', 'y', 'z')), 0);
	assert_int_equal(doc.n_items, 1);
	expect_line(&doc, 0, "yz", 1, 1, false, false, ESCPOS_LEFT);
	escpos_doc_free(&doc);

	assert_int_equal(decode(&doc, (const uint8_t *)"", 0), 0);
	assert_int_equal(doc.n_items, 0);
	escpos_doc_free(&doc);
}

/* ESC a, ESC E, ESC -, GS !, ESC !, and ESC @ resetting them. */
static void test_modes(void **state)
{
	(void)state;
	struct escpos_doc doc;
	assert_int_equal(
	    decode(&doc,
		   BYTES(0x1b, 'a', 1, 0x1b, 'E', 1, 0x1b, '-', 1, 0x1d, '!', 0x22, 'A', '0', '2',
			 '3', '\n',
			 /* '2' right, E '0' off, - '0' off, GS ! 1: 1x2 */
			 0x1b, 'a', '2', 0x1b, 'E', '0', 0x1b, '-', '0', 0x1d, '!', 0x01, 'b', '\n',
			 /* ESC a 5: not a mode, ignored; GS ! 0x70: 8 wide */
			 0x1b, 'a', 5, 0x1d, '!', 0x70, 0x1b, '-', '2', 'c', '\n',
			 /* ESC ! 0x38: bold, double height and width */
			 0x1b, '!', 0x38, 'd', '\n',
			 /* ESC ! 0x80: underline only */
			 0x1b, '!', 0x80, 'e', '\n', 0x1b, '@', 'f', '\n')),
	    0);
	assert_int_equal(doc.n_items, 6);
	expect_line(&doc, 0, "A023", 3, 3, true, true, ESCPOS_CENTER);
	expect_line(&doc, 1, "b", 1, 2, false, false, ESCPOS_RIGHT);
	expect_line(&doc, 2, "c", 8, 1, false, true, ESCPOS_RIGHT);
	expect_line(&doc, 3, "d", 2, 2, true, false, ESCPOS_RIGHT);
	expect_line(&doc, 4, "e", 1, 1, false, true, ESCPOS_RIGHT);
	expect_line(&doc, 5, "f", 1, 1, false, false, ESCPOS_LEFT);
	escpos_doc_free(&doc);

	/* a line keeps the modes of its first character */
	assert_int_equal(decode(&doc, BYTES(0x1b, 'E', 1, 'a', 0x1b, 'E', 0, 'b', '\n')), 0);
	expect_line(&doc, 0, "ab", 1, 1, true, false, ESCPOS_LEFT);
	escpos_doc_free(&doc);
}

/* ESC d n and the GS V forms; a partial line is printed before either. */
static void test_feed_and_cut(void **state)
{
	(void)state;
	struct escpos_doc doc;
	assert_int_equal(decode(&doc, BYTES('X', 0x1b, 'd', 3, 0x1d, 'V', 0, 0x1d, 'V', 1, 'Y',
					    0x1d, 'V', '0', 0x1d, 'V', '1', 0x1d, 'V', 65, 5, 0x1d,
					    'V', 66, 0, 0x1b, 'd', 0, 0x1b, 'd', 255)),
			 0);
	assert_int_equal(doc.n_items, 10);
	expect_line(&doc, 0, "X", 1, 1, false, false, ESCPOS_LEFT);
	expect_feed(&doc, 1, 3);
	expect_cut(&doc, 2, false);
	expect_cut(&doc, 3, true);
	expect_line(&doc, 4, "Y", 1, 1, false, false, ESCPOS_LEFT);
	expect_cut(&doc, 5, false);
	expect_cut(&doc, 6, true);
	expect_cut(&doc, 7, false);
	/* GS V 66 0 is partial; ESC d 0 feeds nothing */
	expect_cut(&doc, 8, true);
	expect_feed(&doc, 9, 255);
	escpos_doc_free(&doc);

	/* GS V 66 n: partial */
	assert_int_equal(decode(&doc, BYTES(0x1d, 'V', 66, 3)), 0);
	assert_int_equal(doc.n_items, 1);
	expect_cut(&doc, 0, true);
	escpos_doc_free(&doc);
}

/* GS ( k cn 49: model, module size, error correction, store, print. */
static void test_qr(void **state)
{
	(void)state;
	struct escpos_doc doc;
	assert_int_equal(
	    decode(&doc, BYTES(0x1b, 'a', 1, 0x1d, '(', 'k', 4, 0, 49, 65, 50, 0, /* model 2 */
			       0x1d, '(', 'k', 3, 0, 49, 67, 6,                   /* module 6 */
			       0x1d, '(', 'k', 3, 0, 49, 69, 50,                  /* ec Q */
			       /* store: pL = 3 + 10 bytes of "http://x/1" */
			       0x1d, '(', 'k', 13, 0, 49, 80, 48, 'h', 't', 't', 'p', ':', '/', '/',
			       'x', '/', '1', 'W', 'a', 'i', 't', 0x1d, '(', 'k', 3, 0, 49, 81, 48,
			       /* model 1, ec H, left, print again the same data */
			       0x1d, '(', 'k', 4, 0, 49, 65, 49, 0, 0x1d, '(', 'k', 3, 0, 49, 69,
			       51, 0x1b, 'a', 0, 0x1d, '(', 'k', 3, 0, 49, 81, 48)),
	    0);
	assert_int_equal(doc.n_items, 3);
	expect_line(&doc, 0, "Wait", 1, 1, false, false, ESCPOS_CENTER);
	const struct escpos_item *qr = &doc.items[1];
	assert_int_equal(qr->kind, ESCPOS_ITEM_QR);
	assert_int_equal(qr->qr_len, 10);
	assert_string_equal(qr->qr_data, "http://x/1");
	assert_int_equal(qr->qr_model, 2);
	assert_int_equal(qr->qr_module, 6);
	assert_int_equal(qr->qr_ec, 'Q');
	assert_int_equal(qr->qr_align, ESCPOS_CENTER);
	qr = &doc.items[2];
	assert_int_equal(qr->kind, ESCPOS_ITEM_QR);
	assert_string_equal(qr->qr_data, "http://x/1");
	assert_int_equal(qr->qr_model, 1);
	assert_int_equal(qr->qr_ec, 'H');
	assert_int_equal(qr->qr_align, ESCPOS_LEFT);
	assert_int_equal(doc.n_unknown, 0);
	escpos_doc_free(&doc);

	/* defaults after ESC @: model 2, module 3, ec L; a payload may hold NUL */
	assert_int_equal(decode(&doc, BYTES(0x1b, '@', 0x1d, '(', 'k', 6, 0, 49, 80, 48, 'a', 0,
					    'b', 0x1d, '(', 'k', 3, 0, 49, 81, 48)),
			 0);
	assert_int_equal(doc.n_items, 1);
	assert_int_equal(doc.items[0].qr_len, 3);
	assert_memory_equal(doc.items[0].qr_data, "a\0b", 4);
	assert_int_equal(doc.items[0].qr_model, 2);
	assert_int_equal(doc.items[0].qr_module, 3);
	assert_int_equal(doc.items[0].qr_ec, 'L');
	escpos_doc_free(&doc);

	/* print with nothing stored: nothing on paper */
	assert_int_equal(decode(&doc, BYTES(0x1d, '(', 'k', 3, 0, 49, 81, 48)), 0);
	assert_int_equal(doc.n_items, 0);
	escpos_doc_free(&doc);
}

/* FS &: GB18030 text; FS .: bytes >= 0x80 are U+FFFD. */
static void test_gb18030(void **state)
{
	(void)state;
	struct escpos_doc doc;
	/* 请A023号 = c7eb 41 30 32 33 bac5; U+20000 = 95 32 82 36; € = a2e3 */
	assert_int_equal(decode(&doc, BYTES(0x1c, '&', 0xc7, 0xeb, 'A', '0', '2', '3', 0xba, 0xc5,
					    '\n', 0x95, 0x32, 0x82, 0x36, 0xa2, 0xe3, '\n')),
			 0);
	assert_int_equal(doc.n_items, 2);
	expect_line(&doc, 0,
		    "\xe8\xaf\xb7"
		    "A023\xe5\x8f\xb7",
		    1, 1, false, false, ESCPOS_LEFT);
	expect_line(&doc, 1, "\xf0\xa0\x80\x80\xe2\x82\xac", 1, 1, false, false, ESCPOS_LEFT);
	escpos_doc_free(&doc);

	/* bad bytes: 0x80 and 0xff lead nothing, 0x81 before LF, 0x81 0x7f; last a lone 0xc7 */
	assert_int_equal(decode(&doc, BYTES(0x1c, '&', 0x80, 'a', 0xff, 0x81, '\n', 0x81, 0x7f,
					    '\n', 0x81, 0x30, 0x81, ' ', '\n', 0xc7)),
			 0);
	assert_int_equal(doc.n_items, 4);
	expect_line(&doc, 0,
		    "\xef\xbf\xbd"
		    "a\xef\xbf\xbd\xef\xbf\xbd",
		    1, 1, false, false, ESCPOS_LEFT);
	expect_line(&doc, 1, "\xef\xbf\xbd\xef\xbf\xbd", 1, 1, false, false, ESCPOS_LEFT);
	/* 81 30 81 20: not a 4-byte character; 0x81 starts nothing, twice */
	expect_line(&doc, 2,
		    "\xef\xbf\xbd"
		    "0\xef\xbf\xbd ",
		    1, 1, false, false, ESCPOS_LEFT);
	expect_line(&doc, 3, "\xef\xbf\xbd", 1, 1, false, false, ESCPOS_LEFT);
	escpos_doc_free(&doc);

	/* FS .: the same GB18030 bytes are two U+FFFD; FS ! n accepted */
	assert_int_equal(decode(&doc, BYTES(0x1c, '&', 0x1c, '.', 0xc7, 0xeb, 0x1c, '!', 0x0c, 0x1c,
					    '&', 0xc7, 0xeb, '\n')),
			 0);
	expect_line(&doc, 0, "\xef\xbf\xbd\xef\xbf\xbd\xe8\xaf\xb7", 1, 1, false, false,
		    ESCPOS_LEFT);
	assert_int_equal(doc.n_unknown, 0);
	escpos_doc_free(&doc);
}

/* Commands skipped with their arguments: an argument that looks like LF is not one. */
static void test_skipped(void **state)
{
	(void)state;
	struct escpos_doc doc;
	assert_int_equal(
	    decode(&doc, BYTES('A', 0x10, 0x04, 1, 0x1d, 'r', 1, 0x1b, 't', 0x0a, 0x1b, 'R', 15,
			       0x1d, 'L', 0x0a, 0, 0x1d, 'W', 0x0a, 2, 0x1b, '2', 0x1b, '3', 0x0a,
			       0x1b, 'M', '0', 0x1b, ' ', 0, 0x1c, 'S', 0, 0, 0x1b, '$', 0x0a, 0,
			       0x1c, '(', 'A', 2, 0, '0', 0, 'B', '\n')),
	    0);
	assert_int_equal(doc.n_items, 1);
	expect_line(&doc, 0, "AB", 1, 1, false, false, ESCPOS_LEFT);
	assert_int_equal(doc.n_unknown, 0);
	escpos_doc_free(&doc);
}

/* Unknown commands: counted, the first described, the command byte and the next skipped. */
static void test_unknown(void **state)
{
	(void)state;
	struct escpos_doc doc;
	assert_int_equal(
	    decode(&doc, BYTES('A', 0x1b, 0x99, 'B', 0x0c, 'C', 0x1d, 0x01, 0x1c, 0x7e, '\n')), 0);
	assert_int_equal(doc.n_items, 1);
	expect_line(&doc, 0, "ABC", 1, 1, false, false, ESCPOS_LEFT);
	assert_int_equal(doc.n_unknown, 4);
	assert_string_equal(doc.first_unknown, "ESC 0x99 at byte 1");
	escpos_doc_free(&doc);

	/* graphics (GS ( L) are skipped by their length and counted: 'Z' still prints */
	assert_int_equal(decode(&doc, BYTES(0x1d, '(', 'L', 3, 0, '\n', '\n', '\n', 'Z')), 0);
	assert_int_equal(doc.n_items, 1);
	expect_line(&doc, 0, "Z", 1, 1, false, false, ESCPOS_LEFT);
	assert_int_equal(doc.n_unknown, 1);
	assert_string_equal(doc.first_unknown, "GS ( L at byte 0");
	escpos_doc_free(&doc);
}

/* The data ends inside a command: -1, a sentence, what came before kept. */
static void test_truncated_messages(void **state)
{
	(void)state;
	struct escpos_doc doc;
	/* GS ( k pL=5: cn fn m and 2 bytes of data expected, 1 given */
	assert_int_equal(decode(&doc, BYTES('X', 0x1d, '(', 'k', 5, 0, 49, 80, 48, 'A')), -1);
	assert_string_equal(err, "the data ends inside GS ( k at byte 1");
	assert_int_equal(doc.n_items, 1);
	expect_line(&doc, 0, "X", 1, 1, false, false, ESCPOS_LEFT);
	escpos_doc_free(&doc);

	assert_int_equal(decode(&doc, BYTES('\n', 0x1b, 'd')), -1);
	assert_string_equal(err, "the data ends inside ESC d at byte 1");
	assert_int_equal(doc.n_items, 1);
	escpos_doc_free(&doc);

	assert_int_equal(decode(&doc, BYTES(0x1d)), -1);
	assert_string_equal(err, "the data ends right after GS at byte 0");
	escpos_doc_free(&doc);

	assert_int_equal(decode(&doc, BYTES(0x1d, 'V', 65)), -1);
	assert_string_equal(err, "the data ends inside GS V at byte 0");
	escpos_doc_free(&doc);
}

/*
 * A ticket like the kiosk's, as segments: a command, or a run of text.
 * Cut inside a command of two bytes or more, the decoder must say -1;
 * cut between segments or inside text, 0.
 */
struct segment {
	const char *bytes;
	size_t len;
	bool command;
};

#define SEG(cmd, s)                                                                                \
	{                                                                                          \
		s, sizeof(s) - 1, cmd                                                              \
	}

static const struct segment ticket[] = {
    SEG(true, "\x1b@"),
    SEG(true, "\x1c&"),
    SEG(true, "\x1b"
	      "a\x01"),
    SEG(true, "\x1b"
	      "E\x01"),
    SEG(false, "\xc2\xcc\xc9\xab\xcd\xa8\xb5\xc0\n"), /* 绿色通道 */
    SEG(true, "\x1b"
	      "E\x00"),
    SEG(true, "\x1d!\x22"),
    SEG(false, "A023\n"),
    SEG(true, "\x1d!\x00"),
    SEG(true, "\x1b"
	      "a\x00"),
    SEG(false, "\xc7\xeb A023 \xba\xc5\n"),
    SEG(true, "\x1b"
	      "a\x01"),
    SEG(true, "\x1d(k\x04\x00\x31\x41\x32\x00"),
    SEG(true, "\x1d(k\x03\x00\x31\x43\x06"),
    SEG(true, "\x1d(k\x03\x00\x31\x45\x31"),
    SEG(true, "\x1d(k\x0d\x00\x31\x50\x30http://q/1"),
    SEG(true, "\x1d(k\x03\x00\x31\x51\x30"),
    SEG(true, "\x1b"
	      "d\x04"),
    SEG(true, "\x1dV\x01"),
};

static void test_truncated_everywhere(void **state)
{
	(void)state;
	uint8_t whole[512];
	size_t len = 0;
	bool inside_command[512] = {false}; /* a cut before this byte splits a command */
	for (size_t s = 0; s < sizeof(ticket) / sizeof(ticket[0]); s++) {
		for (size_t i = 0; i < ticket[s].len; i++) {
			inside_command[len] = ticket[s].command && i > 0;
			whole[len++] = (uint8_t)ticket[s].bytes[i];
		}
	}
	struct escpos_doc doc;
	assert_int_equal(decode(&doc, whole, len), 0);
	assert_int_equal(doc.n_items, 6);
	expect_line(&doc, 0, "\xe7\xbb\xbf\xe8\x89\xb2\xe9\x80\x9a\xe9\x81\x93", 1, 1, true, false,
		    ESCPOS_CENTER);
	expect_line(&doc, 1, "A023", 3, 3, false, false, ESCPOS_CENTER);
	expect_line(&doc, 2, "\xe8\xaf\xb7 A023 \xe5\x8f\xb7", 1, 1, false, false, ESCPOS_LEFT);
	assert_int_equal(doc.items[3].kind, ESCPOS_ITEM_QR);
	assert_string_equal(doc.items[3].qr_data, "http://q/1");
	assert_int_equal(doc.items[3].qr_ec, 'M');
	expect_feed(&doc, 4, 4);
	expect_cut(&doc, 5, true);
	escpos_doc_free(&doc);

	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *part = malloc(cut > 0 ? cut : 1); /* exact size: ASan sees overreads */
		assert_non_null(part);
		memcpy(part, whole, cut);
		int rc = decode(&doc, part, cut);
		assert_int_equal(rc, inside_command[cut] ? -1 : 0);
		if (rc != 0)
			assert_true(strstr(err, "the data ends") == err);
		assert_true(doc.n_items <= 6);
		escpos_doc_free(&doc);
		free(part);
	}
}

/* Valid UTF-8 (the decoder's promise for text). */
static bool is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80             ? 0
			: (*p & 0xe0) == 0xc0 ? 1
			: (*p & 0xf0) == 0xe0 ? 2
			: (*p & 0xf8) == 0xf0 ? 3
					      : -1;
		if (n < 0)
			return false;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static uint32_t next_random(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Seeded random bytes, rich in command bytes: no crash, items that make sense. */
static void test_random(void **state)
{
	(void)state;
	static const uint8_t interesting[] = {0x1b, 0x1d, 0x1c, 0x10, 0x0a, '(',  'k',  'V', 'd',
					      '!',  49,   80,   81,   0x81, 0x30, 0xfe, 0};
	uint32_t seed = 20240607;
	for (int round = 0; round < 5000; round++) {
		size_t len = next_random(&seed) % 300;
		uint8_t *data = malloc(len > 0 ? len : 1);
		assert_non_null(data);
		for (size_t i = 0; i < len; i++) {
			uint32_t r = next_random(&seed);
			data[i] = r % 3 == 0 ? interesting[(r >> 4) % sizeof(interesting)]
					     : (uint8_t)(r >> 4);
		}
		struct escpos_doc doc;
		int rc = decode(&doc, data, len);
		assert_true(rc == 0 || rc == -1);
		if (rc != 0)
			assert_true(err[0] != '\0');
		for (int i = 0; i < doc.n_items; i++) {
			const struct escpos_item *it = &doc.items[i];
			if (it->kind == ESCPOS_ITEM_LINE) {
				assert_non_null(it->line.text);
				assert_true(is_utf8(it->line.text));
				assert_in_range(it->line.width, 1, 8);
				assert_in_range(it->line.height, 1, 8);
				assert_in_range(it->line.align, 0, 2);
			} else if (it->kind == ESCPOS_ITEM_QR) {
				assert_true(it->qr_len > 0 && it->qr_len < len);
				assert_int_equal(it->qr_data[it->qr_len], '\0');
				assert_in_range(it->qr_model, 1, 2);
				assert_in_range(it->qr_module, 1, 16);
				assert_non_null(strchr("LMQH", it->qr_ec));
			} else if (it->kind == ESCPOS_ITEM_FEED) {
				assert_in_range(it->feed_lines, 1, 255);
			} else {
				assert_int_equal(it->kind, ESCPOS_ITEM_CUT);
			}
		}
		escpos_doc_free(&doc);
		free(data);
	}
}

/* The ticket with a few bytes changed and cut short: deep paths (GS ( k) with bad lengths. */
static void test_mutated_ticket(void **state)
{
	(void)state;
	uint8_t whole[512];
	size_t len = 0;
	for (size_t s = 0; s < sizeof(ticket) / sizeof(ticket[0]); s++) {
		memcpy(whole + len, ticket[s].bytes, ticket[s].len);
		len += ticket[s].len;
	}
	uint32_t seed = 77;
	for (int round = 0; round < 3000; round++) {
		size_t n = len - next_random(&seed) % 8;
		uint8_t *data = malloc(n);
		assert_non_null(data);
		memcpy(data, whole, n);
		for (int k = next_random(&seed) % 4; k >= 0; k--)
			data[next_random(&seed) % n] = (uint8_t)next_random(&seed);
		struct escpos_doc doc;
		int rc = decode(&doc, data, n);
		assert_true(rc == 0 || rc == -1);
		for (int i = 0; i < doc.n_items; i++)
			if (doc.items[i].kind == ESCPOS_ITEM_LINE)
				assert_true(is_utf8(doc.items[i].line.text));
		escpos_doc_free(&doc);
		free(data);
	}
}

static void test_doc_free(void **state)
{
	(void)state;
	struct escpos_doc doc;
	escpos_doc_free(NULL);
	assert_int_equal(decode(&doc, BYTES('a', '\n')), 0);
	escpos_doc_free(&doc);
	assert_int_equal(doc.n_items, 0);
	assert_null(doc.items);
	escpos_doc_free(&doc); /* twice: harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_feed_and_cut),
	    cmocka_unit_test(test_qr),
	    cmocka_unit_test(test_gb18030),
	    cmocka_unit_test(test_skipped),
	    cmocka_unit_test(test_unknown),
	    cmocka_unit_test(test_truncated_messages),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_mutated_ticket),
	    cmocka_unit_test(test_doc_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
