// A report whose transcript and field values hold <script> and <img onerror> must show them as text and
// run nothing: any dialog or page error fails the run, and the injected code would set window.__pwned.
import { base, need, check, logIn, run, waitFor } from './lib.mjs';

const id = need('FV_INJECTION_ID');

await run('injection', async ({ page }) => {
  await logIn(page, need('FV_LOGIN'), need('FV_PASSWORD'));
  await page.goto(`${base}/ui/reports/${id}`);
  await page.waitForTimeout(500);
  check(await page.evaluate(() => window.__pwned) === undefined, 'no injected script ran');
  check(await page.locator('#transcript script, #transcript img, .fields img, .fields script').count() === 0, 'no injected elements');
  check((await page.locator('#transcript').innerText()).includes('<script>window.__pwned=1'), 'the transcript shows the tag as text');
  check((await page.inputValue('#f-fault')).startsWith('<img src=x onerror='), 'the field shows the tag as text');
  // Saving such a value through the page keeps it inert too.
  await page.locator('#f-action').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('<img src=y onerror="window.__pwned=3">');
  await page.keyboard.press('Enter');
  await waitFor(page, () => document.getElementById('status').textContent.length > 0);
  await page.reload();
  await page.waitForTimeout(300);
  check(await page.evaluate(() => window.__pwned) === undefined, 'no injected script ran after saving');
  check((await page.locator('.audit').innerText()).includes('<img src=y'), 'the history shows the tag as text');

  // Reject it with the keyboard: Alt+R focuses the reason, Enter rejects, and the page moves on.
  await page.keyboard.press('Alt+KeyR');
  check(await page.evaluate(() => document.activeElement?.id) === 'reject-reason', 'Alt+R focuses the reason');
  await page.keyboard.press('Enter');
  check((await page.locator('#error').innerText()).length > 0, 'an empty reason is refused with a message');
  await page.keyboard.type('Test report <b>not</b> real');
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith(`/ui/reports/${id}`)), page.keyboard.press('Enter')]);
});
