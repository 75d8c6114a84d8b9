// The HTTP-level bad requests of tests/server/malformed.mjs (case format and expectations:
// malformed_cases.mjs): broken methods, paths, request lines, headers and bodies, and slow
// clients.
import {MiB, raw, rawRequest} from './malformed_cases.mjs';

// Broken HTTP: methods, paths outside the assets, request lines, headers, Content-Length,
// chunked bodies.
export function badHttp(model, rand) {
  const ok =
      Buffer.from(JSON.stringify({model, messages: [{role: 'user', content: 'x'}], max_tokens: 1}));
  const out = [];
  for (const m of ['FOO', 'BREW', 'GETT', 'get', 'P0ST', 'CONNECTX'])
    out.push(
        raw('http', `method ${m}`, rawRequest(m, '/health'), '4xx', {statuses: [400, 405, 501]}));
  for (const [m, p] of [
           ['GET', '/v1/chat/completions'], ['GET', '/v1/completions'], ['GET', '/v1/embeddings'],
           ['PUT', '/v1/chat/completions'], ['DELETE', '/v1/models'], ['PATCH', '/health'],
           ['POST', '/health'], ['POST', '/v1/models'], ['DELETE', '/v1/chat/completions']]) {
    out.push(raw(
        'http', `${m} ${p}`, rawRequest(m, p, m === 'GET' || m === 'DELETE' ? Buffer.alloc(0) : ok),
        '4xx', {statuses: [405]}));
  }
  const secrets = ['root:x:0:0', 'cmake_minimum_required', '#pragma once'];
  for (const p
           of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
               '/..%2f..%2f..%2fetc%2fpasswd', '/web/../../../../../etc/passwd', '//etc/passwd',
               '/index.html/../../CMakeLists.txt', '/../CMakeLists.txt', '/%2e%2e/CMakeLists.txt',
               '/llmkit/server/api_types.h', '/..\\..\\etc\\passwd', '/%00', '/%zz', '/nope.js',
               '/v1/../../etc/passwd', '/file:///etc/passwd']) {
    out.push(raw(
        'http', `GET ${p}`, rawRequest('GET', p), '4xx', {statuses: [400, 404], forbid: secrets}));
  }
  out.push(
      raw('http', 'URI 100 kB', rawRequest('GET', `/health?${'x'.repeat(100000)}`), '4xx',
          {statuses: [400, 414]}));
  out.push(
      raw('http', 'header 100 kB',
          rawRequest('POST', '/v1/chat/completions', ok, {'X-Big': 'y'.repeat(100000)}), '4xx',
          {statuses: [400, 431]}));
  out.push(
      raw('http', 'header line 9000 bytes',
          rawRequest('GET', '/health', Buffer.alloc(0), {'X-Big': 'y'.repeat(9000)}), '4xx',
          {statuses: [400, 431]}));
  const many = {};
  for (let i = 0; i < 5000; ++i) many[`X-H${i}`] = 'v';
  out.push(
      raw('http-lenient', '5000 headers, bad JSON',
          rawRequest('POST', '/v1/chat/completions', Buffer.from('{'), many), 'not5xx'));
  for (let i = 0; i < 20; ++i) {
    const junk = Buffer.from(
        Array.from({length: 1 + Math.floor(rand() * 60)}, () => Math.floor(rand() * 256)));
    out.push(
        raw('http', `random request line ${i}`, Buffer.concat([junk, Buffer.from('\r\n\r\n')]),
            '4xx', {statuses: [400]}));
  }
  // Leniencies of the HTTP parser that are harmless: answered normally is fine.
  for (const l
           of ['GET  /health HTTP/1.1\r\n\r\n', 'GET /health HTTP/1.1\r\nNoColonHere\r\n\r\n']) {
    out.push(
        raw('http-lenient', `request ${JSON.stringify(l)}`, Buffer.from(l, 'latin1'), 'not5xx'));
  }
  const lines = [
    ['GET /health HTTP/9.9\r\n\r\n', [400, 505]],
    ['GET /health HTTP/1.1 extra\r\n\r\n', [400]],
    ['GET\r\n\r\n', [400]],
    ['/health HTTP/1.1\r\n\r\n', [400]],
    ['GET /health\r\n\r\n', [400]],
    ['\x00\x01\x02 / HTTP/1.1\r\n\r\n', [400]],
    [
      'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{"a":1}',
      [400]
    ],
  ];
  for (const [l, statuses] of lines)
    out.push(
        raw('http', `request ${JSON.stringify(l).slice(0, 60)}`, Buffer.from(l, 'latin1'), '4xx',
            {statuses}));
  const cl = (v, body = ok) =>
      rawRequest('POST', '/v1/chat/completions', body, {'Content-Length': v});
  for (const v of ['abc', '-5', '1e3', '99999999999999999999999', '0x10', '', '5, 5']) {
    out.push(raw('http', `Content-Length '${v}'`, cl(v), '4xx', {statuses: [400, 411, 413]}));
  }
  out.push(
      raw('http-eof', 'Content-Length past the body, then EOF', cl(String(ok.length + 50)),
          'closeOr4xx', {statuses: [400], halfClose: true}));
  out.push(
      raw('http', 'Content-Length short of the body', cl(String(ok.length - 5)), 'invalid_json'));
  out.push(
      raw('http-eof', 'Content-Length 5 MiB declared, 10 bytes, EOF',
          cl(String(5 * MiB), ok.subarray(0, 10)), 'closeOr4xx',
          {statuses: [400, 413], halfClose: true}));
  out.push(
      raw('http', 'no Content-Length, no body',
          Buffer.from('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
          '4xx', {statuses: [400, 411]}));
  const te = (chunks) => rawRequest(
      'POST', '/v1/chat/completions', Buffer.from(chunks, 'latin1'),
      {'Transfer-Encoding': 'chunked'});
  out.push(
      raw('http', 'chunked, bad size', te('zz\r\nabc\r\n0\r\n\r\n'), '4xx', {statuses: [400]}));
  out.push(
      raw('http-eof', 'chunked, huge size, EOF', te('ffffffffffff\r\nabc'), 'closeOr4xx',
          {statuses: [400, 413], halfClose: true}));
  out.push(
      raw('http-eof', 'chunked, no last chunk, EOF',
          te(`${ok.length.toString(16)}\r\n${ok.toString('latin1')}\r\n`), 'closeOr4xx',
          {statuses: [400], halfClose: true}));
  out.push(raw('http', 'chunked, broken JSON', te('3\r\n{"a\r\n0\r\n\r\n'), 'invalid_json'));
  out.push(
      raw('http', 'chunked and Content-Length',
          rawRequest(
              'POST', '/v1/chat/completions', Buffer.from('3\r\n{"a\r\n0\r\n\r\n'),
              {'Transfer-Encoding': 'chunked', 'Content-Length': '3'}),
          '4xx', {statuses: [400]}));
  out.push(
      raw('http', 'Expect: 100-continue, broken JSON',
          rawRequest('POST', '/v1/chat/completions', Buffer.from('{"x'), {Expect: '100-continue'}),
          'invalid_json'));
  return out;
}

// Clients that send part of a request slowly and then stop (without closing). They hold a
// connection until the server's read timeout: `waitMs` bounds the wait. A stalled request line
// carries no request at all: the server may close it without an answer ('slow-line').
export function slowClients(model) {
  const ok =
      Buffer.from(JSON.stringify({model, messages: [{role: 'user', content: 'x'}], max_tokens: 1}));
  const full = rawRequest('POST', '/v1/chat/completions', ok);
  const dribble = (bytes, delayMs) => [...bytes].flatMap((b) => [{delayMs}, Buffer.from([b])]);
  const headEnd = full.indexOf('\r\n\r\n') + 4;
  const firstLine = full.indexOf('\r\n') + 2;
  return [
    {
      cls: 'slow-line',
      name: 'request line dribbled, then silence',
      kind: 'raw',
      parts: dribble(full.subarray(0, 12), 100),
      expect: 'closeOr4xx',
      waitMs: 40000
    },
    {
      cls: 'slow',
      name: 'headers dribbled, then silence',
      kind: 'raw',
      parts:
          [full.subarray(0, firstLine), ...dribble(full.subarray(firstLine, firstLine + 20), 100)],
      expect: '4xx',
      statuses: [400, 408],
      waitMs: 40000
    },
    {
      cls: 'slow',
      name: 'body: 10 of the bytes, then silence',
      kind: 'raw',
      parts: [full.subarray(0, headEnd + 10)],
      expect: '4xx',
      statuses: [400, 408],
      waitMs: 40000
    },
    {
      cls: 'slow',
      name: 'body dribbled, then silence',
      kind: 'raw',
      parts: [full.subarray(0, headEnd), ...dribble(full.subarray(headEnd, headEnd + 15), 150)],
      expect: '4xx',
      statuses: [400, 408],
      waitMs: 40000
    },
    {
      cls: 'slow-valid',
      name: 'GET /health dribbled (10 ms a byte)',
      kind: 'raw',
      parts: dribble(rawRequest('GET', '/health'), 10),
      expect: 'status200',
      waitMs: 40000
    },
    {
      cls: 'slow-valid',
      name: 'chat request dribbled (5 ms a byte)',
      kind: 'raw',
      parts: dribble(full, 5),
      expect: 'status200',
      waitMs: 60000
    },
  ];
}
