// Unit tests of the app's pure modules (src/lib), loaded from TypeScript through Vite's SSR
// module loader, with the few browser globals they touch stubbed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'vite';
import { WEB } from './harness.mjs';

let vite;
let lib;

before(async () => {
  const store = new Map();
  globalThis.window = { addEventListener() {}, matchMedia: () => ({ matches: false, addEventListener() {} }) };
  globalThis.localStorage = {
    getItem: (k) => store.get(k) ?? null,
    setItem: (k, v) => store.set(k, String(v)),
  };
  globalThis.location = { hash: '', href: 'http://localhost/' };
  vite = await createServer({ root: WEB, logLevel: 'silent', server: { middlewareMode: true, hmr: false }, appType: 'custom' });
  const load = (p) => vite.ssrLoadModule(p);
  lib = {
    safe: await load('/src/lib/safe.ts'),
    settings: await load('/src/lib/settings.ts'),
    router: await load('/src/lib/router.ts'),
    kind: await load('/src/lib/kind.ts'),
    i18n: await load('/src/lib/i18n.ts'),
    time: await load('/src/lib/time.ts'),
    hot: await load('/src/lib/hot.ts'),
    api: await load('/src/lib/api.ts'),
    health: await load('/src/lib/health.ts'),
    history: await load('/src/lib/history.ts'),
  };
});

after(async () => {
  await vite?.close();
  // time.ts ticks a clock; nothing else keeps the process alive
  setImmediate(() => process.exit(process.exitCode ?? 0));
});

describe('safe', () => {
  test('safeUrl keeps http(s) and drops everything else', () => {
    const { safeUrl } = lib.safe;
    assert.equal(safeUrl('https://a.example/x?y=1'), 'https://a.example/x?y=1');
    assert.equal(safeUrl('http://a.example'), 'http://a.example/');
    for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', ' javascript:alert(1)', 'data:text/html,x', 'vbscript:x', '//a.example', '/relative', '', null, 42]) {
      assert.equal(safeUrl(bad), undefined, String(bad));
    }
  });
  test('safeColor accepts only hex colours', () => {
    const { safeColor } = lib.safe;
    assert.equal(safeColor('#e6162d'), '#e6162d');
    assert.equal(safeColor('#abc'), '#abc');
    assert.equal(safeColor('red;background:url(x)'), undefined);
    assert.equal(safeColor('#12345g'), undefined);
  });
});

describe('settings', () => {
  test('normalizeSettings drops invalid values and keeps valid ones', () => {
    const s = lib.settings.normalizeSettings({ theme: 'neon', density: 'compact', order: ['a', 1], favorites: ['x'], newTab: 'yes' });
    assert.equal(s.theme, 'auto');
    assert.equal(s.density, 'compact');
    assert.deepEqual(s.order, []);
    assert.deepEqual(s.favorites, ['x']);
    assert.equal(s.newTab, true);
    assert.equal(s.version, 1);
  });
  test('mergeSettings takes each field from the copy that changed it last', () => {
    const { defaultSettings, mergeSettings } = lib.settings;
    const local = { ...defaultSettings(), theme: 'dark', favorites: ['a'], updated_at: '2026-01-02T00:00:00Z', field_updated_at: { theme: '2026-01-02T00:00:00Z', favorites: '2026-01-01T00:00:00Z' } };
    const remote = { ...defaultSettings(), theme: 'light', favorites: ['b', 'c'], updated_at: '2026-01-03T00:00:00Z', field_updated_at: { theme: '2026-01-01T00:00:00Z', favorites: '2026-01-03T00:00:00Z' } };
    const m = mergeSettings(local, remote);
    assert.equal(m.theme, 'dark');
    assert.deepEqual(m.favorites, ['b', 'c']);
    assert.equal(m.updated_at, '2026-01-03T00:00:00Z');
    assert.equal(m.field_updated_at.favorites, '2026-01-03T00:00:00Z');
    assert.deepEqual(mergeSettings(remote, local), m, 'merging is symmetric');
  });
  test('setSetting stamps the field and persists under mu.settings', () => {
    const { setSetting, settings, STORAGE_KEY } = lib.settings;
    setSetting('density', 'compact');
    assert.equal(settings.density, 'compact');
    assert.ok(settings.field_updated_at.density);
    assert.equal(STORAGE_KEY, 'mu.settings');
    assert.equal(JSON.parse(localStorage.getItem('mu.settings')).density, 'compact');
  });
  test('boot.js preloads the boards settings.ts puts first (its copy of DEFAULT_FIRST agrees)', () => {
    const boot = readFileSync(join(WEB, 'public/boot.js'), 'utf8');
    const copy = JSON.parse(/var biggest = (\[[^\]]*\])/.exec(boot)[1].replace(/'/g, '"'));
    assert.deepEqual(copy, [...lib.settings.DEFAULT_FIRST]);
    // index.html's #mu-first block names the same boards for the server to write in.
    const html = readFileSync(join(WEB, 'index.html'), 'utf8');
    const listed = /id="mu-first" data-boards="([^"]*)"/.exec(html)[1].split(',');
    assert.deepEqual(listed, [...lib.settings.DEFAULT_FIRST]);
  });

  test('orderBoards: user order first, unknown ids ignored, new boards appended', () => {
    assert.deepEqual(lib.settings.orderBoards(['a', 'b', 'c', 'd'], ['c', 'gone', 'a', 'c']), ['c', 'a', 'b', 'd']);
  });
});

describe('store: the first answers the server wrote into the page', () => {
  const site = { id: 'weibo', name: '微博', name_en: 'Weibo', board_count: 1 };
  const meta = { id: 'weibo.hot-search', site: 'weibo', name: '热搜榜', version: 3 };
  const body = { ...meta, site, items: [{ key: 'a', title: '第一条', rank: 1, url: 'https://s.weibo.com/a' }] };
  let block = null;
  const withBlock = (text) => {
    block = text === null ? null : { textContent: text };
  };
  test('read before the first render: catalogue, sites and bodies in the store; fresh only when just written', async () => {
    globalThis.document = { getElementById: (id) => (id === 'mu-first' ? block : null) };
    const store = await vite.ssrLoadModule('/src/lib/store.ts');
    const now = Date.parse('2026-12-07T19:30:00Z');
    // Nothing usable: no block, not JSON, the wrong shape, a large catalogue.
    for (const text of [null, '', '{"sites":', '{"sites":{}}', JSON.stringify({ sites: { sites: [site] }, boards: { boards: [meta], total: 301 }, bodies: [body] })]) {
      withBlock(text);
      store.loadFirstAnswers(now);
      assert.equal(store.catalogueLoaded.value, false, `ignored: ${text}`);
      assert.deepEqual(store.firstAnswers.ids, []);
    }
    const answers = { generated_at: '2026-12-07T19:29:50Z', sites: { sites: [site], categories: [] }, boards: { boards: [meta] }, bodies: [body, { id: 7 }] };
    withBlock(JSON.stringify(answers));
    store.loadFirstAnswers(now);
    assert.equal(store.catalogueLoaded.value, true);
    assert.deepEqual(store.catalogue.value.map((b) => b.id), ['weibo.hot-search']);
    assert.deepEqual(store.sites.value.map((s) => s.id), ['weibo']);
    assert.equal(store.totalBoards.value, 1);
    assert.equal(store.entry('weibo.hot-search').body.items[0].title, '第一条');
    assert.deepEqual(store.firstAnswers.ids, ['weibo.hot-search'], 'a malformed body is skipped');
    assert.equal(store.firstAnswers.fresh, true);
    // A copy kept from an earlier visit (the service worker's offline shell): checked again.
    withBlock(JSON.stringify({ ...answers, generated_at: '2026-12-06T08:00:00Z' }));
    store.loadFirstAnswers(now);
    assert.equal(store.firstAnswers.fresh, false);
    delete globalThis.document;
  });
});

describe('router', () => {
  test('parseHash', () => {
    const { parseHash } = lib.router;
    assert.deepEqual(parseHash(''), { name: 'home', tab: 'all' });
    assert.deepEqual(parseHash('#/following'), { name: 'home', tab: 'following' });
    assert.deepEqual(parseHash('#/site/weibo'), { name: 'home', tab: 'site', site: 'weibo', board: undefined });
    assert.deepEqual(parseHash('#/site/v2ex/v2ex.hot'), { name: 'home', tab: 'site', site: 'v2ex', board: 'v2ex.hot' });
    assert.deepEqual(parseHash('#/board/weibo.hot-search'), { name: 'board', id: 'weibo.hot-search' });
    assert.deepEqual(parseHash('#/board/a%2Fb'), { name: 'board', id: 'a/b' });
    assert.deepEqual(parseHash('#/settings'), { name: 'settings' });
    assert.deepEqual(parseHash('#/boards'), { name: 'boards' });
    assert.deepEqual(parseHash('#/status'), { name: 'status' });
    assert.deepEqual(parseHash('#/nonsense/%E0%A4%A'), { name: 'home', tab: 'all' });
  });

  test('parseHash: history routes and their query strings; itemHash round-trips a key with / and ?', () => {
    const { parseHash, itemHash, withQuery } = lib.router;
    assert.deepEqual(parseHash('#/board/weibo.hot-search?at=2026-12-06T08:00:00Z'), { name: 'board', id: 'weibo.hot-search', at: '2026-12-06T08:00:00Z' });
    assert.deepEqual(parseHash('#/board/weibo.hot-search?date=2026-12-06'), { name: 'board', id: 'weibo.hot-search', date: '2026-12-06' });
    assert.deepEqual(parseHash('#/search?q=%E8%B7%A8%E5%B9%B4&site=weibo&sort=rank&from=2026-12-01'), {
      name: 'search',
      q: '跨年',
      site: 'weibo',
      board: undefined,
      from: '2026-12-01',
      to: undefined,
      sort: 'rank',
    });
    assert.equal(parseHash('#/search?q=x&sort=bogus').sort, undefined);
    assert.deepEqual(parseHash('#/top?date=2026-12-06'), { name: 'top', date: '2026-12-06' });
    assert.deepEqual(parseHash('#/top'), { name: 'top', date: undefined });
    const key = 'a/b?c=d#e 跨年';
    assert.deepEqual(parseHash(itemHash('zhihu.hot', key)), { name: 'item', board: 'zhihu.hot', key });
    assert.equal(withQuery('#/search', { q: '跨 年', site: undefined, board: '' }), '#/search?q=%E8%B7%A8+%E5%B9%B4');
    assert.equal(withQuery('#/top', {}), '#/top');
  });
});

describe('history', () => {
  test('splitHighlights: code-point ranges (astral characters count once), overlaps merged, bad ranges ignored', () => {
    const { splitHighlights } = lib.history;
    assert.deepEqual(splitHighlights('跨年晚会节目单', [[0, 2]]), [
      { text: '跨年', mark: true },
      { text: '晚会节目单', mark: false },
    ]);
    assert.deepEqual(splitHighlights('😀跨年😀', [[1, 3]]), [
      { text: '😀', mark: false },
      { text: '跨年', mark: true },
      { text: '😀', mark: false },
    ]);
    assert.deepEqual(splitHighlights('abcdef', [[3, 5], [1, 4], [-3, 0], [5, 99], 'x']), [
      { text: 'a', mark: false },
      { text: 'bcdef', mark: true },
    ]);
    assert.deepEqual(splitHighlights('<b>x</b>', undefined), [{ text: '<b>x</b>', mark: false }]);
    assert.deepEqual(splitHighlights('', [[0, 1]]), []);
  });

  test('spanText: hours and minutes', () => {
    const { spanText } = lib.history;
    lib.i18n.locale.value = 'en';
    assert.equal(spanText(0), '0 min');
    assert.equal(spanText(30), '1 min');
    assert.equal(spanText(3 * 3600 + 12 * 60 + 5), '3 h 12 min');
    lib.i18n.locale.value = 'zh-CN';
    assert.equal(spanText(3 * 3600 + 12 * 60), '3 小时 12 分');
  });
});

describe('api', () => {
  test('boardQueryString: catalogue filters, encoded; none is the whole catalogue', () => {
    const { boardQueryString } = lib.api;
    assert.equal(boardQueryString(), '');
    assert.equal(boardQueryString({}), '');
    assert.equal(boardQueryString({ limit: 301 }), '?limit=301');
    assert.equal(boardQueryString({ ids: ['weibo.hot-search', 'a b'] }), '?ids=weibo.hot-search,a%20b');
    assert.equal(
      boardQueryString({ q: '生成 150&x', site: ['gen0150', 'gen0151'], kind: 'stream', limit: 60, offset: 120 }),
      '?site=gen0150,gen0151&kind=stream&q=%E7%94%9F%E6%88%90%20150%26x&limit=60&offset=120',
    );
    assert.equal(boardQueryString({ q: '', offset: 0, site: [] }), '', 'empty filters are left out');
  });
});

describe('kind', () => {
  const item = (o) => ({ rank: 1, key: 'k', title: 't', url: 'https://x', rank_change: null, new: false, ...o });
  test('cardKind: video by duration, rich by image + summary, else text', () => {
    const { cardKind } = lib.kind;
    assert.equal(cardKind([item({ extra: { duration_s: '905' } }), item({ extra: { duration_s: '60' } })]), 'video');
    assert.equal(cardKind([item({ image: 'https://i', summary: 's' }), item({ image: 'https://i', summary: 's' }), item({})]), 'rich');
    assert.equal(cardKind([item({ image: 'https://i' }), item({})]), 'text');
    assert.equal(cardKind([]), 'text');
  });
  test('labelClass', () => {
    const { labelClass } = lib.kind;
    assert.equal(labelClass('爆'), 'lb-boom');
    assert.equal(labelClass('沸'), 'lb-boom');
    assert.equal(labelClass('热'), 'lb-hot');
    assert.equal(labelClass('新'), 'lb-new');
    assert.equal(labelClass('-30%'), 'lb-other');
  });
});

describe('time and i18n', () => {
  test('groupDigits: thousands separators like toLocaleString in both UI languages, without ICU', () => {
    const { groupDigits } = lib.i18n;
    for (const n of [0, 7, 999, 1000, 12345, 1234567, -1234567, 1234.5, 100000000]) {
      assert.equal(groupDigits(n), n.toLocaleString('en-US', { maximumFractionDigits: 20 }), String(n));
      assert.equal(groupDigits(n), n.toLocaleString('zh-CN', { maximumFractionDigits: 20 }), String(n));
    }
    assert.equal(groupDigits(Number.NaN), 'NaN');
  });
  test('relativeTime in both languages; overdue against due_by', () => {
    const { relativeTime, isOverdue, formatDuration } = lib.time;
    const { formatHot } = lib.hot;
    const now = Date.parse('2026-11-26T08:30:00Z');
    lib.i18n.locale.value = 'zh-CN';
    assert.equal(relativeTime('2026-11-26T08:29:30Z', now), '刚刚');
    assert.equal(relativeTime('2026-11-26T08:27:00Z', now), '3 分钟前');
    assert.equal(relativeTime('2026-11-26T05:30:00Z', now), '3 小时前');
    assert.equal(formatHot('7902315'), '790万');
    assert.equal(formatHot('1286542'), '129万');
    assert.equal(formatHot('86542'), '8.7万');
    assert.equal(formatHot('312345678'), '3.1亿');
    assert.equal(formatHot('1234'), '1234', 'small numbers stay');
    assert.equal(formatHot('326.5万播放'), '326.5万播放');
    lib.i18n.locale.value = 'en';
    assert.equal(relativeTime('2026-11-26T08:27:00Z', now), '3 min ago');
    assert.equal(relativeTime('2026-11-23T08:30:00Z', now), '3 d ago');
    assert.equal(relativeTime(null, now), '');
    assert.equal(formatHot('7902315'), '7.9M');
    assert.equal(isOverdue('2026-11-26T08:29:59Z', now), true);
    assert.equal(isOverdue('2026-11-26T08:30:01Z', now), false);
    assert.equal(isOverdue(null, now), false);
    assert.equal(formatDuration(905), '15:05');
    assert.equal(formatDuration(3723), '1:02:03');
  });
  test('hot texts and badges: unchanged in Chinese, K/M/B and English words in English', () => {
    const { compactNumber, formatHot, formatLabel } = lib.hot;
    assert.equal(compactNumber(186000), '186K');
    assert.equal(compactNumber(3265000), '3.27M', 'rounded half up in integers, not 3.26M from binary fractions');
    assert.equal(compactNumber(120000000), '120M');
    assert.equal(compactNumber(1234567890), '1.23B');
    assert.equal(compactNumber(999), '999');
    assert.equal(compactNumber(999999), '1M');
    assert.equal(compactNumber(10500), '10.5K');
    lib.i18n.locale.value = 'zh-CN';
    for (const text of ['18.6万热度', '326.5万播放', '2123 万热度', '12 赞', '8.5分', '3.3w']) assert.equal(formatHot(text), text);
    for (const label of ['热', '新', '爆', '百万播放', '50万播放']) assert.equal(formatLabel(label), label);
    lib.i18n.locale.value = 'en';
    assert.equal(formatHot('18.6万热度'), '186K heat');
    assert.equal(formatHot('326.5万播放'), '3.27M plays');
    assert.equal(formatHot('1.2亿'), '120M');
    assert.equal(formatHot('1.2亿播放'), '120M plays');
    assert.equal(formatHot('2123 万热度'), '21.2M heat');
    assert.equal(formatHot('9.9万热度'), '99K heat');
    assert.equal(formatHot('248.6万'), '2.49M');
    assert.equal(formatHot('3.3w'), '33K');
    assert.equal(formatHot('12 赞'), '12 likes');
    assert.equal(formatHot('1 赞'), '1 like');
    assert.equal(formatHot('35 条回复'), '35 replies');
    assert.equal(formatHot('12034 阅读'), '12K reads');
    assert.equal(formatHot('8.5分'), '8.5/10');
    assert.equal(formatHot('1286542'), '1.29M');
    assert.equal(formatHot('1234'), '1234', 'small numbers stay');
    for (const text of ['123', '1,234 peak players', '12 votes', '+3.2%', '12 某某', 'hot']) assert.equal(formatHot(text), text, text);
    assert.equal(formatLabel('热'), 'hot');
    assert.equal(formatLabel('新'), 'new');
    assert.equal(formatLabel('百万播放'), '1M+ plays');
    assert.equal(formatLabel('50万播放'), '500K+ plays');
    assert.equal(formatLabel('10万点赞'), '100K+ likes');
    assert.equal(formatLabel('-30%'), '-30%');
    assert.equal(formatLabel('梗'), 'meme');
    assert.equal(formatLabel('某某'), '某某', 'an unknown badge stays as sent');
    lib.i18n.locale.value = 'zh-CN';
  });
  test('detectLocale: zh* → zh-CN, anything else → en', () => {
    const { detectLocale } = lib.i18n;
    assert.equal(detectLocale(['zh-TW']), 'zh-CN');
    assert.equal(detectLocale(['zh']), 'zh-CN');
    assert.equal(detectLocale(['en-US', 'zh-CN']), 'en');
    assert.equal(detectLocale(['fr']), 'en');
  });
  test('both tables have the same keys, and t() fills parameters', () => {
    const { t, locale, tables } = lib.i18n;
    assert.deepEqual(Object.keys(tables.en).sort(), Object.keys(tables['zh-CN']).sort());
    for (const [key, text] of Object.entries(tables['zh-CN'])) {
      const params = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(params(tables.en[key]), params(text), `parameters of ${key}`);
    }
    locale.value = 'en';
    assert.equal(t('minutes_ago', { n: 5 }), '5 min ago');
    locale.value = 'zh-CN';
    assert.equal(t('minutes_ago', { n: 5 }), '5 分钟前');
  });
});

describe('health (the status page)', () => {
  const board = (id, status, age, extra = {}) => ({ board: id, site: id.split('.')[0], name: id, name_en: id, status, enabled: status !== 'disabled', every_seconds: 300, fetched_at: null, last_run_at: null, data_age_seconds: age, items: 10, success_rate: 1, error: null, ...extra });
  test('groupByStanding: worst first (stale, failing, never, ok, disabled), unknown last, oldest data first within a group', () => {
    const { groupByStanding } = lib.health;
    const groups = groupByStanding([
      board('a.ok', 'ok', 60),
      board('b.off', 'disabled', null),
      board('c.ok', 'ok', 600),
      board('d.new', 'never', null),
      board('e.failing', 'failing', 500),
      board('f.odd', 'paused', 1),
      board('g.stale', 'stale', 4000),
      board('h.stale', 'stale', null),
      board('i.ok', 'ok', 600),
    ]);
    assert.deepEqual(
      groups.map((g) => [g.status, g.boards.map((b) => b.board)]),
      [
        ['stale', ['h.stale', 'g.stale']],
        ['failing', ['e.failing']],
        ['never', ['d.new']],
        ['ok', ['c.ok', 'i.ok', 'a.ok']],
        ['disabled', ['b.off']],
        ['paused', ['f.odd']],
      ],
    );
    assert.deepEqual(groupByStanding([]), []);
  });
  test('ageText, percent and the labels in both languages', () => {
    const { ageText, percent, standingLabel, failureClassLabel } = lib.health;
    lib.i18n.locale.value = 'en';
    assert.equal(ageText({ data_age_seconds: 720, every_seconds: 300 }), '12 min ago · every 5 min');
    assert.equal(ageText({ data_age_seconds: 690, every_seconds: 300 }, 45), '12 min ago · every 5 min', 'ages on with the page clock');
    assert.equal(ageText({ data_age_seconds: 7200, every_seconds: 3600 }), '2 h ago · every 1 h');
    assert.equal(ageText({ data_age_seconds: null, every_seconds: 300 }), 'not fetched yet · every 5 min');
    assert.equal(ageText({ data_age_seconds: 30, every_seconds: null }), 'just now');
    assert.equal(standingLabel('stale'), 'Stale');
    assert.equal(standingLabel('paused'), 'paused', 'an unknown standing as sent');
    assert.equal(failureClassLabel('needs-cookie'), 'Needs a cookie');
    assert.equal(failureClassLabel('rate-limited'), 'Rate-limited');
    assert.equal(failureClassLabel('constructor'), 'constructor', 'an unknown class as sent');
    lib.i18n.locale.value = 'zh-CN';
    assert.equal(ageText({ data_age_seconds: 720, every_seconds: 300 }), '12 分钟前 · 每 5 分钟 更新');
    assert.equal(standingLabel('failing'), '抓取失败');
    assert.equal(failureClassLabel('gone'), '页面已不存在');
    assert.equal(percent(0.85), '85%');
    assert.equal(percent(1), '100%');
    assert.equal(percent(null), '');
  });
  test('trendBars: the share of good runs per bucket, toned; an empty bucket is a stub', () => {
    const { trendBars } = lib.health;
    assert.deepEqual(trendBars([[4, 4], [4, 2], [3, 0], [0, 0]], 16), [
      { x: 0, height: 16, tone: 'good' },
      { x: 1, height: 8, tone: 'mixed' },
      { x: 2, height: 2, tone: 'bad' },
      { x: 3, height: 1, tone: 'none' },
    ]);
  });
});
