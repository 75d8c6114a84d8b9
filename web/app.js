// llmkit's chat page: streams answers from POST /v1/chat/completions (server-sent events read
// from fetch's body), renders them as Markdown (marked, sanitized by DOMPurify) and keeps the
// conversations in localStorage. The API key lives in sessionStorage only (gone with the tab).
//
// Stored shape (localStorage["llmkit.chat.v1"]):
//   {current: id, conversations: [{id, title, updated, messages: [Message]}]}, newest first;
//   Message = {role: "user" | "assistant", content, status?, finish?, error?, sources?}
//   status: "streaming" | "done" | "stopped" (Stop pressed) | "error"; finish: the finish_reason.
import {marked} from '/vendor/marked.js';
import DOMPurify from '/vendor/purify.js';

const STORE_KEY = 'llmkit.chat.v1';
const SETTINGS_KEY = 'llmkit.settings.v1';
const API_KEY_KEY = 'llmkit.apiKey';
const SAVE_INTERVAL_MS = 300;  // while streaming, the conversation is saved at most this often

const $ = (id) => document.getElementById(id);
const settingIds =
    ['system-prompt', 'temperature', 'top-p', 'max-tokens', 'seed', 'ignore-eos', 'rag'];

const state = {
  conversations: [],  // newest first
  current: null,      // id of the shown conversation
  stream: null,       // {controller, conversation, message} while an answer streams
  ragAvailable: false,
};

// ---- storage ----------------------------------------------------------------------------------

function loadStore() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
    if (stored && Array.isArray(stored.conversations)) {
      state.conversations = stored.conversations;
      state.current = stored.current;
    }
  } catch {
    // A corrupt store starts afresh rather than breaking the page.
  }
  // An answer that was streaming when the page went away ends there.
  for (const c of state.conversations) {
    for (const m of c.messages) {
      if (m.status === 'streaming') m.status = 'stopped';
    }
  }
}

let saveTimer = null;
function saveStore() {
  clearTimeout(saveTimer);
  saveTimer = null;
  const data = {current: state.current, conversations: state.conversations};
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(data));
  } catch (e) {
    console.warn('llmkit: could not save the conversations:', e);
  }
}
function saveSoon() {
  if (!saveTimer) saveTimer = setTimeout(saveStore, SAVE_INTERVAL_MS);
}

function loadSettings() {
  const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}');
  for (const id of settingIds) {
    if (!(id in saved)) continue;
    const el = $(id);
    if (el.type === 'checkbox')
      el.checked = saved[id];
    else
      el.value = saved[id];
  }
  $('api-key').value = sessionStorage.getItem(API_KEY_KEY) || '';
}

function saveSettings() {
  const saved = {};
  for (const id of settingIds) {
    const el = $(id);
    saved[id] = el.type === 'checkbox' ? el.checked : el.value;
  }
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(saved));
  sessionStorage.setItem(API_KEY_KEY, $('api-key').value);
}

// ---- conversations ----------------------------------------------------------------------------

const currentConversation = () => state.conversations.find((c) => c.id === state.current) || null;

function newConversation() {
  const c = {id: crypto.randomUUID(), title: 'New chat', updated: Date.now(), messages: []};
  state.conversations.unshift(c);
  state.current = c.id;
  return c;
}

function switchTo(id) {
  stopStream();
  state.current = id;
  saveStore();
  render();
}

function deleteConversation(id) {
  if (state.stream?.conversation.id === id) stopStream();
  state.conversations = state.conversations.filter((c) => c.id !== id);
  if (state.current === id) state.current = state.conversations[0]?.id ?? null;
  saveStore();
  render();
}

// ---- rendering --------------------------------------------------------------------------------

const markdown = (text) => DOMPurify.sanitize(marked.parse(text, {gfm: true, breaks: true}));

function renderSidebar() {
  const list = $('conversations');
  list.replaceChildren();
  for (const c of state.conversations) {
    const li = document.createElement('li');
    li.dataset.testid = 'conversation';
    li.dataset.id = c.id;
    li.classList.toggle('active', c.id === state.current);
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'open';
    open.textContent = c.title;
    open.title = c.title;
    open.addEventListener('click', () => switchTo(c.id));
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'delete';
    del.dataset.testid = 'delete-conversation';
    del.textContent = '×';
    del.title = 'Delete this conversation';
    del.addEventListener('click', () => deleteConversation(c.id));
    li.append(open, del);
    list.append(li);
  }
}

// Fills `el` (a .message) from `m`; called again as an answer streams in.
function fillMessage(el, m) {
  el.dataset.status = m.status || 'done';
  const content = el.querySelector('.content');
  if (m.role === 'user')
    content.textContent = m.content;
  else
    content.innerHTML = markdown(m.content);

  el.querySelector('.sources')?.remove();
  if (m.sources?.length) el.append(sourcesElement(m.sources));

  el.querySelector('.note')?.remove();
  const note = m.error       ? m.error :
      m.status === 'stopped' ? 'stopped' :
      m.finish === 'length'  ? 'max_tokens reached' :
                               '';
  if (note) {
    const div = document.createElement('div');
    div.className = m.error ? 'note error' : 'note';
    div.dataset.testid = m.error ? 'message-error' : 'message-note';
    div.textContent = note;
    el.append(div);
  }
}

function sourcesElement(sources) {
  const box = document.createElement('details');
  box.className = 'sources';
  box.dataset.testid = 'sources';
  const summary = document.createElement('summary');
  summary.textContent = `Sources (${sources.length})`;
  const list = document.createElement('ol');
  for (const s of sources) {
    const li = document.createElement('li');
    const title = document.createElement('strong');
    title.textContent = s.title || s.source || s.id || 'source';
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = [
      s.source, typeof s.score === 'number' ? `score ${s.score.toFixed(3)}` : ''
    ].filter(Boolean).join(' · ');
    const text = document.createElement('blockquote');
    text.textContent = s.text || '';
    li.append(title, ' ', meta, text);
    list.append(li);
  }
  box.append(summary, list);
  return box;
}

function messageElement(m) {
  const el = document.createElement('article');
  el.className = `message ${m.role}`;
  el.dataset.testid = 'message';
  el.dataset.role = m.role;
  const content = document.createElement('div');
  content.className = 'content';
  content.dataset.testid = 'message-content';
  el.append(content);
  fillMessage(el, m);
  return el;
}

function renderMessages() {
  const box = $('messages');
  box.replaceChildren(...(currentConversation()?.messages ?? []).map(messageElement));
  box.scrollTop = box.scrollHeight;
}

function renderControls() {
  const busy = state.stream !== null;
  $('send').disabled = busy;
  $('stop').disabled = !busy;
}

function render() {
  renderSidebar();
  renderMessages();
  renderControls();
}

// Re-renders the streaming message at most once per frame.
let framePending = false;
function renderStreamingSoon() {
  if (framePending) return;
  framePending = true;
  requestAnimationFrame(() => {
    framePending = false;
    const s = state.stream;
    if (!s || s.conversation.id !== state.current) return;
    const box = $('messages');
    const el = box.lastElementChild;
    if (!el) return;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    fillMessage(el, s.message);
    if (atBottom) box.scrollTop = box.scrollHeight;
  });
}

// ---- requests ---------------------------------------------------------------------------------

function headers() {
  const h = {'Content-Type': 'application/json'};
  const key = $('api-key').value.trim();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

function numberSetting(id) {
  const v = $(id).value.trim();
  return v === '' ? undefined : Number(v);
}

function requestBody(conversation) {
  const messages = [];
  const system = $('system-prompt').value.trim();
  if (system) messages.push({role: 'system', content: system});
  for (const m of conversation.messages) {
    if (m.status === 'streaming' || (m.role === 'assistant' && !m.content)) continue;
    messages.push({role: m.role, content: m.content});
  }
  const body = {
    messages,
    stream: true,
    temperature: numberSetting('temperature'),
    top_p: numberSetting('top-p'),
    max_tokens: numberSetting('max-tokens'),
    seed: numberSetting('seed'),
  };
  if ($('ignore-eos').checked) body.ignore_eos = true;
  if (state.ragAvailable && $('rag').checked) body.rag = true;
  return body;
}

// "HTTP 400 invalid_request_error (param: max_tokens): message" from an OpenAI error object.
function describeError(status, error) {
  const kind = error.code || error.type || 'error';
  const param = error.param ? ` (param: ${error.param})` : '';
  return `${status ? `HTTP ${status} ` : ''}${kind}${param}: ${error.message || 'no message'}`;
}

async function errorFromResponse(res) {
  const text = await res.text();
  try {
    const parsed = JSON.parse(text);
    if (parsed && parsed.error) return describeError(res.status, parsed.error);
  } catch {
    // not JSON: show the text itself
  }
  return `HTTP ${res.status} ${res.statusText}: ${text.slice(0, 500) || '(empty body)'}`;
}

// Yields the data of each server-sent event in `body` (a ReadableStream of bytes).
async function* sseData(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let held = '';  // a trailing "\r" that may be the first half of "\r\n"
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    let text = held + value;
    held = text.endsWith('\r') ? '\r' : '';
    if (held) text = text.slice(0, -1);
    buffer += text.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split('\n')
                       .filter((line) => line.startsWith('data:'))
                       .map((line) => line.slice(line[5] === ' ' ? 6 : 5));
      if (data.length) yield data.join('\n');
    }
  }
}

async function send(text) {
  let conversation = currentConversation() || newConversation();
  if (conversation.messages.length === 0) conversation.title = text.slice(0, 60);
  conversation.messages.push({role: 'user', content: text});
  const message = {role: 'assistant', content: '', status: 'streaming'};
  const body = requestBody(conversation);
  conversation.messages.push(message);
  conversation.updated = Date.now();
  // The conversation with the newest activity goes to the top of the list.
  state.conversations = [conversation, ...state.conversations.filter((c) => c !== conversation)];
  const controller = new AbortController();
  state.stream = {controller, conversation, message};
  saveStore();
  render();

  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!res.ok) throw new Error(await errorFromResponse(res));
    for await (const data of sseData(res.body)) {
      // Nothing read after Stop is kept: the answer is what was shown when it was pressed.
      if (controller.signal.aborted) throw new DOMException('stopped', 'AbortError');
      if (data === '[DONE]') break;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(describeError(0, chunk.error));
      if (chunk.sources) message.sources = chunk.sources;
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) message.content += choice.delta.content;
      if (choice?.finish_reason) message.finish = choice.finish_reason;
      renderStreamingSoon();
      saveSoon();
    }
    message.status = 'done';
  } catch (e) {
    if (e.name === 'AbortError') {
      message.status = 'stopped';
    } else {
      message.status = 'error';
      message.error =
          e instanceof SyntaxError ? `bad event from the server: ${e.message}` : e.message;
    }
  } finally {
    if (state.stream?.message === message) state.stream = null;
    saveStore();
    render();
  }
}

function stopStream() {
  const s = state.stream;
  if (!s) return;
  state.stream = null;
  s.message.status = 'stopped';
  s.controller.abort();
  saveStore();
  renderControls();
}

async function checkHealth() {
  try {
    const res = await fetch('/health');
    const health = await res.json();
    $('model').textContent = health.model || '';
    state.ragAvailable = health.rag === true;
  } catch (e) {
    $('model').textContent = `server unreachable (${e.message})`;
  }
  $('rag-label').hidden = !state.ragAvailable;
}

// ---- wiring -----------------------------------------------------------------------------------

function init() {
  loadStore();
  loadSettings();
  if (!currentConversation()) state.current = state.conversations[0]?.id ?? null;
  render();
  checkHealth();

  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('prompt').value.trim();
    if (!text || state.stream) return;
    $('prompt').value = '';
    send(text);
  });
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('stop').addEventListener('click', stopStream);
  $('new-chat').addEventListener('click', () => {
    stopStream();
    newConversation();
    saveStore();
    render();
    $('prompt').focus();
  });
  for (const id of [...settingIds, 'api-key']) $(id).addEventListener('change', saveSettings);
  window.addEventListener('pagehide', saveStore);
}

init();
