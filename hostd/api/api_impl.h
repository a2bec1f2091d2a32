/*
 * api_impl.h — what the files of hostd/api share: the tokens, the event
 * log, the server's state. Not for other rooms.
 */
#ifndef HALLQ_API_IMPL_H
#define HALLQ_API_IMPL_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

/* ---- tokens.c ---- */

enum api_role {
	API_ROLE_KIOSK,
	API_ROLE_WINDOW,
	API_ROLE_DISPLAY,
	API_ROLE_SUPERVISOR,
	API_ROLE_ADMIN,
};

struct api_token {
	char *token;
	enum api_role role;
	int window; /* window number, for API_ROLE_WINDOW */
	char name[64];
};

struct api_tokens {
	struct api_token *list;
	int n;
};

/* Reads and checks the tokens file; one line per problem in err. */
int api_tokens_load(struct api_tokens *t, const char *path, const struct config *cfg, char *err,
		    int err_size);
void api_tokens_free(struct api_tokens *t);
/* The entry of this token, or NULL (compared in constant time). */
const struct api_token *api_tokens_find(const struct api_tokens *t, const char *token);
const char *api_role_name(enum api_role role);

/* ---- events.c: the day's events, for the streams ---- */

struct api_event {
	uint64_t n;
	char *text; /* "id: ...\nevent: ...\ndata: ...\n\n" */
	size_t len;
};

struct api_events {
	pthread_mutex_t mu;
	pthread_cond_t added;
	int64_t boot;           /* the second the API started: the ids' prefix */
	struct api_event *ring; /* oldest first, from first_n */
	size_t n_ring, cap;
	size_t bytes;    /* of the texts in the ring */
	uint64_t next_n; /* the n the next event gets (from 1) */
	int32_t day;     /* the business day the ring holds */
	bool stopping;
};

void api_events_init(struct api_events *ev);
void api_events_free(struct api_events *ev);
/* Appends an event (data: a cJSON object, printed and kept); a new day
 * empties the log first. Wakes the streams. */
void api_events_add(struct api_events *ev, int32_t day, const char *name, const cJSON *data);
void api_events_stop(struct api_events *ev);
void api_events_last_id(struct api_events *ev, char *out, size_t size);

/* One stream: where it is in the log. */
struct api_stream {
	struct api_events *ev;
	uint64_t next; /* the n of the next event to send */
	bool reset;    /* send a reset event first */
	char *pending; /* bytes of an event not yet sent */
	size_t pending_len, pending_off;
};

/* A stream starting after Last-Event-ID last_id (NULL: from now). */
struct api_stream *api_stream_new(struct api_events *ev, const char *last_id);
/* libmicrohttpd's content reader: blocks until there is something. */
ssize_t api_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void api_stream_free(void *cls);

/* ---- api.c: helpers events.c and the handlers share ---- */

/* "2026-11-28T09:05:00+08:00" for an epoch second (the hall's time zone). */
void api_iso_time(int64_t s, char *out, size_t size);

#endif /* HALLQ_API_IMPL_H */
