// LangChain JS (`@langchain/openai` ChatOpenAI pointed at a running `llmkit serve`) running small
// chains: ChatPromptTemplate | model | StringOutputParser (invoke, stream, batch; greedy decoding
// so the streamed text equals the invoked one), withStructuredOutput by JSON schema and by
// function calling, and bindTools with a forced tool. Structured values are checked with ajv.
// Usage: node langchain.mjs --url http://127.0.0.1:PORT --model ID [--only SUBSTRING]
import {assert, assertEq, Checks, clip, npmRequire, parseArgs, requireArg} from './common.mjs';

const {ChatOpenAI} = npmRequire('@langchain/openai');
const {ChatPromptTemplate} = npmRequire('@langchain/core/prompts');
const {StringOutputParser} = npmRequire('@langchain/core/output_parsers');
const {AIMessage, HumanMessage, ToolMessage} = npmRequire('@langchain/core/messages');
const {tool} = npmRequire('@langchain/core/tools');
const {z} = npmRequire('zod');
const Ajv = npmRequire('ajv').default ?? npmRequire('ajv');

const usage = 'node langchain.mjs --url URL --model ID [--only S]';
const args = parseArgs();
const url = requireArg(args, 'url', usage);
const model = requireArg(args, 'model', usage);
const ajv = new Ajv({strict: false, allErrors: true});
const checks = new Checks();
const check = (name, fn) => checks.check(name, fn);

// A ChatOpenAI on the server; extra request-body fields (llama.cpp extensions) go in modelKwargs.
function chat(fields = {}) {
  return new ChatOpenAI({
    model,
    apiKey: 'dummy',
    configuration: {baseURL: `${url}/v1`},
    maxRetries: 0,
    timeout: 120000,
    ...fields,
  });
}

const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'You are a {role}.'],
  ['human', 'Tell me about {topic}.'],
]);

check('prompt | model | parser: invoke, stream and batch agree (greedy)', async () => {
  const llm = chat({temperature: 0, maxTokens: 20, modelKwargs: {ignore_eos: true}});
  const chain = prompt.pipe(llm).pipe(new StringOutputParser());
  const input = {role: 'historian', topic: 'the union'};
  const text = await chain.invoke(input);
  assert(typeof text === 'string' && text.length > 0, `invoke gave ${clip(text)}`);
  const parts = [];
  for await (const part of await chain.stream(input)) {
    assert(typeof part === 'string', `stream chunk ${clip(part)}`);
    parts.push(part);
  }
  assert(parts.length >= 2, `stream gave ${parts.length} chunk(s)`);
  assertEq(parts.join(''), text, 'streamed text vs invoked text');
  const [a, b] = await chain.batch([input, {role: 'poet', topic: 'taxes'}]);
  assertEq(a, text, 'batch[0] vs invoke');
  assert(typeof b === 'string' && b.length > 0, `batch[1] ${clip(b)}`);
});

check('model.invoke: AIMessage with usage metadata; stream usage', async () => {
  const llm = chat({temperature: 0.8, maxTokens: 9, modelKwargs: {ignore_eos: true, seed: 3}});
  const msg = await llm.invoke([new HumanMessage('Hello there')]);
  assert(msg instanceof AIMessage, `invoke returned ${msg?.constructor?.name}`);
  assertEq(msg.usage_metadata?.output_tokens, 9, 'usage_metadata.output_tokens');
  assert(msg.usage_metadata.input_tokens > 0, `input_tokens ${msg.usage_metadata.input_tokens}`);
  assertEq(msg.response_metadata?.finish_reason, 'length', 'finish_reason');
  let full;
  for await (const chunk of await llm.stream([new HumanMessage('Hello there')]))
    full = full ? full.concat(chunk) : chunk;
  assertEq(full.content, msg.content, 'streamed content with the same seed');
  assertEq(
      full.usage_metadata?.output_tokens, 9,
      'streamed usage output_tokens (stream_options.include_usage)');
});

const reportSchema = {
  title: 'report',
  description: 'A short report on a speech',
  type: 'object',
  properties: {
    topic: {type: 'string', maxLength: 12},
    year: {type: 'integer', minimum: 1790, maximum: 2030},
    tone: {type: 'string', enum: ['hopeful', 'grim', 'neutral']},
  },
  required: ['topic', 'year', 'tone'],
  additionalProperties: false,
};

check('withStructuredOutput (jsonSchema method, JSON schema)', async () => {
  for (const seed of [1, 2]) {
    const llm = chat({maxTokens: 180, modelKwargs: {seed}});
    const structured =
        llm.withStructuredOutput(reportSchema, {method: 'jsonSchema', name: 'report'});
    const value = await prompt.pipe(structured).invoke({role: 'clerk', topic: 'the budget'});
    assert(
        ajv.validate(reportSchema, value),
        `seed ${seed}: ${clip(value)} invalid: ${ajv.errorsText(ajv.errors)}`);
  }
});

check('withStructuredOutput (functionCalling method, zod schema)', async () => {
  const Report = z.object({
    tone: z.enum(['hopeful', 'grim', 'neutral']),
    urgent: z.boolean(),
    score: z.number().int().min(0).max(10),
  });
  const llm = chat({maxTokens: 180, modelKwargs: {seed: 5}});
  const structured = llm.withStructuredOutput(Report, {method: 'functionCalling', name: 'report'});
  const value = await structured.invoke('Rate the last speech.');
  const parsed = Report.safeParse(value);
  assert(parsed.success, `value ${clip(value)} does not satisfy the zod schema: ${parsed.error}`);
});

check('bindTools with a forced tool, then the tool result back to the model', async () => {
  const add = tool(async ({a, b}) => String(a + b), {
    name: 'add',
    description: 'Add two integers',
    schema: z.object({a: z.number().int().min(0).max(999), b: z.number().int().min(0).max(999)}),
  });
  const llm = chat({maxTokens: 160, modelKwargs: {seed: 7}}).bindTools([add], {tool_choice: 'add'});
  const question = new HumanMessage('What is 2 plus 3?');
  const msg = await llm.invoke([question]);
  assert(msg.tool_calls?.length >= 1, `no tool_calls: ${clip(msg)}`);
  const call = msg.tool_calls[0];
  assertEq(call.name, 'add', 'tool name');
  assert(
      Number.isInteger(call.args.a) && Number.isInteger(call.args.b) && call.args.a >= 0 &&
          call.args.a <= 999 && call.args.b >= 0 && call.args.b <= 999,
      `args ${clip(call.args)}`);
  assert(typeof call.id === 'string' && call.id.length > 0, 'tool call id');
  assertEq(msg.response_metadata?.finish_reason, 'tool_calls', 'finish_reason');
  const result = await add.invoke(call);  // a ToolMessage answering the call
  assert(result instanceof ToolMessage, `tool result ${result?.constructor?.name}`);
  const answer =
      await chat({maxTokens: 8, temperature: 0}).bindTools([add]).invoke([question, msg, result]);
  assert(answer instanceof AIMessage, 'answer after the tool result');
  // Streaming with a forced tool: the chunks concatenate to one complete call.
  let full;
  for await (const chunk of await llm.stream([question])) full = full ? full.concat(chunk) : chunk;
  assert(
      full.tool_calls?.length >= 1 && full.tool_calls[0].name === 'add',
      `streamed tool_calls ${clip(full.tool_calls)}`);
  assert(
      Number.isInteger(full.tool_calls[0].args.a),
      `streamed args ${clip(full.tool_calls[0].args)}`);
});

await checks.run(args.only);
