// Shared by every review page: the session's CSRF token and a fetch wrapper for the JSON API.
export const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';

/** Calls the JSON API with the session cookie and CSRF header; resolves to the parsed body or throws
 *  an Error carrying the API's message. */
export async function api(method, url, body) {
  const init = { method, headers: { 'X-CSRF-Token': csrf() }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(url, init);
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!resp.ok) throw new Error(data?.error || `${resp.status}`);
  return data;
}

// The language selector saves on change, so it needs no extra key press.
document.getElementById('language-select')?.addEventListener('change', (e) => e.target.form.requestSubmit());
