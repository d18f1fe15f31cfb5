#!/usr/bin/env node
// End-to-end checks of `dmarcsight serve`'s web dashboard in a real browser (Debian's Chromium
// driven by playwright-core), against a running server and the CLI's JSON on the same store
// (written by tests/integration/dashboard.sh into --expect). Prints `ok NAME` / `FAIL NAME detail`
// per check; exits 1 when any failed.
//
//   node tests/e2e/dashboard.js --port P --out DIR --admin-password PW --cust-password PW
//        --cust-domain D --other-domain D2 --expect FILE
'use strict';
const fs = require('fs');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..', '..');
const { chromium } = require(path.join(repoRoot, 'node_modules', 'playwright-core'));

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(.+)$/.exec(argv[i]);
    if (!m) throw new Error('unexpected argument ' + argv[i]);
    o[m[1]] = argv[++i];
  }
  for (const k of ['port', 'out', 'admin-password', 'cust-password', 'cust-domain', 'other-domain', 'expect']) {
    if (!o[k]) throw new Error('missing --' + k);
  }
  return o;
}

const args = parseArgs(process.argv.slice(2));
const BASE = 'http://127.0.0.1:' + args.port + '/';
const expect = JSON.parse(fs.readFileSync(args.expect, 'utf8'));
const D = args['cust-domain'];
const D2 = args['other-domain'];
const HOSTILE = 'hostile.example';
const STEP = 15000; // the longest any one step may wait
fs.mkdirSync(args.out, { recursive: true });

let failed = 0;
let passed = 0;
function ok(name, cond, detail) {
  if (cond) { passed++; console.log('ok ' + name); } else { failed++; console.log('FAIL ' + name + (detail !== undefined ? ' ' + detail : '')); }
  return cond;
}
// check(NAME, async fn): fn returns true/false or [bool, detail]; an exception is a failure.
async function check(name, fn) {
  try {
    const r = await fn();
    if (Array.isArray(r)) return ok(name, r[0], r[1]);
    return ok(name, r === undefined ? true : !!r);
  } catch (e) {
    return ok(name, false, (e && e.message ? e.message : String(e)).split('\n').slice(0, 4).join(' | '));
  }
}

// Problems seen by a page: page errors, CSP violations, dialogs.
function watch(page, label) {
  const p = { errors: [], csp: [], dialogs: [], label };
  page.on('pageerror', (e) => p.errors.push(e.message));
  page.on('console', (m) => {
    const t = m.text();
    if (/Content Security Policy|Refused to/i.test(t)) p.csp.push(t);
  });
  page.on('dialog', (d) => { p.dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
  return p;
}

// Waits until the current view has rendered (body data-ready=1, and data-view when given).
async function ready(page, view) {
  const sel = 'body[data-ready="1"]' + (view ? '[data-view="' + view + '"]' : '');
  await page.waitForSelector(sel, { timeout: STEP, state: 'attached' });
}
// Runs an action that re-renders the view: marks the old render stale first, so the wait can only
// end on the new one.
async function rerender(page, view, action) {
  await page.evaluate(() => { document.body.dataset.ready = '0'; });
  await action();
  await ready(page, view);
}
async function gotoHash(page, hash, view) {
  await rerender(page, view, () => page.evaluate((h) => { location.hash = h; }, hash));
}
async function errorVisible(page) {
  const e = await page.$('[data-testid=error]');
  return !!e && (await e.isVisible());
}
async function rowCount(page, table) {
  return (await page.$$('[data-testid=' + table + '] [data-testid=row]')).length;
}
async function shot(page, name) {
  const f = path.join(args.out, name + '.png');
  await page.screenshot({ path: f, fullPage: true, timeout: STEP });
  return f;
}
async function login(page, user, password) {
  await page.fill('[data-testid=login-form] input[name=user]', user);
  await page.fill('[data-testid=login-form] input[name=password]', password);
  await rerender(page, null, () => page.click('[data-testid=login-form] button[type=submit]'));
  await page.waitForSelector('body[data-ready="1"]:not([data-view="login"])', { timeout: STEP, state: 'attached' });
}
async function fetchStatus(page, url) {
  return page.evaluate(async (u) => (await fetch(u, { credentials: 'same-origin', cache: 'no-store' })).status, url);
}
const near = (a, b) => typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 0.0001;

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
  const shots = [];
  const watched = [];
  try {
    // ------------------------------------------------------------ admin
    const actx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    actx.setDefaultTimeout(STEP);
    const page = await actx.newPage();
    watched.push(watch(page, 'admin'));

    await check('no session: the login form', async () => {
      await page.goto(BASE, { timeout: STEP });
      await ready(page, 'login');
      return !!(await page.$('[data-testid=login-form] input[name=user]')) && !!(await page.$('[data-testid=login-form] input[name=password]'));
    });

    await check('a wrong password shows the server\'s error', async () => {
      await page.fill('[data-testid=login-form] input[name=user]', 'admin');
      await page.fill('[data-testid=login-form] input[name=password]', 'not-the-password-at-all');
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/session') && r.request().method() === 'POST', { timeout: STEP }),
        page.click('[data-testid=login-form] button[type=submit]'),
      ]);
      const body = await resp.json().catch(() => ({}));
      await page.waitForSelector('[data-testid=login-error]:not([hidden])', { timeout: STEP });
      const shown = (await page.textContent('[data-testid=login-error]')).trim();
      return [resp.status() === 401 && typeof body.error === 'string' && shown === body.error,
        'status ' + resp.status() + ' shown ' + JSON.stringify(shown) + ' server ' + JSON.stringify(body.error)];
    });

    let overviewMs = null;
    await check('admin logs in, the overview is usable within 5 s', async () => {
      await login(page, 'admin', args['admin-password']);
      await page.waitForSelector('[data-testid=user-name]', { timeout: STEP });
      const who = (await page.textContent('[data-testid=user-name]')).trim();
      // The time from a fresh navigation (session cookie set) to the rendered overview.
      await page.goto('about:blank', { timeout: STEP });
      const t0 = Date.now();
      await page.goto(BASE + '#/overview', { timeout: STEP });
      await ready(page, 'overview');
      overviewMs = Date.now() - t0;
      console.log('overview usable in ' + overviewMs + ' ms');
      return [who === 'admin' && overviewMs <= 5000, 'user ' + JSON.stringify(who) + ', ' + overviewMs + ' ms'];
    });

    await check('overview: every domain of the CLI is a row with its messages', async () => {
      await ready(page, 'overview'); // a fresh wait: a slow first render fails the timing check only
      const rows = await page.$$eval('[data-testid=domains-table] [data-testid=row]', (t) => t.map((r) => ({
        domain: r.dataset.domain, messages: Number(r.querySelector('[data-field=messages]').dataset.value) })));
      const got = Object.fromEntries(rows.map((r) => [r.domain, r.messages]));
      const bad = expect.domains.filter((d) => got[d.policy_domain] !== d.messages)
        .map((d) => d.policy_domain + ': ' + got[d.policy_domain] + ' != ' + d.messages);
      return [rows.length === expect.domains.length && bad.length === 0, rows.length + ' rows; ' + bad.join(', ')];
    });

    await check('overview: the volume, pass-share and countries charts are drawn', async () => {
      const sizes = {};
      for (const c of ['chart-volume', 'chart-pass-share', 'chart-countries']) {
        const h = await page.$('canvas[data-testid=' + c + ']');
        const b = h && (await h.boundingBox());
        sizes[c] = b ? Math.round(b.width) + 'x' + Math.round(b.height) : 'missing';
        if (!b || b.width <= 0 || b.height <= 0) return [false, JSON.stringify(sizes)];
      }
      return [true, JSON.stringify(sizes)];
    });

    await check('overview: the verdict equals the CLI policy of the selected domain', async () => {
      const sel = await page.inputValue('[data-testid=domain-picker]');
      const box = await page.getAttribute('[data-testid=domain-overview]', 'data-domain');
      const v = await page.getAttribute('[data-testid=verdict]', 'data-verdict');
      const cli = expect.policy[sel];
      const loss = Number(await page.getAttribute('[data-testid=loss-share]', 'data-value'));
      return [!!cli && sel === box && v === cli.verdict && near(loss, cli.legitimate_loss_share),
        'selected ' + sel + '/' + box + ' verdict ' + v + ' cli ' + (cli && cli.verdict) + ' loss ' + loss];
    });

    await check('overview: cards shown', async () => {
      for (const c of ['card-messages', 'card-pass-share', 'card-unauthorized', 'card-open-alerts']) {
        if (!(await page.$('[data-testid=' + c + ']'))) return [false, c + ' missing'];
      }
      const sel = await page.inputValue('[data-testid=domain-picker]');
      const m = Number(await page.getAttribute('[data-testid=card-messages] .card-value', 'data-value'));
      const cli = expect.domains.find((d) => d.policy_domain === sel);
      return [cli && m === cli.messages, 'card messages ' + m + ' cli ' + (cli && cli.messages)];
    });
    shots.push(['overview', await shot(page, 'overview').catch(() => null)]);

    // Overview -> the domain's sources -> failing only -> one source's detail.
    await check('click the domain link to its sources', async () => {
      await rerender(page, 'sources', () => page.click('[data-testid=domains-table] [data-testid=row][data-domain="' + D + '"] a'));
      const h = await page.evaluate(() => location.hash);
      return [h.startsWith('#/sources') && h.includes('domain=' + encodeURIComponent(D)) && (await rowCount(page, 'sources-table')) > 0, h];
    });

    await check('sources: "failing only" shows failing sources', async () => {
      await rerender(page, 'sources', () => page.check('[data-testid=sources-controls] input[name=failing]'));
      const h = await page.evaluate(() => location.hash);
      const shares = await page.$$eval('[data-testid=sources-table] [data-testid=row] td[data-field=dmarc_pass_share]', (t) => t.map((x) => Number(x.dataset.value)));
      return [h.includes('failing=1') && shares.length > 0 && shares.every((s) => s < 1), h + ' ' + shares.length + ' rows, max ' + Math.max(...shares)];
    });
    shots.push(['sources-failing', await shot(page, 'sources-failing').catch(() => null)]);

    await check('sources: a failing source\'s detail shows the CLI\'s messages', async () => {
      const rows = await page.$$eval('[data-testid=sources-table] [data-testid=row]', (t) => t.map((r) => ({
        ip: r.dataset.sourceIp, cls: r.dataset.class, share: Number(r.querySelector('[data-field=dmarc_pass_share]').dataset.value) })));
      const pick = rows.find((r) => r.cls === 'spoofing') || rows.find((r) => r.share < 1);
      if (!pick) return [false, 'no failing row'];
      const cli = expect.sources.find((s) => s.source_ip === pick.ip && s.policy_domain === D);
      await page.click('[data-testid=sources-table] [data-testid=row][data-source-ip="' + pick.ip + '"] td[data-field=messages]');
      await page.waitForSelector('[data-testid=row-detail]', { timeout: STEP });
      const v = Number(await page.getAttribute('[data-testid=row-detail] dd[data-field=messages]', 'data-value'));
      const ipShown = (await page.textContent('[data-testid=row-detail]')).includes(pick.ip);
      return [!!cli && v === cli.messages && ipShown, pick.ip + ' (' + pick.cls + '): shown ' + v + ', cli ' + (cli && cli.messages)];
    });
    shots.push(['source-detail', await shot(page, 'source-detail').catch(() => null)]);

    // Policy.
    await check('policy: the loss share equals the CLI\'s', async () => {
      await gotoHash(page, '#/policy?domain=' + encodeURIComponent(D) + '&p=reject', 'policy');
      const raw = Number(await page.getAttribute('[data-testid=loss-share] .card-value', 'data-value'));
      const text = (await page.textContent('[data-testid=loss-share] .card-value')).trim();
      const cli = expect.policy[D];
      return [near(raw, cli.legitimate_loss_share) && !(await errorVisible(page)), 'shown ' + raw + ' (' + text + '), cli ' + cli.legitimate_loss_share];
    });
    await check('policy: the verdict equals the CLI\'s', async () => {
      const v = await page.getAttribute('[data-testid=verdict]', 'data-verdict');
      return [v === expect.policy[D].verdict, v + ' vs ' + expect.policy[D].verdict];
    });
    shots.push(['policy', await shot(page, 'policy').catch(() => null)]);
    await check('policy: p=quarantine re-queries and changes the candidate', async () => {
      const before = (await page.textContent('[data-testid=candidate]')).trim();
      await rerender(page, 'policy', () => page.selectOption('[data-testid=policy-controls] select[name=p]', 'quarantine'));
      const after = (await page.textContent('[data-testid=candidate]')).trim();
      const h = await page.evaluate(() => location.hash);
      return [h.includes('p=quarantine') && after !== before && after.includes('p=quarantine'), JSON.stringify(before) + ' -> ' + JSON.stringify(after)];
    });

    // Failures, TLS, alerts.
    for (const [view, table] of [['failures', 'failures-table'], ['tls', 'tls-table'], ['alerts', 'alerts-table']]) {
      await check(view + ' page renders', async () => {
        await gotoHash(page, '#/' + view, view);
        const t = await page.$('[data-testid=' + table + ']');
        return [!!t && !(await errorVisible(page)), (t ? 'table' : 'no table') + ', ' + (await rowCount(page, table)) + ' rows'];
      });
      shots.push([view, await shot(page, view).catch(() => null)]);
    }

    // DNS posture: the findings the last `alerts` run kept, worst first, one row each.
    await check('posture: one row per kept finding of the store, errors and warnings counted', async () => {
      const want = (expect.posture || {})[D];
      if (!Array.isArray(want) || !want.length) return [false, 'the store kept no findings for ' + D];
      await gotoHash(page, '#/posture?domain=' + encodeURIComponent(D), 'posture');
      const rows = await page.$$eval('[data-testid=posture-table] [data-testid=row]', (t) => t.map((r) => [r.dataset.code, r.dataset.level]));
      const key = (a) => a.map((x) => x.join('/')).sort().join(',');
      const wantRows = want.map((f) => [f.code, f.level]);
      const errors = Number(await page.getAttribute('[data-testid=card-posture-errors] .card-value', 'data-value'));
      const wantErrors = want.filter((f) => f.level === 'error').length;
      const rank = { error: 0, warning: 1, info: 2 };
      const sorted = rows.every((r, i) => i === 0 || (rank[rows[i - 1][1]] ?? 3) <= (rank[r[1]] ?? 3));
      return [rows.length === want.length && key(rows) === key(wantRows) && errors === wantErrors && sorted,
        rows.length + ' rows of ' + want.length + ', errors ' + errors + ' of ' + wantErrors + ', worst first ' + sorted];
    });
    shots.push(['posture', await shot(page, 'posture').catch(() => null)]);

    // Saved views: save the failing-sources page, leave, come back through the menu, delete it.
    const viewHash = '#/sources?domain=' + encodeURIComponent(D) + '&failing=1';
    await check('saved views: save a page under a name, it is listed', async () => {
      await gotoHash(page, viewHash, 'sources');
      await page.waitForSelector('[data-testid=views]:not([hidden])', { timeout: STEP });
      await page.click('[data-testid=save-view]');
      await page.fill('[data-testid=save-view-form] input[name=view-name]', '<b>failing</b> of ' + D);
      await page.click('[data-testid=save-view-form] button[type=submit]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=saved-views] option[value]:not([value=""])').length === 1, null, { timeout: STEP });
      const opts = await page.$$eval('[data-testid=saved-views] option', (o) => o.filter((x) => x.value).map((x) => [x.textContent, x.dataset.route]));
      const bold = await page.$$('[data-testid=views] b');
      return [opts.length === 1 && opts[0][0] === '<b>failing</b> of ' + D && opts[0][1] === viewHash && bold.length === 0, JSON.stringify(opts)];
    });
    await check('saved views: choosing the view opens its page', async () => {
      await gotoHash(page, '#/policy?domain=' + encodeURIComponent(D), 'policy');
      const id = await page.$eval('[data-testid=saved-views] option[value]:not([value=""])', (o) => o.value);
      await rerender(page, 'sources', () => page.selectOption('[data-testid=saved-views]', id));
      const h = await page.evaluate(() => location.hash);
      const failing = await page.isChecked('[data-testid=sources-controls] input[name=failing]');
      return [h === viewHash && failing, h + ' failing ' + failing];
    });
    await check('saved views: delete removes it on the server', async () => {
      await page.click('[data-testid=delete-view]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=saved-views] option[value]:not([value=""])').length === 0, null, { timeout: STEP });
      const n = await page.evaluate(async () => (await (await fetch('/api/v1/views', { cache: 'no-store' })).json()).length);
      return [n === 0, n + ' views kept'];
    });

    // Alerts: acknowledge one and mute another from the page; the server keeps both (the rows
    // `alerts --ack` / `--mute` write), and a rule is removed again.
    const alertsOnServer = () => page.evaluate(async () => (await (await fetch('/api/v1/alerts', { cache: 'no-store' })).json()));
    await check('alerts: "Acknowledge" acknowledges the alert on the server', async () => {
      await gotoHash(page, '#/alerts', 'alerts');
      const row = await page.$('[data-testid=alerts-table] [data-testid=row]:has([data-testid=ack-alert])');
      if (!row) return [false, 'no alert to acknowledge'];
      const id = await row.getAttribute('data-alert-id');
      await rerender(page, 'alerts', () => row.$eval('[data-testid=ack-alert]', (b) => b.click()));
      const sel = '[data-testid=alerts-table] [data-testid=row][data-alert-id="' + id + '"]';
      const shown = (await page.textContent(sel + ' td[data-field=state]')).trim();
      const kept = (await alertsOnServer()).find((a) => a.id === id);
      const button = await page.$(sel + ' [data-testid=ack-alert]');
      return [shown === 'acked' && kept && kept.state === 'acked' && !button, id + ': page ' + shown + ', server ' + (kept && kept.state)];
    });
    await check('alerts: "Mute 30 days" keeps a mute rule, the alert shows muted; "Remove" removes it', async () => {
      const row = await page.$('[data-testid=alerts-table] [data-testid=row]:has([data-testid=mute-alert]):has([data-testid=ack-alert])');
      if (!row) return [false, 'no open alert to mute'];
      const id = await row.getAttribute('data-alert-id');
      await rerender(page, 'alerts', () => row.$eval('[data-testid=mute-alert]', (b) => b.click()));
      const rules = await page.evaluate(async () => (await (await fetch('/api/v1/mutes', { cache: 'no-store' })).json()));
      const shown = (await page.textContent('[data-testid=alerts-table] [data-testid=row][data-alert-id="' + id + '"] td[data-field=state]')).trim();
      const listed = await rowCount(page, 'mutes-table');
      const ok1 = rules.length === 1 && rules[0].until > new Date().toISOString().slice(0, 10) && shown === 'muted' && listed === 1;
      await rerender(page, 'alerts', () => page.click('[data-testid=mutes-table] [data-testid=unmute]'));
      const after = await page.evaluate(async () => (await (await fetch('/api/v1/mutes', { cache: 'no-store' })).json()));
      return [ok1 && after.length === 0 && (await rowCount(page, 'mutes-table')) === 0,
        JSON.stringify(rules) + ' alert ' + shown + ', ' + listed + ' listed; after removal ' + after.length];
    });
    shots.push(['alerts-changed', await shot(page, 'alerts-changed').catch(() => null)]);

    // Hostile strings.
    await check('hostile: sources of ' + HOSTILE + ' show the markup as text', async () => {
      await gotoHash(page, '#/sources?domain=' + HOSTILE, 'sources');
      const row = '[data-testid=sources-table] [data-testid=row][data-source-ip="192.0.2.66"]';
      await page.click(row + ' td[data-field=messages]');
      await page.waitForSelector('[data-testid=row-detail]', { timeout: STEP });
      const detail = await page.innerText('[data-testid=row-detail]');
      const hasImg = detail.includes('<img src=x onerror="window.__pwned=2">hostile.example');
      const hasScript = detail.includes('<script>window.__pwned=1</script>Evil Org');
      return [hasImg && hasScript, 'detail: ' + JSON.stringify(detail.slice(0, 600))];
    });
    await check('hostile: no injected element ran or exists (sources)', async () => {
      const r = await page.evaluate(() => ({ pwned: typeof window.__pwned, img: document.querySelectorAll('img[src=x]').length,
        scripts: [...document.scripts].filter((s) => s.textContent.includes('__pwned')).length }));
      return [r.pwned === 'undefined' && r.img === 0 && r.scripts === 0, JSON.stringify(r)];
    });
    shots.push(['hostile', await shot(page, 'hostile').catch(() => null)]);
    await check('hostile: the overview of ' + HOSTILE + ' renders, nothing injected', async () => {
      await gotoHash(page, '#/overview?domain=' + HOSTILE, 'overview');
      await page.waitForTimeout(300); // let anything injected have its chance to run
      const r = await page.evaluate(() => ({ pwned: typeof window.__pwned, img: document.querySelectorAll('img[src=x]').length }));
      const sel = await page.inputValue('[data-testid=domain-picker]');
      return [r.pwned === 'undefined' && r.img === 0 && sel === HOSTILE, JSON.stringify(r) + ' picker ' + sel];
    });
    await check('hostile: the alerts page shows no injected element', async () => {
      await gotoHash(page, '#/alerts?domain=' + HOSTILE, 'alerts');
      const r = await page.evaluate(() => ({ pwned: typeof window.__pwned, img: document.querySelectorAll('img[src=x]').length }));
      return [r.pwned === 'undefined' && r.img === 0, JSON.stringify(r)];
    });

    // Logout.
    await check('logout returns to the login form, then the API answers 401', async () => {
      await gotoHash(page, '#/overview', 'overview');
      await rerender(page, 'login', () => page.click('[data-testid=logout]'));
      await page.waitForSelector('[data-testid=login-form]', { timeout: STEP });
      const s = await fetchStatus(page, '/api/v1/domains');
      return [s === 401, 'status ' + s];
    });
    await actx.close();

    // ------------------------------------------------------------ customer
    const cctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    cctx.setDefaultTimeout(STEP);
    const cp = await cctx.newPage();
    watched.push(watch(cp, 'cust'));
    await check('customer logs in and sees exactly its domain', async () => {
      await cp.goto(BASE + '#/overview', { timeout: STEP });
      await ready(cp, 'login');
      await login(cp, 'cust', args['cust-password']);
      await ready(cp, 'overview');
      const doms = await cp.$$eval('[data-testid=domains-table] [data-testid=row]', (t) => t.map((r) => r.dataset.domain));
      const opts = await cp.$$eval('[data-testid=domain-picker] option', (o) => o.map((x) => x.value).filter(Boolean));
      const totals = !!(await cp.$('[data-testid=store-totals]'));
      return [doms.length === 1 && doms[0] === D && opts.length === 1 && opts[0] === D && !totals,
        'rows ' + JSON.stringify(doms) + ' picker ' + JSON.stringify(opts) + ' totals ' + totals];
    });
    await check('customer: the overview never names another domain', async () => {
      const text = await cp.innerText('body');
      const others = expect.domains.map((d) => d.policy_domain).filter((d) => d !== D && text.includes(d));
      return [others.length === 0, JSON.stringify(others)];
    });
    shots.push(['cust', await shot(cp, 'cust').catch(() => null)]);
    await check('customer: sources of another domain by URL: an error, no rows', async () => {
      await gotoHash(cp, '#/sources?domain=' + encodeURIComponent(D2), 'sources');
      const n = await rowCount(cp, 'sources-table');
      const err = await errorVisible(cp);
      const errText = err ? (await cp.textContent('[data-testid=error]')).trim() : '';
      // The other domain's name may appear only where we typed it (the address, the picker).
      const main = await cp.innerText('main');
      const leaked = expect.domains.map((d) => d.policy_domain).filter((d) => d !== D && d !== D2 && main.includes(d));
      return [n === 0 && err && leaked.length === 0, n + ' rows, error ' + JSON.stringify(errText) + ', leaked ' + JSON.stringify(leaked)];
    });
    await check('customer: the API answers 403 for another domain and for the store totals', async () => {
      const a = await fetchStatus(cp, '/api/v1/sources?domain=' + encodeURIComponent(D2));
      const b = await fetchStatus(cp, '/api/v1/stats');
      const c = await fetchStatus(cp, '/api/v1/sources?domain=' + encodeURIComponent(D));
      return [a === 403 && b === 403 && c === 200, 'other ' + a + ', stats ' + b + ', own ' + c];
    });
    await check('customer: logout, then the API answers 401', async () => {
      await gotoHash(cp, '#/overview', 'overview');
      await rerender(cp, 'login', () => cp.click('[data-testid=logout]'));
      const s = await fetchStatus(cp, '/api/v1/domains');
      return [s === 401, 'status ' + s];
    });
    await cctx.close();
  } catch (e) {
    ok('the run itself', false, e && e.stack ? e.stack : String(e));
  } finally {
    for (const w of watched) {
      ok('no page error (' + w.label + ')', w.errors.length === 0, JSON.stringify(w.errors));
      ok('no CSP violation (' + w.label + ')', w.csp.length === 0, JSON.stringify(w.csp));
      ok('no dialog opened (' + w.label + ')', w.dialogs.length === 0, JSON.stringify(w.dialogs));
    }
    for (const [name, f] of shots) {
      let size = 0;
      try { size = f ? fs.statSync(f).size : 0; } catch (e) { size = 0; }
      ok('screenshot ' + name + ' > 10 kB', size > 10240, (f || 'not taken') + ' ' + size + ' bytes');
    }
    await browser.close().catch(() => {});
  }
  console.log('dashboard.js: ' + passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log('FAIL the run itself ' + (e && e.stack)); process.exit(1); });
