/*
 * The application form: the driver list, the document-type switch, turning the form into the
 * application JSON of CONTRACT §1, checking it with the server's own rules (build/rules.js) and
 * showing field errors, the page's and the server's alike.
 *
 * A classic script (no modules): it exposes one object, window.OsagoForm, that app.js uses.
 * Every value shown to the user is set with textContent, never innerHTML.
 */
(function () {
  'use strict';

  const MAX_DRIVERS = 5;

  const form = document.getElementById('application-form');
  const alertBox = document.getElementById('form-alert');
  const driversList = document.getElementById('drivers-list');
  const addDriverButton = document.getElementById('add-driver');
  const addDriverHint = document.getElementById('add-driver-hint');
  const unlimitedBox = form.elements.namedItem('unlimitedDrivers');
  const documentType = form.elements.namedItem('vehicle.document.type');
  const documentSeries = form.elements.namedItem('vehicle.document.series');
  const documentSeriesField = document.getElementById('document-series-field');
  const documentNumberHint = document.getElementById('f-vehicle-document-number-hint');
  const startDate = form.elements.namedItem('policy.startDate');

  // A pristine, empty copy of the first driver, taken before anything changes, for "add a driver".
  const driverTemplate = makeDriverTemplate(driversList.querySelector('.driver'));

  /* ---------- small helpers ---------- */

  function fieldId(name) {
    return 'f-' + name.replace(/\./g, '-');
  }

  function pad2(n) {
    return String(n).padStart(2, '0');
  }

  /** YYYY-MM-DD of a local date. */
  function isoLocalDate(d) {
    return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate());
  }

  function tomorrowIso() {
    const d = new Date();
    d.setDate(d.getDate() + 1);
    return isoLocalDate(d);
  }

  function tokens(value) {
    return (value || '').split(/\s+/).filter(Boolean);
  }

  function addDescribedBy(el, id) {
    const list = tokens(el.getAttribute('aria-describedby'));
    if (!list.includes(id)) list.push(id);
    el.setAttribute('aria-describedby', list.join(' '));
  }

  function removeDescribedBy(el, id) {
    const list = tokens(el.getAttribute('aria-describedby')).filter((t) => t !== id);
    if (list.length) el.setAttribute('aria-describedby', list.join(' '));
    else el.removeAttribute('aria-describedby');
  }

  /** The named controls of the form (inputs and selects), in document order. */
  function controls() {
    return Array.from(form.elements).filter(
      (el) => el.name && el.tagName !== 'BUTTON' && el.tagName !== 'FIELDSET' && el.tagName !== 'OUTPUT',
    );
  }

  function controlByName(name) {
    if (typeof name !== 'string' || !name) return null;
    return controls().find((el) => el.name === name) || null;
  }

  /** A control the user can see and edit (not in a disabled fieldset, not in a hidden block). */
  function isUsable(el) {
    if (el.disabled) return false;
    for (let node = el; node && node !== form; node = node.parentElement) {
      if (node.hidden) return false;
    }
    return true;
  }

  /** The label's own words, without "(необязательно)" and the like. */
  function labelText(el) {
    const label = el.labels && el.labels[0];
    if (!label) return el.name;
    const copy = label.cloneNode(true);
    copy.querySelectorAll('.optional').forEach((n) => n.remove());
    return copy.textContent.replace(/\s+/g, ' ').trim();
  }

  const SECTION_NAMES = {
    vehicle: 'Автомобиль',
    'vehicle.document': 'Документ на автомобиль',
    owner: 'Собственник',
    'owner.passport': 'Паспорт собственника',
    drivers: 'Водители',
    unlimitedDrivers: 'Водители',
    policy: 'Полис',
  };

  const DRIVER_FIELD_NAMES = {
    lastName: 'фамилия',
    firstName: 'имя',
    middleName: 'отчество',
    birthDate: 'дата рождения',
    license: 'права',
    'license.series': 'серия прав',
    'license.number': 'номер прав',
    'license.issuedAt': 'дата выдачи прав',
    experienceSince: 'стаж',
  };

  /** A Russian name for a dotted path that may have no input of its own. */
  function humanField(path) {
    if (typeof path !== 'string' || !path) return '';
    const el = controlByName(path);
    if (el) {
      const m = /^drivers\.(\d+)\./.exec(path);
      return m ? 'Водитель ' + (Number(m[1]) + 1) + ', ' + labelText(el).toLowerCase() : labelText(el);
    }
    const d = /^drivers\.(\d+)(?:\.(.+))?$/.exec(path);
    if (d) {
      const who = 'Водитель ' + (Number(d[1]) + 1);
      return d[2] ? who + ', ' + (DRIVER_FIELD_NAMES[d[2]] || d[2]) : who;
    }
    const parts = path.split('.');
    for (let n = parts.length; n > 0; n--) {
      const prefix = parts.slice(0, n).join('.');
      if (SECTION_NAMES[prefix]) return SECTION_NAMES[prefix];
    }
    return path;
  }

  /* ---------- drivers ---------- */

  function makeDriverTemplate(source) {
    const copy = source.cloneNode(true);
    copy.querySelectorAll('input').forEach((input) => {
      input.removeAttribute('value');
      input.value = '';
      input.removeAttribute('aria-invalid');
    });
    copy.querySelectorAll('.field-error').forEach((n) => n.remove());
    return copy;
  }

  function drivers() {
    return Array.from(driversList.querySelectorAll('.driver'));
  }

  /** Gives every driver block its index: names `drivers.{i}.…`, ids, labels, hints, legend. */
  function reindexDrivers() {
    drivers().forEach((block, i) => {
      block.dataset.index = String(i);
      block.querySelector('.driver-legend').textContent = 'Водитель ' + (i + 1);
      const remove = block.querySelector('.driver-remove');
      remove.setAttribute('aria-label', 'Удалить водителя ' + (i + 1));
      block.querySelectorAll('.field').forEach((field) => {
        const input = field.querySelector('[data-key]');
        if (!input) return;
        const name = 'drivers.' + i + '.' + input.dataset.key;
        const id = fieldId(name);
        input.name = name;
        input.id = id;
        const label = field.querySelector('label');
        if (label) label.htmlFor = id;
        const describedBy = [];
        const hint = field.querySelector('.hint');
        if (hint) {
          hint.id = id + '-hint';
          describedBy.push(hint.id);
        }
        const error = field.querySelector('.field-error');
        if (error) {
          error.id = id + '-error';
          describedBy.push(error.id);
        }
        if (describedBy.length) input.setAttribute('aria-describedby', describedBy.join(' '));
        else input.removeAttribute('aria-describedby');
      });
    });
    updateDriverControls();
  }

  function updateDriverControls() {
    const list = drivers();
    const unlimited = unlimitedBox.checked;
    list.forEach((block) => {
      block.disabled = unlimited;
      block.querySelector('.driver-remove').hidden = list.length <= 1;
    });
    driversList.hidden = unlimited;
    addDriverButton.hidden = unlimited;
    addDriverButton.disabled = unlimited || list.length >= MAX_DRIVERS;
    addDriverHint.hidden = unlimited;
    const left = MAX_DRIVERS - list.length;
    addDriverHint.textContent =
      left > 0 ? 'Можно указать до 5 водителей, ещё ' + left + '.' : 'Указано наибольшее число водителей — 5.';
  }

  function clearErrorsWithin(container) {
    container.querySelectorAll('[aria-invalid="true"]').forEach(clearFieldError);
  }

  function addDriver() {
    if (unlimitedBox.checked || drivers().length >= MAX_DRIVERS) return;
    const block = driverTemplate.cloneNode(true);
    driversList.appendChild(block);
    reindexDrivers();
    const first = block.querySelector('input');
    if (first) first.focus();
  }

  function removeDriver(block) {
    if (drivers().length <= 1) return;
    // Errors carry old indices: drop the ones of the driver list, the next submission reports afresh.
    clearErrorsWithin(driversList);
    block.remove();
    reindexDrivers();
    refreshAlertCount();
    if (!addDriverButton.disabled) addDriverButton.focus();
    else {
      const last = drivers().pop();
      const input = last && last.querySelector('input');
      if (input) input.focus();
    }
  }

  addDriverButton.addEventListener('click', addDriver);
  driversList.addEventListener('click', (event) => {
    const button = event.target.closest('.driver-remove');
    if (button && driversList.contains(button)) removeDriver(button.closest('.driver'));
  });
  unlimitedBox.addEventListener('change', () => {
    clearErrorsWithin(driversList);
    updateDriverControls();
    refreshAlertCount();
  });

  /* ---------- vehicle document type ---------- */

  const NUMBER_HINTS = { STS: '6 цифр', PTS: '6 цифр', EPTS: '15 цифр' };
  const SERIES_HINTS = { STS: '4 знака, например 7700', PTS: '2 цифры и 2 буквы, например 77УА' };

  function updateDocumentType() {
    const type = documentType.value;
    const epts = type === 'EPTS';
    documentSeries.disabled = epts;
    documentSeriesField.hidden = epts;
    if (epts) clearFieldError(documentSeries);
    documentNumberHint.textContent = NUMBER_HINTS[type] || '';
    const seriesHint = document.getElementById('f-vehicle-document-series-hint');
    if (seriesHint && SERIES_HINTS[type]) seriesHint.textContent = SERIES_HINTS[type];
  }
  documentType.addEventListener('change', updateDocumentType);

  /* ---------- the application JSON ---------- */

  function setPath(target, path, value) {
    let node = target;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i];
      if (node[key] === undefined || node[key] === null || typeof node[key] !== 'object') {
        node[key] = /^\d+$/.test(path[i + 1]) ? [] : {};
      }
      node = node[key];
    }
    node[path[path.length - 1]] = value;
  }

  /**
   * The application of CONTRACT §1 from the form: numbers as numbers, empty fields left out
   * (plate, middle names, bodyNumber…), no series for an EPTS, `drivers: []` when unlimited.
   */
  function buildApplication() {
    const data = {};
    for (const el of controls()) {
      if (el.disabled) continue;
      let value;
      if (el.type === 'checkbox') {
        value = el.checked;
      } else if (el.type === 'number') {
        const text = el.value.trim();
        if (text === '') continue;
        const n = Number(text);
        value = Number.isFinite(n) ? n : text;
      } else {
        value = el.value.trim();
        if (value === '') continue;
      }
      setPath(data, el.name.split('.'), value);
    }
    const unlimited = unlimitedBox.checked;
    data.unlimitedDrivers = unlimited;
    if (unlimited) {
      data.drivers = [];
    } else {
      const list = Array.isArray(data.drivers) ? data.drivers : [];
      const count = drivers().length;
      const out = [];
      for (let i = 0; i < count; i++) out.push(list[i] || {});
      data.drivers = out;
    }
    // Keep the §1 key order (vehicle, owner, drivers, unlimitedDrivers, policy) for readability.
    const ordered = {};
    for (const key of ['vehicle', 'owner', 'drivers', 'unlimitedDrivers', 'policy']) {
      if (data[key] !== undefined) ordered[key] = data[key];
    }
    for (const key of Object.keys(data)) if (!(key in ordered)) ordered[key] = data[key];
    return ordered;
  }

  /* ---------- the rules: the server's own ---------- */

  /*
   * window.OsagoRules is lib/application (validateApplication, the gateway's one gate for every
   * application) bundled by `npm run build` into build/rules.js: the page checks with the very
   * function the server runs, so it can neither refuse what the server accepts nor let through
   * what it refuses. "Today" is Moscow's date, as on the server, read off the server's clock
   * (the Date header of one request) so that a wrong clock on this device changes nothing.
   */
  const rules = window.OsagoRules && typeof window.OsagoRules.validateApplication === 'function' ? window.OsagoRules : null;
  let clockOffsetMs = 0;

  function now() {
    return new Date(Date.now() + clockOffsetMs);
  }

  function today() {
    return rules ? rules.todayInMoscow(now()) : isoLocalDate(new Date());
  }

  function tomorrow() {
    return rules ? rules.addDays(today(), 1) : tomorrowIso();
  }

  function readServerClock() {
    if (typeof window.fetch !== 'function') return Promise.resolve();
    const asked = Date.now();
    return window
      .fetch(window.location.pathname || '/', { method: 'HEAD', cache: 'no-store' })
      .then((res) => {
        const server = Date.parse(res.headers.get('date') || '');
        if (!Number.isFinite(server)) return;
        // The header has whole seconds: count from the middle of the round trip, ignore small skews.
        const offset = server + 500 - (asked + Date.now()) / 2;
        clockOffsetMs = Math.abs(offset) > 60000 ? offset : 0;
      })
      .catch(() => {
        // No answer: the device's clock it is; the server still checks what it receives.
      });
  }

  /**
   * The shared rules on an application as buildApplication makes it: `[{ field, message }]`, the
   * same list the server would answer with; [] when the rules did not load (the server decides).
   */
  function check(application) {
    if (!rules) return [];
    const result = rules.validateApplication(application, today());
    return result && result.ok === false && Array.isArray(result.errors) ? result.errors : [];
  }

  /** The Russian name of a region code ("Новосибирская область"), or '' for none. */
  function regionName(code) {
    return rules && typeof code === 'string' ? rules.regionOf(code) || '' : '';
  }

  /* ---------- errors ---------- */

  // Errors that have no input of their own, kept for the form-level alert.
  let looseErrors = [];
  let alertTitle = '';

  function clearFieldError(el) {
    if (!el) return;
    el.removeAttribute('aria-invalid');
    const id = el.id + '-error';
    const message = document.getElementById(id);
    if (message) message.remove();
    removeDescribedBy(el, id);
  }

  function markField(el, message) {
    el.setAttribute('aria-invalid', 'true');
    const id = el.id + '-error';
    let box = document.getElementById(id);
    if (!box) {
      box = document.createElement('p');
      box.className = 'field-error';
      box.id = id;
      // Right after the input (after its label for a checkbox, whose label follows it), before any hint.
      const label = el.labels && el.labels[0];
      const after = el.type === 'checkbox' && label && label.parentElement === el.parentElement ? label : el;
      after.insertAdjacentElement('afterend', box);
    }
    // Each message on its own line: a second one for the same field goes under the first.
    const line = document.createElement('span');
    line.className = 'field-error-line';
    line.textContent = message;
    box.appendChild(line);
    addDescribedBy(el, id);
  }

  /** A rule's message ("обязательное поле") as a sentence on screen ("Обязательное поле."). */
  function sentence(text) {
    const t = typeof text === 'string' ? text.trim() : '';
    if (!t) return 'Неверное значение.';
    const capital = t.charAt(0).toUpperCase() + t.slice(1);
    return /[.!?…]$/.test(capital) ? capital : capital + '.';
  }

  function invalidControls() {
    return controls().filter((el) => el.getAttribute('aria-invalid') === 'true');
  }

  function renderAlert() {
    alertBox.textContent = '';
    const invalid = invalidControls().length;
    if (!alertTitle && !looseErrors.length && !invalid) {
      alertBox.classList.remove('form-alert--shown');
      return;
    }
    alertBox.classList.add('form-alert--shown');
    const title = document.createElement('p');
    title.className = 'form-alert-title';
    title.textContent = alertTitle || 'Проверьте анкету';
    alertBox.appendChild(title);
    if (invalid) {
      const p = document.createElement('p');
      p.className = 'form-alert-count';
      p.textContent = 'Исправьте отмеченные поля: ' + invalid + '.';
      alertBox.appendChild(p);
    }
    if (looseErrors.length) {
      const ul = document.createElement('ul');
      for (const text of looseErrors) {
        const li = document.createElement('li');
        li.textContent = text;
        ul.appendChild(li);
      }
      alertBox.appendChild(ul);
    }
  }

  /** After a field was fixed: drop the alert when nothing is left, else update its count. */
  function refreshAlertCount() {
    if (!alertBox.classList.contains('form-alert--shown')) return;
    renderAlert();
  }

  function clearErrors() {
    invalidControls().forEach(clearFieldError);
    form.querySelectorAll('.field-error').forEach((n) => n.remove());
    looseErrors = [];
    alertTitle = '';
    renderAlert();
  }

  /**
   * The inputs of a group left wholly empty (`drivers.1.license` when its series, number and date
   * are all blank): buildApplication then sends no such object, and the rules name the group, not
   * its fields. [] when the group has no inputs or any of them is filled in.
   */
  function emptyGroup(path) {
    if (typeof path !== 'string' || !path) return [];
    const inside = controls().filter((el) => el.name.startsWith(path + '.') && isUsable(el) && el.type !== 'checkbox');
    return inside.every((el) => el.value.trim() === '') ? inside : [];
  }

  /**
   * Shows a list of `{ field, message }`: on the input named `field` when there is a usable one,
   * on each input of the group when the field is a group left empty, else in the form-level
   * alert. Focuses the first invalid input (or the alert).
   */
  function showErrors(errors, title) {
    clearErrors();
    alertTitle = title || '';
    for (const error of Array.isArray(errors) ? errors : []) {
      if (!error || typeof error !== 'object') continue;
      const message = sentence(error.message);
      const el = controlByName(error.field);
      const group = el ? [] : emptyGroup(error.field);
      if (el && isUsable(el)) {
        markField(el, message);
      } else if (group.length) {
        for (const input of group) markField(input, message);
      } else {
        const where = humanField(error.field);
        looseErrors.push(where ? where + ': ' + message : message);
      }
    }
    renderAlert();
    const first = invalidControls()[0];
    if (first) {
      first.focus();
    } else if (alertBox.classList.contains('form-alert--shown')) {
      alertBox.focus();
    }
  }

  const STATUS_TITLES = {
    400: 'Не удалось обработать анкету',
    413: 'Анкета слишком большая',
    429: 'Слишком много запросов — попробуйте немного позже',
  };

  /** A problem+json object (RFC 9457) from the server: its field errors, or its title and detail. */
  function showProblem(problem) {
    const p = problem && typeof problem === 'object' ? problem : {};
    const errors = Array.isArray(p.errors) ? p.errors.filter((e) => e && typeof e === 'object') : [];
    if (errors.length) {
      showErrors(errors);
      return;
    }
    const status = Number(p.status);
    let title = STATUS_TITLES[status];
    if (!title && status >= 500) title = 'Сервис временно недоступен — попробуйте ещё раз';
    if (!title) title = typeof p.title === 'string' && p.title ? p.title : 'Не удалось отправить анкету';
    const lines = [];
    if (typeof p.detail === 'string' && p.detail) lines.push(p.detail);
    else if (typeof p.title === 'string' && p.title && p.title !== title) lines.push(p.title);
    showMessage(title, lines);
  }

  /** A form-level message with no field, e.g. "no connection". */
  function showMessage(title, lines) {
    clearErrors();
    alertTitle = title;
    looseErrors = Array.isArray(lines) ? lines.filter((l) => typeof l === 'string' && l) : [];
    renderAlert();
    alertBox.focus();
  }

  // Editing a field clears its error.
  function onEdit(event) {
    const el = event.target;
    if (!el || !el.name || el.getAttribute('aria-invalid') !== 'true') return;
    clearFieldError(el);
    refreshAlertCount();
  }
  form.addEventListener('input', onEdit);
  form.addEventListener('change', onEdit);

  /* ---------- start ---------- */

  if (!startDate.value) startDate.value = tomorrow();
  // Once the server's clock is known, a default start date that it would call past moves on a day.
  readServerClock().then(() => {
    if (startDate.value && startDate.value < today() && !startDate.dataset.edited) startDate.value = tomorrow();
  });
  startDate.addEventListener('input', () => {
    startDate.dataset.edited = 'true';
  });
  updateDocumentType();
  reindexDrivers();

  window.OsagoForm = {
    form,
    buildApplication,
    check,
    regionName,
    showErrors,
    showProblem,
    showMessage,
    clearErrors,
  };
})();
