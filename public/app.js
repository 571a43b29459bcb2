/*
 * The live part of the page: sends the application over Socket.IO (CONTRACT §3), shows each
 * insurer's answer as it comes (§4), and picks the application up again after a reconnect, a
 * reload or in another tab or browser.
 *
 * The results' address: once `apply` is acknowledged, the page's URL becomes
 *   /#/quote/<id>/<token>          (id and token each encodeURIComponent'ed)
 * through history.replaceState, and is shown as «Ссылка на расчёт». Opening such an address
 * subscribes with that id and token and shows the snapshot, pending or completed. It lives in the
 * fragment, which no request carries, so the token never reaches a server log. sessionStorage
 * only adds this tab's deadline (for the countdown) and insurer list. Both: quote-address.js.
 *
 * The results container `#results` carries data-state = idle | quoting | completed; each insurer's
 * row `li[data-insurer][data-status]` (CONTRACT §7); an offer's row has a button that unfolds
 * `[data-breakdown]`, why the price is what it is (breakdown.js). Insurer names, reasons and the
 * offer's figures come from outside: they are only ever set with textContent.
 */
(function () {
  'use strict';

  const F = window.OsagoForm;
  const B = window.OsagoBreakdown;
  const address = window.OsagoQuoteAddress;
  const APPLY_TIMEOUT_MS = 30000;
  const SUBSCRIBE_TIMEOUT_MS = 10000;
  const MAX_SUBSCRIBE_RETRIES = 8;
  const FINAL = ['offer', 'declined', 'failed', 'unavailable', 'timeout'];

  const results = document.getElementById('results');
  const heading = document.getElementById('results-title');
  const summary = document.getElementById('results-summary');
  const quoteList = document.getElementById('quotes');
  const countdown = document.getElementById('countdown');
  const countdownText = document.getElementById('countdown-text');
  const countdownFill = document.getElementById('countdown-fill');
  const connection = document.getElementById('connection');
  const submitButton = document.getElementById('submit-button');
  const submitStatus = document.getElementById('submit-status');
  const announcer = document.getElementById('announcer');
  const newQuoteButton = document.getElementById('new-quote');

  const money = new Intl.NumberFormat('ru-RU', { style: 'currency', currency: 'RUB' });
  const IDLE_TEXT = summary.textContent;
  const dateTime = new Intl.DateTimeFormat('ru-RU', {
    day: 'numeric',
    month: 'long',
    hour: '2-digit',
    minute: '2-digit',
  });

  /** The application on screen: { id, token, deadline, insurers, startedAt }, or null. */
  let current = null;
  let completed = false;
  /** insurer code → { el, parts, name, status, premium, reason, offer, order, breakdown } */
  const rows = new Map();
  /**
   * What this page itself sent for the application on screen (see factsOf), or null after a
   * reload. Only in memory: the drivers' names are personal data and stay out of sessionStorage.
   */
  let sent = null;
  let countdownTimer = null;
  let applying = false;
  let early = []; // events that came while an `apply` waited for its ack
  let subscribeTimer = null;
  let subscribeAttempts = 0;
  let socket = null;

  /* ---------- formatting ---------- */

  const STATUS_TEXT = {
    pending: 'ждём ответа',
    offer: 'предложение',
    declined: 'отказ',
    failed: 'ошибка',
    unavailable: 'недоступна',
    timeout: 'не успела ответить',
  };

  function formatRoubles(value) {
    return money.format(value);
  }

  function statusText(row) {
    if (row.status === 'declined') return row.reason ? 'отказ: ' + row.reason : 'отказ';
    return STATUS_TEXT[row.status] || String(row.status);
  }

  function detailText(row) {
    if (row.status === 'offer') {
      const parts = [];
      const offer = row.offer || {};
      const until = Date.parse(offer.validUntil);
      if (Number.isFinite(until)) parts.push('действует до ' + dateTime.format(new Date(until)));
      return parts.join('; ');
    }
    if (row.status === 'failed' || row.status === 'unavailable' || row.status === 'timeout') return row.reason;
    return '';
  }

  /* ---------- rows ---------- */

  function isFinal(status) {
    return FINAL.includes(status);
  }

  function hasPremium(row) {
    return row.status === 'offer' && typeof row.premium === 'number' && Number.isFinite(row.premium);
  }

  function resetRows() {
    rows.clear();
    quoteList.textContent = '';
  }

  function span(className) {
    const el = document.createElement('span');
    el.className = className;
    return el;
  }

  /** The row of an insurer `{ code, name }`, made (status pending) on first sight. */
  function ensureRow(insurer) {
    if (!insurer || typeof insurer !== 'object' || insurer.code === undefined || insurer.code === null) return null;
    const code = String(insurer.code);
    const known = rows.get(code);
    if (known) return known;

    const el = document.createElement('li');
    el.className = 'quote';
    el.dataset.insurer = code;
    el.dataset.status = 'pending';
    const parts = {
      name: span('quote-name'),
      best: span('quote-best'),
      status: span('quote-status'),
      spinner: span('quote-spinner'),
      statusText: span('quote-status-text'),
      premium: span('quote-premium'),
      detail: span('quote-detail'),
    };
    parts.best.textContent = 'лучшая цена';
    // The spinner only shows that the row waits; the words beside it («ждём ответа») say so to all.
    parts.spinner.setAttribute('aria-hidden', 'true');
    parts.status.append(parts.spinner, parts.statusText);
    const head = span('quote-head');
    // Spaces between the parts keep the row's text (and what a screen reader says) readable.
    // The "best price" badge is attached to the best row only (markBest), so no other row's text has it.
    head.append(parts.name);
    el.append(head, ' ', parts.status, ' ', parts.premium, ' ', parts.detail);

    const row = {
      el,
      parts,
      name: typeof insurer.name === 'string' && insurer.name ? insurer.name : code,
      status: 'pending',
      premium: undefined,
      reason: '',
      offer: null,
      order: rows.size,
      breakdown: null,
    };
    rows.set(code, row);
    quoteList.appendChild(el);
    renderRow(row);
    return row;
  }

  function renderRow(row) {
    const { el, parts } = row;
    el.dataset.status = row.status;
    parts.name.textContent = row.name;
    parts.statusText.textContent = statusText(row);
    parts.spinner.hidden = row.status !== 'pending';
    parts.premium.textContent = hasPremium(row) ? formatRoubles(row.premium) : '';
    parts.premium.hidden = !hasPremium(row);
    const detail = detailText(row) || '';
    parts.detail.textContent = detail;
    parts.detail.hidden = !detail;
    B.render(row, sent);
  }

  /**
   * One Quote of CONTRACT §4 onto its row. A final state is never taken back by a late `pending`.
   * Returns the row when it has just become an offer (for the announcement), else null.
   */
  function applyQuote(quote) {
    if (!quote || typeof quote !== 'object') return;
    const row = ensureRow(quote.insurer);
    if (!row) return;
    const status = typeof quote.status === 'string' && quote.status ? quote.status : 'pending';
    if (isFinal(row.status) && !isFinal(status)) return null;
    const wasOffer = hasPremium(row);
    if (quote.insurer && typeof quote.insurer.name === 'string' && quote.insurer.name) row.name = quote.insurer.name;
    row.status = status;
    const premium = typeof quote.premium === 'number' ? quote.premium : Number(quote.premium);
    row.premium = quote.premium !== undefined && quote.premium !== null && Number.isFinite(premium) ? premium : undefined;
    row.reason = typeof quote.reason === 'string' ? quote.reason : '';
    row.offer = quote.offer && typeof quote.offer === 'object' ? quote.offer : null;
    renderRow(row);
    return !wasOffer && hasPremium(row) ? row : null;
  }

  function bestRow(bestOffer) {
    let best = null;
    for (const row of rows.values()) {
      if (hasPremium(row) && (!best || row.premium < best.premium)) best = row;
    }
    // On a tie, follow the server's choice.
    const code = bestOffer && bestOffer.insurer ? bestOffer.insurer.code : undefined;
    const named = code !== undefined && code !== null ? rows.get(String(code)) : undefined;
    if (best && named && hasPremium(named) && named.premium === best.premium) best = named;
    return best;
  }

  function markBest(best) {
    for (const row of rows.values()) {
      const isBest = row === best;
      row.el.classList.toggle('quote--best', isBest);
      if (isBest) {
        row.el.dataset.best = 'true';
        if (!row.parts.best.isConnected) row.parts.name.after(' ', row.parts.best);
      } else {
        delete row.el.dataset.best;
        row.parts.best.remove();
      }
    }
  }

  /** Offers by premium, cheapest first; then the others in their first order. */
  function sortRows() {
    const sorted = Array.from(rows.values()).sort((a, b) => {
      const ao = hasPremium(a);
      const bo = hasPremium(b);
      if (ao && bo) return a.premium - b.premium || a.order - b.order;
      if (ao !== bo) return ao ? -1 : 1;
      return a.order - b.order;
    });
    // Moving a row takes the focus off its breakdown button: it is given back.
    const focused = quoteList.contains(document.activeElement) ? document.activeElement : null;
    sorted.forEach((row, i) => {
      if (quoteList.children[i] !== row.el) quoteList.insertBefore(row.el, quoteList.children[i] || null);
    });
    if (focused && document.activeElement !== focused) focused.focus({ preventScroll: true });
  }

  function updateSummary(best) {
    const total = rows.size;
    if (completed) {
      const offers = Array.from(rows.values()).filter(hasPremium).length;
      if (offers && best) {
        summary.textContent =
          'Готово. Предложений: ' + offers + ' из ' + total + '. Лучшая цена — ' + best.name + ', ' +
          formatRoubles(best.premium) + '.';
      } else {
        summary.textContent = 'Готово. Предложений нет — попробуйте изменить данные или повторить расчёт позже.';
      }
      return;
    }
    const answered = Array.from(rows.values()).filter((r) => isFinal(r.status)).length;
    const leader = bestRow();
    summary.textContent = total
      ? 'Запрашиваем цены. Ответили ' + answered + ' из ' + total + '.' +
        (leader ? ' Пока лучшая цена — ' + leader.name + ', ' + formatRoubles(leader.premium) + '.' : '')
      : 'Запрашиваем цены у страховых…';
  }

  /* ---------- announcements ---------- */

  /*
   * What a screen reader says as it happens: a polite live region of its own, one line per event
   * (the request sent, each new offer, the end). The rows themselves are not live: they move as
   * offers are sorted, and a live list would read every moved row out again.
   */
  function announce(text) {
    if (!text) return;
    const line = document.createElement('p');
    line.textContent = text;
    announcer.append(line);
    while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
  }

  /** Rows that have just become offers: each by name while few, else how many. */
  function announceOffers(fresh) {
    if (fresh.length > 2) announce('Новых предложений: ' + fresh.length + '.');
    else for (const row of fresh) announce('Предложение: ' + row.name + ', ' + formatRoubles(row.premium) + '.');
  }

  /* ---------- countdown ---------- */

  function stopCountdown() {
    if (countdownTimer !== null) window.clearInterval(countdownTimer);
    countdownTimer = null;
    countdown.hidden = true;
  }

  function startCountdown(deadline, startedAt) {
    stopCountdown();
    const end = Date.parse(deadline);
    if (!Number.isFinite(end)) return;
    const start = Number.isFinite(startedAt) && startedAt < end ? startedAt : Date.now();
    countdown.hidden = false;
    const tick = () => {
      const now = Date.now();
      const left = end - now;
      if (left > 0) {
        // Whole seconds, as CONTRACT §7 says [data-countdown] shows: «Ждём ответов ещё 42 с».
        const s = Math.ceil(left / 1000);
        countdownText.textContent = 'Ждём ответов ещё ' + s + ' с';
        countdownText.dataset.secondsLeft = String(s);
      } else {
        countdownText.textContent = 'Ждём ответов ещё 0 с — время вышло, подводим итоги…';
        countdownText.dataset.secondsLeft = '0';
      }
      const share = Math.min(1, Math.max(0, (now - start) / Math.max(1, end - start)));
      countdownFill.style.width = (share * 100).toFixed(1) + '%';
    };
    tick();
    countdownTimer = window.setInterval(tick, 500);
  }

  /**
   * Brings the results into view and the focus to their heading: on a phone they are below the
   * long form, so the page scrolls them to the top of the screen; beside the form (a wide screen,
   * where they stay in sight) nothing moves.
   */
  function revealResults() {
    heading.focus({ preventScroll: true });
    const box = results.getBoundingClientRect();
    const beside = box.left >= F.form.getBoundingClientRect().right;
    if (beside || (box.top >= 0 && box.top <= window.innerHeight * 0.25)) return;
    const reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    results.scrollIntoView({ block: 'start', behavior: reduce ? 'auto' : 'smooth' });
  }

  /* ---------- application lifecycle ---------- */

  function showQuoting() {
    completed = false;
    resetRows();
    (Array.isArray(current.insurers) ? current.insurers : []).forEach(ensureRow);
    results.dataset.state = 'quoting';
    startCountdown(current.deadline, current.startedAt);
    updateSummary();
  }

  function begin(ack, facts) {
    clearSubscribeRetry();
    sent = facts;
    current = {
      id: String(ack.id),
      token: String(ack.token),
      deadline: ack.deadline,
      insurers: Array.isArray(ack.insurers) ? ack.insurers.filter((i) => i && typeof i === 'object') : [],
      startedAt: Date.now(),
    };
    address.save(current);
    showQuoting();
    address.show(current);
    revealResults();
    announce('Анкета отправлена. Ждём ответов страховых: ' + rows.size + '.');
  }

  /** Opens the application of a results address `{ id, token }`: its snapshot comes with the subscribe ack. */
  function openLink(link) {
    const saved = address.load();
    resetResults('Открываем расчёт по ссылке…');
    current = saved && saved.id === link.id && saved.token === link.token ? saved : { id: link.id, token: link.token, insurers: [] };
    address.save(current); // resetResults forgot it: kept again, for the next reload's countdown
    showQuoting();
    summary.textContent = 'Открываем расчёт по ссылке…';
    address.show(current);
    revealResults();
    if (socket && socket.connected) subscribe();
  }

  function showBadLink() {
    resetResults(
      'Ссылка на расчёт не распознана: похоже, она скопирована не целиком. Откройте её ещё раз или заполните анкету и нажмите «Рассчитать».',
    );
    announce(summary.textContent);
    revealResults();
  }

  /** «Новый расчёт»: the results go, the address forgets them, the form (still filled in) takes the focus. */
  function startOver() {
    resetResults(IDLE_TEXT);
    focusForm();
  }

  function focusForm() {
    document.getElementById('form-title').focus({ preventScroll: true });
    F.form.scrollIntoView({ block: 'start' });
  }

  function finish(quotes, bestOffer) {
    if (Array.isArray(quotes)) quotes.forEach(applyQuote);
    completed = true;
    stopCountdown();
    clearSubscribeRetry();
    const best = bestRow(bestOffer);
    markBest(best);
    sortRows();
    updateSummary(best);
    announce(summary.textContent);
    results.dataset.state = 'completed';
    address.forget();
  }

  function belongs(event) {
    return current !== null && event.applicationId !== undefined && String(event.applicationId) === current.id;
  }

  /**
   * Whether a live event is for the application on screen and still open. One that comes while an
   * `apply` waits for its ack may be for the application being created: kept (up to 500) and
   * replayed once the ack has said which one that is.
   */
  function isCurrent(kind, event) {
    if (!event || typeof event !== 'object') return false;
    if (applying && !belongs(event)) {
      if (early.length < 500) early.push([kind, event]);
      return false;
    }
    return !completed && belongs(event);
  }

  function onQuote(quote) {
    if (!isCurrent('quote', quote)) return;
    const offer = applyQuote(quote);
    if (offer) announceOffers([offer]);
    reorder();
    updateSummary();
  }

  /** While offers stream in, too, they stand cheapest first with the cheapest so far marked (CONTRACT §7). */
  function reorder() {
    markBest(bestRow());
    sortRows();
  }

  function onCompleted(event) {
    if (!isCurrent('completed', event)) return;
    finish(event.quotes, event.bestOffer);
  }

  function applySnapshot(snapshot) {
    const s = snapshot && typeof snapshot === 'object' ? snapshot : {};
    const quotes = (Array.isArray(s.quotes) ? s.quotes : []).filter(
      (q) => q && typeof q === 'object' && (q.applicationId === undefined || String(q.applicationId) === current.id),
    );
    // Opened from a link in a new tab, the page knows no deadline: the snapshot's, if it has one.
    if (s.status !== 'completed' && !current.deadline && typeof s.deadline === 'string') {
      current.deadline = s.deadline;
      address.save(current);
      startCountdown(current.deadline);
    }
    if (s.status === 'completed') {
      finish(quotes, s.bestOffer);
      return;
    }
    announceOffers(quotes.map(applyQuote).filter(Boolean));
    reorder();
    updateSummary();
  }

  /** Back to an empty results area (data-state idle), forgetting the application on screen. */
  function resetResults(text) {
    clearSubscribeRetry();
    subscribeAttempts = 0;
    address.forget();
    current = null;
    sent = null;
    completed = false;
    stopCountdown();
    resetRows();
    announcer.textContent = '';
    address.hide();
    results.dataset.state = 'idle';
    summary.textContent = text;
  }

  /** The application cannot be picked up again (unknown, wrong token): back to a clean page. */
  // The server's own words (its detail) are English: the page says it in Russian.
  function giveUp() {
    resetResults('Расчёт по этой ссылке не найден: ссылка неверна или устарела. Заполните анкету и нажмите «Рассчитать».');
    announce(summary.textContent);
  }

  /* ---------- socket ---------- */

  /** emit with an acknowledgement and a time limit: callback(err, response). */
  function emitWithAck(event, payload, timeoutMs, callback) {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      callback(new Error('timeout'));
    }, timeoutMs);
    socket.emit(event, payload, (response) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      callback(null, response);
    });
  }

  function clearSubscribeRetry() {
    if (subscribeTimer !== null) clearTimeout(subscribeTimer);
    subscribeTimer = null;
  }

  function retrySubscribe() {
    if (!socket || !socket.connected) return; // the next `connect` subscribes again
    subscribeAttempts += 1;
    if (subscribeAttempts > MAX_SUBSCRIBE_RETRIES) {
      // Not refused, only not answered: the address keeps the quote for a later reload.
      stopCountdown();
      summary.textContent = 'Сервер пока не отдаёт результаты. Обновите страницу чуть позже — ссылка на расчёт сохранена в адресе.';
      announce(summary.textContent);
      return;
    }
    clearSubscribeRetry();
    subscribeTimer = setTimeout(subscribe, Math.min(500 * 2 ** subscribeAttempts, 10000));
  }

  function subscribe() {
    clearSubscribeRetry();
    const app = current;
    if (!socket || !app || completed) return;
    emitWithAck('subscribe', { id: app.id, token: app.token }, SUBSCRIBE_TIMEOUT_MS, (err, res) => {
      if (current !== app || completed) return;
      if (err) {
        retrySubscribe();
        return;
      }
      if (!res || res.ok !== true) {
        const error = res && res.error && typeof res.error === 'object' ? res.error : null;
        const status = error ? Number(error.status) : NaN;
        // Refused for good (unknown application, wrong token): stop. A passing trouble: try again.
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) giveUp();
        else retrySubscribe();
        return;
      }
      subscribeAttempts = 0;
      applySnapshot(res.snapshot);
    });
  }

  function setConnection(text) {
    connection.textContent = text;
    connection.hidden = !text;
  }

  function send(application) {
    // A new request: the previous results (finished or not) leave the screen, so data-state goes
    // back to idle until this application's ack says quoting.
    resetResults('Отправляем анкету…');
    const facts = B.factsOf(application);
    applying = true;
    early = [];
    submitButton.disabled = true;
    F.form.setAttribute('aria-busy', 'true');
    submitStatus.textContent = socket.connected ? 'Отправляем анкету…' : 'Подключаемся к серверу…';
    emitWithAck('apply', application, APPLY_TIMEOUT_MS, (err, res) => {
      applying = false;
      submitButton.disabled = false;
      F.form.removeAttribute('aria-busy');
      submitStatus.textContent = '';
      const buffered = early;
      early = [];
      if (err) {
        summary.textContent = IDLE_TEXT;
        F.showMessage('Сервер не ответил', ['Проверьте соединение и нажмите «Рассчитать» ещё раз.']);
      } else if (!res || res.ok !== true) {
        summary.textContent = IDLE_TEXT;
        F.showProblem(res && res.error);
      } else if (res.id === undefined || res.id === null || typeof res.token !== 'string') {
        summary.textContent = IDLE_TEXT;
        F.showMessage('Не удалось начать расчёт', ['Сервер ответил неожиданно. Попробуйте ещё раз.']);
      } else {
        F.clearErrors();
        begin(res, facts);
      }
      for (const [kind, data] of buffered) {
        if (kind === 'quote') onQuote(data);
        else onCompleted(data);
      }
    });
  }

  function onSubmit(event) {
    event.preventDefault();
    if (applying) return;
    F.clearErrors();
    const application = F.buildApplication();
    // The server's own rules (F.check): what they refuse the server would refuse too, so nothing
    // is sent; the errors are shown the way the server's 422 field errors are.
    const problems = F.check(application);
    if (problems.length) {
      F.showErrors(problems);
      return;
    }
    if (!socket) {
      F.showMessage('Нет связи с сервером', ['Обновите страницу и попробуйте ещё раз.']);
      return;
    }
    send(application);
  }

  F.form.addEventListener('submit', onSubmit);

  if (typeof io === 'function') {
    socket = io();
    socket.on('connect', () => {
      setConnection('');
      if (current && !completed) subscribe();
    });
    socket.on('disconnect', (reason) => {
      setConnection('Связь с сервером прервалась — переподключаемся…');
      clearSubscribeRetry();
      // The server closed this socket itself (e.g. it is shutting down): Socket.IO does not retry
      // that on its own, so connect again.
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
    });
    socket.on('connect_error', () => {
      if (!socket.active) setTimeout(() => socket.connect(), 3000);
      setConnection('Нет связи с сервером — пробуем подключиться…');
    });
    socket.on('quote', onQuote);
    socket.on('completed', onCompleted);
  } else {
    setConnection('Не удалось подключиться к серверу расчёта. Обновите страницу.');
  }

  newQuoteButton.addEventListener('click', startOver);

  // The skip link would put #application-form in place of the results' address (and a reload
  // would lose the quote): it moves the focus to the form itself.
  const skipLink = document.querySelector('.skip-link');
  if (skipLink) {
    skipLink.addEventListener('click', (event) => {
      event.preventDefault();
      focusForm();
    });
  }

  /** The address names an application (opened from a link, or reloaded): show it. */
  function openFromAddress() {
    const link = address.read();
    if (!link) return false;
    if (link.bad) showBadLink();
    else if (!current || current.id !== link.id || current.token !== link.token) openLink(link);
    return true;
  }

  window.addEventListener('hashchange', openFromAddress);

  if (!openFromAddress()) {
    // An older tab's application, kept before the address carried it: pick it up.
    const saved = address.load();
    if (saved) openLink(saved);
  }
})();
