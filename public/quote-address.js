/*
 * The results' address and what this tab keeps of the application on screen.
 *
 * window.OsagoQuoteAddress = {
 *   read()       what the address says: null, { bad: true } or { id, token };
 *   show(app)    puts `#/quote/<id>/<token>` in the address and shows «Ссылка на расчёт» with copy;
 *   hide()       takes it out of the address and hides the link;
 *   save(app), load(), forget()   the tab's sessionStorage copy ({ id, token, deadline, insurers, startedAt })
 * }
 */
(function () {
  'use strict';

  const STORAGE_KEY = 'osago.application';
  const linkBox = document.getElementById('quote-link-box');
  const quoteLink = document.getElementById('quote-link');
  const copyButton = document.getElementById('copy-link');
  const copyStatus = document.getElementById('copy-status');

  /*
   * `#/quote/<id>/<token>` (each part encodeURIComponent'ed): the fragment never leaves the
   * browser (no request, no Referer carries it), so the token stays out of every server log.
   * Other fragments (the skip link's #application-form) are not ours and are left alone.
   */
  const FRAGMENT_PREFIX = '#/quote/';

  /** What the address says: null (not ours), { bad: true } (ours but unreadable), or { id, token }. */
  function read() {
    const hash = window.location.hash || '';
    if (!hash.startsWith(FRAGMENT_PREFIX)) return null;
    const parts = hash.slice(FRAGMENT_PREFIX.length).split('/');
    if (parts.length !== 2) return { bad: true };
    try {
      const id = decodeURIComponent(parts[0]).trim();
      const token = decodeURIComponent(parts[1]).trim();
      if (!id || !token || id.length > 200 || token.length > 500) return { bad: true };
      return { id, token };
    } catch {
      return { bad: true }; // a broken %-escape
    }
  }

  function addressWithout() {
    return window.location.pathname + window.location.search;
  }

  function resultsAddress(app) {
    return addressWithout() + FRAGMENT_PREFIX + encodeURIComponent(app.id) + '/' + encodeURIComponent(app.token);
  }

  function show(app) {
    const target = resultsAddress(app);
    if (window.location.pathname + window.location.search + window.location.hash !== target) {
      window.history.replaceState(null, '', target);
    }
    quoteLink.href = target;
    copyStatus.textContent = '';
    linkBox.hidden = false;
  }

  function hide() {
    if (window.location.hash.startsWith(FRAGMENT_PREFIX)) window.history.replaceState(null, '', addressWithout());
    linkBox.hidden = true;
    copyStatus.textContent = '';
  }

  // The address carries what is needed to come back (id, token); this tab also keeps the deadline
  // and the insurers of its application, which the subscribe snapshot does not repeat.
  function save(current) {
    if (!current) return;
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(current));
    } catch {
      // No storage (private mode, quota): the page still works, the countdown just goes after a reload.
    }
  }

  function forget() {
    try {
      window.sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // As above.
    }
  }

  function load() {
    try {
      const value = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || 'null');
      if (value && typeof value.id === 'string' && typeof value.token === 'string') return value;
    } catch {
      // Unreadable: start afresh.
    }
    return null;
  }

  copyButton.addEventListener('click', () => {
    const url = quoteLink.href;
    // Without clipboard access (an old browser, http on another host), the address in a box to copy by hand.
    const byHand = () => {
      window.prompt('Скопируйте ссылку на расчёт:', url);
    };
    const clipboard = window.navigator.clipboard;
    if (!clipboard || typeof clipboard.writeText !== 'function') {
      byHand();
      return;
    }
    clipboard.writeText(url).then(() => {
      copyStatus.textContent = 'Ссылка скопирована.';
    }, byHand);
  });

  window.OsagoQuoteAddress = { read, show, hide, save, load, forget };
})();
