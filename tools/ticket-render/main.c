/*
 * ticket-render — shows what a printer would make of ESC/POS bytes: a PNG
 * picture of the paper and, with --text, the printed items one a line.
 *
 *   ticket-render FILE.bin -o ticket.png [--width 58|80] [--font PATH] [--text]
 *
 * Exit status: 0 decoded and drawn (commands it does not know are skipped
 * with a warning on stderr), 1 the input cannot be read or decoded or the
 * picture cannot be drawn, 2 a usage error. See README.md for the --text
 * form, which tests rely on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escpos_decode.h"

#define DEFAULT_FONT "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

enum { INPUT_MAX = 16 * 1024 * 1024 }; /* bytes: far more than any ticket */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ticket-render FILE.bin [-o PICTURE.png] [--width 58|80] [--font PATH]\n"
		"                     [--text]\n"
		"  -o PATH      write the PNG picture of the paper (58 mm: 384 dots, 80 mm: 576)\n"
		"  --text       print the decoded items on stdout, one a line\n"
		"  --font PATH  TrueType/OpenType font (default " DEFAULT_FONT ")\n"
		"  at least one of -o and --text is needed\n");
}

static int bad_usage(const char *what, const char *value)
{
	fprintf(stderr, "ticket-render: %s%s (try --help)\n", what, value);
	return 2;
}

/* Reads the whole file into *out (malloc'd). Returns 0 or -1 with a sentence in err. */
static int read_input(const char *path, uint8_t **out, size_t *len, char *err, size_t err_size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = malloc(INPUT_MAX + 1);
	size_t n = 0;
	int rc = -1;

	if (f == NULL) {
		snprintf(err, err_size, "cannot read %s: %s", path, strerror(errno));
		goto done;
	}
	if (data == NULL) {
		snprintf(err, err_size, "out of memory");
		goto done;
	}
	n = fread(data, 1, INPUT_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, err_size, "cannot read %s: %s", path, strerror(errno));
		goto done;
	}
	if (n == 0) {
		snprintf(err, err_size, "%s is empty: no ESC/POS bytes to decode", path);
		goto done;
	}
	if (n > INPUT_MAX) {
		snprintf(err, err_size, "%s is larger than %d bytes: not a ticket", path,
			 INPUT_MAX);
		goto done;
	}
	*out = data;
	*len = n;
	data = NULL;
	rc = 0;
done:
	free(data);
	if (f != NULL)
		fclose(f);
	return rc;
}

/* s between double quotes; '"', '\' and control bytes escaped. */
static void print_quoted(const char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_items(const struct escpos_doc *doc)
{
	static const char *const aligns[] = {"left", "center", "right"};
	for (int i = 0; i < doc->n_items; i++) {
		const struct escpos_item *it = &doc->items[i];
		const struct escpos_line *l = &it->line;
		switch (it->kind) {
		case ESCPOS_ITEM_LINE:
			printf("line w=%d h=%d bold=%d underline=%d align=%s ", l->width, l->height,
			       l->bold, l->underline, aligns[l->align]);
			print_quoted(l->text, strlen(l->text));
			break;
		case ESCPOS_ITEM_FEED:
			printf("feed %d", it->feed_lines);
			break;
		case ESCPOS_ITEM_QR:
			printf("qr model=%d module=%d ec=%c align=%s ", it->qr_model, it->qr_module,
			       it->qr_ec, aligns[it->qr_align]);
			print_quoted(it->qr_data, it->qr_len);
			break;
		case ESCPOS_ITEM_CUT:
			printf("cut %s", it->partial_cut ? "partial" : "full");
			break;
		}
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	const char *in_path = NULL, *png_path = NULL, *font = DEFAULT_FONT;
	int width_dots = 384;
	bool text = false;

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(opt, "--text") == 0) {
			text = true;
		} else if (strcmp(opt, "-o") == 0 || strcmp(opt, "--width") == 0 ||
			   strcmp(opt, "--font") == 0) {
			if (val == NULL)
				return bad_usage("this option needs a value: ", opt);
			i++;
			if (opt[1] == 'o')
				png_path = val;
			else if (opt[2] == 'f')
				font = val;
			else if (strcmp(val, "58") == 0)
				width_dots = 384;
			else if (strcmp(val, "80") == 0)
				width_dots = 576;
			else
				return bad_usage("the paper width is 58 or 80, not ", val);
		} else if (opt[0] == '-' && opt[1] != '\0') {
			return bad_usage("unknown option ", opt);
		} else if (in_path != NULL) {
			return bad_usage("one input file only; extra: ", opt);
		} else {
			in_path = opt;
		}
	}
	if (in_path == NULL)
		return bad_usage("no input file", "");
	if (png_path == NULL && !text)
		return bad_usage("nothing to do: give -o PICTURE.png or --text", "");

	char err[256];
	uint8_t *data = NULL;
	size_t len = 0;
	struct escpos_doc doc;
	int status = 1;
	if (read_input(in_path, &data, &len, err, sizeof(err)) != 0) {
		fprintf(stderr, "ticket-render: %s\n", err);
		return 1;
	}
	int rc = escpos_decode(data, len, &doc, err, sizeof(err));
	free(data);
	if (text)
		print_items(&doc); /* what was decoded, even before an error */
	if (rc != 0) {
		fprintf(stderr, "ticket-render: %s: %s\n", in_path, err);
		goto done;
	}
	if (doc.n_unknown > 0)
		fprintf(
		    stderr,
		    "ticket-render: warning: %s: %d unknown command%s skipped (the first: %s)\n",
		    in_path, doc.n_unknown, doc.n_unknown == 1 ? "" : "s", doc.first_unknown);
	if (png_path != NULL &&
	    escpos_render_png(&doc, width_dots, font, png_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "ticket-render: %s\n", err);
		goto done;
	}
	status = 0;
done:
	escpos_doc_free(&doc);
	return status;
}
