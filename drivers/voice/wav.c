/*
 * wav.c — writes 16-bit mono PCM as a RIFF/WAVE file. See wav.h.
 *
 * Room: drivers/voice. libc and POSIX only. Every field is written byte by
 * byte in little-endian order, so the file is the same on any host.
 */
#include "wav.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
	WAV_CHANNELS = 1,
	WAV_BITS = 16,
	WAV_BLOCK_ALIGN = WAV_CHANNELS * WAV_BITS / 8,
};

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fill_header(uint8_t *h, uint32_t data_size, uint32_t sample_rate)
{
	memcpy(h, "RIFF", 4);
	put_u32(h + 4, 36 + data_size); /* everything after this field */
	memcpy(h + 8, "WAVE", 4);
	memcpy(h + 12, "fmt ", 4);
	put_u32(h + 16, 16); /* the PCM fmt chunk */
	put_u16(h + 20, 1);  /* WAVE_FORMAT_PCM */
	put_u16(h + 22, WAV_CHANNELS);
	put_u32(h + 24, sample_rate);
	put_u32(h + 28, sample_rate * WAV_BLOCK_ALIGN); /* bytes per second */
	put_u16(h + 32, WAV_BLOCK_ALIGN);
	put_u16(h + 34, WAV_BITS);
	memcpy(h + 36, "data", 4);
	put_u32(h + 40, data_size);
}

static int write_samples(FILE *f, const int16_t *samples, size_t n)
{
	uint8_t buf[4096];
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		put_u16(buf + used, (uint16_t)samples[i]);
		used += 2;
		if (used == sizeof(buf) || i + 1 == n) {
			if (fwrite(buf, 1, used, f) != used)
				return -EIO;
			used = 0;
		}
	}
	return 0;
}

int voice_wav_write(const char *path, const int16_t *samples, size_t n, int sample_rate)
{
	uint8_t header[VOICE_WAV_HEADER_SIZE];
	char tmp[4096];
	FILE *f;
	int rc;

	if (sample_rate <= 0 || n > (UINT32_MAX - 36) / WAV_BLOCK_ALIGN)
		return -EFBIG;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "wb");
	if (!f)
		return -errno;
	fill_header(header, (uint32_t)(n * WAV_BLOCK_ALIGN), (uint32_t)sample_rate);
	rc = fwrite(header, 1, sizeof(header), f) == sizeof(header) ? 0 : -EIO;
	if (rc == 0)
		rc = write_samples(f, samples, n);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		remove(tmp);
	return rc;
}
