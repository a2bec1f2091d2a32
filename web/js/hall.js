/*
 * hall.js — the hall display (综合屏): hall.html?token=DISPLAY_TOKEN.
 *
 * Keeps the hall's state from HQ.Live (GET /api/v1/state, then the event
 * stream) and draws it: the newest call large, flashing for a few seconds
 * when it is new; the last calls; every window's number and state; the
 * waiting count and estimated wait of each service; date and clock.
 */
'use strict';

(function () {
	const FLASH_MS = 6000;
	const MAX_RECENT = 10;
	const REFRESH_AFTER_TICKET_MS = 2000;
	const PRINTER_TEXT = {
		near_end: '纸将用完', paper_out: '缺纸', cover_open: '机盖打开', offline: '离线',
		unknown: '状态未知',
	};

	const token = HQ.param('token');
	const hall = {
		services: [],   /* as the state gives them, in order */
		windows: [],
		recent: [],     /* newest first */
		devices: [],
	};
	let shownCallKey = null;
	let flashTimer = null;
	let refreshTimer = null;
	let live = null;

	/* The name of a call's service: by id (call events), else by the
	 * ticket number's prefix letter (the state's recent calls). */
	function serviceName(call) {
		const s = hall.services.find((x) => x.id === call.service) ||
			hall.services.find((x) => x.prefix && String(call.ticket).startsWith(x.prefix));
		return s ? s.name : '';
	}

	function callKey(c) {
		return c ? c.ticket + '@' + c.window + '@' + c.at + (c.recall ? 'r' : '') : null;
	}

	/* ---- drawing ---- */

	function drawCall(flash) {
		const c = hall.recent[0];
		const box = document.getElementById('call');
		const text = document.getElementById('call-text');
		if (!c) {
			box.classList.add('idle');
			text.textContent = '欢迎光临，请取号等候';
			HQ.setText('call-sub', '');
			HQ.setText('call-label', '当前呼叫');
			shownCallKey = null;
			return;
		}
		box.classList.remove('idle');
		text.replaceChildren('请 ', HQ.el('b', 'num', c.ticket), ' 号 到 ',
			HQ.el('b', 'win', c.window), ' 号窗口');
		text.dataset.ticket = c.ticket;
		text.dataset.window = String(c.window);
		HQ.setText('call-label', c.recall ? '重复呼叫' : '当前呼叫');
		const name = serviceName(c);
		HQ.setText('call-sub', name ? name + (c.at ? ' · ' + timeOf(c.at) : '') : '');
		const key = callKey(c);
		if (flash && key !== shownCallKey) {
			box.classList.remove('flash');
			void box.offsetWidth; /* restart the animation */
			box.classList.add('flash');
			clearTimeout(flashTimer);
			flashTimer = setTimeout(() => box.classList.remove('flash'), FLASH_MS);
		}
		shownCallKey = key;
	}

	function timeOf(iso) {
		const t = Date.parse(iso || '');
		return isNaN(t) ? '' : HQ.timeText(t, false);
	}

	function drawRecent() {
		const list = document.getElementById('recent');
		const items = hall.recent.slice(0, MAX_RECENT).map((c, i) => {
			const li = HQ.el('li', i === 0 ? 'newest' : '');
			li.append(HQ.el('span', 'num', c.ticket), HQ.el('span', 'arrow', '→'),
				HQ.el('span', 'win', c.window + ' 号窗口'), HQ.el('span', 'at', timeOf(c.at)));
			if (c.recall)
				li.append(HQ.el('span', 'tag', '重呼'));
			return li;
		});
		if (!items.length)
			items.push(HQ.el('li', 'empty', '暂无呼叫'));
		list.replaceChildren(...items);
	}

	function drawWindows() {
		const grid = document.getElementById('windows');
		const tiles = hall.windows.map((w) => {
			const tile = HQ.el('div', 'tile state-' + w.state);
			tile.dataset.window = String(w.number);
			tile.append(HQ.el('div', 'tile-name', w.name || w.number + '号窗口'));
			const showNum = w.current && (w.state === 'called' || w.state === 'serving');
			tile.append(HQ.el('div', 'tile-num', showNum ? w.current : '—'));
			tile.append(HQ.el('div', 'tile-state', HQ.WINDOW_STATE_TEXT[w.state] || w.state || ''));
			return tile;
		});
		grid.replaceChildren(...tiles);
	}

	function drawServices() {
		const body = document.getElementById('services');
		const rows = hall.services.map((s) => {
			const tr = HQ.el('tr', s.open === false ? 'closed' : '');
			tr.dataset.service = s.id;
			tr.append(HQ.el('td', 'name', s.name));
			tr.append(HQ.el('td', 'waiting', (s.waiting ?? 0) + ' 人'));
			const est = s.estimated_wait_min;
			tr.append(HQ.el('td', 'est', est === null || est === undefined ? '—' : est + ' 分钟'));
			const closed = s.open === false;
			tr.append(HQ.el('td', 'open', closed ? (HQ.REFUSAL_TEXT[s.refusal] || '暂停取号') : '可取号'));
			return tr;
		});
		body.replaceChildren(...rows);
	}

	function drawDevices() {
		const bad = [];
		for (const d of hall.devices) {
			if (d.online === false)
				bad.push(d.id + ' 离线');
			else if (d.printer && d.printer !== 'ok')
				bad.push(d.id + ' 打印机' + (PRINTER_TEXT[d.printer] || d.printer));
		}
		HQ.setText('devices', bad.length ? '设备提示：' + bad.join('，') : '');
	}

	function drawAll(flash) {
		drawCall(flash);
		drawRecent();
		drawWindows();
		drawServices();
		drawDevices();
	}

	function tick() {
		const now = HQ.clock.nowMs();
		HQ.setText('date', HQ.dateText(now));
		HQ.setText('clock', HQ.timeText(now));
	}

	/* ---- what the server says ---- */

	function onState(s) {
		if (s.hall) {
			HQ.setText('hall-name', s.hall);
			document.title = s.hall + ' · 综合屏';
		}
		hall.services = s.services || [];
		hall.windows = (s.windows || []).slice().sort((a, b) => a.number - b.number);
		hall.recent = (s.recent_calls || []).slice(0, MAX_RECENT);
		hall.devices = s.devices || [];
		drawAll(false);
		tick();
	}

	function mergeBy(list, key, obj) {
		const i = list.findIndex((x) => x[key] === obj[key]);
		if (i >= 0)
			list[i] = Object.assign({}, list[i], obj);
		else
			list.push(obj);
	}

	function onCall(data, recall) {
		const c = { ticket: data.ticket, window: data.window, service: data.service,
			at: data.at, recall: recall };
		hall.recent.unshift(c);
		hall.recent.length = Math.min(hall.recent.length, MAX_RECENT);
		const w = hall.windows.find((x) => x.number === data.window);
		if (w) {
			w.current = data.ticket;
			w.state = 'called';
		}
		drawCall(true);
		drawRecent();
		drawWindows();
	}

	const onEvent = {
		call: (d) => onCall(d, false),
		recall: (d) => onCall(d, true),
		window: (d) => {
			mergeBy(hall.windows, 'number', d);
			hall.windows.sort((a, b) => a.number - b.number);
			drawWindows();
		},
		queue: (d) => {
			for (const s of d.services || [])
				mergeBy(hall.services, 'id', s);
			drawServices();
		},
		device: (d) => {
			mergeBy(hall.devices, 'id', d);
			drawDevices();
		},
		ticket: () => {
			/* issued, transferred, finished…: counts the events do not carry
			 * (quota, open) follow from a state read soon after */
			clearTimeout(refreshTimer);
			refreshTimer = setTimeout(() => live.loadState(), REFRESH_AFTER_TICKET_MS);
		},
	};

	function onStatus(isLive, err) {
		document.body.dataset.live = isLive ? 'open' : 'no';
		const conn = document.getElementById('conn');
		conn.textContent = isLive ? '● 实时' : '● 连接中断，正在重连…';
		conn.className = 'conn ' + (isLive ? 'ok' : 'bad');
		if (err)
			HQ.setText('message', HQ.errorText(err));
		else if (isLive)
			HQ.setText('message', '');
	}

	tick();
	setInterval(tick, 1000);
	if (!token) {
		onStatus(false, null);
		HQ.setText('message', '缺少参数：请用 hall.html?token=显示屏令牌 打开本页');
		return;
	}
	live = new HQ.Live(token, {
		state: onState,
		event: (name, data) => onEvent[name] && onEvent[name](data),
		status: onStatus,
	});
	live.start();
})();
