/*
 * store_internal.h — what the files of hostd/store share. Not for other
 * rooms: they see struct store only through store.h.
 */
#ifndef HALLQ_STORE_INTERNAL_H
#define HALLQ_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

/* The connection of st (owned by st). */
sqlite3 *store_db(struct store *st);
/* An SQLite result code as a store_error. */
int store_from_sqlite(int rc);
/* A failure of st's connection as a store_error, its cause (the disk
 * full, a lock, a read-only file system) kept for store_last_error(). */
int store_fail(struct store *st, int rc);

#endif /* HALLQ_STORE_INTERNAL_H */
