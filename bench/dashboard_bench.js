#!/usr/bin/env node
// Dashboard benchmark in the browser (issue 12: "the page usable in under 1 s, measured in the
// browser"): headless Chromium opens the overview and the sources page of DOMAIN on a running
// `dmarcsight serve` without users, RUNS times each in a fresh context (no cache, no cookie),
// and reports the time from navigation to the rendered page (body[data-ready="1"], what the
// end-to-end tests wait for): median and slowest.
//
//   node bench/dashboard_bench.js --port PORT --domain DOMAIN [--runs 5]
// bench/serve_bench.sh runs it (with BROWSER=1) on the 10-million-record store.
'use strict';
const path = require('path');

const { chromium } = require(path.join(__dirname, '..', 'node_modules', 'playwright-core'));

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!args.port || !args.domain) {
  console.error('usage: dashboard_bench.js --port PORT --domain DOMAIN [--runs N]');
  process.exit(2);
}
const runs = Number(args.runs || 5);
const base = 'http://127.0.0.1:' + args.port + '/';
const d = encodeURIComponent(args.domain);

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    for (const [label, hash, view] of [['overview', '#/overview?domain=' + d, 'overview'], ['sources', '#/sources?domain=' + d, 'sources']]) {
      const times = [];
      for (let i = 0; i < runs; i++) {
        const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
        const page = await ctx.newPage();
        const t0 = Date.now();
        await page.goto(base + hash, { timeout: 120000 });
        await page.waitForSelector('body[data-ready="1"][data-view="' + view + '"]', { timeout: 120000, state: 'attached' });
        times.push(Date.now() - t0);
        const err = await page.$('[data-testid=error]');
        if (err && (await err.isVisible())) throw new Error(label + ': the page shows an error: ' + (await err.textContent()));
        await ctx.close();
      }
      times.sort((a, b) => a - b);
      console.log(label.padEnd(9) + ' usable in ' + String(times[Math.floor(times.length / 2)]).padStart(6) + ' ms median, ' +
        String(times[times.length - 1]).padStart(6) + ' ms slowest of ' + runs);
    }
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
