/* pcs dashboard: the partner list, a partner's page and the simulator, from pcs-api's JSON
 * (interfaces.md §5). Plain JavaScript, no library, no external request; charts are SVG drawn here.
 * Every text from the API goes into the page as text (textContent), never as HTML. */
'use strict';
(function () {
  const AREAS = ['data_ai', 'infrastructure', 'digital_app_innovation', 'business_applications', 'modern_work', 'security'];
  /* Partner Center's words; /api/v1/vocabulary (the rule set's own) replaces them when it answers */
  let words = {
    areas: { data_ai: 'Data & AI', infrastructure: 'Infrastructure', digital_app_innovation: 'Digital & App Innovation',
      business_applications: 'Business Applications', modern_work: 'Modern Work', security: 'Security' },
    metrics: { net_customer_adds: 'Net customer adds', intermediate_certifications: 'Intermediate certifications',
      advanced_certifications: 'Advanced certifications', usage_growth: 'Usage growth', deployments: 'Deployments' },
    tracks: { enterprise: 'Enterprise', smb: 'SMB' },
    statuses: { qualified: 'Qualified', in_progress: 'In progress', not_started: 'Not started', enrolled: 'Enrolled',
      renewal_due: 'Renewal due' },
    units: {}, certifications: []
  };
  const TOKEN_KEY = 'pcs.token';
  let pendingSim = null;   /* changes from a link's #sim=JSON, run once the partner page is drawn */

  /* ---- DOM helpers ---------------------------------------------------------------------------- */
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids.flat()) {
      if (k === null || k === undefined || k === false) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  const SVG = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...kids) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  const $ = (id) => document.getElementById(id);
  function status(text) { $('status').textContent = text || ''; }

  /* ---- formatting ------------------------------------------------------------------------------- */
  const fmt2 = (x) => (typeof x === 'number' ? x.toFixed(2) : '–');
  function num(x, decimals) {
    if (typeof x !== 'number') return x === null || x === undefined ? '–' : String(x);
    return x.toLocaleString('en-US', { maximumFractionDigits: decimals === undefined ? 2 : decimals });
  }
  function withUnit(x, unit) {
    if (!unit) return num(x);
    if (unit === '%') return num(x) + ' %';
    if (unit === 'USD') return 'USD ' + num(x);
    return num(x) + ' ' + (x === 1 && unit === 'people' ? 'person' : x === 1 ? unit.replace(/s$/, '') : unit);
  }
  const areaName = (a) => words.areas[a] || a;
  const metricName = (m) => words.metrics[m] || m;
  const statusName = (x) => words.statuses[x] || x;
  const trackName = (t) => words.tracks[t] || t;
  function unitOf(area, track, metric) {
    return ((words.units[area] || {})[track] || {})[metric] || '';
  }
  /* q: qualified, p: within reach (50+), n: far from it — the colours of `pcs show` */
  const cls = (a) => (a.qualified ? 'q' : a.score >= 50 ? 'p' : 'n');

  /* ---- the API ---------------------------------------------------------------------------------- */
  class AuthError extends Error {}
  class ApiError extends Error { constructor(msg, code) { super(msg); this.code = code; } }
  async function api(path, init) {
    const opts = Object.assign({ headers: {} }, init || {});
    opts.headers.Authorization = 'Bearer ' + sessionStorage.getItem(TOKEN_KEY);
    const r = await fetch('/api/v1' + path, opts);
    if (r.status === 401) throw new AuthError('The token was refused (unknown or revoked).');
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) throw new ApiError((body && body.error) || r.statusText, r.status);
    return body;
  }
  async function loadWords() {
    try {
      const v = await api('/vocabulary');
      for (const k of Object.keys(words)) if (v[k]) words[k] = v[k];
    } catch (e) {
      if (e instanceof AuthError) throw e;
    }
  }

  /* ---- sign in ---------------------------------------------------------------------------------- */
  /* #token=T signs in, #sim=JSON opens the simulator with those changes; the fragment never
   * reaches the server and is removed from the address bar at once */
  function takeHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.get('token')) sessionStorage.setItem(TOKEN_KEY, params.get('token'));
    if (params.get('sim')) {
      try { pendingSim = JSON.parse(params.get('sim')); } catch (e) { pendingSim = null; }
    }
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  }
  function showSignin(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('view').replaceChildren();
    status('');
    $('signin').hidden = false;
    $('signout').hidden = true;
    $('signin-error').textContent = why || '';
    $('token').focus();
  }
  $('signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('token').value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    $('token').value = '';
    $('signin').hidden = true;
    start();
  });
  $('signout').addEventListener('click', () => showSignin(''));

  /* ---- charts (SVG) ----------------------------------------------------------------------------- */
  /* points: [{label, y, cls?}]; opts: {max, threshold, bars, unit, title} */
  function chart(points, opts) {
    const W = opts.w || 420, H = opts.h || 220, L = 44, R = 14, T = 14, B = 30;
    const max = opts.max || Math.max(1, ...points.map((p) => p.y || 0)) * 1.1;
    const n = Math.max(points.length, 1);
    const step = (W - L - R) / n;
    const x = (i) => L + step * (i + 0.5);
    const y = (v) => T + (H - T - B) * (1 - Math.min(v, max) / max);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': opts.title });
    svg.append(s('title', {}, opts.title));
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      svg.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'axis' }));
      svg.append(s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, num(v, v < 10 ? 1 : 0)));
    }
    const every = Math.ceil(n / 8);
    points.forEach((p, i) => {
      /* every few months and the last one, never two labels on top of each other */
      if ((i % every === 0 && n - 1 - i >= every / 2) || i === n - 1) svg.append(s('text', { x: x(i), y: H - 12, 'text-anchor': 'middle' }, p.label));
    });
    if (opts.threshold !== undefined) {
      svg.append(s('line', { x1: L, x2: W - R, y1: y(opts.threshold), y2: y(opts.threshold), class: 'threshold' }));
      svg.append(s('text', { x: W - R, y: y(opts.threshold) - 4, 'text-anchor': 'end' }, String(opts.threshold)));
    }
    if (opts.bars) {
      points.forEach((p, i) => {
        const top = y(p.y || 0);
        svg.append(s('rect', { x: x(i) - step * 0.35, y: top, width: step * 0.7, height: Math.max(0, y(0) - top), class: 'barr' },
          s('title', {}, `${p.label}: ${withUnit(p.y, opts.unit)}`)));
      });
    } else {
      const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.y || 0).toFixed(1)}`).join(' ');
      if (points.length) svg.append(s('path', { d, class: 'line' }));
      points.forEach((p, i) => {
        svg.append(s('circle', { cx: x(i), cy: y(p.y || 0), r: 4.5, class: p.cls || 'dot-q' },
          s('title', {}, `${p.label}: ${withUnit(p.y, opts.unit)}${p.note ? ' — ' + p.note : ''}`)));
      });
    }
    return svg;
  }
  /* a chart with its caption and the same numbers as a table for screen readers */
  function figure(title, points, opts, legend) {
    const table = h('table', { class: 'sr-only' }, h('caption', {}, title),
      h('tr', {}, h('th', { scope: 'col' }, 'Month'), h('th', { scope: 'col' }, 'Value')),
      points.map((p) => h('tr', {}, h('td', {}, p.label), h('td', {}, withUnit(p.y, opts.unit) + (p.note ? ', ' + p.note : '')))));
    return h('figure', { class: opts.w > 600 ? 'wide' : null }, h('figcaption', {}, title), points.length ? chart(points, Object.assign({ title }, opts))
      : h('p', { class: 'muted' }, 'No data yet.'), legend ? h('p', { class: 'legend' }, legend) : null, table);
  }

  /* ---- the partner list ------------------------------------------------------------------------- */
  async function renderList() {
    document.title = 'Partners — pcs';
    const view = $('view');
    const params = new URLSearchParams(location.search);
    const sort = params.get('sort') === 'id' ? 'id' : 'risk';
    status('Loading partners…');
    const list = await api('/partners?sort=' + sort);
    status('');
    const search = h('input', { id: 'q', type: 'search', placeholder: 'id or name', value: params.get('q') || '' });
    const st = h('select', { id: 'st' }, h('option', { value: '' }, 'any'),
      Object.keys(words.statuses).map((k) => h('option', { value: k }, statusName(k))));
    const only = h('input', { id: 'al', type: 'checkbox' });
    const sortSel = h('select', { id: 'sort' }, h('option', { value: 'risk' }, 'risk (worst first)'),
      h('option', { value: 'id' }, 'partner id'));
    sortSel.value = sort;
    sortSel.addEventListener('change', () => {
      const p = new URLSearchParams(location.search);
      p.set('sort', sortSel.value);
      location.search = p.toString();
    });
    const tbody = h('tbody');
    const caption = h('caption');
    const table = h('table', { class: 'partners', id: 'partners' }, caption,
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Partner'),
        AREAS.map((a) => h('th', { scope: 'col', class: 'cell' }, areaName(a))),
        h('th', { scope: 'col', class: 'num' }, 'Next anniversary'), h('th', { scope: 'col' }, 'Firing alerts'))),
      tbody);
    function fill() {
      const q = search.value.trim().toLowerCase(), want = st.value, onlyAlerts = only.checked;
      const rows = list.filter((p) => (!q || p.partner_id.toLowerCase().includes(q) || (p.name || '').toLowerCase().includes(q)) &&
        (!want || (p.areas || []).some((a) => a.status === want)) && (!onlyAlerts || p.alerts > 0));
      tbody.replaceChildren(...rows.map((p) => {
        const byArea = Object.fromEntries((p.areas || []).map((a) => [a.area, a]));
        return h('tr', { 'data-partner': p.partner_id },
          h('th', { scope: 'row' }, h('a', { href: '/partners/' + encodeURIComponent(p.partner_id) }, p.name || p.partner_id),
            p.name ? h('div', { class: 'muted' }, p.partner_id) : null),
          AREAS.map((a) => {
            const x = byArea[a];
            if (!x) return h('td', { class: 'cell z' }, '–');
            return h('td', { class: 'cell ' + cls(x), 'data-area': a, 'data-score': fmt2(x.score),
              title: `${areaName(a)}: ${fmt2(x.score)}, ${statusName(x.status)}` },
            h('span', { class: 's' }, fmt2(x.score)), h('span', { class: 't' }, statusName(x.status)));
          }),
          h('td', { class: 'num' }, p.days_to_anniversary === null || p.days_to_anniversary === undefined ? '–'
            : `${p.days_to_anniversary} days`, p.anniversary ? h('div', { class: 'muted' }, p.anniversary) : null),
          h('td', {}, p.alerts ? [h('span', { class: 'badge sev-' + (p.worst_severity || 'info') }, p.worst_severity || 'info'),
            ` ${p.alerts} firing`] : h('span', { class: 'muted' }, 'none')));
      }));
      caption.textContent = `${rows.length} of ${list.length} partners, sorted by ${sort === 'risk' ? 'risk (worst first)' : 'id'}`;
    }
    for (const el of [search, st, only]) el.addEventListener('input', fill);
    view.replaceChildren(h('h1', {}, 'Partners'),
      h('div', { class: 'toolbar', role: 'search' },
        h('label', { for: 'q' }, 'Search', search), h('label', { for: 'st' }, 'An area with status', st),
        h('label', { for: 'sort' }, 'Sort by', sortSel),
        h('label', { class: 'check', for: 'al' }, only, 'only partners with firing alerts')),
      h('div', { class: 'scroll' }, table),
      h('p', { class: 'legend' }, 'Cells: green qualified, amber 50 or more, red under 50. Scores are against 70; every metric must be above zero.'));
    fill();
  }

  /* ---- a partner's page ------------------------------------------------------------------------- */
  function reasons(a, track) {
    const out = [];
    if (a.qualified) return out;
    if (a.score < 70) out.push(`${fmt2(70 - a.score)} points short of 70.`);
    const detail = (track && track.metrics) || [];
    const zero = (a.metrics || []).filter((m) => m.points <= 0).map((m) => {
      const d = detail.find((x) => x.metric === m.metric) || {};
      return metricName(m.metric) + (d.prerequisite_failed ? ` (${String(d.prerequisite_failed).replace(/_/g, ' ')})` : '');
    });
    if (zero.length) out.push(`At zero, and every metric must be above zero: ${zero.join(', ')}.`);
    if (!out.length && a.score >= 70) out.push('The score is 70 or more, but not throughout the status window.');
    return out;
  }
  function scorecard(a) {
    const track = (a.tracks || []).find((t) => t.track === a.track);
    const c = cls(a);
    const rs = reasons(a, track);
    const alt = (a.alternatives || [])[0];
    return h('section', { class: 'card', 'data-area': a.area, 'data-score': fmt2(a.score), 'aria-labelledby': 'card-' + a.area },
      h('header', {}, h('h3', { id: 'card-' + a.area }, areaName(a.area)),
        h('span', { class: 'badge ' + c }, statusName(a.status))),
      h('div', {}, h('span', { class: 'score' }, fmt2(a.score)), h('span', { class: 'of' }, ' / 70 to qualify · ', trackName(a.track))),
      h('div', { class: 'bar', role: 'img', 'aria-label': `${fmt2(a.score)} of 100, 70 needed` },
        h('div', { class: 'fill ' + c, style: null }), h('div', { class: 'mark' })),
      h('table', { class: 'metrics' },
        h('caption', { class: 'sr-only' }, `${areaName(a.area)} metrics`),
        h('tr', {}, h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col', class: 'num' }, 'Points'),
          h('th', { scope: 'col', class: 'num' }, 'Value')),
        (a.metrics || []).map((m) => h('tr', { class: m.points <= 0 ? 'n' : null },
          h('td', {}, metricName(m.metric)), h('td', { class: 'num' }, `${num(m.points)} / ${num(m.max)}`),
          h('td', { class: 'num' }, withUnit(m.value, unitOf(a.area, a.track, m.metric)))))),
      rs.length ? h('ul', { class: 'reasons', 'aria-label': 'Why it does not qualify' }, rs.map((r) => h('li', {}, r)))
        : h('ul', { class: 'reasons ok' }, h('li', {}, a.window ? `Qualifies (window ${a.window.start} to ${a.window.end}).` : 'Qualifies.')),
      alt ? h('p', { class: 'muted' }, `${trackName(alt.track)} track: ${fmt2(alt.score)}${alt.qualified ? ', qualifies' : ''}`) : null,
      a.anniversary ? h('p', { class: 'muted' }, `Enrolled; anniversary ${a.anniversary}`) : null);
  }
  function setBars(root) {
    /* widths are set from script, not inline style attributes (the page's CSP forbids those) */
    for (const card of root.querySelectorAll('.card')) {
      const fill = card.querySelector('.bar .fill');
      if (fill) fill.style.width = Math.min(100, Math.max(0, parseFloat(card.dataset.score) || 0)) + '%';
    }
  }
  function section(id, title, ...body) {
    return h('section', { id, 'aria-labelledby': id + '-h' }, h('h2', { id: id + '-h' }, title), ...body);
  }
  function areaSelect(id, label, onChange, withAll) {
    const sel = h('select', { id }, withAll ? h('option', { value: '' }, 'all areas') : null,
      AREAS.map((a) => h('option', { value: a }, areaName(a))));
    sel.addEventListener('change', () => onChange(sel.value));
    return [h('label', { for: id }, label, sel), sel];
  }
  function historySection(rows) {
    const box = h('div');
    function draw(area) {
      const pts = rows.filter((r) => r.area === area).map((r) => ({ label: r.month, y: r.score, cls: r.qualified ? 'dot-q' : 'dot-n',
        note: (r.qualified ? 'qualified' : 'not qualified') + (r.source === 'computed' ? ', computed' : '') }));
      box.replaceChildren(figure(`${areaName(area)}: score by data month`, pts, { max: 100, threshold: 70, w: 720, h: 240 },
        'Filled green dots: qualified months; hollow red: not qualified. The dashed line is 70.'));
    }
    const [label, sel] = areaSelect('hist-area', 'Area', draw, false);
    const first = rows.find((r) => !r.qualified) || rows[0];
    if (first) sel.value = first.area;
    draw(sel.value);
    return section('history', 'History', h('div', { class: 'toolbar' }, label), box);
  }
  function trendsSection(rows) {
    const pts = (f) => rows.map((r) => ({ label: r.month, y: f(r) }));
    return section('trends', 'Trends', h('div', { class: 'charts' },
      figure('Customers with usage, trailing 12 months', pts((r) => r.customers_ttm), { unit: 'customers' }),
      figure('Usage: Azure consumed revenue and billed revenue (USD)', pts((r) => (r.acr_usd || 0) + (r.revenue_usd || 0)), { bars: true, unit: 'USD' }),
      figure('Active users', pts((r) => r.active_units), { unit: 'users' })));
  }
  function eligibilitySection(el) {
    const rows = el.rows || [];
    const tbody = h('tbody');
    function fill(area) {
      const rs = rows.filter((r) => !area || r.area === area);
      tbody.replaceChildren(...rs.map((r) => h('tr', {},
        h('td', {}, areaName(r.area)), h('td', {}, metricName(r.metric) + (r.part ? ` (${r.part})` : '')),
        h('td', {}, r.customer_name || r.customer_id || '–', h('div', { class: 'muted' }, r.tenant_id)),
        h('td', {}, h('span', { class: 'badge ' + (r.status === 'met' ? 'q' : r.status === 'not_met' ? 'n' : 'z') }, String(r.status).replace(/_/g, ' '))),
        h('td', { class: 'num' }, num(r.effect)), h('td', { class: 'num' }, num(r.current_value)),
        h('td', { class: 'num' }, num(r.comparison_value)), h('td', {}, r.criterion || ''))));
      if (!rs.length) tbody.replaceChildren(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No customer rows.')));
    }
    /* one area at a time by default: every customer of every metric of six areas is a long table */
    const [label, sel] = areaSelect('elig-area', 'Area', fill, true);
    sel.value = (rows[0] && rows[0].area) || '';
    fill(sel.value);
    return section('eligibility', 'Customer eligibility', h('div', { class: 'toolbar' }, label),
      h('div', { class: 'scroll' }, h('table', {}, h('caption', {}, `As of ${el.as_of}: which customers counted for each metric, and why not`),
        h('thead', {}, h('tr', {}, ['Area', 'Metric', 'Customer', 'Status', 'Effect', 'Current', 'Comparison', 'Criterion']
          .map((t, i) => h('th', { scope: 'col', class: i >= 4 && i <= 6 ? 'num' : null }, t)))), tbody)));
  }
  function skillingSection(list, asOf) {
    const soon = (d) => d && asOf && (Date.parse(d) - Date.parse(asOf)) / 86400000 <= 60;
    return section('skilling', 'Skilling', list.length ? list.map((m) => h('div', {},
      h('h3', {}, `${areaName(m.area)} · ${trackName(m.track)} · ${metricName(m.metric)}: ${num(m.units)} counted, ${num(m.points)} of ${num(m.max)} points`),
      m.missing ? h('p', { class: 'muted' }, m.missing) : null,
      h('div', { class: 'scroll' }, h('table', {}, h('caption', { class: 'sr-only' }, `${areaName(m.area)} ${metricName(m.metric)}`),
        h('thead', {}, h('tr', {}, ['Person', 'Step', 'Counted', 'Certification', 'Earned', 'Expires'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, (m.people || []).flatMap((p) => {
          const certs = (p.certifications && p.certifications.length) ? p.certifications : [{}];
          return certs.map((c, i) => h('tr', {},
            h('td', {}, i ? '' : p.person_id), h('td', {}, i ? '' : String(p.step)), h('td', {}, i ? '' : (p.counted ? 'yes' : 'no')),
            h('td', {}, c.name || '–'), h('td', {}, c.earned || ''),
            h('td', { class: soon(c.expires) ? 'p' : null }, c.expires || (c.name ? 'never' : ''), soon(c.expires) ? ' (within 60 days)' : '')));
        })))))) : h('p', { class: 'muted' }, 'No skilling metric applies.'));
  }
  function alertsSection(list) {
    return section('alerts', 'Alerts', list.length ? h('div', { class: 'scroll' }, h('table', {},
      h('caption', {}, 'Newest first, with their state and delivery'),
      h('thead', {}, h('tr', {}, ['Raised', 'Severity', 'Event', 'Area', 'State', 'Delivery'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((a) => h('tr', {}, h('td', {}, a.created || ''),
        h('td', {}, h('span', { class: 'badge sev-' + a.severity }, a.severity)),
        h('td', {}, a.text || String(a.event).replace(/_/g, ' ')), h('td', {}, areaName(a.area)),
        h('td', {}, a.state || 'raised'),
        h('td', {}, (a.deliveries || []).map((d) => `${d.sink}: ${d.state}`).join(', ') || '–'))))))
      : h('p', { class: 'muted' }, 'No alerts.'));
  }

  /* ---- the simulator ---------------------------------------------------------------------------- */
  function simulatorSection(id, doc) {
    const changes = { add_certs: [], remove_certs: [], add_customers: [] };
    if (pendingSim && typeof pendingSim === 'object') {
      for (const k of Object.keys(changes)) if (Array.isArray(pendingSim[k])) changes[k] = pendingSim[k];
    }
    const list = h('ul', { id: 'sim-changes' });
    const result = h('div', { id: 'sim-result', 'aria-live': 'polite' });
    const certList = h('datalist', { id: 'sim-certs' }, (words.certifications || []).map((c) => h('option', { value: c.id }, c.name)));
    function field(label, fid, attrs) {
      const input = h('input', Object.assign({ id: fid }, attrs || {}));
      return [h('label', { for: fid }, label), input];
    }
    function redraw() {
      list.replaceChildren(...changes.add_certs.map((c) => h('li', {}, `add ${c.certification} to ${c.person_id}${c.earned ? ' (earned ' + c.earned + ')' : ''}`)),
        ...changes.remove_certs.map((c) => h('li', {}, `remove ${c.certification} from ${c.person_id}`)),
        ...changes.add_customers.map((f) => {
        const c = (f.customers || [])[0] || {};
        return h('li', {}, `add customer ${c.name || c.tenant_id || '(fragment)'}${c.tenant_id ? ' (' + c.tenant_id + ')' : ''}`);
      }));
      if (!list.children.length) list.append(h('li', { class: 'muted' }, 'No change yet.'));
    }
    const [l1, person] = field('Person id', 'sim-person', { required: true, placeholder: 'p-new' });
    const [l2, cert] = field('Certification (id or name)', 'sim-cert', { required: true, list: 'sim-certs' });
    const [l3, earned] = field('Earned (optional)', 'sim-earned', { type: 'date' });
    const addCert = h('form', { 'aria-label': 'Add or remove a certification' }, h('fieldset', {}, h('legend', {}, 'Certifications'),
      l1, person, l2, cert, l3, earned, certList,
      h('p', {}, h('button', { type: 'submit' }, 'Add certification'), ' ',
        h('button', { type: 'button', class: 'secondary', onclick: () => {
          if (!person.value || !cert.value) return;
          changes.remove_certs.push({ person_id: person.value.trim(), certification: cert.value.trim() });
          redraw();
        } }, 'Remove certification'))));
    addCert.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const c = { person_id: person.value.trim(), certification: cert.value.trim() };
      if (earned.value) c.earned = earned.value;
      changes.add_certs.push(c);
      redraw();
    });
    const [c1, tenant] = field('Tenant id', 'sim-tenant', { required: true });
    const [c2, cname] = field('Customer name', 'sim-cname', { required: true });
    const seg = h('select', { id: 'sim-seg' }, h('option', { value: 'smb' }, 'SMB'), h('option', { value: 'enterprise' }, 'Enterprise'));
    const assoc = h('select', { id: 'sim-assoc' }, ['PAL', 'DPOR', 'CPOR', 'CSP_T1', 'CSP_T2'].map((t) => h('option', { value: t }, t)));
    const [c3, workload] = field('Workload', 'sim-workload', { required: true, placeholder: 'azure/sql_database' });
    const [c4, acr] = field('Monthly Azure consumed revenue, USD (last 12 months)', 'sim-acr', { type: 'number', min: 0, step: 'any', value: 0 });
    const [c5, active] = field('Monthly active users', 'sim-active', { type: 'number', min: 0, step: 1, value: 0 });
    const addCust = h('form', { 'aria-label': 'Add a customer' }, h('fieldset', {}, h('legend', {}, 'Customers'),
      c1, tenant, c2, cname, h('label', { for: 'sim-seg' }, 'Segment'), seg, h('label', { for: 'sim-assoc' }, 'Association'), assoc,
      c3, workload, c4, acr, c5, active, h('p', {}, h('button', { type: 'submit' }, 'Add customer'))));
    addCust.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = tenant.value.trim(), w = workload.value.trim();
      const asOf = new Date(doc.as_of + 'T00:00:00Z');
      const usage = [];
      for (let k = 1; k <= 12; k++) {
        const d = new Date(Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth() - k, 1));
        usage.push({ tenant_id: t, workload: w, month: d.toISOString().slice(0, 7), acr_usd: Number(acr.value) || 0,
          revenue_usd: 0, paid_units: Number(active.value) || 0, active_units: Number(active.value) || 0 });
      }
      const start = new Date(Date.UTC(asOf.getUTCFullYear() - 1, asOf.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
      changes.add_customers.push({ customers: [{ tenant_id: t, customer_id: t, name: cname.value.trim(), segment: seg.value }],
        associations: [{ tenant_id: t, type: assoc.value, workload: w, start, end: null }], usage });
      redraw();
    });
    const run = h('button', { type: 'button', id: 'sim-run' }, 'Simulate');
    const reset = h('button', { type: 'button', class: 'secondary' }, 'Clear changes');
    reset.addEventListener('click', () => { changes.add_certs = []; changes.remove_certs = []; changes.add_customers = []; redraw(); result.replaceChildren(); });
    run.addEventListener('click', async () => {
      result.replaceChildren(h('p', {}, 'Simulating…'));
      try {
        const both = await api(`/partners/${encodeURIComponent(id)}/simulate?as_of=${doc.as_of}`, {
          method: 'POST', body: JSON.stringify(changes), headers: { 'Content-Type': 'application/json' } });
        const sim = Object.fromEntries(both.simulated.areas.map((a) => [a.area, a]));
        result.replaceChildren(h('div', { class: 'scroll' }, h('table', { id: 'sim-table' },
          h('caption', {}, `Current and simulated scores as of ${both.current.as_of} (nothing is stored)`),
          h('thead', {}, h('tr', {}, ['Area', 'Current', 'Simulated', 'Change'].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t)))),
          h('tbody', {}, both.current.areas.map((a) => {
            const b = sim[a.area] || a, d = b.score - a.score;
            return h('tr', { 'data-area': a.area, 'data-current': fmt2(a.score), 'data-simulated': fmt2(b.score) },
              h('th', { scope: 'row' }, areaName(a.area)),
              h('td', { class: 'num ' + cls(a) }, fmt2(a.score), a.qualified ? ' ✓' : ''),
              h('td', { class: 'num ' + cls(b) }, fmt2(b.score), b.qualified ? ' ✓' : ''),
              h('td', { class: 'num ' + (d > 0.004 ? 'delta-up' : d < -0.004 ? 'delta-down' : '') },
                (d > 0 ? '+' : '') + fmt2(d), a.qualified !== b.qualified ? (b.qualified ? ', qualifies' : ', no longer qualifies') : ''));
          })))));
      } catch (e) {
        if (e instanceof AuthError) return showSignin(e.message);
        result.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'The simulation failed: ' + e.message));
      }
    });
    redraw();
    if (pendingSim) {
      pendingSim = null;
      setTimeout(() => run.click(), 0);
    }
    return section('simulator', 'Simulator', h('p', { class: 'muted' },
      'Add or remove certifications and customers and see both scores side by side. Nothing is stored.'),
    h('div', { class: 'sim' }, addCert, addCust,
      h('fieldset', {}, h('legend', {}, 'Changes'), list, h('p', {}, run, ' ', reset))), result);
  }

  async function renderPartner(id) {
    document.title = `${id} — pcs`;
    const view = $('view');
    const enc = encodeURIComponent(id);
    status(`Loading ${id}…`);
    const doc = await api(`/partners/${enc}`);
    const q = `?as_of=${doc.as_of}`;
    const settle = (p) => p.then((v) => ({ v }), (e) => ({ e }));
    const [hist, trends, elig, skill, alerts] = await Promise.all([
      settle(api(`/partners/${enc}/history?months=0`)), settle(api(`/partners/${enc}/trends`)),
      settle(api(`/partners/${enc}/eligibility${q}`)), settle(api(`/partners/${enc}/skilling${q}`)),
      settle(api(`/partners/${enc}/alerts?state=all&limit=50`))]);
    for (const r of [hist, trends, elig, skill, alerts]) if (r.e instanceof AuthError) throw r.e;
    const failed = (r, what) => h('p', { class: 'error' }, `${what} could not be loaded: ${r.e.message}`);
    status('');
    const qualified = (doc.areas || []).filter((a) => a.qualified).length;
    view.replaceChildren(
      h('nav', { 'aria-label': 'Breadcrumb' }, h('a', { href: '/' }, '← All partners')),
      h('h1', {}, `Partner ${doc.partner_id}`),
      h('p', { class: 'muted' }, `As of ${doc.as_of} · data month ${doc.data_month} · rules ${doc.rules} · ${qualified} of ${(doc.areas || []).length} areas qualify`),
      h('nav', { 'aria-label': 'Sections', class: 'toolbar' }, [['scorecards', 'Scorecards'], ['history', 'History'], ['trends', 'Trends'],
        ['eligibility', 'Eligibility'], ['skilling', 'Skilling'], ['alerts', 'Alerts'], ['simulator', 'Simulator']]
        .map(([k, t]) => h('a', { href: '#' + k }, t))),
      section('scorecards', 'Scorecards', h('div', { class: 'cards', id: 'cards' }, (doc.areas || []).map(scorecard))),
      hist.e ? failed(hist, 'The history') : historySection(hist.v),
      trends.e ? failed(trends, 'The trends') : trendsSection(trends.v),
      elig.e ? failed(elig, 'The eligibility') : eligibilitySection(elig.v),
      skill.e ? failed(skill, 'The skilling') : skillingSection(skill.v, doc.as_of),
      alerts.e ? failed(alerts, 'The alerts') : alertsSection(alerts.v),
      simulatorSection(id, doc));
    setBars(view);
  }

  /* ---- start ------------------------------------------------------------------------------------ */
  async function start() {
    $('signin').hidden = true;
    $('signout').hidden = false;
    try {
      await loadWords();
      const m = /^\/partners\/([^/]+)\/?$/.exec(location.pathname);
      if (m) await renderPartner(decodeURIComponent(m[1]));
      else await renderList();
      document.body.dataset.ready = 'true';
    } catch (e) {
      if (e instanceof AuthError) return showSignin(e.message);
      status('');
      $('view').replaceChildren(h('p', { class: 'error', role: 'alert' },
        e instanceof ApiError ? `${e.message} (HTTP ${e.code})` : 'pcs-api cannot be reached: ' + e.message),
      h('p', {}, h('a', { href: '/' }, 'All partners')));
      document.body.dataset.ready = 'error';
    }
  }
  takeHash();
  if (sessionStorage.getItem(TOKEN_KEY)) start();
  else showSignin('');
})();
