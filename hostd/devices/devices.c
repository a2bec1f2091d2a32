/*
 * devices.c — device events to core requests, core results to device
 * commands. See devices.h.
 *
 * Room: hostd/devices. Includes the core, the config, the store's types
 * (for the rows the core records), drivers/modbus and the wire contract;
 * never libmodbus or SQLite. Runs on the bus threads: each event is one
 * core_call(), and the reply decides what the device is told.
 *
 * Text for displays is made here in UTF-8 and converted to GB18030 with
 * iconv, the encoding LED controllers take (docs/protocol.md).
 */
#include "devices/devices.h"

#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "mbus.h"

enum {
	RECENT_CALLS = PROTO_DISPLAY_LINES,
	MESSAGE_MS = 3000, /* a refusal shown on a terminal's second line */
	MAX_OWED = 128,    /* prints owed per kiosk; a press past that is refused */
};

/* A terminal's second line when the database refused its key. */
static const char STORE_FAILED_TEXT[] = "系统故障 请稍候";

/* A print owed to a kiosk whose outcome is not recorded yet. */
struct owed {
	uint16_t seq, boot;
	uint32_t ticket;
	bool restored; /* from the store: it may have been written before a restart */
	bool queued;   /* handed to the bus (else waiting for room in its queue) */
	int32_t day;   /* the business day of its ticket */
	struct mbus_command cmd;
};

struct dev {
	const struct config_device *conf;
	int index; /* in config devices[] */
	struct mbus *bus;
	int bus_dev; /* index on its bus */
	/* under devices.mu */
	bool synced; /* sent_* is what the device was last sent */
	uint16_t sent_mask;
	char sent_text[PROTO_DISPLAY_LINES][PROTO_TEXT_LINE_MAX + 1]; /* UTF-8 */
	char message[64];
	int64_t message_until_ms;
	struct owed owed[MAX_OWED];
	int n_owed;
	/* Presses of boot refused_boot up to seq refused_seq met the store
	 * failing (or waited behind one that did): each is recorded as taken
	 * once the store works again, and never carried out. */
	bool refusing;
	uint16_t refused_boot, refused_seq;
};

struct bus_ctx {
	struct devices *all;
	int bus;     /* config bus index */
	int *dev_of; /* bus device index -> config device index */
};

struct call {
	char label[8];
	int window_number;
};

struct devices {
	const struct config *cfg;
	struct core *core;
	struct dev *dev; /* one per config device */
	struct mbus *buses[CONFIG_MAX_BUSES];
	struct bus_ctx ctx[CONFIG_MAX_BUSES];
	int n_buses;
	pthread_mutex_t mu;
	struct call recent[RECENT_CALLS]; /* newest first, of recent_day */
	int n_recent;
	int32_t recent_day;
	uint64_t recent_version;
	void (*listener)(void *arg, int i);
	void *listener_arg;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- text ---- */

/* UTF-8 to GB18030, at most max bytes, cut only between characters. */
static size_t to_gb18030(const char *utf8, uint8_t *out, size_t max)
{
	char buf[4 * PROTO_TEXT_LINE_MAX + 8];
	iconv_t cd = iconv_open("GB18030", "UTF-8");

	if (cd == (iconv_t)-1)
		return 0;
	char *in = (char *)utf8, *o = buf;
	size_t in_left = strlen(utf8), out_left = sizeof(buf);
	iconv(cd, &in, &in_left, &o, &out_left); /* stops at a bad byte: keeps what came before */
	iconv_close(cd);
	size_t n = sizeof(buf) - out_left, used = 0;
	const uint8_t *g = (const uint8_t *)buf;
	while (used < n) {
		size_t len = 1;
		if (g[used] >= 0x81 && g[used] <= 0xfe && used + 1 < n)
			len = g[used + 1] >= 0x30 && g[used + 1] <= 0x39 ? 4 : 2;
		if (used + len > max || used + len > n)
			break;
		used += len;
	}
	memcpy(out, buf, used);
	return used;
}

static size_t pack_text(uint16_t *args, const char *utf8, size_t max, uint16_t *len_out)
{
	uint8_t bytes[PROTO_TEXT_LINE_MAX];
	size_t n = to_gb18030(utf8, bytes, max < sizeof(bytes) ? max : sizeof(bytes));

	*len_out = (uint16_t)n;
	return proto_pack(args, bytes, n);
}

/* A SHOW_TEXT command for lines first..first+count-1 (count 1 or 2);
 * false when the device's queue is full. */
static bool show_text(struct dev *d, int first, int count, char lines[][PROTO_TEXT_LINE_MAX + 1])
{
	struct mbus_command cmd = {.code = PROTO_CMD_SHOW_TEXT, .replace = true};
	uint8_t bytes[2][PROTO_TEXT_LINE_MAX];
	size_t len[2] = {0, 0};

	for (int k = 0; k < count; k++)
		len[k] = to_gb18030(lines[first + k], bytes[k], PROTO_TEXT_LINE_MAX);
	/* both lines' bytes one after the other, packed from the start */
	uint8_t all[2 * PROTO_TEXT_LINE_MAX];
	memcpy(all, bytes[0], len[0]);
	if (count == 2)
		memcpy(all + len[0], bytes[1], len[1]);
	cmd.args[PROTO_TEXT_FIRST] = (uint16_t)first;
	cmd.args[PROTO_TEXT_COUNT] = (uint16_t)count;
	cmd.args[PROTO_TEXT_LEN] = (uint16_t)len[0];
	cmd.args[PROTO_TEXT_LEN + 1] = (uint16_t)(count == 2 ? len[1] : 0);
	size_t regs = proto_pack(&cmd.args[PROTO_TEXT_BYTES], all, len[0] + len[1]);
	cmd.nargs = (uint16_t)(PROTO_TEXT_BYTES + regs);
	if (mbus_send(d->bus, d->bus_dev, &cmd) != 0) {
		log_warn("device %s: command queue full; text not sent", d->conf->id);
		return false;
	}
	return true;
}

/* ---- what each device should show ---- */

static void window_lines(const struct devices *all, const struct dev *d, const struct core_view *v,
			 int64_t now, char lines[][PROTO_TEXT_LINE_MAX + 1])
{
	const struct config *cfg = all->cfg;
	int w = d->conf->window;
	const struct core_window_view *wv = &v->windows[w];
	int number = cfg->hall.windows[w].number;
	const size_t n = PROTO_TEXT_LINE_MAX + 1;

	switch (wv->state) {
	case ENGINE_WINDOW_LOGGED_OUT:
		snprintf(lines[0], n, "%d号窗口 暂停服务", number);
		snprintf(lines[1], n, "请登录");
		break;
	case ENGINE_WINDOW_PAUSED:
		snprintf(lines[0], n, "%d号窗口 暂停服务", number);
		snprintf(lines[1], n, "%.64s",
			 wv->pause_reason >= 0 && wv->pause_reason < cfg->hall.queue.n_pause_reasons
			     ? cfg->hall.queue.pause_reasons[(int)wv->pause_reason]
			     : "");
		break;
	case ENGINE_WINDOW_CALLED:
		snprintf(lines[0], n, "请%s号到%d号窗口", wv->label, number);
		snprintf(lines[1], n, "已呼叫 等候%d人", wv->waiting);
		break;
	case ENGINE_WINDOW_SERVING:
		snprintf(lines[0], n, "%s 办理中", wv->label);
		if (wv->n_held)
			snprintf(lines[1], n, "等候%d人 挂起%d", wv->waiting, wv->n_held);
		else
			snprintf(lines[1], n, "等候%d人", wv->waiting);
		break;
	default:
		snprintf(lines[0], n, "%d号窗口 欢迎您", number);
		if (wv->n_held)
			snprintf(lines[1], n, "等候%d人 挂起%d", wv->waiting, wv->n_held);
		else
			snprintf(lines[1], n, "等候%d人", wv->waiting);
		break;
	}
	if (d->message[0] && now < d->message_until_ms)
		snprintf(lines[1], n, "%s", d->message);
}

static void display_lines(const struct devices *all, char lines[][PROTO_TEXT_LINE_MAX + 1])
{
	const size_t n = PROTO_TEXT_LINE_MAX + 1;

	for (int k = 0; k < PROTO_DISPLAY_LINES; k++)
		lines[k][0] = 0;
	if (all->n_recent == 0)
		snprintf(lines[0], n, "%.64s", all->cfg->hall.name);
	for (int k = 0; k < all->n_recent; k++)
		snprintf(lines[k], n, "请%s号到%d号窗口", all->recent[k].label,
			 all->recent[k].window_number);
}

static uint16_t kiosk_mask(const struct dev *d, const struct core_view *v)
{
	uint16_t mask = 0;

	if (v->store_failing)
		return 0; /* a ticket now could not be recorded */
	for (int b = 0; b < d->conf->n_services; b++)
		if (v->services[d->conf->services[b]].issue_err == ENGINE_OK)
			mask |= (uint16_t)(1u << b);
	return mask;
}

/* Sends d what differs from what it was last sent (all of it if !synced).
 * Called with all->mu held. */
static void sync_device(struct devices *all, struct dev *d, const struct core_view *v)
{
	char lines[PROTO_DISPLAY_LINES][PROTO_TEXT_LINE_MAX + 1];
	int64_t now = mono_ms();

	switch (d->conf->type) {
	case CONFIG_DEVICE_KIOSK: {
		uint16_t mask = kiosk_mask(d, v);
		if (d->synced && mask == d->sent_mask)
			return;
		struct mbus_command cmd = {
		    .code = PROTO_CMD_SET_SERVICES, .nargs = 1, .replace = true};
		cmd.args[0] = mask;
		if (mbus_send(d->bus, d->bus_dev, &cmd) == 0) {
			d->sent_mask = mask;
			d->synced = true;
		}
		return;
	}
	case CONFIG_DEVICE_WINDOW_TERMINAL:
		window_lines(all, d, v, now, lines);
		if (d->synced && strcmp(lines[0], d->sent_text[0]) == 0 &&
		    strcmp(lines[1], d->sent_text[1]) == 0)
			return;
		if (show_text(d, 0, 2, lines)) {
			memcpy(d->sent_text, lines, sizeof(lines[0]) * 2);
			d->synced = true;
		}
		return;
	case CONFIG_DEVICE_HALL_DISPLAY:
		display_lines(all, lines);
		bool sent_all = true;
		for (int first = 0; first < PROTO_DISPLAY_LINES; first += 2) {
			if (d->synced && strcmp(lines[first], d->sent_text[first]) == 0 &&
			    strcmp(lines[first + 1], d->sent_text[first + 1]) == 0)
				continue;
			if (show_text(d, first, 2, lines))
				memcpy(d->sent_text[first], lines[first], sizeof(lines[0]) * 2);
			else
				sent_all = false;
		}
		/* a pair not sent is tried again next cycle: all of them if the
		 * device was never synced */
		if (sent_all)
			d->synced = true;
		return;
	}
}

static void sync_one(struct devices *all, struct dev *d)
{
	struct core_view *v = malloc(sizeof(*v));

	if (!v)
		return;
	core_view(all->core, v);
	pthread_mutex_lock(&all->mu);
	sync_device(all, d, v);
	pthread_mutex_unlock(&all->mu);
	free(v);
}

/* ---- prints ---- */

/* A core reply that asks for the request again later. */
static bool retry_later(int err)
{
	return err == CORE_ERR_STORE || err == CORE_ERR_STOPPED || err == CORE_ERR_NOMEM;
}

static int button_of(const struct config_device *k, int service)
{
	for (int b = 0; b < k->n_services; b++)
		if (k->services[b] == service)
			return b;
	return 0;
}

/*
 * Hands the prints owed to d that wait for room to the bus, oldest first,
 * until its queue is full: prints go out in button order, which the kiosk
 * counts on (a print no newer than the last one it took is STALE).
 */
static void push_owed(struct devices *all, struct dev *d)
{
	pthread_mutex_lock(&all->mu);
	for (int k = 0; k < d->n_owed; k++) {
		struct owed *o = &d->owed[k];
		if (o->queued)
			continue;
		if (mbus_send(d->bus, d->bus_dev, &o->cmd) != 0)
			break; /* the next cycle tries again */
		o->queued = true;
	}
	pthread_mutex_unlock(&all->mu);
}

/* True when kiosk d can be owed one more print. */
static bool owed_room(struct devices *all, struct dev *d)
{
	pthread_mutex_lock(&all->mu);
	bool room = d->n_owed < MAX_OWED;
	pthread_mutex_unlock(&all->mu);
	return room;
}

/* Owes kiosk d (boot) the print of ticket t under seq, and sends it when
 * the bus has room. */
static void send_print(struct devices *all, struct dev *d, uint16_t seq, uint16_t boot,
		       const struct engine_ticket *t, const struct store_print *p, bool restored)
{
	const struct engine_service *svc = &all->cfg->hall.services[t->issued_service];
	struct mbus_command cmd = {.code = PROTO_CMD_PRINT, .seq = seq, .boot = boot};
	uint16_t *a = cmd.args;
	uint8_t label[PROTO_LABEL_SIZE] = {0};
	struct tm tm;
	time_t issued = (time_t)t->issued_s;

	memcpy(label, p->ticket, strnlen(p->ticket, PROTO_LABEL_SIZE));
	proto_pack(&a[PROTO_PRINT_LABEL], label, PROTO_LABEL_SIZE);
	a[PROTO_PRINT_BUTTON] = (uint16_t)button_of(d->conf, t->issued_service);
	a[PROTO_PRINT_CLASS] = t->cls;
	a[PROTO_PRINT_AHEAD] = (uint16_t)p->people_ahead;
	a[PROTO_PRINT_WAIT_MIN] = (uint16_t)p->wait_min;
	a[PROTO_PRINT_DATE_HI] = (uint16_t)((uint32_t)p->day >> 16);
	a[PROTO_PRINT_DATE_LO] = (uint16_t)((uint32_t)p->day & 0xffff);
	localtime_r(&issued, &tm);
	a[PROTO_PRINT_MINUTE] = (uint16_t)(tm.tm_hour * 60 + tm.tm_min);
	a[PROTO_PRINT_TICKET] = (uint16_t)t->id;
	/* the ticket's status token, for the QR code (docs/api.md) */
	char token[CORE_TOKEN_SIZE];
	core_ticket_token(all->core, p->day, t->id, token);
	proto_pack(&a[PROTO_PRINT_TOKEN], (const uint8_t *)token, PROTO_TOKEN_SIZE);
	size_t regs =
	    pack_text(&a[PROTO_PRINT_NAME], svc->name, PROTO_NAME_MAX, &a[PROTO_PRINT_NAME_LEN]);
	cmd.nargs = (uint16_t)(PROTO_PRINT_NAME + regs);
	pthread_mutex_lock(&all->mu);
	if (d->n_owed < MAX_OWED) {
		/* In button order, counted round the wrap of the seqs (the store
		 * gives them sorted as plain numbers). */
		int at = d->n_owed;
		while (at > 0 && d->owed[at - 1].boot == boot &&
		       !proto_seq_covered(d->owed[at - 1].seq & ~PROTO_SEQ_PRINT,
					  seq & ~PROTO_SEQ_PRINT))
			at--;
		memmove(d->owed + at + 1, d->owed + at,
			sizeof(d->owed[0]) * (size_t)(d->n_owed - at));
		d->owed[at] = (struct owed){seq, boot, t->id, restored, false, p->day, cmd};
		d->n_owed++;
	} else { /* only from the store, since presses stop at MAX_OWED */
		log_error("kiosk %s: more than %d prints owed; ticket %s not printed", d->conf->id,
			  MAX_OWED, p->ticket);
	}
	pthread_mutex_unlock(&all->mu);
	if (!restored)
		push_owed(all, d); /* restored ones go once all are in order */
}

/* The print owed with this seq, copied to *out; false if none. */
static bool find_owed(struct devices *all, struct dev *d, uint16_t seq, struct owed *out)
{
	bool found = false;

	pthread_mutex_lock(&all->mu);
	for (int k = 0; k < d->n_owed && !found; k++)
		if (d->owed[k].seq == seq) {
			*out = d->owed[k];
			found = true;
		}
	pthread_mutex_unlock(&all->mu);
	return found;
}

/* The outcome of print seq is recorded: forget it here and on the bus. */
static void forget_owed(struct devices *all, struct dev *d, uint16_t seq)
{
	pthread_mutex_lock(&all->mu);
	for (int k = 0; k < d->n_owed; k++)
		if (d->owed[k].seq == seq) {
			memmove(d->owed + k, d->owed + k + 1,
				sizeof(d->owed[0]) * (size_t)(d->n_owed - k - 1));
			d->n_owed--;
			break;
		}
	pthread_mutex_unlock(&all->mu);
	mbus_release(d->bus, d->bus_dev, seq);
}

/* A new business day: the store forgot the prints owed on earlier days
 * (their tickets are gone), and so does the bus. */
static void forget_old_days(struct devices *all, struct dev *d, int32_t today)
{
	for (;;) {
		uint16_t seq = 0;
		pthread_mutex_lock(&all->mu);
		for (int k = 0; k < d->n_owed && !seq; k++)
			if (d->owed[k].day < today)
				seq = d->owed[k].seq;
		pthread_mutex_unlock(&all->mu);
		if (!seq)
			return;
		log_info("kiosk %s: print %04x of an earlier day dropped", d->conf->id, seq);
		forget_owed(all, d, seq);
	}
}

/*
 * Records that print seq of kiosk d ended without a PRINTED or PRINT_FAILED
 * event (refused, or lost with a reboot); when cancel, its ticket, which
 * nobody holds, is cancelled so that it is never called. Returns 0 when
 * recorded.
 */
static int end_print(struct devices *all, struct dev *d, uint16_t seq, bool cancel)
{
	struct owed o = {.ticket = ENGINE_NO_TICKET};
	struct core_request req;

	find_owed(all, d, seq, &o);
	memset(&req, 0, sizeof(req));
	req.cmd.op = CORE_OP_NONE;
	req.cmd.ticket = ENGINE_NO_TICKET;
	if (cancel && o.ticket != ENGINE_NO_TICKET) {
		req.cmd.op = ENGINE_OP_CANCEL;
		req.cmd.ticket = o.ticket;
	}
	snprintf(req.source, sizeof(req.source), "%s", d->conf->id);
	snprintf(req.device.row.id, sizeof(req.device.row.id), "%s", d->conf->id);
	req.device.print_done = seq;
	if (core_call(all->core, &req) != CORE_OK || retry_later(req.err)) {
		log_error("kiosk %s: could not record the end of print %04x: %s", d->conf->id, seq,
			  core_strerror(req.err));
		return -1;
	}
	if (req.cmd.op == ENGINE_OP_CANCEL && req.err == ENGINE_OK) {
		char label[8];
		log_warn("kiosk %s: ticket %s was not printed; cancelled", d->conf->id,
			 engine_ticket_label(&req.ticket, label));
	}
	forget_owed(all, d, seq);
	return 0;
}

/* ---- events ---- */

/*
 * True when press ev met the database failing, or waited behind one that
 * did: a citizen who got no ticket then must not get one printed when the
 * disk has room again, nor a window be called long after its key.
 */
static bool press_refused(struct devices *all, struct dev *d, uint16_t boot,
			  const struct proto_event_entry *ev)
{
	pthread_mutex_lock(&all->mu);
	bool refused =
	    d->refusing && d->refused_boot == boot && proto_seq_covered(ev->seq, d->refused_seq);
	pthread_mutex_unlock(&all->mu);
	return refused;
}

/* The store refused press ev: it and every event then waiting behind it
 * in the device's FIFO are refused. */
static void refuse_presses(struct devices *all, struct dev *d, uint16_t boot,
			   const struct proto_event_entry *ev, int store_err)
{
	struct mbus_status st = mbus_status(d->bus, d->bus_dev);
	uint16_t last = ev->seq;

	if (st.boot == boot && st.ev_last && proto_seq_covered(ev->seq, st.ev_last))
		last = st.ev_last;
	pthread_mutex_lock(&all->mu);
	bool known =
	    d->refusing && d->refused_boot == boot && proto_seq_covered(last, d->refused_seq);
	if (!known) {
		d->refusing = true;
		d->refused_boot = boot;
		d->refused_seq = last;
	}
	pthread_mutex_unlock(&all->mu);
	if (!known)
		log_warn("%s %s: the database failed (%s): events %u to %u are refused, not "
			 "carried out later",
			 d->conf->type == CONFIG_DEVICE_KIOSK ? "kiosk" : "terminal", d->conf->id,
			 store_strerror(store_err), ev->seq, last);
}

/* The press ev is recorded: past the last refused one, refusing ends. */
static void press_recorded(struct devices *all, struct dev *d, const struct proto_event_entry *ev)
{
	pthread_mutex_lock(&all->mu);
	if (d->refusing && ev->seq == d->refused_seq)
		d->refusing = false;
	pthread_mutex_unlock(&all->mu);
}

/* Why the store refuses writes now (for the log). */
static int store_cause(struct devices *all)
{
	struct core_view *v = malloc(sizeof(*v));
	int err = STORE_ERR_IO;

	if (v) {
		core_view(all->core, v);
		if (v->store_failing)
			err = v->store_error;
		free(v);
	}
	return err;
}

static void set_message(struct devices *all, struct dev *d, const char *text)
{
	pthread_mutex_lock(&all->mu);
	snprintf(d->message, sizeof(d->message), "%s", text);
	d->message_until_ms = mono_ms() + MESSAGE_MS;
	pthread_mutex_unlock(&all->mu);
}

static const char *refusal_text(int err)
{
	switch (err) {
	case ENGINE_ERR_NO_TICKET_WAITING:
		return "无人等候";
	case ENGINE_ERR_WINDOW_NOT_LOGGED_IN:
		return "请先登录";
	case ENGINE_ERR_WINDOW_LOGGED_IN:
		return "已有人登录";
	case ENGINE_ERR_WINDOW_PAUSED:
		return "暂停中";
	case ENGINE_ERR_WINDOW_NOT_PAUSED:
		return "未暂停";
	case ENGINE_ERR_WINDOW_BUSY:
		return "请先办结当前号";
	case ENGINE_ERR_WINDOW_HOLDS_TICKETS:
		return "还有挂起的号";
	case ENGINE_ERR_PAUSE_REASON_REQUIRED:
	case ENGINE_ERR_UNKNOWN_PAUSE_REASON:
		return "暂停原因无效";
	case ENGINE_ERR_NOT_CALLED:
		return "没有呼叫中的号";
	case ENGINE_ERR_NOT_SERVING:
		return "没有办理中的号";
	case ENGINE_ERR_NOT_HELD_HERE:
		return "没有挂起的号";
	case ENGINE_ERR_NOT_SERVED_HERE:
		return "该窗口不办此业务";
	case ENGINE_ERR_SAME_PLACE:
		return "不能转给本窗口";
	case ENGINE_ERR_NO_SUCH_WINDOW:
		return "无此窗口";
	case ENGINE_ERR_OUTSIDE_HOURS:
	case ENGINE_ERR_CLOSED_TODAY:
	case ENGINE_ERR_DAY_CLOSED:
		return "非办公时间";
	default:
		return "操作失败";
	}
}

static int window_index_of(const struct config *cfg, int number)
{
	for (int w = 0; w < cfg->hall.n_windows; w++)
		if (cfg->hall.windows[w].number == number)
			return w;
	return -1;
}

static void remember_call(struct devices *all, int32_t day, const char *label, int window_number)
{
	pthread_mutex_lock(&all->mu);
	if (day != all->recent_day) { /* a new day starts with an empty list */
		all->n_recent = 0;
		all->recent_day = day;
	}
	int n = all->n_recent < RECENT_CALLS ? all->n_recent + 1 : RECENT_CALLS;
	memmove(all->recent + 1, all->recent, sizeof(all->recent[0]) * (size_t)(n - 1));
	snprintf(all->recent[0].label, sizeof(all->recent[0].label), "%s", label);
	all->recent[0].window_number = window_number;
	all->n_recent = n;
	all->recent_version++;
	pthread_mutex_unlock(&all->mu);
}

/* Fills req for a window terminal's event; false if it maps to no engine
 * command (then message, if set, is shown). */
static bool window_request(struct devices *all, struct dev *d, const struct proto_event_entry *ev,
			   struct core_request *req, const char **message)
{
	const struct config *cfg = all->cfg;
	struct engine_command *c = &req->cmd;

	c->window = d->conf->window;
	c->ticket = ENGINE_NO_TICKET;
	c->target_window = -1;
	c->service = -1;
	c->reason = -1;
	switch (ev->code) {
	case PROTO_EV_NEXT:
		c->op = ENGINE_OP_CALL_NEXT;
		return true;
	case PROTO_EV_RECALL:
		c->op = ENGINE_OP_RECALL;
		return true;
	case PROTO_EV_NO_SHOW:
		c->op = ENGINE_OP_NO_SHOW;
		return true;
	case PROTO_EV_START:
		c->op = ENGINE_OP_START;
		return true;
	case PROTO_EV_FINISH:
		c->op = ENGINE_OP_FINISH;
		return true;
	case PROTO_EV_HOLD:
		c->op = ENGINE_OP_HOLD;
		return true;
	case PROTO_EV_CALL_BACK:
		c->op = ENGINE_OP_CALL_BACK;
		return true;
	case PROTO_EV_LOGOUT:
		c->op = ENGINE_OP_LOGOUT;
		return true;
	case PROTO_EV_RESUME:
		c->op = ENGINE_OP_RESUME;
		return true;
	case PROTO_EV_PAUSE:
		if (ev->arg > (uint32_t)cfg->hall.queue.n_pause_reasons) {
			*message = "暂停原因无效";
			return false;
		}
		c->op = ENGINE_OP_PAUSE;
		c->reason = (int)ev->arg - 1;
		return true;
	case PROTO_EV_TRANSFER:
		c->target_window = window_index_of(cfg, (int)ev->arg);
		if (c->target_window < 0) {
			*message = "无此窗口";
			return false;
		}
		c->op = ENGINE_OP_TRANSFER;
		return true;
	case PROTO_EV_LOGIN: {
		char id[16], pin[16];
		snprintf(id, sizeof(id), "%u", (unsigned)(ev->arg >> 16));
		snprintf(pin, sizeof(pin), "%04u", (unsigned)(ev->arg & 0xffff));
		const struct config_staff *s = config_staff(cfg, id);
		if (!s || strcmp(s->pin, pin) != 0) {
			log_warn("terminal %s: login refused for staff id %s", d->conf->id, id);
			*message = "工号或密码错误";
			return false;
		}
		c->op = ENGINE_OP_LOGIN;
		snprintf(c->staff, sizeof(c->staff), "%s", s->id);
		return true;
	}
	case PROTO_EV_RATE:
		c->op = ENGINE_OP_RATE;
		c->rating = (int)(ev->arg >> 16);
		c->ticket = ev->arg & 0xffff;
		return true;
	default:
		log_warn("terminal %s: unknown event code 0x%02x ignored", d->conf->id, ev->code);
		return false;
	}
}

/* The device's event req answers (docs/protocol.md, exactly once). */
static void mark_event(struct core_request *req, const struct dev *d, uint16_t boot,
		       const struct proto_event_entry *ev)
{
	req->device.set = true;
	snprintf(req->device.row.id, sizeof(req->device.row.id), "%s", d->conf->id);
	req->device.row.boot = boot;
	req->device.row.seq = ev->seq;
}

/* What a kiosk shows for a check-in refused (at most PROTO_TEXT_LINE_MAX
 * GB18030 bytes). */
static const char *check_in_refusal_text(int err)
{
	switch (err) {
	case CORE_REFUSE_NOT_FOUND:
		return "预约码无效";
	case CORE_REFUSE_ALREADY_CHECKED_IN:
		return "已签到";
	case CORE_REFUSE_BOOKING_CANCELLED:
		return "预约已取消";
	case CORE_REFUSE_NOT_TODAY:
		return "非今日预约";
	case CORE_REFUSE_TOO_LATE:
		return "已超过签到时间";
	case ENGINE_ERR_OUTSIDE_HOURS:
	case ENGINE_ERR_CLOSED_TODAY:
	case ENGINE_ERR_DAY_CLOSED:
		return "非办公时间";
	default:
		return "签到失败 请到服务台";
	}
}

/* One line on a kiosk, shown PROTO_KIOSK_MESSAGE_MS. */
static void kiosk_message(struct dev *d, const char *text)
{
	char line[1][PROTO_TEXT_LINE_MAX + 1];

	snprintf(line[0], sizeof(line[0]), "%s", text);
	show_text(d, 0, 1, line);
}

/*
 * A booking code typed on the kiosk's keypad (PROTO_EV_CHECK_IN): the
 * core checks the booking in, in the transaction that records the event
 * and the print owed, so a replayed event is never checked in twice. A
 * taken check-in prints its ticket like a button's; a refused one prints
 * nothing and shows the reason.
 */
static int on_kiosk_check_in(struct devices *all, struct dev *d, uint16_t boot,
			     const struct proto_event_entry *ev, struct core_request *req)
{
	char code[16];
	bool valid = ev->arg <= 99999999u;

	snprintf(code, sizeof(code), "%08lu", (unsigned long)ev->arg);
	if (valid && owed_room(all, d)) {
		core_check_in_request(req, code, d->conf->id);
		req->device.owe_print = (uint16_t)(PROTO_SEQ_PRINT | ev->seq);
	} else if (valid) {
		log_error("kiosk %s: %d prints owed and none confirmed; check-in refused",
			  d->conf->id, MAX_OWED);
	} else {
		log_warn("kiosk %s: check-in code %lu has more than 8 digits", d->conf->id,
			 (unsigned long)ev->arg);
	}
	mark_event(req, d, boot, ev);
	int rc = core_call(all->core, req);
	if (rc != CORE_OK || retry_later(req->err))
		return -1; /* nothing recorded: the event comes again */
	if (!req->booking.op) {
		kiosk_message(d, valid ? "签到失败 请到服务台" : "预约码无效");
		return 0;
	}
	if (req->cmd.op == ENGINE_OP_ISSUE && req->err == ENGINE_OK) {
		char label[8];
		log_info("kiosk %s: booking checked in as ticket %s%s", d->conf->id,
			 engine_ticket_label(&req->ticket, label),
			 req->booking.row.late ? " (late)" : "");
		send_print(all, d, req->device.owe_print, boot, &req->ticket, &req->print, false);
		sync_one(all, d);
	} else {
		log_info("kiosk %s: check-in refused: %s", d->conf->id, core_error_name(req->err));
		kiosk_message(d, check_in_refusal_text(req->err));
	}
	return 0;
}

static int on_kiosk_event(struct devices *all, struct dev *d, uint16_t boot,
			  const struct proto_event_entry *ev, struct core_request *req)
{
	switch (ev->code) {
	case PROTO_EV_BUTTON: {
		int button = (int)(ev->arg & 0xff), cls = (int)((ev->arg >> 8) & 0xff);
		if (button >= d->conf->n_services || cls > ENGINE_CLASS_GREEN) {
			log_warn("kiosk %s: button %d class %d does not exist; ignored",
				 d->conf->id, button, cls);
			break; /* recorded as processed, nothing issued */
		}
		if (press_refused(all, d, boot, ev)) {
			log_info("kiosk %s: press seq %u not taken: the database failed when it "
				 "was made",
				 d->conf->id, ev->seq);
			break; /* recorded as processed, nothing issued */
		}
		if (!owed_room(all, d)) {
			/* A kiosk this far behind prints nothing: no more tickets
			 * nobody would hold. The press is recorded, not issued. */
			log_error("kiosk %s: %d prints owed and none confirmed; press refused",
				  d->conf->id, MAX_OWED);
			break;
		}
		req->cmd.op = ENGINE_OP_ISSUE;
		req->cmd.service = d->conf->services[button];
		req->cmd.cls = (enum engine_class)cls;
		req->device.owe_print = (uint16_t)(PROTO_SEQ_PRINT | ev->seq);
		break;
	}
	case PROTO_EV_PRINTED:
		req->device.print_done = (uint16_t)(ev->arg & 0xffff);
		break;
	case PROTO_EV_PRINT_FAILED: {
		uint16_t seq = (uint16_t)(ev->arg & 0xffff);
		struct owed o;
		req->device.print_done = seq;
		if (find_owed(all, d, seq, &o)) {
			/* Nobody holds that ticket: it must not be called. */
			req->cmd.op = ENGINE_OP_CANCEL;
			req->cmd.ticket = o.ticket;
		}
		log_warn("kiosk %s: a print failed (printer %04x)", d->conf->id,
			 (unsigned)(ev->arg >> 16));
		break;
	}
	case PROTO_EV_PRINTER:
		return 0; /* the status registers say it too; nothing to record */
	case PROTO_EV_CHECK_IN:
		return on_kiosk_check_in(all, d, boot, ev, req);
	default:
		log_warn("kiosk %s: unknown event code 0x%02x ignored", d->conf->id, ev->code);
		break;
	}
	int rc = core_call(all->core, req);
	if (rc == CORE_OK && req->err == CORE_ERR_STORE && req->cmd.op == ENGINE_OP_ISSUE)
		refuse_presses(all, d, boot, ev, store_cause(all));
	if (rc != CORE_OK || retry_later(req->err))
		return -1; /* nothing recorded: the event comes again */
	if (ev->code == PROTO_EV_BUTTON)
		press_recorded(all, d, ev);
	if (req->device.print_done)
		forget_owed(all, d, req->device.print_done);
	if (req->cmd.op == ENGINE_OP_ISSUE) {
		if (req->err == ENGINE_OK)
			send_print(all, d, req->device.owe_print, boot, &req->ticket, &req->print,
				   false);
		else
			log_info("kiosk %s: button %d refused: %s", d->conf->id,
				 (int)(ev->arg & 0xff), core_error_name(req->err));
		sync_one(all, d); /* quota or hours may have closed a button */
	} else if (req->cmd.op == ENGINE_OP_CANCEL && req->err == ENGINE_OK) {
		char label[8];
		log_warn("kiosk %s: ticket %s was not printed; cancelled", d->conf->id,
			 engine_ticket_label(&req->ticket, label));
	}
	return 0;
}

static int on_window_event(struct devices *all, struct dev *d, uint16_t boot,
			   const struct proto_event_entry *ev, struct core_request *req)
{
	const char *message = NULL;

	if (press_refused(all, d, boot, ev)) {
		log_info("terminal %s: key seq %u not taken: the database failed when it was "
			 "pressed",
			 d->conf->id, ev->seq);
		req->cmd.op = CORE_OP_NONE; /* its refusal was shown when it was made */
	} else if (!window_request(all, d, ev, req, &message)) {
		req->cmd.op = CORE_OP_NONE;
	}
	int rc = core_call(all->core, req);
	if (rc == CORE_OK && req->err == CORE_ERR_STORE && req->cmd.op != CORE_OP_NONE) {
		refuse_presses(all, d, boot, ev, store_cause(all));
		set_message(all, d, STORE_FAILED_TEXT);
		sync_one(all, d);
	}
	if (rc != CORE_OK || retry_later(req->err))
		return -1;
	press_recorded(all, d, ev);
	if (req->cmd.op == CORE_OP_NONE) {
		if (message)
			set_message(all, d, message);
	} else if (req->err != ENGINE_OK) {
		set_message(all, d, refusal_text(req->err));
	} else {
		pthread_mutex_lock(&all->mu);
		d->message[0] = 0;
		pthread_mutex_unlock(&all->mu);
		switch (req->cmd.op) {
		case ENGINE_OP_CALL_NEXT:
		case ENGINE_OP_RECALL:
		case ENGINE_OP_CALL_BACK:
			/* on_core_change() noted the call; show it at once */
			for (int i = 0; i < all->cfg->n_devices; i++)
				if (all->dev[i].conf->type == CONFIG_DEVICE_HALL_DISPLAY &&
				    all->dev[i].bus)
					sync_one(all, &all->dev[i]);
			break;
		case ENGINE_OP_FINISH: {
			struct mbus_command arm = {.code = PROTO_CMD_ARM_RATING, .nargs = 2};
			arm.args[0] = (uint16_t)req->ticket.id;
			arm.args[1] = (uint16_t)d->conf->rating_seconds;
			mbus_send(d->bus, d->bus_dev, &arm);
			break;
		}
		default:
			break;
		}
	}
	sync_one(all, d);
	return 0;
}

static int on_event(void *arg, int bus_dev, uint16_t boot, const struct proto_event_entry *ev)
{
	struct bus_ctx *ctx = arg;
	struct devices *all = ctx->all;
	struct dev *d = &all->dev[ctx->dev_of[bus_dev]];
	struct core_request req;

	memset(&req, 0, sizeof(req));
	req.cmd.op = CORE_OP_NONE;
	req.cmd.ticket = ENGINE_NO_TICKET;
	snprintf(req.source, sizeof(req.source), "%s", d->conf->id);
	mark_event(&req, d, boot, ev);
	log_debug("device %s: event seq %u code 0x%02x arg %u", d->conf->id, ev->seq, ev->code,
		  (unsigned)ev->arg);
	switch (d->conf->type) {
	case CONFIG_DEVICE_KIOSK:
		return on_kiosk_event(all, d, boot, ev, &req);
	case CONFIG_DEVICE_WINDOW_TERMINAL:
		return on_window_event(all, d, boot, ev, &req);
	default: /* a hall display has no keys: record and forget */
		return core_call(all->core, &req) == CORE_OK && !retry_later(req.err) ? 0 : -1;
	}
}

/* After a reboot: the prints owed to the old boot that the bus no longer
 * has (taken and never confirmed, or never handed to the bus). */
static void forget_old_boot(struct devices *all, struct dev *d, uint16_t boot)
{
	for (;;) {
		struct owed o = {.seq = 0};
		pthread_mutex_lock(&all->mu);
		for (int k = 0; k < d->n_owed && !o.seq; k++)
			if (d->owed[k].boot != boot)
				o = d->owed[k];
		pthread_mutex_unlock(&all->mu);
		if (!o.seq)
			return;
		bool maybe_printed = o.queued || o.restored;
		if (maybe_printed)
			log_warn("kiosk %s rebooted before confirming print %04x; not printed "
				 "again",
				 d->conf->id, o.seq);
		if (end_print(all, d, o.seq, !maybe_printed) != 0) {
			/* the store failed: it stays in the store and is dropped at
			 * the next start; forget it here */
			forget_owed(all, d, o.seq);
		}
	}
}

static void on_change(void *arg, int bus_dev, enum mbus_change what, const struct mbus_status *st)
{
	struct bus_ctx *ctx = arg;
	struct devices *all = ctx->all;
	struct dev *d = &all->dev[ctx->dev_of[bus_dev]];

	if (all->listener && (what != MBUS_STATUS || d->conf->type == CONFIG_DEVICE_KIOSK))
		all->listener(all->listener_arg, d->index);
	switch (what) {
	case MBUS_ONLINE:
	case MBUS_REBOOTED:
		if (d->conf->type == CONFIG_DEVICE_KIOSK)
			forget_old_boot(all, d, st->boot);
		pthread_mutex_lock(&all->mu);
		d->synced = false; /* push everything again */
		pthread_mutex_unlock(&all->mu);
		sync_one(all, d);
		break;
	case MBUS_OFFLINE:
		break;
	case MBUS_STATUS:
		if (d->conf->type == CONFIG_DEVICE_KIOSK)
			log_info("kiosk %s: printer status %04x", d->conf->id, st->printer);
		break;
	}
}

/*
 * The kiosk took PRINT. STALE: a print it took before a host restart; its
 * PRINTED or PRINT_FAILED event settles it. An error result (bad
 * arguments): nothing printed and no event follows.
 */
static void on_done(void *arg, int bus_dev, const struct mbus_command *cmd, uint16_t result)
{
	struct bus_ctx *ctx = arg;
	struct devices *all = ctx->all;
	struct dev *d = &all->dev[ctx->dev_of[bus_dev]];

	if (cmd->code != PROTO_CMD_PRINT || result == PROTO_RESULT_OK)
		return;
	if (result == PROTO_RESULT_STALE) {
		log_info("kiosk %s had taken print %04x before; not printed again", d->conf->id,
			 cmd->seq);
		return;
	}
	log_error("kiosk %s refused print %04x (result %u): does its button count match the "
		  "config?",
		  d->conf->id, cmd->seq, result);
	if (end_print(all, d, cmd->seq, true) != 0)
		forget_owed(all, d, cmd->seq); /* the store keeps its row for the next start */
}

static void on_dropped(void *arg, int bus_dev, const struct mbus_command *cmd, bool written)
{
	struct bus_ctx *ctx = arg;
	struct devices *all = ctx->all;
	struct dev *d = &all->dev[ctx->dev_of[bus_dev]];
	struct owed o;

	if (cmd->code != PROTO_CMD_PRINT)
		return;
	/*
	 * The kiosk rebooted with this print owed. Never written, it was not
	 * printed: nobody holds the ticket, which is cancelled. Written (or
	 * perhaps written, before a host restart), it may have been printed
	 * just before: printing it again could give two citizens one number,
	 * so it is not sent again and the ticket stays in the queue.
	 */
	bool maybe_printed = written || !find_owed(all, d, cmd->seq, &o) || o.restored;
	if (end_print(all, d, cmd->seq, !maybe_printed) == 0 && maybe_printed)
		log_warn("kiosk %s rebooted before confirming print %04x; not printed again",
			 d->conf->id, cmd->seq);
}

static void on_cycle(void *arg)
{
	struct bus_ctx *ctx = arg;
	struct devices *all = ctx->all;
	struct core_view *v = malloc(sizeof(*v));

	if (!v)
		return;
	core_view(all->core, v);
	pthread_mutex_lock(&all->mu);
	for (int i = 0; i < all->cfg->n_devices; i++) {
		struct dev *d = &all->dev[i];
		if (d->conf->bus == ctx->bus && d->bus && mbus_status(d->bus, d->bus_dev).online)
			sync_device(all, d, v);
	}
	pthread_mutex_unlock(&all->mu);
	for (int i = 0; i < all->cfg->n_devices; i++) {
		struct dev *d = &all->dev[i];
		if (d->conf->bus != ctx->bus || !d->bus || d->conf->type != CONFIG_DEVICE_KIOSK)
			continue;
		forget_old_days(all, d, v->day);
		push_owed(all, d); /* prints that waited for room */
	}
	free(v);
}

/* A core observer: every call, from a terminal's keys or the API, goes on
 * the hall displays (the next poll cycle sends them the new lines). */
static void on_core_change(void *arg, const struct core_change *ch)
{
	struct devices *all = arg;
	const struct core_request *r = ch->req;
	char label[8];

	if (!r)
		return; /* the store: kiosks follow the view at the next cycle */
	enum engine_op op = r->cmd.op;
	if ((op == ENGINE_OP_CALL_NEXT || op == ENGINE_OP_CALL_TICKET ||
	     op == ENGINE_OP_CALL_BACK || op == ENGINE_OP_RECALL) &&
	    r->res.ticket != ENGINE_NO_TICKET && r->res.window >= 0)
		remember_call(all, r->cmd.clock.day, engine_ticket_label(&r->ticket, label),
			      all->cfg->hall.windows[r->res.window].number);
}

/* ---- setup ---- */

struct restore_ctx {
	struct devices *all;
	const struct engine *e;
};

static struct dev *find_dev(struct devices *all, const char *id)
{
	for (int i = 0; i < all->cfg->n_devices; i++)
		if (strcmp(all->cfg->devices[i].id, id) == 0)
			return &all->dev[i];
	return NULL;
}

static int restore_device(void *arg, const struct store_device *row)
{
	struct restore_ctx *rc = arg;
	struct dev *d = find_dev(rc->all, row->id);

	if (d && d->bus)
		mbus_set_progress(d->bus, d->bus_dev, row->boot, row->seq);
	return 0;
}

static int restore_print(void *arg, const struct store_print *p)
{
	struct restore_ctx *rc = arg;
	struct dev *d = find_dev(rc->all, p->device);

	if (!d || !d->bus || d->conf->type != CONFIG_DEVICE_KIOSK || p->day != engine_day(rc->e))
		return 0; /* another day's, or a kiosk no longer configured */
	uint32_t id = engine_find_label(rc->e, p->ticket);
	if (id == ENGINE_NO_TICKET)
		return 0;
	log_info("kiosk %s: ticket %s is still owed its print", d->conf->id, p->ticket);
	send_print(rc->all, d, p->seq, p->boot, engine_ticket(rc->e, id), p, true);
	return 0;
}

/* The day's last calls from the journal, newest first: a restarted host
 * shows the hall displays what they showed before. */
static int restore_call(void *arg, const struct store_call *c)
{
	struct devices *all = arg;

	if (all->n_recent == RECENT_CALLS)
		return 1;
	struct call *to = &all->recent[all->n_recent++];
	snprintf(to->label, sizeof(to->label), "%s", c->ticket);
	to->window_number = c->window;
	return 0;
}

static void fill_bus_conf(struct mbus_conf *mc, const struct config *cfg, int bus)
{
	const struct config_bus *b = &cfg->buses[bus];

	memset(mc, 0, sizeof(*mc));
	snprintf(mc->name, sizeof(mc->name), "%s", b->name);
	mc->tcp = b->type == CONFIG_BUS_TCP;
	snprintf(mc->device, sizeof(mc->device), "%s", b->device);
	mc->baud = b->baud;
	mc->parity = b->parity ? b->parity : 'N';
	mc->data_bits = b->data_bits ? b->data_bits : 8;
	mc->stop_bits = b->stop_bits ? b->stop_bits : 1;
	mc->rs485 = b->rs485;
	snprintf(mc->host, sizeof(mc->host), "%s", b->host);
	mc->port = b->port;
	mc->timeout_ms = b->timeout_ms;
	mc->poll_interval_ms = b->poll_interval_ms;
	mc->events_per_poll = b->events_per_poll;
}

static uint8_t proto_type(enum config_device_type t)
{
	switch (t) {
	case CONFIG_DEVICE_KIOSK:
		return PROTO_DEVICE_KIOSK;
	case CONFIG_DEVICE_WINDOW_TERMINAL:
		return PROTO_DEVICE_WINDOW;
	default:
		return PROTO_DEVICE_DISPLAY;
	}
}

struct devices *devices_new(const struct config *cfg, struct core *core, struct store *st,
			    char *err, int err_size)
{
	struct devices *all = calloc(1, sizeof(*all));
	struct mbus_conf *mc = malloc(sizeof(*mc));

	if (!all) {
		free(mc);
		snprintf(err, (size_t)err_size, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&all->mu, NULL);
	all->cfg = cfg;
	all->core = core;
	if (!mc)
		goto nomem;
	all->dev = calloc((size_t)(cfg->n_devices ? cfg->n_devices : 1), sizeof(*all->dev));
	if (!all->dev)
		goto nomem;
	for (int i = 0; i < cfg->n_devices; i++) {
		all->dev[i].conf = &cfg->devices[i];
		all->dev[i].index = i;
	}
	for (int bus = 0; bus < cfg->n_buses; bus++) {
		struct bus_ctx *ctx = &all->ctx[bus];
		ctx->all = all;
		ctx->bus = bus;
		ctx->dev_of = calloc((size_t)(cfg->n_devices ? cfg->n_devices : 1), sizeof(int));
		if (!ctx->dev_of)
			goto nomem;
		fill_bus_conf(mc, cfg, bus);
		for (int i = 0; i < cfg->n_devices; i++) {
			if (cfg->devices[i].bus != bus)
				continue;
			struct mbus_device_conf *dc = &mc->devices[mc->n_devices];
			snprintf(dc->id, sizeof(dc->id), "%s", cfg->devices[i].id);
			dc->type = proto_type(cfg->devices[i].type);
			dc->address = cfg->devices[i].address;
			all->dev[i].bus_dev = mc->n_devices;
			ctx->dev_of[mc->n_devices++] = i;
		}
		all->n_buses = bus + 1;
		if (mc->n_devices == 0)
			continue; /* a bus with nothing on it: no thread */
		struct mbus_handler h = {.event = on_event,
					 .change = on_change,
					 .done = on_done,
					 .dropped = on_dropped,
					 .cycle = on_cycle,
					 .arg = ctx};
		all->buses[bus] = mbus_new(mc, &h, err, err_size);
		if (!all->buses[bus])
			goto fail;
		for (int i = 0; i < cfg->n_devices; i++)
			if (cfg->devices[i].bus == bus)
				all->dev[i].bus = all->buses[bus];
	}
	if (core_observe(core, on_core_change, all) != 0) {
		snprintf(err, (size_t)err_size, "the devices cannot follow the core");
		goto fail;
	}
	struct restore_ctx rctx = {all, core_engine(core)};
	all->recent_day = engine_day(rctx.e);
	if (store_prune_prints(st, engine_day(rctx.e)) != STORE_OK ||
	    store_devices(st, restore_device, &rctx) != STORE_OK ||
	    store_prints(st, restore_print, &rctx) != STORE_OK ||
	    store_recent_calls(st, engine_day(rctx.e), RECENT_CALLS, restore_call, all) !=
		STORE_OK) {
		snprintf(err, (size_t)err_size, "cannot read the devices' progress from the store");
		goto fail;
	}
	for (int i = 0; i < cfg->n_devices; i++)
		if (all->dev[i].bus && all->dev[i].conf->type == CONFIG_DEVICE_KIOSK)
			push_owed(all, &all->dev[i]);
	free(mc);
	return all;
nomem:
	snprintf(err, (size_t)err_size, "out of memory");
fail:
	free(mc);
	devices_free(all);
	return NULL;
}

int devices_start(struct devices *all)
{
	for (int bus = 0; bus < all->n_buses; bus++)
		if (all->buses[bus] && mbus_start(all->buses[bus]) != 0)
			return -1;
	return 0;
}

void devices_stop(struct devices *all)
{
	if (!all)
		return;
	for (int bus = 0; bus < all->n_buses; bus++)
		mbus_stop(all->buses[bus]);
}

void devices_free(struct devices *all)
{
	if (!all)
		return;
	devices_stop(all);
	for (int bus = 0; bus < all->n_buses; bus++) {
		mbus_free(all->buses[bus]);
		free(all->ctx[bus].dev_of);
	}
	free(all->dev);
	pthread_mutex_destroy(&all->mu);
	free(all);
}

bool devices_status(struct devices *all, int i, bool *online, uint16_t *printer)
{
	if (!all || i < 0 || i >= all->cfg->n_devices || !all->dev[i].bus)
		return false;
	struct mbus_status st = mbus_status(all->dev[i].bus, all->dev[i].bus_dev);
	*online = st.online;
	*printer = st.printer;
	return true;
}

void devices_listen(struct devices *all, void (*fn)(void *arg, int i), void *arg)
{
	all->listener = fn;
	all->listener_arg = arg;
}
