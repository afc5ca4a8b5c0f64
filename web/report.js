// The report page: seek the audio from words and fields, save fields with Enter, type-ahead for customer
// and asset, approve / reject / next, and the keyboard shortcuts for all of them. Text from the server is
// only ever set with textContent, never parsed as HTML.
import { api } from './common.js';

const root = document.getElementById('report');
const id = root.dataset.id;
const audio = document.getElementById('audio');
const status = document.getElementById('status');
const error = document.getElementById('error');
const msg = (k) => root.dataset['msg' + k[0].toUpperCase() + k.slice(1)] ?? k;

function say(text) { error.textContent = ''; status.textContent = text; }
function fail(text) { status.textContent = ''; error.textContent = text; }

function seek(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s)) return;
  audio.currentTime = s;
  audio.play().catch(() => {});
}

document.addEventListener('click', (e) => {
  const t = e.target.closest('[data-seek]');
  if (t) seek(t.dataset.seek);
});

function show(v) {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((p) => (p && p.name !== undefined ? `${p.quantity} ${p.name}` : String(p))).join(', ');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

async function save(input) {
  if (input.readOnly || input.value === input.dataset.original) return;
  try {
    const report = await api('PATCH', `/api/v1/reports/${id}`, { fields: { [input.name]: input.value === '' ? null : input.value } });
    for (const el of document.querySelectorAll('.field input')) {
      const v = show(report.fields[el.name]);
      el.dataset.original = v;
      if (el === input || el.value === el.dataset.original) el.value = v;
    }
    input.value = show(report.fields[input.name]);
    input.dataset.original = input.value;
    input.removeAttribute('aria-invalid');
    say(`${msg('saved')}: ${input.labels[0]?.textContent.trim() ?? input.name} = ${input.value}`);
  } catch (err) {
    input.setAttribute('aria-invalid', 'true');
    fail(`${msg('failed')}: ${err.message}`);
  }
}

for (const input of document.querySelectorAll('.field input')) {
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); save(input); }
    if (e.key === 'Escape') { input.value = input.dataset.original; input.removeAttribute('aria-invalid'); error.textContent = ''; }
  });
  if (input.dataset.search) {
    let timer;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => suggest(input), 150);
    });
  }
}

async function suggest(input) {
  const list = document.getElementById(input.dataset.search);
  const url = input.dataset.search === 'dl-customers' ? '/api/v1/customers' : '/api/v1/assets';
  try {
    const data = await api('GET', `${url}?q=${encodeURIComponent(input.value)}`);
    list.replaceChildren(...data.items.map((item) => {
      const o = document.createElement('option');
      o.value = item.tag ?? item.name;
      o.label = item.tag ? `${item.tag} · ${item.customer} · ${item.description}` : item.name;
      return o;
    }));
  } catch { /* type-ahead is a convenience: typing still works */ }
}

async function approve() {
  const btn = document.getElementById('approve');
  if (!btn) return;
  btn.disabled = true;
  try {
    const r = await api('POST', `/api/v1/reports/${id}/verify`);
    say(`${msg('approved')} ${r.ticket?.number ?? ''}`);
    location.assign(root.dataset.next);
  } catch (err) {
    btn.disabled = false;
    fail(`${msg('failed')}: ${err.message}`);
  }
}

async function reject() {
  const reason = document.getElementById('reject-reason');
  if (!reason) return;
  if (!reason.value.trim()) { fail(msg('reason')); reason.focus(); return; }
  try {
    await api('POST', `/api/v1/reports/${id}/reject`, { reason: reason.value });
    say(msg('rejected'));
    location.assign(root.dataset.next);
  } catch (err) {
    fail(`${msg('failed')}: ${err.message}`);
  }
}

document.getElementById('approve')?.addEventListener('click', approve);
document.getElementById('reject')?.addEventListener('click', reject);
document.getElementById('reject-reason')?.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') { e.preventDefault(); reject(); }
});

// Alt+key works from anywhere on the page, inside inputs too.
document.addEventListener('keydown', (e) => {
  if (!e.altKey || e.ctrlKey || e.metaKey) return;
  const key = e.code;
  const actions = {
    KeyA: approve,
    KeyR: () => {
      const reason = document.getElementById('reject-reason');
      if (reason && document.activeElement === reason && reason.value.trim()) reject(); else reason?.focus();
    },
    KeyN: () => location.assign(root.dataset.next),
    KeyP: () => (audio.paused ? audio.play().catch(() => {}) : audio.pause()),
    KeyE: () => document.querySelector('.field input')?.focus(),
  };
  if (actions[key]) { e.preventDefault(); actions[key](); }
});

// Follow playback in the transcript.
const words = [...document.querySelectorAll('#transcript [data-seek]')];
audio.addEventListener('timeupdate', () => {
  const t = audio.currentTime;
  let current = null;
  for (const w of words) { if (Number(w.dataset.seek) <= t) current = w; else break; }
  for (const w of words) w.classList.toggle('playing', w === current);
});
