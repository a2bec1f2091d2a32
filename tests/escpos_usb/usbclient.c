/*
 * usbclient.c — a kiosk's use of a USB printer through escpos.h alone;
 * usbmock runs it under umockdev-wrapper, but nothing here knows that.
 *
 * usage: usbclient write SPEC FILE     print FILE's bytes
 *        usbclient status SPEC BITS    the PRINTER bits must be BITS
 *        usbclient unplug SPEC FILE    the first write fails with
 *                                      ESCPOS_ERR_IO (the printer is pulled
 *                                      mid-job); retry with backoff until the
 *                                      whole ticket is printed
 *        usbclient none SPEC           opening must say ESCPOS_ERR_NO_PRINTER
 *
 * Exit status 0 when what happened is what the command expects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escpos.h"

enum {
	WRITE_TIMEOUT_MS = 5000,
	STATUS_TIMEOUT_MS = 2000,
	RETRY_FIRST_MS = 50,
	RETRY_MAX_MS = 400,
	RETRY_LIMIT = 40,
	ERR_SIZE = 256,
};

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)size);
		if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
			free(data);
			data = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return data;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int open_or_say(const char *spec, struct escpos_port **port)
{
	char err[ERR_SIZE];
	int rc = escpos_open(spec, port, err, sizeof(err));

	if (rc != ESCPOS_OK)
		printf("usbclient: open %s: %s (%s)\n", spec, escpos_strerror(rc), err);
	return rc;
}

static int cmd_write(const char *spec, const unsigned char *data, size_t len)
{
	struct escpos_port *port;
	char err[ERR_SIZE];

	if (open_or_say(spec, &port) != ESCPOS_OK)
		return 1;
	int rc = escpos_write(port, data, len, WRITE_TIMEOUT_MS, err, sizeof(err));
	if (rc != ESCPOS_OK)
		printf("usbclient: write: %s (%s)\n", escpos_strerror(rc), err);
	escpos_close(port);
	return rc == ESCPOS_OK ? 0 : 1;
}

static int cmd_status(const char *spec, unsigned want)
{
	struct escpos_port *port;
	char err[ERR_SIZE];
	uint16_t bits = 0;

	if (open_or_say(spec, &port) != ESCPOS_OK)
		return 1;
	int rc = escpos_status(port, &bits, STATUS_TIMEOUT_MS, err, sizeof(err));
	escpos_close(port);
	if (rc != ESCPOS_OK) {
		printf("usbclient: status: %s (%s)\n", escpos_strerror(rc), err);
		return 1;
	}
	printf("usbclient: status bits 0x%02x, want 0x%02x\n", bits, want);
	return bits == want ? 0 : 1;
}

/* The kiosk's loop: the first write must fail as I/O, a later one must succeed. */
static int cmd_unplug(const char *spec, const unsigned char *data, size_t len)
{
	struct escpos_port *port;
	char err[ERR_SIZE];
	int backoff_ms = RETRY_FIRST_MS;
	int rc;

	if (open_or_say(spec, &port) != ESCPOS_OK)
		return 1;
	rc = escpos_write(port, data, len, WRITE_TIMEOUT_MS, err, sizeof(err));
	printf("usbclient: first write: %s (%s)\n", escpos_strerror(rc), err);
	if (rc != ESCPOS_ERR_IO || strlen(err) < 10) {
		printf("usbclient: want ESCPOS_ERR_IO with a sentence\n");
		escpos_close(port);
		return 1;
	}
	for (int attempt = 1; attempt <= RETRY_LIMIT; attempt++) {
		sleep_ms(backoff_ms);
		backoff_ms = backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff_ms * 2;
		rc = escpos_write(port, data, len, WRITE_TIMEOUT_MS, err, sizeof(err));
		printf("usbclient: retry %d: %s%s%s%s\n", attempt, escpos_strerror(rc),
		       rc ? " (" : "", rc ? err : "", rc ? ")" : "");
		if (rc == ESCPOS_OK || (rc != ESCPOS_ERR_NO_PRINTER && rc != ESCPOS_ERR_IO))
			break;
	}
	escpos_close(port);
	return rc == ESCPOS_OK ? 0 : 1;
}

/* No printer: a clear ESCPOS_ERR_NO_PRINTER naming the spec, no port, no crash. */
static int cmd_none(const char *spec)
{
	static char not_null;
	struct escpos_port *port = (struct escpos_port *)&not_null; /* open must set NULL */
	char err[ERR_SIZE] = "";
	int rc = escpos_open(spec, &port, err, sizeof(err));

	printf("usbclient: open %s: %s (%s)\n", spec, escpos_strerror(rc), err);
	if (rc != ESCPOS_ERR_NO_PRINTER || port != NULL || !strstr(err, spec)) {
		printf("usbclient: want ESCPOS_ERR_NO_PRINTER, no port and a sentence naming "
		       "\"%s\"\n",
		       spec);
		if (rc == ESCPOS_OK)
			escpos_close(port);
		return 1;
	}
	escpos_close(NULL);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int status = 2;

	if (argc == 3 && strcmp(argv[1], "none") == 0)
		return cmd_none(argv[2]);
	if (argc != 4) {
		fprintf(stderr, "usage: usbclient write|status|unplug|none SPEC [ARG]\n");
		return 2;
	}
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argv[2], (unsigned)strtoul(argv[3], NULL, 0));
	data = read_file(argv[3], &len);
	if (!data) {
		fprintf(stderr, "usbclient: cannot read %s\n", argv[3]);
		return 2;
	}
	if (strcmp(argv[1], "write") == 0)
		status = cmd_write(argv[2], data, len);
	else if (strcmp(argv[1], "unplug") == 0)
		status = cmd_unplug(argv[2], data, len);
	free(data);
	return status;
}
