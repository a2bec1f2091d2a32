/*
 * fuzz_escpos.c — the ESC/POS decoder (drivers/escpos/decode.c) on any
 * bytes: what a file or a printer stream may hold.
 *
 * Input: the bytes, as escpos_decode() takes them. Checked beyond "no
 * crash, no leak": the decoder answers 0 or -1 with a sentence; every
 * line's text is well-formed UTF-8 (bad bytes become U+FFFD) with the
 * attributes of GS ! (1..8), ESC a (0..2); a QR payload is NUL-terminated
 * at its length; feeds are 0..255 lines.
 */
#include <string.h>

#include "escpos_decode.h"
#include "fuzz.h"

static void check_item(const struct escpos_item *it)
{
	switch (it->kind) {
	case ESCPOS_ITEM_LINE:
		FUZZ_CHECK(it->line.text != NULL);
		FUZZ_CHECK(
		    fuzz_utf8_ok((const unsigned char *)it->line.text, strlen(it->line.text)));
		FUZZ_CHECK(it->line.width >= 1 && it->line.width <= 8);
		FUZZ_CHECK(it->line.height >= 1 && it->line.height <= 8);
		FUZZ_CHECK(it->line.align >= ESCPOS_LEFT && it->line.align <= ESCPOS_RIGHT);
		break;
	case ESCPOS_ITEM_FEED:
		FUZZ_CHECK(it->feed_lines >= 0 && it->feed_lines <= 255);
		break;
	case ESCPOS_ITEM_QR:
		FUZZ_CHECK(it->qr_data != NULL && it->qr_data[it->qr_len] == '\0');
		FUZZ_CHECK(it->qr_align >= ESCPOS_LEFT && it->qr_align <= ESCPOS_RIGHT);
		break;
	case ESCPOS_ITEM_CUT:
		break;
	default:
		FUZZ_CHECK(!"an item of no known kind");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct escpos_doc doc;
	char err[256] = "";

	memset(&doc, 0, sizeof(doc));
	int rc = escpos_decode(data, size, &doc, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || (rc == -1 && err[0] != '\0'));
	FUZZ_CHECK(doc.n_items >= 0);
	for (int k = 0; k < doc.n_items; k++)
		check_item(&doc.items[k]);
	FUZZ_CHECK(doc.n_unknown == 0 || doc.first_unknown[0] != '\0');
	escpos_doc_free(&doc);
	return 0;
}
