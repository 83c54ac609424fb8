/**
 * The dashboard page (`GET /dashboard` on the ops listener) and its script. Plain HTML and
 * vanilla JS, kept in TypeScript strings because tsc does not copy other files; the script
 * avoids backticks and dollar-brace so the string needs no escaping. Every value from the
 * store reaches the DOM through textContent (or a checked http(s) href), never as HTML.
 *
 * The date inputs pick whole UTC days, both ends included: the page asks for
 * [from, to + 1 day), the half-open range the API counts.
 */

export const dashboardPageHtml = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Freshchat AI agent: dashboard</title>
<link rel="icon" href="data:,">
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f3f5f8; }
  header { padding: 10px 16px; background: #12344d; color: #fff; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 17px; margin: 0; }
  header form { display: flex; gap: 8px; align-items: center; }
  header input { font: inherit; padding: 3px 6px; border-radius: 4px; border: 1px solid #c4ccd8; }
  header button { font: inherit; padding: 4px 12px; border: 1px solid #fff; background: #2c7be5; color: #fff; border-radius: 4px; cursor: pointer; }
  #range-shown { opacity: .8; font-size: 12px; }
  main { padding: 12px 16px; display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); }
  section { background: #fff; border: 1px solid #d9dee6; border-radius: 6px; padding: 10px 12px; min-width: 0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 13px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .04em; color: #51607a; }
  .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 8px; }
  .figure { border: 1px solid #e3e8ef; border-radius: 4px; padding: 6px 8px; }
  .figure .label { color: #51607a; font-size: 12px; }
  .figure .value { font-size: 20px; font-weight: 600; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eef1f5; white-space: nowrap; }
  td.number, th.number { text-align: right; }
  .chart { position: relative; height: 220px; }
  .latest { overflow-x: auto; }
  #error { display: none; background: #ffe0d6; color: #7a2000; border: 1px solid #f3b7a3; border-radius: 6px; padding: 8px 12px; margin: 12px 16px 0; }
  .muted { color: #6b7890; }
</style>
</head>
<body>
<header>
  <h1>Freshchat AI agent: dashboard</h1>
  <form id="range-form">
    <label>From <input type="date" id="from" required></label>
    <label>To <input type="date" id="to" required></label>
    <button type="submit" id="apply">Show</button>
  </form>
  <span id="range-shown" data-testid="range-shown"></span>
</header>
<div id="error" data-testid="error" role="alert"></div>
<main>
  <section class="wide">
    <h2>Sessions started in the range</h2>
    <div class="figures">
      <div class="figure"><div class="label">Sessions</div><div class="value" data-testid="sessions"></div></div>
      <div class="figure"><div class="label">AI touched</div><div class="value" data-testid="aiTouched"></div></div>
      <div class="figure"><div class="label">AI resolution rate</div><div class="value" data-testid="aiResolutionRate"></div></div>
      <div class="figure"><div class="label">Durable AI resolution</div><div class="value" data-testid="durableAiResolutionRate"></div></div>
      <div class="figure"><div class="label">AI confirmed</div><div class="value" data-testid="outcome-aiConfirmed"></div></div>
      <div class="figure"><div class="label">AI assumed</div><div class="value" data-testid="outcome-aiAssumed"></div></div>
      <div class="figure"><div class="label">Resolved by a rep</div><div class="value" data-testid="outcome-rep"></div></div>
      <div class="figure"><div class="label">Resolved by ops</div><div class="value" data-testid="outcome-ops"></div></div>
      <div class="figure"><div class="label">Open</div><div class="value" data-testid="outcome-open"></div></div>
      <div class="figure"><div class="label">Escalated</div><div class="value" data-testid="escalated-total"></div></div>
      <div class="figure"><div class="label" id="reopened-label">Reopened</div><div class="value" data-testid="reopened-count"></div></div>
    </div>
  </section>
  <section class="wide">
    <h2>AI resolution rate per day (UTC)</h2>
    <div class="chart"><canvas id="daily-chart" aria-label="AI resolution rate per day, confirmed and assumed"></canvas></div>
  </section>
  <section>
    <h2>Escalations by rule</h2>
    <div class="chart"><canvas id="rules-chart" aria-label="Escalations by rule"></canvas></div>
    <table><thead><tr><th>Rule</th><th class="number">Sessions</th></tr></thead><tbody id="rules" data-testid="rules"></tbody></table>
  </section>
  <section>
    <h2>Topics</h2>
    <div class="chart"><canvas id="topics-chart" aria-label="Sessions by topic"></canvas></div>
    <table><thead><tr><th>Topic</th><th class="number">Sessions</th></tr></thead><tbody id="topics" data-testid="topics"></tbody></table>
  </section>
  <section>
    <h2>Sentiment</h2>
    <div class="chart"><canvas id="sentiments-chart" aria-label="Sessions by sentiment"></canvas></div>
    <table><thead><tr><th>Sentiment</th><th class="number">Sessions</th></tr></thead><tbody id="sentiments" data-testid="sentiments"></tbody></table>
  </section>
  <section>
    <h2>Open sessions by state</h2>
    <table><thead><tr><th>State</th><th class="number">Sessions</th></tr></thead><tbody id="open-states" data-testid="open-states"></tbody></table>
  </section>
  <section class="wide latest">
    <h2>Latest sessions</h2>
    <table>
      <thead><tr><th>Started (UTC)</th><th>Conversation</th><th class="number">Session</th><th>State</th><th>Outcome</th><th>Escalation rule</th><th>Topic</th><th>Sentiment</th><th>Trace</th></tr></thead>
      <tbody id="latest" data-testid="latest"></tbody>
    </table>
  </section>
</main>
<script src="/dashboard/assets/chart.umd.min.js"></script>
<script src="/dashboard/assets/dashboard.js"></script>
</body>
</html>
`;

export const dashboardScript = String.raw`'use strict';
(function () {
  var dayMs = 86400000;
  var charts = {};
  var byId = function (id) { return document.getElementById(id); };
  var byTestId = function (id) { return document.querySelector('[data-testid="' + id + '"]'); };

  function utcDay(date) { return date.toISOString().slice(0, 10); }
  function nextDay(day) { return utcDay(new Date(Date.parse(day + 'T00:00:00Z') + dayMs)); }
  function percent(rate) { return rate === null ? '—' : (rate * 100).toFixed(1) + '%'; }
  function orNone(value) { return value === null || value === '' ? '(none)' : String(value); }

  function setText(testId, value) { byTestId(testId).textContent = String(value); }

  function cell(row, value, className) {
    var td = document.createElement('td');
    if (className) td.className = className;
    if (value instanceof Node) td.appendChild(value); else td.textContent = value;
    row.appendChild(td);
    return td;
  }

  /** A link only to an http(s) address: a stored URL never becomes javascript: or data:. */
  function link(href, text) {
    var safe = null;
    try { var url = new URL(href); if (url.protocol === 'https:' || url.protocol === 'http:') safe = url.href; } catch (e) { safe = null; }
    if (!safe) return document.createTextNode(text);
    var a = document.createElement('a');
    a.href = safe;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.textContent = text;
    return a;
  }

  function fillCounts(tbodyId, rows, labelOf) {
    var tbody = byId(tbodyId);
    tbody.replaceChildren();
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      cell(tr, labelOf(r));
      cell(tr, String(r.sessions), 'number');
      tbody.appendChild(tr);
    });
    if (rows.length === 0) {
      var tr = document.createElement('tr');
      cell(tr, 'none in this range').className = 'muted';
      cell(tr, '');
      tbody.appendChild(tr);
    }
  }

  function drawChart(id, config) {
    if (typeof Chart === 'undefined') return;
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts[id] = new Chart(byId(id), config);
  }

  function barChart(id, labels, values, label) {
    drawChart(id, { type: 'bar', data: { labels: labels, datasets: [{ label: label, data: values, backgroundColor: '#2c7be5' }] }, options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
  }

  function showReport(report) {
    setText('sessions', report.sessions);
    setText('aiTouched', report.aiTouched);
    setText('aiResolutionRate', percent(report.aiResolutionRate));
    setText('durableAiResolutionRate', percent(report.durableAiResolutionRate));
    ['aiConfirmed', 'aiAssumed', 'rep', 'ops', 'open'].forEach(function (k) { setText('outcome-' + k, report.outcomes[k]); });
    setText('escalated-total', report.escalated.total);
    setText('reopened-count', report.reopened.count);
    byId('reopened-label').textContent = 'Reopened within ' + report.reopened.withinDays + ' days';
    byTestId('range-shown').textContent = 'sessions started in [' + report.from + ', ' + report.to + ')';
    var rules = Object.keys(report.escalated.byRule).map(function (rule) { return { rule: rule, sessions: report.escalated.byRule[rule] }; });
    rules.sort(function (a, b) { return b.sessions - a.sessions; });
    fillCounts('rules', rules, function (r) { return r.rule; });
    barChart('rules-chart', rules.map(function (r) { return r.rule; }), rules.map(function (r) { return r.sessions; }), 'Escalations');
  }

  function showDashboard(data) {
    drawChart('daily-chart', {
      type: 'bar',
      data: {
        labels: data.days.map(function (d) { return d.day; }),
        datasets: [
          { label: 'AI confirmed', data: data.days.map(function (d) { return d.confirmedRate === null ? null : d.confirmedRate * 100; }), backgroundColor: '#1f9d55', stack: 'ai' },
          { label: 'AI assumed', data: data.days.map(function (d) { return d.assumedRate === null ? null : d.assumedRate * 100; }), backgroundColor: '#f2b134', stack: 'ai' },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, max: 100, title: { display: true, text: '% of AI-touched sessions' } } } },
    });
    fillCounts('topics', data.topics, function (r) { return orNone(r.topic); });
    barChart('topics-chart', data.topics.map(function (r) { return orNone(r.topic); }), data.topics.map(function (r) { return r.sessions; }), 'Sessions');
    fillCounts('sentiments', data.sentiments, function (r) { return orNone(r.sentiment); });
    barChart('sentiments-chart', data.sentiments.map(function (r) { return orNone(r.sentiment); }), data.sentiments.map(function (r) { return r.sessions; }), 'Sessions');
    fillCounts('open-states', data.openByState, function (r) { return r.state; });

    var tbody = byId('latest');
    tbody.replaceChildren();
    data.latestSessions.forEach(function (s) {
      var tr = document.createElement('tr');
      cell(tr, s.startedAt.replace('T', ' ').slice(0, 19));
      cell(tr, s.freshchatUrl ? link(s.freshchatUrl, s.conversationId) : s.conversationId);
      cell(tr, String(s.sessionNumber), 'number');
      cell(tr, s.state);
      cell(tr, s.outcome);
      cell(tr, orNone(s.escalationRule));
      cell(tr, orNone(s.topic));
      cell(tr, orNone(s.sentiment));
      cell(tr, s.traceUrl ? link(s.traceUrl, 'Web UI') : '');
      tbody.appendChild(tr);
    });
  }

  function showError(message) {
    var box = byId('error');
    box.textContent = message;
    box.style.display = message ? 'block' : 'none';
  }

  function getJson(path) {
    return fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) throw new Error((body && body.error) || ('HTTP ' + res.status));
        return body;
      });
    });
  }

  function load() {
    var from = byId('from').value;
    var to = byId('to').value;
    if (!from || !to) { showError('pick both dates'); return; }
    var query = '?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(nextDay(to));
    history.replaceState(null, '', '?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to));
    document.body.removeAttribute('data-loaded');
    Promise.all([getJson('/reports' + query), getJson('/reports/dashboard' + query)]).then(function (answers) {
      showError('');
      showReport(answers[0]);
      showDashboard(answers[1]);
      document.body.setAttribute('data-loaded', query);
    }, function (error) {
      showError('Could not load the report: ' + error.message);
      document.body.setAttribute('data-loaded', 'error');
    });
  }

  var params = new URLSearchParams(location.search);
  var today = utcDay(new Date());
  byId('to').value = params.get('to') || today;
  byId('from').value = params.get('from') || utcDay(new Date(Date.parse(today + 'T00:00:00Z') - 29 * dayMs));
  byId('range-form').addEventListener('submit', function (event) { event.preventDefault(); load(); });
  load();
})();
`;
