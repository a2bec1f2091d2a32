/*
 * test_ports.c — the file: and dev: transports of drivers/escpos/port.c,
 * and escpos_open's reading of the spec.
 *
 * file: against a temporary file. dev: against a pseudo-terminal in raw
 * mode standing in for /dev/usb/lp0: a thread on the master side plays
 * the printer (takes the bytes, answers DLE EOT n), or nobody does, for
 * the timeouts.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "escpos.h"
#include "proto/proto.h"

enum {
	ERR_SIZE = 256,
	TICKET_BYTES = 8192,
};

/* ---- file: ---- */

static char *temp_path(void)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/test_escpos_ports.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return path;
}

static size_t slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

static void write_spec(const char *spec, const char *text)
{
	struct escpos_port *p = NULL;
	char err[ERR_SIZE];

	assert_int_equal(escpos_open(spec, &p, err, sizeof(err)), ESCPOS_OK);
	assert_int_equal(escpos_write(p, text, strlen(text), 1000, err, sizeof(err)), ESCPOS_OK);
	escpos_close(p);
}

static void test_file_appends(void **state)
{
	char spec[96], got[64], err[ERR_SIZE];
	const char *path = temp_path();
	struct escpos_port *p = NULL;
	uint16_t bits = 0;
	(void)state;

	FILE *f = fopen(path, "w");
	fputs("old|", f);
	fclose(f);
	snprintf(spec, sizeof(spec), "file:%s", path);
	write_spec(spec, "first|");
	write_spec(spec, "second");
	size_t n = slurp(path, got, sizeof(got));
	assert_int_equal(n, strlen("old|first|second"));
	assert_memory_equal(got, "old|first|second", n);

	assert_int_equal(escpos_open(spec, &p, err, sizeof(err)), ESCPOS_OK);
	assert_int_equal(escpos_status(p, &bits, 100, err, sizeof(err)), ESCPOS_OK);
	assert_int_equal(bits, PROTO_PRINTER_OK);
	assert_int_equal(escpos_write(p, "", 0, 100, err, sizeof(err)), ESCPOS_OK);
	escpos_close(p);
	unlink(path);
}

static void test_file_cannot_open(void **state)
{
	struct escpos_port *p = NULL;
	char err[ERR_SIZE];
	(void)state;

	assert_int_equal(escpos_open("file:/nonexistent-dir/ticket.bin", &p, err, sizeof(err)),
			 ESCPOS_ERR_IO);
	assert_null(p);
	assert_non_null(strstr(err, "/nonexistent-dir/ticket.bin"));
	assert_int_equal(escpos_open("file:", &p, err, sizeof(err)), ESCPOS_ERR_ARG);
	assert_null(p);
}

static void test_bad_specs(void **state)
{
	static const char *const bad[] = {"",          "lpt1",      "usb:",        "usbx",
					  "usb:0416",  "usb:0416:", "usb:zz:5011", "usb:12345:1",
					  "usb:1:2:3", "dev:",      "file",        "USB:0416:5011"};
	char err[ERR_SIZE];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct escpos_port *p = NULL;
		err[0] = '\0';
		int rc = escpos_open(bad[i], &p, err, sizeof(err));
		if (rc != ESCPOS_ERR_ARG)
			fail_msg("spec \"%s\": %d, want ESCPOS_ERR_ARG", bad[i], rc);
		assert_null(p);
		assert_true(strlen(err) > 10);
	}
	assert_int_equal(escpos_open(NULL, NULL, NULL, 0), ESCPOS_ERR_ARG);
	escpos_close(NULL);
}

/* ---- dev: against a pseudo-terminal ---- */

struct pty {
	int master, slave; /* the test keeps the slave open: it holds the raw mode */
	char path[64];
};

static void pty_open(struct pty *t)
{
	struct termios tio;

	t->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(t->master >= 0);
	assert_int_equal(grantpt(t->master), 0);
	assert_int_equal(unlockpt(t->master), 0);
	snprintf(t->path, sizeof(t->path), "%s", ptsname(t->master));
	t->slave = open(t->path, O_RDWR | O_NOCTTY);
	assert_true(t->slave >= 0);
	/* raw: bytes pass unchanged, no echo, no line editing */
	assert_int_equal(tcgetattr(t->slave, &tio), 0);
	tio.c_iflag = 0;
	tio.c_oflag = 0;
	tio.c_lflag = 0;
	tio.c_cflag = (tio.c_cflag & ~(tcflag_t)CSIZE) | CS8 | CREAD | CLOCAL;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	assert_int_equal(tcsetattr(t->slave, TCSANOW, &tio), 0);
}

static void pty_close(struct pty *t)
{
	if (t->master >= 0)
		close(t->master);
	close(t->slave);
}

/* The printer on the master side: takes `expect` bytes, answers DLE EOT n. */
struct printer {
	int fd;
	size_t expect;
	uint8_t answer[5];
	uint8_t *got;
	size_t len;
	int state;
};

static void *printer_run(void *arg)
{
	struct printer *pr = arg;

	while (pr->len < pr->expect) {
		struct pollfd pfd = {.fd = pr->fd, .events = POLLIN};
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		ssize_t r = read(pr->fd, pr->got + pr->len, pr->expect - pr->len);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			uint8_t b = pr->got[pr->len + (size_t)i];
			if (pr->state == 2 && (b == 1 || b == 2 || b == 4))
				(void)!write(pr->fd, &pr->answer[b], 1);
			pr->state = pr->state == 1 && b == 0x04 ? 2 : b == 0x10 ? 1 : 0;
		}
		pr->len += (size_t)r;
	}
	return NULL;
}

static void test_dev_write_and_status(void **state)
{
	static const uint8_t questions[] = {0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04};
	uint8_t *ticket = malloc(TICKET_BYTES);
	struct printer pr = {.expect = TICKET_BYTES + sizeof(questions)};
	struct escpos_port *p = NULL;
	char spec[96], err[ERR_SIZE];
	struct pty t;
	pthread_t thread;
	uint16_t bits = 0;
	(void)state;

	for (size_t i = 0; i < TICKET_BYTES; i++)
		ticket[i] = (uint8_t)(i * 7 + i / 256); /* every value, DLE EOT never in a row */
	pty_open(&t);
	pr.fd = t.master;
	pr.got = malloc(pr.expect);
	pr.answer[1] = 0x12; /* online */
	pr.answer[2] = 0x12; /* cover closed, paper fed */
	pr.answer[4] = 0x1e; /* paper near its end */
	assert_int_equal(pthread_create(&thread, NULL, printer_run, &pr), 0);

	snprintf(spec, sizeof(spec), "dev:%s", t.path);
	assert_int_equal(escpos_open(spec, &p, err, sizeof(err)), ESCPOS_OK);
	assert_int_equal(escpos_write(p, ticket, TICKET_BYTES, 5000, err, sizeof(err)), ESCPOS_OK);
	assert_int_equal(escpos_status(p, &bits, 5000, err, sizeof(err)), ESCPOS_OK);
	assert_int_equal(bits, PROTO_PRINTER_OK | PROTO_PRINTER_NEAR_END);
	pthread_join(thread, NULL);
	escpos_close(p);

	assert_int_equal(pr.len, pr.expect);
	assert_memory_equal(pr.got, ticket, TICKET_BYTES);
	assert_memory_equal(pr.got + TICKET_BYTES, questions, sizeof(questions));
	pty_close(&t);
	free(pr.got);
	free(ticket);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_dev_silent_printer_times_out(void **state)
{
	struct escpos_port *p = NULL;
	char spec[96], err[ERR_SIZE];
	struct pty t;
	uint16_t bits = 0;
	(void)state;

	pty_open(&t);
	snprintf(spec, sizeof(spec), "dev:%s", t.path);
	assert_int_equal(escpos_open(spec, &p, err, sizeof(err)), ESCPOS_OK);
	int64_t start = now_ms();
	assert_int_equal(escpos_status(p, &bits, 300, err, sizeof(err)), ESCPOS_ERR_TIMEOUT);
	int64_t took = now_ms() - start;
	assert_true(took >= 250 && took < 3000);
	assert_int_equal(bits, PROTO_PRINTER_OFFLINE);
	assert_non_null(strstr(err, "DLE EOT 1"));

	/* nobody reads: the terminal's buffer fills and the write gives up in time */
	size_t big = 4 << 20;
	uint8_t *lots = calloc(1, big);
	start = now_ms();
	assert_int_equal(escpos_write(p, lots, big, 300, err, sizeof(err)), ESCPOS_ERR_TIMEOUT);
	took = now_ms() - start;
	assert_true(took >= 250 && took < 3000);
	assert_non_null(strstr(err, "in time"));
	free(lots);
	escpos_close(p);
	pty_close(&t);
}

static void test_dev_gone(void **state)
{
	struct escpos_port *p = NULL;
	char spec[96], err[ERR_SIZE];
	struct pty t;
	(void)state;

	assert_int_equal(escpos_open("dev:/nonexistent/usb/lp9", &p, err, sizeof(err)),
			 ESCPOS_ERR_NO_PRINTER);
	assert_null(p);
	assert_non_null(strstr(err, "/nonexistent/usb/lp9"));

	/* the other end goes away mid-job (the printer is unplugged) */
	pty_open(&t);
	snprintf(spec, sizeof(spec), "dev:%s", t.path);
	assert_int_equal(escpos_open(spec, &p, err, sizeof(err)), ESCPOS_OK);
	close(t.master);
	t.master = -1;
	assert_int_equal(escpos_write(p, "ticket", 6, 1000, err, sizeof(err)), ESCPOS_ERR_IO);
	assert_true(strlen(err) > 10);
	escpos_close(p);
	pty_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_appends),
	    cmocka_unit_test(test_file_cannot_open),
	    cmocka_unit_test(test_bad_specs),
	    cmocka_unit_test(test_dev_write_and_status),
	    cmocka_unit_test(test_dev_silent_printer_times_out),
	    cmocka_unit_test(test_dev_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
