// Checks on the built app (dist/): the initial JavaScript budget, the CSP-friendly entry page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DIST, ensureBuilt } from './harness.mjs';

ensureBuilt();
const html = readFileSync(join(DIST, 'index.html'), 'utf8');

test('initial JavaScript is at most 90 KB gzip', () => {
  // What the page loads before it can render: the entry module, its preloads, boot.js.
  const scripts = [
    ...html.matchAll(/<script[^>]*\bsrc="\/([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="\/([^"]+)"/g),
  ].map((m) => m[1]);
  assert.ok(scripts.some((s) => s.startsWith('assets/index-')), `entry chunk in ${scripts}`);
  let total = 0;
  for (const s of scripts) total += gzipSync(readFileSync(join(DIST, s)), { level: 9 }).length;
  console.log(`initial JS: ${(total / 1024).toFixed(1)} KB gzip (${scripts.join(', ')})`);
  assert.ok(total <= 90 * 1024, `${total} bytes`);
});

test('index.html has no inline script (Mu sends script-src \'self\') and no web fonts', () => {
  for (const m of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.equal(m[2].trim(), '', 'no script has content in the build');
    // The one data block: the server fills it with JSON (src/api/home_page.h), never run.
    if (/\bid="mu-first"/.test(m[1])) assert.match(m[1], /type="application\/json"/);
    else assert.match(m[1], /\bsrc=/, 'every script is external');
  }
  const css = [...html.matchAll(/href="\/(assets\/[^"]+\.css)"/g)].map((m) => readFileSync(join(DIST, m[1]), 'utf8')).join('');
  assert.doesNotMatch(css, /@font-face/);
  assert.doesNotMatch(html, /fonts\.googleapis|@font-face/);
});
