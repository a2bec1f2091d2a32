/*
 * ticket.js — what a ticket's QR code opens: ticket.html?t=TICKET_TOKEN.
 *
 * Reads GET /api/v1/tickets/TOKEN (no bearer token: the ticket token is
 * the key) every 5 s and shows the number, the people ahead and the
 * estimated wait, "请到 5 号窗口" once called, and the final states
 * plainly. An appointment ticket (a booking checked in) also shows its
 * slot: 预约号 · 预约时段 09:30. An unknown token (404) says so and stops asking; so does a
 * final state. A failed read keeps the last answer and tries again.
 */
'use strict';

(function () {
	const POLL_MS = 5000;
	const FINAL = ['finished', 'no_show', 'cancelled', 'expired'];

	const t = HQ.param('t');
	let timer = null;
	let lastState = null;

	function show(state, status, detail, note) {
		document.body.dataset.state = state;
		HQ.setText('status', status);
		const d = document.getElementById('detail');
		d.replaceChildren(...(Array.isArray(detail) ? detail : [detail || '']));
		HQ.setText('note', note || '');
	}

	function windowLine(w, before, after) {
		const p = HQ.el('span', 'go');
		p.append(before, HQ.el('b', 'win', w), after);
		return p;
	}

	/* What each state says: [status line, detail nodes, note]. */
	function describe(tk) {
		const w = tk.window;
		switch (tk.state) {
		case 'waiting': {
			const ahead = HQ.el('span', 'ahead');
			ahead.append('前面还有 ', HQ.el('b', 'n', tk.people_ahead ?? '—'), ' 人');
			const parts = [ahead];
			if (tk.estimated_wait_min !== null && tk.estimated_wait_min !== undefined)
				parts.push(HQ.el('span', 'est', '预计等候约 ' + tk.estimated_wait_min + ' 分钟'));
			if (tk.class === 'appointment')
				return ['排队等候中', parts,
					'预约号在预约时段临近时优先叫号，请留意大厅显示屏和广播。'];
			return ['排队等候中', parts, '叫号时请留意大厅显示屏和广播；过号需重新取号。'];
		}
		case 'called':
			return ['轮到您了', [windowLine(w, '请到 ', ' 号窗口')], '请尽快前往，工作人员正在等候。'];
		case 'serving':
			return ['正在办理', [windowLine(w, '', ' 号窗口办理中')], ''];
		case 'held':
			return ['业务挂起', [HQ.el('span', '', '请按工作人员要求补齐材料后回到 ' +
				(w ?? '原') + ' 号窗口')], ''];
		case 'finished':
			return ['业务已办结', [HQ.el('span', '', '感谢您的耐心等候')], '欢迎对本次服务进行评价。'];
		case 'no_show':
			return ['已过号', [HQ.el('span', '', '本号已失效，请重新取号')], ''];
		case 'cancelled':
			return ['已取消', [HQ.el('span', '', '本号已取消')], ''];
		case 'expired':
			return ['已过期', [HQ.el('span', '', '本号已过期，请重新取号')], ''];
		default:
			return [String(tk.state || '未知状态'), [], ''];
		}
	}

	/* "预约号 · 预约时段 09:30" for an appointment ticket; hidden for others. */
	function drawSlot(tk) {
		const appt = document.getElementById('appt');
		const slot = tk.class === 'appointment' ? Date.parse(tk.slot || '') : NaN;
		appt.hidden = isNaN(slot);
		appt.textContent = isNaN(slot) ? '' : '预约号 · 预约时段 ' + HQ.timeText(slot, false);
	}

	function draw(tk) {
		HQ.setText('number', tk.number || '—');
		HQ.setText('service', tk.service_name || '');
		drawSlot(tk);
		document.title = (tk.number || '') + ' · 我的排队号';
		const [status, detail, note] = describe(tk);
		show(tk.state || 'unknown', status, detail, note);
		if (tk.state === 'called' && lastState !== 'called' && navigator.vibrate)
			navigator.vibrate([300, 150, 300]);
		lastState = tk.state;
	}

	async function poll() {
		timer = null;
		let again = true;
		try {
			const r = await HQ.api('GET', '/api/v1/tickets/' + encodeURIComponent(t));
			const tk = (r && r.ticket) || {};
			HQ.clock.zoneFrom(tk.issued_at);
			draw(tk);
			HQ.setText('updated', HQ.timeText(Date.now()));
			again = !FINAL.includes(tk.state);
		} catch (e) {
			if (e.status === 404) {
				show('unknown', '未找到这张号票', '二维码仅当天有效；请核对号票，或到取号机重新取号。');
				HQ.setText('number', '—');
				again = false;
			} else if (e.status === 0) {
				HQ.setText('note', '网络连接中断，正在重试…');
			} else {
				HQ.setText('note', '查询失败：' + HQ.errorText(e) + '，正在重试…');
			}
		}
		if (again)
			timer = setTimeout(poll, POLL_MS);
	}

	if (!t) {
		show('unknown', '缺少号票参数', '请扫描号票上的二维码打开本页。');
		return;
	}
	/* a phone back from sleep asks at once instead of waiting for the timer */
	document.addEventListener('visibilitychange', () => {
		if (document.visibilityState === 'visible' && timer) {
			clearTimeout(timer);
			poll();
		}
	});
	poll();
})();
