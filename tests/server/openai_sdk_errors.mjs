// The official `openai` npm SDK against a running `llmkit serve`: error cases through the SDK's
// typed errors (unknown model 404, wrong types 400 naming the field, context overflow 400,
// unknown path 404), /health and /metrics, cancellation when a client disconnects mid-stream,
// and on a second server started with --api-key K --slots 1 --max-queue 1: wrong or missing key
// 401 and queue overflow 429.
// Usage: node openai_sdk_errors.mjs --url http://127.0.0.1:PORT --model ID
//          [--auth-url URL --api-key K] [--only SUBSTRING]
import {assert, assertEq, clip, requireArg} from './common.mjs';
import {args, expectError, hello, OpenAI, setup} from './openai_helpers.mjs';

const {url, model, client, checks, check} =
    setup('openai_sdk_errors.mjs', '[--auth-url URL --api-key K] ');
const tools = [{type: 'function', function: {name: 'f', parameters: {type: 'object'}}}];

check('errors: unknown model -> 404 model_not_found', async () => {
  await expectError(
      client.chat.completions.create({model: 'no-such-model', messages: hello}),
      OpenAI.NotFoundError, 404, {code: 'model_not_found'});
  await expectError(
      client.completions.create({model: 'no-such-model', prompt: 'x'}), OpenAI.NotFoundError, 404,
      {code: 'model_not_found'});
  await expectError(
      client.embeddings.create({model: 'no-such-model', input: 'x'}), OpenAI.NotFoundError, 404,
      {code: 'model_not_found'});
});

check('errors: wrong types and values -> 400 naming the field', async () => {
  const cases = [
    [{temperature: 'hot'}, /^temperature$/],
    [{temperature: 2.5}, /^temperature$/],
    [{max_tokens: -1}, /^max_tokens$/],
    [{max_tokens: 'ten'}, /^max_tokens$/],
    [{top_p: 0}, /^top_p$/],
    [{n: 99}, /^n$/],
    [{stop: ['a', 'b', 'c', 'd', 'e']}, /^stop$/],
    [{messages: []}, /^messages$/],
    [{messages: 'hello'}, /^messages$/],
    [{messages: [{role: 'alien', content: 'x'}]}, /^messages\[0\]/],
    [{messages: [{role: 'user', content: 42}]}, /^messages\[0\]/],
    [{stream: 'yes'}, /^stream$/],
    [{tools: [{type: 'function', function: {parameters: {}}}]}, /^tools\[0\]/],
    [{tool_choice: 'sometimes', tools}, /^tool_choice$/],
    [{response_format: {type: 'yaml'}}, /^response_format/],
    [{logprobs: true, top_logprobs: 21}, /^top_logprobs$/],
  ];
  for (const [patch, param] of cases) {
    await expectError(
        client.chat.completions.create({model, messages: hello, max_tokens: 4, ...patch}),
        OpenAI.BadRequestError,
        400,
        {param, type: 'invalid_request_error'},
        )
        .catch((e) => { throw new Error(`${JSON.stringify(patch).slice(0, 120)}: ${e.message}`); });
  }
  await expectError(
      client.completions.create({model, prompt: 7}), OpenAI.BadRequestError, 400,
      {param: /^prompt$/});
  await expectError(
      client.embeddings.create({model, input: 7}), OpenAI.BadRequestError, 400, {param: /^input$/});
});

check('errors: context overflow -> 400 context_length_exceeded', async () => {
  const long = 'the union of states and people '.repeat(3000);
  await expectError(
      client.chat.completions.create(
          {model, messages: [{role: 'user', content: long}], max_tokens: 4}),
      OpenAI.BadRequestError, 400, {code: 'context_length_exceeded'});
  await expectError(
      client.completions.create({model, prompt: long, max_tokens: 4}), OpenAI.BadRequestError, 400,
      {code: 'context_length_exceeded'});
  await expectError(
      client.chat.completions.create({model, messages: hello, max_tokens: 10000000}),
      OpenAI.BadRequestError, 400, {code: 'context_length_exceeded'});
});

check('errors: unknown path -> 404 JSON error', async () => {
  const res = await fetch(`${url}/v1/no/such/path`);
  assertEq(res.status, 404, 'status');
  const body = await res.json();
  assert(typeof body?.error?.message === 'string', `body ${clip(body)}`);
});

// The value of the first sample of `name` in a Prometheus text (NaN when absent).
const sample = (text, name) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text)?.[1]);

check('/health and /metrics', async () => {
  const h = await (await fetch(`${url}/health`)).json();
  assertEq(h.status, 'ok', 'health status');
  assertEq(h.model, model, 'health model');
  const before = await (await fetch(`${url}/metrics`)).text();
  await client.chat.completions.create({model, messages: hello, max_tokens: 3, ignore_eos: true});
  const res = await fetch(`${url}/metrics`);
  assertEq(res.status, 200, 'metrics status');
  const text = await res.text();
  for (const name
           of ['llmkit_requests_total', 'llmkit_prompt_tokens_total',
               'llmkit_generated_tokens_total', 'llmkit_tokens_per_second', 'llmkit_queue_length',
               'llmkit_slots_busy', 'llmkit_slots_total']) {
    assert(new RegExp(`^# TYPE ${name} `, 'm').test(text), `no '# TYPE ${name}' in /metrics`);
    assert(!Number.isNaN(sample(text, name)), `no sample of ${name} in /metrics`);
  }
  const generated = sample(text, 'llmkit_generated_tokens_total') -
      sample(before, 'llmkit_generated_tokens_total');
  assertEq(generated, 3, 'llmkit_generated_tokens_total growth over a 3-token request');
  assert(
      sample(text, 'llmkit_prompt_tokens_total') > sample(before, 'llmkit_prompt_tokens_total'),
      'llmkit_prompt_tokens_total did not grow');
  assertEq(sample(text, 'llmkit_slots_total'), h.slots, 'llmkit_slots_total vs /health slots');
  assert(
      /^llmkit_requests_total\{[^}]*endpoint="[^"]+"[^}]*status="200"[^}]*\} [0-9]+$/m.test(text) ||
          /^llmkit_requests_total\{[^}]*status="200"[^}]*endpoint="[^"]+"[^}]*\} [0-9]+$/m.test(
              text),
      'no llmkit_requests_total{endpoint,status="200"} sample');
});

// Cancellation: a client that goes away mid-stream stops its generation. Four choices of 1900
// tokens each take seconds on any model; the server must stop long before generating them all.
check('a client that disconnects mid-stream: generation stops, slots free', async () => {
  const metrics = async () => (await fetch(`${url}/metrics`)).text();
  const before = sample(await metrics(), 'llmkit_generated_tokens_total');
  const abort = new AbortController();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify(
        {model, messages: hello, max_tokens: 1900, n: 4, ignore_eos: true, stream: true}),
    signal: abort.signal,
  });
  assertEq(res.status, 200, 'status');
  const reader = res.body.getReader();
  let seen = '';
  while (!seen.includes('"content"')) {
    const {value, done} = await reader.read();
    assert(!done, 'the stream ended before any content');
    seen += new TextDecoder().decode(value);
  }
  abort.abort();
  let text = '';
  for (let i = 0; i < 100; ++i) {
    text = await metrics();
    if (sample(text, 'llmkit_slots_busy') === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assertEq(sample(text, 'llmkit_slots_busy'), 0, 'llmkit_slots_busy 10 s after the disconnect');
  const generated = sample(text, 'llmkit_generated_tokens_total') - before;
  assert(generated < 4 * 1900, `${generated} tokens generated for a client that disconnected`);
});

// ---------------------------------------------------------------------------------------------
if (args['auth-url']) {
  const authUrl = args['auth-url'];
  const key = requireArg(args, 'api-key', 'openai_sdk_errors.mjs --auth-url URL needs --api-key K');
  const authed =
      new OpenAI({baseURL: `${authUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 120000});
  const wrong = new OpenAI({baseURL: `${authUrl}/v1`, apiKey: `${key}-wrong`, maxRetries: 0});

  check('auth: wrong or missing key -> 401, right key works, /health open', async () => {
    await expectError(
        wrong.chat.completions.create({model, messages: hello, max_tokens: 2}),
        OpenAI.AuthenticationError, 401, {code: 'invalid_api_key'});
    await expectError(
        wrong.models.list(), OpenAI.AuthenticationError, 401, {code: 'invalid_api_key'});
    await expectError(
        wrong.embeddings.create({model, input: 'x'}), OpenAI.AuthenticationError, 401,
        {code: 'invalid_api_key'});
    const bare = await fetch(`${authUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({model, messages: hello, max_tokens: 2}),
    });
    assertEq(bare.status, 401, 'no Authorization header');
    assertEq((await bare.json())?.error?.code, 'invalid_api_key', 'code without a key');
    const r = await authed.chat.completions.create({model, messages: hello, max_tokens: 2});
    assertEq(r.object, 'chat.completion', 'with the right key');
    assertEq((await fetch(`${authUrl}/health`)).status, 200, '/health without a key');
  });

  check('queue overflow -> 429 rate_limit_exceeded, the admitted requests finish', async () => {
    // The server has 1 slot and a queue of 1: of 12 simultaneous long requests at most two are
    // admitted at first; the others must be refused with 429 rather than wait or fail.
    const body = {model, messages: hello, max_tokens: 1000, ignore_eos: true};
    const results = await Promise.allSettled(
        Array.from({length: 12}, () => authed.chat.completions.create(body)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    for (const r of refused) {
      const e = r.reason;
      assert(
          e instanceof OpenAI.RateLimitError,
          `a request failed with ${e?.constructor?.name} ${e?.status}: ${
              clip(e?.error ?? e?.message)}`);
      assertEq(e.code, 'rate_limit_exceeded', '429 code');
      assertEq(e.type, 'rate_limit_error', '429 type');
    }
    assert(
        refused.length >= 1,
        `no 429 among 12 simultaneous requests to 1 slot + queue 1 (${ok.length} succeeded)`);
    assert(ok.length >= 1, 'no request admitted');
    for (const r of ok)
      assertEq(r.value.usage.completion_tokens, 1000, 'admitted request completion_tokens');
    // Once the queue drains the server admits requests again.
    const after = await authed.chat.completions.create({...body, max_tokens: 3});
    assertEq(after.usage.completion_tokens, 3, 'request after the burst');
  });
}


await checks.run(args.only);
