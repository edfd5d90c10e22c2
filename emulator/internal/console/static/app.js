// pdemu console: a client of the control plane (/_emulator/), nothing more.
// Every value from the server goes into the page as text nodes, never
// parsed as markup, because the journal shows whatever callers sent.

const TOKEN_KEY = 'pdemu.controlToken'; // sessionStorage: kept for this tab only
const THEME_KEY = 'pdemu.theme';

// ---------------------------------------------------------------- DOM

/** h builds an element: h('button', {class: 'x', onclick: f}, 'text', child). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

/** field wraps a control with its label, hint and error line. */
function field(label, control, {hint, id} = {}) {
  control.id = control.id || id || nextId('f');
  const parts = [h('label', {for: control.id}, label), control];
  const described = [];
  if (hint) {
    const hid = control.id + '-hint';
    parts.push(h('p', {class: 'hint', id: hid}, hint));
    described.push(hid);
  }
  const err = h('p', {class: 'error-text', id: control.id + '-error', hidden: true});
  parts.push(err);
  if (described.length) control.setAttribute('aria-describedby', described.join(' '));
  const wrap = h('div', {class: 'field'}, parts);
  wrap.setError = (msg) => {
    err.textContent = msg || '';
    err.hidden = !msg;
    if (msg) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', [...described, err.id].join(' '));
    } else {
      control.removeAttribute('aria-invalid');
      if (described.length) control.setAttribute('aria-describedby', described.join(' '));
      else control.removeAttribute('aria-describedby');
    }
  };
  return wrap;
}

function table(columns, rows, {caption, empty} = {}) {
  if (!rows.length) return h('div', {class: 'table-wrap'}, h('p', {class: 'empty'}, empty || 'Nothing here yet.'));
  return h('div', {class: 'table-wrap'},
    h('table', {},
      caption ? h('caption', {class: 'visually-hidden'}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col', class: c.num ? 'num' : null}, c.label)))),
      h('tbody', {}, rows)));
}

function toast(msg, kind) {
  const t = h('div', {class: 'toast' + (kind === 'error' ? ' error' : '')}, msg);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 7000 : 3000);
}

function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  if (isNaN(d)) return s;
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', ' UTC');
}

/** timeOfDay is the UTC time of an instant, to the millisecond. */
function timeOfDay(s) {
  const d = new Date(s);
  return isNaN(d) ? s : d.toISOString().slice(11, 23);
}

function fmtDuration(sec) {
  const neg = sec < 0;
  sec = Math.abs(Math.floor(sec));
  const d = Math.floor(sec / 86400), hh = Math.floor(sec % 86400 / 3600), mm = Math.floor(sec % 3600 / 60), ss = sec % 60;
  const pad = (n) => String(n).padStart(2, '0');
  const s = (d ? `${d}d ` : '') + `${pad(hh)}:${pad(mm)}:${pad(ss)}`;
  return neg ? '-' + s : s;
}

// ---------------------------------------------------------------- API

class APIError extends Error {
  constructor(status, body) {
    super((body && (body.error_description || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.body = body;
  }
}

/**
 * api calls the control plane. Writes send Content-Type: application/json
 * (the guard requires it, so no other origin can send them); reads carry
 * X-Pdemu-Console so that the console's polling stays out of the journal.
 */
async function api(method, path, body, {retry = true} = {}) {
  const headers = {'X-Pdemu-Console': '1', 'Accept': 'application/json'};
  if (method !== 'GET') headers['Content-Type'] = 'application/json';
  const tok = sessionStorage.getItem(TOKEN_KEY);
  if (tok) headers.Authorization = 'Bearer ' + tok;
  const res = await fetch(path, {
    method, headers, credentials: 'omit', cache: 'no-store',
    body: body === undefined ? (method === 'GET' ? undefined : '{}') : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = {error: 'bad_response', error_description: text.slice(0, 200)}; }
  }
  if (res.status === 401 && data && (data.error === 'control_token_required' || data.error === 'invalid_control_token') && retry) {
    const given = await askControlToken(data.error === 'invalid_control_token');
    if (given) return api(method, path, body, {retry: true});
  }
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

const enc = encodeURIComponent;

/** pageAll reads every page of a list, up to max items. */
async function pageAll(path, max = 1000) {
  const out = [];
  let after = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=100${after ? '&after=' + enc(after) : ''}`);
    out.push(...page.data);
    after = page.page_info && page.page_info.end_cursor;
    if (!after || !page.data.length || out.length >= max || page.data.length < 100) return out;
  }
}

let tokenPrompt = null;
function askControlToken(wrong) {
  if (tokenPrompt) return tokenPrompt;
  tokenPrompt = new Promise((resolve) => {
    const input = h('input', {type: 'password', autocomplete: 'off', spellcheck: 'false'});
    const f = field('Control token', input, {hint: 'Printed by pdemu as PDEMU_CONTROL_TOKEN when it started. It is kept for this tab only.'});
    if (wrong) f.setError('That is not this pdemu\'s control token.');
    const dlg = dialog('This pdemu needs its control token', [
      h('p', {}, 'pdemu listens on an address other than loopback, so its control plane answers only callers that hold its control token.'),
      f,
    ], [
      h('button', {type: 'button', onclick: () => dlg.close()}, 'Cancel'),
      h('button', {type: 'submit', class: 'primary'}, 'Continue'),
    ], {onsubmit: () => {
      const v = input.value.trim();
      if (!v) { f.setError('Enter the control token.'); return false; }
      sessionStorage.setItem(TOKEN_KEY, v);
      resolve(true);
      return true;
    }, onclose: () => resolve(false)});
  }).finally(() => { tokenPrompt = null; });
  return tokenPrompt;
}

// ---------------------------------------------------------------- dialogs

/**
 * dialog opens a modal <dialog> titled by its heading. onsubmit returns
 * true (or a promise of true) to close; focus goes back where it was.
 */
function dialog(title, body, actions, {onsubmit, onclose, wide} = {}) {
  const back = document.activeElement;
  const titleId = nextId('dlg-title');
  const form = h('form', {method: 'dialog', class: 'dialog-body', novalidate: true},
    h('h2', {id: titleId}, title), body, h('div', {class: 'form-actions'}, actions));
  const dlg = h('dialog', {'aria-labelledby': titleId, class: wide ? 'wide' : null}, form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!onsubmit) { dlg.close(); return; }
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      if (await onsubmit(ev)) dlg.close();
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  dlg.addEventListener('close', () => {
    dlg.remove();
    if (onclose) onclose();
    if (back && document.contains(back)) back.focus();
  });
  document.body.append(dlg);
  dlg.showModal();
  const first = form.querySelector('input:not([readonly]):not([type=hidden]), textarea, select') || form.querySelector('.form-actions button[type=submit], .form-actions button');
  if (first) first.focus();
  dlg.form = form;
  return dlg;
}

function confirmDialog(title, text, confirmLabel, {danger} = {}) {
  return new Promise((resolve) => {
    let yes = false;
    const dlg = dialog(title, [h('p', {}, text)], [
      h('button', {type: 'button', onclick: () => dlg.close()}, 'Cancel'),
      h('button', {type: 'submit', class: danger ? 'danger' : 'primary'}, confirmLabel),
    ], {onsubmit: () => { yes = true; return true; }, onclose: () => resolve(yes)});
    // A destructive choice is never the one Enter takes by default.
    dlg.form.querySelector(danger ? 'button[type=button]' : 'button[type=submit]').focus();
  });
}

async function copyText(text, what) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
    } else {
      // Over plain HTTP on a LAN address there is no clipboard API.
      const ta = h('textarea', {class: 'visually-hidden', 'aria-hidden': 'true'});
      ta.value = text;
      document.body.append(ta);
      ta.select();
      const ok = document.execCommand('copy');
      ta.remove();
      if (!ok) throw new Error('copy refused');
    }
    toast(`${what} copied`);
  } catch {
    toast(`Could not copy the ${what.toLowerCase()}: select it and copy by hand`, 'error');
  }
}

function copyButton(getText, what, label) {
  return h('button', {type: 'button', class: 'small', 'aria-label': label || `Copy ${what.toLowerCase()}`,
    onclick: () => copyText(getText(), what)}, 'Copy');
}

/** secretDialog shows a secret once, with the client id beside it. */
function secretDialog(title, clientID, secret) {
  const idInput = h('input', {type: 'text', readonly: true, value: clientID, spellcheck: 'false'});
  const secretInput = h('input', {type: 'text', readonly: true, value: secret, spellcheck: 'false', autocomplete: 'off'});
  const dlg = dialog(title, [
    h('div', {class: 'secret-warning'}, h('span', {}, 'Copy the client secret now: it will not be accessible again. pdemu keeps only its hash.')),
    field('Client ID', h('div', {class: 'copy-row'}, idInput, copyButton(() => clientID, 'Client ID')), {id: 'secret-client-id'}),
    field('Client secret', h('div', {class: 'copy-row'}, secretInput, copyButton(() => secret, 'Client secret')), {id: 'secret-value-wrap'}),
  ], [h('button', {type: 'submit', class: 'primary'}, 'Close')]);
  // The labels name the inputs, not their rows.
  const labels = dlg.querySelectorAll('label');
  idInput.id = 'secret-client-id-input'; labels[0].htmlFor = idInput.id;
  secretInput.id = 'client-secret-input'; labels[1].htmlFor = secretInput.id;
  secretInput.focus();
  secretInput.select();
  return dlg;
}

// ---------------------------------------------------------------- menus

/** menuButton is an actions button that opens a menu of items. */
function menuButton(label, items) {
  const btn = h('button', {type: 'button', class: 'subtle actions-button', 'aria-label': label, 'aria-haspopup': 'menu', 'aria-expanded': 'false'}, '⋯');
  let menu = null;
  const close = (focusBack) => {
    if (!menu) return;
    menu.remove();
    menu = null;
    btn.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (focusBack) btn.focus();
  };
  const outside = (ev) => { if (menu && !menu.contains(ev.target) && ev.target !== btn) close(false); };
  const open = (focusLast) => {
    const id = nextId('menu');
    menu = h('ul', {class: 'menu', role: 'menu', id, 'aria-label': label},
      items.map((it) => h('li', {role: 'none'}, h('button', {type: 'button', role: 'menuitem', tabindex: '-1',
        class: it.danger ? 'danger-item' : null, onclick: () => { close(true); it.run(); }}, it.label))));
    document.body.append(menu);
    const r = btn.getBoundingClientRect();
    const w = 220;
    menu.style.top = `${r.bottom + window.scrollY + 4}px`;
    menu.style.left = `${Math.max(8, r.right + window.scrollX - w)}px`;
    menu.style.minWidth = `${w}px`;
    btn.setAttribute('aria-expanded', 'true');
    btn.setAttribute('aria-controls', id);
    const entries = [...menu.querySelectorAll('[role=menuitem]')];
    (focusLast ? entries[entries.length - 1] : entries[0]).focus();
    menu.addEventListener('keydown', (ev) => {
      const i = entries.indexOf(document.activeElement);
      if (ev.key === 'ArrowDown') { entries[(i + 1) % entries.length].focus(); ev.preventDefault(); }
      else if (ev.key === 'ArrowUp') { entries[(i - 1 + entries.length) % entries.length].focus(); ev.preventDefault(); }
      else if (ev.key === 'Home') { entries[0].focus(); ev.preventDefault(); }
      else if (ev.key === 'End') { entries[entries.length - 1].focus(); ev.preventDefault(); }
      else if (ev.key === 'Escape') { close(true); ev.preventDefault(); }
      else if (ev.key === 'Tab') close(false);
    });
    document.addEventListener('pointerdown', outside, true);
  };
  btn.addEventListener('click', () => (menu ? close(true) : open(false)));
  btn.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown') { ev.preventDefault(); if (!menu) open(false); }
    if (ev.key === 'ArrowUp') { ev.preventDefault(); if (!menu) open(true); }
  });
  return btn;
}

// ---------------------------------------------------------------- shared state

const state = {
  caps: [],
  scopes: [],
  clock: null, // {now: Date, frozen, at: performance.now()}
};

function clockNow() {
  const c = state.clock;
  if (!c) return null;
  return c.frozen ? new Date(c.now) : new Date(c.now.getTime() + (performance.now() - c.at));
}

function setClock(j) {
  state.clock = {now: new Date(j.now), frozen: j.frozen, at: performance.now()};
  renderClockChip();
  window.dispatchEvent(new Event('pdemu:clock'));
}

async function refreshClock() {
  try { setClock(await api('GET', '/_emulator/clock')); } catch { /* shown by the page that needs it */ }
}

function renderClockChip() {
  const chip = document.getElementById('clockchip');
  const now = clockNow();
  if (!now) return;
  document.getElementById('clockchip-time').textContent = fmtTime(now.toISOString()) + (state.clock.frozen ? ' · frozen' : '');
  chip.classList.toggle('frozen', state.clock.frozen);
  chip.setAttribute('aria-label', `Emulator clock: ${fmtTime(now.toISOString())}${state.clock.frozen ? ', frozen' : ''}`);
}

const has = (cap) => state.caps.includes(cap);

// ---------------------------------------------------------------- views

/** Each view renders into main and returns a stop function for its timers. */
const views = {clients: viewClients, tokens: viewTokens, clock: viewClock, requests: viewRequests, connect: viewConnect, snapshots: viewSnapshots};

function pageHead(title, lead, ...actions) {
  return h('div', {class: 'page-head'}, h('div', {}, h('h1', {}, title), lead ? h('p', {class: 'lead'}, lead) : null),
    actions.length ? h('div', {class: 'row'}, actions) : null);
}

function errorNotice(err) {
  return h('p', {class: 'notice', role: 'alert'}, `The control plane refused: ${err.message}`);
}

// ----- OAuth clients

function viewClients(main) {
  const listArea = h('div', {}, h('p', {class: 'muted'}, 'Loading…'));
  main.append(
    pageHead('OAuth clients', 'OAuth clients exchange their client ID and secret at POST /v1/oauth/token for one-hour access tokens.',
      h('button', {type: 'button', class: 'primary', onclick: () => newClientDialog(load)}, 'New OAuth client')),
    listArea);
  async function load() {
    let clients;
    try { clients = await pageAll('/_emulator/oauth-clients'); } catch (e) { listArea.replaceChildren(errorNotice(e)); return; }
    const rows = clients.map((c) => h('tr', {},
      h('td', {class: 'name'}, h('strong', {}, c.name)),
      h('td', {class: 'nowrap'}, h('span', {class: 'id'}, h('code', {}, c.client_id), copyButton(() => c.client_id, 'Client ID', `Copy client ID of ${c.name}`))),
      h('td', {class: 'muted nowrap'}, fmtTime(c.created_at)),
      h('td', {}, h('span', {class: 'tags'}, (c.scopes || []).map((s) => h('span', {class: 'tag'}, s)))),
      h('td', {}, c.project_ids && c.project_ids.length ? h('span', {class: 'tags'}, c.project_ids.map((p) => h('span', {class: 'tag'}, p))) : h('span', {class: 'muted nowrap'}, 'All projects')),
      h('td', {class: 'actions'}, menuButton(`Actions for ${c.name}`, [
        {label: 'Rotate client secret', run: () => rotateClient(c, load)},
        {label: 'Delete', danger: true, run: () => deleteClient(c, load)},
      ]))));
    listArea.replaceChildren(table([{label: 'Name'}, {label: 'Client ID'}, {label: 'Created'}, {label: 'Scopes'}, {label: 'Projects'}, {label: 'Actions'}], rows,
      {caption: 'OAuth clients', empty: 'No OAuth clients. Create one to get a client ID and secret.'}));
  }
  load();
  return () => {};
}

async function newClientDialog(reload) {
  let projects = [];
  try { projects = await pageAll('/_emulator/projects'); } catch { /* the dialog works without */ }
  const name = h('input', {type: 'text', autocomplete: 'off', name: 'name'});
  const nameField = field('Name', name, {hint: '1 to 200 characters.'});
  const scopeBoxes = state.scopes.map((s) => h('input', {type: 'checkbox', value: s}));
  const projectBoxes = projects.map((p) => h('input', {type: 'checkbox', value: p.id}));
  const formError = h('p', {class: 'error-text', role: 'alert', hidden: true});
  const dlg = dialog('New OAuth client', [
    nameField,
    h('fieldset', {}, h('legend', {}, 'Scopes'), h('p', {class: 'hint', style: 'margin-top:0'}, 'None checked means * (every scope).'),
      h('div', {class: 'checks'}, scopeBoxes.map((b) => h('label', {class: 'check'}, b, b.value)))),
    projects.length ? h('fieldset', {}, h('legend', {}, 'Projects'), h('p', {class: 'hint', style: 'margin-top:0'}, 'None checked means every project of the workspace.'),
      h('div', {class: 'checks'}, projectBoxes.map((b, i) => h('label', {class: 'check'}, b, `${projects[i].name} (${projects[i].id})`)))) : null,
    formError,
  ], [
    h('button', {type: 'button', onclick: () => dlg.close()}, 'Cancel'),
    h('button', {type: 'submit', class: 'primary'}, 'Create'),
  ], {wide: true, onsubmit: async () => {
    formError.hidden = true;
    const n = name.value;
    const len = [...n].length;
    if (n.trim() === '') { nameField.setError('Name is required.'); name.focus(); return false; }
    if (len > 200) { nameField.setError(`Name must be at most 200 characters (it has ${len}).`); name.focus(); return false; }
    nameField.setError('');
    const body = {name: n};
    const scopes = scopeBoxes.filter((b) => b.checked).map((b) => b.value);
    if (scopes.length) body.scopes = scopes;
    const pids = projectBoxes.filter((b) => b.checked).map((b) => b.value);
    if (pids.length) body.project_ids = pids;
    try {
      const c = await api('POST', '/_emulator/oauth-clients', body);
      dlg.close();
      reload();
      secretDialog('Client created', c.client_id, c.client_secret);
      return false;
    } catch (e) {
      if (e.code === 'invalid_request' && /name/i.test(e.message)) nameField.setError(e.message);
      else { formError.textContent = e.message; formError.hidden = false; }
      return false;
    }
  }});
}

async function rotateClient(c, reload) {
  const revokes = has('rotation_revokes_tokens');
  const ok = await confirmDialog(`Rotate the client secret of ${c.name}?`,
    'The current secret stops working at once. ' + (revokes
      ? 'This pdemu revokes the tokens already issued to the client too.'
      : 'Tokens already issued stay valid until they expire.'), 'Rotate client secret');
  if (!ok) return;
  try {
    const r = await api('POST', `/_emulator/oauth-clients/${enc(c.client_id)}/rotate-secret`);
    reload();
    secretDialog('New client secret', r.client_id, r.client_secret);
  } catch (e) { toast(e.message, 'error'); }
}

async function deleteClient(c, reload) {
  const ok = await confirmDialog(`Delete ${c.name}?`, 'Its secret and every token issued to it stop working at once. This cannot be undone.', 'Delete', {danger: true});
  if (!ok) return;
  try {
    await api('DELETE', `/_emulator/oauth-clients/${enc(c.client_id)}`);
    toast(`${c.name} deleted`);
    reload();
  } catch (e) { toast(e.message, 'error'); }
}

// ----- Tokens

const STATUS_TEXT = {
  valid: ['Valid', 'ok'], expired: ['Expired', 'bad'], not_yet_valid: ['Not yet valid', 'warn'], revoked: ['Revoked', 'bad'],
  client_deleted: ['Client deleted', 'bad'], wrong_key: ['Wrong key', 'bad'], malformed: ['Malformed', 'bad'],
};

const CLAIM_MEANING = {
  jti: 'token id', iss: 'issuer', iat: 'issued at', nbf: 'not before', exp: 'expires', token_type: 'token type', aud: 'audience',
  sub: 'workspace', scopes: 'granted scopes', client_id: 'OAuth client', cgen: 'client generation (pdemu: rotation and deletion revoke by it)',
};

function viewTokens(main) {
  const clientSel = h('select', {});
  const scopeBoxes = state.scopes.map((s) => h('input', {type: 'checkbox', value: s}));
  const mintError = h('p', {class: 'error-text', role: 'alert', hidden: true});
  const tokenInput = h('textarea', {spellcheck: 'false', rows: 4, placeholder: 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9…'});
  const tokenField = field('Access token', tokenInput, {hint: 'An OAuth access token (JWT) or a Connect token (ctok_…). It is checked by the control plane, on the emulator clock.'});
  const result = h('div', {'aria-live': 'polite'});
  let timer = null;
  let current = null; // {r: the inspection, tok, at}
  let clients = [], projects = [];

  main.append(pageHead('Tokens', 'Mint a token for a client without its secret, or paste one, and see what pdemu makes of it now.'),
    h('div', {class: 'grid-2'},
      h('form', {class: 'card', onsubmit: (ev) => { ev.preventDefault(); mint(); }},
        h('h2', {}, 'Mint a token'),
        field('Client', clientSel),
        h('fieldset', {}, h('legend', {}, 'Scopes'), h('p', {class: 'hint', style: 'margin-top:0'}, 'None checked means all the client may have.'),
          h('div', {class: 'checks'}, scopeBoxes.map((b) => h('label', {class: 'check'}, b, b.value)))),
        mintError,
        h('div', {class: 'form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Mint token'))),
      h('form', {class: 'card', onsubmit: (ev) => { ev.preventDefault(); inspect(tokenInput.value.trim()); }},
        h('h2', {}, 'Inspect a token'),
        tokenField,
        h('div', {class: 'form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Inspect')))),
    result);

  (async () => {
    try {
      [clients, projects] = await Promise.all([pageAll('/_emulator/oauth-clients'), pageAll('/_emulator/projects')]);
      clientSel.replaceChildren(...clients.map((c) => h('option', {value: c.client_id}, `${c.name} (${c.client_id})`)));
      if (!clients.length) clientSel.append(h('option', {value: ''}, 'No clients: create one first'));
    } catch (e) { mintError.textContent = e.message; mintError.hidden = false; }
  })();

  async function mint() {
    mintError.hidden = true;
    if (!clientSel.value) { mintError.textContent = 'Choose a client.'; mintError.hidden = false; return; }
    const scopes = scopeBoxes.filter((b) => b.checked).map((b) => b.value);
    try {
      const t = await api('POST', `/_emulator/oauth-clients/${enc(clientSel.value)}/tokens`, scopes.length ? {scope: scopes.join(' ')} : {});
      tokenInput.value = t.access_token;
      toast('Token minted');
      inspect(t.access_token);
    } catch (e) { mintError.textContent = e.message; mintError.hidden = false; }
  }

  async function inspect(tok) {
    if (!tok) { tokenField.setError('Paste a token, or mint one.'); tokenInput.focus(); return; }
    tokenField.setError('');
    try {
      const r = await api('POST', '/_emulator/tokens/inspect', {token: tok});
      current = {r, tok, at: performance.now()};
      renderResult();
    } catch (e) { result.replaceChildren(errorNotice(e)); }
  }

  function remaining() {
    if (!current || current.r.expires_in === undefined || current.r.expires_in === null) return null;
    const ran = state.clock && !state.clock.frozen ? (performance.now() - current.at) / 1000 : 0;
    return current.r.expires_in - ran;
  }

  function renderResult() {
    const r = current.r;
    const [label, tone] = STATUS_TEXT[r.status] || [r.status, 'bad'];
    const countdown = h('output', {class: 'countdown', id: 'token-countdown'});
    const claimRows = r.claims ? Object.entries(r.claims).map(([k, v]) => {
      let meaning = CLAIM_MEANING[k] || '';
      if ((k === 'iat' || k === 'nbf' || k === 'exp') && typeof v === 'number') meaning += ': ' + fmtTime(new Date(v * 1000).toISOString());
      return h('tr', {}, h('td', {}, k), h('td', {}, typeof v === 'string' ? v : JSON.stringify(v)), h('td', {}, meaning));
    }) : [];
    const client = clients.find((c) => c.client_id === r.client_id);
    const curl = curlLine(current.tok, r, (client && client.project_ids[0]) || (projects[0] && projects[0].id));
    result.replaceChildren(h('section', {class: 'card', 'aria-labelledby': 'inspection-title'},
      h('h2', {id: 'inspection-title'}, 'Inspection'),
      h('div', {class: 'verdict'},
        h('span', {class: `badge ${tone}`, id: 'token-status', 'data-status': r.status}, label),
        h('span', {}, r.message || ''),
        r.expires_at ? h('span', {class: 'muted'}, 'expires in ', countdown, state.clock && state.clock.frozen ? ' (the emulator clock is frozen)' : '') : null),
      h('p', {class: 'muted'}, `Kind: ${r.kind}` + (r.client_id ? ` · client ${r.client_name ? r.client_name + ' ' : ''}(${r.client_id})` : '') +
        (r.external_user_id ? ` · external user ${r.external_user_id}` : '') + ` · checked at ${fmtTime(r.now)} on the emulator clock`),
      r.header ? [h('h3', {}, 'Header'), h('pre', {}, JSON.stringify(r.header, null, 2))] : null,
      r.claims ? [h('h3', {}, 'Claims'), table([{label: 'Claim'}, {label: 'Value'}, {label: 'Meaning'}], claimRows, {caption: 'Claims'})] : null,
      curl ? [h('h3', {}, 'Try it'), h('div', {class: 'curl'}, h('pre', {id: 'curl-line'}, curl), copyButton(() => curl, 'curl command'))] : null));
    tick();
  }

  function tick() {
    const out = document.getElementById('token-countdown');
    const left = remaining();
    if (!out || left === null) return;
    out.textContent = fmtDuration(Math.max(0, left));
    if (left <= 0 && current.r.status === 'valid' && !current.reinspected) {
      current.reinspected = true;
      inspect(current.tok);
    }
  }

  timer = setInterval(tick, 1000);
  const onClock = () => { if (current) inspect(current.tok); };
  window.addEventListener('pdemu:clock-moved', onClock);
  return () => { clearInterval(timer); window.removeEventListener('pdemu:clock-moved', onClock); };
}

function curlLine(tok, r, projectID) {
  const base = location.origin;
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  if (r.kind === 'connect') {
    return `curl -s ${q(base + '/v1/connect/accounts')} \\\n  -H ${q('Authorization: Bearer ' + tok)}`;
  }
  if (r.kind !== 'oauth') return null;
  const pid = r.project_id || projectID || '<project_id>';
  return `curl -s ${q(base + '/v1/connect/' + pid + '/users')} \\\n  -H ${q('Authorization: Bearer ' + tok)} \\\n  -H 'x-pd-environment: development'`;
}

// ----- Clock

function viewClock(main) {
  const face = h('div', {class: 'clock-face', id: 'clock-face', 'aria-live': 'off'});
  const badge = h('span', {class: 'badge'});
  const setInput = h('input', {type: 'text', spellcheck: 'false', placeholder: '2030-01-01T00:00:00Z'});
  const setField = field('New time (RFC 3339)', setInput, {hint: 'For example 2030-01-01T00:00:00Z, earlier times too. A running clock goes on from there; a frozen one stays.'});
  const live = h('p', {class: 'visually-hidden', 'aria-live': 'polite', id: 'clock-announce'});
  const advance = async (seconds, what) => {
    try {
      setClock(await api('POST', '/_emulator/clock/advance', {seconds}));
      window.dispatchEvent(new Event('pdemu:clock-moved'));
      live.textContent = `Clock moved ${what}: ${fmtTime(state.clock.now.toISOString())}`;
      toast(`Clock moved ${what}`);
    } catch (e) { toast(e.message, 'error'); }
  };
  main.append(pageHead('Clock', 'Tokens expire, rate-limit windows roll over and Connect tokens lapse on this clock, not the wall clock.'),
    h('section', {class: 'card', 'aria-labelledby': 'clock-now'},
      h('h2', {id: 'clock-now'}, 'Emulator time'), face, badge,
      h('div', {class: 'clock-buttons'},
        h('button', {type: 'button', onclick: () => advance(60, 'forward 1 minute')}, '+1 minute'),
        h('button', {type: 'button', onclick: () => advance(3600, 'forward 1 hour')}, '+1 hour'),
        h('button', {type: 'button', onclick: () => advance(86400, 'forward 1 day')}, '+1 day')), live),
    h('form', {class: 'card', onsubmit: async (ev) => {
      ev.preventDefault();
      const v = setInput.value.trim();
      if (!v) { setField.setError('Enter a time such as 2030-01-01T00:00:00Z.'); return; }
      try {
        setClock(await api('PUT', '/_emulator/clock', {now: v}));
        setField.setError('');
        window.dispatchEvent(new Event('pdemu:clock-moved'));
        toast('Clock set');
      } catch (e) { setField.setError(e.message); }
    }},
    h('h2', {}, 'Set the time'), h('div', {class: 'inline-form'}, setField, h('button', {type: 'submit', class: 'primary'}, 'Set'),
      h('button', {type: 'button', onclick: () => { setInput.value = new Date().toISOString().replace(/\.\d+Z$/, 'Z'); setInput.focus(); }}, 'Use wall-clock time'))));
  const render = () => {
    const now = clockNow();
    if (!now) return;
    face.textContent = fmtTime(now.toISOString());
    badge.textContent = state.clock.frozen ? 'Frozen: moves only when told' : 'Running';
    badge.className = 'badge ' + (state.clock.frozen ? 'warn' : 'ok');
  };
  render();
  // Filled in once: refilling an emptied field would fight the user.
  if (clockNow()) setInput.value = clockNow().toISOString().replace(/\.\d+Z$/, 'Z');
  const t = setInterval(render, 250);
  window.addEventListener('pdemu:clock', render);
  return () => { clearInterval(t); window.removeEventListener('pdemu:clock', render); };
}

// ----- Requests

function viewRequests(main) {
  if (!has('journal')) {
    main.append(pageHead('Requests'), h('p', {class: 'notice'}, 'The request journal is off: start pdemu with --journal-size greater than 0.'));
  }
  const route = h('input', {type: 'text', spellcheck: 'false', placeholder: 'oauthTokens.create, accounts.*'});
  const status = h('select', {}, ['', '2xx', '4xx', '5xx', '401', '403', '404', '429'].map((s) => h('option', {value: s}, s || 'Any')));
  const client = h('select', {}, h('option', {value: ''}, 'Any'));
  const faultsOnly = h('input', {type: 'checkbox', id: 'faults-only'});
  const liveBox = h('input', {type: 'checkbox', id: 'live', checked: true});
  const area = h('div', {});
  const info = h('p', {class: 'muted', 'aria-live': 'off'});
  const expanded = new Set();
  let timer = null;
  let busy = false;

  const journalCard = has('journal') ? h('section', {class: 'card', 'aria-labelledby': 'journal-title'},
    h('div', {class: 'card-head'}, h('h2', {id: 'journal-title'}, 'Request journal'),
      h('button', {type: 'button', class: 'small', onclick: async () => {
        if (!await confirmDialog('Clear the request journal?', 'Every recorded request is forgotten.', 'Clear', {danger: true})) return;
        try { await api('DELETE', '/_emulator/requests'); expanded.clear(); load(); } catch (e) { toast(e.message, 'error'); }
      }}, 'Clear journal')),
    h('form', {class: 'filters', role: 'search', 'aria-label': 'Filter requests', onsubmit: (ev) => { ev.preventDefault(); load(); }},
      field('Route', route), field('Status', status), field('Client', client),
      h('label', {class: 'toggle', for: 'faults-only'}, faultsOnly, 'Faults only'),
      h('span', {class: 'spacer'}),
      h('label', {class: 'toggle', for: 'live'}, liveBox, 'Live'),
      h('button', {type: 'submit'}, 'Apply')),
    info, area) : null;
  for (const el of [route, status, client, faultsOnly]) el.addEventListener('change', () => load());

  const faultsArea = h('div', {});
  const limitsArea = h('div', {});
  if (has('journal')) main.append(pageHead('Requests', 'Every call pdemu answered, newest first, with secrets redacted. The console\'s own reads are not recorded.'));
  main.append(journalCard || '',
    h('div', {class: 'grid-2'},
      h('section', {class: 'card', 'aria-labelledby': 'faults-title'}, h('h2', {id: 'faults-title'}, 'Faults'), faultsArea, faultForm(() => loadFaults())),
      h('section', {class: 'card', 'aria-labelledby': 'limits-title'}, h('h2', {id: 'limits-title'}, 'Rate limits'), limitsArea)));

  (async () => {
    try {
      const cs = await pageAll('/_emulator/oauth-clients');
      client.append(...cs.map((c) => h('option', {value: c.client_id}, c.name)));
    } catch { /* the filter works without names */ }
  })();

  async function load() {
    if (!journalCard || busy) return;
    busy = true;
    const q = new URLSearchParams({limit: '100'});
    if (route.value.trim()) q.set('route', route.value.trim());
    if (status.value) q.set('status', status.value);
    if (client.value) q.set('client_id', client.value);
    if (faultsOnly.checked) q.set('faults_only', 'true');
    try {
      const page = await api('GET', '/_emulator/requests?' + q);
      route.closest('.field').setError('');
      info.textContent = `${page.page_info.total_count} matching of ${page.size} kept` + (page.dropped ? `, ${page.dropped} older ones dropped to make room` : '') + '.';
      area.replaceChildren(requestsTable(page.data));
    } catch (e) {
      if (e.status === 400) route.closest('.field').setError(e.message);
      else area.replaceChildren(errorNotice(e));
    } finally { busy = false; }
  }

  function requestsTable(entries) {
    const rows = [];
    for (const en of entries) {
      const open = expanded.has(en.id);
      const detailId = 'req-' + en.id;
      const toggle = h('button', {type: 'button', class: 'disclose', 'aria-expanded': String(open), 'aria-controls': detailId,
        'aria-label': `Details of ${en.method} ${en.path}`}, h('span', {class: 'chev', 'aria-hidden': 'true'}, '▸'));
      const row = h('tr', {},
        h('td', {}, toggle),
        h('td', {class: 'mono muted nowrap', title: fmtTime(en.at)}, timeOfDay(en.at)),
        h('td', {class: 'nowrap'}, h('span', {class: 'method'}, en.method)),
        h('td', {class: 'mono wrap'}, en.path + (en.query ? '?' + en.query : '')),
        h('td', {class: 'nowrap'}, h('span', {class: `status-${String(en.status)[0]}`}, en.status || 'dropped'), en.fault_id ? [' ', h('span', {class: 'tag', title: 'answered by a fault'}, en.fault_id)] : null),
        h('td', {class: 'mono nowrap'}, en.route || h('span', {class: 'muted'}, 'unmatched')),
        h('td', {class: 'mono nowrap'}, en.client_id || ''),
        h('td', {class: 'num nowrap'}, en.duration_ms.toFixed(2)));
      const detail = h('tr', {class: 'detail', id: detailId, hidden: !open}, h('td', {colspan: 8}, open ? exchangeView(en) : null));
      toggle.addEventListener('click', () => {
        const now = !expanded.has(en.id);
        if (now) expanded.add(en.id); else expanded.delete(en.id);
        toggle.setAttribute('aria-expanded', String(now));
        detail.hidden = !now;
        if (now && !detail.firstChild.firstChild) detail.firstChild.append(exchangeView(en));
      });
      rows.push(row, detail);
    }
    return table([{label: 'Details'}, {label: 'Time (UTC)'}, {label: 'Method'}, {label: 'Path'}, {label: 'Status'}, {label: 'Route'}, {label: 'Client'}, {label: 'ms', num: true}], rows,
      {caption: 'Recorded requests', empty: 'No requests match. Calls to the API show up here as they happen.'});
  }

  async function loadFaults() {
    try {
      const fs = await api('GET', '/_emulator/faults');
      const rows = fs.data.map((f) => h('tr', {},
        h('td', {class: 'mono'}, f.id),
        h('td', {class: 'mono'}, Object.entries(f.match || {}).map(([k, v]) => `${k}=${v}`).join(' ') || 'every request'),
        h('td', {class: 'mono'}, f.action.preset || (f.action.drop ? 'drop' : f.action.status ? `status ${f.action.status}` : f.action.delay_ms ? `delay ${f.action.delay_ms} ms` : JSON.stringify(f.action))),
        h('td', {class: 'num'}, f.hits),
        h('td', {class: 'num'}, f.remaining === null ? '∞' : f.remaining),
        h('td', {class: 'actions'}, h('button', {type: 'button', class: 'small', 'aria-label': `Remove fault ${f.id}`, onclick: async () => {
          try { await api('DELETE', `/_emulator/faults/${enc(f.id)}`); toast(`Fault ${f.id} removed`); loadFaults(); } catch (e) { toast(e.message, 'error'); }
        }}, 'Remove'))));
      faultsArea.replaceChildren(table([{label: 'ID'}, {label: 'Matches'}, {label: 'Answer'}, {label: 'Hits', num: true}, {label: 'Left', num: true}, {label: 'Actions'}], rows,
        {caption: 'Fault plans', empty: 'No faults: every request gets its real answer.'}));
    } catch (e) { faultsArea.replaceChildren(errorNotice(e)); }
  }

  async function loadLimits() {
    try {
      const rl = await api('GET', '/_emulator/rate-limits');
      const rows = (rl.rules || []).map((r) => {
        const hits = (rl.counters || []).filter((c) => c.rule === r.name);
        const used = hits.reduce((n, c) => Math.max(n, c.count), 0);
        return h('tr', {}, h('td', {class: 'mono'}, r.name || ''), h('td', {class: 'mono'}, [r.method, r.route, r.path].filter(Boolean).join(' ')),
          h('td', {class: 'num'}, `${r.limit} / ${r.window_seconds}s`), h('td', {}, r.key), h('td', {class: 'num'}, hits.length ? `${used} (busiest of ${hits.length})` : '0'));
      });
      const setProfile = async (profile) => {
        try { await api('PUT', '/_emulator/rate-limits', {profile}); toast(profile === 'off' ? 'Rate limits off' : 'Pipedream\'s rate limits on'); loadLimits(); } catch (e) { toast(e.message, 'error'); }
      };
      limitsArea.replaceChildren(
        h('p', {}, 'Profile: ', h('strong', {}, rl.profile || 'custom'), rl.custom_tokens ? ` · ${rl.custom_tokens} custom limits` : ''),
        table([{label: 'Rule'}, {label: 'Matches'}, {label: 'Limit', num: true}, {label: 'Per'}, {label: 'In this window', num: true}], rows,
          {caption: 'Rate-limit rules', empty: 'No rules: nothing is throttled (custom limits set through the API still apply).'}),
        h('div', {class: 'form-actions'},
          h('button', {type: 'button', onclick: () => setProfile('pipedream')}, 'Use Pipedream\'s limits'),
          h('button', {type: 'button', onclick: () => setProfile('off')}, 'Turn off')));
    } catch (e) { limitsArea.replaceChildren(errorNotice(e)); }
  }

  load(); loadFaults(); loadLimits();
  let n = 0;
  timer = setInterval(() => {
    if (document.hidden) return;
    if (liveBox.checked) load();
    if (++n % 3 === 0) { loadFaults(); loadLimits(); }
  }, 1500);
  return () => clearInterval(timer);
}

function messageBody(m) {
  if (m.body === null || m.body === undefined || m.body_encoding === '') return h('p', {class: 'muted'}, 'No body.');
  let text;
  if (m.body_encoding === 'json') text = JSON.stringify(m.body, null, 2);
  else if (m.body_encoding === 'base64') text = `(binary, ${m.body_size} bytes, base64)\n${m.body}`;
  else text = String(m.body);
  return [h('pre', {}, text), m.truncated ? h('p', {class: 'hint'}, `Cut at the journal's limit: the whole body was ${m.body_size} bytes.`) : null];
}

function exchangeView(en) {
  const headers = (hs) => h('pre', {}, Object.entries(hs || {}).map(([k, v]) => `${k}: ${v}`).join('\n') || '(none)');
  return h('div', {class: 'exchange'},
    h('section', {'aria-label': 'Request'}, h('h3', {}, 'Request'), h('p', {class: 'mono'}, `${en.method} ${en.path}${en.query ? '?' + en.query : ''}`),
      headers(en.request.headers), h('h3', {}, 'Body'), messageBody(en.request)),
    h('section', {'aria-label': 'Response'}, h('h3', {}, 'Response'), h('p', {class: 'mono'}, `${en.status || 'no answer (connection dropped)'}${en.error ? ' · ' + en.error : ''}${en.fault_id ? ' · fault ' + en.fault_id : ''}`),
      headers(en.response.headers), h('h3', {}, 'Body'), messageBody(en.response),
      en.near_misses && en.near_misses.length ? [h('h3', {}, 'Did you mean'), h('pre', {}, en.near_misses.join('\n'))] : null));
}

function faultForm(reload) {
  const route = h('input', {type: 'text', spellcheck: 'false', placeholder: 'projects.list'});
  const method = h('select', {}, ['', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => h('option', {value: m}, m || 'Any')));
  const preset = h('select', {}, [['throttled', '429 throttled'], ['token_throttled', '429 token endpoint (empty body)'], ['unavailable', '503 unavailable'],
    ['internal_error', '500 internal error'], ['gateway_timeout', '504 gateway timeout'], ['drop', 'drop the connection']].map(([v, l]) => h('option', {value: v}, l)));
  const times = h('input', {type: 'number', min: '0', value: '1'});
  const routeField = field('Route', route, {hint: 'A glob over route names; empty matches every request.'});
  const err = h('p', {class: 'error-text', role: 'alert', hidden: true});
  return h('form', {'aria-label': 'Add a fault', onsubmit: async (ev) => {
    ev.preventDefault();
    err.hidden = true;
    const match = {};
    if (route.value.trim()) match.route = route.value.trim();
    if (method.value) match.method = method.value;
    const action = preset.value === 'drop' ? {drop: true} : {preset: preset.value};
    const n = Number(times.value);
    if (!Number.isInteger(n) || n < 0) { err.textContent = 'Times must be a whole number, 0 meaning until removed.'; err.hidden = false; return; }
    try {
      const f = await api('POST', '/_emulator/faults', {match, action, times: n});
      toast(`Fault ${f.id} added`);
      route.value = '';
      reload();
    } catch (e) { err.textContent = e.message; err.hidden = false; }
  }},
  h('h3', {}, 'Add a fault'),
  h('div', {class: 'form-grid'}, routeField, field('Method', method), field('Answer', preset), field('Times', times, {hint: '0 means until removed.'})),
  err,
  h('div', {class: 'form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Add fault')));
}

// ----- Connect

function viewConnect(main) {
  const projectSel = h('select', {});
  const envSel = h('select', {}, h('option', {value: 'development'}, 'development'), h('option', {value: 'production'}, 'production'));
  const users = h('div', {}), accounts = h('div', {}), triggers = h('div', {});
  const newUser = h('input', {type: 'text', spellcheck: 'false', placeholder: 'user-123'});
  const newUserField = field('External user ID', newUser);
  main.append(pageHead('Connect', 'The Connect fixtures of a project: its external users, their connected accounts and deployed triggers.'),
    h('div', {class: 'card'}, h('div', {class: 'row'}, field('Project', projectSel), field('Environment', envSel))),
    h('section', {class: 'card', 'aria-labelledby': 'users-title'}, h('h2', {id: 'users-title'}, 'External users'), users,
      h('form', {class: 'inline-form', 'aria-label': 'Add an external user', onsubmit: async (ev) => {
        ev.preventDefault();
        if (!newUser.value.trim()) { newUserField.setError('Enter an external user ID.'); return; }
        try {
          await api('POST', `/_emulator/projects/${enc(projectSel.value)}/users`, {external_id: newUser.value.trim(), environment: envSel.value});
          newUserField.setError(''); newUser.value = ''; loadAll();
        } catch (e) { newUserField.setError(e.message); }
      }}, newUserField, h('button', {type: 'submit'}, 'Add user'))),
    h('section', {class: 'card', 'aria-labelledby': 'accounts-title'}, h('h2', {id: 'accounts-title'}, 'Accounts'), accounts),
    h('section', {class: 'card', 'aria-labelledby': 'triggers-title'}, h('h2', {id: 'triggers-title'}, 'Deployed triggers'), triggers));

  const base = () => `/_emulator/projects/${enc(projectSel.value)}`;
  const envQ = () => `environment=${enc(envSel.value)}`;

  async function loadAll() {
    if (!projectSel.value) return;
    loadUsers(); loadAccounts(); loadTriggers();
  }
  async function loadUsers() {
    try {
      const us = await pageAll(`${base()}/users?${envQ()}`);
      users.replaceChildren(table([{label: 'External ID'}, {label: 'ID'}, {label: 'Created'}, {label: 'Accounts', num: true}, {label: 'Actions'}], us.map((u) => h('tr', {},
        h('td', {}, h('strong', {}, u.external_id)), h('td', {class: 'mono'}, u.id), h('td', {class: 'muted'}, fmtTime(u.created_at)),
        h('td', {class: 'num'}, u.account_count ?? ''),
        h('td', {class: 'actions'}, h('button', {type: 'button', class: 'small', 'aria-label': `Delete user ${u.external_id}`, onclick: async () => {
          if (!await confirmDialog(`Delete user ${u.external_id}?`, 'Their accounts, deployed triggers and Connect tokens go with them.', 'Delete', {danger: true})) return;
          try { await api('DELETE', `${base()}/users/${enc(u.external_id)}?${envQ()}`); toast(`User ${u.external_id} deleted`); loadAll(); } catch (e) { toast(e.message, 'error'); }
        }}, 'Delete')))), {caption: 'External users', empty: 'No external users in this environment.'}));
    } catch (e) { users.replaceChildren(errorNotice(e)); }
  }
  async function loadAccounts() {
    try {
      const as = await pageAll(`${base()}/accounts?${envQ()}`);
      accounts.replaceChildren(table([{label: 'ID'}, {label: 'App'}, {label: 'Name'}, {label: 'External user'}, {label: 'Health'}, {label: 'Created'}, {label: 'Actions'}], as.map((a) => h('tr', {},
        h('td', {class: 'mono'}, a.id), h('td', {}, (a.app && (a.app.name_slug || a.app.name)) || ''), h('td', {}, a.name || ''),
        h('td', {class: 'mono'}, a.external_id || a.external_user_id || ''),
        h('td', {}, a.dead ? h('span', {class: 'badge bad'}, 'Dead') : a.healthy === false ? h('span', {class: 'badge warn'}, 'Unhealthy') : h('span', {class: 'badge ok'}, 'Healthy')),
        h('td', {class: 'muted'}, fmtTime(a.created_at)),
        h('td', {class: 'actions'}, h('button', {type: 'button', class: 'small', 'aria-label': `Delete account ${a.id}`, onclick: async () => {
          if (!await confirmDialog(`Delete account ${a.id}?`, 'Its credentials are forgotten, as when a user disconnects it.', 'Delete', {danger: true})) return;
          try { await api('DELETE', `${base()}/accounts/${enc(a.id)}?${envQ()}`); toast(`Account ${a.id} deleted`); loadAll(); } catch (e) { toast(e.message, 'error'); }
        }}, 'Delete')))), {caption: 'Accounts', empty: 'No connected accounts in this environment.'}));
    } catch (e) { accounts.replaceChildren(errorNotice(e)); }
  }
  async function loadTriggers() {
    try {
      const ts = await pageAll(`${base()}/deployed-triggers?${envQ()}`);
      const rows = [];
      for (const t of ts) {
        const detailId = 'trg-' + t.id;
        const detail = h('tr', {class: 'detail', id: detailId, hidden: true}, h('td', {colspan: 6}));
        const toggle = h('button', {type: 'button', class: 'small', 'aria-expanded': 'false', 'aria-controls': detailId, 'aria-label': `Events of ${t.id}`, onclick: () => {
          const open = toggle.getAttribute('aria-expanded') !== 'true';
          toggle.setAttribute('aria-expanded', String(open));
          detail.hidden = !open;
          if (open) triggerEvents(t, detail.firstChild);
        }}, 'Events');
        rows.push(h('tr', {}, h('td', {class: 'mono'}, t.id), h('td', {class: 'mono'}, t.component_key || t.component_id || ''),
          h('td', {}, t.name || ''), h('td', {class: 'mono'}, t.owner_id || t.external_user_id || ''),
          h('td', {}, t.active === false ? h('span', {class: 'badge'}, 'Paused') : h('span', {class: 'badge ok'}, 'Active')),
          h('td', {class: 'actions'}, toggle)), detail);
      }
      triggers.replaceChildren(table([{label: 'ID'}, {label: 'Component'}, {label: 'Name'}, {label: 'Owner'}, {label: 'State'}, {label: 'Actions'}], rows,
        {caption: 'Deployed triggers', empty: 'No deployed triggers in this environment.'}));
    } catch (e) { triggers.replaceChildren(errorNotice(e)); }
  }

  (async () => {
    try {
      const ps = await pageAll('/_emulator/projects');
      projectSel.replaceChildren(...ps.map((p) => h('option', {value: p.id}, `${p.name} (${p.id})`)));
      if (!ps.length) { users.replaceChildren(h('p', {class: 'empty'}, 'No projects.')); return; }
      loadAll();
    } catch (e) { users.replaceChildren(errorNotice(e)); }
  })();
  projectSel.addEventListener('change', loadAll);
  envSel.addEventListener('change', loadAll);
  return () => {};
}

async function triggerEvents(t, cell) {
  const eventInput = h('textarea', {spellcheck: 'false', rows: 3}, '');
  eventInput.value = '{"hello": "world"}';
  const eventField = field('Event (JSON)', eventInput);
  const summary = h('input', {type: 'text', placeholder: 'New row'});
  const list = h('div', {});
  const load = async () => {
    try {
      const evs = await api('GET', `/_emulator/deployed-triggers/${enc(t.id)}/events?n=20`);
      list.replaceChildren(evs.data.length ? h('ul', {}, evs.data.map((ev) => h('li', {}, h('span', {class: 'muted'}, fmtTime(ev.ts ? new Date(ev.ts).toISOString() : ev.created_at || ''), ' '),
        h('code', {}, ev.id || ''), ' ', ev.sum || ev.summary || '', h('pre', {}, JSON.stringify(ev.e ?? ev.event ?? ev, null, 2))))) : h('p', {class: 'muted'}, 'No events yet.'));
    } catch (e) { list.replaceChildren(errorNotice(e)); }
  };
  cell.replaceChildren(h('div', {style: 'padding:12px 14px'}, h('h3', {style: 'margin-top:0'}, `Events of ${t.id}`), list,
    h('form', {'aria-label': `Emit an event from ${t.id}`, onsubmit: async (ev) => {
      ev.preventDefault();
      let event;
      try { event = JSON.parse(eventInput.value); } catch { eventField.setError('Not valid JSON.'); return; }
      eventField.setError('');
      try {
        await api('POST', `/_emulator/deployed-triggers/${enc(t.id)}/events`, {event, summary: summary.value || undefined});
        toast('Event emitted'); load();
      } catch (e) { eventField.setError(e.message); }
    }}, h('div', {class: 'row'}, eventField, field('Summary', summary)), h('div', {class: 'form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Emit event')))));
  load();
}

// ----- Snapshots

function viewSnapshots(main) {
  const name = h('input', {type: 'text', spellcheck: 'false', placeholder: 'clean'});
  const nameField = field('Snapshot name', name, {hint: '1 to 200 characters.'});
  const list = h('div', {});
  const fileInput = h('input', {type: 'file', accept: 'application/json,.json', id: 'state-file'});
  main.append(pageHead('Snapshots', 'Keep the whole emulator (clients, tokens\' key, Connect data, clock, faults) under a name and go back to it.'),
    h('section', {class: 'card', 'aria-labelledby': 'snap-title'}, h('h2', {id: 'snap-title'}, 'Snapshots'), list,
      h('form', {class: 'inline-form', 'aria-label': 'Take a snapshot', onsubmit: async (ev) => {
        ev.preventDefault();
        const n = name.value;
        if (!n.trim()) { nameField.setError('Enter a name.'); return; }
        try { await api('POST', '/_emulator/snapshots', {name: n}); nameField.setError(''); name.value = ''; toast(`Snapshot ${n} taken`); load(); } catch (e) { nameField.setError(e.message); }
      }}, nameField, h('button', {type: 'submit', class: 'primary'}, 'Take snapshot'))),
    h('div', {class: 'grid-2'},
      h('section', {class: 'card', 'aria-labelledby': 'export-title'}, h('h2', {id: 'export-title'}, 'State file'),
        h('p', {}, 'Download the whole state as one JSON document, or load one. ', h('strong', {}, 'A state document is a secret:'), ' it holds the token signing key.'),
        h('div', {class: 'row'}, h('button', {type: 'button', class: 'primary', onclick: exportState}, 'Export state'),
          h('div', {class: 'field'}, h('label', {for: 'state-file'}, 'Import a state file'), fileInput))),
      h('section', {class: 'card', 'aria-labelledby': 'reset-title'}, h('h2', {id: 'reset-title'}, 'Reset'),
        h('p', {}, 'Go back to the seed pdemu started with: clients, projects and Connect data made since are forgotten, the clock too.'),
        h('button', {type: 'button', class: 'danger', onclick: async () => {
          if (!await confirmDialog('Reset the emulator?', 'Everything made since pdemu started is forgotten. Snapshots stay.', 'Reset', {danger: true})) return;
          try { await api('POST', '/_emulator/reset'); await refreshClock(); toast('Emulator reset'); load(); } catch (e) { toast(e.message, 'error'); }
        }}, 'Reset to the seed'))));

  fileInput.addEventListener('change', async () => {
    const f = fileInput.files[0];
    if (!f) return;
    if (!await confirmDialog(`Import ${f.name}?`, 'The emulator\'s whole state is replaced by the file\'s.', 'Import', {danger: true})) { fileInput.value = ''; return; }
    try {
      const doc = JSON.parse(await f.text());
      await api('PUT', '/_emulator/state', doc);
      await refreshClock();
      toast(`${f.name} imported`);
    } catch (e) { toast(e instanceof SyntaxError ? `${f.name} is not JSON` : e.message, 'error'); }
    fileInput.value = '';
  });

  async function load() {
    try {
      const s = await api('GET', '/_emulator/snapshots');
      list.replaceChildren(table([{label: 'Name'}, {label: 'Taken at'}, {label: 'Actions'}], s.data.map((sn) => h('tr', {},
        h('td', {}, h('strong', {}, sn.name)), h('td', {class: 'muted'}, fmtTime(sn.created_at)),
        h('td', {class: 'actions'},
          h('button', {type: 'button', class: 'small', 'aria-label': `Restore snapshot ${sn.name}`, onclick: async () => {
            if (!await confirmDialog(`Restore ${sn.name}?`, 'The emulator goes back to the snapshot, its clock included. The snapshot stays for next time.', 'Restore')) return;
            try { await api('POST', `/_emulator/snapshots/${enc(sn.name)}/restore`); await refreshClock(); toast(`Snapshot ${sn.name} restored`); } catch (e) { toast(e.message, 'error'); }
          }}, 'Restore'), ' ',
          h('button', {type: 'button', class: 'small', 'aria-label': `Delete snapshot ${sn.name}`, onclick: async () => {
            if (!await confirmDialog(`Delete snapshot ${sn.name}?`, 'The emulator\'s state is not changed.', 'Delete', {danger: true})) return;
            try { await api('DELETE', `/_emulator/snapshots/${enc(sn.name)}`); toast(`Snapshot ${sn.name} deleted`); load(); } catch (e) { toast(e.message, 'error'); }
          }}, 'Delete')))), {caption: 'Snapshots', empty: 'No snapshots. Take one before a test changes things, and restore it after.'}));
    } catch (e) { list.replaceChildren(errorNotice(e)); }
  }
  load();
  return () => {};
}

async function exportState() {
  try {
    const doc = await api('GET', '/_emulator/state');
    const blob = new Blob([JSON.stringify(doc, null, 2) + '\n'], {type: 'application/json'});
    const url = URL.createObjectURL(blob);
    const now = clockNow() || new Date();
    const a = h('a', {href: url, download: `pdemu-state-${now.toISOString().replace(/[:.]/g, '-')}.json`});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    toast('State exported');
  } catch (e) { toast(e.message, 'error'); }
}

// ---------------------------------------------------------------- frame

function applyTheme(theme) {
  const btn = document.getElementById('theme-toggle');
  const dark = theme === 'dark' || (!theme && matchMedia('(prefers-color-scheme: dark)').matches);
  if (theme) document.documentElement.dataset.theme = theme; else delete document.documentElement.dataset.theme;
  btn.setAttribute('aria-pressed', String(dark));
}

let stopView = () => {};
function route() {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const view = views[name] ? name : 'clients';
  stopView();
  const main = document.getElementById('main');
  main.replaceChildren();
  for (const a of document.querySelectorAll('.sidebar a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.title = `${document.querySelector(`.sidebar a[data-view="${view}"]`).textContent} · pdemu console`;
  stopView = views[view](main) || (() => {});
  if (route.moved) main.focus();
  route.moved = true;
}

async function start() {
  applyTheme(localStorage.getItem(THEME_KEY));
  document.getElementById('theme-toggle').addEventListener('click', () => {
    const dark = document.getElementById('theme-toggle').getAttribute('aria-pressed') === 'true';
    const next = dark ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
  });
  try {
    const [caps, scopes] = await Promise.all([api('GET', '/_emulator/capabilities'), api('GET', '/_emulator/scopes')]);
    state.caps = caps.capabilities || [];
    state.scopes = scopes.data || [];
  } catch (e) {
    document.getElementById('main').replaceChildren(errorNotice(e));
    return;
  }
  await refreshClock();
  setInterval(renderClockChip, 1000);
  setInterval(() => { if (!document.hidden) refreshClock(); }, 10000);
  window.addEventListener('hashchange', route);
  route();
  document.body.dataset.ready = 'true';
}

start();
