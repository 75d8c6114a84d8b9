// The chat page served by `llmkit serve`, driven in headless Chromium (Debian's chromium) through
// playwright-core, as a person would use it:
//   - the page loads with no script error, shows the served model id (GET /health) and hides the
//     RAG toggle unless the server has --rag-db (--rag: shown; an answer then lists its sources);
//   - a typed message streams in: the answer's text grows over several observations while Send
//     is disabled; Stop ends it: the text stops growing, the answer is marked stopped, Send works,
//     and the server's slot is free again (GET /metrics: the aborted fetch cancelled the request);
//   - the answer is Markdown rendered by marked (paragraph elements, not raw text);
//   - a reload keeps the conversation (the user message and the partial answer, same text) and
//     the settings;
//   - a server error (max_tokens beyond the context: HTTP 400 context_length_exceeded) is shown
//     in the chat; conversations switch and delete;
//   - every request the page makes goes to the server's origin (nothing from the internet).
// Usage: node web_page.mjs --url http://127.0.0.1:PORT [--chromium /usr/bin/chromium] [--rag]
//                          [--max-tokens N (default 12000: the server's context must hold it and
//                          the prompt)]
// Prints "ok NAME" / "FAIL NAME: why" per check and "N passed, N failed"; exit code 1 on failure.
import {assert, assertEq, Checks, clip, npmRequire, parseArgs, requireArg} from './common.mjs';

const usage =
    'node web_page.mjs --url http://127.0.0.1:PORT [--chromium PATH] [--rag] [--max-tokens N]';
const args = parseArgs();
const url = requireArg(args, 'url', usage).replace(/\/$/, '');
const chromiumPath = typeof args.chromium === 'string' ? args.chromium : '/usr/bin/chromium';
const withRag = args.rag === true;
// max_tokens for the streamed answer: long enough that it is still streaming when Stop is pressed.
const maxTokens = Number(args['max-tokens'] ?? 12000);

let chromium;
try {
  ({chromium} = npmRequire('playwright-core'));
} catch (e) {
  console.error(`web_page: playwright-core is not installed in data/npm/; run scripts/setup.sh (${
      e.message})`);
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const health = await (await fetch(`${url}/health`)).json();
const prompt = 'Tell me about the state of the union.';

const browser = await chromium.launch({executablePath: chromiumPath, headless: true});
const page = await (await browser.newContext()).newPage();
page.setDefaultTimeout(20000);
const pageErrors = [];
const foreignRequests = [];
page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
const expectedStatus = new Map();  // URL -> the error status a check provokes on purpose
page.on('console', (m) => {
  // Failed loads are logged without their URL: the response handler reports them instead.
  if (m.type() === 'error' && !/^Failed to load resource/.test(m.text()))
    pageErrors.push(`console: ${m.text()}`);
});
page.on('response', (r) => {
  if (r.status() >= 400 && expectedStatus.get(r.url()) !== r.status()) {
    pageErrors.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
  }
});
page.on('request', (r) => {
  if (!r.url().startsWith(`${url}/`)) foreignRequests.push(r.url());
});

const assistant = () => page.locator('[data-testid=message][data-role=assistant]').last();
const assistantText = () => assistant().locator('[data-testid=message-content]').innerText();
const conversations = () => page.locator('[data-testid=conversation]');

async function setSettings({maxTokens, ignoreEos}) {
  if (!(await page.locator('#settings').evaluate((d) => d.open)))
    await page.click('#settings summary');
  await page.fill('#temperature', '1');
  await page.fill('#max-tokens', String(maxTokens));
  await page.locator('#max-tokens').dispatchEvent('change');
  await page.setChecked('#ignore-eos', ignoreEos);
}

async function sendMessage(text) {
  await page.fill('#prompt', text);
  await page.press('#prompt', 'Enter');
}

let partial = '';  // the stopped answer's text

const checks = new Checks();

checks.check('page loads with the model id and the RAG toggle only with --rag-db', async () => {
  await page.goto(`${url}/`);
  await page.locator('#model').filter({hasText: health.model}).waitFor();
  assertEq(health.rag, withRag, '/health rag');
  assertEq(await page.locator('#rag-label').isVisible(), withRag, 'RAG toggle visible');
  assertEq(await conversations().count(), 0, 'conversations on a fresh page');
  assert(await page.locator('#send').isEnabled(), 'Send is enabled');
  assert(await page.locator('#stop').isDisabled(), 'Stop is disabled');
});

checks.check('tokens stream in, Stop ends the stream and keeps the partial answer', async () => {
  await setSettings({maxTokens, ignoreEos: true});
  if (withRag) await page.setChecked('#rag', true);
  await sendMessage(prompt);
  await page.locator('[data-testid=message][data-role=user]')
      .last()
      .filter({hasText: prompt})
      .waitFor();
  const answerContent =
      assistant().locator('[data-testid=message-content]').filter({hasText: /\S/});
  await answerContent.or(assistant().locator('[data-testid=message-error]')).waitFor();
  const error = await assistant().locator('[data-testid=message-error]').allInnerTexts();
  assert(error.length === 0, `the server answered with an error: ${error.join(' ')}`);
  // Several observations of the growing answer, while the request is still streaming.
  const lengths = [];
  for (let i = 0; i < 100 && lengths.length < 4; ++i) {
    const n = (await assistantText()).length;
    if (n > (lengths.at(-1) ?? 0)) lengths.push(n);
    await sleep(100);
  }
  assert(
      lengths.length >= 4, `the answer did not grow over several observations: lengths ${lengths}`);
  assertEq(await assistant().getAttribute('data-status'), 'streaming', 'status while streaming');
  assert(await page.locator('#send').isDisabled(), 'Send is disabled while streaming');

  await page.click('#stop');
  await page.locator('[data-testid=message][data-role=assistant][data-status=stopped]').waitFor();
  partial = await assistantText();
  await sleep(1000);
  assertEq((await assistantText()).length, partial.length, 'answer length 1 s after Stop');
  assert(
      partial.length >= lengths.at(-1),
      `partial answer (${partial.length}) shorter than seen before`);
  assertEq(await assistant().getAttribute('data-status'), 'stopped', 'status after Stop');
  assert(await page.locator('#send').isEnabled(), 'Send is enabled after Stop');
  assert(await page.locator('#stop').isDisabled(), 'Stop is disabled after Stop');
  // The aborted request ended the generation on the server: no slot stays busy.
  let busy = '';
  for (let i = 0; i < 50; ++i) {
    busy = (await (await fetch(`${url}/metrics`)).text()).match(/^llmkit_slots_busy (\S+)$/m)?.[1];
    if (busy === '0') break;
    await sleep(100);
  }
  assertEq(busy, '0', 'llmkit_slots_busy 5 s after Stop');
  // marked rendered the answer: its text sits in paragraph elements.
  assert(
      (await assistant().locator('[data-testid=message-content] p').count()) >= 1,
      'no <p> in the answer');
  if (withRag) {
    const sources = assistant().locator('[data-testid=sources] li');
    assert((await sources.count()) >= 1, 'no sources shown under the RAG answer');
  }
});

checks.check('a reload keeps the conversation and the settings', async () => {
  assert(partial.length > 0, 'no partial answer from the previous check');
  await page.reload();
  await page.locator('[data-testid=message]').first().waitFor();
  assertEq(await conversations().count(), 1, 'conversations after reload');
  assert(
      (await conversations().first().innerText()).includes(prompt.slice(0, 20)),
      'conversation title');
  const messages = page.locator('[data-testid=message]');
  assertEq(await messages.count(), 2, 'messages after reload');
  assertEq(await messages.nth(0).getAttribute('data-role'), 'user', 'first message role');
  assertEq(
      await messages.nth(0).locator('[data-testid=message-content]').innerText(), prompt,
      'user message');
  assertEq(await assistant().getAttribute('data-status'), 'stopped', 'answer status after reload');
  const kept = await assistantText();
  assert(
      kept === partial, `answer after reload differs: ${clip(kept, 200)} vs ${clip(partial, 200)}`);
  assertEq(
      await page.inputValue('#max-tokens'), String(maxTokens), 'max_tokens setting after reload');
  assert(await page.isChecked('#ignore-eos'), 'ignore EOS setting after reload');
});

checks.check('a server error is shown in the chat; conversations switch and delete', async () => {
  await page.click('#new-chat');
  assertEq(await page.locator('[data-testid=message]').count(), 0, 'messages in a new chat');
  await setSettings({maxTokens: 1000000, ignoreEos: false});
  expectedStatus.set(`${url}/v1/chat/completions`, 400);
  await sendMessage('hello');
  const error = page.locator('[data-testid=message-error]');
  await error.waitFor();
  const text = await error.innerText();
  assert(
      /HTTP 400/.test(text) && /context_length_exceeded/.test(text), `error shown: ${clip(text)}`);
  assert(await page.locator('#send').isEnabled(), 'Send is enabled after an error');
  expectedStatus.clear();
  assertEq(await conversations().count(), 2, 'conversations');
  // The newest conversation is first; switch to the older one and back, then delete the newer.
  await conversations().nth(1).locator('button.open').click();
  assertEq(await assistantText(), partial, 'first conversation after switching back');
  await conversations().nth(0).locator('[data-testid=delete-conversation]').click();
  assertEq(await conversations().count(), 1, 'conversations after delete');
  await page.reload();
  await page.locator('[data-testid=message]').first().waitFor();
  assertEq(await conversations().count(), 1, 'conversations after delete and reload');
  assertEq(await assistantText(), partial, 'the kept conversation after delete and reload');
});

checks.check('no script error, no failed load, no request outside the server', async () => {
  assert(pageErrors.length === 0, pageErrors.join('\n'));
  assert(foreignRequests.length === 0, `requests elsewhere: ${foreignRequests.join(' ')}`);
});

try {
  await checks.run(typeof args.only === 'string' ? args.only : undefined);
} finally {
  await browser.close();
}
