// The official `openai` npm SDK against a running `llmkit serve`: tool calls (tool_choice
// "required", a named function, streamed, the conversation continued with the tool's result,
// "none") and structured output (response_format json_schema / json_object, the SDK's zod
// helper). Arguments and values are validated with ajv against the request's schema.
// Usage: node openai_sdk_structured.mjs --url http://127.0.0.1:PORT --model ID [--only SUBSTRING]
import {assert, assertEq, clip, npmRequire} from './common.mjs';
import {args, setup, streamChat, validate} from './openai_helpers.mjs';

const {model, client, checks, check} = setup('openai_sdk_structured.mjs');

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: {
        type: 'object',
        properties: {
          city: {type: 'string', maxLength: 12},
          unit: {type: 'string', enum: ['celsius', 'fahrenheit']},
        },
        required: ['city', 'unit'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'add',
      description: 'Add two integers',
      parameters: {
        type: 'object',
        properties: {
          a: {type: 'integer', minimum: 0, maximum: 999},
          b: {type: 'integer', minimum: 0, maximum: 999}
        },
        required: ['a', 'b'],
        additionalProperties: false,
      },
    },
  },
];
const toolByName = Object.fromEntries(tools.map((t) => [t.function.name, t.function]));

function checkCall(call, what, wantName) {
  assert(typeof call.id === 'string' && call.id.length > 0, `${what}: tool call id ${clip(call)}`);
  const fn = call.function ?? call;
  assert(fn.name in toolByName, `${what}: unknown function ${fn.name}`);
  if (wantName) assertEq(fn.name, wantName, `${what}: forced function`);
  assert(
      typeof fn.arguments === 'string',
      `${what}: arguments must be a JSON string, got ${typeof fn.arguments}`);
  let parsed;
  try {
    parsed = JSON.parse(fn.arguments);
  } catch (e) {
    throw new Error(`${what}: arguments are not JSON: ${clip(fn.arguments)}`);
  }
  validate(toolByName[fn.name].parameters, parsed, `${what}: arguments of ${fn.name}`);
}

check('tool calls: required and a named function', async () => {
  // parallel_tool_calls false: exactly one call. A random model given the choice writes calls
  // until max_tokens, so the parallel case below accepts "length" for some seeds.
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({
      model,
      seed,
      max_tokens: 200,
      tools,
      tool_choice: 'required',
      parallel_tool_calls: false,
      messages: [{role: 'user', content: 'What is the weather in Paris?'}],
    });
    const c = r.choices[0];
    assertEq(c.finish_reason, 'tool_calls', `seed ${seed}: finish_reason (${clip(c.message)})`);
    assertEq(c.message.tool_calls?.length, 1, `seed ${seed}: tool_calls (${clip(c.message)})`);
    assertEq(c.message.tool_calls[0].type, 'function', 'type');
    checkCall(c.message.tool_calls[0], `seed ${seed}`);
  }
  let finished = 0;
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const r = await client.chat.completions.create({
      model,
      seed,
      max_tokens: 400,
      tools,
      tool_choice: 'required',
      messages: [{role: 'user', content: 'What is the weather in Paris and in Rome?'}],
    });
    const c = r.choices[0];
    if (c.finish_reason === 'length') continue;
    ++finished;
    assertEq(c.finish_reason, 'tool_calls', `parallel seed ${seed}: finish_reason`);
    assert(
        Array.isArray(c.message.tool_calls) && c.message.tool_calls.length >= 1,
        `parallel seed ${seed}: tool_calls ${clip(c.message)}`);
    for (const call of c.message.tool_calls) {
      assertEq(call.type, 'function', 'type');
      checkCall(call, `parallel seed ${seed}`);
    }
    assertEq(
        new Set(c.message.tool_calls.map((t) => t.id)).size, c.message.tool_calls.length,
        'distinct call ids');
  }
  assert(finished >= 1, 'no parallel tool-call answer finished within 400 tokens in 6 seeds');
  for (const seed of [4, 5]) {
    const r = await client.chat.completions.create({
      model,
      seed,
      max_tokens: 160,
      tools,
      tool_choice: {type: 'function', function: {name: 'add'}},
      messages: [{role: 'user', content: 'Add 2 and 3.'}],
    });
    assertEq(r.choices[0].finish_reason, 'tool_calls', 'named: finish_reason');
    checkCall(r.choices[0].message.tool_calls[0], `named seed ${seed}`, 'add');
  }
});

check('tool calls: streamed', async () => {
  const s = await streamChat(client, {
    model,
    seed: 6,
    max_tokens: 160,
    tools,
    tool_choice: {type: 'function', function: {name: 'get_weather'}},
    messages: [{role: 'user', content: 'Weather in Rome?'}],
  });
  assertEq(s.finish[0], 'tool_calls', 'finish_reason');
  const calls = s.toolCalls[0] ?? [];
  assert(calls.length >= 1, `no delta.tool_calls in ${s.chunks.length} chunks: ${clip(s.chunks)}`);
  for (const call of calls) checkCall(call, 'streamed', 'get_weather');
});

check('tool calls: the conversation goes on with the tool result; tool_choice none', async () => {
  const first = await client.chat.completions.create({
    model,
    seed: 8,
    max_tokens: 200,
    tools,
    tool_choice: 'required',
    parallel_tool_calls: false,
    messages: [{role: 'user', content: 'Add 1 and 2.'}],
  });
  const msg = first.choices[0].message;
  const call = msg.tool_calls[0];
  const r = await client.chat.completions.create({
    model,
    seed: 8,
    max_tokens: 8,
    tools,
    messages: [
      {role: 'user', content: 'Add 1 and 2.'},
      {role: 'assistant', content: null, tool_calls: msg.tool_calls},
      {role: 'tool', tool_call_id: call.id, content: '3'},
    ],
    tool_choice: 'none',
  });
  assert(
      ['stop', 'length'].includes(r.choices[0].finish_reason),
      `finish_reason ${r.choices[0].finish_reason}`);
  assert(
      !r.choices[0].message.tool_calls?.length,
      `tool_calls with tool_choice none: ${clip(r.choices[0].message)}`);
});

// ---------------------------------------------------------------------------------------------
const cardSchema = {
  type: 'object',
  properties: {
    topic: {type: 'string', maxLength: 10},
    year: {type: 'integer', minimum: 1790, maximum: 2030},
    tone: {type: 'string', enum: ['hopeful', 'grim', 'neutral']},
    ok: {type: 'boolean'},
  },
  required: ['topic', 'year', 'tone', 'ok'],
  additionalProperties: false,
};

check('response_format json_schema: valid JSON under the schema (whole and streamed)', async () => {
  const response_format = {
    type: 'json_schema',
    json_schema: {name: 'card', schema: cardSchema, strict: true}
  };
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({
      model,
      seed,
      max_tokens: 180,
      response_format,
      messages: [{role: 'user', content: 'Describe a speech.'}],
    });
    const c = r.choices[0];
    assertEq(
        c.finish_reason, 'stop', `seed ${seed}: finish_reason (text ${clip(c.message.content)})`);
    let value;
    try {
      value = JSON.parse(c.message.content);
    } catch {
      throw new Error(`seed ${seed}: not JSON: ${clip(c.message.content)}`);
    }
    validate(cardSchema, value, `seed ${seed}`);
  }
  const s = await streamChat(client, {
    model,
    seed: 4,
    max_tokens: 180,
    response_format,
    messages: [{role: 'user', content: 'Describe a speech.'}],
  });
  assertEq(s.finish[0], 'stop', 'streamed finish_reason');
  validate(cardSchema, JSON.parse(s.text[0]), 'streamed');
});

check('response_format json_object: an object', async () => {
  let stopped = 0;
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({
      model,
      seed,
      max_tokens: 180,
      response_format: {type: 'json_object'},
      messages: [{role: 'user', content: 'Answer in JSON.'}],
    });
    const c = r.choices[0];
    if (c.finish_reason !== 'stop')
      continue;  // a random model may run out of tokens inside the object
    ++stopped;
    const v = JSON.parse(c.message.content);
    assert(
        v !== null && typeof v === 'object' && !Array.isArray(v),
        `seed ${seed}: not an object: ${clip(c.message.content)}`);
  }
  assert(stopped >= 1, 'no json_object answer finished within 180 tokens in 3 seeds');
});

check('SDK helper chat.completions.parse with a zod schema', async () => {
  const {z} = npmRequire('zod');
  const {zodResponseFormat} = npmRequire('openai/helpers/zod');
  const Card =
      z.object({tone: z.enum(['hopeful', 'grim']), year: z.number().int(), urgent: z.boolean()});
  const r = await client.chat.completions.parse({
    model,
    seed: 5,
    max_tokens: 180,
    messages: [{role: 'user', content: 'Rate the speech.'}],
    response_format: zodResponseFormat(Card, 'card'),
  });
  const parsed = r.choices[0].message.parsed;
  assert(
      parsed && ['hopeful', 'grim'].includes(parsed.tone) && Number.isInteger(parsed.year) &&
          typeof parsed.urgent === 'boolean',
      `parsed ${clip(parsed)}`);
});


await checks.run(args.only);
