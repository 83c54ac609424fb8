/**
 * The sandbox page (`GET /`): chat as a customer on the left, watch and act as a rep on the
 * right, conversations listed on top. Plain HTML and vanilla JS polling the control API
 * every second. It lives in a TypeScript string because tsc does not copy .html files;
 * the script avoids backticks and dollar-brace so the string needs no escaping. Whatever the
 * sandbox holds (customer text, names, ids) is shown as text nodes, never parsed as HTML.
 */
export function renderSandboxPage(): string {
  return PAGE_HTML;
}

const PAGE_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Freshchat sandbox</title>
<link rel="icon" href="data:,">
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f3f5f8; }
  header { padding: 10px 16px; background: #12344d; color: #fff; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 17px; margin: 0; }
  header small { opacity: .75; }
  main { display: grid; grid-template-columns: 260px 1fr 1.3fr; gap: 12px; padding: 12px; height: calc(100vh - 44px); }
  section { background: #fff; border: 1px solid #d9dee6; border-radius: 6px; padding: 10px; display: flex; flex-direction: column; min-height: 0; }
  h2 { font-size: 14px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .04em; color: #51607a; }
  .list { overflow-y: auto; flex: 1; }
  .conversation { padding: 6px 8px; border-radius: 4px; cursor: pointer; border: 1px solid transparent; margin-bottom: 4px; }
  .conversation:hover { background: #eef2f7; }
  .conversation.selected { border-color: #2c7be5; background: #eaf2fd; }
  .conversation .who { font-weight: 600; }
  .muted { color: #6b7890; font-size: 12px; }
  .status { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 600; background: #e3e8ef; }
  .status.new { background: #fff1c2; } .status.assigned { background: #d6ecff; }
  .status.resolved { background: #d8f5df; } .status.reopened { background: #ffe0d6; }
  .row { display: flex; gap: 6px; margin-bottom: 6px; flex-wrap: wrap; align-items: center; }
  input[type=text], input[type=email], select, textarea { font: inherit; padding: 5px 7px; border: 1px solid #c4ccd8; border-radius: 4px; }
  textarea { width: 100%; resize: vertical; min-height: 48px; }
  button { font: inherit; padding: 5px 10px; border: 1px solid #2c7be5; background: #2c7be5; color: #fff; border-radius: 4px; cursor: pointer; }
  button.secondary { background: #fff; color: #2c7be5; }
  button:disabled { opacity: .5; cursor: default; }
  .messages { flex: 1; overflow-y: auto; padding: 6px; background: #f8f9fb; border-radius: 4px; margin-bottom: 8px; }
  .message { margin: 6px 0; padding: 6px 9px; border-radius: 6px; max-width: 85%; background: #fff; border: 1px solid #e0e5ec; }
  .message.customer { background: #eaf2fd; }
  .message.mine { margin-left: auto; background: #2c7be5; color: #fff; border-color: #2c7be5; }
  .message.private { background: #fff8d6; border: 1px dashed #d4a800; }
  .message.system { background: #eef0f3; font-style: italic; }
  .message .author { font-size: 12px; font-weight: 600; margin-bottom: 2px; }
  .message.mine .author, .message.mine .muted { color: #dbe9fc; }
  .message .text { white-space: pre-wrap; overflow-wrap: anywhere; }
  .message.mine a { color: #fff; }
  .badge { display: inline-block; font-size: 10px; font-weight: 700; padding: 0 5px; border-radius: 3px; background: #d4a800; color: #fff; margin-left: 4px; }
  .facts { margin-bottom: 8px; }
  .deliveries { max-height: 120px; overflow-y: auto; font-size: 12px; border-top: 1px solid #e0e5ec; padding-top: 6px; }
  .error { color: #b42318; min-height: 1.2em; font-size: 12px; }
  .empty { color: #8a96a8; font-style: italic; padding: 8px; }
  .notice { color: #146c2e; min-height: 1.2em; font-size: 12px; }
  .hint { margin-bottom: 6px; }
  .banner { margin: 12px 12px 0; padding: 6px 10px; border-radius: 4px; background: #fde7e4; color: #b42318; border: 1px solid #f3b8b0; }
  .banner:not([hidden]) + main { height: calc(100vh - 90px); }
  textarea.private { background: #fff8d6; border-style: dashed; }
  .delivery.failed { color: #b42318; font-weight: 600; }
  .delivery.pending, .delivery.skipped { color: #6b7890; }
  .conversation:focus-visible { outline: 2px solid #2c7be5; }
  .approval { padding: 6px 8px; border-radius: 4px; background: #fff8d6; border: 1px dashed #d4a800; }
  .approval[hidden] { display: none; }
</style>
</head>
<body>
<header><h1>Freshchat sandbox</h1><small id="account"></small></header>
<div id="connection" class="banner" role="alert" hidden></div>
<main>
  <section>
    <h2>Conversations</h2>
    <div id="conversations" class="list"></div>
  </section>

  <section>
    <h2>Customer</h2>
    <div class="row">
      <label>Chat as <select id="user-select"></select></label>
      <button id="new-conversation" class="secondary" title="Your next message starts a new conversation">New conversation</button>
    </div>
    <div class="row">
      <input id="new-user-email" type="email" placeholder="email (optional)">
      <input id="new-user-name" type="text" placeholder="first name (optional)" size="14">
      <button id="create-user" class="secondary">New customer</button>
    </div>
    <div id="customer-hint" class="muted hint"></div>
    <div id="customer-messages" class="messages"></div>
    <div class="row">
      <input id="customer-text" type="text" placeholder="Write as the customer (Enter sends)" style="flex:1" autocomplete="off">
      <button id="customer-send">Send as customer</button>
    </div>
    <div id="customer-error" class="error" role="alert"></div>
  </section>

  <section>
    <h2>Agent view</h2>
    <div id="facts" class="facts muted"></div>
    <div id="agent-messages" class="messages"></div>
    <div id="approval" class="row approval" hidden>
      <span style="flex:1">The AI agent waits for a rep to approve an action (its private note says which).</span>
      <button id="approve-action" title="Adds the private note /approve as the rep chosen below">Approve action</button>
      <button id="decline-action" class="secondary" title="Asks for a reason, then adds the private note /decline with it">Decline action…</button>
    </div>
    <div class="row">
      <label>Acting as <select id="rep-select"></select></label>
      <label title="Only reps see a private note"><input id="private-note" type="checkbox" autocomplete="off"> private note</label>
    </div>
    <textarea id="rep-text"></textarea>
    <div class="row" style="margin-top:6px">
      <button id="rep-send">Send reply</button>
      <button id="assign-me" class="secondary" title="Assign the conversation to the rep you act as">Assign to me</button>
      <button id="assign-ai" class="secondary" title="Hand the conversation (back) to the AI agent">Assign to AI agent</button>
      <button id="assign-queue" class="secondary" title="Take the assignee away: the conversation waits in the queue">Unassign (to queue)</button>
      <button id="resolve" class="secondary" title="Only an open conversation can be resolved">Resolve</button>
      <button id="reopen" class="secondary" title="Only a resolved conversation can be reopened">Reopen</button>
    </div>
    <div id="agent-status" class="notice" role="status"></div>
    <div id="agent-error" class="error" role="alert"></div>
    <div id="deliveries" class="deliveries"></div>
  </section>
</main>

<script>
(function () {
  var state = { agents: [], users: [], conversations: [], groups: [] };
  var selectedId = new URLSearchParams(location.search).get('conversation');
  var chosenUserId = null;
  var repKey = 'freshchat-sandbox.rep';
  var chosenRepId = readStored(repKey);
  /** The selected conversation as last shown, for the buttons. */
  var shown = null;
  /** A rep action in flight: its buttons wait, so a double click sends nothing twice. */
  var busy = false;
  var refreshSeq = 0;
  var renderedSeq = 0;
  var shownKeys = {};
  /** Per message pane: false once the reader scrolled up, true again at the bottom. */
  var following = {};

  function $(id) { return document.getElementById(id); }
  function readStored(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function writeStored(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function time(iso) { return new Date(iso).toLocaleTimeString(); }

  /** An element whose text is set as text, never parsed as HTML. */
  function el(tag, className, children) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      element.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return element;
  }
  function link(url, text) {
    var a = el('a', null, [text]);
    a.href = url; a.target = '_blank'; a.rel = 'noopener';
    return a;
  }
  /** Replaces what target shows only when it changed: text selections, open dropdowns and scrolling survive polling. */
  function show(target, key, build) {
    if (shownKeys[target.id] === key) return false;
    shownKeys[target.id] = key;
    target.replaceChildren.apply(target, build().filter(function (node) { return node !== null && node !== undefined; }));
    return true;
  }

  function api(method, path, body) {
    return fetch(path, {
      method: method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var error = new Error((data && data.message) || ('HTTP ' + response.status + ' from ' + method + ' ' + path));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }
  function describeError(error) {
    if (error instanceof TypeError) return 'Cannot reach the sandbox at ' + location.origin + ' (is it still running?)';
    return error.message;
  }
  function reportTo(elementId) {
    return function (error) { $(elementId).textContent = describeError(error); };
  }
  function clearNotices() {
    ['customer-error', 'agent-error', 'agent-status'].forEach(function (id) { $(id).textContent = ''; });
  }

  function agentById(id) { return state.agents.find(function (a) { return a.id === id; }); }
  function userById(id) { return state.users.find(function (u) { return u.id === id; }); }
  function groupById(id) { return state.groups.find(function (g) { return g.id === id; }); }
  /** One name for the AI everywhere: "AI agent". */
  function agentName(agent) {
    if (agent.id === state.ai_agent_id) return 'AI agent';
    return (agent.first_name + ' ' + (agent.last_name || '')).trim();
  }
  function repName() {
    var rep = agentById($('rep-select').value);
    return rep ? agentName(rep) : 'the rep';
  }
  /** A message's text with its web links clickable (a note's trace URL). */
  function textWithLinks(text) {
    var nodes = [];
    var pattern = /https?:[/][/][^\\s<>"]+/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text))) {
      if (match.index > last) nodes.push(text.slice(last, match.index));
      nodes.push(link(match[0], match[0]));
      last = match.index + match[0].length;
    }
    if (last < text.length) nodes.push(text.slice(last));
    return nodes;
  }
  function textOf(message) {
    return message.message_parts.map(function (part) { return part.text ? part.text.content : ''; }).join('\\n');
  }
  /**
   * An action waits for a rep while the AI agent's latest private note is its approval request
   * and no rep has answered it since with a private note starting /approve or /decline (the
   * commands the product reads).
   */
  function actionAwaitingApproval(messages) {
    var waiting = false;
    messages.forEach(function (m) {
      if (m.message_type !== 'private' || m.actor_type !== 'agent') return;
      var text = textOf(m);
      if (m.actor_id === state.ai_agent_id) waiting = /^\\s*Action waiting for approval/.test(text);
      else if (/^\\s*[/](approve|decline)\\b/i.test(text)) waiting = false;
    });
    return waiting;
  }
  function userLabel(user) {
    if (!user) return 'unknown user';
    return user.email || user.first_name || ('user ' + user.id.slice(0, 8));
  }

  /** Who wrote a message, as a rep reading the conversation would put it. */
  function authorOf(message) {
    if (message.actor_type === 'user') return 'Customer (' + userLabel(userById(message.user_id)) + ')';
    if (message.actor_type === 'agent') {
      var agent = agentById(message.actor_id);
      return agent ? agentName(agent) : 'Agent ' + (message.actor_id || '(automated)');
    }
    if (message.actor_type === 'bot') return 'Bot';
    return 'System';
  }
  function partsOf(message) {
    var nodes = [];
    message.message_parts.forEach(function (part, index) {
      if (index > 0) nodes.push(el('br'));
      if (part.text) nodes.push(el('span', 'text', textWithLinks(part.text.content)));
      else if (part.image) nodes.push(/^https?:/i.test(String(part.image.url)) ? link(String(part.image.url), '[image]') : '[image]');
      else if (part.file) nodes.push('[file ' + part.file.name + ']');
      else nodes.push('[' + (Object.keys(part)[0] || 'part') + ']');
    });
    return nodes;
  }

  function renderAccount() {
    var target = state.webhook_url
      ? 'webhooks go to ' + state.webhook_url
      : 'webhooks are not sent: no webhook URL is set (SANDBOX_WEBHOOK_URL)';
    $('account').textContent = 'app ' + state.app_id + ' · channel ' + state.channel_id + ' · ' + target;
  }

  function renderConversationList() {
    show($('conversations'), JSON.stringify([selectedId, state.conversations, state.users]), function () {
      if (!state.conversations.length) return [el('div', 'empty', ['No conversations yet: write as the customer to start one.'])];
      return state.conversations.map(function (c) {
        var assignee = c.assigned_agent_id ? agentById(c.assigned_agent_id) : null;
        var item = el('div', 'conversation' + (c.conversation_id === selectedId ? ' selected' : ''), [
          el('div', 'who', [userLabel(userById(c.user_id))]),
          el('span', 'status ' + c.status, [c.status]), ' ',
          el('span', 'muted', [(assignee ? agentName(assignee) : 'unassigned') + ' · ' + time(c.updated_time)])
        ]);
        item.setAttribute('data-id', c.conversation_id);
        item.setAttribute('role', 'button');
        item.tabIndex = 0;
        return item;
      });
    });
  }

  function fillSelect(select, options, selectedValue) {
    show(select, JSON.stringify([options, selectedValue]), function () {
      return options.map(function (o) {
        var option = el('option', null, [o.label]);
        option.value = o.value;
        option.selected = o.value === selectedValue;
        return option;
      });
    });
    select.value = selectedValue || '';
  }

  function renderSelects() {
    var selected = state.conversations.find(function (c) { return c.conversation_id === selectedId; });
    if (!chosenUserId && state.users.length) chosenUserId = state.users[state.users.length - 1].id;
    var userOptions = state.users.map(function (u) { return { value: u.id, label: userLabel(u) }; });
    if (!userOptions.length) userOptions = [{ value: '', label: 'a new customer (made when you write)' }];
    fillSelect($('user-select'), userOptions, selected ? selected.user_id : (chosenUserId || ''));
    var reps = state.agents.filter(function (a) { return a.id !== state.ai_agent_id; });
    if (!reps.some(function (a) { return a.id === chosenRepId; })) chosenRepId = reps[0] && reps[0].id;
    fillSelect($('rep-select'), reps.map(function (a) { return { value: a.id, label: agentName(a) + ' <' + a.email + '>' }; }), chosenRepId);
  }

  function renderMessages(targetId, messages, forCustomer) {
    var target = $(targetId);
    var visible = forCustomer ? messages.filter(function (m) { return m.message_type !== 'private'; }) : messages;
    return show(target, JSON.stringify([visible, state.users.length]), function () {
      if (!visible.length) return [el('div', 'empty', [forCustomer ? 'No messages yet.' : 'No conversation selected.'])];
      return visible.map(function (m) {
        var kind = m.actor_type === 'user' ? 'customer' : (m.actor_type === 'system' ? 'system' : 'agent');
        var classes = 'message ' + kind;
        if (m.message_type === 'private') classes += ' private';
        if (forCustomer && m.actor_type === 'user') classes += ' mine';
        // The customer sees "You" and "Support"; the rep sees who exactly wrote each message.
        var label = forCustomer ? (m.actor_type === 'user' ? 'You' : (m.actor_type === 'system' ? 'System' : 'Support')) : authorOf(m);
        return el('div', classes, [
          el('div', 'author', [label, m.message_type === 'private' ? el('span', 'badge', ['PRIVATE NOTE']) : null, ' ', el('span', 'muted', [time(m.created_time)])])
        ].concat(partsOf(m)));
      });
    });
  }
  /**
   * Keeps each message pane at its latest message unless the reader scrolled up, also when
   * the pane got shorter (the webhook list grew): after everything is laid out, so the
   * scroll event that follows sees the final layout.
   */
  function followPanes() {
    ['agent-messages', 'customer-messages'].forEach(function (id) {
      var pane = $(id);
      if (following[id] !== false) pane.scrollTop = pane.scrollHeight;
    });
  }

  function renderFacts(c) {
    show($('facts'), JSON.stringify(c), function () {
      if (!c) return ['Pick a conversation on the left to see it as a rep and act on it.'];
      var assignee = c.assigned_agent_id ? agentById(c.assigned_agent_id) : null;
      var group = c.assigned_group_id ? groupById(c.assigned_group_id) : null;
      var status = el('span', 'status ' + c.status, [c.status]);
      status.id = 'conversation-status';
      var assigned = el('b', null, [assignee ? agentName(assignee) : 'nobody (in the queue)']);
      assigned.id = 'conversation-assignee';
      return [
        status, ' assigned to: ', assigned,
        group ? ' · group: ' + group.name : null,
        ' · customer: ' + userLabel(userById(c.user_id)),
        el('br'), el('span', 'muted', ['conversation ' + c.conversation_id])
      ];
    });
  }

  function renderDeliveries(deliveries) {
    show($('deliveries'), JSON.stringify([selectedId, deliveries]), function () {
      if (!selectedId) return [];
      var lines = deliveries.slice().reverse().map(function (d) {
        var line = el('div', 'delivery ' + d.status, [
          d.action + ' · ' + d.status + ' · attempts ' + d.attempts +
          (d.last_status_code ? ' · HTTP ' + d.last_status_code : '') + (d.last_error ? ' · ' + d.last_error : '')
        ]);
        if (d.status === 'skipped') line.title = 'Not sent: no webhook URL was set';
        return line;
      });
      return [el('b', null, ['Webhooks sent for this conversation, newest first'])].concat(lines.length ? lines : [el('div', 'muted', ['none yet'])]);
    });
  }

  function renderCustomerHint(c) {
    var text;
    if (!c) {
      text = state.users.length
        ? 'No conversation open: your message starts a new one as ' + userLabel(userById($('user-select').value)) + '.'
        : 'Write a message: it starts a conversation as a new customer.';
    } else if (c.status === 'resolved') {
      text = 'This conversation is resolved: a new message reopens it, as in Freshchat.';
    } else {
      text = 'You are the customer of this conversation; private notes are not shown here.';
    }
    $('customer-hint').textContent = text;
  }

  function updateButtons() {
    var c = shown;
    var none = !c || busy;
    $('rep-send').disabled = none;
    $('assign-me').disabled = none;
    $('assign-ai').disabled = none;
    $('assign-queue').disabled = none || !c.assigned_agent_id;
    $('resolve').disabled = none || c.status === 'resolved';
    $('reopen').disabled = none || c.status !== 'resolved';
    $('approve-action').disabled = none;
    $('decline-action').disabled = none;
  }

  function render(detail, deliveries) {
    shown = detail ? detail.conversation : null;
    renderAccount();
    renderConversationList();
    renderSelects();
    renderFacts(shown);
    renderMessages('agent-messages', detail ? detail.messages : [], false);
    $('approval').hidden = !(detail && actionAwaitingApproval(detail.messages));
    renderMessages('customer-messages', detail ? detail.messages : [], true);
    renderDeliveries(deliveries);
    renderCustomerHint(shown);
    updateButtons();
    followPanes();
  }

  function setConnection(error) {
    var banner = $('connection');
    banner.hidden = !error;
    banner.textContent = error ? describeError(error) + '. What is shown may be out of date; retrying every second.' : '';
  }

  function refresh() {
    var seq = ++refreshSeq;
    var id = selectedId;
    var stale = false;
    return api('GET', '/sandbox/state').then(function (next) {
      // A stale link (the sandbox keeps everything in memory) is not asked for: it is said so.
      stale = Boolean(id) && !next.conversations.some(function (c) { return c.conversation_id === id; });
      var details = id && !stale
        ? [api('GET', '/sandbox/conversations/' + encodeURIComponent(id)), api('GET', '/sandbox/webhooks?conversation_id=' + encodeURIComponent(id))]
        : [];
      return Promise.all([next].concat(details));
    }).then(function (results) {
      if (seq < renderedSeq || id !== selectedId) return; // a late answer, or the selection changed meanwhile
      renderedSeq = seq;
      setConnection(null);
      state = results[0];
      if (stale) {
        selectedId = null;
        history.replaceState(null, '', location.pathname);
        $('agent-error').textContent = 'Conversation ' + id + ' does not exist (any more): the sandbox forgets everything when it restarts.';
      }
      render(results[1] || null, results[2] || []);
    }).catch(function (error) {
      if (seq >= renderedSeq) setConnection(error);
    });
  }

  function select(conversationId) {
    selectedId = conversationId;
    history.replaceState(null, '', conversationId ? '?conversation=' + encodeURIComponent(conversationId) : location.pathname);
    clearNotices();
    return refresh();
  }

  /** Runs a rep action on the selected conversation; says what happened (which webhook) or why not. */
  function repAction(action, body, outcome) {
    clearNotices();
    if (!selectedId) { $('agent-error').textContent = 'Pick a conversation on the left first.'; return Promise.resolve(false); }
    busy = true;
    updateButtons();
    return api('POST', '/sandbox/conversations/' + encodeURIComponent(selectedId) + '/' + action, body)
      .then(function (result) { $('agent-status').textContent = outcome(result); return true; })
      .catch(function (error) { reportTo('agent-error')(error); return false; })
      .then(function (ok) {
        busy = false;
        return refresh().then(function () { return ok; });
      });
  }
  function changed(done, webhook) {
    return function (result) {
      return result.webhook_sent ? done + ': ' + webhook + ' webhook queued (deliveries below).' : 'Nothing changed, so no webhook was sent.';
    };
  }

  ['agent-messages', 'customer-messages'].forEach(function (id) {
    $(id).addEventListener('scroll', function () {
      var pane = $(id);
      following[id] = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 30;
    });
  });
  $('conversations').addEventListener('click', function (event) {
    var item = event.target.closest('.conversation');
    if (item) select(item.getAttribute('data-id'));
  });
  $('conversations').addEventListener('keydown', function (event) {
    var item = event.target.closest('.conversation');
    if (item && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); select(item.getAttribute('data-id')); }
  });
  $('user-select').addEventListener('change', function () {
    chosenUserId = $('user-select').value;
    var latest = state.conversations.find(function (c) { return c.user_id === chosenUserId; });
    select(latest ? latest.conversation_id : null);
  });
  $('new-conversation').addEventListener('click', function () {
    select(null).then(function () { $('customer-text').focus(); });
  });
  $('create-user').addEventListener('click', function () {
    clearNotices();
    var body = {};
    if ($('new-user-email').value.trim()) body.email = $('new-user-email').value.trim();
    if ($('new-user-name').value.trim()) body.first_name = $('new-user-name').value.trim();
    api('POST', '/sandbox/users', body).then(function (user) {
      chosenUserId = user.id;
      $('new-user-email').value = ''; $('new-user-name').value = '';
      return select(null);
    }).catch(reportTo('customer-error'));
  });
  /** The customer chatting: the chosen user, or a new one when there is none yet. */
  function customerId() {
    var id = $('user-select').value;
    if (id) return Promise.resolve(id);
    return api('POST', '/sandbox/users', {}).then(function (user) { chosenUserId = user.id; return user.id; });
  }
  function sendAsCustomer() {
    clearNotices();
    var text = $('customer-text').value.trim();
    if (!text) { $('customer-error').textContent = 'Type a message first.'; return; }
    var button = $('customer-send');
    button.disabled = true;
    var sent = selectedId
      ? api('POST', '/sandbox/conversations/' + encodeURIComponent(selectedId) + '/customer-messages', { text: text }).then(function () {
        $('customer-text').value = '';
        return refresh();
      })
      : customerId().then(function (userId) {
        return api('POST', '/sandbox/conversations', { user_id: userId, text: text });
      }).then(function (created) {
        $('customer-text').value = '';
        return select(created.conversation_id);
      });
    sent.catch(reportTo('customer-error'))
      .then(function () { button.disabled = false; });
  }
  $('customer-send').addEventListener('click', sendAsCustomer);
  $('customer-text').addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.isComposing) sendAsCustomer();
  });

  $('rep-select').addEventListener('change', function () {
    chosenRepId = $('rep-select').value;
    writeStored(repKey, chosenRepId);
  });
  /** The send button says what it sends: a reply the customer reads, or a private note. */
  function showNoteMode() {
    var note = $('private-note').checked;
    $('rep-send').textContent = note ? 'Add private note' : 'Send reply';
    $('rep-text').classList.toggle('private', note);
    $('rep-text').placeholder = note
      ? 'A private note: only reps see it (Ctrl+Enter adds it)'
      : 'A reply to the customer as the rep chosen above (Ctrl+Enter sends)';
  }
  $('private-note').addEventListener('change', showNoteMode);
  function sendAsRep() {
    var text = $('rep-text').value.trim();
    if (!text) { clearNotices(); $('agent-error').textContent = 'Write the reply first.'; return; }
    var note = $('private-note').checked;
    var body = { agent_id: $('rep-select').value, text: text, message_type: note ? 'private' : 'normal' };
    var done = (note ? 'Private note added by ' : 'Reply sent by ') + repName() + ': message_create webhook queued (deliveries below).';
    repAction('agent-messages', body, function () { return done; }).then(function (ok) { if (ok) $('rep-text').value = ''; });
  }
  $('rep-send').addEventListener('click', sendAsRep);
  $('rep-text').addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); if (!$('rep-send').disabled) sendAsRep(); }
  });
  $('assign-me').addEventListener('click', function () {
    repAction('assign', { agent_id: $('rep-select').value }, changed('Assigned to ' + repName(), 'conversation_assignment'));
  });
  $('assign-ai').addEventListener('click', function () {
    repAction('assign', { agent_id: state.ai_agent_id, assignor_id: $('rep-select').value }, changed('Assigned to the AI agent', 'conversation_assignment'));
  });
  $('assign-queue').addEventListener('click', function () {
    repAction('assign', { agent_id: '', assignor_id: $('rep-select').value }, changed('Unassigned (back in the queue)', 'conversation_assignment'));
  });
  $('resolve').addEventListener('click', function () {
    repAction('resolve', { agent_id: $('rep-select').value }, changed('Resolved by ' + repName(), 'conversation_resolution'));
  });
  $('reopen').addEventListener('click', function () {
    repAction('reopen', { by: 'agent', agent_id: $('rep-select').value }, changed('Reopened by ' + repName(), 'conversation_reopen'));
  });

  /** A rep's verdict on the waiting action: a private note, added as "Add private note" adds one. */
  function decideAction(text, done) {
    if (busy) return;
    var body = { agent_id: $('rep-select').value, text: text, message_type: 'private' };
    var outcome = done + ' by ' + repName() + ': private note "' + text + '" added, message_create webhook queued (deliveries below).';
    repAction('agent-messages', body, function () { return outcome; });
  }
  $('approve-action').addEventListener('click', function () { decideAction('/approve', 'Action approved'); });
  $('decline-action').addEventListener('click', function () {
    if (busy) return;
    var reason = prompt('Why do you decline the action? The AI agent hands the conversation to the team.');
    if (reason === null) return; // cancelled: nothing is sent
    reason = reason.trim().replace(/\\s+/g, ' ');
    decideAction(reason ? '/decline ' + reason : '/decline', 'Action declined');
  });

  showNoteMode();
  refresh();
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>
`;
