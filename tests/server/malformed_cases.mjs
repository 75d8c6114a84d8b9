// The generated bad requests of tests/server/malformed.mjs (JSON-level here, HTTP-level and slow
// clients in malformed_http_cases.mjs). Each case is
//   {cls, name, kind: 'fetch' | 'raw', ...}
//   fetch: {method, path, body (string | Buffer), headers?}       sent with fetch
//   raw:   {parts: [Buffer | {delayMs}], halfClose?, waitMs?}      written to a net socket as is
// and an expectation:
//   expect: 'invalid_json'   400 with error.code "invalid_json"
//           'param'          400 whose error.param starts with `param` (the offending field)
//           '4xx'            any 4xx (`statuses`, when given, lists the ones the contract names)
//           'not5xx'         any answer below 500 (the request may be valid after all)
//           'closeOr4xx'     a 4xx or the connection closed without an answer: the client stopped
//                            or closed its side before a whole request was sent
//           'status200'      200 (a valid request sent slowly)
// plus `forbid` (texts the answer must not contain: files outside the web assets).
// `rand` is a seeded generator of floats in [0, 1), so the campaign is reproducible.

// mulberry32: a small seeded PRNG.
export function makeRand(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const MiB = 1 << 20;

export function baseBodies(model) {
  const chat = {
    model,
    messages: [
      {role: 'system', content: 'Be brief.'},
      {role: 'user', content: 'Hello, how are you today?'},
    ],
    max_tokens: 1,
    temperature: 0.5,
    top_p: 0.9,
    stop: ['\n\n'],
    n: 1,
    stream: false,
    seed: 3,
  };
  const tools = {
    model,
    messages: [{role: 'user', content: 'Weather?'}],
    max_tokens: 1,
    tools: [{
      type: 'function',
      function: {name: 'w', parameters: {type: 'object', properties: {c: {type: 'string'}}}}
    }],
    tool_choice: 'auto',
    response_format: {type: 'text'},
  };
  const completion = {model, prompt: 'Once upon a time', max_tokens: 1, echo: false, logprobs: 1};
  const embedding = {model, input: ['a b c', 'd e']};
  return [
    {path: '/v1/chat/completions', body: chat},
    {path: '/v1/chat/completions', body: tools},
    {path: '/v1/completions', body: completion},
    {path: '/v1/embeddings', body: embedding},
  ];
}

// The raw bytes of an HTTP/1.1 request (Connection: close), with Content-Length unless
// `headers` already names one or Transfer-Encoding.
export function rawRequest(method, path, body = Buffer.alloc(0), headers = {}) {
  const h =
      {Host: '127.0.0.1', 'Content-Type': 'application/json', Connection: 'close', ...headers};
  const named = Object.keys(h).map((k) => k.toLowerCase());
  if (!named.includes('content-length') && !named.includes('transfer-encoding') &&
      (method !== 'GET' || body.length)) {
    h['Content-Length'] = String(body.length);
  }
  const head = `${method} ${path} HTTP/1.1\r\n${
      Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]);
}

export const raw = (cls, name, bytes, expect, extra = {}) =>
    ({cls, name, kind: 'raw', parts: [bytes], expect, ...extra});
const post = (cls, name, path, body, expect, extra = {}) => ({
  cls,
  name,
  kind: 'fetch',
  method: 'POST',
  path,
  body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  expect,
  ...extra,
});

// Valid UTF-8 and JSON? (Strict decoding: any invalid byte sequence fails.)
export function isValidJson(buf) {
  try {
    JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(buf));
    return true;
  } catch {
    return false;
  }
}

// Every strict prefix of each base body, sampled (and the empty body): never valid JSON.
function truncations(model, rand) {
  const out = [];
  for (const {path, body} of baseBodies(model)) {
    const text = Buffer.from(JSON.stringify(body));
    const lengths = new Set([0, 1, text.length - 1]);
    while (lengths.size < Math.min(55, text.length)) lengths.add(Math.floor(rand() * text.length));
    for (const n of lengths)
      out.push(
          raw('truncated', `${path} first ${n}/${text.length} bytes`,
              rawRequest('POST', path, text.subarray(0, n)), 'invalid_json'));
  }
  return out;
}

// 1-3 random bytes of a valid body replaced by random bytes: invalid JSON or UTF-8 must be 400
// invalid_json; a body that stays valid JSON may be any non-5xx answer.
function byteFlips(model, rand, count) {
  const bases = baseBodies(model);
  const out = [];
  for (let i = 0; i < count; ++i) {
    const {path, body} = bases[i % bases.length];
    const buf = Buffer.from(JSON.stringify(body));
    const flips = 1 + Math.floor(rand() * 3);
    const where = [];
    for (let k = 0; k < flips; ++k) {
      const at = Math.floor(rand() * buf.length);
      buf[at] = Math.floor(rand() * 256);
      where.push(`${at}=0x${buf[at].toString(16)}`);
    }
    const valid = isValidJson(buf);
    out.push(
        raw(valid ? 'flip-valid' : 'flip', `${path} bytes ${where.join(',')}`,
            rawRequest('POST', path, buf), valid ? 'not5xx' : 'invalid_json'));
  }
  return out;
}

// Wrong types and out-of-range values for every field, each whole and with "stream": true (a
// refused streaming request is a plain 400, not an event stream).
function wrongTypes(model) {
  const num = ['"1"', true, [], {}];
  const bool = ['"true"', 1, [], {}];
  const str = [1, true, [], {}];
  const chatFields = {
    model: str,
    messages: [
      '"hi"',
      5,
      {},
      [],
      [5],
      ['"x"'],
      [null],
      [[]],
      [{}],
      [{role: 5, content: 'x'}],
      [{role: 'alien', content: 'x'}],
      [{role: 'user', content: 5}],
      [{role: 'user', content: {}}],
      [{role: 'user'}],
      [{role: 'user', content: [{type: 'text'}]}],
      [{role: 'user', content: [{type: 'text', text: 5}]}],
      [{role: 'user', content: [{type: 'image_url', image_url: {url: 'file:///etc/passwd'}}]}],
      [{role: 'user', content: [5]}],
      [{role: 'assistant', content: 'x', tool_calls: '"x"'}],
      [
        {role: 'user', content: 'x'}, {
          role: 'assistant',
          tool_calls: [{id: 'a', type: 'function', function: {name: 'f', arguments: 5}}]
        }
      ],
      [
        {role: 'user', content: 'x'},
        {role: 'assistant', tool_calls: [{id: 'a', type: 'function', function: {arguments: '{}'}}]}
      ]
    ],
    max_tokens: [...num, 0, -1, 1.5],
    max_completion_tokens: [...num, 0, -3],
    temperature: [...num, -0.1, 2.1],
    top_p: [...num, 0, -1, 1.1],
    top_k: [...num, -1, 1.5],
    min_p: [...num, -0.1, 1.5],
    frequency_penalty: [...num, -2.5, 2.5],
    presence_penalty: [...num, -2.5, 2.5],
    seed: [...num, 1.5],
    stop: [5, true, {}, [5], [''], '""', ['a', 'b', 'c', 'd', 'e'], [[]]],
    n: [...num, 0, 9, 1.5],
    stream: bool,
    stream_options: ['"x"', 5, [], {include_usage: 'yes'}],
    logprobs: ['"yes"', [], {}],
    top_logprobs: [...num, -1, 21, 1.5],
    response_format: [
      '"json"', 5, [], {type: 5}, {type: 'yaml'}, {type: 'json_schema'},
      {type: 'json_schema', json_schema: 'x'},
      {type: 'json_schema', json_schema: {name: 'x', schema: 5}},
      {type: 'json_schema', json_schema: {name: 'x', schema: {type: 'frobnicate'}}},
      {type: 'json_schema', json_schema: {name: 'x', schema: {type: 'string', pattern: '('}}}
    ],
    tools: [
      '"x"', 5, {}, [5], [{}], [{type: 'function'}], [{type: 'function', function: {}}],
      [{type: 'function', function: {name: 5}}],
      [{type: 'function', function: {name: 'f', parameters: 'x'}}],
      [{type: 'bogus', function: {name: 'f'}}]
    ],
    tool_choice: [
      '"sometimes"', 5, [], {type: 'function'}, {type: 'function', function: {name: 'missing'}},
      {type: 'function', function: {}}
    ],
    parallel_tool_calls: bool,
    ignore_eos: bool,
    rag: ['"x"', 5, [], {top_k: 'x'}],
    user: str,
  };
  const out = [];
  const unquote = (v) => (typeof v === 'string' && v.startsWith('"') ? JSON.parse(v) : v);
  const toolsFor = {
    tools: [{type: 'function', function: {name: 'f', parameters: {type: 'object'}}}]
  };
  for (const [field, values] of Object.entries(chatFields)) {
    for (const v of values) {
      for (const stream of [false, true]) {
        if (stream && field.startsWith('stream')) continue;
        const body = {
          model,
          messages: [{role: 'user', content: 'hi'}],
          max_tokens: 1,
          ...(field === 'tool_choice' ? toolsFor : {}),
          [field]: unquote(v)
        };
        if (stream) body.stream = true;
        out.push(post(
            'wrong-type', `chat ${field}=${JSON.stringify(unquote(v))}${stream ? ' stream' : ''}`,
            '/v1/chat/completions', body, 'param', {param: field}));
      }
    }
  }
  const completionFields = {
    model: str,
    prompt: [5, true, {}, [], ['a', 'b'], [1, 2, 3], [[1, 2]], [null]],
    max_tokens: [...num, 0, -1],
    temperature: [...num, 3],
    echo: bool,
    logprobs: ['"x"', [], -1, 21, 1.5],
    stop: [5, [''], ['a', 'b', 'c', 'd', 'e']],
    n: [0, 9, '"2"'],
  };
  for (const [field, values] of Object.entries(completionFields)) {
    for (const v of values) {
      for (const stream of [false, true]) {
        const body = {model, prompt: 'hi', max_tokens: 1, [field]: unquote(v)};
        if (stream) body.stream = true;
        out.push(post(
            'wrong-type',
            `completions ${field}=${JSON.stringify(unquote(v))}${stream ? ' stream' : ''}`,
            '/v1/completions', body, 'param', {param: field}));
      }
    }
  }
  const embeddingFields = {
    model: str,
    input: [5, true, {}, [], [''], [5], [['a']], [null], ''],
    encoding_format: ['"hex"', 5, []],
    dimensions: ['"x"', 0, -1, 1.5],
  };
  for (const [field, values] of Object.entries(embeddingFields)) {
    for (const v of values) {
      const body = {model, input: 'hi', [field]: unquote(v)};
      out.push(post(
          'wrong-type', `embeddings ${field}=${JSON.stringify(unquote(v))}`, '/v1/embeddings', body,
          'param', {param: field}));
    }
  }
  // Not an object at the top.
  for (const path of ['/v1/chat/completions', '/v1/completions', '/v1/embeddings']) {
    for (const body of ['[]', '"x"', '5', 'null', 'true', '[{"model": "x"}]'])
      out.push(post('wrong-type', `${path} body ${body}`, path, body, '4xx', {statuses: [400]}));
  }
  return out;
}

// Fields beyond the limits of api_types.h RequestLimits, bodies beyond 4 MiB, deep nesting.
function hugeFields(model) {
  const big = 'a'.repeat(MiB + 1);
  const chat = (patch) =>
      ({model, messages: [{role: 'user', content: 'hi'}], max_tokens: 1, ...patch});
  const out = [
    post(
        'huge', 'content 1 MiB + 1', '/v1/chat/completions',
        chat({messages: [{role: 'user', content: big}]}), '4xx', {statuses: [400, 413]}),
    post(
        'huge', 'system content 1 MiB + 1', '/v1/chat/completions',
        chat({messages: [{role: 'system', content: big}, {role: 'user', content: 'x'}]}), '4xx',
        {statuses: [400, 413]}),
    post(
        'huge', 'stop 1 MiB + 1', '/v1/chat/completions', chat({stop: [big]}), '4xx',
        {statuses: [400, 413]}),
    post(
        'huge', 'model 1 MiB + 1', '/v1/chat/completions', chat({model: big}), '4xx',
        {statuses: [400, 404, 413]}),
    post(
        'huge', 'prompt 1 MiB + 1', '/v1/completions', {model, prompt: big, max_tokens: 1}, '4xx',
        {statuses: [400, 413]}),
    post(
        'huge', 'embedding input 1 MiB + 1', '/v1/embeddings', {model, input: big}, '4xx',
        {statuses: [400, 413]}),
    post(
        'huge', '257 embedding inputs', '/v1/embeddings', {model, input: Array(257).fill('x')},
        'param', {param: 'input'}),
    post(
        'huge', '513 messages', '/v1/chat/completions',
        chat({messages: Array(513).fill({role: 'user', content: 'x'})}), 'param',
        {param: 'messages'}),
    post(
        'huge', '100000 empty messages', '/v1/chat/completions',
        chat({messages: Array(100000).fill({})}), 'param', {param: 'messages'}),
    post(
        'huge', '65 tools', '/v1/chat/completions', chat({
          tools: Array.from(
              {length: 65},
              (_, i) =>
                  ({type: 'function', function: {name: `f${i}`, parameters: {type: 'object'}}}))
        }),
        'param', {param: 'tools'}),
    post(
        'huge', 'tool description 1 MiB + 1', '/v1/chat/completions', chat({
          tools: [{
            type: 'function',
            function: {name: 'f', description: big, parameters: {type: 'object'}}
          }]
        }),
        '4xx', {statuses: [400, 413]}),
    post(
        'huge', 'body 5 MiB (content)', '/v1/chat/completions',
        chat({messages: [{role: 'user', content: 'a'.repeat(5 * MiB)}]}), '4xx', {statuses: [413]}),
    post(
        'huge', 'body 5 MiB (whitespace)', '/v1/chat/completions',
        JSON.stringify(chat({})).replace('{', `{${' '.repeat(5 * MiB)}`), '4xx', {statuses: [413]}),
    post(
        'huge', 'body 9 MiB of digits', '/v1/embeddings',
        `{"model": "${model}", "input": [${'1,'.repeat(4.5 * MiB)}1]}`, '4xx', {statuses: [413]}),
    post(
        'huge', 'max_tokens 1e30', '/v1/chat/completions', chat({max_tokens: 1e30}), '4xx',
        {statuses: [400]}),
    post(
        'huge', 'max_tokens 1e400', '/v1/chat/completions',
        JSON.stringify(chat({})).replace('"max_tokens":1', '"max_tokens":1e400'), '4xx',
        {statuses: [400]}),
    post(
        'huge', 'max_tokens 10^25', '/v1/chat/completions',
        JSON.stringify(chat({})).replace('"max_tokens":1', `"max_tokens":1${'0'.repeat(25)}`),
        '4xx', {statuses: [400]}),
    post(
        'huge', 'seed 10^25', '/v1/chat/completions',
        JSON.stringify(chat({})).replace(
            '"max_tokens":1', `"max_tokens":1,"seed":1${'0'.repeat(25)}`),
        '4xx', {statuses: [400]}),
  ];
  for (const depth of [1000, 100000, 1000000]) {
    out.push(post(
        'huge', `messages nested ${depth} arrays deep`, '/v1/chat/completions',
        `{"model": "${model}", "messages": ${'['.repeat(depth)}${']'.repeat(depth)}}`, '4xx',
        {statuses: [400, 413]}));
    out.push(post(
        'huge', `user nested ${depth} objects deep`, '/v1/chat/completions',
        `{"model": "${model}", "messages": [{"role": "user", "content": "x"}], "user": ${
        '{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
        '4xx', {statuses: [400, 413]}));
    out.push(post(
        'huge', `body nested ${depth} arrays deep, unclosed`, '/v1/completions', '['.repeat(depth),
        'invalid_json'));
  }
  return out;
}

// Invalid UTF-8 byte sequences (and JSON escapes of lone surrogates) inside each string.
function invalidUtf8(model) {
  const seqs = [
    [0xff], [0xfe], [0x80], [0xc3], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]
  ];
  const spots = [
    ['/v1/chat/completions', {model, messages: [{role: 'user', content: '@'}], max_tokens: 1}],
    [
      '/v1/chat/completions', {
        model,
        messages: [{role: 'system', content: 'a@b'}, {role: 'user', content: 'x'}],
        max_tokens: 1
      }
    ],
    ['/v1/chat/completions', {model: '@', messages: [{role: 'user', content: 'x'}], max_tokens: 1}],
    [
      '/v1/chat/completions',
      {model, messages: [{role: 'user', content: 'x'}], max_tokens: 1, stop: ['@']}
    ],
    [
      '/v1/chat/completions',
      {model, messages: [{role: 'user', content: 'x'}], max_tokens: 1, '@': 1}
    ],
    [
      '/v1/chat/completions',
      {model, messages: [{role: 'user', content: 'x'}], max_tokens: 1, stream: true, user: '@'}
    ],
    [
      '/v1/chat/completions', {
        model,
        messages: [{role: 'user', content: 'x'}],
        max_tokens: 1,
        tools: [{type: 'function', function: {name: 'f@', parameters: {type: 'object'}}}]
      }
    ],
    ['/v1/completions', {model, prompt: 'once @ upon', max_tokens: 1}],
    ['/v1/embeddings', {model, input: ['fine', '@']}],
  ];
  const out = [];
  for (const [path, body] of spots) {
    const [before, after] = JSON.stringify(body).split('@');
    for (const seq of seqs) {
      const buf = Buffer.concat([Buffer.from(before), Buffer.from(seq), Buffer.from(after)]);
      out.push(
          raw('utf8', `${path} ${before.slice(-24)}<${seq.map((b) => b.toString(16)).join(' ')}>`,
              rawRequest('POST', path, buf), 'invalid_json'));
    }
    for (const esc of ['\\ud800', '\\udfff', '\\ud800\\u0041', '\\udc00\\ud800']) {
      const buf = Buffer.from(`${before}${esc}${after}`);
      out.push(
          raw('utf8', `${path} ${before.slice(-24)}${esc}`, rawRequest('POST', path, buf),
              'invalid_json'));
    }
  }
  return out;
}

// The JSON-level cases (the HTTP-level ones: malformed_http_cases.mjs), in campaign order.
export function jsonCases(model, rand) {
  return [
    ...truncations(model, rand), ...byteFlips(model, rand, 320), ...wrongTypes(model),
    ...invalidUtf8(model), ...hugeFields(model)
  ];
}
