/*
 * log.c — the port's log: "kiosk-fw: warn: text" lines on stderr.
 *
 * Room: firmware/posix. The program name and the level are process-wide,
 * set once by main() before the loop starts; the port has one thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "port.h"

static const char *log_prog = "fw";
static int log_level = PORT_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void port_log_init(const char *prog, int level)
{
	log_prog = prog;
	log_level = level;
}

int port_log_level_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof level_names / sizeof level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void port_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > log_level || level < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* One call per line: stderr is unbuffered, and glibc writes one
	 * unbuffered fprintf() at once, so programs sharing a log file do not
	 * interleave their lines. */
	fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level], line);
}
