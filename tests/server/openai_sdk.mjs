// The official `openai` npm SDK against a running `llmkit serve` (loopback): models, chat and
// completions, whole and streamed (the stream's text and usage equal the whole answer for the
// same seed), max_tokens, n = 2, seed determinism, stop strings (the answer is the unstopped
// answer cut before the first stop string), logprobs, embeddings (float and base64).
// Usage: node openai_sdk.mjs --url http://127.0.0.1:PORT --model ID [--only SUBSTRING]
// The server is expected to serve a small random model (any text) with a context of at least
// 256 tokens.
import {assert, assertEq, clip, readSse} from './common.mjs';
import {args, checkUsage, hello, OpenAI, setup, streamChat, streamCompletion} from './openai_helpers.mjs';

const {url, model, client, checks, check} = setup('openai_sdk.mjs');

// The token counts of a usage object (prompt_tokens_details.cached_tokens depends on what the
// server's prefix cache held, so it may differ between two equal requests).
const counts = (u) => u && {p: u.prompt_tokens, c: u.completion_tokens, t: u.total_tokens};

// ---------------------------------------------------------------------------------------------
check('models.list names the served model', async () => {
  const list = await client.models.list();
  const ids = list.data.map((m) => m.id);
  assert(ids.includes(model), `model ids ${clip(ids)} lack '${model}'`);
  const m = list.data.find((x) => x.id === model);
  assertEq(m.object, 'model', 'object');
  assertEq(m.owned_by, 'llmkit', 'owned_by');
  assert(Number.isInteger(m.created), `created ${m.created}`);
  const one = await client.models.retrieve(model).catch((e) => e);
  // GET /v1/models/{id} is optional in the contract; when answered it must be this model.
  if (!(one instanceof Error)) assertEq(one.id, model, 'models.retrieve id');
});

check('chat: whole answer', async () => {
  const r = await client.chat.completions.create({model, messages: hello, max_tokens: 16, seed: 1});
  assertEq(r.object, 'chat.completion', 'object');
  assert(typeof r.id === 'string' && r.id.length > 0, 'id');
  assert(Number.isInteger(r.created), 'created');
  assertEq(r.model, model, 'model');
  assertEq(r.choices.length, 1, 'choices');
  const c = r.choices[0];
  assertEq(c.index, 0, 'index');
  assertEq(c.message.role, 'assistant', 'role');
  assert(typeof c.message.content === 'string', `content ${clip(c.message)}`);
  assert(['stop', 'length'].includes(c.finish_reason), `finish_reason ${c.finish_reason}`);
  checkUsage(r.usage, 'usage');
  assert(r.usage.completion_tokens <= 16, `completion_tokens ${r.usage.completion_tokens} > 16`);
});

check('chat: max_tokens / max_completion_tokens respected', async () => {
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({model, messages: hello, max_tokens: 5, seed});
    assert(
        r.usage.completion_tokens <= 5,
        `seed ${seed}: completion_tokens ${r.usage.completion_tokens} > 5`);
    if (r.choices[0].finish_reason === 'length')
      assertEq(r.usage.completion_tokens, 5, 'tokens at length');
  }
  const a = await client.chat.completions.create(
      {model, messages: hello, max_tokens: 7, ignore_eos: true, seed: 4});
  assertEq(a.usage.completion_tokens, 7, 'ignore_eos completion_tokens');
  assertEq(a.choices[0].finish_reason, 'length', 'finish_reason');
  const b = await client.chat.completions.create(
      {model, messages: hello, max_completion_tokens: 6, ignore_eos: true});
  assertEq(b.usage.completion_tokens, 6, 'max_completion_tokens');
});

check('chat: stream equals the whole answer, usage chunk, finish_reason', async () => {
  const body =
      {model, messages: hello, max_tokens: 24, seed: 7, temperature: 0.9, ignore_eos: true};
  const whole = await client.chat.completions.create(body);
  const s = await streamChat(client, {...body, stream_options: {include_usage: true}});
  assertEq(s.roles[0], 'assistant', 'first delta role');
  assertEq(s.chunks[0].choices[0]?.delta?.role, 'assistant', 'role in the first chunk');
  assertEq(s.text[0], whole.choices[0].message.content, 'streamed text vs whole text');
  assertEq(s.finish[0], 'length', 'finish_reason');
  const ids = new Set(s.chunks.map((c) => c.id));
  assertEq(ids.size, 1, 'one id across chunks');
  const last = s.chunks[s.chunks.length - 1];
  assertEq(last.choices, [], 'usage chunk choices');
  assert(last.usage, 'last chunk carries usage');
  assertEq(counts(s.usage), counts(whole.usage), 'stream usage vs whole usage');
  for (const c of s.chunks.slice(0, -1)) assert(!c.usage, `usage on a non-final chunk: ${clip(c)}`);
  const plain = await streamChat(client, body);  // without include_usage: no usage chunk
  assert(plain.usage === null, `usage without include_usage: ${clip(plain.usage)}`);
  assertEq(plain.text[0], whole.choices[0].message.content, 'text without include_usage');
});

check('chat stream: raw SSE framing ends with data: [DONE]', async () => {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({model, messages: hello, max_tokens: 5, stream: true}),
  });
  assertEq(res.status, 200, 'status');
  assert(
      (res.headers.get('content-type') ?? '').startsWith('text/event-stream'),
      `content-type ${res.headers.get('content-type')}`);
  const {events, done, rest} = await readSse(res);
  assert(done, 'no data: [DONE]');
  assertEq(rest, '', 'bytes after the last event');
  assert(events.length >= 2, `${events.length} events`);
});

check('completions: whole, streamed, echo, usage', async () => {
  const body = {model, prompt: 'The state of the union', max_tokens: 12, seed: 3, ignore_eos: true};
  const whole = await client.completions.create(body);
  assertEq(whole.object, 'text_completion', 'object');
  assertEq(whole.model, model, 'model');
  assertEq(whole.choices[0].finish_reason, 'length', 'finish_reason');
  checkUsage(whole.usage, 'usage');
  assertEq(whole.usage.completion_tokens, 12, 'completion_tokens');
  const s = await streamCompletion(client, {...body, stream_options: {include_usage: true}});
  assertEq(s.text[0], whole.choices[0].text, 'streamed text');
  assertEq(s.finish[0], 'length', 'streamed finish_reason');
  assertEq(counts(s.usage), counts(whole.usage), 'streamed usage');
  const echoed = await client.completions.create({...body, echo: true});
  assertEq(echoed.choices[0].text, body.prompt + whole.choices[0].text, 'echo text');
  const arr = await client.completions.create({...body, prompt: [body.prompt]});
  assertEq(arr.choices[0].text, whole.choices[0].text, 'prompt as an array of one string');
});

check('n = 2: two different choices, usage counts both', async () => {
  const body =
      {model, messages: hello, max_tokens: 10, n: 2, seed: 11, ignore_eos: true, temperature: 1};
  const r = await client.chat.completions.create(body);
  assertEq(r.choices.map((c) => c.index), [0, 1], 'indices');
  assert(
      r.choices[0].message.content !== r.choices[1].message.content,
      `n=2 gave the same text twice: ${clip(r.choices[0].message.content)}`);
  assertEq(r.usage.completion_tokens, 20, 'completion_tokens of two choices');
  const s = await streamChat(client, body);
  assertEq(s.text, r.choices.map((c) => c.message.content), 'streamed n=2 texts');
  assertEq(s.finish, ['length', 'length'], 'streamed finish_reasons');
  const c = await client.completions.create(
      {model, prompt: 'We', max_tokens: 6, n: 2, seed: 5, ignore_eos: true});
  assertEq(c.choices.map((x) => x.index), [0, 1], 'completions indices');
  assertEq(c.usage.completion_tokens, 12, 'completions completion_tokens');
});

check('seed determinism and greedy decoding', async () => {
  const body = {model, messages: hello, max_tokens: 24, ignore_eos: true, temperature: 1.0};
  const a = await client.chat.completions.create({...body, seed: 42});
  const b = await client.chat.completions.create({...body, seed: 42});
  const c = await client.chat.completions.create({...body, seed: 43});
  assertEq(b.choices[0].message.content, a.choices[0].message.content, 'same seed, same text');
  assert(
      c.choices[0].message.content !== a.choices[0].message.content,
      `seeds 42 and 43 gave the same 24 tokens: ${clip(a.choices[0].message.content)}`);
  const g1 = await client.chat.completions.create({...body, temperature: 0, seed: 1});
  const g2 = await client.chat.completions.create({...body, temperature: 0, seed: 2});
  assertEq(
      g2.choices[0].message.content, g1.choices[0].message.content,
      'greedy text with different seeds');
  const p1 = await client.completions.create(
      {model, prompt: 'Freedom', max_tokens: 16, temperature: 0.7, seed: 9, ignore_eos: true});
  const p2 = await client.completions.create(
      {model, prompt: 'Freedom', max_tokens: 16, temperature: 0.7, seed: 9, ignore_eos: true});
  assertEq(p2.choices[0].text, p1.choices[0].text, 'completions same seed');
});

// The answer with stop strings is the unstopped answer (same seed) cut before the earliest stop.
check('stop strings: never in the output, answer cut at the first one', async () => {
  for (const seed of [21, 22, 23]) {
    const body = {model, messages: hello, max_tokens: 40, seed, temperature: 1, ignore_eos: true};
    const full = (await client.chat.completions.create(body)).choices[0].message.content;
    assert(full.length >= 12, `seed ${seed}: answer too short to pick stop strings: ${clip(full)}`);
    const stops = [full.slice(8, 10), full.slice(full.length - 3)];
    const cuts = stops.map((s) => full.indexOf(s));
    const expected = full.slice(0, Math.min(...cuts));
    const r = await client.chat.completions.create({...body, stop: stops});
    const text = r.choices[0].message.content;
    for (const s of stops)
      assert(
          !text.includes(s),
          `seed ${seed}: output ${clip(text)} contains stop ${JSON.stringify(s)}`);
    assertEq(
        text, expected,
        `seed ${seed}: text with stop ${JSON.stringify(stops)} (unstopped: ${
            JSON.stringify(full)})`);
    assertEq(r.choices[0].finish_reason, 'stop', `seed ${seed}: finish_reason`);
    const s = await streamChat(client, {...body, stop: stops});
    assertEq(s.text[0], expected, `seed ${seed}: streamed text with stop`);
    assertEq(s.finish[0], 'stop', `seed ${seed}: streamed finish_reason`);
    const one = await client.chat.completions.create({...body, stop: stops[0]});  // a string
    assertEq(
        one.choices[0].message.content, full.slice(0, cuts[0]), `seed ${seed}: stop as one string`);
  }
  const cbody = {model, prompt: 'Congress', max_tokens: 40, seed: 2, ignore_eos: true};
  const cfull = (await client.completions.create(cbody)).choices[0].text;
  const stop = cfull.slice(10, 12);
  const c = await client.completions.create({...cbody, stop});
  assertEq(c.choices[0].text, cfull.slice(0, cfull.indexOf(stop)), 'completions text with stop');
  const cs = await streamCompletion(client, {...cbody, stop});
  assertEq(cs.text[0], cfull.slice(0, cfull.indexOf(stop)), 'streamed completions text with stop');
});

check('logprobs: chat and completions shapes, greedy token is the top one', async () => {
  const r = await client.chat.completions.create({
    model,
    messages: hello,
    max_tokens: 8,
    ignore_eos: true,
    temperature: 0,
    logprobs: true,
    top_logprobs: 3,
  });
  const content = r.choices[0].logprobs?.content;
  assert(Array.isArray(content), `choices[0].logprobs.content: ${clip(r.choices[0].logprobs)}`);
  assertEq(content.length, r.usage.completion_tokens, 'one logprob entry per token');
  assertEq(content.map((e) => e.token).join(''), r.choices[0].message.content, 'tokens joined');
  for (const e of content) {
    assert(
        typeof e.token === 'string' && typeof e.logprob === 'number' && e.logprob <= 1e-6,
        `entry ${clip(e)}`);
    assertEq(e.top_logprobs.length, 3, 'top_logprobs length');
    for (let k = 1; k < 3; ++k)
      assert(
          e.top_logprobs[k - 1].logprob >= e.top_logprobs[k].logprob,
          `top_logprobs not sorted: ${clip(e)}`);
    const mass = e.top_logprobs.reduce((s, t) => s + Math.exp(t.logprob), 0);
    assert(mass <= 1 + 1e-4, `top probabilities sum to ${mass} > 1`);
    assertEq(e.token, e.top_logprobs[0].token, 'greedy token vs most likely');
    assert(
        Math.abs(e.logprob - e.top_logprobs[0].logprob) < 1e-4,
        `greedy logprob ${e.logprob} vs top ${e.top_logprobs[0].logprob}`);
    if (e.bytes) assertEq(Buffer.from(e.bytes).toString('utf8'), e.token, 'bytes vs token');
  }
  const s = await streamChat(client, {
    model,
    messages: hello,
    max_tokens: 8,
    ignore_eos: true,
    temperature: 0,
    logprobs: true,
    top_logprobs: 3
  });
  assertEq(
      s.logprobs[0]?.map((e) => e.token), content.map((e) => e.token), 'streamed logprob tokens');
  const c = await client.completions.create(
      {model, prompt: 'Our nation', max_tokens: 6, ignore_eos: true, temperature: 0, logprobs: 2});
  const lp = c.choices[0].logprobs;
  assert(lp && Array.isArray(lp.tokens), `completions logprobs ${clip(lp)}`);
  assertEq(lp.tokens.length, 6, 'completions logprob tokens');
  assertEq(lp.token_logprobs.length, 6, 'token_logprobs');
  assertEq(lp.tokens.join(''), c.choices[0].text, 'completion tokens joined');
  for (const [i, top] of (lp.top_logprobs ?? []).entries()) {
    const n = Object.keys(top).length;
    assert(n >= 1 && n <= 2, `top_logprobs[${i}] has ${n} entries`);
    assert(Object.values(top).every((v) => v <= 1e-6), `top_logprobs[${i}] ${clip(top)}`);
  }
  assertEq((lp.top_logprobs ?? []).length, 6, 'completions top_logprobs length');
});

// ---------------------------------------------------------------------------------------------
check('embeddings: dims, unit norm, float equals base64, SDK default', async () => {
  const input = ['the union is strong', 'taxes and tariffs', 'the union is strong'];
  const f = await client.embeddings.create({model, input, encoding_format: 'float'});
  assertEq(f.object, 'list', 'object');
  assertEq(f.data.map((d) => d.index), [0, 1, 2], 'indices');
  assert(
      f.usage && f.usage.prompt_tokens > 0 && f.usage.total_tokens === f.usage.prompt_tokens,
      `usage ${clip(f.usage)}`);
  const dim = f.data[0].embedding.length;
  assert(dim > 0, 'empty embedding');
  for (const d of f.data) {
    assertEq(d.object, 'embedding', 'data[].object');
    assertEq(d.embedding.length, dim, 'dims');
    const norm = Math.hypot(...d.embedding);
    assert(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
  }
  assertEq(f.data[2].embedding, f.data[0].embedding, 'same text, same vector');
  assert(
      JSON.stringify(f.data[1].embedding) !== JSON.stringify(f.data[0].embedding),
      'different texts, same vector');
  const b = await client.embeddings.create({model, input, encoding_format: 'base64'});
  for (const [i, d] of b.data.entries()) {
    assert(typeof d.embedding === 'string', `base64 embedding is ${typeof d.embedding}`);
    const bytes = Buffer.from(d.embedding, 'base64');
    assertEq(bytes.length, dim * 4, 'base64 byte length');
    const v = new Float32Array(bytes.buffer, bytes.byteOffset, dim);
    for (let k = 0; k < dim; ++k) {
      assert(
          v[k] === Math.fround(f.data[i].embedding[k]),
          `input ${i} dim ${k}: base64 ${v[k]} vs float ${f.data[i].embedding[k]}`);
    }
  }
  const sdk =
      await client.embeddings.create({model, input: input[1]});  // the SDK asks base64, decodes
  assertEq(sdk.data.length, 1, 'one input');
  assertEq(
      sdk.data[0].embedding.map(Math.fround), f.data[1].embedding.map(Math.fround),
      'SDK default vs float');
  // `dimensions`: either honoured (a unit vector of that length) or refused with 400 naming it.
  try {
    const d = await client.embeddings.create(
        {model, input: input[0], dimensions: Math.max(1, dim >> 1), encoding_format: 'float'});
    assertEq(d.data[0].embedding.length, Math.max(1, dim >> 1), 'dimensions');
    assert(Math.abs(Math.hypot(...d.data[0].embedding) - 1) < 1e-3, 'norm with dimensions');
  } catch (e) {
    if (!(e instanceof OpenAI.BadRequestError)) throw e;
    assertEq(e.param, 'dimensions', `refused dimensions (${clip(e.error)})`);
  }
});


await checks.run(args.only);
