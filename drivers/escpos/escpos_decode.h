/*
 * escpos_decode.h — ESC/POS bytes back into what a person would see on the
 * paper: text lines with their attributes, the QR payload, feeds and cuts;
 * and a PNG picture of it. For tests and tools (ticket-render), never on a
 * kiosk.
 *
 * Room: drivers/escpos. The decoder is plain C and iconv; the picture
 * (escpos_render_png) uses libpng, FreeType and libqrencode and lives in
 * its own library (hallq_escpos_render).
 */
#ifndef HALLQ_ESCPOS_DECODE_H
#define HALLQ_ESCPOS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum escpos_align { ESCPOS_LEFT = 0, ESCPOS_CENTER = 1, ESCPOS_RIGHT = 2 };

/* One printed line (ended by LF, or by a feed, cut or QR print). */
struct escpos_line {
	char *text;        /* UTF-8 (GB18030 in Chinese mode, else ASCII; bad bytes as U+FFFD) */
	int width, height; /* character size multipliers from GS ! (1..8) */
	bool bold;         /* ESC E */
	bool underline;    /* ESC - */
	int align;         /* enum escpos_align, from ESC a */
};

/* What comes out of the printer, in order. */
enum escpos_item_kind {
	ESCPOS_ITEM_LINE,
	ESCPOS_ITEM_FEED, /* n blank lines (ESC d n) */
	ESCPOS_ITEM_QR,   /* a QR symbol printed (GS ( k fn 181) */
	ESCPOS_ITEM_CUT,  /* GS V: partial or full */
};

struct escpos_item {
	enum escpos_item_kind kind;
	struct escpos_line line; /* LINE */
	int feed_lines;          /* FEED */
	char *qr_data;           /* QR: the stored payload (fn 180), NUL-terminated */
	size_t qr_len;
	int qr_model, qr_module, qr_ec; /* QR: model 1/2, module size in dots, 'L','M','Q','H' */
	int qr_align;
	bool partial_cut; /* CUT */
};

struct escpos_doc {
	struct escpos_item *items;
	int n_items;
	int n_unknown;          /* command bytes the decoder did not know (skipped) */
	char first_unknown[64]; /* a description of the first, for messages */
};

/*
 * Decodes len bytes. Returns 0, or -1 with a sentence in err when the bytes
 * end inside a command or memory runs out (what was decoded is kept in doc
 * either way). Commands outside the set docs/escpos.md lists are counted
 * in n_unknown and skipped by their known length where possible.
 */
int escpos_decode(const uint8_t *data, size_t len, struct escpos_doc *doc, char *err,
		  size_t err_size);
void escpos_doc_free(struct escpos_doc *doc);

/*
 * Draws doc as the printer would (width_dots: 384 for 58 mm, 576 for 80 mm
 * at 203 dpi; 12x24-dot half-width characters, 24x24 Chinese) with the
 * TrueType/OpenType font at font_path, the QR drawn with libqrencode, and
 * writes a grayscale PNG. Returns 0, or -1 with a sentence in err.
 */
int escpos_render_png(const struct escpos_doc *doc, int width_dots, const char *font_path,
		      const char *png_path, char *err, size_t err_size);

#endif /* HALLQ_ESCPOS_DECODE_H */
