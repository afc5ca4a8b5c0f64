// The dashboard: fetches /api/v1/stats and draws each figure as an SVG bar chart (no chart library),
// with the numbers also in a table for screen readers and copying.
import { api } from './common.js';

const root = document.getElementById('dashboard');
const SVG = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Horizontal bars: one row per [label, count]. */
function bars(container, title, rows) {
  container.replaceChildren();
  if (!rows.length) {
    const p = document.createElement('p');
    p.textContent = root.dataset.msgNone;
    container.append(p);
    return;
  }
  const max = Math.max(...rows.map((r) => r[1]), 1);
  const rowH = 26, labelW = 200, barW = 420, h = rows.length * rowH + 8;
  const svg = el('svg', { viewBox: `0 0 ${labelW + barW + 60} ${h}`, role: 'img', 'aria-label': title, width: labelW + barW + 60, height: h });
  rows.forEach(([label, n], i) => {
    const y = i * rowH + 4;
    svg.append(el('text', { x: labelW - 8, y: y + 16, 'text-anchor': 'end', 'font-size': 13 }, String(label).slice(0, 28)));
    svg.append(el('rect', { x: labelW, y, width: Math.max(2, (n / max) * barW), height: rowH - 8, fill: '#0b57d0' }));
    svg.append(el('text', { x: labelW + (n / max) * barW + 6, y: y + 16, 'font-size': 13 }, String(n)));
  });
  const table = document.createElement('table');
  for (const [label, n] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = label;
    tr.insertCell().textContent = n;
  }
  container.append(svg, table);
}

/** A state's name in the reader's language (from the page), else as the API spells it. */
function stateName(state) {
  return root.dataset['state' + state[0].toUpperCase() + state.slice(1)] ?? state;
}

function duration(ms) {
  if (ms === null || ms === undefined) return root.dataset.msgNone;
  const hours = ms / 3_600_000;
  return hours >= 1 ? `${hours.toFixed(1)} ${root.dataset.msgHours}` : `${Math.round(ms / 60000)} min`;
}

try {
  const s = await api('GET', '/api/v1/stats?days=30');
  document.getElementById('median').textContent = `${duration(s.median_verify_ms)} (${s.verified_count} ${root.dataset.msgReports})`;
  const title = (id) => document.getElementById(id).textContent;
  bars(document.getElementById('chart-day'), title('h-day'), s.per_day.map((d) => [d.day, d.count]));
  bars(document.getElementById('chart-tech'), title('h-tech'), s.per_technician.map((d) => [d.technician, d.count]));
  bars(document.getElementById('chart-state'), title('h-state'), Object.entries(s.states).map(([state, n]) => [stateName(state), n]));
  bars(document.getElementById('chart-fault'), title('h-fault'), s.top_faults.map((d) => [d.fault, d.count]));
  root.dataset.ready = 'true';
} catch (err) {
  document.getElementById('error').textContent = `${root.dataset.msgFailed}: ${err.message}`;
}
