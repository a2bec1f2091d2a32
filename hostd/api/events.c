/*
 * events.c — the day's events and the server-sent event streams
 * (docs/api.md, "GET /api/v1/events").
 *
 * The day's events are kept, up to MAX_BYTES of their text (a day of a
 * 30-window hall; a 100-window hall's day makes about 100 MB, so there the
 * last hour or so), so a client that reconnects with Last-Event-ID gets
 * exactly what it missed. Ids are BOOT-N: a client holding another boot's
 * id, another day's, or one older than the log, gets `reset`. The bound
 * keeps hostd's memory flat whatever the day brings.
 *
 * Room: hostd/api. A stream's reader runs on its connection's thread
 * (libmicrohttpd thread per connection) and waits on the log's condition
 * variable; keep-alive comments every KEEPALIVE_S.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "api/api_impl.h"

enum {
	KEEPALIVE_S = 15,
	MAX_BYTES = 8u << 20, /* past it the oldest tenth goes (a resume from before them resets) */
};

static const char reset_text[] = "event: reset\ndata: {}\n\n";
static const char keepalive_text[] = ": keep-alive\n\n";

void api_events_init(struct api_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	pthread_condattr_t attr;

	pthread_mutex_init(&ev->mu, NULL);
	/* keep-alive waits measure time, not the wall clock (which may step) */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->added, &attr);
	pthread_condattr_destroy(&attr);
	ev->boot = (int64_t)time(NULL);
	ev->next_n = 1;
}

static void clear(struct api_events *ev)
{
	for (size_t k = 0; k < ev->n_ring; k++)
		free(ev->ring[k].text);
	ev->n_ring = 0;
	ev->bytes = 0;
}

/* The oldest tenth of the ring's bytes goes: one move per many adds. */
static void drop_oldest(struct api_events *ev)
{
	size_t drop = 0, freed = 0;

	while (drop < ev->n_ring && freed < ev->bytes / 10)
		freed += ev->ring[drop++].len;
	for (size_t k = 0; k < drop; k++) {
		ev->bytes -= ev->ring[k].len;
		free(ev->ring[k].text);
	}
	memmove(ev->ring, ev->ring + drop, sizeof(ev->ring[0]) * (ev->n_ring - drop));
	ev->n_ring -= drop;
}

void api_events_free(struct api_events *ev)
{
	clear(ev);
	free(ev->ring);
	pthread_mutex_destroy(&ev->mu);
	pthread_cond_destroy(&ev->added);
}

/* The n of the oldest event kept (next_n when none). */
static uint64_t first_n(const struct api_events *ev)
{
	return ev->n_ring ? ev->ring[0].n : ev->next_n;
}

void api_events_add(struct api_events *ev, int32_t day, const char *name, const cJSON *data)
{
	char *json = cJSON_PrintUnformatted(data);

	if (!json)
		return;
	pthread_mutex_lock(&ev->mu);
	if (day < ev->day) { /* read before the day rolled: today's log stays */
		pthread_mutex_unlock(&ev->mu);
		free(json);
		return;
	}
	if (day > ev->day) {
		clear(ev); /* a new day: yesterday's ids resume nothing */
		ev->day = day;
	}
	if (ev->bytes > MAX_BYTES)
		drop_oldest(ev);
	if (ev->n_ring == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 256;
		struct api_event *r = realloc(ev->ring, cap * sizeof(*r));
		if (!r) {
			pthread_mutex_unlock(&ev->mu);
			free(json);
			return;
		}
		ev->ring = r;
		ev->cap = cap;
	}
	size_t size = strlen(json) + strlen(name) + 64;
	char *text = malloc(size);
	if (text) {
		uint64_t n = ev->next_n++;
		int len =
		    snprintf(text, size, "id: %" PRId64 "-%" PRIu64 "\nevent: %s\ndata: %s\n\n",
			     ev->boot, n, name, json);
		ev->ring[ev->n_ring++] = (struct api_event){n, text, (size_t)len};
		ev->bytes += (size_t)len;
		pthread_cond_broadcast(&ev->added);
	}
	pthread_mutex_unlock(&ev->mu);
	free(json);
}

void api_events_stop(struct api_events *ev)
{
	pthread_mutex_lock(&ev->mu);
	ev->stopping = true;
	pthread_cond_broadcast(&ev->added);
	pthread_mutex_unlock(&ev->mu);
}

void api_events_last_id(struct api_events *ev, char *out, size_t size)
{
	pthread_mutex_lock(&ev->mu);
	snprintf(out, size, "%" PRId64 "-%" PRIu64, ev->boot, ev->next_n - 1);
	pthread_mutex_unlock(&ev->mu);
}

struct api_stream *api_stream_new(struct api_events *ev, const char *last_id)
{
	struct api_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ev = ev;
	pthread_mutex_lock(&ev->mu);
	s->next = ev->next_n;
	if (last_id && *last_id) {
		long long boot = 0;
		unsigned long long n = 0;
		char extra;
		if (sscanf(last_id, "%lld-%llu%c", &boot, &n, &extra) == 2 && boot == ev->boot &&
		    n < ev->next_n && n + 1 >= first_n(ev))
			s->next = (uint64_t)n + 1; /* resume: what came after it */
		else
			s->reset = true;
	}
	pthread_mutex_unlock(&ev->mu);
	return s;
}

/* Copies what is pending into buf; returns the bytes copied. */
static size_t drain(struct api_stream *s, char *buf, size_t max)
{
	size_t n = s->pending_len - s->pending_off;

	if (n > max)
		n = max;
	memcpy(buf, s->pending + s->pending_off, n);
	s->pending_off += n;
	if (s->pending_off == s->pending_len) {
		free(s->pending);
		s->pending = NULL;
		s->pending_len = s->pending_off = 0;
	}
	return n;
}

static bool set_pending(struct api_stream *s, const char *text, size_t len)
{
	s->pending = malloc(len);
	if (!s->pending)
		return false;
	memcpy(s->pending, text, len);
	s->pending_len = len;
	s->pending_off = 0;
	return true;
}

ssize_t api_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct api_stream *s = cls;
	struct api_events *ev = s->ev;

	(void)pos;
	if (s->pending)
		return (ssize_t)drain(s, buf, max);
	if (s->reset) {
		s->reset = false;
		if (!set_pending(s, reset_text, sizeof(reset_text) - 1))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		return (ssize_t)drain(s, buf, max);
	}
	pthread_mutex_lock(&ev->mu);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += KEEPALIVE_S;
	while (!ev->stopping && s->next >= ev->next_n) {
		if (pthread_cond_timedwait(&ev->added, &ev->mu, &until) == ETIMEDOUT)
			break;
	}
	if (ev->stopping) {
		pthread_mutex_unlock(&ev->mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (s->next < first_n(ev) && s->next < ev->next_n) {
		/* what it would resume from is gone (a new day): start again */
		s->next = ev->next_n;
		pthread_mutex_unlock(&ev->mu);
		if (!set_pending(s, reset_text, sizeof(reset_text) - 1))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		return (ssize_t)drain(s, buf, max);
	}
	if (s->next >= ev->next_n) {
		pthread_mutex_unlock(&ev->mu);
		if (!set_pending(s, keepalive_text, sizeof(keepalive_text) - 1))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		return (ssize_t)drain(s, buf, max);
	}
	/* every event from s->next that fits, whole events at a time */
	size_t used = 0;
	while (s->next < ev->next_n) {
		const struct api_event *e = &ev->ring[s->next - first_n(ev)];
		if (used + e->len > max) {
			if (used == 0) { /* larger than the buffer: in pieces */
				bool ok = set_pending(s, e->text, e->len);
				s->next++;
				pthread_mutex_unlock(&ev->mu);
				if (!ok)
					return MHD_CONTENT_READER_END_WITH_ERROR;
				return (ssize_t)drain(s, buf, max);
			}
			break;
		}
		memcpy(buf + used, e->text, e->len);
		used += e->len;
		s->next++;
	}
	pthread_mutex_unlock(&ev->mu);
	return (ssize_t)used;
}

void api_stream_free(void *cls)
{
	struct api_stream *s = cls;

	if (s)
		free(s->pending);
	free(s);
}
