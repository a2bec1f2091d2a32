/*
 * book.js — booking a slot on a phone (book.html) and a booking by its
 * code (book.html?code=CODE), through the citizens' endpoints of
 * docs/api.md, "Appointments": no API token.
 *
 * The form reads GET /api/v1/appointments (the services that take
 * bookings and their days), then GET /api/v1/slots for the day picked
 * (full or closed slots greyed), checks the phone number as the API does
 * and books with POST /api/v1/bookings. Its idempotency key is made here
 * from the browser's random source, once per service, slot and number:
 * a second tap or a retry after a failed request sends the same key, so
 * the hall books once. The booking is then shown as ?code= shows it: the
 * code, the slot, the masked number, the QR code (GET
 * /api/v1/bookings/CODE/qr.svg) and the link, with 取消预约 while it may
 * be cancelled. Every refusal is said in Chinese with its code.
 */
'use strict';

(function () {
	const PHONE_RE = /^1[3-9][0-9]{9}$/;
	const CODE_RE = /^[0-9]{8}$/;
	const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];
	const STATE_TEXT = {
		booked: '已预约', cancelled: '已取消', checked_in: '已签到取号', no_show: '未按时到场（爽约）',
	};

	/* The appointments' refusals (docs/api.md) and the others a citizen
	 * can meet here, in words. */
	const BOOK_ERROR_TEXT = {
		SLOT_FULL: '该时段已约满，请选择其他时段',
		NOT_A_SLOT: '没有这个预约时段，请重新选择',
		BOOKING_CLOSED: '该时段已截止预约，请选择其他时段',
		TOO_FAR_AHEAD: '该日期尚未开放预约',
		NO_APPOINTMENTS: '该业务不接受预约',
		ALREADY_BOOKED: '该手机号当天已预约过此业务，不能重复预约',
		PHONE_LIMIT_REACHED: '该手机号当天的预约数已达上限',
		PHONE_BLOCKED: '该手机号因多次预约未到，暂停预约',
		IDEMPOTENCY_KEY_REUSED: '请求重复，请重新提交',
		ALREADY_CHECKED_IN: '该预约已签到取号，不能取消',
		BOOKING_CANCELLED: '该预约已取消',
		NOT_TODAY: '该预约不是今天的',
		CHECK_IN_TOO_LATE: '已超过签到时间',
		CANCEL_TOO_LATE: '预约时段已开始，不能再取消',
		TOO_MANY_REQUESTS: '操作过于频繁，请一分钟后再试',
		NOT_FOUND: '未找到该预约，请核对预约码',
		BAD_FIELD: '填写的内容不正确',
		MISSING_FIELD: '请填写完整',
		NETWORK: '网络连接失败，请检查网络后重试',
		STORE_FAILED: '系统繁忙，预约未记录，请重试',
		BUSY: '系统繁忙，请稍后重试',
		STOPPING: '系统维护中，请稍后重试',
		INTERNAL: '系统故障，请稍后重试',
	};

	let appts = null;        /* GET /api/v1/appointments */
	let service = null;      /* the service picked (an entry of appts.services) */
	let date = '';           /* the day picked */
	let slot = '';           /* the slot picked ("2026-11-30T08:30") */
	let pending = null;      /* {what, key}: the booking being sent, kept for a retry */
	let busy = false;

	const $ = (id) => document.getElementById(id);

	function errorWords(e) {
		const code = (e && e.code) || 'ERROR';
		let words = BOOK_ERROR_TEXT[code];
		if (!words)
			return HQ.errorText(e);
		if (code === 'PHONE_BLOCKED') {
			const m = /(\d{4}-\d\d-\d\d)/.exec(e.message || '');
			if (m)
				words += '，' + m[1] + ' 之后可再预约';
		} else if (code === 'PHONE_LIMIT_REACHED' && appts) {
			words += '（每个手机号每天最多 ' + appts.max_per_phone_per_day + ' 个）';
		} else if (code === 'ALREADY_CHECKED_IN') {
			const m = /ticket ([A-Z][0-9]+)/.exec(e.message || '');
			if (m)
				words += '（号码 ' + m[1] + '）';
		}
		return words + '（' + code + '）';
	}

	function say(id, text, kind) {
		const m = $(id);
		m.textContent = text || '';
		m.className = 'message' + (kind ? ' ' + kind : '');
	}

	/* A random idempotency key (docs/api.md: 8 to 64 of [A-Za-z0-9_-]). */
	function newKey() {
		if (window.crypto && crypto.randomUUID)
			return crypto.randomUUID();
		const b = new Uint8Array(16);
		crypto.getRandomValues(b);
		return Array.from(b, (x) => (x < 16 ? '0' : '') + x.toString(16)).join('');
	}

	/* "11月30日 周一" (and 今天 / 明天) of "2026-11-30". */
	function dayText(d) {
		const [y, m, dd] = d.split('-').map(Number);
		const wd = new Date(Date.UTC(y, m - 1, dd)).getUTCDay();
		let text = m + '月' + dd + '日 周' + WEEKDAYS[wd];
		if (appts && d === appts.today)
			text = '今天 ' + text;
		return text;
	}

	function choice(text, sub, on, attrs) {
		const b = HQ.el('button', 'choice');
		b.type = 'button';
		b.append(HQ.el('span', 'main', text));
		if (sub)
			b.append(HQ.el('span', 'sub', sub));
		for (const k in attrs || {})
			b.dataset[k] = attrs[k];
		b.addEventListener('click', () => on(b));
		return b;
	}

	function select(box, b) {
		for (const x of box.querySelectorAll('.choice'))
			x.classList.toggle('selected', x === b);
	}

	function update() {
		const phone = $('phone').value.trim();
		$('submit').disabled = busy || !service || !slot || !PHONE_RE.test(phone);
	}

	/* ---- the form ---- */

	async function loadAppointments() {
		try {
			appts = await HQ.api('GET', '/api/v1/appointments');
		} catch (e) {
			say('form-msg', '无法读取可预约的业务：' + errorWords(e), 'error');
			return;
		}
		const box = $('services');
		box.replaceChildren();
		if (!appts.services.length) {
			box.append(HQ.el('span', 'hint', '目前没有可预约的业务'));
			return;
		}
		for (const s of appts.services) {
			const sub = s.mode === 'required' ? '必须预约' : '可预约';
			box.append(choice(s.name, sub, (b) => pickService(s, b), { service: s.id }));
		}
	}

	function pickService(s, b) {
		select($('services'), b);
		service = s;
		date = '';
		slot = '';
		say('form-msg', '');
		const box = $('dates');
		box.replaceChildren();
		if (!s.dates.length)
			box.append(HQ.el('span', 'hint', '近期没有可预约的日期'));
		for (const d of s.dates)
			box.append(choice(dayText(d), '', (x) => pickDate(d, x), { date: d }));
		$('slots').replaceChildren(HQ.el('span', 'hint', '请先选择日期'));
		update();
	}

	function pickDate(d, b) {
		select($('dates'), b);
		date = d;
		slot = '';
		say('form-msg', '');
		loadSlots();
	}

	async function loadSlots() {
		const box = $('slots');
		const want = service.id + '|' + date;
		let r;
		box.replaceChildren(HQ.el('span', 'hint', '正在查询…'));
		update();
		try {
			r = await HQ.api('GET', '/api/v1/slots?service=' + encodeURIComponent(service.id) +
				'&date=' + encodeURIComponent(date));
		} catch (e) {
			box.replaceChildren(HQ.el('span', 'hint', '无法读取时段：' + errorWords(e)));
			return;
		}
		if (want !== service.id + '|' + date)
			return; /* another day was picked meanwhile */
		box.replaceChildren();
		if (!r.slots.length)
			box.append(HQ.el('span', 'hint', '当天不办公'));
		for (const s of r.slots) {
			let sub = '余 ' + s.free + ' 个';
			if (s.free === 0)
				sub = '已约满';
			else if (!s.open)
				sub = '已截止';
			const b = choice(s.start + '–' + s.end, sub, (x) => pickSlot(s.slot, x),
				{ slot: s.slot, free: String(s.free) });
			b.disabled = !s.open;
			if (s.slot === slot && s.open)
				b.classList.add('selected');
			box.append(b);
		}
		if (!r.slots.some((s) => s.slot === slot && s.open))
			slot = '';
		update();
	}

	function pickSlot(s, b) {
		select($('slots'), b);
		slot = s;
		say('form-msg', '');
		update();
	}

	async function book() {
		const phone = $('phone').value.trim();
		if (!PHONE_RE.test(phone)) {
			say('form-msg', '请输入正确的 11 位手机号码', 'error');
			return;
		}
		if (busy || !service || !slot)
			return;
		const what = service.id + '|' + slot + '|' + phone;
		if (!pending || pending.what !== what)
			pending = { what: what, key: newKey() };
		busy = true;
		update();
		say('form-msg', '正在提交…', 'info');
		try {
			const r = await HQ.api('POST', '/api/v1/bookings', {
				body: { service: service.id, slot: slot, phone: phone, idempotency_key: pending.key },
			});
			pending = null;
			history.replaceState(null, '', '?code=' + r.booking.code);
			showBooking(r.booking, '预约成功，请在预约时段到大厅取号机输入预约码签到取号。');
		} catch (e) {
			/* a refusal is final for this key; a lost answer keeps it for the retry */
			if (e.status !== 0 && e.status < 500)
				pending = null;
			say('form-msg', errorWords(e), 'error');
			if (e.code === 'SLOT_FULL' || e.code === 'BOOKING_CLOSED')
				loadSlots();
		} finally {
			busy = false;
			update();
		}
	}

	/* ---- one booking ---- */

	function showBooking(b, note) {
		$('form').hidden = true;
		$('booking').hidden = false;
		$('booking').dataset.state = b.state;
		$('code').textContent = b.code;
		$('state').textContent = STATE_TEXT[b.state] || b.state;
		$('b-service').textContent = b.service_name || b.service;
		$('b-slot').textContent = dayText(b.date) + ' ' + b.start + '–' + b.end;
		$('b-phone').textContent = b.phone;
		const qr = $('qr');
		const link = $('link');
		if (b.url) {
			qr.src = '/api/v1/bookings/' + encodeURIComponent(b.code) + '/qr.svg';
			qr.hidden = false;
			link.href = b.url;
			link.textContent = b.url;
			link.hidden = false;
		} else {
			qr.hidden = true;
			link.hidden = true;
		}
		let n = note || '';
		if (!n && b.state === 'booked')
			n = '请在预约时段到大厅取号机输入预约码签到取号。';
		else if (!n && b.state === 'checked_in' && b.ticket)
			n = '已签到，排队号 ' + b.ticket + '。';
		$('b-note').textContent = n;
		$('cancel').hidden = b.state !== 'booked';
		$('cancel').disabled = false;
	}

	async function loadBooking(code) {
		$('form').hidden = true;
		try {
			const r = await HQ.api('GET', '/api/v1/bookings/' + encodeURIComponent(code));
			showBooking(r.booking);
			say('booking-msg', '');
		} catch (e) {
			$('booking').hidden = true;
			say('lookup-msg', errorWords(e), 'error');
		}
	}

	async function cancel() {
		const code = $('code').textContent;
		if (!window.confirm('确定取消预约 ' + code + ' 吗？'))
			return;
		$('cancel').disabled = true;
		say('booking-msg', '正在取消…', 'info');
		try {
			const r = await HQ.api('POST', '/api/v1/bookings/' + encodeURIComponent(code) + '/cancel');
			showBooking(r.booking, '预约已取消，名额已释放。');
			say('booking-msg', '');
		} catch (e) {
			$('cancel').disabled = false;
			say('booking-msg', errorWords(e), 'error');
		}
	}

	function lookup() {
		const code = $('lookup-code').value.trim();
		if (!CODE_RE.test(code)) {
			say('lookup-msg', '预约码是 8 位数字', 'error');
			return;
		}
		location.search = '?code=' + code;
	}

	$('phone').addEventListener('input', () => {
		const p = $('phone').value.trim();
		say('form-msg', p.length === 11 && !PHONE_RE.test(p) ? '手机号码格式不正确' : '',
			'error');
		update();
	});
	$('submit').addEventListener('click', book);
	$('cancel').addEventListener('click', cancel);
	$('lookup-go').addEventListener('click', lookup);
	$('lookup-code').addEventListener('keydown', (ev) => {
		if (ev.key === 'Enter')
			lookup();
	});

	const code = HQ.param('code');
	if (code) {
		$('lookup-code').value = code;
		if (CODE_RE.test(code)) /* the appointments first: 今天, the limits */
			loadAppointments().then(() => loadBooking(code));
		else
			say('lookup-msg', '预约码是 8 位数字', 'error');
	} else {
		$('form').hidden = false;
		loadAppointments();
	}
})();
