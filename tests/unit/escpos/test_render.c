/*
 * test_render.c — the PNG picture of a ticket (drivers/escpos/render.c).
 * The documents are built by hand (not by the decoder); the QR in the
 * picture is read back with zbarimg (zbar-tools), a reader that shares no
 * code with libqrencode; the size is read from the PNG header (IHDR:
 * width, height, bit depth 8, colour type 0 = grayscale). Heights follow
 * the printer's metrics in render.c's header: 30 dots a line at normal
 * size, 30 a feed line, 30 dots of paper after the last item.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "escpos_decode.h"

#define FONT "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

static char dir[] = "/tmp/hallq_render_XXXXXX";
static char err[256];

static int make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void png_size(const char *path, uint32_t *w, uint32_t *h)
{
	static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t head[26];
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	assert_memory_equal(head, signature, 8);
	assert_memory_equal(head + 12, "IHDR", 4);
	*w = (uint32_t)head[16] << 24 | (uint32_t)head[17] << 16 | (uint32_t)head[18] << 8 |
	     head[19];
	*h = (uint32_t)head[20] << 24 | (uint32_t)head[21] << 16 | (uint32_t)head[22] << 8 |
	     head[23];
	assert_int_equal(head[24], 8); /* bit depth */
	assert_int_equal(head[25], 0); /* grayscale */
}

/*
 * What zbarimg reads in the picture ("" if nothing). options: "" for text
 * (zbar guesses the character set of 8-bit data), "-Sbinary" for the bytes
 * as they are (no newline added).
 */
static void read_qr(const char *png, const char *options, char *out, size_t size)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q %s '%s' 2>/dev/null", options, png);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	pclose(p);
}

static struct escpos_item line_item(char *text, int w, int h, bool bold, int align)
{
	return (struct escpos_item){
	    .kind = ESCPOS_ITEM_LINE,
	    .line = {.text = text, .width = w, .height = h, .bold = bold, .align = align}};
}

static struct escpos_item qr_item(char *payload, int module, int ec, int align)
{
	return (struct escpos_item){.kind = ESCPOS_ITEM_QR,
				    .qr_data = payload,
				    .qr_len = strlen(payload),
				    .qr_model = 2,
				    .qr_module = module,
				    .qr_ec = ec,
				    .qr_align = align};
}

/* A ticket at 58 and 80 mm: the QR reads back exactly, the width is the paper's. */
static void test_ticket_qr(void **state)
{
	(void)state;
	char hall[] =
	    "\xe5\xb8\x82\xe6\x94\xbf\xe5\x8a\xa1\xe5\xa4\xa7\xe5\x8e\x85"; /* 市政务大厅 */
	char number[] = "A023", url[] = "https://hall.example/t/2024-06-07/A023?k=9f3b";
	struct escpos_item items[] = {
	    line_item(hall, 1, 1, true, ESCPOS_CENTER),
	    line_item(number, 3, 3, false, ESCPOS_CENTER),
	    {.kind = ESCPOS_ITEM_FEED, .feed_lines = 1},
	    qr_item(url, 6, 'M', ESCPOS_CENTER),
	    {.kind = ESCPOS_ITEM_CUT, .partial_cut = true},
	};
	struct escpos_doc doc = {.items = items, .n_items = 5};
	static const int widths[] = {384, 576};
	for (int i = 0; i < 2; i++) {
		char png[128], got[512];
		snprintf(png, sizeof(png), "%s/ticket%d.png", dir, widths[i]);
		assert_int_equal(escpos_render_png(&doc, widths[i], FONT, png, err, sizeof(err)),
				 0);
		uint32_t w, h;
		png_size(png, &w, &h);
		assert_int_equal(w, (uint32_t)widths[i]);
		assert_true(h > 30 + 78 + 30 + 6 * 21); /* at least the lines, feed and QR */
		read_qr(png, "", got, sizeof(got));
		assert_string_equal(got, "https://hall.example/t/2024-06-07/A023?k=9f3b\n");
	}
}

/* Error correction H, module 3, right-aligned, bytes outside ASCII (8-bit mode). */
static void test_qr_high_ec(void **state)
{
	(void)state;
	char payload[] = "HALLQ:\xe8\xaf\xb7"
			 "A023";
	struct escpos_item items[] = {qr_item(payload, 3, 'H', ESCPOS_RIGHT)};
	struct escpos_doc doc = {.items = items, .n_items = 1};
	char png[128], got[256];
	snprintf(png, sizeof(png), "%s/high.png", dir);
	assert_int_equal(escpos_render_png(&doc, 576, FONT, png, err, sizeof(err)), 0);
	read_qr(png, "-Sbinary", got, sizeof(got));
	assert_string_equal(got, "HALLQ:\xe8\xaf\xb7"
				 "A023");
}

/* Heights from the metrics: lines, feeds, wrapping of a line wider than the paper. */
static void test_heights(void **state)
{
	(void)state;
	char text[] = "0123456789012345678901234567890123456789"; /* 40 x 12 = 480 dots */
	char empty[] = "";
	struct escpos_item items[] = {
	    line_item(empty, 1, 1, false, ESCPOS_LEFT),  /* 30 */
	    {.kind = ESCPOS_ITEM_FEED, .feed_lines = 2}, /* 60 */
	    line_item(text, 1, 1, false, ESCPOS_LEFT),   /* 2 rows at 384: 60; 1 at 576 */
	    line_item(empty, 1, 2, false, ESCPOS_LEFT),  /* 24 * 2 + 6 = 54 */
	};
	struct escpos_doc doc = {.items = items, .n_items = 4};
	char png[128];
	uint32_t w, h;
	snprintf(png, sizeof(png), "%s/heights.png", dir);
	assert_int_equal(escpos_render_png(&doc, 384, FONT, png, err, sizeof(err)), 0);
	png_size(png, &w, &h);
	assert_int_equal(h, 30 + 60 + 60 + 54 + 30);
	assert_int_equal(escpos_render_png(&doc, 576, FONT, png, err, sizeof(err)), 0);
	png_size(png, &w, &h);
	assert_int_equal(h, 30 + 60 + 30 + 54 + 30);

	struct escpos_doc none = {0};
	assert_int_equal(escpos_render_png(&none, 384, FONT, png, err, sizeof(err)), 0);
	png_size(png, &w, &h);
	assert_int_equal(h, 30);
}

/* The failures the tool reports: no font, nowhere to write, a bad width. */
static void test_failures(void **state)
{
	(void)state;
	struct escpos_doc doc = {0};
	char png[128];
	snprintf(png, sizeof(png), "%s/x.png", dir);
	assert_int_equal(
	    escpos_render_png(&doc, 384, "/nonexistent/font.ttf", png, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/font.ttf"));
	assert_int_equal(access(png, F_OK), -1); /* nothing written */

	assert_int_equal(
	    escpos_render_png(&doc, 384, FONT, "/nonexistent/dir/x.png", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot write the PNG /nonexistent/dir/x.png"));

	assert_int_equal(escpos_render_png(&doc, 0, FONT, png, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0 dots wide"));

	/* a file that is not a font */
	char not_font[160];
	snprintf(not_font, sizeof(not_font), "%s/not-a-font.ttf", dir);
	FILE *f = fopen(not_font, "w");
	assert_non_null(f);
	fputs("hello\n", f);
	fclose(f);
	assert_int_equal(escpos_render_png(&doc, 384, not_font, png, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a font"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ticket_qr),
	    cmocka_unit_test(test_qr_high_ec),
	    cmocka_unit_test(test_heights),
	    cmocka_unit_test(test_failures),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
