/*
 * book.js — book.html in a headless Chromium (playwright-core) against a
 * hostd on its simulated clock from Mon 2026-11-30 08:00; started by
 * tests/web/test_book.py, whose hall it expects: s0 (企业注册) optional
 * 30-minute slots of 2 places, 2 days ahead, closing 30 minutes before;
 * s1 no appointments; s2 (人才服务) required 60-minute slots of 1 place,
 * 1 day ahead; sessions 08:30–11:30 and 14:30–17:30 on weekdays.
 *
 * usage: node book.js BASE_URL TOKENS_JSON SCREENSHOT_DIR   ({"admin": T})
 *
 * Prints "ok N - ..." / "not ok N - ..." lines, and "# booked CODE" for
 * the booking the page made (the driver finds it in the database); exits
 * 1 when any check fails. The page's phone numbers are 13900000001 and
 * 13900000002; the places taken behind the page's back use 1390000010N.
 */
'use strict';

const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const [base, tokensJson, shotDir] = process.argv.slice(2);
const tok = JSON.parse(tokensJson || '{}');
const PHONE = '13900000001';
const MASK = '139****0001';
const PHONE2 = '13900000002';
const PHONE_W = 375;
const PHONE_H = 667;

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

let other = 100;
/* Books a place of s0 behind the page's back, with another phone. */
async function bookAside(slot) {
	other++;
	const r = await api('POST', '/api/v1/bookings', null, {
		service: 's0', slot: slot, phone: '139' + String(other).padStart(8, '0'),
		idempotency_key: 'aside-' + other,
	});
	if (r.status !== 201)
		throw new Error('booking ' + slot + ' aside: HTTP ' + r.status + ' ' + r.text);
	return r.json.booking;
}

function watch(page) {
	page.on('pageerror', (e) => ok(false, 'book.html runs without a script error', e.message));
	page.on('dialog', (d) => d.accept()); /* 确定取消预约 …？ */
}

async function noOverflow(page, what) {
	const m = await page.evaluate(() => ({
		sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth,
	}));
	ok(m.sw <= PHONE_W && m.sw <= m.cw, what + ': no horizontal overflow at ' + PHONE_W + '×' +
		PHONE_H + ' (scrollWidth ' + m.sw + ')');
}

const attr = (page, sel, name) => page.$$eval(sel, (es, n) => es.map((e) => e.dataset[n]), name);

async function formChecks(browser) {
	const page = await browser.newPage({ viewport: { width: PHONE_W, height: PHONE_H },
		deviceScaleFactor: 2, isMobile: true, hasTouch: true });
	watch(page);
	await page.goto(base + '/book.html');
	await check('book.html lists the services that take bookings: s0 and s2', async () => {
		await page.waitForSelector('#services .choice', { timeout: 10000 });
		const got = await attr(page, '#services .choice', 'service');
		return JSON.stringify(got) === '["s0","s2"]' || (console.log('# ' + got), false);
	});
	await check('the required service says 必须预约', async () =>
		(await page.textContent('#services .choice[data-service=s2]')).includes('必须预约'));
	await page.click('#services .choice[data-service=s0]');
	await check('s0 offers today and 2 days ahead: 11-30, 12-01, 12-02', async () => {
		const got = await attr(page, '#dates .choice', 'date');
		return JSON.stringify(got) === '["2026-11-30","2026-12-01","2026-12-02"]' ||
			(console.log('# ' + got), false);
	});
	await check('today is named 今天 11月30日 周一', async () =>
		(await page.textContent('#dates .choice[data-date="2026-11-30"]')) === '今天 11月30日 周一');

	/* 09:30 filled behind the page's back before it reads the slots */
	await bookAside('2026-11-30T09:30');
	await bookAside('2026-11-30T09:30');
	await page.click('#dates .choice[data-date="2026-11-30"]');
	await page.waitForSelector('#slots .choice', { timeout: 5000 });
	const slots = await page.$$eval('#slots .choice', (es) => es.map((e) =>
		[e.dataset.slot, e.disabled, e.textContent]));
	const starts = ['08:30', '09:00', '09:30', '10:00', '10:30', '11:00',
		'14:30', '15:00', '15:30', '16:00', '16:30', '17:00'];
	ok(JSON.stringify(slots.map((s) => s[0])) ===
		JSON.stringify(starts.map((t) => '2026-11-30T' + t)),
	'the day\'s 12 slots of 30 minutes in the two sessions', JSON.stringify(slots));
	const by = Object.fromEntries(slots.map((s) => [s[0].slice(11), s]));
	ok(by['08:30'] && by['08:30'][1] && by['08:30'][2].includes('已截止'),
		'08:30 is greyed: 已截止 (it closed at 08:00)', JSON.stringify(by['08:30']));
	ok(by['09:30'] && by['09:30'][1] && by['09:30'][2].includes('已约满'),
		'09:30, full, is greyed: 已约满', JSON.stringify(by['09:30']));
	ok(by['09:00'] && !by['09:00'][1] && by['09:00'][2] === '09:00–09:30余 2 个',
		'09:00 is open with its 2 places free', JSON.stringify(by['09:00']));
	await check('a greyed slot cannot be picked', async () => {
		await page.click('#slots .choice[data-slot="2026-11-30T09:30"]', { force: true });
		return !(await page.$('#slots .choice.selected'));
	});

	await page.click('#slots .choice[data-slot="2026-11-30T09:00"]');
	await page.fill('#phone', '12345678901');
	await check('a number the API would refuse (12…) is said so and cannot be sent', async () =>
		(await page.isDisabled('#submit')) &&
		(await page.textContent('#form-msg')).includes('手机号码格式不正确'));
	await page.fill('#phone', PHONE);
	ok(!(await page.isDisabled('#submit')), 'a mainland mobile number can be sent');
	await noOverflow(page, 'the form');
	await page.screenshot({ path: path.join(shotDir, 'book-form-375x667.png'), fullPage: true });

	/* a double tap: the second tap either finds the button greyed or
	 * sends the same idempotency key */
	await page.evaluate(() => {
		const b = document.getElementById('submit');
		b.click();
		b.disabled = false;
		b.click();
	});
	let code = '';
	await check('the booking code is shown, 8 digits, large', async () => {
		await page.waitForSelector('#booking:not([hidden])', { timeout: 5000 });
		code = (await page.textContent('#code')).trim();
		const px = await page.$eval('#code', (e) => parseFloat(getComputedStyle(e).fontSize));
		return /^[0-9]{8}$/.test(code) && px >= 40;
	});
	console.log('# booked ' + code);
	ok(page.url() === base + '/book.html?code=' + code, 'the address becomes book.html?code=' + code,
		page.url());
	ok((await page.textContent('#b-slot')) === '今天 11月30日 周一 09:00–09:30' &&
		(await page.textContent('#b-phone')) === MASK &&
		(await page.textContent('#state')) === '已预约',
	'the page shows the slot, the masked phone and 已预约');
	const r = await api('GET', '/api/v1/bookings/' + code);
	const b = (r.json && r.json.booking) || {};
	ok(r.status === 200 && b.state === 'booked' && b.phone === MASK && b.service === 's0' &&
		b.slot === '2026-11-30T09:00', 'the API has ' + code + ': booked, s0 09:00, ' + MASK,
	r.text);
	const list = await api('GET', '/api/v1/bookings?date=2026-11-30', tok.admin);
	const mine = ((list.json && list.json.bookings) || []).filter((x) => x.phone === MASK);
	ok(mine.length === 1, 'the double tap booked once', list.text);
	ok((await page.getAttribute('#link', 'href')) === base + '/book.html?code=' + code,
		'the link is the booking\'s url');

	await check('the QR code on the page reads (zbarimg) as the booking\'s url', async () => {
		await page.waitForFunction(() => {
			const q = document.getElementById('qr');
			return q && !q.hidden && q.complete && q.naturalWidth > 0;
		}, null, { timeout: 5000 });
		const file = path.join(shotDir, 'book-qr.png');
		await page.locator('#qr').screenshot({ path: file });
		const text = execFileSync('zbarimg', ['--raw', '-q', file]).toString().trim();
		return text === base + '/book.html?code=' + code || (console.log('# read ' + text), false);
	});
	await noOverflow(page, 'the booking');
	await page.screenshot({ path: path.join(shotDir, 'book-done-375x667.png'), fullPage: true });
	await page.close();
	return code;
}

async function slotFullChecks(browser) {
	const page = await browser.newPage({ viewport: { width: PHONE_W, height: PHONE_H } });
	watch(page);
	await page.goto(base + '/book.html');
	await page.waitForSelector('#services .choice', { timeout: 10000 });
	await page.click('#services .choice[data-service=s0]');
	await page.click('#dates .choice[data-date="2026-11-30"]');
	await page.waitForSelector('#slots .choice[data-slot="2026-11-30T10:00"]', { timeout: 5000 });
	await page.click('#slots .choice[data-slot="2026-11-30T10:00"]');
	await page.fill('#phone', PHONE);
	/* 10:00 fills while the page shows it open */
	await bookAside('2026-11-30T10:00');
	await bookAside('2026-11-30T10:00');
	await page.click('#submit');
	await check('the same phone again that day: 该手机号当天已预约过此业务…（ALREADY_BOOKED）',
		async () => {
			await page.waitForFunction(() =>
				document.getElementById('form-msg').textContent.includes('ALREADY_BOOKED'), null,
			{ timeout: 5000 });
			return (await page.textContent('#form-msg')) ===
				'该手机号当天已预约过此业务，不能重复预约（ALREADY_BOOKED）';
		});
	await page.fill('#phone', PHONE2);
	await page.click('#submit');
	await check('a slot filled meanwhile is refused: 该时段已约满…（SLOT_FULL）', async () => {
		await page.waitForFunction(() =>
			document.getElementById('form-msg').textContent.includes('SLOT_FULL'), null,
		{ timeout: 5000 });
		return (await page.textContent('#form-msg')) === '该时段已约满，请选择其他时段（SLOT_FULL）';
	});
	await check('and 10:00 is then greyed as 已约满', async () => {
		await page.waitForFunction(() => {
			const b = document.querySelector('#slots .choice[data-slot="2026-11-30T10:00"]');
			return b && b.disabled && b.textContent.includes('已约满');
		}, null, { timeout: 5000 });
	});
	await page.close();
}

async function cancelChecks(browser, code) {
	const page = await browser.newPage({ viewport: { width: PHONE_W, height: PHONE_H } });
	watch(page);
	await page.goto(base + '/book.html?code=' + code);
	await check('book.html?code= shows the booking with 取消预约', async () => {
		await page.waitForSelector('#cancel:not([hidden])', { timeout: 5000 });
		return (await page.textContent('#code')) === code && await page.isHidden('#form');
	});
	await noOverflow(page, 'book.html?code=');
	await page.click('#cancel');
	await check('取消预约 cancels: the page says 已取消', async () => {
		await page.waitForFunction(() => document.getElementById('state').textContent === '已取消',
			null, { timeout: 5000 });
		return await page.isHidden('#cancel');
	});
	const r = await api('GET', '/api/v1/bookings/' + code);
	ok(r.status === 200 && r.json.booking.state === 'cancelled', 'the API says cancelled', r.text);
	const s = await api('GET', '/api/v1/slots?service=s0&date=2026-11-30');
	const nine = ((s.json && s.json.slots) || []).find((x) => x.start === '09:00') || {};
	ok(nine.free === 2, 'its place at 09:00 is free again (2 of 2)', JSON.stringify(nine));

	await page.goto(base + '/book.html?code=00000000');
	await check('an unknown code: 未找到该预约…（NOT_FOUND）', async () => {
		await page.waitForFunction(() =>
			document.getElementById('lookup-msg').textContent.includes('NOT_FOUND'), null,
		{ timeout: 5000 });
		return (await page.textContent('#lookup-msg')).startsWith('未找到该预约');
	});
	await page.close();
}

(async () => {
	const browser = await chromium.launch({
		executablePath: process.env.HALLQ_CHROMIUM || '/usr/bin/chromium',
		headless: true,
	});
	try {
		const code = await formChecks(browser);
		await slotFullChecks(browser);
		if (code)
			await cancelChecks(browser, code);
		else
			ok(false, 'no booking to cancel');
	} catch (e) {
		ok(false, 'book.html checks ran to the end', e && e.stack ? e.stack : e);
	} finally {
		await browser.close();
	}
	console.log('1..' + count);
	process.exit(failed ? 1 : 0);
})();
