/*
 * fixture.h — builds a real hallq database from a small script of hall
 * events, for the evaluation's tests (tests/unit/eval) and hallctl's
 * integration test (through tests/eval/eval_fixture.c).
 *
 * Room: tests/eval. Every command goes through the real engine
 * (engine_apply) and is journalled with the real store (store_begin,
 * store_record, store_commit) exactly as hostd/core/core.c does, so the
 * journal is the one hostd would have written. tests/eval/README.md gives
 * the script language.
 *
 * The builder sets TZ to the config's timezone (setenv, tzset): script
 * times are the hall's local times.
 */
#ifndef HALLQ_TESTS_EVAL_FIXTURE_H
#define HALLQ_TESTS_EVAL_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

enum fixture_error {
	FIXTURE_OK = 0,
	FIXTURE_ERR_SCRIPT = 1, /* a line that does not parse, or a command the engine refused */
	FIXTURE_ERR_IO = -1,    /* the database or the script cannot be read or written */
};

/*
 * Applies the script read from `script` (named `script_name` in messages)
 * to the database at db_path, which is created (or opened and migrated)
 * with store_open(). Its days must come after any day already in the
 * journal. The database also gets the config in `meta` (`config`,
 * `config_path`), as hostd records it at start.
 *
 * The whole script is one transaction: on any error nothing of it is
 * written, and err holds "SCRIPT:LINE: what" (for a refusal the engine's
 * name of it, "SCRIPT:LINE: NO_TICKET_WAITING"). Returns a fixture_error.
 */
int fixture_build(const struct config *cfg, const char *db_path, FILE *script,
		  const char *script_name, char *err, size_t err_size);

/* The same from text in memory (named "script" in messages). */
int fixture_build_text(const struct config *cfg, const char *db_path, const char *text, char *err,
		       size_t err_size);

/*
 * The epoch seconds of local time day (yyyymmdd) hh:mm:ss in the time zone
 * TZ names now (mktime; the caller or fixture_build has set TZ). For tests
 * that compute an instant the way the builder does.
 */
int64_t fixture_epoch(int32_t day, int hh, int mm, int ss);

#endif /* HALLQ_TESTS_EVAL_FIXTURE_H */
