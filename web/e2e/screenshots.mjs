// Writes docs/screenshots/{desktop-light,desktop-dark,mobile,home}.png from the app fed by
// the recorded fixtures (mu serve --replay). Run: npm run screenshots (after npm run build).
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ensureBuilt, launchBrowser, startMu, waitFor, waitForBoards } from './harness.mjs';

const OUT = join(ROOT, 'docs/screenshots');
mkdirSync(OUT, { recursive: true });
ensureBuilt();
const mu = await startMu();
let browser;
try {
  await waitForBoards(mu.base, ['36kr.newsflashes', '36kr.hot', 'baidu.realtime', 'baidu.novel', 'baidu.movie', 'baidu.teleplay']);
  browser = await launchBrowser();
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
} finally {
  await browser?.close();
  await mu.stop();
}
