/*
 * window.js — the soft window terminal: window.html?token=TOKEN&window=N.
 *
 * For a window without a keypad: log in with staff id and PIN, then call,
 * recall, no-show, start, finish, transfer, pause, resume and log out
 * through POST /api/v1/windows/N/OPERATION (docs/api.md) with the token as
 * a bearer token. The window, its current ticket and the queues come from
 * HQ.Live (state and events) and from the answers of the operations; a
 * refusal is shown with its code and message.
 */
'use strict';

(function () {
	const token = HQ.param('token');
	const number = Number(HQ.param('window'));

	/* the operations a window in each state can take; the others are greyed */
	const ALLOWED = {
		idle: ['call-next', 'pause', 'logout'],
		paused: ['resume', 'logout'],
		called: ['recall', 'no-show', 'start', 'finish', 'transfer'],
		serving: ['finish', 'transfer'],
		logged_out: ['login'],
	};

	const DONE_TEXT = {
		'login': () => '登录成功',
		'logout': () => '已退出登录',
		'call-next': (t) => '已呼叫 ' + t,
		'recall': (t) => '已重呼 ' + t,
		'no-show': (t) => t + ' 已过号',
		'start': (t) => '开始办理 ' + t,
		'finish': (t) => t + ' 办理完成',
		'transfer': (t) => t + ' 已转移',
		'pause': () => '窗口已暂停',
		'resume': () => '窗口已恢复服务',
	};

	let win = null;          /* this window, as the server last said */
	let services = [];
	const tickets = new Map(); /* number -> the newest ticket object seen */
	let busy = false;

	function message(text, kind) {
		const m = document.getElementById('message');
		m.textContent = text;
		m.className = 'message' + (kind ? ' ' + kind : '');
	}

	function keepTicket(t) {
		if (!t || !t.number)
			return;
		tickets.set(t.number, Object.assign({}, tickets.get(t.number), t));
		if (tickets.size > 500) /* a day's worth is plenty; forget the oldest */
			tickets.delete(tickets.keys().next().value);
	}

	function currentTicket() {
		if (!win || !win.current || !(win.state === 'called' || win.state === 'serving'))
			return null;
		return tickets.get(win.current) || { number: win.current };
	}

	function drawCurrent() {
		const t = currentTicket();
		HQ.setText('cur-number', t ? t.number : '—');
		let sub = '';
		if (t) {
			sub = t.service_name || '';
			if (t.class === 'green')
				sub += (sub ? ' · ' : '') + '绿色通道';
		}
		HQ.setText('cur-service', sub);
		drawWait();
	}

	function drawWait() {
		const t = currentTicket();
		const issued = t ? Date.parse(t.issued_at || '') : NaN;
		HQ.setText('cur-wait', isNaN(issued) ? '—' : HQ.durationText(HQ.clock.nowMs() - issued));
	}

	function drawButtons() {
		const allowed = win ? ALLOWED[win.state] || [] : [];
		for (const b of document.querySelectorAll('button[data-op]'))
			b.disabled = busy || !allowed.includes(b.dataset.op);
		document.getElementById('btn-login').disabled = busy;
	}

	function drawServices() {
		const rows = services.map((s) => {
			const tr = HQ.el('tr', s.open === false ? 'closed' : '');
			tr.dataset.service = s.id;
			tr.append(HQ.el('td', 'name', s.name || s.id));
			tr.append(HQ.el('td', 'waiting', (s.waiting ?? 0) + ' 人'));
			const est = s.estimated_wait_min;
			tr.append(HQ.el('td', 'est', est === null || est === undefined ? '—' : '约 ' + est + ' 分钟'));
			return tr;
		});
		document.getElementById('services').replaceChildren(...rows);
	}

	function draw() {
		const state = win ? win.state : 'unknown';
		document.body.dataset.state = state;
		const name = win && win.name ? win.name : number + '号窗口';
		HQ.setText('title', name + ' · 软终端');
		document.title = name + ' · 窗口软终端';
		HQ.setText('staff', win && win.staff ? '工号 ' + win.staff : '');
		const badge = document.getElementById('wstate');
		badge.textContent = win ? HQ.WINDOW_STATE_TEXT[state] || state : '—';
		badge.className = 'badge state-' + state;
		document.getElementById('login').hidden = !win || state !== 'logged_out';
		document.getElementById('desk').hidden = !win || state === 'logged_out';
		HQ.setText('win-waiting', win && win.waiting !== undefined && win.waiting !== null ?
			String(win.waiting) : '—');
		drawCurrent();
		drawButtons();
		drawServices();
	}

	/* Sends one operation; the answer's window and ticket are drawn. */
	async function operate(op, body) {
		if (busy)
			return;
		busy = true;
		drawButtons();
		const before = win && win.current;
		try {
			const r = await HQ.api('POST', '/api/v1/windows/' + number + '/' + op,
				{ token: token, body: body || {} });
			keepTicket(r && r.ticket);
			if (r && r.window)
				win = Object.assign({}, win, r.window);
			const t = (r && r.ticket && r.ticket.number) || (win && win.current) || before || '';
			message(DONE_TEXT[op] ? DONE_TEXT[op](t) : '完成', 'info');
		} catch (e) {
			message(HQ.errorText(e), 'error');
		}
		busy = false;
		draw();
	}

	function bind() {
		document.getElementById('login-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			const staff = document.getElementById('staff-id').value.trim();
			const pin = document.getElementById('pin');
			if (!staff || !pin.value) {
				message('请输入工号和密码', 'error');
				return;
			}
			operate('login', { staff: staff, pin: pin.value }).then(() => {
				pin.value = '';
			});
		});
		for (const b of document.querySelectorAll('button[data-op]')) {
			b.addEventListener('click', () => {
				const op = b.dataset.op;
				if (op === 'transfer') {
					const to = Number(document.getElementById('transfer-window').value);
					if (!Number.isInteger(to) || to < 1) {
						message('请填写要转到的窗口号', 'error');
						return;
					}
					operate(op, { window: to });
				} else if (op === 'pause') {
					const raw = document.getElementById('pause-reason').value;
					const reason = Number(raw);
					operate(op, raw && Number.isInteger(reason) && reason > 0 ? { reason: reason } : {});
				} else {
					operate(op);
				}
			});
		}
	}

	/* ---- what the server says ---- */

	function onState(s) {
		services = s.services || [];
		const w = (s.windows || []).find((x) => x.number === number);
		if (!w)
			message('没有 ' + number + ' 号窗口：请检查网址中的 window 参数', 'error');
		win = w || null;
		draw();
	}

	const onEvent = {
		window: (d) => {
			if (d.number !== number)
				return;
			win = Object.assign({}, win, d);
			draw();
		},
		ticket: (d) => {
			keepTicket(d);
			if (win && d.number === win.current)
				drawCurrent();
		},
		queue: (d) => {
			for (const s of d.services || []) {
				const i = services.findIndex((x) => x.id === s.id);
				if (i >= 0)
					services[i] = Object.assign({}, services[i], s);
				else
					services.push(s);
			}
			drawServices();
		},
	};

	function onStatus(isLive, err) {
		document.body.dataset.live = isLive ? 'open' : 'no';
		const conn = document.getElementById('conn');
		conn.textContent = isLive ? '● 实时' : '● 连接中断';
		conn.className = 'conn ' + (isLive ? 'ok' : 'bad');
		if (err)
			message(HQ.errorText(err), 'error');
	}

	function tick() {
		HQ.setText('clock', HQ.timeText(HQ.clock.nowMs()));
		drawWait();
	}

	bind();
	draw();
	tick();
	setInterval(tick, 1000);
	if (!token || !Number.isInteger(number) || number < 1) {
		message('缺少参数：请用 window.html?token=窗口令牌&window=窗口号 打开本页', 'error');
		return;
	}
	new HQ.Live(token, {
		state: onState,
		event: (name, data) => onEvent[name] && onEvent[name](data),
		status: onStatus,
	}).start();
})();
