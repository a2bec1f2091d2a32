/*
 * browser.js — the web pages in a headless Chromium (playwright-core),
 * against a running hostd; tests/web/test_web.py starts it.
 *
 * usage: node browser.js BASE_URL TOKENS_JSON SCREENSHOT_DIR
 *   TOKENS_JSON: {"kiosk": T, "window": T (window 1), "display": T, "admin": T}
 *
 * Prints TAP-like "ok N - ..." / "not ok N - ..." lines and exits 1 when
 * any check fails. Halfway it prints "RESTART-HOSTD" and waits for one
 * line on stdin ("restarted" or "failed") from the driver.
 * Staff of window 1 in the harness's hall: id 1001, PIN 2222.
 */
'use strict';

const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const [base, tokensJson, shotDir] = process.argv.slice(2);
const tok = JSON.parse(tokensJson || '{}');
const STAFF = { staff: '1001', pin: '2222' };
const CALL_LATENCY_MS = 1000;

let count = 0;
let failed = 0;

function ok(cond, what, detail) {
	count++;
	if (cond) {
		console.log('ok ' + count + ' - ' + what);
	} else {
		failed++;
		console.log('not ok ' + count + ' - ' + what);
		if (detail)
			console.log('# ' + String(detail).split('\n').join('\n# '));
	}
	return !!cond;
}

/* Runs one check whose failure is an exception (a timeout of a wait). */
async function check(what, fn) {
	try {
		const r = await fn();
		return ok(r !== false, what);
	} catch (e) {
		return ok(false, what, e && e.message ? e.message.split('\n')[0] : e);
	}
}

async function api(method, p, token, body) {
	const init = { method: method, headers: {} };
	if (token)
		init.headers.Authorization = 'Bearer ' + token;
	if (method !== 'GET') {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body || {});
	}
	const res = await fetch(base + p, init);
	const text = await res.text();
	let json = null;
	try {
		json = JSON.parse(text);
	} catch (e) {
		json = null;
	}
	return { status: res.status, json: json, text: text };
}

function must(r, status, what) {
	if (r.status !== status)
		throw new Error(what + ': HTTP ' + r.status + ' ' + r.text);
	return r.json;
}

async function issue(service) {
	const r = await api('POST', '/api/v1/tickets', tok.kiosk, { service: service });
	return must(r, 201, 'POST /api/v1/tickets').ticket;
}

async function windowOp(op, body) {
	return must(await api('POST', '/api/v1/windows/1/' + op, tok.window, body), 200,
		'POST /api/v1/windows/1/' + op);
}

async function window1() {
	const s = must(await api('GET', '/api/v1/state', tok.admin), 200, 'GET /api/v1/state');
	return s.windows.find((w) => w.number === 1) || {};
}

/* Polls the API until window 1 is in state (and holds current, if given). */
async function waitWindow(state, current, timeoutMs) {
	const end = Date.now() + (timeoutMs || 2000);
	let w = {};
	while (Date.now() < end) {
		w = await window1();
		if (w.state === state && (current === undefined || w.current === current))
			return w;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error('window 1 is ' + JSON.stringify(w) + ', expected state ' + state +
		(current !== undefined ? ' current ' + current : ''));
}

function shot(page, name) {
	return page.screenshot({ path: path.join(shotDir, name) });
}

/* hall.html's call box says 请 NUM 号 到 W 号窗口. */
function callShown(args) {
	const e = document.getElementById('call-text');
	return !!e && e.dataset.ticket === args[0] && e.dataset.window === args[1] &&
		e.textContent.includes('请 ' + args[0] + ' 号 到 ' + args[1] + ' 号窗口');
}

function tileShows(args) {
	const t = document.querySelector('.tile[data-window="' + args[0] + '"]');
	return !!t && t.textContent.includes(args[1]);
}

async function layoutFits(page, width, height) {
	const m = await page.evaluate(() => ({
		sw: document.documentElement.scrollWidth,
		sh: document.documentElement.scrollHeight,
		call: document.getElementById('call-text').getBoundingClientRect().right,
	}));
	ok(m.sw <= width, 'hall.html at ' + width + '×' + height + ': no horizontal overflow (scrollWidth ' +
		m.sw + ')');
	ok(m.sh <= height, 'hall.html at ' + width + '×' + height + ': no vertical scrolling (scrollHeight ' +
		m.sh + ')');
	ok(m.call <= width, 'hall.html at ' + width + '×' + height + ': the call text is on screen (right ' +
		Math.round(m.call) + ')');
}

/* Makes a call through the API and measures until hall.html shows it. */
async function callAndMeasure(page, what) {
	const t = await issue('s0');
	const r = await windowOp('call-next');
	const answered = Date.now();
	ok(r.ticket && r.ticket.number === t.number, what + ': call-next calls ' + t.number,
		JSON.stringify(r));
	let ms = null;
	await check(what + ': hall.html shows 请 ' + t.number + ' 号 到 1 号窗口 within ' +
		CALL_LATENCY_MS + ' ms of the API answer', async () => {
		await page.waitForFunction(callShown, [t.number, '1'], { timeout: CALL_LATENCY_MS, polling: 'raf' });
		ms = Date.now() - answered;
		console.log('# call→display latency: ' + ms + ' ms');
	});
	return t;
}

async function hallChecks(browser) {
	const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
	watch(page, 'hall.html');
	must(await api('POST', '/api/v1/windows/1/login', tok.window, STAFF), 200, 'login window 1');
	await page.goto(base + '/hall.html?token=' + encodeURIComponent(tok.display));
	await check('hall.html reads the state and opens the event stream', () =>
		page.waitForSelector('body[data-live=open]', { timeout: 10000 }));
	await check('hall.html shows the hall name from the state', async () =>
		(await page.textContent('#hall-name')) === '测试政务服务中心');
	await check('hall.html styles apply (hall.css served and used)', async () =>
		(await page.evaluate(() => getComputedStyle(document.body).overflow)) === 'hidden');

	const t1 = await callAndMeasure(page, 'hall');
	await check('the new call flashes', () =>
		page.waitForSelector('#call.flash', { timeout: 1000 }));
	await check('the last calls list ' + t1.number + ' first', () =>
		page.waitForFunction((n) => {
			const li = document.querySelector('#recent li');
			return !!li && li.textContent.includes(n) && li.textContent.includes('1 号窗口');
		}, t1.number, { timeout: 2000 }));
	await check('window 1 shows ' + t1.number + ' 呼叫中', () =>
		page.waitForFunction(tileShows, ['1', t1.number], { timeout: 2000 }).then(() =>
			page.waitForFunction(tileShows, ['1', '呼叫中'], { timeout: 2000 })));
	await issue('s0');
	await check('a new ticket shows in the waiting count of 企业注册 (1 人)', () =>
		page.waitForFunction(() => {
			const td = document.querySelector('tr[data-service=s0] td.waiting');
			return !!td && td.textContent.trim() === '1 人';
		}, null, { timeout: 2000 }));
	await check('the clock ticks', async () => {
		const a = await page.textContent('#clock');
		await page.waitForFunction((x) => document.getElementById('clock').textContent !== x, a,
			{ timeout: 2500 });
	});
	await layoutFits(page, 1920, 1080);
	await shot(page, 'hall-landscape.png');
	await page.setViewportSize({ width: 1080, height: 1920 });
	await page.waitForTimeout(300);
	await layoutFits(page, 1080, 1920);
	await check('portrait: the call text is still shown', () =>
		page.waitForFunction(callShown, [t1.number, '1'], { timeout: 1000 }));
	await shot(page, 'hall-portrait.png');
	await page.setViewportSize({ width: 1920, height: 1080 });

	/* leave window 1 logged out and the queue empty for window.html */
	await windowOp('finish');
	await windowOp('call-next');
	await windowOp('finish');
	await windowOp('logout');
	return page;
}

async function windowChecks(browser) {
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	watch(page, 'window.html');
	await page.goto(base + '/window.html?token=' + encodeURIComponent(tok.window) + '&window=1');
	await check('window.html shows the login form for a logged-out window', () =>
		page.waitForSelector('#login-form', { state: 'visible', timeout: 10000 }));
	await page.fill('#staff-id', STAFF.staff);
	await page.fill('#pin', STAFF.pin);
	await page.click('#btn-login');
	await check('login through the page: the API shows window 1 idle', () => waitWindow('idle'));
	await check('the page shows the desk after login', () =>
		page.waitForSelector('#btn-next', { state: 'visible', timeout: 2000 }));

	await page.click('#btn-next');
	await check('呼叫下一位 with nobody waiting shows the refusal code NO_TICKET_WAITING', () =>
		page.waitForFunction(() => {
			const m = document.getElementById('message');
			return m.textContent.includes('NO_TICKET_WAITING') && m.classList.contains('error');
		}, null, { timeout: 2000 }));

	const t = await issue('s1');
	await page.click('#btn-next');
	await check('呼叫下一位: the API shows window 1 called with ' + t.number, () =>
		waitWindow('called', t.number));
	await check('the page shows ' + t.number + ' as the current ticket', () =>
		page.waitForFunction((n) => document.getElementById('cur-number').textContent === n,
			t.number, { timeout: 2000 }));
	await check('the page shows the current ticket\'s waiting time', () =>
		page.waitForFunction(() => /分/.test(document.getElementById('cur-wait').textContent),
			null, { timeout: 2000 }));

	await page.click('#btn-start');
	await check('开始办理: the API shows window 1 serving ' + t.number, () =>
		waitWindow('serving', t.number));
	await check('the page shows the window serving (办理中)', () =>
		page.waitForFunction(() => document.getElementById('wstate').textContent === '办理中',
			null, { timeout: 2000 }));
	await shot(page, 'window.png');

	await page.click('#btn-finish');
	await check('办理完成: the API shows window 1 idle', () => waitWindow('idle'));
	await check('the page shows no current ticket', () =>
		page.waitForFunction(() => document.getElementById('cur-number').textContent === '—',
			null, { timeout: 2000 }));
	await page.close();
}

async function ticketChecks(browser, hallPage) {
	const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true,
		hasTouch: true, deviceScaleFactor: 2 });
	watch(page, 'ticket.html');
	const t = await issue('s2');
	const now = must(await api('GET', '/api/v1/tickets/' + t.token), 200, 'GET /api/v1/tickets');
	const ahead = now.ticket.people_ahead;
	await page.goto(base + '/ticket.html?t=' + encodeURIComponent(t.token));
	await check('ticket.html shows the number ' + t.number, () =>
		page.waitForFunction((n) => document.getElementById('number').textContent === n,
			t.number, { timeout: 5000 }));
	ok(await page.evaluate(() => document.getElementById('appt').hidden),
		'ticket.html shows no appointment slot for a normal ticket');
	await check('ticket.html shows its position: 前面还有 ' + ahead + ' 人', () =>
		page.waitForFunction((a) => document.getElementById('detail').textContent
			.replace(/\s+/g, '').includes('前面还有' + a + '人'), ahead, { timeout: 2000 }));
	const r = await windowOp('call-next');
	ok(r.ticket && r.ticket.number === t.number, 'ticket: call-next calls ' + t.number,
		JSON.stringify(r));
	await check('ticket.html shows 请到 1 号窗口 within 7 s', () =>
		page.waitForFunction(() => document.getElementById('detail').textContent
			.replace(/\s+/g, '') === '请到1号窗口', null, { timeout: 7000 }));
	await shot(page, 'ticket.png');
	await check('hall.html meanwhile shows the call of ' + t.number, () =>
		hallPage.waitForFunction(callShown, [t.number, '1'], { timeout: 1000 }));
	await windowOp('finish');
	await page.goto(base + '/ticket.html?t=00000000000000000000');
	await check('ticket.html says an unknown token is not found', () =>
		page.waitForFunction(() => document.getElementById('status').textContent.includes('未找到'),
			null, { timeout: 5000 }));
	await page.close();
}

/* A booking of s1 checked in at the kiosk: its ticket's page shows the
 * slot (docs/api.md, "Appointments"). */
async function appointmentChecks(browser) {
	const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true,
		hasTouch: true, deviceScaleFactor: 2 });
	watch(page, 'ticket.html (appointment)');
	const today = must(await api('GET', '/api/v1/appointments'), 200,
		'GET /api/v1/appointments').today;
	const slots = must(await api('GET', '/api/v1/slots?service=s1&date=' + today), 200,
		'GET /api/v1/slots').slots;
	const slot = slots.find((s) => s.open);
	if (!slot) {
		console.log('# no slot of s1 left before midnight: the appointment page is not checked');
		await page.close();
		return;
	}
	const b = must(await api('POST', '/api/v1/bookings', null, {
		service: 's1', slot: slot.slot, phone: '13912345678',
		idempotency_key: 'web-test-' + Date.now(),
	}), 201, 'POST /api/v1/bookings').booking;
	const r = must(await api('POST', '/api/v1/bookings/' + b.code + '/check-in', tok.kiosk),
		201, 'POST /api/v1/bookings/CODE/check-in');
	ok(r.ticket.class === 'appointment', 'the check-in gives an appointment ticket',
		JSON.stringify(r.ticket));
	await page.goto(base + '/ticket.html?t=' + encodeURIComponent(r.ticket.token));
	await check('ticket.html shows the appointment ' + r.ticket.number + ' and its slot ' +
		slot.start, () => page.waitForFunction((st) => {
			const a = document.getElementById('appt');
			return !a.hidden && a.textContent === '预约号 · 预约时段 ' + st;
		}, slot.start, { timeout: 5000 }));
	await shot(page, 'ticket-appointment.png');
	/* served, so that the checks after find the queue as they left it */
	await windowOp('call-ticket', { ticket: r.ticket.number });
	await windowOp('finish');
	await page.close();
}

async function askDriver(lines) {
	console.log('RESTART-HOSTD');
	const line = await lines.next();
	return line.done ? 'eof' : line.value.trim();
}

async function reconnectChecks(hallPage, lines) {
	const dropped = hallPage.waitForSelector('body[data-live=no]', { timeout: 10000 })
		.then(() => true, () => false);
	const answer = await askDriver(lines);
	ok(answer === 'restarted', 'the driver restarted hostd', answer);
	ok(await dropped, 'hall.html notices that hostd went away (连接中断)');
	/* called before the page is back: it must come from reading the state again */
	/* hostd restores the day: window 1 is still logged in and idle */
	if ((await window1()).state === 'logged_out')
		must(await api('POST', '/api/v1/windows/1/login', tok.window, STAFF), 200, 'login after restart');
	const t = await issue('s0');
	must(await api('POST', '/api/v1/windows/1/call-next', tok.window), 200, 'call-next after restart');
	await check('hall.html reconnects by itself', () =>
		hallPage.waitForSelector('body[data-live=open]', { timeout: 15000 }));
	await check('after the restart window 1 shows ' + t.number + ' (state read again)', () =>
		hallPage.waitForFunction(tileShows, ['1', t.number], { timeout: 3000 }));
	await windowOp('finish');
	await callAndMeasure(hallPage, 'after the restart');
}

let pageErrors = [];

function watch(page, name) {
	page.on('pageerror', (e) => pageErrors.push(name + ': ' + e.message));
}

async function main() {
	const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
	const browser = await chromium.launch({
		executablePath: process.env.HALLQ_CHROMIUM || '/usr/bin/chromium',
		headless: true,
	});
	try {
		const hallPage = await hallChecks(browser);
		await windowChecks(browser);
		await ticketChecks(browser, hallPage);
		await appointmentChecks(browser);
		await reconnectChecks(hallPage, lines);
		ok(pageErrors.length === 0, 'no JavaScript errors on the pages', pageErrors.join('\n'));
	} finally {
		await browser.close();
	}
}

main().then(() => {
	console.log('1..' + count);
	process.exit(failed ? 1 : 0);
}, (e) => {
	console.log('not ok - ' + (e && e.stack ? e.stack : e));
	console.log('1..' + count);
	process.exit(1);
});
