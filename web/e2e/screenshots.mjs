// Writes docs/screenshots/{desktop-light,desktop-dark,mobile,home,palette,search,item}.png
// from the app fed by the recorded fixtures (mu serve --replay), and admin.png: the admin console (a second mu
// with accounts on, signed in through the mock GitHub provider as a configured admin).
// Run: npm run screenshots (after npm run build); `npm run screenshots -- --admin` writes
// admin.png only.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startMockGithub } from '../../tests/mock_github/mock_github.mjs';
import { ROOT, ensureBuilt, launchBrowser, signIn, startMu, waitFor, waitForBoards } from './harness.mjs';

const OUT = join(ROOT, 'docs/screenshots');
mkdirSync(OUT, { recursive: true });
ensureBuilt();
const adminOnly = process.argv.includes('--admin');
const mu = adminOnly ? undefined : await startMu();
let browser;
try {
  browser = await launchBrowser();
  if (!adminOnly) await readerShots(browser);
  await adminShot(browser);
} finally {
  await browser?.close();
  await mu?.stop();
}

async function readerShots(browser) {
  await waitForBoards(mu.base, ['36kr.newsflashes', '36kr.hot', 'baidu.realtime', 'baidu.novel', 'baidu.movie', 'baidu.teleplay']);
  const shots = [
    { name: 'desktop-light', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
    { name: 'desktop-dark', viewport: { width: 1280, height: 800 }, colorScheme: 'dark' },
    { name: 'mobile', viewport: { width: 390, height: 844 }, colorScheme: 'light', isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  ];
  for (const s of shots) {
    const { name, ...options } = s;
    const context = await browser.newContext({ ...options, locale: 'zh-CN', reducedMotion: 'reduce' });
    const page = await context.newPage();
    await page.goto(mu.base);
    // Every card on screen has its items (or its empty/error state).
    await waitFor(
      () =>
        page.evaluate(() => {
          const cards = [...document.querySelectorAll('section.card')].filter((c) => c.getBoundingClientRect().top < innerHeight);
          const images = [...document.querySelectorAll('section.card img')];
          return (
            cards.length > 0 &&
            cards.every((c) => !c.querySelector('[aria-busy="true"]')) &&
            images.every((i) => i.complete) // loaded, or failed over to the initial letter
          );
        }),
      { what: 'cards on screen to load' },
    );
    await page.waitForTimeout(500);
    const file = join(OUT, `${name}.png`);
    await page.screenshot({ path: file });
    console.log('wrote', file);
    await context.close();
  }
  copyFileSync(join(OUT, 'desktop-light.png'), join(OUT, 'home.png'));
  console.log('wrote', join(OUT, 'home.png'));
  await historyShots(browser);
}

/** Ctrl-K over the home page, the history search page and an item page with its chart. */
async function historyShots(browser) {
  // The first title of the Weibo board: a word every snapshot of the fixture has.
  const weibo = await (await fetch(`${mu.base}/api/v1/boards/weibo.hot-search`)).json();
  const query = [...weibo.items[0].title].slice(0, 2).join('');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', locale: 'zh-CN', reducedMotion: 'reduce' });
  const page = await context.newPage();
  const shot = async (name) => {
    const file = join(OUT, `${name}.png`);
    await page.screenshot({ path: file });
    console.log('wrote', file);
  };
  await page.goto(mu.base);
  await page.locator('section.card [data-testid="card-items"] > li').first().waitFor();
  await page.keyboard.press('Control+k');
  await page.locator('[data-testid="palette"] input').waitFor();
  await page.keyboard.type(query);
  await page.locator('[data-testid="palette"] [role="option"][data-type="hist"]').first().waitFor();
  await shot('palette');
  await page.keyboard.press('Escape');
  await page.goto(`${mu.base}/#/search?q=${encodeURIComponent(query)}`);
  await page.locator('[data-testid="hist-results"] mark').first().waitFor();
  await shot('search');
  await page.locator('[data-testid="hit-item"]').first().click();
  await page.locator('[data-testid="item-chart"] canvas').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('item');
  await context.close();
}

/** The admin console with one board's editor open (schedule preview and runs). */
async function adminShot(browser) {
  const gh = await startMockGithub();
  const admin = await startMu({ config: ({ base }) => gh.authConfig({ publicUrl: base, admins: ['octocat'] }) });
  try {
    await waitForBoards(admin.base, ['weibo.hot-search']);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', locale: 'zh-CN', reducedMotion: 'reduce' });
    const page = await context.newPage();
    await page.goto(`${admin.base}/#/admin/boards/weibo.hot-search`);
    await signIn(page);
    await page.getByTestId('preview').waitFor();
    await page.locator('[data-testid="runs"] tbody tr').first().waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(300);
    const file = join(OUT, 'admin.png');
    await page.screenshot({ path: file });
    console.log('wrote', file);
    await context.close();
  } finally {
    await admin.stop();
    await gh.close();
  }
}
