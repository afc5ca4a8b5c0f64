// Shared by the browser scripts: launch Debian's chromium through playwright-core, log in through the
// form, fail on any page error or dialog, and small assertion helpers. Settings come from the environment
// the Rust test sets (FV_BASE_URL, FV_ARTIFACTS, logins).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

export const base = process.env.FV_BASE_URL ?? 'http://127.0.0.1:8080';
export const artifacts = process.env.FV_ARTIFACTS ?? 'tests/artifacts';

export function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

/** A fresh browser and page; `problems` collects dialogs and page errors (a dialog means injected script ran). */
export async function open() {
  const browser = await chromium.launch({
    executablePath: process.env.FV_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = [];
  page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Resource errors (a seeded report has no audio file) are not script errors; anything else is.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(15000);
  mkdirSync(artifacts, { recursive: true });
  return { browser, page, problems };
}

/** Logs in with the keyboard: type the login, Tab, the password, Enter. */
export async function logIn(page, login, password) {
  await page.goto(`${base}/ui/login`);
  await waitFor(page, () => document.activeElement?.id === 'login');
  await page.keyboard.type(login);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await Promise.all([page.waitForURL('**/ui/queue'), page.keyboard.press('Enter')]);
}

/** Polls `fn(arg)` in the page until it is truthy. (Playwright's waitForFunction compiles its predicate
 *  with eval, which the pages' Content-Security-Policy rightly forbids; evaluate is not affected.) */
export async function waitFor(page, fn, arg, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Presses Tab until the element with `id` has focus (bounded). */
export async function tabTo(page, id, limit = 120) {
  for (let i = 0; i < limit; i++) {
    if (await page.evaluate((want) => document.activeElement?.id === want, id)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`#${id} never got keyboard focus after ${limit} Tabs`);
}

/** Runs `body`, closing the browser and exiting non-zero with the reason on any failure. */
export async function run(name, body) {
  const ctx = await open();
  try {
    await body(ctx);
    check(ctx.problems.length === 0, `no dialogs or page errors, got ${JSON.stringify(ctx.problems)}`);
    console.log(`${name}: ok`);
  } catch (e) {
    console.error(`${name}: ${e.stack ?? e}`);
    try { await ctx.page.screenshot({ path: `${artifacts}/${name}-failure.png`, fullPage: true }); } catch { /* best effort */ }
    process.exitCode = 1;
  } finally {
    await ctx.browser.close();
  }
}
