/*
 * log.h — hostd's log: levelled lines to stderr, or to syslog when hostd
 * runs as a service.
 *
 * Room: hostd/log. Used by hostd's wiring and its modules that act (store,
 * api, drivers' callers); the engine never logs, it returns results.
 * The log's settings are process-wide and are set once, by main(), before
 * any thread starts; after that log_msg() may be called from any thread.
 */
#ifndef HALLQ_LOG_H
#define HALLQ_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

enum log_sink {
	LOG_SINK_STDERR,  /* "hostd: warn: text" */
	LOG_SINK_JOURNAL, /* "<4>text": systemd reads the level from the prefix */
	LOG_SINK_SYSLOG,  /* syslog(3), facility daemon */
};

/* Sets the program name, the lowest level written and where lines go. */
void log_init(const char *ident, enum log_level level, enum log_sink sink);

/* LOG_SINK_JOURNAL when stderr is connected to the journal (systemd sets
 * JOURNAL_STREAM), LOG_SINK_STDERR otherwise. */
enum log_sink log_default_sink(void);

/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* HALLQ_LOG_H */
