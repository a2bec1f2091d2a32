/*
 * render.c — a decoded ticket (escpos_decode.h) drawn as the thermal
 * printer would print it, written as an 8-bit grayscale PNG: black dots on
 * white, width_dots across (384 at 58 mm, 576 at 80 mm, 203 dpi).
 *
 * Room: drivers/escpos, library hallq_escpos_render (libpng, FreeType,
 * libqrencode); for tests and tools only. The picture is laid out twice:
 * once to measure its height, once to draw into a canvas of that height,
 * which this file allocates and frees.
 *
 * The printer's metrics: a half-width (ASCII) character is a 12x24-dot
 * cell, a full-width one (every GB18030 character of 2 or 4 bytes) 24x24,
 * both scaled by GS ! ; a line advances 6 dots more than its characters
 * are high (30 dots at normal size, the default line spacing), so does a
 * feed line. Lines wider than the paper wrap, as on the printer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <png.h>
#include <qrencode.h>

#include "escpos_decode.h"

enum {
	CELL_HALF = 12,     /* dots across a half-width character */
	CELL_FULL = 24,     /* dots across a full-width character, and its height */
	LINE_GAP = 6,       /* dots between lines: 24 + 6 = 30 dots a line */
	FEED_DOTS = 30,     /* one ESC d line */
	CUT_DOTS = 24,      /* the band the cut line is drawn in */
	QR_QUIET = 4,       /* modules of white around a QR symbol */
	MAX_HEIGHT = 100000 /* dots: about 12 m of paper, far beyond any ticket */
};

struct canvas {
	uint8_t *px; /* NULL while measuring */
	int width, height;
	int y; /* the next free row */
};

struct picture {
	struct canvas c;
	FT_Face face;
	char *err;
	size_t err_size;
};

static int fail(struct picture *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Puts a sentence in p->err; returns -1. */
static int fail(struct picture *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->err_size, fmt, ap);
	va_end(ap);
	return -1;
}

static void set_black(struct canvas *c, int x, int y)
{
	if (c->px != NULL && x >= 0 && x < c->width && y >= 0 && y < c->height)
		c->px[(size_t)y * (size_t)c->width + (size_t)x] = 0;
}

static void fill_black(struct canvas *c, int x0, int y0, int w, int h)
{
	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + w; x++)
			set_black(c, x, y);
}

/* ---- text ---- */

/* The next code point of a UTF-8 string (the decoder's output is valid UTF-8). */
static uint32_t next_code_point(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t cp = p[0];
	int extra = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
	if (extra > 0)
		cp &= 0x3f >> extra;
	p++;
	for (int i = 0; i < extra && (*p & 0xc0) == 0x80; i++)
		cp = cp << 6 | (*p++ & 0x3f);
	*s = p;
	return cp;
}

static int cell_width(uint32_t cp, int width_mult)
{
	return (cp < 0x80 ? CELL_HALF : CELL_FULL) * width_mult;
}

/* Draws one character in its cell (x, top); the glyph is centred across it. */
static void draw_char(struct picture *p, uint32_t cp, int x, int top, const struct escpos_line *l)
{
	int cell_w = cell_width(cp, l->width), cell_h = CELL_FULL * l->height;
	if (p->c.px == NULL || cp == ' ')
		return;
	if (FT_Set_Pixel_Sizes(p->face, (FT_UInt)(CELL_FULL * l->width), (FT_UInt)cell_h) != 0 ||
	    FT_Load_Char(p->face, cp, FT_LOAD_RENDER) != 0)
		return; /* a character the font lacks stays blank */
	FT_GlyphSlot g = p->face->glyph;
	int baseline = top + cell_h * 7 / 8;
	int gx = x + (cell_w - (int)g->bitmap.width) / 2, gy = baseline - g->bitmap_top;
	for (int bold = 0; bold <= (l->bold ? 1 : 0); bold++)
		for (unsigned r = 0; r < g->bitmap.rows; r++)
			for (unsigned col = 0; col < g->bitmap.width; col++) {
				unsigned char v = g->bitmap.buffer[(long)r * g->bitmap.pitch + col];
				if (v >= 128)
					set_black(&p->c, gx + (int)col + bold, gy + (int)r);
			}
}

/* One printed row: the code points [from, to) of cps, aligned. */
static void draw_row(struct picture *p, const uint32_t *cps, size_t from, size_t to, int row_w,
		     const struct escpos_line *l)
{
	int x = 0;
	if (l->align == ESCPOS_CENTER)
		x = (p->c.width - row_w) / 2;
	else if (l->align == ESCPOS_RIGHT)
		x = p->c.width - row_w;
	if (l->underline)
		fill_black(&p->c, x, p->c.y + CELL_FULL * l->height + 1, row_w, 2);
	for (size_t i = from; i < to; i++) {
		draw_char(p, cps[i], x, p->c.y, l);
		x += cell_width(cps[i], l->width);
	}
	p->c.y += CELL_FULL * l->height + LINE_GAP;
}

static int draw_line(struct picture *p, const struct escpos_line *l)
{
	size_t n = strlen(l->text);
	uint32_t *cps = malloc((n + 1) * sizeof(*cps));
	if (cps == NULL)
		return fail(p, "out of memory");
	size_t count = 0;
	for (const unsigned char *s = (const unsigned char *)l->text; *s != '\0';)
		cps[count++] = next_code_point(&s);
	size_t from = 0;
	int row_w = 0;
	for (size_t i = 0; i < count; i++) {
		int w = cell_width(cps[i], l->width);
		if (row_w + w > p->c.width && i > from) { /* wraps, as on paper */
			draw_row(p, cps, from, i, row_w, l);
			from = i;
			row_w = 0;
		}
		row_w += w;
	}
	draw_row(p, cps, from, count, row_w, l);
	free(cps);
	return 0;
}

/* ---- QR, cut ---- */

static int draw_qr(struct picture *p, const struct escpos_item *it)
{
	static const QRecLevel levels[] = {
	    ['L'] = QR_ECLEVEL_L, ['M'] = QR_ECLEVEL_M, ['Q'] = QR_ECLEVEL_Q, ['H'] = QR_ECLEVEL_H};
	QRecLevel level = QR_ECLEVEL_L;
	if (it->qr_ec > 0 && it->qr_ec < (int)(sizeof(levels) / sizeof(levels[0])))
		level = levels[it->qr_ec];
	if (it->qr_len == 0 || it->qr_len > 7089)
		return fail(p, "a QR payload of %zu bytes cannot be drawn (1..7089)", it->qr_len);
	QRcode *qr =
	    QRcode_encodeData((int)it->qr_len, (const unsigned char *)it->qr_data, 0, level);
	if (qr == NULL)
		return fail(p, "libqrencode cannot encode the QR payload \"%.40s\": %s",
			    it->qr_data, strerror(errno));
	int module = it->qr_module >= 1 && it->qr_module <= 16 ? it->qr_module : 3;
	int size = (qr->width + 2 * QR_QUIET) * module;
	int x0 = 0;
	if (it->qr_align == ESCPOS_CENTER)
		x0 = (p->c.width - size) / 2;
	else if (it->qr_align == ESCPOS_RIGHT)
		x0 = p->c.width - size;
	x0 = x0 < 0 ? 0 : x0;
	for (int r = 0; r < qr->width; r++)
		for (int col = 0; col < qr->width; col++)
			if (qr->data[r * qr->width + col] & 1)
				fill_black(&p->c, x0 + (col + QR_QUIET) * module,
					   p->c.y + (r + QR_QUIET) * module, module, module);
	p->c.y += size;
	QRcode_free(qr);
	return 0;
}

/* A dashed line across the middle of its band; a partial cut leaves the centre. */
static void draw_cut(struct picture *p, bool partial)
{
	int mid = p->c.y + CUT_DOTS / 2, centre = p->c.width / 2;
	for (int x = 0; x < p->c.width; x += 12) {
		if (partial && x + 8 > centre - 12 && x < centre + 12)
			continue;
		fill_black(&p->c, x, mid - 1, 8, 2);
	}
	p->c.y += CUT_DOTS;
}

/* Lays the document out on p->c from row 0; draws too when p->c.px is set. */
static int lay_out(struct picture *p, const struct escpos_doc *doc)
{
	p->c.y = 0;
	for (int i = 0; i < doc->n_items; i++) {
		const struct escpos_item *it = &doc->items[i];
		int rc = 0;
		if (it->kind == ESCPOS_ITEM_LINE)
			rc = draw_line(p, &it->line);
		else if (it->kind == ESCPOS_ITEM_FEED)
			p->c.y += it->feed_lines * FEED_DOTS;
		else if (it->kind == ESCPOS_ITEM_QR)
			rc = draw_qr(p, it);
		else if (it->kind == ESCPOS_ITEM_CUT)
			draw_cut(p, it->partial_cut);
		if (rc != 0)
			return rc;
		if (p->c.y > MAX_HEIGHT) {
			return fail(p, "the picture would be more than %d dots long", MAX_HEIGHT);
		}
	}
	p->c.y += FEED_DOTS; /* a little paper after the last item */
	return 0;
}

/* ---- PNG ---- */

static int write_png(struct picture *p, const char *png_path)
{
	FILE *f = fopen(png_path, "wb");
	if (f == NULL)
		return fail(p, "cannot write the PNG %s: %s", png_path, strerror(errno));
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
	if (png == NULL || info == NULL || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(f);
		return fail(p, "cannot write the PNG %s: %s", png_path, "libpng failed");
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)p->c.width, (png_uint_32)p->c.height, 8,
		     PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < p->c.height; y++)
		png_write_row(png, p->c.px + (size_t)y * (size_t)p->c.width);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (fclose(f) != 0)
		return fail(p, "cannot write the PNG %s: %s", png_path, strerror(errno));
	return 0;
}

int escpos_render_png(const struct escpos_doc *doc, int width_dots, const char *font_path,
		      const char *png_path, char *err, size_t err_size)
{
	struct picture p = {.c = {.width = width_dots}, .err = err, .err_size = err_size};
	FT_Library ft = NULL;
	int rc = -1;
	if (width_dots < 48 || width_dots > 4096) {
		return fail(&p, "a paper %d dots wide cannot be drawn (48..4096)", width_dots);
	}
	if (access(font_path, R_OK) != 0)
		return fail(&p, "the font %s cannot be read: %s", font_path, strerror(errno));
	if (FT_Init_FreeType(&ft) != 0)
		return fail(&p, "FreeType cannot start");
	if (FT_New_Face(ft, font_path, 0, &p.face) != 0) {
		fail(&p, "%s is not a font FreeType can read", font_path);
		goto done;
	}
	if (lay_out(&p, doc) != 0)
		goto done;
	p.c.height = p.c.y;
	p.c.px = malloc((size_t)p.c.width * (size_t)p.c.height);
	if (p.c.px == NULL) {
		fail(&p, "out of memory for a picture of %dx%d dots", p.c.width, p.c.height);
		goto done;
	}
	memset(p.c.px, 0xff, (size_t)p.c.width * (size_t)p.c.height);
	if (lay_out(&p, doc) != 0)
		goto done;
	rc = write_png(&p, png_path);
done:
	free(p.c.px);
	if (p.face != NULL)
		FT_Done_Face(p.face);
	FT_Done_FreeType(ft);
	return rc;
}
