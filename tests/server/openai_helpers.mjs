// Shared by the `openai` SDK checks (openai_sdk*.mjs): the command line (--url URL --model ID
// [--only SUBSTRING] plus the script's own options), an SDK client on the server (no retries),
// ajv (an independent JSON Schema validator), and helpers that stream a chat or completions
// request into its texts, finish reasons, usage and tool calls, and expect a typed SDK error.
import {assert, assertEq, Checks, clip, npmRequire, parseArgs, requireArg} from './common.mjs';

export const OpenAI = npmRequire('openai').default ?? npmRequire('openai');
const Ajv = npmRequire('ajv').default ?? npmRequire('ajv');
const ajv = new Ajv({strict: false, allErrors: true});

export const args = parseArgs();
export function usageFor(script, extra = '') {
  return `node ${script} --url URL --model ID ${extra}[--only SUBSTRING]`;
}
// setup(script, extra): {url, model, client, checks, check} for a script named `script`.
export function setup(script, extra) {
  const url = requireArg(args, 'url', usageFor(script, extra));
  const model = requireArg(args, 'model', usageFor(script, extra));
  const client =
      new OpenAI({baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 120000});
  const checks = new Checks();
  return {url, model, client, checks, check: (name, fn) => checks.check(name, fn)};
}

export const hello = [{role: 'user', content: 'Say something about the union.'}];

// validate(schema, value, what): throws naming ajv's errors when value is invalid under schema.
export function validate(schema, value, what) {
  const ok = ajv.validate(schema, value);
  assert(
      ok, `${what}: ${clip(value)} is not valid under the schema: ${ajv.errorsText(ajv.errors)}`);
}

export function checkUsage(u, what) {
  assert(
      u && Number.isInteger(u.prompt_tokens) && u.prompt_tokens > 0,
      `${what}: usage.prompt_tokens ${clip(u)}`);
  assert(
      Number.isInteger(u.completion_tokens) && u.completion_tokens >= 0,
      `${what}: usage.completion_tokens ${clip(u)}`);
  assertEq(u.total_tokens, u.prompt_tokens + u.completion_tokens, `${what}: usage.total_tokens`);
}

// Streams a chat request (`client`: an OpenAI client); returns {text per index, finish per index,
// usage, chunks, role, toolCalls}.
export async function streamChat(client, body) {
  const stream = await client.chat.completions.create({...body, stream: true});
  const out =
      {text: [], finish: [], usage: null, chunks: [], roles: [], toolCalls: [], logprobs: []};
  for await (const chunk of stream) {
    out.chunks.push(chunk);
    assertEq(chunk.object, 'chat.completion.chunk', 'chunk.object');
    if (chunk.usage) out.usage = chunk.usage;
    for (const c of chunk.choices) {
      const i = c.index;
      out.text[i] ??= '';
      if (c.delta?.role) out.roles[i] = c.delta.role;
      if (c.delta?.content) out.text[i] += c.delta.content;
      for (const tc of c.delta?.tool_calls ?? []) {
        const calls = (out.toolCalls[i] ??= []);
        const call = (calls[tc.index] ??= {id: '', name: '', arguments: ''});
        if (tc.id) call.id += tc.id;
        if (tc.function?.name) call.name += tc.function.name;
        if (tc.function?.arguments) call.arguments += tc.function.arguments;
      }
      if (c.logprobs?.content) (out.logprobs[i] ??= []).push(...c.logprobs.content);
      if (c.finish_reason) {
        assert(out.finish[i] === undefined, `two finish_reasons for choice ${i}`);
        out.finish[i] = c.finish_reason;
      }
    }
  }
  return out;
}

export async function streamCompletion(client, body) {
  const stream = await client.completions.create({...body, stream: true});
  const out = {text: [], finish: [], usage: null};
  for await (const chunk of stream) {
    assertEq(chunk.object, 'text_completion', 'completion chunk.object');
    if (chunk.usage) out.usage = chunk.usage;
    for (const c of chunk.choices) {
      out.text[c.index] = (out.text[c.index] ?? '') + (c.text ?? '');
      if (c.finish_reason) out.finish[c.index] = c.finish_reason;
    }
  }
  return out;
}

// expectError(promise, Class, status, fields): the SDK throws Class with that status and the
// error object's fields ({code, param, type}) equal to the given ones.
export async function expectError(promise, Class, status, fields = {}) {
  let error = null;
  try {
    const r = await promise;
    throw new Error(`expected HTTP ${status}, got a success: ${clip(r)}`);
  } catch (e) {
    if (!(e instanceof OpenAI.APIError)) throw e;
    error = e;
  }
  assert(
      error instanceof Class,
      `expected ${Class.name}, got ${error.constructor.name} ${error.status}: ${
          clip(error.error)}`);
  assertEq(error.status, status, 'status');
  assert(
      typeof error.error?.message === 'string' && error.error.message.length > 0,
      `no error.message: ${clip(error.error)}`);
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof RegExp)
      assert(
          v.test(String(error[k])),
          `error.${k} = ${error[k]} does not match ${v} (${clip(error.error)})`);
    else
      assertEq(error[k], v, `error.${k} (${clip(error.error)})`);
  }
  return error;
}
