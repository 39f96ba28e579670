// Mu's MCP server (POST /mcp, docs/mcp.md) driven by the official TypeScript SDK client
// (@modelcontextprotocol/sdk: Client over StreamableHTTPClientTransport), against `mu serve`
// replaying the fixtures. The handshake (server name and version, the tools capability, no
// session id), tools/list against the table in docs/mcp.md, every tool returning real data
// (a word of a board's current title is found by search, its timeline, the board's history,
// the day's top stories, source health), failed calls as the docs say (unknown tool -32602,
// wrong type, missing or unknown argument as isError results; a 1 MB query a clean error and
// a 2 MB body 413, the server answering afterwards), raw JSON-RPC over fetch (-32700, -32600,
// -32601, batches, notifications, GET/DELETE 405, protocol version header, Origin), and with
// quota.mcp_requires_key: 401 key-required for the SDK without a key, a key made through the
// local admin's session, then the SDK connects with `Authorization: Bearer` and RateLimit-Limit
// is the key's burst.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ROOT, muBin, removeDir, startMu, waitFor } from './harness.mjs';

const BOARD = 'hackernews.front'; // English titles: search matches whole words
const CN_BOARD = 'weibo.hot-search'; // Chinese titles: search matches two-character substrings
const ACCEPT = 'application/json, text/event-stream';

/** The tool table of docs/mcp.md: [{ name, args (its backticked words) }]. */
function documentedTools() {
  const doc = readFileSync(join(ROOT, 'docs/mcp.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Tools'));
  const rows = [];
  for (const line of section.split('\n')) {
    const m = /^\| `(\w+)` \| (.*) \| `GET [^`]+` \|$/.exec(line);
    if (m) rows.push({ name: m[1], args: [...m[2].matchAll(/`([^`]+)`/g)].map((a) => a[1]) });
  }
  return rows;
}

/** Arguments the docs mark "(required)" / "(both required)". */
const REQUIRED = { get_board: ['board'], search: ['q'], item_timeline: ['board', 'key'], board_history: ['board'] };

/** "mu 0.1.0" -> "0.1.0": what serverInfo.version must say. */
function binaryVersion() {
  const r = spawnSync(muBin(), ['--version'], { encoding: 'utf8' });
  const m = /(\d+\.\d+\.\d+\S*)/.exec(r.stdout + r.stderr);
  assert.ok(m, `a version from mu --version: ${r.stdout}${r.stderr}`);
  return m[1];
}

/** An SDK client connected (initialize + notifications/initialized) to `base`/mcp. */
async function connect(base, headers) {
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), headers ? { requestInit: { headers } } : undefined);
  const client = new Client({ name: 'mu-e2e', version: '1.0.0' });
  const errors = [];
  client.onerror = (err) => errors.push(err);
  await client.connect(transport);
  return { client, transport, errors };
}

/** A tools/call whose result must be a success: the structured body, checked against the text part. */
async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  assert.equal(r.isError, false, `${name} ${JSON.stringify(args)}: ${r.content?.[0]?.text}`);
  assert.equal(r.content.length, 1);
  assert.equal(r.content[0].type, 'text');
  assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent, 'the text part is the structured content');
  return r.structuredContent;
}

/** A tools/call that must fail as a tool (isError): its message. */
async function callError(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  assert.equal(r.isError, true, `${name} ${JSON.stringify(args).slice(0, 200)} should fail`);
  assert.equal(r.structuredContent, undefined);
  assert.equal(r.content[0].type, 'text');
  return r.content[0].text;
}

/** POST /mcp by hand: { status, headers, text, json }. */
async function post(base, body, headers = {}) {
  const r = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: ACCEPT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** A stand-in for the built app: the server needs a static directory, these tests no page. */
function emptyStatic() {
  return mkdtempSync(join(tmpdir(), 'mu-web-mcp-static-'));
}

describe('MCP with the official SDK client', () => {
  let mu;
  let staticDir;
  let sdk;

  before(async () => {
    staticDir = emptyStatic();
    mu = await startMu({ staticDir });
    sdk = await connect(mu.base);
  });

  after(async () => {
    await sdk?.client.close();
    await mu?.stop();
    if (staticDir) removeDir(staticDir);
  });

  test('initialize: serverInfo mu and its version, the tools capability, instructions, no session', async () => {
    const { client, transport } = sdk;
    const info = client.getServerVersion();
    assert.equal(info.name, 'mu');
    assert.equal(info.version, binaryVersion());
    assert.equal(info.title, 'Mu · 热榜');
    assert.deepEqual(client.getServerCapabilities(), { tools: { listChanged: false } });
    const instructions = client.getInstructions();
    for (const name of ['list_boards', 'get_board', 'search', 'item_timeline']) assert.ok(instructions.includes(name), `instructions name ${name}`);
    assert.equal(transport.protocolVersion, '2025-11-25', 'the SDK\'s latest version is accepted');
    assert.equal(transport.sessionId, undefined, 'stateless: no Mcp-Session-Id');
    assert.deepEqual(await client.ping(), {});
  });

  test('tools/list: the tools of docs/mcp.md, each with an object schema of its documented arguments, read-only', async () => {
    const documented = documentedTools();
    assert.equal(documented.length, 8, 'docs/mcp.md lists eight tools');
    const { tools } = await sdk.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), documented.map((d) => d.name).sort());
    for (const doc of documented) {
      const tool = tools.find((t) => t.name === doc.name);
      const schema = tool.inputSchema;
      assert.equal(schema.type, 'object', `${doc.name}: inputSchema.type`);
      assert.equal(typeof tool.description, 'string');
      assert.ok(tool.description.length > 20, `${doc.name} is described`);
      assert.equal(tool.annotations?.readOnlyHint, true, `${doc.name} is read-only`);
      const properties = Object.keys(schema.properties ?? {});
      const enums = new Set(Object.values(schema.properties ?? {}).flatMap((p) => p.enum ?? []));
      const args = doc.args.filter((a) => !enums.has(a));
      assert.deepEqual([...new Set(args)].sort(), properties.sort(), `${doc.name}: the documented arguments`);
      assert.deepEqual([...(schema.required ?? [])].sort(), [...(REQUIRED[doc.name] ?? [])].sort(), `${doc.name}: required arguments`);
      for (const [name, p] of Object.entries(schema.properties ?? {})) assert.ok(['string', 'integer'].includes(p.type), `${doc.name}.${name}: ${p.type}`);
    }
    assert.deepEqual(tools.find((t) => t.name === 'list_boards').inputSchema.properties.kind.enum, ['rank', 'stream']);
  });

  test('list_sites and list_boards', async () => {
    const { sites } = await call(sdk.client, 'list_sites', {});
    assert.ok(sites.length > 10, `${sites.length} sites`);
    for (const s of sites) {
      assert.equal(typeof s.id, 'string');
      assert.ok(Array.isArray(s.boards) && s.boards.length > 0, `${s.id} has boards`);
    }
    assert.ok(sites.find((s) => s.id === 'hackernews').boards.includes(BOARD));

    const all = await call(sdk.client, 'list_boards', {});
    assert.ok(all.boards.length > 20, `${all.boards.length} boards`);
    assert.ok(all.boards.some((b) => b.id === CN_BOARD));
    const some = await call(sdk.client, 'list_boards', { site: 'hackernews,weibo', kind: 'rank', limit: 3, offset: 1 });
    assert.ok(some.boards.length > 0 && some.boards.length <= 3, `${some.boards.length} boards`);
    for (const b of some.boards) {
      assert.ok(['hackernews', 'weibo'].includes(b.site), b.id);
      assert.equal(b.kind, 'rank');
    }
    const found = await call(sdk.client, 'list_boards', { q: 'Front page' });
    assert.ok(found.boards.some((b) => b.id === BOARD), found.boards.map((b) => b.id).join(','));
  });

  test('get_board, search for a word of a current title, item_timeline, board_history, daily_top', async () => {
    const { client } = sdk;
    // The replayed fetch lands shortly after start: poll until the board has items.
    const board = await waitFor(
      async () => {
        const b = await call(client, 'get_board', { board: BOARD });
        return b.items.length > 3 && b;
      },
      { timeout: 20_000, what: `items on ${BOARD}` },
    );
    assert.equal(board.id, BOARD);
    assert.ok(board.items.length <= 50, 'at most 50 items by default');
    board.items.forEach((it, i) => {
      assert.equal(typeof it.title, 'string');
      assert.ok(it.title.length > 0);
      assert.equal(typeof it.key, 'string');
      assert.equal(it.rank, i + 1);
    });
    const three = await call(client, 'get_board', { board: BOARD, limit: 3 });
    assert.deepEqual(
      three.items.map((i) => i.key),
      board.items.slice(0, 3).map((i) => i.key),
      'limit trims to the top items',
    );

    // The longest plain word of a title on the board finds that item.
    const pick = board.items
      .flatMap((it) => (it.title.match(/\b[A-Za-z]{5,}\b/g) ?? []).map((word) => ({ it, word })))
      .sort((a, b) => b.word.length - a.word.length)[0];
    assert.ok(pick, 'a title with a word of five letters or more');
    const hit = await waitFor(
      async () => {
        const r = await call(client, 'search', { q: pick.word.toLowerCase(), board: BOARD, limit: 100 });
        return r.items.find((i) => i.key === pick.it.key) && r;
      },
      { timeout: 20_000, what: `search "${pick.word}" to find ${pick.it.key}` },
    );
    for (const i of hit.items) assert.equal(i.board, BOARD, 'board filter');
    assert.ok(hit.items.every((i) => i.title.toLowerCase().includes(pick.word.toLowerCase())), 'every hit has the word');

    // Chinese: two characters of a Weibo title.
    const cn = await waitFor(
      async () => {
        const b = await call(client, 'get_board', { board: CN_BOARD, limit: 10 });
        return b.items.find((i) => /[\u4e00-\u9fff]{2}/.test(i.title));
      },
      { timeout: 20_000, what: `a Chinese title on ${CN_BOARD}` },
    );
    const pair = /[\u4e00-\u9fff]{2}/.exec(cn.title)[0];
    await waitFor(
      async () => (await call(client, 'search', { q: pair, site: 'weibo', limit: 100 })).items.some((i) => i.key === cn.key),
      { timeout: 20_000, what: `search "${pair}" to find ${cn.key}` },
    );
    const none = await call(client, 'search', { q: 'zzqxvbnonsenseword' });
    assert.equal(none.items.length, 0, 'a word nowhere finds nothing');

    const item = board.items[0];
    const timeline = await call(client, 'item_timeline', { board: BOARD, key: item.key });
    assert.equal(timeline.item.key, item.key);
    assert.equal(timeline.item.title, item.title);
    assert.ok(timeline.points.length > 0, 'points');
    assert.equal(timeline.points.at(-1).rank, item.rank);

    const now = await call(client, 'board_history', { board: BOARD, at: new Date().toISOString() });
    assert.ok(now.items.some((i) => i.key === item.key), 'the board now holds the item');
    const day = timeline.item.first_seen.slice(0, 10);
    const ofDay = await call(client, 'board_history', { board: BOARD, date: day, tz: 'UTC', limit: 5 });
    assert.equal(ofDay.date, day);
    assert.ok(ofDay.items.length > 0 && ofDay.items.length <= 5, `${ofDay.items.length} items of the day`);
    assert.ok(ofDay.items.every((i) => i.board === BOARD));

    const top = await call(client, 'daily_top', { date: day, tz: 'UTC', limit: 5 });
    assert.equal(top.date, day);
    assert.ok(top.items.length > 0 && top.items.length <= 5, `${top.items.length} top stories`);
    for (const s of top.items) {
      assert.equal(typeof s.title, 'string');
      assert.equal(typeof s.score, 'number');
      assert.ok(s.appearances.length > 0);
    }
  });

  test('source_health: every board\'s standing', async () => {
    const health = await waitFor(
      async () => {
        const h = await call(sdk.client, 'source_health', {});
        return h.boards.find((b) => b.board === BOARD)?.status === 'ok' && h;
      },
      { timeout: 20_000, what: `${BOARD} ok in source_health` },
    );
    assert.ok(health.boards.length > 20);
    assert.equal(
      Object.values(health.summary).reduce((a, b) => a + b, 0),
      health.boards.length,
      'the summary counts every board',
    );
    for (const b of health.boards) assert.ok(['ok', 'failing', 'stale', 'disabled', 'never'].includes(b.status), `${b.board}: ${b.status}`);
  });

  test('failed calls: unknown tool -32602; bad arguments and unknown boards as isError results', async () => {
    const { client } = sdk;
    await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), (err) => {
      assert.ok(err instanceof McpError, err.constructor.name);
      assert.equal(err.code, ErrorCode.InvalidParams);
      assert.match(err.message, /no_such_tool/);
      return true;
    });
    assert.match(await callError(client, 'get_board', { board: 42 }), /^board: expected a string/);
    assert.match(await callError(client, 'get_board', {}), /^board: required/);
    assert.match(await callError(client, 'item_timeline', { board: BOARD }), /^key: required/);
    assert.match(await callError(client, 'get_board', { board: BOARD, limit: 'ten' }), /^limit: expected an integer/);
    assert.match(await callError(client, 'get_board', { board: BOARD, limit: 2.5 }), /^limit: expected an integer/);
    assert.match(await callError(client, 'get_board', { board: BOARD, colour: 'red' }), /unknown argument colour/);
    assert.match(await callError(client, 'list_boards', { kind: 'sideways' }), /^error 400: .*kind/);
    assert.match(await callError(client, 'get_board', { board: 'no.such-board' }), /^error 404/);
    assert.match(await callError(client, 'item_timeline', { board: BOARD, key: 'no-such-key' }), /^error 404/);
    assert.match(await callError(client, 'board_history', { board: BOARD, at: 'yesterday-ish' }), /^error 400/);
    assert.match(await callError(client, 'search', { q: 'x', sort: 'random' }), /^error 400/);
  });

  test('oversized arguments: a 1 MB query is refused as a tool error, a 2 MB body is 413; the server answers afterwards', async () => {
    const { client } = sdk;
    const megabyte = 'a'.repeat(1_000_000);
    assert.match(await callError(client, 'search', { q: megabyte }), /^error 400: q: longer than \d+ bytes/);
    assert.match(await callError(client, 'get_board', { board: megabyte }), /^error 404/);
    assert.deepEqual(sdk.errors, [], 'the SDK saw no transport errors so far (the 405 of its GET stream included)');
    await assert.rejects(client.callTool({ name: 'search', arguments: { q: 'b'.repeat(2_000_000) } }), (err) => {
      assert.ok(err instanceof StreamableHTTPError, `${err.constructor.name}: ${err.message}`);
      assert.equal(err.code, 413);
      assert.match(err.message, /too-large/);
      return true;
    });
    assert.deepEqual(sdk.errors.map((e) => e.code), [413], 'the transport reported the 413, and nothing else');
    assert.deepEqual(await client.ping(), {});
    const b = await call(client, 'get_board', { board: BOARD, limit: 1 });
    assert.equal(b.items.length, 1);
    assert.equal((await fetch(`${mu.base}/readyz`)).status, 200);
    assert.equal(sdk.errors.length, 1, 'no more transport errors');
  });

  test('JSON-RPC by hand: parse error, invalid requests, unknown method', async () => {
    const parse = await post(mu.base, '{"jsonrpc": "2.0", "id": 1, "method": ');
    assert.equal(parse.status, 400);
    assert.equal(parse.json.error.code, -32700);
    assert.equal(parse.json.id, null);
    assert.equal(parse.json.jsonrpc, '2.0');

    const noMethod = await post(mu.base, { jsonrpc: '2.0', id: 7 });
    assert.equal(noMethod.status, 400);
    assert.equal(noMethod.json.error.code, -32600);
    // JSON-RPC 2.0 §4: "jsonrpc" must be exactly "2.0".
    for (const wrong of [{ id: 3, method: 'ping' }, { jsonrpc: '1.0', id: 3, method: 'ping' }, { jsonrpc: 2, id: 3, method: 'ping' }]) {
      const r = await post(mu.base, wrong);
      assert.equal(r.status, 400, JSON.stringify(wrong));
      assert.equal(r.json.error.code, -32600);
      assert.equal(r.json.id, 3);
    }
    assert.equal(noMethod.json.id, 7);
    const numberMethod = await post(mu.base, { jsonrpc: '2.0', id: 8, method: 5 });
    assert.equal(numberMethod.json.error.code, -32600);
    assert.equal(numberMethod.json.id, 8);
    const notObject = await post(mu.base, '42');
    assert.equal(notObject.json.error.code, -32600);
    const objectId = await post(mu.base, { jsonrpc: '2.0', id: { a: 1 }, method: 'ping' });
    assert.equal(objectId.json.error.code, -32600);
    assert.equal(objectId.json.id, null);
    const emptyBatch = await post(mu.base, '[]');
    assert.equal(emptyBatch.status, 400);
    assert.equal(emptyBatch.json.error.code, -32600);

    const unknown = await post(mu.base, { jsonrpc: '2.0', id: 'u1', method: 'resources/list' });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.json.error.code, -32601);
    assert.equal(unknown.json.id, 'u1');

    const badParams = await post(mu.base, { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'get_board', arguments: [1] } });
    assert.equal(badParams.json.error.code, -32602);
  });

  test('JSON-RPC by hand: notifications and responses 202, batches, GET and DELETE 405', async () => {
    const note = await post(mu.base, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(note.status, 202);
    assert.equal(note.text, '');
    const response = await post(mu.base, { jsonrpc: '2.0', id: 3, result: {} });
    assert.equal(response.status, 202);

    const batch = await post(mu.base, [
      { jsonrpc: '2.0', id: 'a', method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'zz' } },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_board', arguments: { board: BOARD, limit: 2 } } },
      { jsonrpc: '2.0', id: 3, method: 'nope' },
    ]);
    assert.equal(batch.status, 200);
    assert.match(batch.headers.get('content-type'), /^application\/json/);
    assert.ok(Array.isArray(batch.json));
    assert.deepEqual(batch.json.map((m) => m.id), ['a', 2, 3], 'one answer per request, none for the notification');
    assert.deepEqual(batch.json[0].result, {});
    assert.equal(batch.json[1].result.structuredContent.items.length, 2);
    assert.equal(batch.json[2].error.code, -32601);
    const notesOnly = await post(mu.base, [{ jsonrpc: '2.0', method: 'notifications/initialized' }]);
    assert.equal(notesOnly.status, 202);
    assert.equal(notesOnly.text, '');

    for (const method of ['GET', 'DELETE']) {
      const r = await fetch(`${mu.base}/mcp`, { method, headers: { Accept: 'text/event-stream' } });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get('allow'), 'POST');
      assert.doesNotMatch(r.headers.get('content-type') ?? '', /event-stream/);
      assert.equal((await r.json()).error.code, 'method-not-allowed');
    }
  });

  test('protocol versions and Origin', async () => {
    const init = (protocolVersion) => ({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    });
    assert.equal((await post(mu.base, init('2025-03-26'))).json.result.protocolVersion, '2025-03-26');
    assert.equal((await post(mu.base, init('1999-01-01'))).json.result.protocolVersion, '2025-11-25', 'an unknown version: the newest');
    const header = await post(mu.base, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'MCP-Protocol-Version': '1999-01-01' });
    assert.equal(header.status, 400);
    assert.equal((await post(mu.base, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'MCP-Protocol-Version': '2025-06-18' })).status, 200);

    const foreign = await post(mu.base, { jsonrpc: '2.0', id: 1, method: 'ping' }, { Origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    const own = await post(mu.base, { jsonrpc: '2.0', id: 1, method: 'ping' }, { Origin: mu.base });
    assert.equal(own.status, 200);
    assert.deepEqual(own.json.result, {});
  });
});

describe('MCP with quota.mcp_requires_key', () => {
  let mu;
  let staticDir;

  before(async () => {
    staticDir = emptyStatic();
    mu = await startMu({ staticDir, env: { MU_QUOTA_MCP_REQUIRES_KEY: 'true' } });
  });

  after(async () => {
    await mu?.stop();
    if (staticDir) removeDir(staticDir);
  });

  /** A key of the local admin (the one-time link mu prints at start): { key, secret }. */
  async function createKey() {
    const link = await waitFor(() => /\/auth\/local\?token=[\w-]+/.exec(mu.log())?.[0], { what: 'the local admin link' });
    const signIn = await fetch(`${mu.base}${link}`, { redirect: 'manual' });
    assert.equal(signIn.status, 302);
    const cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const me = await (await fetch(`${mu.base}/api/v1/me`, { headers: { cookie } })).json();
    const r = await fetch(`${mu.base}/api/v1/me/keys`, {
      method: 'POST',
      headers: { cookie, 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'mcp e2e' }),
    });
    assert.equal(r.status, 201);
    const created = await r.json();
    assert.match(created.secret, /^mu_\S+$/);
    return { ...created, cookie };
  }

  test('without a key: the SDK cannot connect (401 key-required); the API stays open', async () => {
    await assert.rejects(connect(mu.base), (err) => {
      assert.ok(err instanceof StreamableHTTPError, `${err.constructor.name}: ${err.message}`);
      assert.equal(err.code, 401);
      assert.match(err.message, /key-required/);
      return true;
    });
    const raw = await post(mu.base, { jsonrpc: '2.0', id: 1, method: 'ping' });
    assert.equal(raw.status, 401);
    assert.match(raw.headers.get('www-authenticate'), /^Bearer/);
    assert.equal(raw.json.error.code, 'key-required');
    assert.equal((await fetch(`${mu.base}/api/v1/sites`)).status, 200, 'other routes need no key');
    await assert.rejects(connect(mu.base, { Authorization: 'Bearer mu_notarealkey' }), (err) => {
      assert.equal(err.code, 401);
      assert.match(err.message, /invalid-key/);
      return true;
    });
  });

  test('with a key: the SDK connects and calls tools; RateLimit-Limit is the key\'s burst; the owner sees the use', async () => {
    const { key, secret, cookie } = await createKey();
    const { client, errors } = await connect(mu.base, { Authorization: `Bearer ${secret}` });
    try {
      assert.equal(client.getServerVersion().name, 'mu');
      const { tools } = await client.listTools();
      assert.equal(tools.length, 8);
      const board = await waitFor(
        async () => {
          const b = await call(client, 'get_board', { board: BOARD, limit: 5 });
          return b.items.length > 0 && b;
        },
        { timeout: 20_000, what: `items on ${BOARD}` },
      );
      assert.ok(board.items.every((i) => typeof i.title === 'string' && i.title.length > 0));
      assert.deepEqual(errors, []);
    } finally {
      await client.close();
    }

    const r = await post(mu.base, { jsonrpc: '2.0', id: 1, method: 'ping' }, { Authorization: `Bearer ${secret}` });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.result, {});
    assert.ok(key.burst > 0);
    assert.equal(r.headers.get('ratelimit-limit'), String(key.burst));
    assert.ok(Number(r.headers.get('ratelimit-remaining')) < key.burst, 'the calls took tokens of the key');

    // initialize, notifications/initialized, tools/list, get_board (at least once), ping.
    const mine = await (await fetch(`${mu.base}/api/v1/me/keys`, { headers: { cookie } })).json();
    const used = mine.keys.find((k) => k.id === key.id);
    assert.ok(used.requests >= 5, `the key counted ${used.requests} requests`);
    assert.notEqual(used.last_used_at, null);
  });
});
