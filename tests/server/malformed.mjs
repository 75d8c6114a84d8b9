// A malformed-request campaign against a running `llmkit serve` (loopback): over a thousand
// generated bad requests (tests/server/malformed_cases.mjs, malformed_http_cases.mjs: truncated and
// byte-flipped JSON, wrong types for every field, fields and bodies over the limits, invalid UTF-8,
// broken HTTP, slow clients that stop), sent with raw `net` sockets and with fetch. Every bad
// request must be answered with a 4xx (the ones the contract names: the right status, error.code
// "invalid_json" for broken JSON and UTF-8, error.param naming the field for wrong types); a 5xx, a
// reset or no answer is a failure. The exceptions: a client that stalls inside the request line, or
// closes its side of the connection before its request is complete, has sent no whole request, and
// the server may close that connection without an answer. Afterwards /health must be 200 and a
// normal chat request must work. Prints a summary (counts by class and status) and exits 1 on any
// failure. Usage: node malformed.mjs --url http://127.0.0.1:PORT --model ID [--seed N] [--verbose]
//          [--only SUBSTRING]   only the cases whose class or name contains it (debugging)
import net from 'node:net';

import {clip as clipText, parseArgs, requireArg} from './common.mjs';
import {jsonCases, makeRand} from './malformed_cases.mjs';
import {badHttp, slowClients} from './malformed_http_cases.mjs';

const usage = 'node malformed.mjs --url URL --model ID [--seed N] [--verbose]';
const args = parseArgs();
const url = new URL(requireArg(args, 'url', usage));
const model = requireArg(args, 'model', usage);
const seed = Number(args.seed ?? 1);
const host = url.hostname;
const port = Number(url.port);

// clip on one line (answers may be event streams).
const clip = (t, n) => clipText(typeof t === 'string' ? t.replace(/\s+/g, ' ') : t, n);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Decodes a chunked body received so far: {data, complete (the last chunk came)}.
function dechunk(buf) {
  const parts = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return {data: Buffer.concat(parts), complete: false};
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (!(size >= 0)) return {data: Buffer.concat(parts), complete: true};
    if (size === 0) return {data: Buffer.concat(parts), complete: true};
    if (buf.length < eol + 2 + size)
      return {data: Buffer.concat([...parts, buf.subarray(eol + 2)]), complete: false};
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

// Parses the first final (non-1xx) HTTP response in `buf`: {status, headers, body, complete}.
function parseResponse(buf) {
  let start = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', start);
    if (end < 0) return null;
    const head = buf.subarray(start, end).toString('latin1');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!m)
      return {
        status: -1,
        headers: {},
        body: buf.subarray(start).toString('latin1'),
        complete: true,
        garbage: true
      };
    const status = Number(m[1]);
    if (status >= 100 && status < 200) {
      start = end + 4;
      continue;
    }
    const headers = {};
    for (const line of head.split('\r\n').slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const body = buf.subarray(end + 4);
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const {data, complete} = dechunk(body);
      return {status, headers, body: data.toString('utf8'), complete};
    }
    const len = headers['content-length'] !== undefined ? Number(headers['content-length']) : null;
    const complete = len !== null && body.length >= len;
    return {
      status,
      headers,
      body: (len !== null ? body.subarray(0, len) : body).toString('utf8'),
      complete
    };
  }
}

// Sends a raw case over a fresh socket: writes its parts (with delays), optionally half-closes,
// and reads until one whole response came, the server closed, or waitMs passed.
// Returns {status, headers, body} or {status: 0, outcome: 'closed' | 'reset' | 'timeout' | ...}.
function sendRaw(c) {
  return new Promise((resolve) => {
    const sock = net.connect({host, port});
    let buf = Buffer.alloc(0);
    let settled = false;
    let writeError = null;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      const r = parseResponse(buf);
      if (r && (r.complete || outcome !== 'timeout'))
        resolve({...r, outcome: 'answered'});
      else
        resolve({
          status: 0,
          outcome: buf.length ? `partial answer (${outcome})` :
              writeError && outcome !== 'timeout' ? `${outcome} while writing (${writeError})` :
                                                    outcome
        });
    };
    const timer = setTimeout(() => finish('timeout'), c.waitMs ?? 20000);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parseResponse(buf);
      if (r?.complete) finish('answered');
    });
    sock.on('end', () => finish('closed'));
    sock.on('close', () => finish('closed'));
    sock.on('error', (e) => {
      if (e.code === 'ECONNREFUSED')
        finish('refused');
      else if (e.code === 'EPIPE' || e.code === 'ECONNRESET') {
        writeError = e.code;
        if (!sock.writable || e.code === 'ECONNRESET') finish('reset');
      } else
        finish(`error ${e.code}`);
    });
    sock.on('connect', async () => {
      try {
        for (const part of c.parts) {
          if (settled) return;
          if (Buffer.isBuffer(part)) {
            if (!sock.write(part)) await new Promise((r) => sock.once('drain', r).once('close', r));
          } else
            await sleep(part.delayMs);
        }
        if (c.halfClose && !settled) sock.end();
      } catch (e) {
        writeError = String(e);
      }
    });
  });
}

async function sendFetch(c) {
  try {
    const res = await fetch(new URL(c.path, url), {
      method: c.method,
      headers: {'content-type': 'application/json', ...(c.headers ?? {})},
      body: c.body,
      signal: AbortSignal.timeout(c.waitMs ?? 30000),
    });
    const body = await res.text();
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body,
      outcome: 'answered'
    };
  } catch (e) {
    return {status: 0, outcome: `fetch error: ${e.cause?.code ?? e.name}`};
  }
}

// Why the answer r breaks the case's expectation, or null when it meets it.
function judge(c, r) {
  if (r.status === 0) {
    if (c.expect === 'closeOr4xx' && /closed|reset/.test(r.outcome)) return null;
    return `no answer: ${r.outcome}`;
  }
  if (c.forbid)
    for (const f of c.forbid)
      if (r.body.includes(f)) return `answer reveals a file (${f}): ${clip(r.body, 200)}`;
  if (c.expect === 'status200')
    return r.status === 200 ? null : `status ${r.status}, expected 200: ${clip(r.body, 300)}`;
  if (r.status >= 500 || r.status < 0) return `status ${r.status}: ${clip(r.body, 300)}`;
  if (c.expect === 'not5xx') return null;
  if (r.status < 400) return `status ${r.status} for a bad request: ${clip(r.body, 300)}`;
  if (c.statuses && !c.statuses.includes(r.status))
    return `status ${r.status}, the contract says ${c.statuses.join(' or ')}: ${clip(r.body, 300)}`;
  if (c.expect === '4xx' || c.expect === 'closeOr4xx') return null;
  let err;
  try {
    err = JSON.parse(r.body).error;
  } catch {
    return `status ${r.status} without a JSON error object: ${clip(r.body, 300)}`;
  }
  if (typeof err?.message !== 'string' || typeof err?.type !== 'string')
    return `status ${r.status}, malformed error object: ${clip(r.body, 300)}`;
  if (c.expect === 'invalid_json' && (r.status !== 400 || err.code !== 'invalid_json'))
    return `status ${r.status} code ${err.code}, expected 400 invalid_json: ${clip(r.body, 300)}`;
  if (c.expect === 'param') {
    if (r.status !== 400 && r.status !== 413)
      return `status ${r.status}, expected 400: ${clip(r.body, 300)}`;
    if (typeof err.param !== 'string' || !err.param.startsWith(c.param))
      return `error.param ${JSON.stringify(err.param)}, expected it to name '${c.param}': ${
          clip(r.body, 300)}`;
  }
  return null;
}

async function healthy() {
  try {
    const res = await fetch(new URL('/health', url), {signal: AbortSignal.timeout(10000)});
    return res.status === 200;
  } catch {
    return false;
  }
}

const picked = (c) => !args.only || `${c.cls} ${c.name}`.includes(args.only);
const rand = makeRand(seed);
const fast = [...jsonCases(model, rand), ...badHttp(model, rand)].filter(picked);
const slow = slowClients(model).filter(picked);
const summary = {};  // class -> {status -> count}
const failures = [];
let count = 0;

async function runCase(c) {
  const start = Date.now();
  const r = c.kind === 'raw' ? await sendRaw(c) : await sendFetch(c);
  const key = r.status === 0 ? r.outcome : String(r.status);
  ((summary[c.cls] ??= {})[key] ??= 0);
  summary[c.cls][key] += 1;
  ++count;
  const why = judge(c, r);
  if (why) failures.push({cls: c.cls, name: c.name, why});
  if (args.verbose)
    console.log(`${why ? 'FAIL' : 'ok'} [${c.cls}] ${c.name}: ${key} (${Date.now() - start} ms)${
        why ? ` -- ${why}` : ''}`);
  return r;
}

const t0 = Date.now();
// The slow clients run beside the fast campaign (they wait on the server's read timeout).
const slowRun = Promise.all(slow.map((c, i) => sleep(i * 200).then(() => runCase(c))));
// The fast cases run 4 at a time (a few wait on the server's read timeout); /health is checked
// every 50 cases and after a refused connection, and the campaign stops when it fails.
let down = null;
let next = 0;
async function worker() {
  while (!down && next < fast.length) {
    const i = next++;
    const r = await runCase(fast[i]);
    if ((r.outcome === 'refused' || i % 50 === 49) && !down && !(await healthy())) {
      down = `the server stopped answering /health after case ${i + 1} of ${fast.length}: [${
          fast[i].cls}] ${fast[i].name} (or one of the 3 before it)`;
    }
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
if (!down) await slowRun;

let after = [];
if (down)
  after.push(down);
else {
  if (!(await healthy())) after.push('/health is not 200 after the campaign');
  try {
    const res = await fetch(new URL('/v1/chat/completions', url), {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify(
          {model, messages: [{role: 'user', content: 'Hello'}], max_tokens: 4, ignore_eos: true}),
      signal: AbortSignal.timeout(60000),
    });
    const body = await res.json();
    if (res.status !== 200 || body?.usage?.completion_tokens !== 4)
      after.push(`chat after the campaign: ${res.status} ${clip(body)}`);
  } catch (e) {
    after.push(`chat after the campaign failed: ${e}`);
  }
}

console.log(`malformed-request campaign: ${count} requests in ${
    ((Date.now() - t0) / 1000).toFixed(1)} s (seed ${seed})`);
for (const [cls, counts] of Object.entries(summary)) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`  ${cls.padEnd(13)} ${String(total).padStart(4)}  ${
      Object.entries(counts).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
}
for (const f of failures.slice(0, 60)) console.log(`FAIL [${f.cls}] ${f.name} -- ${f.why}`);
if (failures.length > 60) console.log(`... and ${failures.length - 60} more failures`);
for (const a of after) console.log(`FAIL ${a}`);
const bad = failures.length + after.length;
console.log(`${count - failures.length} passed, ${failures.length} failed`);
if (count < 1000 && !down && !args.only)
  console.log(`FAIL only ${count} requests were sent (at least 1000 expected)`);
process.exitCode = bad > 0 || (count < 1000 && !down && !args.only) ? 1 : 0;
