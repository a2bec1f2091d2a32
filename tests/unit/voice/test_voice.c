/*
 * test_voice.c — drivers/voice speaking through the real espeak-ng into WAV
 * files in a temporary directory: the file's header, that it holds speech,
 * its length, the order of several announcements, recall, repeat, the
 * disabled voice, a full queue, bad configurations and, on a machine
 * without a sound card, the sound device's clear error.
 *
 * The WAV reader here is written from the RIFF/WAVE layout, not from
 * drivers/voice/wav.c: it walks the chunks rather than assuming 44 bytes.
 * Lengths come from the headers, never from timing. The expected values:
 * espeak-ng's voices produce 22050 Hz; "请A零二三号到五号窗口办理" lasts
 * about 3.5 s at the default 175 words a minute (voice-espeak.md says about
 * 4 s), so 2..8 s leaves room for another espeak-ng version but catches an
 * empty or a doubled announcement.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "voice.h"

enum {
	IDLE_TIMEOUT_MS = 120000, /* generous: ASan builds synthesise slowly */
	MAX_FILES = 128,
	ESPEAK_RATE_HZ = 22050,
	/* Speech RMS measured at about 4400 of 32767 (-17 dBFS); espeak-ng's
	 * pauses are exact zeros. 1000 (-30 dBFS) fails a silent file or one
	 * with a click in silence, and is far below real speech. */
	RMS_MIN = 1000,
};

struct wav {
	int format, channels, rate, byte_rate, block_align, bits;
	long file_size;
	uint32_t riff_size, data_size;
	long data_offset;
	int16_t *samples;
	size_t n;
};

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t *read_all(const char *path, long *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (*size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)*size);
		if (buf && fread(buf, 1, (size_t)*size, f) != (size_t)*size) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* Reads a RIFF/WAVE file, walking its chunks. Fails the test if it is not
 * one with a fmt and a data chunk inside the file. */
static void wav_read(const char *path, struct wav *w)
{
	long size = 0, pos = 12;
	uint8_t *buf = read_all(path, &size);
	bool have_fmt = false, have_data = false;

	memset(w, 0, sizeof(*w));
	assert_non_null(buf);
	assert_true(size >= 12);
	assert_memory_equal(buf, "RIFF", 4);
	assert_memory_equal(buf + 8, "WAVE", 4);
	w->file_size = size;
	w->riff_size = get_u32(buf + 4);
	while (pos + 8 <= size) {
		uint32_t chunk = get_u32(buf + pos + 4);

		assert_true(pos + 8 + (long)chunk <= size);
		if (memcmp(buf + pos, "fmt ", 4) == 0) {
			assert_true(chunk >= 16);
			w->format = get_u16(buf + pos + 8);
			w->channels = get_u16(buf + pos + 10);
			w->rate = (int)get_u32(buf + pos + 12);
			w->byte_rate = (int)get_u32(buf + pos + 16);
			w->block_align = get_u16(buf + pos + 20);
			w->bits = get_u16(buf + pos + 22);
			have_fmt = true;
		} else if (memcmp(buf + pos, "data", 4) == 0) {
			w->data_size = chunk;
			w->data_offset = pos + 8;
			have_data = true;
		}
		pos += 8 + (long)chunk + (chunk & 1);
	}
	assert_true(have_fmt);
	assert_true(have_data);
	w->n = w->data_size / 2;
	w->samples = malloc(w->n * sizeof(*w->samples) + 1);
	assert_non_null(w->samples);
	for (size_t i = 0; i < w->n; i++)
		w->samples[i] = (int16_t)get_u16(buf + w->data_offset + 2 * (long)i);
	free(buf);
}

static double wav_seconds(const struct wav *w)
{
	return (double)w->data_size / (double)w->byte_rate;
}

static double wav_rms(const struct wav *w)
{
	double sum = 0;

	for (size_t i = 0; i < w->n; i++)
		sum += (double)w->samples[i] * w->samples[i];
	return w->n ? sqrt(sum / (double)w->n) : 0;
}

static double wav_nonzero_fraction(const struct wav *w)
{
	size_t nonzero = 0;

	for (size_t i = 0; i < w->n; i++)
		nonzero += w->samples[i] != 0;
	return w->n ? (double)nonzero / (double)w->n : 0;
}

/* The header of a 16-bit mono file at rate, its sizes consistent with the
 * size of the file: a canonical file has the fmt and data chunks only. */
static void assert_wav_header(const struct wav *w, int rate)
{
	assert_int_equal(w->format, 1); /* PCM */
	assert_int_equal(w->channels, 1);
	assert_int_equal(w->bits, 16);
	assert_int_equal(w->rate, rate);
	assert_int_equal(w->block_align, 2);
	assert_int_equal(w->byte_rate, rate * 2);
	assert_int_equal(w->riff_size, (uint32_t)(w->file_size - 8));
	assert_int_equal(w->data_size, (uint32_t)(w->file_size - 44));
	assert_int_equal(w->data_offset, 44);
}

/* A speech file: valid header, 2..8 s long, not silent. */
static void assert_speech(const char *path, int rate, struct wav *w)
{
	wav_read(path, w);
	assert_wav_header(w, rate);
	assert_true(wav_seconds(w) >= 2.0);
	assert_true(wav_seconds(w) <= 8.0);
	assert_true(wav_rms(w) > RMS_MIN);
	/* espeak-ng's speech is zero only in its pauses; measured 0.9 */
	assert_true(wav_nonzero_fraction(w) > 0.6);
}

struct tmpdir {
	char path[64];
	char *names[MAX_FILES];
	int n;
};

static void tmpdir_make(struct tmpdir *d)
{
	const char *base = getenv("TMPDIR");

	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s/hallq-voice-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(d->path));
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void tmpdir_forget(struct tmpdir *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->names[i]);
	d->n = 0;
}

/* Lists the directory into d->names, sorted. */
static int tmpdir_list(struct tmpdir *d)
{
	DIR *dir = opendir(d->path);
	struct dirent *e;

	assert_non_null(dir);
	tmpdir_forget(d);
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		assert_true(d->n < MAX_FILES);
		d->names[d->n] = strdup(e->d_name);
		assert_non_null(d->names[d->n]);
		d->n++;
	}
	closedir(dir);
	qsort(d->names, (size_t)d->n, sizeof(d->names[0]), compare_names);
	return d->n;
}

static void tmpdir_file(const struct tmpdir *d, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", d->path, name);
}

static void tmpdir_remove(struct tmpdir *d)
{
	char path[128];

	tmpdir_list(d);
	for (int i = 0; i < d->n; i++) {
		tmpdir_file(d, d->names[i], path, sizeof(path));
		unlink(path);
	}
	tmpdir_forget(d);
	rmdir(d->path);
}

static struct voice *wav_voice(const struct tmpdir *d, int repeat)
{
	struct voice_conf conf = {.enabled = true, .output = VOICE_OUT_WAV, .repeat = repeat};
	char err[256] = "";
	struct voice *v;

	snprintf(conf.wav_dir, sizeof(conf.wav_dir), "%s", d->path);
	v = voice_new(&conf, err, sizeof(err));
	if (!v)
		print_error("voice_new: %s\n", err);
	assert_non_null(v);
	assert_int_equal(voice_sample_rate(v), ESPEAK_RATE_HZ);
	return v;
}

/* One announcement, one file: header, speech, length; then a recall of
 * the same ticket is a second file with the same words (same length to
 * within 2%: espeak-ng's output varies by a few samples between runs). */
static void test_one_and_recall(void **state)
{
	struct tmpdir d;
	struct voice *v;
	struct wav w1, w2;
	char path[128];

	(void)state;
	tmpdir_make(&d);
	v = wav_voice(&d, 1);
	assert_int_equal(voice_announce(v, "A023", 5, false), 0);
	assert_int_equal(voice_wait_idle(v, IDLE_TIMEOUT_MS), 0);
	assert_int_equal(tmpdir_list(&d), 1);
	assert_string_equal(d.names[0], "000001-A023-5.wav");
	tmpdir_file(&d, d.names[0], path, sizeof(path));
	assert_speech(path, ESPEAK_RATE_HZ, &w1);
	print_message("A023/5: %.3f s, %zu samples, RMS %.0f, non-zero %.3f\n", wav_seconds(&w1),
		      w1.n, wav_rms(&w1), wav_nonzero_fraction(&w1));

	assert_int_equal(voice_announce(v, "A023", 5, true), 0);
	assert_int_equal(voice_wait_idle(v, IDLE_TIMEOUT_MS), 0);
	assert_int_equal(tmpdir_list(&d), 2);
	assert_string_equal(d.names[0], "000001-A023-5.wav");
	assert_string_equal(d.names[1], "000002-A023-5.wav");
	tmpdir_file(&d, d.names[1], path, sizeof(path));
	assert_speech(path, ESPEAK_RATE_HZ, &w2);
	assert_true(fabs(wav_seconds(&w2) - wav_seconds(&w1)) < 0.02 * wav_seconds(&w1));

	struct voice_stats st = voice_stats(v);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.spoken, 2);
	assert_int_equal(st.failed, 0);
	voice_free(v);
	free(w1.samples);
	free(w2.samples);
	tmpdir_remove(&d);
}

/* Three announcements queued at once: three files, numbered 1..3 in the
 * order queued, each holding one announcement (as long as a single one,
 * to within 10%: the windows 一, 二, 三 are one syllable each), each file
 * complete before the next one is written. */
static void test_three_in_order(void **state)
{
	static const char *const names[] = {"000001-A001-1.wav", "000002-B002-2.wav",
					    "000003-C003-3.wav"};
	struct tmpdir d;
	struct voice *v;
	struct wav w[3];
	struct stat st[3];
	char path[128];

	(void)state;
	tmpdir_make(&d);
	v = wav_voice(&d, 1);
	assert_int_equal(voice_announce(v, "A001", 1, false), 0);
	assert_int_equal(voice_announce(v, "B002", 2, false), 0);
	assert_int_equal(voice_announce(v, "C003", 3, false), 0);
	assert_int_equal(voice_wait_idle(v, IDLE_TIMEOUT_MS), 0);
	assert_int_equal(tmpdir_list(&d), 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(d.names[i], names[i]);
		tmpdir_file(&d, d.names[i], path, sizeof(path));
		assert_speech(path, ESPEAK_RATE_HZ, &w[i]);
		assert_int_equal(stat(path, &st[i]), 0);
	}
	for (int i = 1; i < 3; i++) {
		double a = wav_seconds(&w[0]), b = wav_seconds(&w[i]);

		assert_true(fabs(a - b) < 0.1 * a);
		/* written one after another */
		assert_true(st[i - 1].st_mtim.tv_sec < st[i].st_mtim.tv_sec ||
			    (st[i - 1].st_mtim.tv_sec == st[i].st_mtim.tv_sec &&
			     st[i - 1].st_mtim.tv_nsec <= st[i].st_mtim.tv_nsec));
	}
	voice_free(v);
	for (int i = 0; i < 3; i++)
		free(w[i].samples);
	tmpdir_remove(&d);
}

/* repeat 2: one file holding the announcement, VOICE_GAP_MS of silence and
 * the announcement again; so it lasts twice a single one plus 0.7 s (give
 * or take 2% of a single one for espeak-ng's variation). The second voice
 * in the same directory goes on numbering after the first one's file. */
static void test_repeat(void **state)
{
	struct tmpdir d;
	struct voice *v;
	struct wav one, two;
	char path[128];
	double expected;

	(void)state;
	tmpdir_make(&d);
	v = wav_voice(&d, 1);
	assert_int_equal(voice_announce(v, "A023", 5, false), 0);
	assert_int_equal(voice_wait_idle(v, IDLE_TIMEOUT_MS), 0);
	voice_free(v);
	v = wav_voice(&d, 2);
	assert_int_equal(voice_announce(v, "A023", 5, false), 0);
	assert_int_equal(voice_wait_idle(v, IDLE_TIMEOUT_MS), 0);
	voice_free(v);

	assert_int_equal(tmpdir_list(&d), 2);
	assert_string_equal(d.names[0], "000001-A023-5.wav");
	assert_string_equal(d.names[1], "000002-A023-5.wav");
	tmpdir_file(&d, d.names[0], path, sizeof(path));
	assert_speech(path, ESPEAK_RATE_HZ, &one);
	tmpdir_file(&d, d.names[1], path, sizeof(path));
	wav_read(path, &two);
	assert_wav_header(&two, ESPEAK_RATE_HZ);
	expected = 2 * wav_seconds(&one) + VOICE_GAP_MS / 1000.0;
	assert_true(fabs(wav_seconds(&two) - expected) < 0.02 * wav_seconds(&one));
	assert_true(wav_rms(&two) > RMS_MIN);
	free(one.samples);
	free(two.samples);
	tmpdir_remove(&d);
}

/* A disabled voice takes valid announcements, refuses bad ones, writes
 * nothing and does not touch espeak-ng (sample rate 0). */
static void test_disabled(void **state)
{
	struct voice_conf conf = {.enabled = false, .output = VOICE_OUT_WAV, .repeat = 1};
	struct tmpdir d;
	struct voice *v;
	char err[256] = "";

	(void)state;
	tmpdir_make(&d);
	snprintf(conf.wav_dir, sizeof(conf.wav_dir), "%s", d.path);
	v = voice_new(&conf, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(voice_sample_rate(v), 0);
	for (int i = 0; i < 3 * VOICE_QUEUE; i++)
		assert_int_equal(voice_announce(v, "A023", 5, i % 2), 0);
	assert_int_equal(voice_announce(v, "A-23", 5, false), -1);
	assert_int_equal(voice_wait_idle(v, 0), 0);
	assert_int_equal(voice_stats(v).spoken, 0);
	voice_free(v);
	assert_int_equal(tmpdir_list(&d), 0);
	tmpdir_remove(&d);
}

/* More announcements than the queue holds, queued faster than the worker
 * speaks them (each one, three times, takes tens of milliseconds; queueing
 * takes microseconds): some are refused with -1 and counted. voice_free()
 * then drops what is still queued, so fewer files than accepted calls. */
static void test_queue_full(void **state)
{
	enum { CALLS = VOICE_QUEUE + 16 };
	struct tmpdir d;
	struct voice *v;
	struct voice_stats st;
	int accepted = 0, refused = 0;

	(void)state;
	tmpdir_make(&d);
	v = wav_voice(&d, 3);
	for (int i = 0; i < CALLS; i++) {
		int rc = voice_announce(v, "A023", 1 + i, false);

		assert_true(rc == 0 || rc == -1);
		if (rc == 0)
			accepted++;
		else
			refused++;
	}
	st = voice_stats(v);
	assert_true(refused >= 1);
	assert_true(accepted >= VOICE_QUEUE);
	assert_int_equal(st.refused, (uint64_t)refused);
	assert_int_equal(st.queued, (uint64_t)accepted);
	voice_free(v);
	assert_true(tmpdir_list(&d) < accepted);
	tmpdir_remove(&d);
}

/* Bad configurations are refused with a sentence naming the field; only
 * one enabled voice at a time. */
static void test_conf_bad(void **state)
{
	struct voice_conf conf = {.enabled = true, .output = VOICE_OUT_WAV, .repeat = 1};
	struct tmpdir d;
	struct voice *v;
	char err[256];

	(void)state;
	tmpdir_make(&d);
	snprintf(conf.wav_dir, sizeof(conf.wav_dir), "%s", d.path);
	conf.repeat = 0;
	assert_null(voice_new(&conf, err, sizeof(err)));
	assert_non_null(strstr(err, "repeat"));
	conf.repeat = 4;
	assert_null(voice_new(&conf, err, sizeof(err)));
	assert_non_null(strstr(err, "repeat"));
	conf.repeat = 1;
	conf.rate = 50;
	assert_null(voice_new(&conf, err, sizeof(err)));
	assert_non_null(strstr(err, "rate"));
	conf.rate = 0;
	snprintf(conf.wav_dir, sizeof(conf.wav_dir), "%s/missing", d.path);
	assert_null(voice_new(&conf, err, sizeof(err)));
	assert_non_null(strstr(err, "wav_dir"));

	snprintf(conf.wav_dir, sizeof(conf.wav_dir), "%s", d.path);
	v = voice_new(&conf, err, sizeof(err));
	assert_non_null(v);
	assert_null(voice_new(&conf, err, sizeof(err)));
	assert_non_null(strstr(err, "another enabled voice"));
	voice_free(v);
	v = voice_new(&conf, err, sizeof(err)); /* free again after voice_free */
	assert_non_null(v);
	voice_free(v);
	assert_int_equal(tmpdir_list(&d), 0);
	tmpdir_remove(&d);
}

/* The sound device: without one (no /dev/snd, as on a build machine)
 * voice_new() fails with a sentence saying so, and WAV output still works
 * afterwards. With one, the voice plays one announcement without failing. */
static void test_device(void **state)
{
	struct voice_conf conf = {.enabled = true, .output = VOICE_OUT_DEVICE, .repeat = 1};
	struct tmpdir d;
	struct voice *v;
	char err[256] = "";

	(void)state;
	v = voice_new(&conf, err, sizeof(err));
	if (access("/dev/snd", F_OK) != 0) {
		assert_null(v);
		assert_non_null(strstr(err, "no sound device"));
		print_message("without a sound device: %s\n", err);
	} else if (v) {
		assert_int_equal(voice_announce(v, "A023", 5, false), 0);
		assert_int_equal(voice_wait_idle(v, IDLE_TIMEOUT_MS), 0);
		assert_int_equal(voice_stats(v).failed, 0);
		voice_free(v);
	} else {
		assert_non_null(strstr(err, "sound device"));
	}
	tmpdir_make(&d);
	v = wav_voice(&d, 1);
	assert_int_equal(voice_announce(v, "B107", 12, false), 0);
	assert_int_equal(voice_wait_idle(v, IDLE_TIMEOUT_MS), 0);
	voice_free(v);
	assert_int_equal(tmpdir_list(&d), 1);
	assert_string_equal(d.names[0], "000001-B107-12.wav");
	tmpdir_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_and_recall), cmocka_unit_test(test_three_in_order),
	    cmocka_unit_test(test_repeat),         cmocka_unit_test(test_disabled),
	    cmocka_unit_test(test_queue_full),     cmocka_unit_test(test_conf_bad),
	    cmocka_unit_test(test_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
