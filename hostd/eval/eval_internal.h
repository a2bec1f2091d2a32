/*
 * eval_internal.h — what the files of hostd/eval share and nobody else
 * sees: the open database, and the JSON of one subject for eval_save().
 */
#ifndef HALLQ_EVAL_INTERNAL_H
#define HALLQ_EVAL_INTERNAL_H

#include <sqlite3.h>

#include "eval/eval.h"

struct eval {
	sqlite3 *db;
	const struct config *cfg; /* borrowed */
	char path[CONFIG_PATH_SIZE];
};

/* Puts a sentence in err (snprintf-style); returns err for chaining. */
char *eval_errorf(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* report.c: the JSON text (malloc'd) of one subject's object exactly as
 * eval_report_json() writes it: kind "hall" (subject ""), "service" (its
 * id), "window" (its number) or "staff" (their id). NULL when there is no
 * such subject or memory runs out. */
char *eval_subject_json(const struct eval_report *r, const struct config *cfg, const char *kind,
			const char *subject);

#endif /* HALLQ_EVAL_INTERNAL_H */
