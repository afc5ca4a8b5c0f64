// End to end with the keyboard: log in, open the report from the queue, correct labour hours by typing
// words ("three and a half" must become 3.5 server-side), approve with Alt+A, and check the queue moved on.
// Also checks that clicking a transcript word seeks the audio. Saves a screenshot of the report page.
import { base, artifacts, need, check, logIn, tabTo, run, waitFor } from './lib.mjs';

const id = need('FV_REPORT_ID');

await run('review', async ({ page }) => {
  await logIn(page, need('FV_LOGIN'), need('FV_PASSWORD'));
  check(await page.locator(`tr[data-report-id="${id}"]`).count() === 1, `report ${id} is in the queue`);

  // Open it from the queue by keyboard.
  await tabTo(page, `open-${id}`);
  await Promise.all([page.waitForURL(`**/ui/reports/${id}`), page.keyboard.press('Enter')]);
  check((await page.locator('#transcript').innerText()).toLowerCase().includes('acme'), 'the real transcript is shown');
  check(await page.locator('#transcript .w[data-seek]').count() > 5, 'timed words are seek targets');
  check(await page.locator('#transcript .hl').count() > 0, 'field spans are highlighted');

  // A word click seeks the audio to that word.
  await waitFor(page, () => document.getElementById('audio').readyState >= 1);
  const word = page.locator('#transcript .w[data-seek]').nth(4);
  const at = Number(await word.getAttribute('data-seek'));
  await word.click();
  await waitFor(page, (t) => Math.abs(document.getElementById('audio').currentTime - t) < 0.6, at);
  await page.evaluate(() => document.getElementById('audio').pause());

  // Keyboard only from here. Type-ahead: typing in the customer field offers CRM names; Esc restores it.
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, 'f-customer');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('acm');
  await waitFor(page, () => [...document.querySelectorAll('#dl-customers option')].some((o) => o.value === 'Acme Foods'));
  await page.keyboard.press('Escape');
  check(await page.inputValue('#f-customer') === 'Acme Foods', 'Esc restores the customer');

  // Focus labour hours by Tab, replace its text, Enter saves.
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, 'f-labor_hours');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('three and a half');
  await page.keyboard.press('Enter');
  await waitFor(page, () => document.getElementById('f-labor_hours').value === '3.5');
  check((await page.locator('#status').innerText()).includes('3.5'), 'the save is announced');

  // Nonsense gets a clear error and the field is marked invalid.
  await page.keyboard.press('Control+A');
  await page.keyboard.type('banana');
  await page.keyboard.press('Enter');
  await waitFor(page, () => document.getElementById('error').textContent.includes('banana'));
  check(await page.locator('#f-labor_hours[aria-invalid="true"]').count() === 1, 'invalid field is marked');
  await page.keyboard.press('Escape');
  check(await page.inputValue('#f-labor_hours') === '3.5', 'Esc restores the saved value');

  await page.screenshot({ path: `${artifacts}/report-page.png`, fullPage: true });

  // Approve with the shortcut; the page moves on to the next report or the queue.
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith(`/ui/reports/${id}`)), page.keyboard.press('Alt+KeyA')]);
  await page.goto(`${base}/ui/queue`);
  check(await page.locator(`tr[data-report-id="${id}"]`).count() === 0, `report ${id} left the queue`);
  await page.goto(`${base}/ui/reports/${id}`);
  check((await page.locator('#ticket').innerText()).startsWith('FV-'), 'the ticket number is shown');
  check((await page.locator('.audit').innerText()).includes('3.5'), 'the edit is in the history');

  // The dashboard draws its figures from the stats API.
  await page.goto(`${base}/ui/dashboard`);
  await waitFor(page, () => document.getElementById('dashboard').dataset.ready === 'true');
  check(await page.locator('#dashboard svg rect').count() >= 4, 'bars are drawn');
  check((await page.locator('#chart-tech').innerText()).includes('Tess Tech'), 'per technician names the technician');
  check(!(await page.locator('#median').innerText()).includes('…'), 'the median is filled in');
  await page.screenshot({ path: `${artifacts}/dashboard.png`, fullPage: true });
});
