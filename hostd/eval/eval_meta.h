/*
 * eval_meta.h — reading the `meta` table of a hallq database without
 * opening it for writing: hallctl takes the hall config hostd last ran
 * with from there ("config", "config_path") when it is not given --config,
 * and checks that a file is a hallq database before anything opens it for
 * writing.
 *
 * Room: hostd/eval (SQLite may be used here). A candidate for store.h
 * (store_get_meta beside store_put_meta) when the store grows a reader.
 */
#ifndef HALLQ_EVAL_META_H
#define HALLQ_EVAL_META_H

#include <stddef.h>

/*
 * Reads meta's value for key from the database at path (which must exist).
 * Returns EVAL_OK with *value the text (malloc'd; the caller frees it) or
 * NULL when there is no such row; or an eval_error and a sentence in err.
 */
int eval_meta_get(const char *path, const char *key, char **value, char *err, size_t err_size);

/*
 * What the file at path is, read with a read-only connection (nothing is
 * created or changed, not even -wal or -shm files of a file that is not a
 * database): *app_id and *version get PRAGMA application_id and
 * user_version (0 and 0 for an empty file). EVAL_ERR_NOT_HALLQ with a
 * sentence when it is not an SQLite file; EVAL_ERR_IO or EVAL_ERR_BUSY when
 * it cannot be read.
 */
int eval_meta_identify(const char *path, int *app_id, int *version, char *err, size_t err_size);

#endif /* HALLQ_EVAL_META_H */
