// Accessibility audit with axe-core (WCAG 2 A/AA rules, the engine Lighthouse uses) on the
// home page, a board page, the settings, the board directory, the status page and the open search palette, in both themes.
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
];

for (const theme of ['light', 'dark']) {
  test(`axe finds no WCAG 2 A/AA violations (${theme})`, async () => {
    // bypassCSP: axe is injected as an inline script, which Mu's CSP (rightly) forbids.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: theme, bypassCSP: true, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const problems = [];
    for (const p of PAGES) {
      await page.goto(`${mu.base}/${p.hash}`);
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
