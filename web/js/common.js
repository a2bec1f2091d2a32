/*
 * common.js — what the hall, window and ticket pages share: URL
 * parameters, calls to hostd's API (docs/api.md), error text in Chinese,
 * times in the hall's time zone, and HQ.Live, which keeps a page's copy of
 * the hall current from GET /api/v1/state and the /api/v1/events stream.
 *
 * Plain browser JavaScript, no build step, no outside libraries; every
 * page loads this file first and uses the global HQ.
 */
'use strict';

const HQ = (function () {
	function param(name) {
		return new URLSearchParams(location.search).get(name) || '';
	}

	/* An API refusal or a failed request: status 0 when hostd did not
	 * answer at all. */
	class ApiError extends Error {
		constructor(status, code, message) {
			super(message);
			this.status = status;
			this.code = code;
		}
	}

	/* Calls the API; resolves to the parsed answer or rejects with an
	 * ApiError carrying the answer's {"error": {code, message}}. */
	async function api(method, path, opts) {
		const o = opts || {};
		const init = { method: method, headers: {}, cache: 'no-store' };
		if (o.token)
			init.headers.Authorization = 'Bearer ' + o.token;
		if (method !== 'GET') {
			init.headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(o.body || {});
		}
		let res;
		try {
			res = await fetch(path, init);
		} catch (e) {
			throw new ApiError(0, 'NETWORK', String(e && e.message || e));
		}
		const text = await res.text();
		let data = null;
		try {
			data = text ? JSON.parse(text) : null;
		} catch (e) {
			data = null;
		}
		if (!res.ok) {
			const err = (data && data.error) || {};
			throw new ApiError(res.status, err.code || 'HTTP_' + res.status,
				err.message || res.statusText || '');
		}
		return data;
	}

	/* The API's error codes (docs/api.md, "Errors") in words for staff. */
	const ERROR_TEXT = {
		NETWORK: '无法连接服务器',
		BAD_JSON: '请求格式错误',
		BAD_FIELD: '字段取值不正确',
		UNKNOWN_FIELD: '不支持的字段',
		MISSING_FIELD: '缺少必填项',
		UNAUTHORIZED: '令牌无效或缺失',
		FORBIDDEN: '无权执行此操作',
		NOT_FOUND: '未找到',
		METHOD_NOT_ALLOWED: '不允许的请求',
		QUOTA_REACHED: '该业务今日号源已取完',
		OUTSIDE_HOURS: '不在办理时间',
		CLOSED_TODAY: '今日不办公',
		DAY_CLOSED: '今日业务已结束',
		NO_TICKET_WAITING: '当前没有等候的号',
		WINDOW_NOT_LOGGED_IN: '窗口未登录',
		WINDOW_LOGGED_IN: '窗口已登录',
		WINDOW_PAUSED: '窗口暂停中',
		WINDOW_NOT_PAUSED: '窗口未暂停',
		WINDOW_BUSY: '窗口有正在呼叫或办理的号',
		WINDOW_HOLDS_TICKETS: '窗口还有挂起的号',
		PAUSE_REASON_REQUIRED: '请填写暂停原因',
		UNKNOWN_PAUSE_REASON: '没有这个暂停原因',
		NOT_CALLED: '当前没有已呼叫的号',
		NOT_SERVING: '当前没有正在办理的号',
		NOT_WAITING: '该号不在等候中',
		NOT_HELD_HERE: '该号没有挂起在本窗口',
		NOT_SERVED_HERE: '本窗口不办理该业务',
		NOT_FINISHED: '该号尚未办结',
		ALREADY_RATED: '已经评价过',
		SAME_PLACE: '不能转到原来的窗口或业务',
		NO_SUCH_TICKET: '没有这个号',
		BAD_ARGUMENT: '参数不正确',
		WRONG_PIN: '工号或密码错误',
		BODY_TOO_LARGE: '请求过大',
		NOT_JSON: '请求类型错误',
		STORE_FAILED: '数据库故障，未记录，请重试',
		BUSY: '服务器繁忙，请重试',
	};

	/* "窗口正忙（WINDOW_BUSY：the window ...）": the words, the code and
	 * the server's message. */
	function errorText(e) {
		const code = e && e.code ? e.code : 'ERROR';
		const words = ERROR_TEXT[code] || '操作失败';
		const msg = e && e.message ? '：' + e.message : '';
		return words + '（' + code + msg + '）';
	}

	/* ---- time: the hall's clock ---- */

	/* Minutes east of UTC in an ISO 8601 time ("...+08:00"), or null. */
	function isoOffsetMin(iso) {
		const m = /([+-])(\d\d):?(\d\d)$/.exec(iso || '');
		if (m)
			return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
		return /Z$/.test(iso || '') ? 0 : null;
	}

	/* The hall's clock: the server's now and time zone offset, so a
	 * screen whose own clock is wrong still shows the hall's time. */
	const clock = {
		skewMs: 0,
		offsetMin: -new Date().getTimezoneOffset(),
		syncTo(nowIso) {
			const t = Date.parse(nowIso || '');
			if (!isNaN(t))
				this.skewMs = t - Date.now();
			const off = isoOffsetMin(nowIso);
			if (off !== null)
				this.offsetMin = off;
		},
		/* The time zone alone, from any time the server wrote (the
		 * ticket status has no "now"). */
		zoneFrom(iso) {
			const off = isoOffsetMin(iso);
			if (off !== null)
				this.offsetMin = off;
		},
		nowMs() {
			return Date.now() + this.skewMs;
		},
	};

	function pad2(n) {
		return (n < 10 ? '0' : '') + n;
	}

	/* The wall-clock fields of an epoch ms in the hall's time zone. */
	function hallFields(ms) {
		const d = new Date(ms + clock.offsetMin * 60000);
		return {
			y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(),
			wd: d.getUTCDay(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(),
		};
	}

	const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

	function dateText(ms) {
		const f = hallFields(ms);
		return f.y + '年' + f.mo + '月' + f.d + '日 星期' + WEEKDAYS[f.wd];
	}

	function timeText(ms, withSeconds) {
		const f = hallFields(ms);
		return pad2(f.h) + ':' + pad2(f.mi) + (withSeconds === false ? '' : ':' + pad2(f.s));
	}

	/* "12 分 03 秒" / "1 小时 02 分" for a duration in ms. */
	function durationText(ms) {
		const s = Math.max(0, Math.floor(ms / 1000));
		const h = Math.floor(s / 3600);
		const m = Math.floor((s % 3600) / 60);
		if (h > 0)
			return h + ' 小时 ' + pad2(m) + ' 分';
		return m + ' 分 ' + pad2(s % 60) + ' 秒';
	}

	/* ---- words for states ---- */

	const WINDOW_STATE_TEXT = {
		logged_out: '未登录', idle: '空闲', paused: '暂停', called: '呼叫中', serving: '办理中',
	};

	const REFUSAL_TEXT = {
		OUTSIDE_HOURS: '非办理时间', QUOTA_REACHED: '号已取完', CLOSED_TODAY: '今日不办公',
		DAY_CLOSED: '今日已结束',
	};

	/* ---- the live hall ---- */

	const EVENT_NAMES = ['call', 'recall', 'ticket', 'window', 'queue', 'device', 'reset'];

	/* "BOOT-N" as {boot, n}, or null. */
	function parseEventId(id) {
		const m = /^(\d+)-(\d+)$/.exec(id || '');
		return m ? { boot: m[1], n: Number(m[2]) } : null;
	}

	/*
	 * Live keeps a page's copy of the hall current. It opens the event
	 * stream and reads /api/v1/state at the start, whenever the stream
	 * (re)opens and on `reset`. Events that arrive while a state read is
	 * on its way wait for it; an event the state already contains (its id
	 * at or before the state's event_id) is dropped, so nothing is counted
	 * twice and nothing between the read and the stream is lost.
	 *
	 * handlers: state(s) a whole state; event(name, data) one event;
	 * status(live, error) whether the page is current, and the last
	 * failure (an ApiError) or null.
	 */
	class Live {
		constructor(token, handlers) {
			this.token = token;
			this.h = handlers;
			this.es = null;
			this.pos = null;      /* id of the newest event applied */
			this.pending = null;  /* events held while a state read is on its way */
			this.gen = 0;         /* state reads started; only the newest applies */
			this.stateOk = false;
			this.retryState = null;
			this.retryStream = null;
		}

		start() {
			this.connect();
			this.loadState();
		}

		connect() {
			const url = '/api/v1/events?access_token=' + encodeURIComponent(this.token);
			const es = new EventSource(url);
			this.es = es;
			es.onopen = () => this.loadState();
			es.onerror = () => {
				this.report(null);
				if (es.readyState === EventSource.CLOSED && this.es === es && !this.retryStream) {
					/* refused or broken for good: EventSource gives up, we do not */
					this.retryStream = setTimeout(() => {
						this.retryStream = null;
						this.connect();
					}, 3000);
				}
			};
			for (const name of EVENT_NAMES)
				es.addEventListener(name, (ev) => this.onEvent(name, ev));
		}

		onEvent(name, ev) {
			let data = {};
			try {
				data = ev.data ? JSON.parse(ev.data) : {};
			} catch (e) {
				return;
			}
			if (name === 'reset') {
				this.pos = null;
				this.loadState();
				return;
			}
			const id = parseEventId(ev.lastEventId);
			if (this.pending)
				this.pending.push([name, data, id]);
			else
				this.apply(name, data, id);
		}

		apply(name, data, id) {
			const p = this.pos;
			if (id && p && id.boot === p.boot && id.n <= p.n)
				return; /* the state we hold has it already */
			if (id)
				this.pos = id;
			this.h.event(name, data);
		}

		isLive() {
			return this.stateOk && !!this.es && this.es.readyState === EventSource.OPEN;
		}

		report(err) {
			if (this.h.status)
				this.h.status(this.isLive(), err);
		}

		async loadState() {
			const gen = ++this.gen;
			if (!this.pending)
				this.pending = [];
			clearTimeout(this.retryState);
			try {
				const s = await api('GET', '/api/v1/state', { token: this.token });
				if (gen !== this.gen)
					return; /* a newer read is on its way: it releases the events */
				this.pos = parseEventId(s.event_id);
				clock.syncTo(s.now);
				this.stateOk = true;
				this.h.state(s);
				this.report(null);
			} catch (e) {
				if (gen !== this.gen)
					return;
				this.stateOk = false;
				this.report(e);
				this.retryState = setTimeout(() => this.loadState(), 5000);
			}
			const held = this.pending;
			this.pending = null;
			for (const [name, data, id] of held)
				this.apply(name, data, id);
		}
	}

	/* Sets an element's text by id (no-op when the page lacks it). */
	function setText(id, text) {
		const el = document.getElementById(id);
		if (el && el.textContent !== text)
			el.textContent = text;
	}

	/* Creates an element with a class and text. */
	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	return {
		param, api, ApiError, errorText, clock, dateText, timeText, durationText,
		WINDOW_STATE_TEXT, REFUSAL_TEXT, parseEventId, Live, setText, el,
	};
})();
