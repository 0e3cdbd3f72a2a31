/* global document, EventSource, fetch, setTimeout, clearTimeout */
// The dashboard page: one Server-Sent Events stream (`snapshot` once, then coalesced
// `update`s at most ten times a second), rendered with plain DOM calls. No framework, no CDN.

const TIMELINE_MS = 5 * 60_000;
const LOG_KEPT = 100;
/** With neither update nor ping for this long, the daemon is taken for gone. */
const SILENCE_MS = 15_000;
const REGIONS = [['driving', 'driving'], ['workload', 'workload'], ['io', 'I/O'], ['instance', 'instance']];

const $ = (id) => document.getElementById(id);
let view = null;
let connected = false;
let silence;
let source;
/** Release tokens of the holds this page placed. */
const ownHolds = new Map();

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const clock = (iso) => (iso ? iso.slice(11, 19) : '–');
const shortSignal = (name) => name.replace(/^Vehicle\./, '');
/** A dotted or snake_case name that may wrap before its dots and after its underscores. */
const breakable = (name) => name.split(/(?=\.)|(?<=_)/).flatMap((part, i) => (i === 0 ? [part] : [el('wbr'), part]));

function connect() {
  source = new EventSource('events');
  source.addEventListener('snapshot', (e) => {
    view = JSON.parse(e.data);
    view.log = view.log.slice(-LOG_KEPT);
    setConnected(true);
    render(new Set(['all']));
  });
  source.addEventListener('update', (e) => {
    heard();
    if (view) render(merge(JSON.parse(e.data)));
  });
  source.addEventListener('ping', heard);
  // The browser reconnects by itself (the server asks for a retry after 1 s); a refusal closes the stream for good, so then we start again.
  source.onerror = () => {
    setConnected(false);
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  };
}

function heard() {
  clearTimeout(silence);
  silence = setTimeout(() => {
    source.close();
    setConnected(false);
    connect();
  }, SILENCE_MS);
}

function setConnected(up) {
  connected = up;
  if (up) heard();
  renderStatus();
}

/** Applies an update; returns the names of the sections that changed. */
function merge(update) {
  const changed = new Set(Object.keys(update));
  for (const [key, value] of Object.entries(update)) {
    if (key === 'timeline') {
      const last = view.timeline.at(-1)?.seq ?? 0;
      view.timeline.push(...value.filter((p) => p.seq > last));
    } else if (key === 'log') {
      const last = view.log.at(-1)?.seq ?? 0;
      view.log.push(...value.filter((e) => e.seq > last));
      view.log = view.log.slice(-LOG_KEPT);
    } else view[key] = value;
  }
  return changed;
}

function render(changed) {
  const all = changed.has('all');
  const any = (...keys) => all || keys.some((k) => changed.has(k));
  if (any('status')) renderStatus();
  if (any('vehicle')) renderVehicle();
  if (any('context', 'timeline', 'vehicle')) renderContext();
  if (any('decision')) renderDecision();
  if (any('personality', 'decision', 'status')) renderTargets();
  if (any('holds', 'info')) renderHolds();
  if (any('log')) renderLog();
}

function renderStatus() {
  const badge = $('connection');
  if (!connected || !view) {
    badge.className = 'badge offline';
    badge.textContent = 'offline: reconnecting…';
    return;
  }
  const s = view.status;
  badge.className = `badge ${s.state === 'degraded' ? 'degraded' : 'online'}`;
  badge.textContent = s.state === 'degraded' ? `degraded: ${s.reason ?? ''}` : 'online';
  $('ecu').textContent = view.ecuId;
  $('daemon-status').textContent = s.note ?? (s.backend ? `${s.backend} backend` : '');
}

function renderVehicle() {
  const v = view.vehicle;
  $('can-time').textContent = clock(v?.canTime);
  if (v?.canTime) $('can-time').setAttribute('datetime', v.canTime);
  $('speed').textContent = v?.speedKmh === null || v?.speedKmh === undefined ? '–' : v.speedKmh.toFixed(1);
  const rows = (v?.signals ?? []).map((s) =>
    el(
      'tr',
      { class: s.stale ? 'stale' : '' },
      el('td', {}, ...breakable(shortSignal(s.name))),
      el('td', { class: 'num', text: s.value === null ? '–' : String(s.value) }),
      el('td', { class: 'num', text: s.ageMs === null ? 'never' : `${s.ageMs} ms` }),
    ),
  );
  $('signals').tBodies[0].replaceChildren(...rows);
}

function renderContext() {
  const c = view.context;
  $('ctx-driving').textContent = c?.context ?? '–';
  $('ctx-workload').textContent = c?.workload ?? '–';
  $('ctx-io').textContent = c?.io ?? '–';
  $('ctx-instance').textContent = c ? `${c.instance}${c.role ? ` (${c.role})` : ''}` : '–';
  // Drawn in CAN time, the drive's clock: a replay at any speed shows the drive as it was.
  const points = view.timeline;
  const nowIso = view.vehicle?.canTime ?? points.at(-1)?.canTime;
  if (!nowIso || points.length === 0) return $('timeline').replaceChildren();
  const now = Date.parse(nowIso);
  // A young drive fills the bars; an old one shows its last minutes.
  const start = Math.max(now - TIMELINE_MS, Date.parse(points[0].canTime));
  const span = Math.max(1, now - start);
  $('timeline-span').textContent = `${Math.max(1, Math.round(span / 60_000))} min`;
  const lanes = REGIONS.map(([key, label]) => {
    const bar = el('div', { class: 'bar' });
    const spoken = [];
    let i = 0;
    while (i < points.length) {
      let j = i + 1;
      while (j < points.length && points[j][key] === points[i][key]) j++;
      const from = Math.max(start, Date.parse(points[i].canTime));
      const to = j < points.length ? Date.parse(points[j].canTime) : now;
      if (to > start && to > from) {
        const seg = el('i', { class: `s-${points[i][key]}`, title: `${points[i][key]} ${clock(new Date(from).toISOString())}–${clock(new Date(to).toISOString())}`, text: points[i][key] });
        seg.style.left = `${((from - start) / span) * 100}%`;
        seg.style.width = `${((to - from) / span) * 100}%`;
        bar.append(seg);
        spoken.push(`${points[i][key]} ${j < points.length ? `until ${clock(new Date(to).toISOString())}` : 'now'}`);
      }
      i = j;
    }
    bar.setAttribute('role', 'img');
    bar.setAttribute('aria-label', `${label}: ${spoken.join(', ')}`);
    return el('div', { class: `lane lane-${key}` }, el('span', { text: label }), bar);
  });
  $('timeline').replaceChildren(...lanes);
}

function renderDecision() {
  const d = view.decision;
  $('decision-text').textContent = d ? d.text : 'none yet';
  $('decision-meta').textContent = d ? `decision ${d.record.seq} at ${clock(d.record.time)}, after ${d.record.trigger}` : '';
}

function renderTargets() {
  const drivers = Object.entries(view.personality?.drivers ?? {});
  if (drivers.length === 0) return $('targets').replaceChildren(el('p', { class: 'muted', text: 'no personality applied yet' }));
  const degraded = view.status.state === 'degraded' ? view.status.reason ?? '' : '';
  $('targets').replaceChildren(
    ...drivers.map(([key, t]) => {
      const decided = view.decision?.record.drivers.find((d) => d.target === key);
      const pending = Object.entries(t.pending);
      const names = [...new Set([...Object.keys(t.parameters), ...Object.keys(t.pending)])];
      const flags = [];
      if (pending.length > 0) flags.push(el('span', { class: 'flag', text: `${pending.length} gated until standstill` }));
      if (decided?.result === 'deferred') flags.push(el('span', { class: 'flag', text: `switch to ${decided.winner.personality} deferred` }));
      if (degraded && degraded.includes(t.resources[0] ?? key)) flags.push(el('span', { class: 'flag bad', text: 'drift' }));
      return el(
        'div',
        { class: 'target' },
        el('h3', { text: `${key} (${t.resources.join(', ')})` }),
        el('p', {}, el('span', { class: 'personality', text: t.personality }), ` since ${clock(t.since)}, generation ${t.generation} `, ...flags),
        el(
          'table',
          { class: 'params' },
          el('caption', { text: `Parameters of ${key} as read back from the driver` }),
          el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'parameter' }), el('th', { scope: 'col', text: 'driver has' }), el('th', { scope: 'col', text: 'waiting' }))),
          el('tbody', {}, ...names.map((n) => el('tr', {}, el('td', {}, ...breakable(n)), el('td', { text: t.parameters[n] ?? '–' }), el('td', { text: t.pending[n] ? `→ ${t.pending[n]}` : '' })))),
        ),
      );
    }),
  );
}

function renderHolds() {
  const rows = view.holds.map((h) => {
    const token = ownHolds.get(h.id);
    const action = token && view.control ? el('button', { type: 'button', class: 'secondary', 'data-hold': h.id, text: 'Release' }) : null;
    action?.addEventListener('click', () => void release(h.id, token));
    return el('tr', {}, el('td', {}, el('span', { class: 'hold-id', text: h.id }), h.owner), el('td', { text: `${h.driver}/${h.personality}` }), el('td', { class: 'num', text: String(h.priority) }), el('td', { text: h.whilePresent ? `with its owner, lease to ${clock(h.expires)}` : clock(h.expires) }), el('td', {}, action));
  });
  if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '5', class: 'muted', text: 'none' })));
  $('holds-table').tBodies[0].replaceChildren(...rows);
  const form = $('hold-form');
  form.hidden = !view.control;
  const select = $('hold-personality');
  const options = (view.info?.manifests ?? []).map((m) => `${m.driver}/${m.name}`);
  if (select.options.length !== options.length) select.replaceChildren(...options.map((o) => el('option', { value: o, text: o })));
}

function logLine(entry) {
  const e = entry.event;
  switch (entry.kind) {
    case 'switch': {
      // The resources of a target change alike: each change is told once.
      const changes = [...new Set(e.changes.map((c) => `${c.name} ${c.from ?? ''}→${c.to}`))];
      const pending = e.pending.map((p) => `${p.name} →${p.to} at standstill`);
      return el('li', { class: 'switch' }, el('time', { text: clock(e.time) }), `switch ${e.target}: ${e.from ?? '(start)'} → ${e.to} by ${e.trigger.source} (${e.trigger.reason})${changes.length + pending.length > 0 ? `: ${[...changes, ...pending].join(', ')}` : ''}`);
    }
    case 'rejected':
      return el('li', { class: 'rejected' }, el('time', { text: clock(e.time) }), 'rejected ', el('span', { class: 'code', text: String(e.status) }), ` ${e.what}: ${e.error}`);
    case 'drift':
      return el('li', { class: 'rejected' }, el('time', { text: clock(e.time) }), `drift on ${e.driver} ${e.resources.join(', ')}: ${e.parameters.join(', ')} changed outside persona (${e.action})`);
    case 'health':
      return el('li', { class: 'rejected' }, el('time', { text: clock(e.time) }), `health: ${e.personality} on ${e.target} broke ${e.breaches.map((b) => `${b.metric} ${b.value} ${b.bound === 'max' ? '>' : '<'} ${b.limit}`).join(', ')} ${e.afterMs} ms after the switch; back to ${e.revertTo ?? 'nothing'}, quarantined`);
    default:
      return el('li', {}, el('time', { text: clock(e.time) }), `manifests loaded: ${e.personalities} personalities, ${e.changed.length} changed, ${e.rejected.length} rejected`);
  }
}

function renderLog() {
  $('log-list').replaceChildren(...[...view.log].reverse().map(logLine));
}

function say(text, error = false) {
  const m = $('control-message');
  m.textContent = text;
  m.className = error ? 'error' : '';
}

async function control(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${$('token').value}` },
    body: JSON.stringify(body),
  });
  return response.json();
}

async function placeHold(event) {
  event.preventDefault();
  const [driver, personality] = $('hold-personality').value.split('/');
  const answer = await control('api/holds', { owner: 'dashboard', driver, personality, priority: Number($('hold-priority').value), holdSeconds: Number($('hold-seconds').value) });
  // 409: placed, but outranked or gated; the hold exists and can be released.
  if (answer.data?.token) ownHolds.set(answer.data.hold, answer.data.token);
  if (answer.status === 200) say(`hold ${answer.data.hold} placed: ${driver}/${personality}`);
  else if (answer.data?.hold) say(`hold ${answer.data.hold}: ${answer.error}`);
  else say(`refused ${answer.status}: ${answer.error}`, true);
  if (view) renderHolds();
}

async function release(hold, token) {
  const answer = await control('api/release', { hold, token });
  if (answer.status === 200) {
    ownHolds.delete(hold);
    say(`hold ${hold} released`);
  } else say(`release of ${hold} refused ${answer.status}: ${answer.error}`, true);
}

$('hold-form').addEventListener('submit', (e) => void placeHold(e).catch((err) => say(`request failed: ${err.message}`, true)));
connect();
