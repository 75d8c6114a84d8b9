// Shared by the Node clients of `llmkit serve` (tests/server/*.mjs): the npm packages installed
// by scripts/install_test_oracles.sh into data/npm/, command-line options, and a tiny check
// runner that runs named async checks one after another, prints "ok NAME" / "FAIL NAME: why"
// and a closing "N passed, N failed" line, and sets a non-zero exit code on any failure.
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// require() resolving from data/npm/node_modules (every package is loaded as CommonJS, so that
// @langchain/openai and @langchain/core share one copy of each class).
export const npmRequire = createRequire(path.join(here, '..', '..', 'data', 'npm', 'package.json'));

// --name value pairs of process.argv as an object ({name: "value"}); bare flags are true.
export function parseArgs(argv = process.argv.slice(2)) {
  const args = {};
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (!a.startsWith('--'))
      throw new Error(`unexpected argument '${a}' (options are --name value)`);
    const name = a.slice(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--'))
      args[name] = argv[++i];
    else
      args[name] = true;
  }
  return args;
}

// requireArg(args, name): the option's value, or exit 2 naming the missing option.
export function requireArg(args, name, usage) {
  if (args[name] === undefined || args[name] === true) {
    console.error(`missing --${name}\nusage: ${usage}`);
    process.exit(2);
  }
  return args[name];
}

export class AssertionError extends Error {}

// assert(cond, message): throws AssertionError(message) when cond is falsy.
export function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

export function assertEq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${what}: got ${a}, expected ${e}`);
}

// Truncates long texts in messages (server answers quoted in failures).
export function clip(text, n = 600) {
  const s = typeof text === 'string' ? text : JSON.stringify(text);
  return s.length <= n ? s : `${s.slice(0, n)}... (${s.length} chars)`;
}

// Runs checks registered with check(name, fn) in order; `only` (a substring) filters them.
export class Checks {
  constructor() { this.list = []; }
  check(name, fn) { this.list.push({name, fn}); }
  async run(only) {
    let passed = 0;
    let failed = 0;
    for (const {name, fn} of this.list) {
      if (only && !name.includes(only)) continue;
      const t0 = Date.now();
      try {
        await fn();
        ++passed;
        console.log(`ok ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        ++failed;
        const why =
            e instanceof AssertionError ? e.message : `${e?.constructor?.name}: ${e?.stack ?? e}`;
        const body = e?.error !== undefined ? ` [server error body: ${clip(e.error)}]` : '';
        console.log(`FAIL ${name}: ${clip(why, 2000)}${body}`);
      }
    }
    console.log(`${passed} passed, ${failed} failed`);
    if (failed > 0) process.exitCode = 1;
    return failed;
  }
}

// Yields the payload of each `data:` line of a server-sent-event stream (a fetch Response body)
// as it arrives, "[DONE]" included. At the end, state.rest holds the bytes after the last event.
export async function* sseData(response, state = {}) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, {stream: true});
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of block.split('\n')) {
        if (line.startsWith('data:')) yield line.slice(5).trim();
      }
    }
  }
  state.rest = buffer;
}

// Reads a server-sent-event stream (a fetch Response) and returns {events, done, rest}: the
// parsed JSON of each `data:` line before `data: [DONE]`, whether [DONE] came, and the bytes
// after the last event.
export async function readSse(response) {
  const events = [];
  let done = false;
  const state = {};
  for await (const data of sseData(response, state)) {
    if (data === '[DONE]')
      done = true;
    else
      events.push(JSON.parse(data));
  }
  return {events, done, rest: state.rest};
}
