/*
 * store.h — hallq's durable state in SQLite: open, migrate, close.
 *
 * Room: hostd/store. The only place (with hostd/eval) that includes
 * sqlite3.h. One struct store is owned by one thread (the core thread);
 * it is not shared. Later issues add the journal and projections here.
 *
 * The database is a hallq database when its application_id is
 * STORE_APPLICATION_ID; its schema version is PRAGMA user_version, raised
 * one step at a time by the migrations in store.c. A database written by a
 * newer hallq (a version above STORE_SCHEMA_VERSION) is refused, never
 * touched.
 */
#ifndef HALLQ_STORE_H
#define HALLQ_STORE_H

#include <stddef.h>

#define STORE_APPLICATION_ID 0x48414C51 /* "HALQ" */

enum {
	STORE_SCHEMA_VERSION = 1, /* the newest schema this build knows */
};

/* Errors: negative values; store_strerror() names them. */
enum store_error {
	STORE_OK = 0,
	STORE_ERR_IO = -1,        /* cannot open, read or write the file */
	STORE_ERR_NOT_HALLQ = -2, /* another program's database */
	STORE_ERR_TOO_NEW = -3,   /* schema newer than this build */
	STORE_ERR_NOMEM = -4,
	STORE_ERR_BUSY = -5, /* another process holds the database */
};

struct store;

/*
 * Opens the database at path, creating it if it does not exist, in WAL mode
 * with synchronous=FULL, and migrates it to STORE_SCHEMA_VERSION. On
 * success *out is the store and 0 is returned; on failure a negative
 * store_error and a sentence for the operator in err (err_size bytes).
 */
int store_open(const char *path, struct store **out, char *err, size_t err_size);

void store_close(struct store *st); /* NULL is fine */

/* The schema version of the open database (STORE_SCHEMA_VERSION once open). */
int store_schema_version(struct store *st);

/* "wal" when the journal mode is WAL, as SQLite reports it. */
const char *store_journal_mode(struct store *st);

const char *store_strerror(int err);

#endif /* HALLQ_STORE_H */
