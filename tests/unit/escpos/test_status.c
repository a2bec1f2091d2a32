/*
 * test_status.c — the printer's DLE EOT replies as PRINTER bits, and the
 * text conversion for the printer. Every expected value is worked out by
 * hand from the ESC/POS status definitions (docs/escpos.md, "Status") and
 * GB18030 code tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "escpos.h"
#include "proto/proto.h"

static void test_status_bits(void **state)
{
	(void)state;
	/* 0x12: bits 1 and 4, the fixed ones; nothing wrong */
	assert_int_equal(escpos_status_bits(0x12, 0x12, 0x12), PROTO_PRINTER_OK);
	/* DLE EOT 4 bits 2-3: paper near its end, still printing */
	assert_int_equal(escpos_status_bits(0x12, 0x12, 0x1e),
			 PROTO_PRINTER_OK | PROTO_PRINTER_NEAR_END);
	/* DLE EOT 4 bits 5-6: paper end (near end not reported beside it) */
	assert_int_equal(escpos_status_bits(0x12, 0x12, 0x7e), PROTO_PRINTER_PAPER_OUT);
	/* DLE EOT 2 bit 5: printing stopped at paper end */
	assert_int_equal(escpos_status_bits(0x12, 0x32, 0x12), PROTO_PRINTER_PAPER_OUT);
	/* DLE EOT 1 bit 3 offline, DLE EOT 2 bit 2 cover open */
	assert_int_equal(escpos_status_bits(0x1a, 0x16, 0x12),
			 PROTO_PRINTER_OFFLINE | PROTO_PRINTER_COVER_OPEN);
	assert_int_equal(escpos_status_bits(0x1a, 0x12, 0x12), PROTO_PRINTER_OFFLINE);
	/* not status bytes: bit 4 clear, bit 0 set, bit 7 set, no answer (0) */
	assert_int_equal(escpos_status_bits(0x02, 0x12, 0x12), PROTO_PRINTER_OFFLINE);
	assert_int_equal(escpos_status_bits(0x12, 0x13, 0x12), PROTO_PRINTER_OFFLINE);
	assert_int_equal(escpos_status_bits(0x12, 0x12, 0x92), PROTO_PRINTER_OFFLINE);
	assert_int_equal(escpos_status_bits(0x00, 0x00, 0x00), PROTO_PRINTER_OFFLINE);
}

static void convert(const char *in, size_t len, const char *want, size_t want_len, int replaced)
{
	struct escpos_buf b;

	escpos_buf_init(&b);
	assert_int_equal(escpos_gb18030(in, len, &b), replaced);
	assert_int_equal(b.len, want_len);
	assert_memory_equal(b.data ? (const void *)b.data : "", want, want_len);
	escpos_buf_free(&b);
}

static void test_gb18030(void **state)
{
	(void)state;
	/* 请 C7EB, A023 ASCII, 号 BAC5 */
	convert("请A023号", 10,
		"\xc7\xeb"
		"A023"
		"\xba\xc5",
		8, 0);
	/* the fullwidth comma FF0C is A3AC; … is A1AD */
	convert("，…", 6, "\xa3\xac\xa1\xad", 4, 0);
	/* ESC and LF would be commands: '?' */
	convert("\x1b@\n", 3, "?@?", 3, 2);
	/* U+20000 (𠀀) and U+1F600 (😀) exist only as four-byte GB18030: '?' */
	convert("\xf0\xa0\x80\x80"
		"\xf0\x9f\x98\x80",
		8, "??", 2, 2);
	/* a cut sequence, a lone continuation byte, an overlong '/', a
	 * surrogate: one '?' for each byte that starts nothing */
	convert("\xe4\xbd", 2, "??", 2, 2);
	convert("\x80", 1, "?", 1, 1);
	convert("\xc0\xaf", 2, "??", 2, 2);
	convert("\xed\xa0\x80", 3, "???", 3, 3);
	convert("", 0, "", 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_bits),
	    cmocka_unit_test(test_gb18030),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
