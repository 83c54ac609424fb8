/**
 * The sandbox page (`GET /`): chat as a customer on the left, watch and act as a rep on the
 * right, conversations listed on top. Plain HTML and vanilla JS polling the control API
 * every second. It lives in a TypeScript string because tsc does not copy .html files;
 * the script avoids backticks and dollar-brace so the string needs no escaping.
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
</style>
</head>
<body>
<header><h1>Freshchat sandbox</h1><small id="account"></small></header>
<main>
  <section>
    <h2>Conversations</h2>
    <div id="conversations" class="list"></div>
  </section>

  <section>
    <h2>Customer</h2>
    <div class="row">
      <select id="user-select" title="Chat as this user"></select>
    </div>
    <div class="row">
      <input id="new-user-email" type="email" placeholder="email (optional)">
      <input id="new-user-name" type="text" placeholder="first name" size="10">
      <button id="create-user" class="secondary">New user</button>
    </div>
    <div class="row">
      <input id="first-message" type="text" placeholder="first message" style="flex:1">
      <button id="start-conversation">Start conversation</button>
    </div>
    <div id="customer-messages" class="messages"></div>
    <div class="row">
      <input id="customer-text" type="text" placeholder="write as the customer" style="flex:1">
      <button id="customer-send">Send</button>
    </div>
    <div id="customer-error" class="error"></div>
  </section>

  <section>
    <h2>Agent view</h2>
    <div id="facts" class="facts muted">No conversation selected.</div>
    <div id="agent-messages" class="messages"></div>
    <div class="row">
      <label>Rep <select id="rep-select"></select></label>
      <label><input id="private-note" type="checkbox"> private note</label>
    </div>
    <textarea id="rep-text" placeholder="write as the rep"></textarea>
    <div class="row" style="margin-top:6px">
      <button id="rep-send">Send</button>
      <button id="assign-me" class="secondary">Assign to me</button>
      <button id="assign-ai" class="secondary">Assign to AI agent</button>
      <button id="assign-queue" class="secondary">To queue</button>
      <button id="resolve" class="secondary">Resolve</button>
      <button id="reopen" class="secondary">Reopen</button>
    </div>
    <div id="agent-error" class="error"></div>
    <div id="deliveries" class="deliveries"></div>
  </section>
</main>

<script>
(function () {
  var state = { agents: [], users: [], conversations: [], groups: [] };
  var selectedId = new URLSearchParams(location.search).get('conversation');
  var chosenUserId = null;

  function $(id) { return document.getElementById(id); }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function time(iso) { return new Date(iso).toLocaleTimeString(); }

  function api(method, path, body) {
    return fetch(path, {
      method: method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = text ? JSON.parse(text) : null;
        if (!response.ok) throw new Error((data && data.message) || ('HTTP ' + response.status));
        return data;
      });
    });
  }
  function reportTo(elementId) {
    return function (error) { $(elementId).textContent = error.message; };
  }
  function clearErrors() { $('customer-error').textContent = ''; $('agent-error').textContent = ''; }

  function agentById(id) { return state.agents.find(function (a) { return a.id === id; }); }
  function userById(id) { return state.users.find(function (u) { return u.id === id; }); }
  function groupById(id) { return state.groups.find(function (g) { return g.id === id; }); }
  /** One name for the AI everywhere: "AI agent". */
  function agentName(agent) {
    if (agent.id === state.ai_agent_id) return 'AI agent';
    return (agent.first_name + ' ' + (agent.last_name || '')).trim();
  }
  /** Escaped text with its web links clickable (a note's trace URL). */
  function linkify(escaped) {
    return escaped.replace(/https?:[/][/][^\\s<]+/g, function (url) {
      return '<a href="' + url + '" target="_blank" rel="noopener">' + url + '</a>';
    });
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
  function textOf(message) {
    return message.message_parts.map(function (part) {
      if (part.text) return '<span class="text">' + linkify(escapeHtml(part.text.content)) + '</span>';
      if (part.image) return '<a href="' + escapeHtml(part.image.url) + '" target="_blank">[image]</a>';
      if (part.file) return '[file ' + escapeHtml(part.file.name) + ']';
      return '[' + escapeHtml(Object.keys(part)[0] || 'part') + ']';
    }).join('<br>');
  }

  function renderAccount() {
    $('account').textContent = 'app ' + state.app_id + ' · channel ' + state.channel_id;
  }

  function renderConversationList() {
    var html = state.conversations.map(function (c) {
      var assignee = c.assigned_agent_id ? agentById(c.assigned_agent_id) : null;
      return '<div class="conversation' + (c.conversation_id === selectedId ? ' selected' : '') +
        '" data-id="' + escapeHtml(c.conversation_id) + '">' +
        '<div class="who">' + escapeHtml(userLabel(userById(c.user_id))) + '</div>' +
        '<span class="status ' + c.status + '">' + c.status + '</span> ' +
        '<span class="muted">' + (assignee ? escapeHtml(agentName(assignee)) : 'unassigned') +
        ' · ' + time(c.updated_time) + '</span></div>';
    }).join('');
    $('conversations').innerHTML = html || '<div class="empty">No conversations yet.</div>';
  }

  function fillSelect(select, options, selectedValue) {
    var html = options.map(function (o) {
      return '<option value="' + escapeHtml(o.value) + '"' + (o.value === selectedValue ? ' selected' : '') + '>' +
        escapeHtml(o.label) + '</option>';
    }).join('');
    if (select.innerHTML !== html) select.innerHTML = html;
  }

  function renderSelects() {
    var userOptions = state.users.map(function (u) { return { value: u.id, label: userLabel(u) }; });
    if (!chosenUserId && state.users.length) chosenUserId = state.users[state.users.length - 1].id;
    var selected = state.conversations.find(function (c) { return c.conversation_id === selectedId; });
    fillSelect($('user-select'), userOptions, selected ? selected.user_id : chosenUserId);
    var reps = state.agents.filter(function (a) { return a.id !== state.ai_agent_id; });
    var currentRep = $('rep-select').value || (reps[0] && reps[0].id);
    fillSelect($('rep-select'), reps.map(function (a) { return { value: a.id, label: agentName(a) + ' <' + a.email + '>' }; }), currentRep);
  }

  function renderMessages(targetId, messages, forCustomer) {
    var target = $(targetId);
    var atBottom = target.scrollHeight - target.scrollTop - target.clientHeight < 30;
    var shown = forCustomer ? messages.filter(function (m) { return m.message_type !== 'private'; }) : messages;
    var html = shown.map(function (m) {
      var kind = m.actor_type === 'user' ? 'customer' : (m.actor_type === 'system' ? 'system' : 'agent');
      var classes = 'message ' + kind;
      if (m.message_type === 'private') classes += ' private';
      if (forCustomer && m.actor_type === 'user') classes += ' mine';
      // The customer sees "You" and "Support"; the rep sees who exactly wrote each message.
      var label = forCustomer ? (m.actor_type === 'user' ? 'You' : (m.actor_type === 'system' ? 'System' : 'Support')) : authorOf(m);
      return '<div class="' + classes + '"><div class="author">' + escapeHtml(label) +
        (m.message_type === 'private' ? '<span class="badge">PRIVATE NOTE</span>' : '') +
        ' <span class="muted">' + time(m.created_time) + '</span></div>' + textOf(m) + '</div>';
    }).join('');
    html = html || '<div class="empty">No messages.</div>';
    if (target.innerHTML !== html) {
      target.innerHTML = html;
      if (atBottom) target.scrollTop = target.scrollHeight;
    }
  }

  function renderSelected(detail, deliveries) {
    if (!detail) {
      $('facts').textContent = 'No conversation selected.';
      renderMessages('agent-messages', [], false);
      renderMessages('customer-messages', [], true);
      $('deliveries').innerHTML = '';
      return;
    }
    var c = detail.conversation;
    var assignee = c.assigned_agent_id ? agentById(c.assigned_agent_id) : null;
    var group = c.assigned_group_id ? groupById(c.assigned_group_id) : null;
    $('facts').innerHTML = '<span class="status ' + c.status + '">' + c.status + '</span> ' +
      'assignee: <b>' + (assignee ? escapeHtml(c.assigned_agent_id === state.ai_agent_id ? 'AI agent' : agentName(assignee)) : 'nobody') + '</b>' +
      (group ? ' · group: ' + escapeHtml(group.name) : '') +
      ' · customer: ' + escapeHtml(userLabel(userById(c.user_id))) +
      '<br><span class="muted">' + escapeHtml(c.conversation_id) + '</span>';
    renderMessages('agent-messages', detail.messages, false);
    renderMessages('customer-messages', detail.messages, true);
    $('deliveries').innerHTML = '<b>Webhooks</b><br>' + deliveries.slice().reverse().map(function (d) {
      return escapeHtml(d.action) + ' · ' + d.status + ' · attempts ' + d.attempts +
        (d.last_status_code ? ' · HTTP ' + d.last_status_code : '');
    }).join('<br>');
  }

  function refresh() {
    var requests = [api('GET', '/sandbox/state')];
    if (selectedId) {
      // An unknown conversation (a stale link after a restart) just clears the selection.
      requests.push(api('GET', '/sandbox/conversations/' + encodeURIComponent(selectedId)).catch(function () { return null; }));
      requests.push(api('GET', '/sandbox/webhooks?conversation_id=' + encodeURIComponent(selectedId)));
    }
    return Promise.all(requests).then(function (results) {
      state = results[0];
      if (selectedId && !results[1]) selectedId = null;
      renderAccount();
      renderConversationList();
      renderSelects();
      renderSelected(results[1], results[2] || []);
    }).catch(function (error) { console.warn('sandbox refresh failed', error); });
  }

  function select(conversationId) {
    selectedId = conversationId;
    history.replaceState(null, '', conversationId ? '?conversation=' + encodeURIComponent(conversationId) : '/');
    clearErrors();
    return refresh();
  }

  function selectedConversationPath(action) {
    if (!selectedId) throw new Error('Select a conversation first');
    return '/sandbox/conversations/' + encodeURIComponent(selectedId) + '/' + action;
  }
  /** Runs a rep action on the selected conversation and shows its error, if any. */
  function repAction(action, body) {
    clearErrors();
    try {
      return api('POST', selectedConversationPath(action), body).then(refresh).catch(reportTo('agent-error'));
    } catch (error) { reportTo('agent-error')(error); }
  }

  $('conversations').addEventListener('click', function (event) {
    var item = event.target.closest('.conversation');
    if (item) select(item.getAttribute('data-id'));
  });
  $('user-select').addEventListener('change', function () {
    chosenUserId = $('user-select').value;
    var current = state.conversations.find(function (c) { return c.conversation_id === selectedId; });
    if (current && current.user_id !== chosenUserId) {
      var latest = state.conversations.find(function (c) { return c.user_id === chosenUserId; });
      select(latest ? latest.conversation_id : null);
    }
  });
  $('create-user').addEventListener('click', function () {
    clearErrors();
    var body = {};
    if ($('new-user-email').value.trim()) body.email = $('new-user-email').value.trim();
    if ($('new-user-name').value.trim()) body.first_name = $('new-user-name').value.trim();
    api('POST', '/sandbox/users', body).then(function (user) {
      chosenUserId = user.id;
      $('new-user-email').value = ''; $('new-user-name').value = '';
      return select(null);
    }).catch(reportTo('customer-error'));
  });
  $('start-conversation').addEventListener('click', function () {
    clearErrors();
    var userId = $('user-select').value;
    if (!userId) { $('customer-error').textContent = 'Create a user first'; return; }
    var body = { user_id: userId };
    if ($('first-message').value.trim()) body.text = $('first-message').value.trim();
    api('POST', '/sandbox/conversations', body).then(function (created) {
      $('first-message').value = '';
      return select(created.conversation_id);
    }).catch(reportTo('customer-error'));
  });
  function sendAsCustomer() {
    clearErrors();
    var text = $('customer-text').value.trim();
    if (!text) return;
    if (!selectedId) { $('customer-error').textContent = 'Start or select a conversation first'; return; }
    api('POST', selectedConversationPath('customer-messages'), { text: text }).then(function () {
      $('customer-text').value = '';
      return refresh();
    }).catch(reportTo('customer-error'));
  }
  $('customer-send').addEventListener('click', sendAsCustomer);
  $('customer-text').addEventListener('keydown', function (event) { if (event.key === 'Enter') sendAsCustomer(); });

  $('rep-send').addEventListener('click', function () {
    var text = $('rep-text').value.trim();
    if (!text) return;
    var body = { agent_id: $('rep-select').value, text: text, message_type: $('private-note').checked ? 'private' : 'normal' };
    var done = repAction('agent-messages', body);
    if (done) done.then(function () { if (!$('agent-error').textContent) $('rep-text').value = ''; });
  });
  $('assign-me').addEventListener('click', function () {
    repAction('assign', { agent_id: $('rep-select').value });
  });
  $('assign-ai').addEventListener('click', function () {
    repAction('assign', { agent_id: state.ai_agent_id, assignor_id: $('rep-select').value });
  });
  $('assign-queue').addEventListener('click', function () {
    repAction('assign', { agent_id: '', assignor_id: $('rep-select').value });
  });
  $('resolve').addEventListener('click', function () {
    repAction('resolve', { agent_id: $('rep-select').value });
  });
  $('reopen').addEventListener('click', function () {
    repAction('reopen', { by: 'agent', agent_id: $('rep-select').value });
  });

  refresh();
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>
`;
