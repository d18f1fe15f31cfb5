// dmarcsight web dashboard: one page, hash routes, data from /api/v1 (same origin).
//
// Security model: every string shown comes from reports anyone on the internet can send, so the
// DOM is only ever built with createElement/textContent/setAttribute (see el()); there is no
// innerHTML, no eval, no inline handler. The page runs under a strict CSP (script-src 'self',
// style-src 'self'), so nothing here sets a style attribute through markup either.
'use strict';

(function () {
  // ------------------------------------------------------------------ constants

  const CLASSES = ['authorized', 'authorized_failing', 'forwarded', 'mailing_list',
    'third_party_unaligned', 'spoofing', 'unknown'];
  const CLASS_COLORS = {
    authorized: '#2e7d32',
    authorized_failing: '#f9a825',
    forwarded: '#1565c0',
    mailing_list: '#6a1b9a',
    third_party_unaligned: '#ef6c00',
    spoofing: '#c62828',
    unknown: '#78909c',
  };
  const ROUTES = ['overview', 'sources', 'policy', 'posture', 'failures', 'tls', 'alerts'];
  const GLOBAL_PARAMS = ['domain', 'since', 'until']; // kept when moving between pages
  const PAGE_SIZE = 100;            // server-side page of /sources
  const CLIENT_PAGE_SIZE = 100;     // client-side page of long arrays (policy by_source)
  const CLOSED_ALERT_STATES = ['acked', 'muted'];
  // DNS finding levels, worst first (the kept findings say error/warning/info).
  const LEVEL_RANK = { critical: 0, error: 0, warning: 1, warn: 1, info: 2, ok: 3, pass: 3 };
  const ERROR_LEVELS = ['critical', 'error'];
  // A saved view's route as the server takes it: the dashboard's own link, printable ASCII.
  const VIEW_ROUTE = /^#\/[\x21-\x7e]*$/;
  const MAX_VIEW_ROUTE = 1024;
  const MAX_VIEW_NAME = 100;

  const NUM = new Intl.NumberFormat('en-US');
  const COLLATOR = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

  // ------------------------------------------------------------------ DOM helpers

  // el('tag', {class, text, dataset, hidden, ...attributes}, ...children)
  // Children are nodes or strings (strings become text nodes, never markup).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (/^on/i.test(k)) throw new Error('no inline handlers: ' + k); // addEventListener only
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = String(v);
        else if (k === 'dataset') Object.entries(v).forEach(([dk, dv]) => {
          if (dv !== undefined && dv !== null) node.dataset[dk] = String(dv);
        });
        else if (k === 'hidden' || k === 'disabled' || k === 'checked' || k === 'selected') node[k] = Boolean(v);
        else if (k === 'value') node.value = String(v);
        else node.setAttribute(k, v === true ? '' : String(v));
      }
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ formatting

  function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }
  function fmtInt(v) { return isNum(v) ? NUM.format(v) : '—'; }
  function fmtPct(v) { return isNum(v) ? (v * 100).toFixed(2) + '%' : '—'; }
  function fmtText(v) {
    if (v === null || v === undefined || v === '') return '—';
    if (Array.isArray(v)) return v.length ? v.map(fmtText).join(', ') : '—';
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'object') return JSON.stringify(v);
    if (isNum(v)) return NUM.format(v);
    return String(v);
  }
  // A field of an arbitrary document: shares as percent, counts with separators.
  function fmtField(key, v) {
    if (isNum(v) && /share$/.test(key)) return fmtPct(v);
    return fmtText(v);
  }
  function plural(n, one, many) { return fmtInt(n) + ' ' + (n === 1 ? one : (many || one + 's')); }

  // ------------------------------------------------------------------ API

  class ApiError extends Error {
    constructor(status, message, headers) {
      super(message);
      this.status = status;
      this.headers = headers;
    }
  }

  // api('/api/v1/x', {a: 1, b: ''}, {method, body}) -> {data, headers, status}.
  // Empty/null params are left out. 401 anywhere sends the user to the login view.
  async function api(path, params, opts) {
    const o = opts || {};
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const url = path + (qs.toString() ? '?' + qs.toString() : '');
    const method = o.method || 'GET';
    const headers = { Accept: 'application/json' };
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    // Only state-changing requests carry the CSRF token (there is none before logging in).
    if (method !== 'GET' && state.session && state.session.csrf) headers['X-CSRF-Token'] = state.session.csrf;
    let res;
    try {
      res = await fetch(url, {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        redirect: 'error',
        body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
      });
    } catch (e) {
      throw new ApiError(0, 'the server cannot be reached (' + e.message + ')');
    }
    let data = null;
    const text = res.status === 204 ? '' : await res.text();
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    if (!res.ok) {
      const msg = data && typeof data.error === 'string' ? data.error : 'HTTP ' + res.status;
      const err = new ApiError(res.status, msg, res.headers);
      if (res.status === 401 && !o.noAuthRedirect) showLogin();
      throw err;
    }
    return { data, headers: res.headers, status: res.status };
  }

  // ------------------------------------------------------------------ state and routing

  const state = {
    session: null,
    domains: null,        // /api/v1/domains answer for domainsKey
    domainsKey: null,     // since|until it was asked for
    charts: [],           // Chart instances of the current view (destroyed on re-render)
    seq: 0,               // render generation: a late answer of an old view is dropped
    views: null,          // the user's saved views; null while the server keeps none (no users)
    viewsSeq: 0,          // generation of the saved-views list (a late answer is dropped)
    viewChosen: '',       // id of the saved view picked in the menu
  };

  function parseHash() {
    const h = location.hash.replace(/^#\/?/, '');
    const q = h.indexOf('?');
    const name = (q < 0 ? h : h.slice(0, q)) || 'overview';
    const params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
    return { route: ROUTES.includes(name) ? name : 'overview', params };
  }

  function paramsObj(params) {
    const o = {};
    for (const [k, v] of params) o[k] = v;
    return o;
  }

  function hashFor(route, params) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const s = qs.toString();
    return '#/' + route + (s ? '?' + s : '');
  }

  // The global filters (domain, since, until) of the current hash.
  function globals(params) {
    const o = {};
    for (const k of GLOBAL_PARAMS) if (params.get(k)) o[k] = params.get(k);
    return o;
  }

  function go(route, params) {
    const h = hashFor(route, params);
    if (location.hash === h) render();
    else location.hash = h;
  }

  // Changes the address without a re-render (e.g. the text filter, an implied default domain).
  function replaceHash(route, params) {
    history.replaceState(null, '', hashFor(route, params));
    updateNav();
  }

  function setReady(v) { document.body.dataset.ready = v ? '1' : '0'; }

  // ------------------------------------------------------------------ export

  // RFC 4180 cell, every one quoted; cells a spreadsheet would run as a formula get a leading '.
  function csvCell(v) {
    let s;
    if (v === null || v === undefined) s = '';
    else if (Array.isArray(v)) s = v.map((x) => (typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x))).join('; ');
    else if (typeof v === 'object') s = JSON.stringify(v);
    else s = String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return '"' + s.replace(/"/g, '""') + '"';
  }

  function toCsv(allColumns, rows) {
    const columns = allColumns.filter((c) => c.export !== false); // not the buttons of a row
    const lines = [columns.map((c) => csvCell(c.key)).join(',')];
    for (const r of rows) lines.push(columns.map((c) => csvCell(colValue(c, r))).join(','));
    return lines.join('\r\n') + '\r\n';
  }

  function download(name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = el('a', { href: url, download: name, hidden: true });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function exportBase(name) {
    const d = new Date().toISOString().slice(0, 10);
    return 'dmarcsight-' + name + '-' + d;
  }

  // ------------------------------------------------------------------ table component

  function colValue(col, row) {
    return col.value ? col.value(row) : row[col.key];
  }

  function compareValues(a, b) {
    const an = a === null || a === undefined || a === '';
    const bn = b === null || b === undefined || b === '';
    if (an || bn) return an && bn ? 0 : an ? 1 : -1; // empty cells last, whichever direction
    if (isNum(a) && isNum(b)) return a - b;
    if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? -1 : 1;
    return COLLATOR.compare(Array.isArray(a) ? a.join(', ') : String(a), Array.isArray(b) ? b.join(', ') : String(b));
  }

  // A cell: formatted text, the raw number in data-value, a badge or code for some types.
  function cellFor(col, row) {
    const v = colValue(col, row);
    const td = el('td', { dataset: { field: col.key } });
    if (col.type === 'int' || col.type === 'pct') {
      td.className = 'num';
      if (isNum(v)) td.dataset.value = String(v);
    }
    if (col.render) {
      append(td, [col.render(row, v)]);
    } else if (col.type === 'int') {
      td.textContent = fmtInt(v);
    } else if (col.type === 'pct') {
      td.textContent = fmtPct(v);
    } else if (col.type === 'class') {
      td.appendChild(v ? classBadge(v) : document.createTextNode('—'));
    } else if (col.type === 'badge') {
      td.appendChild(v ? el('span', { class: 'badge', dataset: { badge: v }, text: v }) : document.createTextNode('—'));
    } else if (col.type === 'mono') {
      td.appendChild(el('span', { class: 'mono', text: fmtText(v) }));
    } else if (col.type === 'code') {
      td.appendChild(v ? el('code', { text: v }) : document.createTextNode('—'));
    } else {
      td.textContent = fmtText(v);
    }
    if (col.wrap) td.classList.add('wrap');
    else if (col.breakAll) td.classList.add('break');
    else if (td.textContent.length > 30) td.title = td.textContent; // may be cut by the ellipsis
    return td;
  }

  function classBadge(cls) {
    return el('span', { class: 'badge', dataset: { class: cls }, text: cls.replace(/_/g, ' ') });
  }

  // dataTable(opts) -> element. opts:
  //   testid, columns [{key, label, type: int|pct|text|class|badge|code, value(row), render(row, v), title,
  //   export: false (left out of the CSV: a row's buttons)}],
  //   rows, exportName, filter (initial text), onFilter(text), expand(row) -> node,
  //   rowAttrs(row) -> {attr: value}, pageSize (client-side pages; 0 = all), empty (text),
  //   toolbarExtra (nodes placed in the toolbar)
  // Sorting and text filtering happen on the rows given (all of them, not only the page shown);
  // the exports write the filtered rows, in the shown order.
  function dataTable(opts) {
    const columns = opts.columns;
    const rows = opts.rows || [];
    const pageSize = opts.pageSize || 0;
    let sortKey = opts.sortKey || null;
    let sortDir = opts.sortDir || 'desc';
    let filter = opts.filter || '';
    let page = 0;
    let view = rows;

    const wrap = el('div', { class: 'table-wrap', dataset: { tableFor: opts.testid } });
    const input = el('input', {
      type: 'search', class: 'filter', placeholder: 'Filter rows…', 'aria-label': 'Filter rows',
      dataset: { testid: 'filter' }, value: filter,
    });
    const count = el('span', { class: 'count', dataset: { testid: 'count' } });
    const csvBtn = el('button', { type: 'button', dataset: { testid: 'export-csv' }, text: 'Export CSV' });
    const jsonBtn = el('button', { type: 'button', dataset: { testid: 'export-json' }, text: 'Export JSON' });
    const toolbar = el('div', { class: 'toolbar' }, input, count, opts.toolbarExtra || null,
      el('span', { class: 'spacer' }), csvBtn, jsonBtn);
    const thead = el('thead');
    const tbody = el('tbody');
    const table = el('table', { class: 'data', dataset: { testid: opts.testid } }, thead, tbody);
    const pager = el('div', { class: 'pager', hidden: true });
    wrap.append(toolbar, el('div', { class: 'scroll' }, table), pager);

    const headRow = el('tr');
    for (const c of columns) {
      const btn = el('button', { type: 'button', class: 'sort', dataset: { sortKey: c.key }, title: c.title || 'Sort by ' + c.label },
        c.label, el('span', { class: 'arrow', 'aria-hidden': 'true' }));
      btn.addEventListener('click', () => {
        // Numbers start descending (largest first), text ascending.
        if (sortKey === c.key) sortDir = sortDir === 'asc' ? 'desc' : 'asc';
        else { sortKey = c.key; sortDir = c.type === 'int' || c.type === 'pct' ? 'desc' : 'asc'; }
        page = 0;
        refresh();
      });
      headRow.appendChild(el('th', { scope: 'col', class: c.type === 'int' || c.type === 'pct' ? 'num' : null, dataset: { field: c.key } }, btn));
    }
    thead.appendChild(headRow);

    function matches(row, needle) {
      for (const c of columns) {
        const v = colValue(c, row);
        if (v === null || v === undefined) continue;
        const s = Array.isArray(v) ? v.join(' ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
        if (s.toLowerCase().includes(needle)) return true;
        if (isNum(v) && fmtText(v).toLowerCase().includes(needle)) return true;
      }
      return false;
    }

    function refresh() {
      const needle = filter.trim().toLowerCase();
      view = needle ? rows.filter((r) => matches(r, needle)) : rows.slice();
      if (sortKey) {
        const col = columns.find((c) => c.key === sortKey);
        const sign = sortDir === 'asc' ? 1 : -1;
        // Stable sort; empty values stay last in both directions.
        view = view.map((r, i) => [r, i]).sort((x, y) => {
          const a = colValue(col, x[0]);
          const b = colValue(col, y[0]);
          const an = a === null || a === undefined || a === '';
          const bn = b === null || b === undefined || b === '';
          if (an || bn) return an && bn ? x[1] - y[1] : an ? 1 : -1;
          return sign * compareValues(a, b) || x[1] - y[1];
        }).map((p) => p[0]);
      }
      for (const th of headRow.children) {
        const on = th.dataset.field === sortKey;
        if (on) th.setAttribute('aria-sort', sortDir === 'asc' ? 'ascending' : 'descending');
        else th.removeAttribute('aria-sort');
        th.querySelector('.arrow').textContent = on ? (sortDir === 'asc' ? ' ▲' : ' ▼') : '';
      }
      const pages = pageSize ? Math.max(1, Math.ceil(view.length / pageSize)) : 1;
      if (page >= pages) page = pages - 1;
      const shown = pageSize ? view.slice(page * pageSize, (page + 1) * pageSize) : view;
      clear(tbody);
      for (const r of shown) tbody.appendChild(rowFor(r));
      if (!shown.length) {
        tbody.appendChild(el('tr', { class: 'empty' },
          el('td', { colspan: columns.length, text: rows.length ? 'No row matches the filter.' : (opts.empty || 'Nothing to show.') })));
      }
      count.textContent = needle ? fmtInt(view.length) + ' of ' + plural(rows.length, 'row') : plural(rows.length, 'row');
      renderPager(pages);
    }

    function renderPager(pages) {
      clear(pager);
      pager.hidden = pages <= 1;
      if (pages <= 1) return;
      const prev = el('button', { type: 'button', dataset: { testid: 'prev' }, text: '‹ Previous', disabled: page === 0 });
      const next = el('button', { type: 'button', dataset: { testid: 'next' }, text: 'Next ›', disabled: page >= pages - 1 });
      prev.addEventListener('click', () => { page--; refresh(); });
      next.addEventListener('click', () => { page++; refresh(); });
      const from = page * pageSize + 1;
      const to = Math.min(view.length, (page + 1) * pageSize);
      pager.append(prev, el('span', { dataset: { testid: 'page-info' }, text: fmtInt(from) + '–' + fmtInt(to) + ' of ' + fmtInt(view.length) }), next);
    }

    function rowFor(r) {
      const tr = el('tr', { dataset: { testid: 'row' } });
      if (opts.rowAttrs) {
        for (const [k, v] of Object.entries(opts.rowAttrs(r))) if (v !== null && v !== undefined) tr.setAttribute(k, String(v));
      }
      for (const c of columns) tr.appendChild(cellFor(c, r));
      if (opts.expand) {
        tr.classList.add('expandable');
        tr.tabIndex = 0;
        tr.setAttribute('aria-expanded', 'false');
        const toggle = (ev) => {
          if (ev.target.closest('a, button, input, select')) return; // links inside a row keep working
          const open = tr.nextElementSibling && tr.nextElementSibling.classList.contains('detail-row');
          if (open) {
            tr.nextElementSibling.remove();
            tr.setAttribute('aria-expanded', 'false');
          } else {
            const d = el('tr', { class: 'detail-row', dataset: { testid: 'row-detail' } },
              el('td', { colspan: columns.length }, opts.expand(r)));
            tr.after(d);
            tr.setAttribute('aria-expanded', 'true');
          }
        };
        tr.addEventListener('click', toggle);
        tr.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggle(ev); }
        });
      }
      return tr;
    }

    input.addEventListener('input', () => {
      filter = input.value;
      page = 0;
      refresh();
      if (opts.onFilter) opts.onFilter(filter);
    });
    csvBtn.addEventListener('click', () => download(exportBase(opts.exportName || opts.testid) + '.csv', 'text/csv;charset=utf-8', toCsv(columns, view)));
    jsonBtn.addEventListener('click', () => download(exportBase(opts.exportName || opts.testid) + '.json', 'application/json', JSON.stringify(view, null, 2) + '\n'));

    refresh();
    return wrap;
  }

  // Columns for an array of flat objects of unknown shape (e.g. failures' dkim list).
  function autoColumns(rows) {
    const keys = [];
    for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
    return keys.map((k) => {
      const sample = rows.find((r) => r[k] !== null && r[k] !== undefined);
      const num = sample && isNum(sample[k]);
      return { key: k, label: k.replace(/_/g, ' '), type: num ? (/share$/.test(k) ? 'pct' : 'int') : 'text' };
    });
  }

  // A definition list of every field of a document (nested objects become nested lists).
  function fieldList(obj, depth) {
    const dl = el('dl', { class: 'fields' });
    for (const [k, v] of Object.entries(obj || {})) {
      let dd;
      if (v && typeof v === 'object' && !Array.isArray(v) && (depth || 0) < 3) dd = el('dd', null, fieldList(v, (depth || 0) + 1));
      else if (Array.isArray(v) && v.length && v.every((x) => typeof x !== 'object' || x === null)) {
        dd = el('dd', null, el('ul', { class: 'plain' }, v.map((x) => el('li', { text: fmtText(x) }))));
      } else dd = el('dd', { text: fmtField(k, v), dataset: { field: k, value: isNum(v) ? v : null } });
      dl.append(el('dt', { text: k.replace(/_/g, ' ') }), dd);
    }
    return dl;
  }

  // ------------------------------------------------------------------ small view pieces

  function section(title, ...children) {
    return el('section', { class: 'panel' }, title ? el('h2', { text: title }) : null, ...children);
  }

  function card(label, value, opts) {
    const o = opts || {};
    return el('div', { class: 'card' + (o.tone ? ' tone-' + o.tone : ''), dataset: { testid: o.testid || null } },
      el('div', { class: 'card-label', text: label }),
      el('div', { class: 'card-value', text: value, dataset: { value: isNum(o.raw) ? o.raw : null } }),
      o.note ? el('div', { class: 'card-note', text: o.note }) : null);
  }

  function errorBox(err) {
    return el('div', { class: 'error', role: 'alert', dataset: { testid: 'error' } },
      err && err.message ? err.message : String(err));
  }

  function verdictBadge(v) {
    return el('span', { class: 'verdict', dataset: { testid: 'verdict', verdict: v || '' }, text: v || 'unknown' });
  }

  function link(route, params, text) {
    return el('a', { href: hashFor(route, params), text });
  }

  function select(name, options, current, label) {
    const s = el('select', { name, 'aria-label': label || name });
    for (const o of options) {
      const [value, text] = Array.isArray(o) ? o : [o, o];
      s.appendChild(el('option', { value, text, selected: value === current }));
    }
    return s;
  }

  function control(label, input) {
    return el('label', { class: 'control' }, el('span', { text: label }), input);
  }

  function loading(main) {
    clear(main).appendChild(el('p', { class: 'loading', text: 'Loading…' }));
  }

  // ------------------------------------------------------------------ charts

  function destroyCharts() {
    for (const c of state.charts) c.destroy();
    state.charts = [];
  }

  function chartBox(testid, title, note) {
    const canvas = el('canvas', { dataset: { testid }, role: 'img', 'aria-label': title });
    return {
      canvas,
      node: el('figure', { class: 'chart' }, el('figcaption', { text: title }),
        el('div', { class: 'chart-box' }, canvas), note ? el('p', { class: 'muted small', text: note }) : null),
    };
  }

  function makeChart(canvas, config) {
    if (typeof window.Chart !== 'function') {
      canvas.replaceWith(el('p', { class: 'muted', text: 'Charts are unavailable (chart.umd.min.js did not load).' }));
      return null;
    }
    // No animation: the chart is drawn at once, so data-ready means "drawn". Tooltips stay
    // Chart.js's own canvas tooltips (text drawn on canvas, never HTML).
    if (!makeChart.fontSet) {
      // Canvas text in the page's own (system) font; nothing is fetched.
      window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      window.Chart.defaults.color = '#3a4656';
      makeChart.fontSet = true;
    }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    const c = new window.Chart(canvas, config);
    state.charts.push(c);
    return c;
  }

  function volumeChart(canvas, trends, by) {
    const labels = trends.map((t) => (by === 'week' && t.week ? t.week : t.day));
    const datasets = CLASSES.map((cls) => ({
      label: cls.replace(/_/g, ' '),
      data: trends.map((t) => (t.class_messages && isNum(t.class_messages[cls]) ? t.class_messages[cls] : 0)),
      backgroundColor: CLASS_COLORS[cls],
      stack: 'messages',
    })).filter((d) => d.data.some((x) => x > 0));
    return makeChart(canvas, {
      type: 'bar',
      data: { labels, datasets },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { callback: (v) => NUM.format(v) } } },
        plugins: { tooltip: { callbacks: { label: (ctx) => ctx.dataset.label + ': ' + NUM.format(ctx.parsed.y) } } },
      },
    });
  }

  function passShareChart(canvas, trends, by) {
    const labels = trends.map((t) => (by === 'week' && t.week ? t.week : t.day));
    return makeChart(canvas, {
      type: 'line',
      data: {
        labels,
        datasets: [{
          label: 'DMARC pass share',
          data: trends.map((t) => (isNum(t.dmarc_pass_share) ? +(t.dmarc_pass_share * 100).toFixed(2) : null)),
          borderColor: '#2e7d32', backgroundColor: 'rgba(46,125,50,0.15)', fill: true, tension: 0.2, pointRadius: 3,
        }],
      },
      options: {
        scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + '%' } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => ctx.parsed.y.toFixed(2) + '%' } } },
      },
    });
  }

  function countriesChart(canvas, byCountry) {
    return makeChart(canvas, {
      type: 'bar',
      data: {
        labels: byCountry.map((c) => c[0]),
        datasets: [{ label: 'unauthorized messages', data: byCountry.map((c) => c[1]), backgroundColor: CLASS_COLORS.spoofing }],
      },
      options: {
        indexAxis: 'y',
        scales: { x: { beginAtZero: true, ticks: { callback: (v) => NUM.format(v) } }, y: { ticks: { autoSkip: false } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => NUM.format(ctx.parsed.x) + ' messages' } } },
      },
    });
  }

  // Spoofing rows (one per country, or per source) -> [[country, messages]] largest first, the
  // tail folded into "other".
  function countryTotals(rows, top) {
    const m = new Map();
    for (const r of rows) {
      const c = r.country ? String(r.country) : 'unknown';
      m.set(c, (m.get(c) || 0) + (isNum(r.messages) ? r.messages : 0));
    }
    const all = [...m.entries()].sort((a, b) => b[1] - a[1]);
    if (all.length <= top) return all;
    const rest = all.slice(top - 1).reduce((s, x) => s + x[1], 0);
    return all.slice(0, top - 1).concat([['other', rest]]);
  }

  // ------------------------------------------------------------------ shell: top bar, filters

  async function loadDomains(params) {
    const key = (params.get('since') || '') + '|' + (params.get('until') || '');
    if (state.domains && state.domainsKey === key) return state.domains;
    const r = await api('/api/v1/domains', { since: params.get('since'), until: params.get('until') });
    state.domains = Array.isArray(r.data) ? r.data : [];
    state.domainsKey = key;
    return state.domains;
  }

  function largestDomain(domains) {
    let best = null;
    for (const d of domains) if (!best || (d.messages || 0) > (best.messages || 0)) best = d;
    return best ? best.policy_domain : '';
  }

  // The domain of the address; when a view needs one and none is given, the largest (written
  // back into the address so the view stays a deep link). Fills the picker either way.
  function domainOrDefault(ctx, domains, required) {
    let domain = ctx.params.get('domain') || '';
    if (!domain && required && domains.length) {
      domain = largestDomain(domains);
      ctx.params.set('domain', domain);
      replaceHash(ctx.route, paramsObj(ctx.params));
    }
    fillDomainPicker(domains, domain, !required);
    return domain;
  }

  // Documents that add up every domain (failures, tls) need domain= from a restricted account.
  function allDomainsAccount() { return !state.session || state.session.all_domains !== false; }

  function fillDomainPicker(domains, current, allowAll) {
    const s = $('domain-picker');
    clear(s);
    if (allowAll) s.appendChild(el('option', { value: '', text: 'All domains' }));
    const names = domains.map((d) => d.policy_domain).sort(COLLATOR.compare);
    if (current && !names.includes(current)) names.unshift(current);
    for (const n of names) s.appendChild(el('option', { value: n, text: n }));
    s.value = current || '';
  }

  function updateNav() {
    const { route, params } = parseHash();
    const g = globals(params);
    for (const a of $('nav').querySelectorAll('a[data-route]')) {
      a.href = hashFor(a.dataset.route, g);
      if (a.dataset.route === route) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    $('since').value = params.get('since') || '';
    $('until').value = params.get('until') || '';
    syncViewChoice();
  }

  function onGlobalChange(name, value) {
    const { route, params } = parseHash();
    const p = paramsObj(params);
    p[name] = value;
    delete p.offset; // a new selection starts at its first page
    if (name === 'domain') delete p.q;
    go(route, p);
  }

  function showApp() {
    $('topbar').hidden = false;
    $('user-name').textContent = state.session ? state.session.user : '';
    // Without users (or with a token) there is no session to end.
    const s = state.session;
    const canLogout = s && (s.auth === 'session' || (s.auth === undefined && s.csrf));
    $('logout').hidden = !canLogout;
    loadViews();
  }

  // ------------------------------------------------------------------ saved views

  // The user's named links into the dashboard, kept by the server (GET/POST/DELETE
  // /api/v1/views). Without users the server keeps none (404) and the menu stays hidden.
  function initViews() {
    $('saved-views').addEventListener('change', onViewChosen);
    $('delete-view').addEventListener('click', deleteChosenView);
    $('save-view').addEventListener('click', () => (saveFormOpen() ? closeSaveForm() : openSaveForm()));
    $('save-view-form').addEventListener('submit', (ev) => { ev.preventDefault(); saveView(); });
    $('save-view-cancel').addEventListener('click', closeSaveForm);
    $('save-view-form').addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { ev.preventDefault(); closeSaveForm(); $('save-view').focus(); } });
  }

  function resetViews() {
    state.viewsSeq++; // drop a list still loading
    state.views = null;
    state.viewChosen = '';
    $('views').hidden = true;
    clear($('saved-views'));
    closeSaveForm();
    viewsError('');
  }

  function viewsError(text) {
    const e = $('views-error');
    e.textContent = text || '';
    e.hidden = !text;
  }

  // A view as the server sent it, or null when it is not one (an id and a string name and route).
  function cleanView(v) {
    if (!v || typeof v !== 'object') return null;
    const id = typeof v.id === 'number' || typeof v.id === 'string' ? String(v.id) : '';
    if (!/^\d{1,18}$/.test(id) || typeof v.name !== 'string' || typeof v.route !== 'string') return null;
    return { id, name: v.name, route: v.route, created_at: typeof v.created_at === 'string' ? v.created_at : '' };
  }

  async function loadViews() {
    const gen = ++state.viewsSeq;
    const s = state.session;
    if (!s || s.auth === 'none') { // no users: nowhere to keep views
      state.views = null;
      $('views').hidden = true;
      return;
    }
    try {
      const r = await api('/api/v1/views', null, { noAuthRedirect: true });
      if (gen !== state.viewsSeq) return;
      state.views = (Array.isArray(r.data) ? r.data : []).map(cleanView).filter(Boolean);
    } catch (e) {
      if (gen !== state.viewsSeq) return;
      if (e.status === 404 || e.status === 401) { // no users (or an older server); 401: the view shows the login
        state.views = null;
        $('views').hidden = true;
        return;
      }
      state.views = state.views || [];
      viewsError('Saved views: ' + e.message);
    }
    $('views').hidden = false;
    fillViews();
  }

  function fillViews() {
    const sel = clear($('saved-views'));
    const views = state.views || [];
    sel.appendChild(el('option', { value: '', text: views.length ? 'Saved views (' + fmtInt(views.length) + ')' : 'No saved views' }));
    for (const v of views) sel.appendChild(el('option', { value: v.id, text: v.name, title: v.route, dataset: { route: v.route } }));
    if (!views.some((v) => v.id === state.viewChosen)) state.viewChosen = '';
    sel.value = state.viewChosen;
    syncViewChoice();
  }

  // The menu shows the view of the current address when there is one; otherwise the last one chosen.
  function syncViewChoice() {
    if (!state.views) return;
    const chosen = state.views.find((v) => v.id === state.viewChosen);
    const here = state.views.find((v) => v.route === location.hash);
    if (here && !(chosen && chosen.route === location.hash)) state.viewChosen = here.id;
    const sel = $('saved-views');
    if (sel.value !== state.viewChosen) sel.value = state.viewChosen;
    const v = state.views.find((x) => x.id === state.viewChosen);
    const del = $('delete-view');
    del.disabled = !v;
    del.title = v ? 'Delete the saved view “' + v.name + '”' : 'Choose a saved view to delete';
  }

  function onViewChosen() {
    const sel = $('saved-views');
    state.viewChosen = sel.value;
    viewsError('');
    const v = (state.views || []).find((x) => x.id === sel.value);
    syncViewChoice();
    if (!v) return;
    if (!VIEW_ROUTE.test(v.route)) { viewsError('The saved view “' + v.name + '” is not a link of this dashboard.'); return; }
    if (location.hash === v.route) render();
    else location.hash = v.route;
  }

  // The current address as a saved route: the page's own link, re-encoded (printable ASCII, no space).
  function currentRoute() {
    const { route, params } = parseHash();
    return hashFor(route, paramsObj(params));
  }

  function suggestedViewName() {
    const { route, params } = parseHash();
    const a = $('nav').querySelector('[data-route="' + route + '"]');
    const d = params.get('domain');
    return (a ? a.textContent : route) + (d ? ' — ' + d : '');
  }

  function saveFormOpen() { return !$('save-view-form').hidden; }

  function openSaveForm() {
    const form = $('save-view-form');
    const input = form.elements['view-name'];
    viewsError('');
    form.hidden = false;
    $('save-view').setAttribute('aria-expanded', 'true');
    input.value = suggestedViewName();
    input.focus();
    input.select();
  }

  function closeSaveForm() {
    const form = $('save-view-form');
    form.hidden = true;
    form.querySelector('button[type=submit]').disabled = false;
    $('save-view').setAttribute('aria-expanded', 'false');
  }

  async function saveView() {
    const form = $('save-view-form');
    const input = form.elements['view-name'];
    const name = input.value.trim();
    const route = currentRoute();
    const bytes = new TextEncoder().encode(name).length;
    if (!bytes) { viewsError('Give the view a name.'); input.focus(); return; }
    if (bytes > MAX_VIEW_NAME) { viewsError('A view’s name is at most ' + MAX_VIEW_NAME + ' bytes (this one is ' + bytes + ').'); input.focus(); return; }
    if (route.length > MAX_VIEW_ROUTE || !VIEW_ROUTE.test(route)) { viewsError('This page’s address is too long to save (' + route.length + ' of ' + MAX_VIEW_ROUTE + ' bytes).'); return; }
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    viewsError('');
    try {
      const r = await api('/api/v1/views', null, { method: 'POST', body: { name, route } });
      const v = cleanView(r.data);
      if (v) state.viewChosen = v.id;
      closeSaveForm();
      await loadViews();
    } catch (e) {
      btn.disabled = false;
      if (e.status === 401) return; // the login view took over
      viewsError('Saving the view failed: ' + e.message);
      input.focus();
    }
  }

  async function deleteChosenView() {
    const v = (state.views || []).find((x) => x.id === state.viewChosen);
    if (!v) return;
    const del = $('delete-view');
    del.disabled = true;
    viewsError('');
    try {
      await api('/api/v1/views/' + encodeURIComponent(v.id), null, { method: 'DELETE' });
    } catch (e) {
      if (e.status === 401) return;
      viewsError('Deleting “' + v.name + '” failed: ' + e.message);
      if (e.status !== 404) { del.disabled = false; return; } // 404: already gone, refresh the list
    }
    state.viewChosen = '';
    await loadViews();
  }

  // ------------------------------------------------------------------ login

  function showLogin(message) {
    state.seq++; // drop whatever view was loading
    state.session = null;
    state.domains = null;
    destroyCharts();
    resetViews();
    $('topbar').hidden = true;
    document.body.dataset.view = 'login';
    const main = clear($('main'));
    const err = el('p', { class: 'error', role: 'alert', dataset: { testid: 'login-error' }, hidden: !message, text: message || '' });
    const user = el('input', { name: 'user', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
    const pass = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const btn = el('button', { type: 'submit', class: 'primary', text: 'Log in' });
    const form = el('form', { class: 'login', dataset: { testid: 'login-form' }, method: 'post', novalidate: true },
      el('h1', { text: 'dmarcsight' }),
      el('p', { class: 'muted', text: 'Log in to see your domains’ DMARC reports.' }),
      control('User', user), control('Password', pass), err, btn);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!user.value || !pass.value) {
        err.textContent = 'Enter your user name and password.';
        err.hidden = false;
        return;
      }
      btn.disabled = true;
      err.hidden = true;
      try {
        const r = await api('/api/v1/session', null, { method: 'POST', body: { user: user.value, password: pass.value }, noAuthRedirect: true });
        state.session = r.data;
        pass.value = '';
        showApp();
        render();
      } catch (e) {
        let msg = e.message;
        if (e.status === 429) {
          const after = e.headers && e.headers.get('Retry-After');
          if (after) msg += ' (retry after ' + after + ' s)';
        }
        err.textContent = msg;
        err.hidden = false;
        btn.disabled = false;
        pass.select();
      }
    });
    main.appendChild(el('div', { class: 'login-wrap' }, form));
    user.focus();
    setReady(true);
  }

  async function logout() {
    try {
      await api('/api/v1/session', null, { method: 'DELETE', noAuthRedirect: true });
    } catch (e) {
      if (e.status !== 401) { alertBar('Logging out failed: ' + e.message); return; }
    }
    showLogin();
  }

  function alertBar(text) {
    const main = $('main');
    main.insertBefore(errorBox(new Error(text)), main.firstChild);
  }

  // ------------------------------------------------------------------ views

  // Overview: the domains table, then the selected domain's charts, policy readiness, alerts.
  async function renderOverview(ctx) {
    const { main, params, seq } = ctx;
    const domains = await loadDomains(params);
    if (seq !== state.seq) return;
    const domain = domainOrDefault(ctx, domains, true);
    const range = { since: params.get('since'), until: params.get('until') };
    const by = params.get('by') === 'week' ? 'week' : 'day';

    const noDomain = () => Promise.reject(new Error('no domain'));
    const [trends, policy, alerts, spoof, stats, posture] = await Promise.allSettled(domain ? [
      api('/api/v1/trends', Object.assign({ domain, by }, range)),
      api('/api/v1/policy', Object.assign({ domain, p: 'reject', sources: 20 }, range)),
      api('/api/v1/alerts', Object.assign({ domain }, range)),
      // The spoofing sources summed per country by the server (one row a country, every source counted).
      api('/api/v1/sources', Object.assign({ domain, class: 'spoofing', group: 'country', limit: 0 }, range)),
      api('/api/v1/stats'),
      api('/api/v1/posture', { domain }), // the last DNS check, whatever the period
    ] : [noDomain(), noDomain(), noDomain(), noDomain(), api('/api/v1/stats'), noDomain()]);
    if (seq !== state.seq) return;
    for (const r of [trends, policy, alerts, spoof, stats, posture]) if (r.status === 'rejected' && r.reason.status === 401) return;

    clear(main);
    main.appendChild(el('h1', { text: 'Overview' }));

    // Store totals: only for all-domains accounts (403 otherwise, and then nothing is shown).
    if (stats.status === 'fulfilled' && stats.value.data) {
      const s = stats.value.data;
      main.appendChild(el('p', { class: 'muted', dataset: { testid: 'store-totals' } },
        'Store: ' + plural(s.aggregate_reports, 'aggregate report') + ', ' + plural(s.messages, 'message') + ', ' +
        plural(s.failure_reports, 'failure report') + ', ' + plural(s.tls_reports, 'TLS report') +
        (s.first_begin ? ', ' + String(s.first_begin).slice(0, 10) + ' to ' + String(s.last_end).slice(0, 10) : '') + '.'));
    }

    main.appendChild(section('Domains', dataTable({
      testid: 'domains-table',
      exportName: 'domains',
      rows: domains,
      empty: 'No reports stored for this period.',
      rowAttrs: (r) => ({ 'data-domain': r.policy_domain }),
      columns: [
        { key: 'policy_domain', label: 'Domain', render: (r) => link('sources', Object.assign({}, range, { domain: r.policy_domain }), r.policy_domain) },
        { key: 'reports', label: 'Reports', type: 'int' },
        { key: 'messages', label: 'Messages', type: 'int' },
        { key: 'dmarc_pass_share', label: 'DMARC pass', type: 'pct' },
        { key: 'sources', label: 'Sources', type: 'int' },
        { key: 'first_seen', label: 'First day' },
        { key: 'last_seen', label: 'Last report' },
      ],
    })));

    if (!domain) {
      main.appendChild(section(null, el('p', { class: 'muted', text: 'No domain to show yet: ingest some reports first.' })));
      return;
    }

    const dsec = el('section', { class: 'panel', dataset: { testid: 'domain-overview', domain } });
    main.appendChild(dsec);
    const bySel = select('by', [['day', 'per day'], ['week', 'per week']], by, 'Trend resolution');
    bySel.addEventListener('change', () => go('overview', Object.assign(paramsObj(params), { by: bySel.value })));
    dsec.appendChild(el('div', { class: 'panel-head' }, el('h2', null, 'Domain ', el('span', { class: 'mono', text: domain })), bySel));

    // Headline cards.
    const cards = el('div', { class: 'cards' });
    dsec.appendChild(cards);
    const tr = trends.status === 'fulfilled' && Array.isArray(trends.value.data) ? trends.value.data : null;
    if (tr) {
      const msgs = tr.reduce((s, t) => s + (t.messages || 0), 0);
      const pass = tr.reduce((s, t) => s + (t.dmarc_pass_messages || 0), 0);
      const unauth = tr.reduce((s, t) => s + (t.unauthorized_messages || 0), 0);
      cards.append(
        card('Messages', fmtInt(msgs), { raw: msgs, testid: 'card-messages' }),
        card('DMARC pass', fmtPct(msgs ? pass / msgs : null), { raw: msgs ? pass / msgs : null, testid: 'card-pass-share' }),
        card('Unauthorized (spoofing)', fmtInt(unauth), { raw: unauth, testid: 'card-unauthorized', tone: unauth ? 'bad' : null, note: msgs ? fmtPct(unauth / msgs) + ' of all messages' : null }));
    }
    if (alerts.status === 'fulfilled' && Array.isArray(alerts.value.data)) {
      const open = alerts.value.data.filter((a) => !CLOSED_ALERT_STATES.includes(a.state)).length;
      const c = card('Open alerts', fmtInt(open), { raw: open, testid: 'card-open-alerts', tone: open ? 'warn' : null });
      const a = link('alerts', Object.assign({}, range, { domain }), '');
      a.className = 'card-link';
      a.appendChild(c);
      cards.appendChild(a);
    } else if (alerts.status === 'rejected') {
      cards.appendChild(card('Open alerts', '—', { note: alerts.reason.message }));
    }
    // The kept DNS findings: a card only when there are some (404: no DNS check kept, nothing shown).
    if (posture.status === 'fulfilled' && posture.value.data) {
      const f = postureRows(posture.value.data.findings, domain);
      if (f.rows) {
        const errors = f.rows.filter((r) => ERROR_LEVELS.includes(findingLevel(r))).length;
        const warnings = f.rows.filter((r) => LEVEL_RANK[findingLevel(r)] === 1).length;
        const c = card('DNS findings', fmtInt(f.rows.length), {
          raw: f.rows.length, testid: 'card-posture', tone: errors ? 'bad' : warnings ? 'warn' : 'good',
          note: '(' + plural(errors, 'error') + (warnings ? ', ' + plural(warnings, 'warning') : '') + ')',
        });
        c.dataset.errors = String(errors);
        const a = link('posture', Object.assign({}, range, { domain }), '');
        a.className = 'card-link';
        a.appendChild(c);
        cards.appendChild(a);
      }
    }

    // Policy readiness for p=reject.
    const pol = el('div', { class: 'policy-box', dataset: { testid: 'policy-summary' } });
    dsec.appendChild(pol);
    if (policy.status === 'fulfilled' && policy.value.data) {
      const p = policy.value.data;
      const ns = p.next_step || {};
      pol.append(
        el('h3', null, 'Ready for p=reject? ', verdictBadge(p.verdict)),
        el('p', null, 'Legitimate mail p=reject would cost: ',
          el('strong', { text: fmtPct(p.legitimate_loss_share), dataset: { testid: 'loss-share', value: p.legitimate_loss_share } }),
          ' (' + fmtInt(p.affected_legitimate) + ' of ' + fmtInt(p.legitimate_messages) + ' legitimate messages).'),
        el('p', null, 'Next step: ', el('code', { class: 'record', dataset: { testid: 'next-step-record' }, text: ns.record || '—' })),
        ns.why ? el('p', { class: 'why', dataset: { testid: 'next-step-why' }, text: ns.why }) : null,
        el('p', null, link('policy', Object.assign({}, range, { domain, p: 'reject' }), 'Simulate other policies →')));
    } else {
      pol.append(el('h3', { text: 'Policy readiness' }), errorBox(policy.reason));
    }

    // Charts.
    const charts = el('div', { class: 'charts' });
    dsec.appendChild(charts);
    if (tr) {
      const v = chartBox('chart-volume', 'Messages ' + (by === 'week' ? 'per ISO week' : 'per day') + ', by class');
      const s = chartBox('chart-pass-share', 'DMARC pass share');
      v.node.classList.add('wide');
      charts.append(v.node, s.node);
      volumeChart(v.canvas, tr, by);
      passShareChart(s.canvas, tr, by);
    } else {
      charts.appendChild(errorBox(trends.reason));
    }
    if (spoof.status === 'fulfilled' && Array.isArray(spoof.value.data)) {
      const rows = spoof.value.data;
      const sources = rows.reduce((n, r) => n + (isNum(r.source_ips) ? r.source_ips : 1), 0);
      const note = 'From ' + plural(sources, 'spoofing source') + '.';
      const c = chartBox('chart-countries', 'Unauthorized messages by country', note);
      charts.appendChild(c.node);
      const totals = countryTotals(rows, 15);
      if (totals.length) countriesChart(c.canvas, totals);
      else c.canvas.replaceWith(el('p', { class: 'muted', text: 'No spoofing sources in this period.' }));
    } else {
      charts.appendChild(errorBox(spoof.reason));
    }
  }

  // Sources: one row per IP / service / base domain, paged by the server.
  async function renderSources(ctx) {
    const { main, params, seq } = ctx;
    const domains = await loadDomains(params);
    if (seq !== state.seq) return;
    const domain = domainOrDefault(ctx, domains, false);
    const group = ['ip', 'service', 'base-domain'].includes(params.get('group')) ? params.get('group') : 'ip';
    const cls = params.get('class') || '';
    const failing = params.get('failing') === '1';
    const offset = Math.max(0, parseInt(params.get('offset') || '0', 10) || 0);
    const range = { since: params.get('since'), until: params.get('until') };

    const r = await api('/api/v1/sources', Object.assign({ domain, class: cls, group, failing: failing ? 1 : '', limit: PAGE_SIZE, offset }, range));
    if (seq !== state.seq) return;
    const rows = Array.isArray(r.data) ? r.data : [];
    const hdr = r.headers.get('X-Total-Count');
    const total = hdr !== null && hdr !== '' && !Number.isNaN(Number(hdr)) ? Number(hdr) : offset + rows.length;

    const p = paramsObj(params);
    const set = (k, v) => { const n = Object.assign({}, p, { [k]: v }); delete n.offset; go('sources', n); };

    clear(main);
    main.appendChild(el('h1', null, 'Sources', domain ? el('span', { class: 'sub mono', text: ' ' + domain }) : el('span', { class: 'sub', text: ' all domains' })));

    const gSel = select('group', [['ip', 'per IP'], ['service', 'per service'], ['base-domain', 'per base domain']], group, 'Group');
    gSel.addEventListener('change', () => set('group', gSel.value === 'ip' ? '' : gSel.value));
    const cSel = select('class', [['', 'every class']].concat(CLASSES.map((c) => [c, c.replace(/_/g, ' ')])), cls, 'Class');
    cSel.addEventListener('change', () => set('class', cSel.value));
    const fBox = el('input', { type: 'checkbox', name: 'failing', checked: failing });
    fBox.addEventListener('change', () => set('failing', fBox.checked ? '1' : ''));
    main.appendChild(el('div', { class: 'controls', dataset: { testid: 'sources-controls' } },
      control('Group', gSel), control('Class', cSel),
      el('label', { class: 'control check' }, fBox, el('span', { text: 'Failing only (DMARC pass < 100%)' }))));

    const keyLabel = group === 'ip' ? 'Source IP' : group === 'service' ? 'Service' : 'Base domain';
    const columns = [
      { key: 'policy_domain', label: 'Domain' },
      { key: 'source', label: keyLabel, value: (row) => sourceKey(row, group), type: 'mono' },
    ];
    if (group !== 'ip') columns.push({ key: 'source_ips', label: 'IPs', type: 'int' });
    columns.push(
      { key: 'ptr', label: 'PTR', type: 'mono', breakAll: true },
      group === 'service' ? null : { key: 'service', label: 'Service' },
      { key: 'class', label: 'Class', type: 'class' },
      { key: 'reason', label: 'Reason', wrap: true },
      { key: 'messages', label: 'Messages', type: 'int' },
      { key: 'dmarc_pass_share', label: 'DMARC pass', type: 'pct' },
      { key: 'last_seen', label: 'Last seen' });
    const shownColumns = columns.filter(Boolean);

    // The pager of the server-side pages; the table's own filter/sort work on the page shown.
    const pager = el('div', { class: 'pager', dataset: { testid: 'sources-pager' } });
    const prev = el('button', { type: 'button', dataset: { testid: 'prev' }, text: '‹ Previous', disabled: offset === 0 });
    const next = el('button', { type: 'button', dataset: { testid: 'next' }, text: 'Next ›', disabled: offset + rows.length >= total });
    prev.addEventListener('click', () => go('sources', Object.assign({}, p, { offset: Math.max(0, offset - PAGE_SIZE) || '' })));
    next.addEventListener('click', () => go('sources', Object.assign({}, p, { offset: offset + PAGE_SIZE })));
    pager.append(prev, el('span', {
      dataset: { testid: 'page-info', total },
      text: rows.length ? fmtInt(offset + 1) + '–' + fmtInt(offset + rows.length) + ' of ' + plural(total, 'source') : plural(total, 'source'),
    }), next, el('span', { class: 'small', text: 'Pages follow the server’s order (largest first); sorting and the filter apply to the page shown.' }));

    main.appendChild(section(null, dataTable({
      testid: 'sources-table',
      exportName: 'sources-' + group + (domain ? '-' + domain : ''),
      rows,
      columns: shownColumns,
      filter: params.get('q') || '',
      onFilter: (q) => replaceHash('sources', Object.assign({}, p, { q })),
      empty: 'No source matches this selection.',
      rowAttrs: (row) => ({
        'data-source-ip': row.source_ip || null,
        'data-group-key': sourceKey(row, group),
        'data-class': row.class || null,
      }),
      expand: (row) => sourceDetail(row, group, range),
    }), pager));
  }

  // The name of a source row: its IP, service or base domain; a group without a name (an IP
  // no service or PTR covers) falls back to its one IP.
  function sourceKey(row, group) {
    if (group === 'ip' || row.source_ip) return row.source_ip || null;
    const name = group === 'service' ? row.service : row.base_domain;
    if (name) return name;
    if (Array.isArray(row.sample_ips) && row.sample_ips.length === 1) return row.sample_ips[0];
    return null;
  }

  function sourceDetail(row, group, range) {
    const box = el('div', { class: 'detail' });
    if (row.fix) box.appendChild(el('p', { class: 'fix' }, el('strong', { text: 'Fix: ' }), row.fix));
    const links = el('p', { class: 'links' });
    if (group === 'service' && row.service) {
      links.appendChild(link('sources', Object.assign({}, range, { domain: row.policy_domain, group: 'ip', q: row.service }), 'Show the IPs of ' + row.service + ' →'));
    }
    if (group === 'base-domain' && row.base_domain) {
      links.appendChild(link('sources', Object.assign({}, range, { domain: row.policy_domain, group: 'ip', q: row.base_domain }), 'Show the IPs under ' + row.base_domain + ' →'));
    }
    if (row.policy_domain) {
      if (links.firstChild) links.appendChild(document.createTextNode(' · '));
      links.appendChild(link('policy', Object.assign({}, range, { domain: row.policy_domain }), 'What would p=reject do to ' + row.policy_domain + '? →'));
    }
    box.append(links, fieldList(row));
    return box;
  }

  // Policy: what a candidate record would do.
  async function renderPolicy(ctx) {
    const { main, params, seq } = ctx;
    const domains = await loadDomains(params);
    if (seq !== state.seq) return;
    const domain = domainOrDefault(ctx, domains, true);
    if (!domain) {
      clear(main).append(el('h1', { text: 'Policy' }), el('p', { class: 'muted', text: 'No domain to simulate yet.' }));
      return;
    }
    const p = paramsObj(params);
    const cand = {
      p: ['none', 'quarantine', 'reject'].includes(p.p) ? p.p : 'reject',
      pct: p.pct || '',
      testing: p.testing === 'y' ? 'y' : '',
      adkim: p.adkim || '', aspf: p.aspf || '', sp: p.sp || '', np: p.np || '',
    };
    const range = { since: params.get('since'), until: params.get('until') };
    const r = await api('/api/v1/policy', Object.assign({ domain }, cand, range));
    if (seq !== state.seq) return;
    const d = r.data || {};

    clear(main);
    main.appendChild(el('h1', null, 'Policy simulation ', el('span', { class: 'sub mono', text: domain })));

    // Controls: every change re-queries through the address (so the view is a deep link).
    const set = (k, v) => go('policy', Object.assign({}, p, { domain, [k]: v }));
    const pols = ['none', 'quarantine', 'reject'];
    const pSel = select('p', pols, cand.p, 'p');
    const spSel = select('sp', [['', '(as p)']].concat(pols), cand.sp, 'sp');
    const npSel = select('np', [['', '(as sp)']].concat(pols), cand.np, 'np');
    const pct = el('input', { type: 'number', name: 'pct', min: 0, max: 100, step: 1, value: cand.pct || '100' });
    const tSel = select('testing', [['', 'n'], ['y', 'y']], cand.testing, 'testing');
    const adkim = select('adkim', [['', '(as published)'], ['r', 'r (relaxed)'], ['s', 's (strict)']], cand.adkim, 'adkim');
    const aspf = select('aspf', [['', '(as published)'], ['r', 'r (relaxed)'], ['s', 's (strict)']], cand.aspf, 'aspf');
    pSel.addEventListener('change', () => set('p', pSel.value));
    spSel.addEventListener('change', () => set('sp', spSel.value));
    npSel.addEventListener('change', () => set('np', npSel.value));
    pct.addEventListener('change', () => {
      const n = Math.min(100, Math.max(0, parseInt(pct.value, 10) || 0));
      set('pct', n === 100 ? '' : String(n));
    });
    tSel.addEventListener('change', () => set('testing', tSel.value));
    adkim.addEventListener('change', () => set('adkim', adkim.value));
    aspf.addEventListener('change', () => set('aspf', aspf.value));
    main.appendChild(el('div', { class: 'controls', dataset: { testid: 'policy-controls' } },
      control('p', pSel), control('pct', pct), control('t (testing)', tSel), control('adkim', adkim),
      control('aspf', aspf), control('sp', spSel), control('np', npSel)));

    // Headline.
    const e = d.expected || {};
    const head = section(null,
      el('div', { class: 'panel-head' },
        el('h2', null, 'Candidate ', el('code', { class: 'record', dataset: { testid: 'candidate' }, text: d.candidate || '—' })),
        verdictBadge(d.verdict)),
      d.published && d.published.policy ? el('p', { class: 'muted' }, 'Published (from the reports of ' + fmtText(d.published.from_report_of) + '): ',
        el('code', { text: d.published.policy })) : null,
      el('div', { class: 'cards' },
        card('Messages', fmtInt(d.messages), { raw: d.messages }),
        card('Legitimate messages', fmtInt(d.legitimate_messages), { raw: d.legitimate_messages }),
        card('Affected messages', fmtInt(d.affected_messages), { raw: d.affected_messages, note: fmtInt(d.affected_unauthorized) + ' of them unauthorized' }),
        card('Legitimate mail lost', fmtPct(d.legitimate_loss_share), {
          raw: d.legitimate_loss_share, testid: 'loss-share', tone: d.verdict === 'ready' ? 'good' : 'bad',
          note: fmtInt(d.affected_legitimate) + ' messages',
        }),
        card('Expected loss (pct, t, overrides)', fmtPct(e.legitimate_loss_share), {
          raw: e.legitimate_loss_share, testid: 'expected-loss-share',
          note: fmtInt(e.affected_legitimate) + ' legitimate; ' + fmtInt(e.rejected_messages) + ' rejected, ' + fmtInt(e.quarantined_messages) + ' quarantined',
        })));
    main.appendChild(head);

    const ns = d.next_step || {};
    main.appendChild(section('Next step',
      el('p', null, el('code', { class: 'record', dataset: { testid: 'next-step-record' }, text: ns.record || '—' })),
      ns.why ? el('p', { class: 'why', dataset: { testid: 'next-step-why' }, text: ns.why }) : null,
      Array.isArray(ns.fix_sources) && ns.fix_sources.length ? dataTable({
        testid: 'policy-fix-sources', exportName: 'policy-fix-sources-' + domain, rows: ns.fix_sources,
        rowAttrs: (row) => ({ 'data-source-ip': row.source_ip || null }),
        columns: [
          { key: 'source_ip', label: 'Source IP', type: 'mono' },
          { key: 'service', label: 'Service' }, { key: 'class', label: 'Class', type: 'class' },
          { key: 'affected_messages', label: 'Affected', type: 'int' }, { key: 'fix', label: 'Fix', wrap: true },
        ],
      }) : null));

    if (Array.isArray(d.stages)) {
      main.appendChild(section('Staged path', dataTable({
        testid: 'policy-stages', exportName: 'policy-stages-' + domain, rows: d.stages,
        columns: [
          { key: 'record', label: 'Record', type: 'code', breakAll: true },
          { key: 'affected_messages', label: 'Affected', type: 'int' },
          { key: 'affected_legitimate', label: 'Legitimate affected', type: 'int' },
          { key: 'legitimate_loss_share', label: 'Legitimate loss', type: 'pct' },
          { key: 'verdict', label: 'Verdict', type: 'badge' },
        ],
      })));
    }

    if (Array.isArray(d.subdomains) && d.subdomains.length) {
      main.appendChild(section('By header From (domain and subdomains)', dataTable({
        testid: 'policy-subdomains', exportName: 'policy-subdomains-' + domain, rows: d.subdomains,
        columns: [
          { key: 'header_from', label: 'Header From' }, { key: 'tag', label: 'Tag' }, { key: 'policy', label: 'Policy' },
          { key: 'exists', label: 'Exists' },
          { key: 'messages', label: 'Messages', type: 'int' },
          { key: 'legitimate_messages', label: 'Legitimate', type: 'int' },
          { key: 'affected_messages', label: 'Affected', type: 'int' },
          { key: 'affected_legitimate', label: 'Legitimate affected', type: 'int' },
          { key: 'legitimate_loss_share', label: 'Legitimate loss', type: 'pct' },
          { key: 'verdict', label: 'Verdict', type: 'badge' },
        ],
      })));
    }

    main.appendChild(section('Affected sources', dataTable({
      testid: 'policy-by-source', exportName: 'policy-by-source-' + domain, rows: Array.isArray(d.by_source) ? d.by_source : [],
      pageSize: CLIENT_PAGE_SIZE,
      empty: 'This policy affects no source.',
      rowAttrs: (row) => ({ 'data-source-ip': row.source_ip || null, 'data-class': row.class || null }),
      columns: [
        { key: 'source_ip', label: 'Source IP', type: 'mono' },
        { key: 'service', label: 'Service' },
        { key: 'class', label: 'Class', type: 'class' },
        { key: 'messages', label: 'Messages', type: 'int' },
        { key: 'affected_messages', label: 'Affected', type: 'int' },
        { key: 'expected_affected_messages', label: 'Expected affected', type: 'int' },
        { key: 'fix', label: 'Fix', wrap: true },
      ],
    })));

    // The rest of the document (receivers, planning, existence, alignment) as plain fields.
    const rest = {};
    for (const k of ['receivers', 'alignment', 'existence', 'planning', 'candidate_policy', 'what_if']) if (d[k] !== undefined) rest[k] = d[k];
    main.appendChild(el('details', { class: 'panel' }, el('summary', { text: 'More: receivers, alignment, subdomain existence, failure report volume' }), fieldList(rest)));
  }

  // Failure reports (RFC 6591), as the server redacts them.
  async function renderFailures(ctx) {
    const { main, params, seq } = ctx;
    const domains = await loadDomains(params);
    if (seq !== state.seq) return;
    const domain = domainOrDefault(ctx, domains, !allDomainsAccount());
    const limit = ['10', '100', '0'].includes(params.get('limit')) ? params.get('limit') : '100';
    const range = { since: params.get('since'), until: params.get('until') };
    const r = await api('/api/v1/failures', Object.assign({ domain, limit }, range));
    if (seq !== state.seq) return;
    const d = r.data || {};

    clear(main);
    main.appendChild(el('h1', { text: 'Failure reports' }));
    const lSel = select('limit', [['10', '10 rows per list'], ['100', '100 rows per list'], ['0', 'every row']], limit, 'Rows per list');
    lSel.addEventListener('change', () => go('failures', Object.assign(paramsObj(params), { limit: lSel.value })));
    main.appendChild(el('div', { class: 'controls' }, control('Show', lSel)));
    main.appendChild(el('div', { class: 'cards' },
      card('Failure reports', fmtInt(d.failure_reports), { raw: d.failure_reports, testid: 'card-failure-reports' }),
      card('Redacted', fmtInt(d.redacted), { raw: d.redacted }),
      card('Best-effort parses', fmtInt(d.best_effort), { raw: d.best_effort })));

    main.appendChild(section('Failing sources', dataTable({
      testid: 'failures-table', exportName: 'failures-sources', rows: Array.isArray(d.top_sources) ? d.top_sources : [],
      empty: 'No failure report in this selection.',
      rowAttrs: (row) => ({ 'data-source-ip': row.source_ip || null }),
      columns: [
        { key: 'policy_domain', label: 'Domain' },
        { key: 'source_ip', label: 'Source IP', type: 'mono' },
        { key: 'failure_reports', label: 'Failure reports', type: 'int' },
        { key: 'last_seen', label: 'Last seen' },
      ],
    })));

    const lists = el('div', { class: 'grid2' });
    for (const [key, title] of [['auth_failures', 'Failure kinds'], ['reporters', 'Reporters'], ['dkim', 'DKIM']]) {
      const rows = Array.isArray(d[key]) ? d[key] : [];
      lists.appendChild(section(title, rows.length ? dataTable({ testid: 'failures-' + key.replace(/_/g, '-'), exportName: 'failures-' + key, rows, columns: autoColumns(rows) })
        : el('p', { class: 'muted', text: 'None.' })));
    }
    main.appendChild(lists);

    const s = d.latest_sample;
    if (s && typeof s === 'object') {
      const headers = Array.isArray(s.headers) ? s.headers : [];
      const meta = Object.assign({}, s);
      delete meta.headers;
      main.appendChild(section('Latest sample', fieldList(meta),
        headers.length ? el('table', { class: 'data headers', dataset: { testid: 'failures-sample-headers' } },
          el('thead', null, el('tr', null, el('th', { text: 'Header' }), el('th', { text: 'Value' }))),
          el('tbody', null, headers.map((h) => el('tr', null, el('td', { class: 'mono', text: fmtText(h.name) }), el('td', { class: 'wrap mono', text: fmtText(h.value) })))))
          : null));
    }
  }

  // SMTP TLS reports (RFC 8460): one row per policy domain and MX host.
  async function renderTls(ctx) {
    const { main, params, seq } = ctx;
    const domains = await loadDomains(params);
    if (seq !== state.seq) return;
    const domain = domainOrDefault(ctx, domains, !allDomainsAccount());
    const range = { since: params.get('since'), until: params.get('until') };
    const r = await api('/api/v1/tls', Object.assign({ domain }, range));
    if (seq !== state.seq) return;
    const d = r.data || {};

    const rows = [];
    for (const dom of Array.isArray(d.domains) ? d.domains : []) {
      const hosts = Array.isArray(dom.mx_hosts) && dom.mx_hosts.length ? dom.mx_hosts : [null];
      for (const h of hosts) {
        const src = h || dom;
        rows.push({
          policy_domain: dom.policy_domain,
          mx_host: h ? h.mx_host : null,
          policy_types: dom.policy_types,
          reports: dom.reports,
          policies: src.policies,
          sessions_successful: src.sessions_successful,
          sessions_failed: src.sessions_failed,
          failure_share: src.failure_share,
          result_types: (src.result_types || []).map((t) => t.result_type + ' ' + t.sessions),
        });
      }
    }

    clear(main);
    main.appendChild(el('h1', { text: 'SMTP TLS reports' }));
    main.appendChild(el('div', { class: 'cards' },
      card('Reports', fmtInt(d.reports), { raw: d.reports, testid: 'card-tls-reports' }),
      card('Successful sessions', fmtInt(d.sessions_successful), { raw: d.sessions_successful }),
      card('Failed sessions', fmtInt(d.sessions_failed), { raw: d.sessions_failed, tone: d.sessions_failed ? 'bad' : null }),
      card('Failure share', fmtPct(d.failure_share), { raw: d.failure_share })));
    main.appendChild(section('Per policy domain and MX host', dataTable({
      testid: 'tls-table', exportName: 'tls', rows,
      empty: 'No SMTP TLS report in this selection.',
      columns: [
        { key: 'policy_domain', label: 'Policy domain' },
        { key: 'mx_host', label: 'MX host', type: 'mono', breakAll: true },
        { key: 'policy_types', label: 'Policy types' },
        { key: 'policies', label: 'Policies', type: 'int' },
        { key: 'sessions_successful', label: 'Successful', type: 'int' },
        { key: 'sessions_failed', label: 'Failed', type: 'int' },
        { key: 'failure_share', label: 'Failed share', type: 'pct' },
        { key: 'result_types', label: 'Result types', wrap: true },
      ],
    })));
    const types = Array.isArray(d.result_types) ? d.result_types : [];
    if (types.length) {
      main.appendChild(section('Failure result types', dataTable({
        testid: 'tls-result-types', exportName: 'tls-result-types', rows: types,
        columns: [{ key: 'result_type', label: 'Result type' }, { key: 'sessions', label: 'Sessions', type: 'int' }],
      })));
    }
  }

  // An alert's change from the page (POST /api/v1/alerts/ack, /api/v1/mutes): the page again
  // after it, or the server's reason beside the table.
  async function alertChange(method, path, body, btn) {
    btn.disabled = true;
    const note = $('alert-change-error');
    if (note) { note.textContent = ''; note.hidden = true; }
    try {
      await api(path, null, { method, body });
    } catch (e) {
      if (e.status === 401) return;
      btn.disabled = false;
      if (note) { note.textContent = 'The change was not made: ' + e.message; note.hidden = false; }
      return;
    }
    render();
  }

  function isoDayIn(days) {
    return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
  }

  // Alerts, newest day first as the server orders them; acknowledge one, or mute its kind (and
  // source) on its domain for 30 days; the mute rules, each removable.
  async function renderAlerts(ctx) {
    const { main, params, seq } = ctx;
    const domains = await loadDomains(params);
    if (seq !== state.seq) return;
    const domain = domainOrDefault(ctx, domains, false);
    const range = { since: params.get('since'), until: params.get('until') };
    const [r, m] = await Promise.all([
      api('/api/v1/alerts', Object.assign({ domain }, range)),
      api('/api/v1/mutes').catch(() => ({ data: [] })),
    ]);
    if (seq !== state.seq) return;
    const rows = Array.isArray(r.data) ? r.data : [];
    const mutes = (Array.isArray(m.data) ? m.data : []).filter((x) => !domain || !x.domain || x.domain === domain);
    const open = rows.filter((a) => !CLOSED_ALERT_STATES.includes(a.state)).length;

    clear(main);
    main.appendChild(el('h1', { text: 'Alerts' }));
    main.appendChild(el('div', { class: 'cards' },
      card('Alerts', fmtInt(rows.length), { raw: rows.length }),
      card('Open', fmtInt(open), { raw: open, testid: 'card-open-alerts', tone: open ? 'warn' : null, note: 'not acknowledged nor muted' }),
      card('Mute rules', fmtInt(mutes.length), { raw: mutes.length, testid: 'card-mutes' })));
    main.appendChild(el('p', { class: 'error', role: 'alert', id: 'alert-change-error', dataset: { testid: 'alert-change-error' }, hidden: true }));
    const actions = (row) => {
      const box = el('span', { class: 'actions' });
      if (row.state !== 'acked' && row.id) {
        const b = el('button', { type: 'button', dataset: { testid: 'ack-alert' }, text: 'Acknowledge', title: 'Acknowledge this alert (alerts --ack)' });
        b.addEventListener('click', () => alertChange('POST', '/api/v1/alerts/ack', { id: row.id }, b));
        box.appendChild(b);
      }
      if (row.state !== 'muted' && row.domain && row.kind) {
        const what = row.kind.replace(/_/g, ' ') + (row.source ? ' from ' + row.source : '') + ' on ' + row.domain;
        const b = el('button', { type: 'button', dataset: { testid: 'mute-alert' }, text: 'Mute 30 days', title: 'Mute ' + what + ' until ' + isoDayIn(30) });
        const rule = { domain: row.domain, kind: row.kind, until: isoDayIn(30), note: 'muted from the dashboard' };
        if (row.source) rule.source = row.source;
        b.addEventListener('click', () => alertChange('POST', '/api/v1/mutes', rule, b));
        box.appendChild(b);
      }
      return box;
    };
    main.appendChild(section(null, dataTable({
      testid: 'alerts-table', exportName: 'alerts', rows,
      empty: 'No alert in this selection.',
      rowAttrs: (row) => ({ 'data-alert-id': row.id, 'data-source-ip': row.source || null }),
      expand: (row) => el('div', { class: 'detail' }, fieldList(row)),
      columns: [
        { key: 'day', label: 'Day' },
        { key: 'severity', label: 'Severity', type: 'badge' },
        { key: 'kind', label: 'Kind', value: (row) => row.kind, render: (row, v) => el('span', { text: v ? String(v).replace(/_/g, ' ') : '—' }) },
        { key: 'domain', label: 'Domain' },
        { key: 'source', label: 'Source', type: 'mono' },
        { key: 'reporter', label: 'Reporter' },
        { key: 'detail', label: 'Detail', wrap: true },
        { key: 'state', label: 'State', type: 'badge' },
        { key: 'id', label: 'Id', render: (row, v) => el('span', { class: 'mono small', text: v || '—' }) },
        { key: 'actions', label: 'Actions', value: () => null, render: (row) => actions(row), export: false },
      ],
    })));
    main.appendChild(section('Mute rules', dataTable({
      testid: 'mutes-table', exportName: 'mute-rules', rows: mutes,
      empty: 'No mute rule: every alert is sent.',
      rowAttrs: (row) => ({ 'data-mute-id': row.id }),
      columns: [
        { key: 'id', label: 'Id', type: 'int' },
        { key: 'domain', label: 'Domain', value: (row) => row.domain || '(every domain)' },
        { key: 'kind', label: 'Kind', value: (row) => row.kind || '(every kind)' },
        { key: 'source', label: 'Source', type: 'mono', value: (row) => row.source || '(every source)' },
        { key: 'until', label: 'Until', value: (row) => row.until || '(for ever)' },
        { key: 'note', label: 'Note', wrap: true },
        { key: 'remove', label: '', value: () => null, export: false, render: (row) => {
          const b = el('button', { type: 'button', dataset: { testid: 'unmute' }, text: 'Remove', title: 'Remove this rule (alerts --unmute)' });
          b.addEventListener('click', () => alertChange('DELETE', '/api/v1/mutes/' + encodeURIComponent(row.id), undefined, b));
          return b;
        } },
      ],
    })));
  }

  // ------------------------------------------------------------------ DNS posture

  // A text cell value: null for nothing, strings as they are, anything else formatted.
  function str(v) {
    if (v === null || v === undefined || v === '') return null;
    return typeof v === 'string' ? v : fmtText(v);
  }

  function findingLevel(r) {
    const v = r && typeof r === 'object' ? (r.level !== undefined ? r.level : r.severity) : null;
    return typeof v === 'string' ? v.toLowerCase() : null;
  }

  function levelRank(r) {
    const l = findingLevel(r);
    return l !== null && Object.prototype.hasOwnProperty.call(LEVEL_RANK, l) ? LEVEL_RANK[l] : 2.5;
  }

  // The findings as the alerts engine keeps them: an array of {code, level, record}. Other shapes
  // are read as well as they can be: {findings: [...]}, `check --format json` ({domains: [{domain,
  // findings}]}), {area: [...]}. -> {rows} (objects, worst first), or {other} to show as fields.
  function postureRows(findings, domain) {
    let list = null;
    if (Array.isArray(findings)) list = findings;
    else if (findings && typeof findings === 'object') {
      if (Array.isArray(findings.findings)) list = findings.findings;
      else if (Array.isArray(findings.domains)) {
        const ds = findings.domains.filter((d) => d && typeof d === 'object');
        const mine = ds.find((d) => d.domain === domain) || ds[0];
        if (mine && Array.isArray(mine.findings)) list = mine.findings;
      } else {
        const vals = Object.entries(findings);
        if (vals.length && vals.every(([, v]) => Array.isArray(v))) {
          list = [];
          for (const [k, v] of vals) {
            for (const x of v) list.push(x && typeof x === 'object' && !Array.isArray(x) ? Object.assign({ area: k }, x) : { area: k, value: x });
          }
        }
      }
    }
    if (!list) return { other: findings };
    const rows = list.map((x) => (x && typeof x === 'object' && !Array.isArray(x) ? x : { value: x }));
    const ranked = rows.map((r, i) => [r, i]).sort((a, b) => levelRank(a[0]) - levelRank(b[0]) || a[1] - b[1]).map((p) => p[0]);
    return { rows: ranked };
  }

  // Columns for the findings: the known fields first, then whatever else the rows hold.
  function postureColumns(rows) {
    const has = (k) => rows.some((r) => r[k] !== undefined && r[k] !== null && r[k] !== '');
    const cols = [
      { key: 'level', label: 'Level', type: 'badge', value: (r) => str(r.level !== undefined ? r.level : r.severity) },
      { key: 'area', label: 'Area', value: (r) => str(r.area) || (typeof r.code === 'string' && r.code.includes('.') ? r.code.slice(0, r.code.indexOf('.')) : null) },
      { key: 'code', label: 'Check', type: 'mono', value: (r) => str(r.code) },
    ];
    if (has('message')) cols.push({ key: 'message', label: 'Message', wrap: true, value: (r) => str(r.message) });
    cols.push({ key: 'record', label: 'Record', type: 'code', breakAll: true, value: (r) => str(r.record) });
    if (has('fix')) cols.push({ key: 'fix', label: 'Fix', wrap: true, value: (r) => str(r.fix) });
    const known = ['level', 'severity', 'area', 'code', 'message', 'record', 'fix'];
    const rest = rows.map((r) => {
      const o = {};
      for (const k of Object.keys(r)) if (!known.includes(k)) o[k] = r[k];
      return o;
    });
    for (const c of autoColumns(rest)) cols.push(Object.assign(c, { wrap: c.type === 'text' }));
    return cols;
  }

  async function renderPosture(ctx) {
    const { main, params, seq } = ctx;
    const domains = await loadDomains(params);
    if (seq !== state.seq) return;
    const domain = domainOrDefault(ctx, domains, true);
    const title = () => el('h1', null, 'DNS posture', domain ? el('span', { class: 'sub mono', text: ' ' + domain }) : null);
    if (!domain) {
      clear(main).append(title(), el('p', { class: 'muted', text: 'No domain to show yet.' }));
      return;
    }
    let r;
    try {
      r = await api('/api/v1/posture', { domain });
    } catch (e) {
      if (seq !== state.seq) return;
      if (e.status !== 404) throw e;
      // Nothing kept yet: not a failure, the alerts run has not checked this domain's DNS.
      clear(main).append(title(), section(null,
        el('p', { class: 'empty-state', dataset: { testid: 'posture-empty' }, text: e.message })));
      return;
    }
    if (seq !== state.seq) return;
    const d = r.data || {};
    const f = postureRows(d.findings, domain);

    clear(main);
    main.appendChild(title());
    main.appendChild(el('p', { class: 'muted' }, 'Checked at ',
      el('time', { dataset: { testid: 'posture-checked-at' }, datetime: str(d.checked_at), text: fmtText(d.checked_at) }),
      ' by the last ', el('code', { text: 'dmarcsight alerts' }), ' run that checked DNS.'));

    if (!f.rows) {
      main.appendChild(section('Findings', el('div', { dataset: { testid: 'posture-fields' } },
        f.other && typeof f.other === 'object' ? fieldList(f.other) : el('p', { text: fmtText(f.other) }))));
      return;
    }
    const errors = f.rows.filter((x) => ERROR_LEVELS.includes(findingLevel(x))).length;
    const warnings = f.rows.filter((x) => LEVEL_RANK[findingLevel(x)] === 1).length;
    main.appendChild(el('div', { class: 'cards' },
      card('Findings', fmtInt(f.rows.length), { raw: f.rows.length, testid: 'card-findings' }),
      card('Errors', fmtInt(errors), { raw: errors, testid: 'card-posture-errors', tone: errors ? 'bad' : 'good' }),
      card('Warnings', fmtInt(warnings), { raw: warnings, testid: 'card-posture-warnings', tone: warnings ? 'warn' : null })));
    const columns = postureColumns(f.rows);
    main.appendChild(section(null, dataTable({
      testid: 'posture-table', exportName: 'posture-' + domain, rows: f.rows, columns,
      empty: 'The last DNS check found nothing to report.',
      rowAttrs: (row) => ({ 'data-level': findingLevel(row), 'data-code': str(row.code) }),
    }), columns.some((c) => c.key === 'message') ? null : el('p', { class: 'muted small' },
      'Only what the check found is kept; ', el('code', { text: 'dmarcsight check ' + domain }), ' explains each finding and its fix.')));
  }

  const VIEWS = {
    overview: renderOverview,
    sources: renderSources,
    policy: renderPolicy,
    posture: renderPosture,
    failures: renderFailures,
    tls: renderTls,
    alerts: renderAlerts,
  };

  // ------------------------------------------------------------------ render loop

  async function render() {
    if (!state.session) return;
    const seq = ++state.seq;
    const { route, params } = parseHash();
    setReady(false);
    destroyCharts();
    document.body.dataset.view = route;
    updateNav();
    const main = $('main');
    loading(main);
    try {
      await VIEWS[route]({ main, route, params, seq });
    } catch (e) {
      if (seq !== state.seq || e.status === 401) return; // superseded, or the login view took over
      clear(main).append(el('h1', { text: $('nav').querySelector('[data-route="' + route + '"]').textContent }), errorBox(e));
    }
    if (seq === state.seq) {
      updateNav();
      setReady(true);
    }
  }

  async function boot() {
    $('domain-picker').addEventListener('change', (ev) => onGlobalChange('domain', ev.target.value));
    $('since').addEventListener('change', (ev) => onGlobalChange('since', ev.target.value));
    $('until').addEventListener('change', (ev) => onGlobalChange('until', ev.target.value));
    $('filters').addEventListener('submit', (ev) => ev.preventDefault());
    $('logout').addEventListener('click', logout);
    initViews();
    window.addEventListener('hashchange', render);
    try {
      const r = await api('/api/v1/session', null, { noAuthRedirect: true });
      state.session = r.data || { user: '' };
    } catch (e) {
      if (e.status === 401) { showLogin(); return; }
      clear($('main')).append(el('h1', { text: 'dmarcsight' }), errorBox(e));
      setReady(true);
      return;
    }
    showApp();
    render();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
