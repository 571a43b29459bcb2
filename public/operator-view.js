/*
 * The operator's view (/ops, CONTRACT §8): renders the `state` the gateway sends over the Socket.IO
 * namespace /ops about once a second, updating rows in place so that focus and selects survive.
 * Every value is set with textContent, never innerHTML.
 */
(function () {
  'use strict';

  const CIRCUIT_TEXT = { closed: 'закрыта', open: 'открыта', 'half-open': 'полуоткрыта', none: 'нет узла' };
  const MODES = ['normal', 'down', 'slow', 'flaky', 'ratelimited'];
  const STALE_MS = 5000;

  const status = document.getElementById('ops-status');
  const announce = document.getElementById('ops-announce');
  const insurersBody = document.getElementById('insurers-body');
  const nodesList = document.getElementById('nodes-list');
  const sandboxSection = document.getElementById('sandbox-section');
  const sandboxList = document.getElementById('sandbox-list');
  const sandboxError = document.getElementById('sandbox-error');

  const circuits = new Map(); // code -> last circuit seen, to announce changes only
  let lastStateAt = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function time(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return d.toLocaleTimeString('ru-RU', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function dateTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    const today = new Date().toDateString() === d.toDateString();
    return today ? time(iso) : d.toLocaleString('ru-RU');
  }

  function percent(share) {
    return share === null || share === undefined ? '—' : (share * 100).toFixed(1).replace('.', ',') + ' %';
  }

  function number(value) {
    return value === null || value === undefined ? '—' : String(value);
  }

  function setConnection(kind, text) {
    status.dataset.connection = kind;
    status.textContent = text;
  }

  /* ---------- insurers ---------- */

  function insurerRow(code) {
    let row = insurersBody.querySelector('tr[data-insurer="' + window.CSS.escape(code) + '"]');
    if (row) return row;
    row = el('tr');
    row.dataset.insurer = code;
    const name = el('th');
    name.scope = 'row';
    row.append(name);
    for (const cell of ['circuit', 'since', 'success', 'p50', 'p95', 'in-flight', 'per-minute', 'errors']) {
      const td = el('td');
      td.dataset.cell = cell;
      row.append(td);
    }
    insurersBody.append(row);
    return row;
  }

  function cell(row, name) {
    return row.querySelector('[data-cell="' + name + '"]');
  }

  function renderErrors(target, errors) {
    target.replaceChildren();
    if (!errors.length) {
      target.textContent = '—';
      return;
    }
    const list = el('ul', 'ops-errors');
    for (const run of sameInARow(errors)) {
      const item = el('li');
      const when = el('time', null, dateTime(run.last.at));
      when.dateTime = run.last.at;
      const from = dateTime(run.first.at);
      if (from !== when.textContent) item.append(from + '–');
      item.append(when);
      if (run.count > 1) item.append(el('b', 'ops-repeat', ' ×' + run.count));
      item.append(' ', el('span', null, run.last.message), el('span', 'ops-muted', ' (' + run.last.nodeID + ')'));
      list.append(item);
    }
    target.append(list);
  }

  /** Errors newest first, the same message from the same node in a row told once: { last, first, count }. */
  function sameInARow(errors) {
    const runs = [];
    for (const error of errors) {
      const run = runs[runs.length - 1];
      if (run && run.last.message === error.message && run.last.nodeID === error.nodeID) {
        run.first = error;
        run.count += 1;
      } else {
        runs.push({ last: error, first: error, count: 1 });
      }
    }
    return runs;
  }

  function renderInsurer(insurer) {
    const row = insurerRow(insurer.code);
    row.dataset.circuit = insurer.circuit;
    row.querySelector('th').textContent = insurer.name + ' (' + insurer.code + ')';
    const circuit = cell(row, 'circuit');
    circuit.replaceChildren(el('span', 'ops-circuit ops-circuit-' + insurer.circuit, CIRCUIT_TEXT[insurer.circuit] || insurer.circuit));
    if (insurer.nodes.length > 1) {
      // which node is failing: each node's own circuit and calls
      const perNode = insurer.nodes.map((n) => n.nodeID + ': ' + (CIRCUIT_TEXT[n.state] || n.state) + ', ' + n.recentCalls + ' выз., ошибок ' + percent(n.failureRate));
      circuit.append(el('div', 'ops-muted ops-per-node', perNode.join('; ')));
    }
    const since = cell(row, 'since');
    since.textContent = dateTime(insurer.circuitSince);
    cell(row, 'success').textContent = percent(insurer.successRate) + (insurer.recentCalls ? ' из ' + insurer.recentCalls : '');
    cell(row, 'p50').textContent = number(insurer.p50LatencyMs);
    cell(row, 'p95').textContent = number(insurer.p95LatencyMs);
    cell(row, 'in-flight').textContent = number(insurer.inFlight);
    cell(row, 'per-minute').textContent = number(insurer.perMinute);
    renderErrors(cell(row, 'errors'), insurer.lastErrors);

    const before = circuits.get(insurer.code);
    if (before !== undefined && before !== insurer.circuit) {
      announce.textContent = insurer.name + ': цепь ' + (CIRCUIT_TEXT[insurer.circuit] || insurer.circuit) + ' с ' + time(insurer.circuitSince);
    }
    circuits.set(insurer.code, insurer.circuit);
  }

  /* ---------- nodes ---------- */

  function renderNodes(nodes) {
    const seen = new Set();
    for (const node of nodes) {
      seen.add(node.nodeID);
      let item = nodesList.querySelector('li[data-node="' + window.CSS.escape(node.nodeID) + '"]');
      if (!item) {
        item = el('li', 'ops-node');
        item.dataset.node = node.nodeID;
        nodesList.append(item);
      }
      item.dataset.available = String(node.available);
      const parts = node.parts.map((p) => (p === 'insurers' ? 'insurers (' + node.insurers + ')' : p)).join(', ');
      const title = el('strong', null, node.nodeID);
      const state = el('span', node.available ? 'ops-up' : 'ops-down', node.available ? 'на связи' : 'недоступен');
      item.replaceChildren(title, ' ', state, node.local ? el('span', 'ops-muted', ' (этот шлюз)') : '', el('div', 'ops-parts', parts || 'нет частей'));
      item.dataset.parts = node.parts.join(',');
    }
    for (const item of Array.from(nodesList.children)) if (!seen.has(item.dataset.node)) item.remove();
  }

  /* ---------- sandbox ---------- */

  function setMode(code, mode, select) {
    sandboxError.textContent = '';
    select.disabled = true;
    socket.timeout(5000).emit('sandbox-mode', { code, mode }, (err, answer) => {
      select.disabled = false;
      if (err || !answer || !answer.ok) {
        sandboxError.textContent = 'Не удалось переключить ' + code + ': ' + (err ? 'нет ответа' : (answer && answer.error && answer.error.detail) || 'ошибка');
      }
    });
  }

  function renderSandbox(insurers) {
    sandboxSection.hidden = !insurers;
    if (!insurers) return;
    for (const insurer of insurers) {
      let item = sandboxList.querySelector('li[data-sandbox-insurer="' + window.CSS.escape(insurer.code) + '"]');
      if (!item) {
        item = el('li', 'ops-sandbox-item');
        item.dataset.sandboxInsurer = insurer.code;
        const id = 'mode-' + insurer.code;
        const label = el('label', null, insurer.name);
        label.htmlFor = id;
        const select = el('select');
        select.id = id;
        select.name = 'mode.' + insurer.code;
        for (const mode of MODES) {
          const option = el('option', null, mode);
          option.value = mode;
          select.append(option);
        }
        select.addEventListener('change', () => setMode(insurer.code, select.value, select));
        item.append(label, select, el('span', 'ops-muted ops-calls'));
        sandboxList.append(item);
      }
      const select = item.querySelector('select');
      // the operator may be choosing right now: not overwritten while it has the focus
      if (document.activeElement !== select && !select.disabled) select.value = insurer.mode;
      item.dataset.mode = insurer.mode;
      item.querySelector('.ops-calls').textContent = 'вызовов: ' + insurer.calls;
    }
  }

  /* ---------- live ---------- */

  function render(state) {
    lastStateAt = Date.now();
    setConnection('live', 'Обновлено в ' + time(state.at) + (state.unanswered.length ? '; не ответили: ' + state.unanswered.join(', ') : ''));
    state.insurers.forEach(renderInsurer);
    renderNodes(state.nodes);
    renderSandbox(state.sandbox);
  }

  const socket = window.io('/ops', { transports: ['websocket', 'polling'] });
  socket.on('state', render);
  socket.on('connect', () => setConnection('live', 'На связи, ждём данные…'));
  socket.on('disconnect', (reason) => {
    setConnection('lost', 'Связь потеряна, переподключаемся…');
    // the server let go (its session ended, or the gateway is stopping): Socket.IO does not come
    // back by itself then; asking again says which (`login` reloads into the key form)
    if (reason === 'io server disconnect') window.setTimeout(() => socket.connect(), 1000);
  });
  socket.on('connect_error', (err) => {
    if (err && err.message === 'login') {
      window.location.reload(); // the session ended: the server shows the key form
      return;
    }
    if (err && err.message === 'forbidden') {
      setConnection('off', 'Пульт выключен: задайте OPS_KEY.');
      socket.disconnect();
      return;
    }
    setConnection('lost', 'Нет связи с шлюзом, пробуем снова…');
  });

  window.setInterval(() => {
    if (lastStateAt && Date.now() - lastStateAt > STALE_MS && status.dataset.connection === 'live') {
      setConnection('stale', 'Данные устарели: последнее обновление в ' + time(new Date(lastStateAt).toISOString()));
    }
  }, 1000);
})();
