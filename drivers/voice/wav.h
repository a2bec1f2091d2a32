/*
 * wav.h — the WAV writer of drivers/voice (private to this room): 16-bit
 * mono PCM in a canonical 44-byte RIFF header.
 */
#ifndef HALLQ_VOICE_WAV_H
#define HALLQ_VOICE_WAV_H

#include <stddef.h>
#include <stdint.h>

enum {
	VOICE_WAV_HEADER_SIZE = 44,
};

/* Writes n samples at sample_rate Hz to path, first under path + ".tmp",
 * renamed to path when all of it is written, so a reader never sees half a
 * file. Returns 0 or a negative errno (-EFBIG when the data would not fit
 * the 32-bit RIFF sizes); on error no file is left behind. */
int voice_wav_write(const char *path, const int16_t *samples, size_t n, int sample_rate);

#endif /* HALLQ_VOICE_WAV_H */
