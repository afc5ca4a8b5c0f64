// A Chinese-language reviewer: the interface is in Simplified Chinese, a Chinese transcript shows as
// written, and a Chinese fault description typed with the keyboard is saved intact.
import { base, need, check, logIn, tabTo, run, waitFor } from './lib.mjs';

const id = need('FV_ZH_ID');
const fault = need('FV_ZH_FAULT');

await run('zh', async ({ page }) => {
  await logIn(page, need('FV_ZH_LOGIN'), need('FV_ZH_PASSWORD'));
  check(await page.getAttribute('html', 'lang') === 'zh-Hans', 'pages are marked zh-Hans');
  check((await page.locator('nav').innerText()).includes('审核队列'), 'the navigation is in Chinese');
  await page.goto(`${base}/ui/reports/${id}`);
  const transcript = await page.locator('#transcript').innerText();
  check(transcript.includes(need('FV_ZH_TEXT')), `the Chinese transcript is shown as written: ${transcript}`);
  check((await page.locator('#transcript mark').first().innerText()).length > 0, 'the field span is highlighted');
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, 'f-fault');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(fault);
  await page.keyboard.press('Enter');
  await waitFor(page, (f) => document.getElementById('status').textContent.includes(f), fault);
  check((await page.locator('#status').innerText()).startsWith('已保存'), 'the confirmation is in Chinese');
  await page.screenshot({ path: `${process.env.FV_ARTIFACTS ?? 'tests/artifacts'}/report-page-zh.png`, fullPage: true });
});
