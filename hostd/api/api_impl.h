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

/* The body of a request being received. */
struct request {
	char *body;
	size_t len;
	bool too_large;
};

/* An answer: its status and its JSON body. */
struct answer {
	unsigned status;
	cJSON *json; /* owned */
};

struct MHD_Connection;

const struct config *api_config(const struct api *a);
struct core *api_core(const struct api *a);
/* An error answer {"error": {"code", "message"}}. */
struct answer api_error(unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A core reply that is not an answer of the hall: 503 or 500. */
struct answer api_core_failure(int rc, int err);
/* A refusal (the engine's or the core's): 404 NOT_FOUND for what does
 * not exist, else 409 with core_error_name(). */
struct answer api_refusal(int err);
/* Sends the answer (and frees its JSON). */
int api_send(struct MHD_Connection *con, struct answer ans);
/* The body as an object of the allowed fields only; else *err. */
bool api_parse_body(const struct request *rq, const char *const *allowed, cJSON **out,
		    struct answer *err);
/* A non-empty string field: NULL when absent; false (with *err) when not
 * a string, or absent and required. */
bool api_get_str(const cJSON *o, const char *key, bool required, const char **out,
		 struct answer *err);
bool api_content_is_json(struct MHD_Connection *con);
/* An ISO time, or null for 0. */
void api_add_time(cJSON *o, const char *key, int64_t s);
/* A ticket just issued, as POST /api/v1/tickets answers it (token,
 * people ahead, estimated wait, status_url). */
cJSON *api_issued_ticket_json(struct api *a, const struct core_request *req);
/* "2026-11-28" */
void api_day_text(int32_t day, char *out, size_t size);

/* ---- qr.c ---- */

/* The QR code of text (8-bit mode, error correction M) as an SVG picture,
 * NUL-terminated, *len its length; NULL when text does not fit a QR code
 * or memory runs out. The caller frees it. */
char *api_qr_svg(const char *text, size_t *len);

/* ---- bookings.c: the appointment endpoints (docs/api.md) ---- */

struct api_bookings;

struct api_bookings *api_bookings_new(const struct config *cfg);
void api_bookings_free(struct api_bookings *b); /* NULL is fine */
/* Whether path (under /api/v1/) is one of bookings.c's. */
bool api_bookings_has_path(const char *path);
/*
 * Answers a request of bookings.c's: who is the caller's token entry, or
 * NULL without a valid one (the citizens' endpoints need none); addr the
 * client's address, for the limit per address.
 */
int api_bookings_route(struct api *a, struct api_bookings *b, struct MHD_Connection *con,
		       const struct api_token *who, const char *path, const char *method,
		       const struct request *rq);

#endif /* HALLQ_API_IMPL_H */
