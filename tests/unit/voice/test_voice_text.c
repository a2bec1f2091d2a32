/*
 * test_voice_text.c — the words of an announcement (drivers/voice/voice.c:
 * voice_text, voice_number_text). Pure functions, no espeak-ng. Every
 * expected string is worked out by hand from how Mandarin reads numbers:
 * units 一..九, 十 for tens (a bare 十 when the number starts with it,
 * 一十 after 百), 零 for an empty tens place between 百 and the ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "voice.h"

static void test_number_table(void **state)
{
	static const struct {
		int n;
		const char *text;
	} cases[] = {
	    {1, "一"},         {5, "五"},         {9, "九"},           {10, "十"},
	    {11, "十一"},      {12, "十二"},      {19, "十九"},        {20, "二十"},
	    {21, "二十一"},    {99, "九十九"},    {100, "一百"},       {101, "一百零一"},
	    {105, "一百零五"}, {110, "一百一十"}, {112, "一百一十二"}, {120, "一百二十"},
	    {200, "二百"},     {305, "三百零五"}, {340, "三百四十"},   {999, "九百九十九"},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int len = voice_number_text(cases[i].n, out, sizeof(out));

		assert_int_equal(len, (int)strlen(cases[i].text));
		assert_string_equal(out, cases[i].text);
	}
}

static void test_number_bad(void **state)
{
	char out[16];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(voice_number_text(0, out, sizeof(out)), -1);
	assert_int_equal(voice_number_text(-5, out, sizeof(out)), -1);
	assert_int_equal(voice_number_text(1000, out, sizeof(out)), -1);
	/* 一百零五 is 12 bytes of UTF-8: 12 does not leave room for the NUL */
	assert_int_equal(voice_number_text(105, out, 12), -1);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 'x');
	assert_int_equal(voice_number_text(105, out, 13), 12);
	assert_string_equal(out, "一百零五");
}

static void test_text_examples(void **state)
{
	static const struct {
		const char *label;
		int window;
		const char *text;
	} cases[] = {
	    {"A023", 5, "请A零二三号到五号窗口办理"},
	    {"B107", 12, "请B一零七号到十二号窗口办理"},
	    /* two letters: a space keeps espeak-ng from reading "AB" as a word */
	    {"AB001", 105, "请A B零零一号到一百零五号窗口办理"},
	    {"a023", 20, "请A零二三号到二十号窗口办理"},
	    {"C9", 999, "请C九号到九百九十九号窗口办理"},
	    {"123", 1, "请一二三号到一号窗口办理"},
	};
	char out[VOICE_TEXT_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int len = voice_text(cases[i].label, cases[i].window, out, sizeof(out));

		assert_string_equal(out, cases[i].text);
		assert_int_equal(len, (int)strlen(cases[i].text));
	}
}

static void test_text_bytes(void **state)
{
	/* 请 (3 bytes) A (1) 零二三 (9) 号到 (6) 五 (3) 号窗口办理 (15) = 37 */
	char out[VOICE_TEXT_SIZE];

	(void)state;
	assert_int_equal(voice_text("A023", 5, out, sizeof(out)), 37);
	assert_int_equal(voice_text("A023", 5, out, 37), -1); /* no room for the NUL */
	assert_int_equal(voice_text("A023", 5, out, 38), 37);
}

static void test_text_bad(void **state)
{
	static const struct {
		const char *label;
		int window;
	} cases[] = {
	    {NULL, 5},
	    {"", 5},
	    {"A-23", 5},
	    {"A 23", 5},
	    {"A023\n", 5},
	    {"号23", 5},
	    {"A023", 0},
	    {"A023", 1000},
	    {"A023", -1},
	    {"A0.3", 5},
	    {"ABCDEFGHIJ123456", 5}, /* 16 characters */
	};
	char out[VOICE_TEXT_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(voice_text(cases[i].label, cases[i].window, out, sizeof(out)), -1);
		for (size_t j = 0; j < sizeof(out); j++)
			assert_int_equal(out[j], 'x');
	}
	/* the longest label, 15 characters, is fine */
	assert_true(voice_text("ABCDEFGHIJ12345", 5, out, sizeof(out)) > 0);
	assert_int_equal(voice_text("A023", 5, NULL, 64), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_number_table),  cmocka_unit_test(test_number_bad),
	    cmocka_unit_test(test_text_examples), cmocka_unit_test(test_text_bytes),
	    cmocka_unit_test(test_text_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
