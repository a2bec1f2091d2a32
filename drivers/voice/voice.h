/*
 * voice.h — call announcements in Mandarin: "请A零二三号到五号窗口办理"
 * spoken by espeak-ng, on the sound device or into WAV files.
 *
 * Room: drivers/voice. The only room that includes espeak-ng. It knows
 * nothing of hostd: the caller hands it a ticket label and a window number
 * and goes on; the voice's own worker thread speaks the queue in order, so
 * announcements never overlap and the caller never waits for synthesis.
 *
 * The words: the ticket number letter by letter and digit by digit (A023 is
 * "A 零二三", as halls read it), the window as a number (12 is 十二). The
 * voice is espeak-ng's cmn-latn-pinyin: with it espeak-ng 1.51 reads the
 * characters right, where cmn spells many of them as pinyin with English
 * tone numbers (espeak-ng issue #1370; /work/shared/notes/voice-espeak.md).
 * A recall is spoken with the same words as the first call: the hall hears
 * the same sentence again.
 *
 * espeak-ng keeps its state in the library, one per process, and 1.51
 * cannot be initialised again after espeak_Terminate (a second terminate
 * hangs). So the library is initialised once, on the first voice_new() that
 * needs it, and never terminated; at most one enabled voice exists at a
 * time (voice_new refuses a second), and only its worker calls the
 * synthesiser. A disabled voice does not touch espeak-ng.
 */
#ifndef HALLQ_VOICE_H
#define HALLQ_VOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	VOICE_QUEUE = 64,       /* announcements waiting; one more is refused */
	VOICE_LABEL_SIZE = 16,  /* a ticket label: 1..15 letters and digits */
	VOICE_WINDOW_MAX = 999, /* window numbers 1..999 */
	VOICE_PATH_SIZE = 256,
	VOICE_TEXT_SIZE = 256, /* enough for voice_text() of any valid input */
	VOICE_REPEAT_MAX = 3,
	VOICE_GAP_MS = 700,  /* silence between the repeats of one announcement */
	VOICE_RATE_MIN = 80, /* words per minute, espeak-ng's range */
	VOICE_RATE_MAX = 450,
};

struct voice_conf {
	bool enabled; /* false: every announcement is accepted and dropped */
	enum {
		VOICE_OUT_DEVICE, /* the default sound device, played synchronously */
		VOICE_OUT_WAV,    /* one file per announcement in wav_dir */
	} output;
	/* VOICE_OUT_WAV: an existing directory. Files are NNNNNN-LABEL-W.wav,
	 * NNNNNN counting announcements of this voice from 000001; each is
	 * written under a temporary name and renamed when complete. */
	char wav_dir[VOICE_PATH_SIZE];
	int repeat; /* times each announcement is spoken, 1..3, VOICE_GAP_MS apart */
	int rate;   /* words per minute, VOICE_RATE_MIN..MAX; 0: espeak-ng's default (175) */
};

struct voice_stats {
	uint64_t queued;  /* accepted by voice_announce() */
	uint64_t spoken;  /* played or written completely */
	uint64_t failed;  /* synthesis, playback or the file failed (logged) */
	uint64_t refused; /* the queue was full (logged) */
	uint64_t dropped; /* still queued when voice_free() ran */
};

struct voice;

/* Copies conf. For an enabled voice: checks conf, initialises espeak-ng
 * (once per process), selects the cmn-latn-pinyin voice and the rate, and
 * for VOICE_OUT_DEVICE plays a moment of silence to find out whether there
 * is a sound device; then starts the worker. Returns NULL with a sentence
 * in err (no sound device, voice data missing, wav_dir not a writable
 * directory, a bad field, another enabled voice alive). The caller may
 * then carry on with a disabled voice. */
struct voice *voice_new(const struct voice_conf *conf, char *err, int err_size);

/* Drops what is still queued (counted in stats and logged), lets the
 * announcement being spoken finish, and stops the worker: shutting down
 * does not wait for a minute of queued speech. NULL is fine. */
void voice_free(struct voice *v);

/* Queues "ticket label to window window_number" and returns at once (any
 * thread). recall only changes the log line: the words are the same.
 * Returns 0, or -1 when the label or the window is not valid or the queue
 * is full (logged; nothing is queued). A disabled voice returns 0 for a
 * valid announcement and drops it. */
int voice_announce(struct voice *v, const char *ticket_label, int window_number, bool recall);

/* Waits until the queue is empty and nothing is being spoken. Returns 0, or
 * -1 after timeout_ms. For tests and orderly shutdowns. */
int voice_wait_idle(struct voice *v, int timeout_ms);

struct voice_stats voice_stats(struct voice *v);

/* The sample rate of the audio espeak-ng produces (22050 for its voices),
 * 0 for a disabled voice. */
int voice_sample_rate(const struct voice *v);

/* The exact UTF-8 text handed to espeak-ng for label and window_number:
 * "请" + the label read letter by letter and digit by digit (letters in
 * upper case, separated by a space from a following letter so that "AB" is
 * not read as a word; digits as 零一二…九) + "号到" + the window as a
 * number + "号窗口办理". A023, 5 gives "请A零二三号到五号窗口办理".
 * Returns the length in bytes without the NUL, or -1 with nothing written
 * when label is NULL, empty, longer than VOICE_LABEL_SIZE - 1 or holds
 * anything but ASCII letters and digits, when window_number is outside
 * 1..VOICE_WINDOW_MAX, or when size is too small. */
int voice_text(const char *label, int window_number, char *out, size_t size);

/* n (1..999) as a Mandarin number: 5 五, 10 十, 12 十二, 20 二十,
 * 105 一百零五, 110 一百一十, 999 九百九十九. Returns the length in bytes
 * without the NUL, or -1 with nothing written (n out of range, size too
 * small). */
int voice_number_text(int n, char *out, size_t size);

#endif /* HALLQ_VOICE_H */
