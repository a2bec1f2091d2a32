/*
 * voice.c — the announcement text, the queue and the worker that speaks
 * it through espeak-ng. See voice.h for the contract.
 *
 * Room: drivers/voice. espeak-ng, libc, POSIX threads, hostd's log. The
 * mutex of struct voice guards its queue, flags and stats; espeak-ng is
 * called by voice_new() before the worker starts and afterwards by the
 * worker alone, never with the mutex held. The process-wide espeak-ng
 * state is guarded by espeak_mu (see voice.h for why it is never
 * terminated).
 */
#include "voice.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include "log/log.h"
#include "wav.h"

#define VOICE_NAME "cmn-latn-pinyin"

struct job {
	char label[VOICE_LABEL_SIZE]; /* upper case */
	int window;
	bool recall;
	uint32_t seq;
};

/* The audio of one announcement (VOICE_OUT_WAV), grown by the callback. */
struct pcm {
	int16_t *samples;
	size_t n, cap;
	bool failed; /* out of memory: synthesis was stopped */
};

struct voice {
	struct voice_conf conf;
	int sample_rate;

	pthread_mutex_t mu;
	pthread_cond_t wake; /* the worker: a job or stopping */
	pthread_cond_t idle; /* voice_wait_idle(): queue empty and not busy */
	struct job queue[VOICE_QUEUE];
	int head, count;
	bool busy, stopping, started;
	uint32_t next_seq;
	struct voice_stats stats;
	pthread_t thread;

	/* worker only */
	struct pcm pcm;
	bool device_failing; /* the last playback failed: log only the change */
};

/* espeak-ng's process-wide state. */
static pthread_mutex_t espeak_mu = PTHREAD_MUTEX_INITIALIZER;
static bool espeak_ready; /* initialised, never terminated */
static bool espeak_taken; /* an enabled voice exists */

static const char *const digit_zh[10] = {"零", "一", "二", "三", "四",
					 "五", "六", "七", "八", "九"};

static void set_err(char *err, int err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, int err_size, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_size <= 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, (size_t)err_size, fmt, ap);
	va_end(ap);
}

static void status_text(espeak_ng_STATUS status, char *buf, size_t size)
{
	espeak_ng_GetStatusCodeMessage(status, buf, size);
}

/* Appends s to out[*len] if it fits with a NUL; returns -1 otherwise. */
static int append(char *out, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > size)
		return -1;
	memcpy(out + *len, s, n + 1);
	*len += n;
	return 0;
}

static int number_into(int n, char *out, size_t size, size_t *len)
{
	int hundreds = n / 100, tens = n / 10 % 10, ones = n % 10;
	int rc = 0;

	if (hundreds) {
		rc |= append(out, size, len, digit_zh[hundreds]);
		rc |= append(out, size, len, "百");
		if (tens == 0 && ones != 0) /* 105: 一百零五 */
			rc |= append(out, size, len, "零");
	}
	if (tens) {
		if (tens > 1 || hundreds) /* 12: 十二, but 112: 一百一十二 */
			rc |= append(out, size, len, digit_zh[tens]);
		rc |= append(out, size, len, "十");
	}
	if (ones)
		rc |= append(out, size, len, digit_zh[ones]);
	return rc ? -1 : 0;
}

int voice_number_text(int n, char *out, size_t size)
{
	char buf[VOICE_TEXT_SIZE];
	size_t len = 0;

	buf[0] = '\0';
	if (n < 1 || n > VOICE_WINDOW_MAX || number_into(n, buf, sizeof(buf), &len) != 0)
		return -1;
	if (!out || len + 1 > size)
		return -1;
	memcpy(out, buf, len + 1);
	return (int)len;
}

static bool is_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The label spoken character by character; -1 if it is not a label. */
static int label_into(const char *label, char *out, size_t size, size_t *len)
{
	size_t n = label ? strlen(label) : 0;
	int rc = 0;

	if (n == 0 || n >= VOICE_LABEL_SIZE)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = label[i];

		if (is_digit(c)) {
			rc |= append(out, size, len, digit_zh[c - '0']);
		} else if (is_letter(c)) {
			char letter[2] = {upper(c), '\0'};

			rc |= append(out, size, len, letter);
			/* "AB" would be read as an English word */
			if (is_letter(label[i + 1]))
				rc |= append(out, size, len, " ");
		} else {
			return -1;
		}
	}
	return rc ? -1 : 0;
}

int voice_text(const char *label, int window_number, char *out, size_t size)
{
	char buf[VOICE_TEXT_SIZE];
	size_t len = 0;
	int rc = 0;

	buf[0] = '\0';
	if (window_number < 1 || window_number > VOICE_WINDOW_MAX)
		return -1;
	rc |= append(buf, sizeof(buf), &len, "请");
	rc |= label_into(label, buf, sizeof(buf), &len);
	rc |= append(buf, sizeof(buf), &len, "号到");
	rc |= number_into(window_number, buf, sizeof(buf), &len);
	rc |= append(buf, sizeof(buf), &len, "号窗口办理");
	if (rc || !out || len + 1 > size)
		return -1;
	memcpy(out, buf, len + 1);
	return (int)len;
}

/* Makes room for more samples; false (and failed set) when out of memory. */
static bool pcm_reserve(struct pcm *pcm, size_t more)
{
	size_t cap = pcm->cap ? pcm->cap : 22050 * 4;
	int16_t *grown;

	if (pcm->n + more <= pcm->cap)
		return true;
	while (cap < pcm->n + more)
		cap *= 2;
	grown = realloc(pcm->samples, cap * sizeof(*grown));
	if (!grown) {
		pcm->failed = true;
		return false;
	}
	pcm->samples = grown;
	pcm->cap = cap;
	return true;
}

/* espeak-ng's callback: the samples of one chunk of the announcement whose
 * struct pcm is the user_data of the synthesis. Returns 1 to stop. */
static int synth_callback(short *wav, int n, espeak_EVENT *events)
{
	struct pcm *pcm = events ? events->user_data : NULL;

	if (!pcm || !wav || n <= 0)
		return 0;
	if (!pcm_reserve(pcm, (size_t)n))
		return 1;
	memcpy(pcm->samples + pcm->n, wav, (size_t)n * sizeof(*wav));
	pcm->n += (size_t)n;
	return 0;
}

static espeak_ng_STATUS synthesize(const char *text, void *user_data)
{
	/* Synchronous output: returns when the text is played or delivered
	 * to synth_callback(). */
	return espeak_ng_Synthesize(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
				    NULL, user_data);
}

static int pcm_add_silence(struct pcm *pcm, int ms, int sample_rate)
{
	size_t n = (size_t)sample_rate * (size_t)ms / 1000;

	if (!pcm_reserve(pcm, n))
		return -1;
	memset(pcm->samples + pcm->n, 0, n * sizeof(*pcm->samples));
	pcm->n += n;
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Plays text repeat times on the sound device. */
static int speak_device(struct voice *v, const char *text)
{
	char msg[160];

	for (int i = 0; i < v->conf.repeat; i++) {
		espeak_ng_STATUS status;

		if (i > 0)
			sleep_ms(VOICE_GAP_MS);
		status = synthesize(text, NULL);
		if (status != ENS_OK) {
			status_text(status, msg, sizeof(msg));
			if (!v->device_failing)
				log_error("voice: cannot play on the sound device: %s", msg);
			v->device_failing = true;
			return -1;
		}
	}
	if (v->device_failing)
		log_info("voice: the sound device plays again");
	v->device_failing = false;
	return 0;
}

/* Writes text, repeat times, to the WAV file of job. */
static int speak_wav(struct voice *v, const struct job *job, const char *text)
{
	char path[VOICE_PATH_SIZE + 64], msg[160];
	int rc;

	v->pcm.n = 0;
	v->pcm.failed = false;
	for (int i = 0; i < v->conf.repeat; i++) {
		espeak_ng_STATUS status;

		if (i > 0 && pcm_add_silence(&v->pcm, VOICE_GAP_MS, v->sample_rate) != 0)
			break;
		status = synthesize(text, &v->pcm);
		if (status != ENS_OK) {
			status_text(status, msg, sizeof(msg));
			log_error("voice: synthesis of %s failed: %s", job->label, msg);
			return -1;
		}
	}
	if (v->pcm.failed) {
		log_error("voice: out of memory for the audio of %s", job->label);
		return -1;
	}
	rc = snprintf(path, sizeof(path), "%s/%06" PRIu32 "-%s-%d.wav", v->conf.wav_dir, job->seq,
		      job->label, job->window);
	if (rc < 0 || rc >= (int)sizeof(path))
		return -1;
	rc = voice_wav_write(path, v->pcm.samples, v->pcm.n, v->sample_rate);
	if (rc != 0) {
		log_error("voice: cannot write %s: %s", path, strerror(-rc));
		return -1;
	}
	return 0;
}

static void speak(struct voice *v, const struct job *job)
{
	char text[VOICE_TEXT_SIZE];
	int rc = -1;

	if (voice_text(job->label, job->window, text, sizeof(text)) >= 0) {
		log_debug("voice: %s%s to window %d", job->recall ? "recall " : "", job->label,
			  job->window);
		if (v->conf.output == VOICE_OUT_WAV)
			rc = speak_wav(v, job, text);
		else
			rc = speak_device(v, text);
	}
	pthread_mutex_lock(&v->mu);
	if (rc == 0)
		v->stats.spoken++;
	else
		v->stats.failed++;
	pthread_mutex_unlock(&v->mu);
}

static void *worker(void *arg)
{
	struct voice *v = arg;

	pthread_mutex_lock(&v->mu);
	for (;;) {
		struct job job;

		while (v->count == 0 && !v->stopping)
			pthread_cond_wait(&v->wake, &v->mu);
		if (v->stopping)
			break;
		job = v->queue[v->head];
		v->head = (v->head + 1) % VOICE_QUEUE;
		v->count--;
		v->busy = true;
		pthread_mutex_unlock(&v->mu);
		speak(v, &job);
		pthread_mutex_lock(&v->mu);
		v->busy = false;
		if (v->count == 0)
			pthread_cond_broadcast(&v->idle);
	}
	pthread_mutex_unlock(&v->mu);
	return NULL;
}

static int check_conf(const struct voice_conf *conf, char *err, int err_size)
{
	struct stat st;

	if (conf->repeat < 1 || conf->repeat > VOICE_REPEAT_MAX) {
		set_err(err, err_size, "voice: repeat is %d, expected 1..%d", conf->repeat,
			VOICE_REPEAT_MAX);
		return -1;
	}
	if (conf->rate != 0 && (conf->rate < VOICE_RATE_MIN || conf->rate > VOICE_RATE_MAX)) {
		set_err(err, err_size, "voice: rate is %d, expected 0 or %d..%d words a minute",
			conf->rate, VOICE_RATE_MIN, VOICE_RATE_MAX);
		return -1;
	}
	if (conf->output != VOICE_OUT_DEVICE && conf->output != VOICE_OUT_WAV) {
		set_err(err, err_size, "voice: output is %d, expected device or wav",
			(int)conf->output);
		return -1;
	}
	if (conf->output == VOICE_OUT_WAV &&
	    (memchr(conf->wav_dir, '\0', sizeof(conf->wav_dir)) == NULL ||
	     stat(conf->wav_dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	     access(conf->wav_dir, W_OK | X_OK) != 0)) {
		set_err(err, err_size, "voice: wav_dir \"%.*s\" is not a writable directory",
			(int)strnlen(conf->wav_dir, sizeof(conf->wav_dir)), conf->wav_dir);
		return -1;
	}
	return 0;
}

/* Under espeak_mu: initialises the library once and sets it up for conf. */
static int setup_espeak(const struct voice_conf *conf, int *sample_rate, char *err, int err_size)
{
	espeak_ng_OUTPUT_MODE mode = ENOUTPUT_MODE_SYNCHRONOUS;
	espeak_ng_STATUS status;
	char msg[160];

	if (!espeak_ready) {
		espeak_ng_ERROR_CONTEXT context = NULL;

		espeak_ng_InitializePath(NULL);
		status = espeak_ng_Initialize(&context);
		espeak_ng_ClearErrorContext(&context);
		if (status != ENS_OK) {
			status_text(status, msg, sizeof(msg));
			set_err(err, err_size,
				"voice: espeak-ng: %s (is espeak-ng-data installed?)", msg);
			return -1;
		}
		espeak_ready = true;
	}
	/* Synchronous in both cases: the worker is the asynchronous layer,
	 * and synchronous playback reports a missing sound device where
	 * espeak-ng's own playback thread only prints it on stderr. */
	if (conf->output == VOICE_OUT_DEVICE)
		mode |= ENOUTPUT_MODE_SPEAK_AUDIO;
	status = espeak_ng_InitializeOutput(mode, 0, NULL);
	if (status == ENS_OK)
		status = espeak_ng_SetVoiceByName(VOICE_NAME);
	if (status == ENS_OK)
		status = espeak_ng_SetParameter(espeakRATE,
						conf->rate ? conf->rate : espeakRATE_NORMAL, 0);
	if (status != ENS_OK) {
		status_text(status, msg, sizeof(msg));
		set_err(err, err_size, "voice: espeak-ng voice %s: %s", VOICE_NAME, msg);
		return -1;
	}
	espeak_SetSynthCallback(synth_callback);
	*sample_rate = espeak_ng_GetSampleRate();
	if (conf->output == VOICE_OUT_DEVICE) {
		status = synthesize("", NULL); /* opens the device, plays nothing */
		if (status != ENS_OK) {
			status_text(status, msg, sizeof(msg));
			set_err(
			    err, err_size,
			    "voice: no sound device to play on (espeak-ng: %s); set voice.output "
			    "to \"wav\" or voice.enabled to false",
			    msg);
			return -1;
		}
	}
	return 0;
}

/* The number after the highest NNNNNN-*.wav in dir, so that a new voice
 * (hostd restarted) does not overwrite the files of an earlier one. */
static uint32_t next_wav_seq(const char *dir_path)
{
	DIR *dir = opendir(dir_path);
	struct dirent *e;
	uint32_t max = 0;

	if (!dir)
		return 1;
	while ((e = readdir(dir)) != NULL) {
		const char *name = e->d_name;
		size_t len = strlen(name);
		uint32_t seq = 0;
		int i;

		for (i = 0; i < 6 && isdigit((unsigned char)name[i]); i++)
			seq = seq * 10 + (uint32_t)(name[i] - '0');
		if (i == 6 && name[6] == '-' && len > 11 && strcmp(name + len - 4, ".wav") == 0 &&
		    seq > max)
			max = seq;
	}
	closedir(dir);
	return max + 1;
}

static struct voice *voice_alloc(const struct voice_conf *conf)
{
	struct voice *v = calloc(1, sizeof(*v));
	pthread_condattr_t attr;

	if (!v)
		return NULL;
	v->conf = *conf;
	v->next_seq = 1;
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->wake, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&v->idle, &attr);
	pthread_condattr_destroy(&attr);
	return v;
}

struct voice *voice_new(const struct voice_conf *conf, char *err, int err_size)
{
	struct voice *v = NULL;
	bool taken = false;
	int rc;

	if (!conf) {
		set_err(err, err_size, "voice: no configuration");
		return NULL;
	}
	if (conf->enabled && check_conf(conf, err, err_size) != 0)
		return NULL;
	v = voice_alloc(conf);
	if (!v) {
		set_err(err, err_size, "voice: out of memory");
		return NULL;
	}
	if (!conf->enabled)
		return v;

	pthread_mutex_lock(&espeak_mu);
	if (espeak_taken) {
		set_err(err, err_size, "voice: another enabled voice exists in this process");
		pthread_mutex_unlock(&espeak_mu);
		goto fail;
	}
	rc = setup_espeak(conf, &v->sample_rate, err, err_size);
	if (rc == 0)
		espeak_taken = taken = true;
	pthread_mutex_unlock(&espeak_mu);
	if (rc != 0)
		goto fail;

	if (conf->output == VOICE_OUT_WAV)
		v->next_seq = next_wav_seq(conf->wav_dir);
	rc = pthread_create(&v->thread, NULL, worker, v);
	if (rc != 0) {
		set_err(err, err_size, "voice: cannot start the worker: %s", strerror(rc));
		goto fail;
	}
	v->started = true;
	log_info("voice: %s, voice %s, %d Hz, rate %d, repeat %d",
		 conf->output == VOICE_OUT_WAV ? conf->wav_dir : "sound device", VOICE_NAME,
		 v->sample_rate, conf->rate ? conf->rate : espeakRATE_NORMAL, conf->repeat);
	return v;
fail:
	if (taken) {
		pthread_mutex_lock(&espeak_mu);
		espeak_taken = false;
		pthread_mutex_unlock(&espeak_mu);
	}
	voice_free(v);
	return NULL;
}

void voice_free(struct voice *v)
{
	int dropped;

	if (!v)
		return;
	pthread_mutex_lock(&v->mu);
	v->stopping = true;
	dropped = v->count;
	v->stats.dropped += (uint64_t)dropped;
	v->count = 0;
	pthread_cond_broadcast(&v->wake);
	pthread_cond_broadcast(&v->idle);
	pthread_mutex_unlock(&v->mu);
	if (v->started) {
		pthread_join(v->thread, NULL);
		if (dropped)
			log_warn("voice: stopped with %d announcements not spoken", dropped);
		pthread_mutex_lock(&espeak_mu);
		espeak_taken = false;
		pthread_mutex_unlock(&espeak_mu);
	}
	free(v->pcm.samples);
	pthread_cond_destroy(&v->idle);
	pthread_cond_destroy(&v->wake);
	pthread_mutex_destroy(&v->mu);
	free(v);
}

int voice_announce(struct voice *v, const char *ticket_label, int window_number, bool recall)
{
	char text[VOICE_TEXT_SIZE];
	struct job *job;

	if (!v || voice_text(ticket_label, window_number, text, sizeof(text)) < 0) {
		log_warn("voice: not an announcement: ticket \"%.*s\", window %d", VOICE_LABEL_SIZE,
			 ticket_label ? ticket_label : "(none)", window_number);
		return -1;
	}
	if (!v->conf.enabled)
		return 0;
	pthread_mutex_lock(&v->mu);
	if (v->count == VOICE_QUEUE || v->stopping) {
		v->stats.refused++;
		pthread_mutex_unlock(&v->mu);
		log_warn("voice: queue full, %s to window %d not announced", ticket_label,
			 window_number);
		return -1;
	}
	job = &v->queue[(v->head + v->count) % VOICE_QUEUE];
	for (size_t i = 0; i < sizeof(job->label); i++) {
		job->label[i] = upper(ticket_label[i]);
		if (ticket_label[i] == '\0')
			break;
	}
	job->window = window_number;
	job->recall = recall;
	job->seq = v->next_seq++;
	v->count++;
	v->stats.queued++;
	pthread_cond_signal(&v->wake);
	pthread_mutex_unlock(&v->mu);
	return 0;
}

int voice_wait_idle(struct voice *v, int timeout_ms)
{
	struct timespec deadline;
	bool idle;

	if (!v)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&v->mu);
	for (;;) {
		idle = v->count == 0 && !v->busy;
		if (idle || pthread_cond_timedwait(&v->idle, &v->mu, &deadline) == ETIMEDOUT)
			break;
	}
	idle = v->count == 0 && !v->busy;
	pthread_mutex_unlock(&v->mu);
	return idle ? 0 : -1;
}

struct voice_stats voice_stats(struct voice *v)
{
	struct voice_stats st = {0};

	if (!v)
		return st;
	pthread_mutex_lock(&v->mu);
	st = v->stats;
	pthread_mutex_unlock(&v->mu);
	return st;
}

int voice_sample_rate(const struct voice *v)
{
	return v ? v->sample_rate : 0;
}
