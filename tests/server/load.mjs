// Load test of a running `llmkit serve` (loopback only, bounded in time): N concurrent streaming
// clients for S seconds, each looping chat requests with ignore_eos + max_tokens and
// stream_options.include_usage. An error is a non-200 answer, a network error, an unparsable
// event, a stream without a finish_reason, or usage.completion_tokens != max_tokens; a dropped
// stream is one that ends without `data: [DONE]`. Clients start no request after S seconds and
// finish the ones in flight.
// Prints one JSON object on stdout:
//   {clients, seconds, max_tokens, requests, errors, dropped, error_samples, tokens, wall_s,
//    tokens_per_s (all completion tokens / wall time), ttft_ms {p50, p99} (request sent -> first
//    content), itl_ms {p50, p99} (gaps between content events of a stream),
//    decode_tokens_per_s_per_stream {p50} (tokens after the first / time after the first)}
// and exits 1 on any error or dropped stream.
// --scaling A,B (e.g. 1,8): instead, runs the load with A clients, then with B clients (S seconds
// each) and prints {runs: [...], ratio: tokens_per_s(B) / tokens_per_s(A)}; --min-ratio R makes
// a ratio below R an error (continuous batching: 8 streams should give >= 3x one stream).
// Usage: node load.mjs --url URL --model ID [--clients 32] [--seconds 10] [--max-tokens 64]
//          [--prompt TEXT] [--scaling 1,8 [--min-ratio 3]]
import {parseArgs, requireArg, sseData} from './common.mjs';

const usage = 'node load.mjs --url URL --model ID [--clients N] [--seconds S] [--max-tokens M] ' +
    '[--prompt T] [--scaling A,B [--min-ratio R]]';
const args = parseArgs();
const url = requireArg(args, 'url', usage);
const model = requireArg(args, 'model', usage);
const clients = Number(args.clients ?? 32);
const seconds = Number(args.seconds ?? 10);
const maxTokens = Number(args['max-tokens'] ?? 64);
const prompt = args.prompt ?? 'Write about the state of the union.';
for (const [k, v] of [['clients', clients], ['seconds', seconds], ['max-tokens', maxTokens]]) {
  if (!(v > 0)) {
    console.error(`--${k} must be a positive number\nusage: ${usage}`);
    process.exit(2);
  }
}

// Nearest-rank percentile of a list of numbers (null when empty).
function percentile(values, q) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

// One streaming request; returns {ok, done, tokens, ttft, gaps, decodeRate, error}.
async function oneRequest(seed) {
  const t0 = performance.now();
  const out =
      {ok: false, done: false, tokens: 0, ttft: null, gaps: [], decodeRate: null, error: null};
  let res;
  try {
    res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${args['api-key'] ?? 'none'}`
      },
      body: JSON.stringify({
        model,
        messages: [{role: 'user', content: prompt}],
        max_tokens: maxTokens,
        ignore_eos: true,
        stream: true,
        stream_options: {include_usage: true},
        temperature: 1,
        seed,
      }),
      signal: AbortSignal.timeout(300000),
    });
  } catch (e) {
    out.error = `request failed: ${e.cause?.code ?? e.name}: ${e.message}`;
    return out;
  }
  if (res.status !== 200) {
    out.error = `status ${res.status}: ${(await res.text().catch(() => '')).slice(0, 300)}`;
    return out;
  }
  let last = null;
  let first = null;
  let finish = null;
  let usage = null;
  try {
    for await (const data of sseData(res)) {
      if (data === '[DONE]') {
        out.done = true;
        continue;
      }
      const event = JSON.parse(data);
      if (event.error) throw new Error(`error event: ${data.slice(0, 300)}`);
      if (event.usage) usage = event.usage;
      for (const c of event.choices ?? []) {
        if (c.finish_reason) finish = c.finish_reason;
        if (c.delta?.content) {
          const now = performance.now();
          if (first === null) {
            first = now;
            out.ttft = now - t0;
          } else
            out.gaps.push(now - last);
          last = now;
        }
      }
    }
  } catch (e) {
    out.error = `stream broke: ${e.message}`;
    return out;
  }
  if (!out.done) return out;  // dropped
  if (!finish)
    out.error = 'no finish_reason in the stream';
  else if (usage?.completion_tokens !== maxTokens)
    out.error = `usage ${JSON.stringify(usage)}, expected completion_tokens ${maxTokens}`;
  else {
    out.ok = true;
    out.tokens = usage.completion_tokens;
    if (last > first) out.decodeRate = (out.tokens - 1) / ((last - first) / 1000);
  }
  return out;
}

async function runLoad(nClients, nSeconds) {
  const t0 = performance.now();
  const deadline = t0 + nSeconds * 1000;
  const stats =
      {requests: 0, errors: 0, dropped: 0, tokens: 0, ttft: [], gaps: [], rates: [], samples: []};
  let seed = 1;
  async function client() {
    while (performance.now() < deadline) {
      const r = await oneRequest(seed++);
      ++stats.requests;
      if (r.error) {
        ++stats.errors;
        if (stats.samples.length < 10) stats.samples.push(r.error);
      } else if (!r.done) {
        ++stats.dropped;
        if (stats.samples.length < 10) stats.samples.push('stream ended without data: [DONE]');
      } else {
        stats.tokens += r.tokens;
        if (r.ttft !== null) stats.ttft.push(r.ttft);
        for (const g of r.gaps) stats.gaps.push(g);
        if (r.decodeRate !== null) stats.rates.push(r.decodeRate);
      }
    }
  }
  await Promise.all(Array.from({length: nClients}, client));
  const wall = (performance.now() - t0) / 1000;
  const round = (x, d = 2) => (x === null ? null : Number(x.toFixed(d)));
  return {
    clients: nClients,
    seconds: nSeconds,
    max_tokens: maxTokens,
    requests: stats.requests,
    errors: stats.errors,
    dropped: stats.dropped,
    error_samples: stats.samples,
    tokens: stats.tokens,
    wall_s: round(wall, 3),
    tokens_per_s: round(stats.tokens / wall, 1),
    ttft_ms: {p50: round(percentile(stats.ttft, 0.5)), p99: round(percentile(stats.ttft, 0.99))},
    itl_ms: {p50: round(percentile(stats.gaps, 0.5)), p99: round(percentile(stats.gaps, 0.99))},
    decode_tokens_per_s_per_stream: {p50: round(percentile(stats.rates, 0.5), 1)},
  };
}

let failed = false;
if (args.scaling) {
  const counts = String(args.scaling).split(',').map(Number);
  if (counts.length !== 2 || !counts.every((c) => c > 0)) {
    console.error(`--scaling wants two client counts, e.g. 1,8\nusage: ${usage}`);
    process.exit(2);
  }
  const runs = [];
  for (const c of counts) runs.push(await runLoad(c, seconds));
  const ratio = runs[0].tokens_per_s > 0 ?
      Number((runs[1].tokens_per_s / runs[0].tokens_per_s).toFixed(2)) :
      null;
  const minRatio = args['min-ratio'] !== undefined ? Number(args['min-ratio']) : null;
  failed = runs.some((r) => r.errors > 0 || r.dropped > 0 || r.requests === 0) ||
      (minRatio !== null && !(ratio >= minRatio));
  console.log(JSON.stringify({runs, ratio, min_ratio: minRatio}, null, 2));
} else {
  const r = await runLoad(clients, seconds);
  failed = r.errors > 0 || r.dropped > 0 || r.requests === 0;
  console.log(JSON.stringify(r, null, 2));
}
process.exitCode = failed ? 1 : 0;
