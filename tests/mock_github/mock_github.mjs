// A fake GitHub OAuth provider for browser end-to-end tests (and for trying sign-in by hand
// without GitHub). Plain Node, no dependencies.
//
//   GET  /login/oauth/authorize      auto-approves: 302 to redirect_uri?code=C&state=S. The user
//                                    signed in is, in order: the `login` query parameter, the
//                                    `mock_github_login` cookie (set it per browser context),
//                                    the server's "next user" (signInAs / POST /_mock/next-user),
//                                    else octocat (id 1). An unknown login becomes a new user.
//                                    Checks client_id, redirect_uri (absolute http(s)), state and
//                                    code_challenge_method=S256 with a code_challenge; 400 if not.
//   POST /login/oauth/access_token   form (or JSON) body: client_id, client_secret, code,
//                                    redirect_uri, code_verifier. Answers as GitHub does: 200
//                                    with {"error":"bad_verification_code",...} for an unknown,
//                                    used or expired code or a verifier that does not match
//                                    (BASE64URL(SHA256(code_verifier)) != code_challenge),
//                                    "incorrect_client_credentials", "redirect_uri_mismatch".
//                                    Codes are one-time: any attempt with good credentials uses
//                                    the code up. JSON when Accept says application/json, else
//                                    a form body.
//   GET  /user                       Authorization: Bearer T (or "token T") → the user JSON
//                                    {id, login, name, avatar_url, ...}; 401 otherwise.
//   GET  /_mock/stats                the request counters (also startMockGithub().stats()).
//   POST /_mock/next-user?login=L    the "next user" for shells (also signInAs(L)).
//
// Use from a test:
//   import { startMockGithub } from '../../tests/mock_github/mock_github.mjs';
//   const gh = await startMockGithub({ clientId: 'test-client', clientSecret: 'test-secret' });
//   ... gh.authorizeUrl, gh.tokenUrl, gh.apiUrl; gh.signInAs('hubot'); gh.stats(); await gh.close();
// From a shell: node tests/mock_github/mock_github.mjs [--port N] [--client-id ID]
//   [--client-secret S] prints the port on the first line of stdout and serves until killed.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const CODE_TTL_MS = 10 * 60 * 1000;

export const DEFAULT_USERS = [
  { id: 1, login: 'octocat', name: 'The Octocat', avatar_url: 'https://avatars.mock-github.test/u/1' },
  { id: 2, login: 'hubot', name: 'Hubot', avatar_url: 'https://avatars.mock-github.test/u/2' },
  { id: 3, login: 'mona', name: 'Mona Lisa', avatar_url: 'https://avatars.mock-github.test/u/3' },
];

const token = (bytes = 20) => randomBytes(bytes).toString('hex');

export function pkceChallenge(verifier) {
  return createHash('sha256').update(verifier).digest('base64url');
}

function parseCookies(header) {
  const out = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

function isAbsoluteHttp(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the mock on 127.0.0.1. Options: port (0 = any free one), clientId, clientSecret,
 * redirectUri (the only one accepted; default any absolute http(s) URL), users (initial
 * users, default DEFAULT_USERS), codeTtlMs.
 */
export async function startMockGithub({
  port = 0,
  clientId = 'test-client',
  clientSecret = 'test-secret',
  redirectUri,
  users = DEFAULT_USERS,
  codeTtlMs = CODE_TTL_MS,
} = {}) {
  const byLogin = new Map(users.map((u) => [u.login.toLowerCase(), { ...u }]));
  let nextId = Math.max(100, ...users.map((u) => u.id + 1));
  let nextUser = users[0]?.login ?? 'octocat';
  const codes = new Map(); // code -> { clientId, redirectUri, challenge, login, expires }
  const tokens = new Map(); // access token -> login
  const counts = { authorize: 0, token: 0, tokens_issued: 0, token_errors: 0, user: 0, user_unauthorized: 0, other: 0 };
  const log = [];

  function userFor(login) {
    const key = String(login).toLowerCase();
    if (!byLogin.has(key)) {
      const id = nextId++;
      byLogin.set(key, { id, login: String(login), name: String(login), avatar_url: `https://avatars.mock-github.test/u/${id}` });
    }
    return byLogin.get(key);
  }

  const send = (res, status, body, headers = {}) => {
    const json = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
    res.end(json);
  };

  function authorize(req, res, url) {
    counts.authorize++;
    const q = url.searchParams;
    const redirect = q.get('redirect_uri') ?? '';
    if (q.get('client_id') !== clientId) return send(res, 400, 'mock github: unknown client_id');
    if (!isAbsoluteHttp(redirect) || (redirectUri && redirect !== redirectUri)) {
      return send(res, 400, 'mock github: redirect_uri is not registered for this client');
    }
    if (!q.get('state')) return send(res, 400, 'mock github: state is required');
    if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
      return send(res, 400, 'mock github: PKCE with code_challenge_method=S256 is required');
    }
    const login = q.get('login') || parseCookies(req.headers.cookie).mock_github_login || nextUser;
    const user = userFor(login);
    const code = token(10);
    codes.set(code, { clientId, redirectUri: redirect, challenge: q.get('code_challenge'), login: user.login, expires: Date.now() + codeTtlMs });
    const to = new URL(redirect);
    to.searchParams.set('code', code);
    to.searchParams.set('state', q.get('state'));
    res.writeHead(302, { Location: to.href, 'Cache-Control': 'no-store' });
    res.end();
  }

  async function accessToken(req, res, url) {
    counts.token++;
    const wantsJson = /application\/json/i.test(req.headers.accept ?? '');
    const answer = (obj) => {
      if (wantsJson) return send(res, 200, obj);
      res.writeHead(200, { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(new URLSearchParams(obj).toString());
    };
    const fail = (error, description) => {
      counts.token_errors++;
      return answer({ error, error_description: description, error_uri: 'https://docs.github.test/apps/oauth' });
    };
    if (url.searchParams.has('client_secret')) return fail('incorrect_client_credentials', 'The client secret must not be sent in the URL.');
    let raw;
    try {
      raw = await readBody(req);
    } catch {
      return send(res, 413, { error: 'too_large' });
    }
    let form;
    if (/application\/json/i.test(req.headers['content-type'] ?? '')) {
      try {
        form = new URLSearchParams(Object.entries(JSON.parse(raw)).map(([k, v]) => [k, String(v)]));
      } catch {
        form = new URLSearchParams();
      }
    } else {
      form = new URLSearchParams(raw);
    }
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      return fail('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    }
    const code = form.get('code') ?? '';
    const entry = codes.get(code);
    codes.delete(code); // one-time, whatever happens next
    if (!entry || entry.expires < Date.now() || entry.clientId !== clientId) {
      return fail('bad_verification_code', 'The code passed is incorrect or expired.');
    }
    if (form.get('redirect_uri') && form.get('redirect_uri') !== entry.redirectUri) {
      return fail('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
    }
    const verifier = form.get('code_verifier') ?? '';
    if (!verifier || pkceChallenge(verifier) !== entry.challenge) {
      return fail('bad_verification_code', 'The code_verifier does not match the code_challenge.');
    }
    const access = `gho_${token(18)}`;
    tokens.set(access, entry.login);
    counts.tokens_issued++;
    return answer({ access_token: access, token_type: 'bearer', scope: 'read:user' });
  }

  function user(req, res) {
    counts.user++;
    const m = /^(?:bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const login = m ? tokens.get(m[1]) : undefined;
    if (!login) {
      counts.user_unauthorized++;
      return send(res, 401, { message: 'Requires authentication', documentation_url: 'https://docs.github.test/rest' });
    }
    const u = userFor(login);
    return send(res, 200, { ...u, type: 'User', site_admin: false, html_url: `https://github.test/${u.login}` });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://mock');
    log.push({ method: req.method, path: url.pathname });
    if (log.length > 1000) log.shift();
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') return authorize(req, res, url);
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      return void accessToken(req, res, url).catch(() => send(res, 500, { error: 'mock failure' }));
    }
    if (req.method === 'GET' && url.pathname === '/user') return user(req, res);
    if (req.method === 'GET' && url.pathname === '/_mock/stats') return send(res, 200, { ...counts, next_user: nextUser });
    if (req.method === 'POST' && url.pathname === '/_mock/next-user') {
      nextUser = url.searchParams.get('login') || nextUser;
      return send(res, 200, { next_user: nextUser });
    }
    counts.other++;
    return send(res, 404, { message: 'Not Found' });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  const base = `http://127.0.0.1:${actual}`;
  return {
    port: actual,
    base,
    authorizeUrl: `${base}/login/oauth/authorize`,
    tokenUrl: `${base}/login/oauth/access_token`,
    apiUrl: base,
    clientId,
    clientSecret,
    /** The user the next sign-in without a `login` parameter or cookie gets. */
    signInAs(login) {
      nextUser = login;
      return userFor(login);
    },
    addUser(u) {
      byLogin.set(u.login.toLowerCase(), { ...u });
    },
    stats: () => ({ ...counts }),
    requests: () => log.slice(),
    outstandingCodes: () => codes.size,
    /** The [auth] section of a mu.toml that points Mu at this mock. */
    authConfig({ publicUrl, admins = [] } = {}) {
      return [
        '[auth]',
        ...(publicUrl ? [`public_url = ${JSON.stringify(publicUrl)}`] : []),
        `admins = ${JSON.stringify(admins)}`,
        `github_client_id = ${JSON.stringify(clientId)}`,
        `github_client_secret = ${JSON.stringify(clientSecret)}`,
        `github_authorize_url = ${JSON.stringify(`${base}/login/oauth/authorize`)}`,
        `github_token_url = ${JSON.stringify(`${base}/login/oauth/access_token`)}`,
        `github_api_url = ${JSON.stringify(base)}`,
        '',
      ].join('\n');
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// Run from the command line.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const mock = await startMockGithub({
    port: Number(opt('--port', '0')),
    clientId: opt('--client-id', 'test-client'),
    clientSecret: opt('--client-secret', 'test-secret'),
  });
  process.stdout.write(`${mock.port}\n`);
  process.stderr.write(`mock GitHub on ${mock.base} (client_id ${mock.clientId}); Ctrl-C to stop\n`);
  const stop = () => void mock.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
