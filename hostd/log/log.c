/*
 * log.c — the log sinks: stderr, the systemd journal through stderr with
 * "<N>" level prefixes, and syslog(3).
 *
 * Room: hostd/log. Writes one whole line per call so that lines from
 * different threads never interleave.
 */
#define _DEFAULT_SOURCE /* vsyslog */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const int level_priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

/* Set once by log_init() before threads start; read-only afterwards. */
static struct {
	const char *ident;
	enum log_level level;
	enum log_sink sink;
} log_settings = {"hallq", LOG_LEVEL_INFO, LOG_SINK_STDERR};

void log_init(const char *ident, enum log_level level, enum log_sink sink)
{
	log_settings.ident = ident;
	log_settings.level = level;
	log_settings.sink = sink;
	if (sink == LOG_SINK_SYSLOG)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

enum log_sink log_default_sink(void)
{
	const char *stream = getenv("JOURNAL_STREAM");

	return stream && *stream ? LOG_SINK_JOURNAL : LOG_SINK_STDERR;
}

int log_level_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (level > log_settings.level)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);

	switch (log_settings.sink) {
	case LOG_SINK_SYSLOG:
		syslog(level_priorities[level], "%s", text);
		break;
	case LOG_SINK_JOURNAL:
		fprintf(stderr, "<%d>%s\n", level_priorities[level], text);
		break;
	case LOG_SINK_STDERR:
		fprintf(stderr, "%s: %s: %s\n", log_settings.ident, level_names[level], text);
		break;
	}
}
