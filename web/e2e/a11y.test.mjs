// Accessibility audit with axe-core (WCAG 2 A/AA rules, the engine Lighthouse uses) on the
// home page, a board page, the settings, the board directory, the status page, the open search palette and the
// history pages (search, an item, a board in the past, the day's top), in both themes.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { ensureBuilt, launchBrowser, startMu, waitForBoards } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let mu;
let browser;

before(async () => {
  ensureBuilt();
  mu = await startMu();
  await waitForBoards(mu.base, ['36kr.newsflashes', 'weibo.hot-search', 'bilibili.popular']);
  const weibo = await (await fetch(`${mu.base}/api/v1/boards/weibo.hot-search`)).json();
  firstKey = weibo.items[0].key;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await mu?.stop();
});

const PAGES = [
  { name: 'home', hash: '#/', ready: 'section.card li.item' },
  { name: 'site tab', hash: '#/site/bilibili', ready: 'section.card li.item' },
  { name: 'board page', hash: '#/board/bilibili.popular', ready: '[data-testid="board-items"] > li' },
  { name: 'settings', hash: '#/settings', ready: '[data-testid="order-list"] > li' },
  { name: 'board directory', hash: '#/boards', ready: '[data-testid="dir-list"] > li' },
  { name: 'status', hash: '#/status', ready: '[data-testid="status-list"] > li' },
  { name: 'search palette', hash: '#/', ready: 'section.card li.item', palette: true },
  { name: 'history search', hash: '#/search?q=%E5%85%83%E6%97%A6', ready: '[data-testid="hist-results"] mark' },
  { name: 'item page', hash: '#/item/weibo.hot-search/KEY', ready: '[data-testid="item-chart"] canvas' },
  { name: 'board in the past', hash: '#/board/weibo.hot-search?at=AT', ready: '[data-testid="past-items"] > li' },
  { name: 'top of the day', hash: '#/top', ready: '[data-testid="top-list"] > li' },
];
let firstKey = '';

for (const theme of ['light', 'dark']) {
  test(`axe finds no WCAG 2 A/AA violations (${theme})`, async () => {
    // bypassCSP: axe is injected as an inline script, which Mu's CSP (rightly) forbids.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: theme, bypassCSP: true, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const problems = [];
    for (const p of PAGES) {
      const hash = p.hash.replace('KEY', encodeURIComponent(firstKey)).replace('AT', new Date().toISOString());
      await page.goto(`${mu.base}/${hash}`);
      await page.locator(p.ready).first().waitFor();
      if (p.palette) {
        await page.keyboard.press('Control+k');
        await page.keyboard.type('hot');
        await page.locator('[data-testid="palette"] [role="option"]').first().waitFor();
      }
      await page.waitForTimeout(200);
      await page.addScriptTag({ path: AXE });
      const { passes, violations } = await page.evaluate(async () => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        const violations = r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary ?? '').split('\n')[1]) }));
        return { passes: r.passes.map((x) => x.id), violations };
      });
      assert.ok(passes.includes('color-contrast'), `${p.name}: axe checked the contrast`);
      for (const v of violations) problems.push({ page: p.name, ...v });
    }
    assert.deepEqual(problems, []);
    await context.close();
  });
}
