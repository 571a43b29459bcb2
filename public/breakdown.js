/*
 * "Why this price" (CONTRACT §7 `[data-breakdown]`): an offer row's button and the panel it
 * unfolds, with every coefficient of the premium under a name a customer can read, its value, what
 * it does to the price and where it comes from (КТ's correction multiplier; КБМ's class and the
 * driver it is taken from, from `offer.drivers`). Drivers are named from what this page sent
 * (`facts`, see factsOf); after a reload the page no longer has the names and numbers them instead.
 * Whatever comes from the offer is set with textContent only.
 *
 * window.OsagoBreakdown = { factsOf(application), render(row, facts) }, row being app.js's
 * { el, name, status, premium, offer, breakdown }; render keeps row.breakdown up to date.
 */
(function () {
  'use strict';

  const money = new Intl.NumberFormat('ru-RU', { style: 'currency', currency: 'RUB' });
  const plainNumber = new Intl.NumberFormat('ru-RU', { maximumFractionDigits: 4 });
  const baseRate = new Intl.NumberFormat('ru-RU', {
    style: 'currency',
    currency: 'RUB',
    minimumFractionDigits: 0,
    maximumFractionDigits: 2,
  });
  let breakdownSerial = 0; // ids for aria-controls; insurer codes come from outside, so not those

  function regionName(code) {
    const form = window.OsagoForm;
    return form && form.regionName ? form.regionName(code) : '';
  }

  /**
   * Every coefficient of the premium (OSAGO.md): its key in `offer.coefficients`, the abbreviation
   * of the law (kept, for those who compare with an insurer's own calculation) and a name a
   * customer can read. КТ's name gets the region where the page knows it (factorLabel).
   */
  const COEFFICIENTS = [
    ['tb', 'ТБ', 'Базовая ставка страховщика'],
    ['kt', 'КТ', 'Территория регистрации собственника'],
    ['kbm', 'КБМ', 'Бонус-малус (стаж без аварий)'],
    ['kvs', 'КВС', 'Возраст и стаж водителей'],
    ['ko', 'КО', 'Ограничение списка водителей'],
    ['km', 'КМ', 'Мощность двигателя'],
    ['ks', 'КС', 'Период использования'],
    ['kn', 'КН', 'Грубые нарушения'],
    ['kpr', 'КПр', 'Прицеп'],
  ];
  // КН and КПр are 1 for almost everyone (CONTRACT §4 counts them as 1 when absent): shown only when not.
  const RARE_COEFFICIENTS = ['kn', 'kpr'];

  function isNumber(value) {
    return typeof value === 'number' && Number.isFinite(value);
  }

  function formatFactor(value) {
    return plainNumber.format(value);
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function personName(person) {
    if (!person || typeof person !== 'object') return '';
    return [person.firstName, person.lastName]
      .filter((part) => typeof part === 'string' && part.trim())
      .map((part) => part.trim())
      .join(' ');
  }

  /** The inputs of a submitted application (CONTRACT §1) that the breakdown can put a name to. */
  function factsOf(application) {
    const a = application && typeof application === 'object' ? application : {};
    const vehicle = a.vehicle && typeof a.vehicle === 'object' ? a.vehicle : {};
    const owner = a.owner && typeof a.owner === 'object' ? a.owner : {};
    const policy = a.policy && typeof a.policy === 'object' ? a.policy : {};
    const power = Number(vehicle.enginePowerHp);
    const months = Number(policy.periodMonths);
    return {
      unlimited: a.unlimitedDrivers === true,
      driverNames: (Array.isArray(a.drivers) ? a.drivers : []).map(personName),
      enginePowerHp: Number.isFinite(power) && power > 0 ? power : null,
      periodMonths: Number.isInteger(months) && months > 0 ? months : null,
      region: typeof owner.registrationRegion === 'string' ? owner.registrationRegion.trim() : '',
    };
  }

  /** `offer.drivers` by index, the malformed entries left out; null when the insurer sent none. */
  function driverRatings(offer) {
    if (!Array.isArray(offer.drivers)) return null;
    return offer.drivers
      .filter(
        (d) =>
          d && typeof d === 'object' && Number.isInteger(d.index) && d.index >= 0 &&
          isNumber(d.kbm) && isNumber(d.kvs),
      )
      .sort((a, b) => a.index - b.index);
  }

  /** КТ's parts, when the insurer sent them both. */
  function territoryOf(offer) {
    const t = offer.territory;
    return t && typeof t === 'object' && isNumber(t.base) && isNumber(t.multiplier) ? t : null;
  }

  function kbmClassText(value) {
    const text = value === undefined || value === null ? '' : String(value).trim();
    // The class of a driver with the worst history is «М»; the wire may spell it with a Latin M.
    return text === 'M' ? 'М' : text;
  }

  /** «Водитель 2 (Пётр Петров)»: the name while the page has it (not after a reload), else the number. */
  function driverLabel(rating, word, facts) {
    const name = facts && typeof facts.driverNames[rating.index] === 'string' ? facts.driverNames[rating.index] : '';
    const number = (word || 'Водитель') + ' ' + (rating.index + 1);
    return name ? number + ' (' + name + ')' : number;
  }

  /**
   * The explanation of one coefficient beside its value: where it comes from, as far as the offer
   * (or what this page sent) says. `policy` is { ratings, applied, unlimited, territory }; unlimited
   * is null when neither the offer nor the page knows, territory null when the insurer sent no КТ parts.
   */
  function factorNote(key, policy, facts) {
    const { applied, unlimited } = policy;
    switch (key) {
      case 'tb':
        return 'у каждой страховой своя, в пределах, которые устанавливает Банк России';
      case 'kt': {
        const parts = [];
        if (facts && facts.region) parts.push('по коду региона регистрации ' + facts.region);
        const t = policy.territory;
        if (t && t.multiplier === 1) parts.push('поправочный коэффициент не применяется');
        else if (t) parts.push('базовый КТ региона ' + formatFactor(t.base) + ', умноженный на поправочный коэффициент ' + formatFactor(t.multiplier));
        return parts.join('; ');
      }
      case 'kbm':
        if (unlimited === true) return 'КБМ собственника: полис без ограничения списка водителей';
        if (!applied) return 'чем дольше ездят без аварий, тем выше класс и ниже КБМ';
        return (
          (kbmClassText(applied.kbmClass) ? 'класс ' + kbmClassText(applied.kbmClass) + ' ' : '') +
          driverLabel(applied, 'по водителю', facts) + '; чем дольше без аварий, тем выше класс и ниже КБМ'
        );
      case 'kvs':
        if (unlimited === true) return 'не применяется: полис без ограничения списка водителей';
        return applied ? driverLabel(applied, 'по водителю', facts) + '; моложе и меньше стаж — дороже' : '';
      case 'ko':
        if (unlimited === true) return 'без ограничений — управлять может любой водитель';
        if (unlimited === false) return 'только водители из списка';
        return '';
      case 'km':
        return facts && facts.enginePowerHp ? formatFactor(facts.enginePowerHp) + ' л. с.' : '';
      case 'ks':
        return facts && facts.periodMonths ? 'полис на ' + facts.periodMonths + ' мес.' : '';
      default:
        return '';
    }
  }

  /** The coefficient's name on screen; КТ's with the region when the page knows it. */
  function factorLabel(key, label, facts) {
    if (key !== 'kt' || !facts || !facts.region) return label;
    const name = regionName(facts.region);
    return name ? 'Территория: ' + name : label;
  }

  /** What a multiplier does to the price, in words: «скидка 17 %», «надбавка 40 %», «цена выше в 3,12 раза». */
  function effectText(value) {
    if (value === 1) return 'не меняет цену';
    if (value >= 2) return 'цена выше в ' + formatFactor(value) + ' раза';
    const percent = Math.round(Math.abs(value - 1) * 100);
    if (percent === 0) return 'почти не меняет цену';
    return (value < 1 ? 'скидка ' : 'надбавка ') + percent + '\u00a0%';
  }

  function factorValue(key, value, offer) {
    if (key === 'tb') return baseRate.format(value);
    const territory = key === 'kt' ? territoryOf(offer) : null;
    if (territory && territory.multiplier !== 1) {
      return (
        formatFactor(value) + ' = ' + formatFactor(territory.base) + ' × ' + formatFactor(territory.multiplier) +
        ' (поправочный коэффициент)'
      );
    }
    return formatFactor(value);
  }

  /** The breakdown's content for an offer row: coefficients, the price they multiply to, the drivers. */
  function breakdownNodes(row, facts, panelId) {
    const offer = row.offer || {};
    const k = offer.coefficients && typeof offer.coefficients === 'object' ? offer.coefficients : null;
    if (!k) return [element('p', 'breakdown-note', 'Страховая не прислала, из чего сложилась цена.')];

    const ratings = driverRatings(offer);
    // An unlimited policy lists no drivers (CONTRACT §4); without the list, the page's own word.
    const unlimited = ratings ? ratings.length === 0 : facts ? facts.unlimited : null;
    const applied = ratings ? ratings.find((d) => d.applied === true) : undefined;
    const policy = { ratings, applied, unlimited, territory: territoryOf(offer) };

    const nodes = [element('p', 'breakdown-intro', 'Цена — произведение коэффициентов по формуле ОСАГО:')];
    const list = element('dl', 'breakdown-factors');
    const shown = [];
    for (const [key, short, label] of COEFFICIENTS) {
      const value = k[key];
      if (!isNumber(value) || (RARE_COEFFICIENTS.includes(key) && value === 1)) continue;
      shown.push([short, value, key]);
      const item = element('div', 'breakdown-factor');
      item.dataset.factor = key;
      const term = element('dt');
      term.append(element('span', 'breakdown-label', factorLabel(key, label, facts)), ' ', element('span', 'breakdown-abbr', short));
      const definition = element('dd');
      definition.append(element('span', 'breakdown-value', factorValue(key, value, offer)));
      const effect = key === 'tb' ? '' : effectText(value);
      if (effect) definition.append(' ', element('span', 'breakdown-effect', '— ' + effect));
      const note = factorNote(key, policy, facts);
      if (note) definition.append(element('span', 'breakdown-note', note));
      item.append(term, definition);
      list.append(item);
    }
    nodes.push(list);

    if (shown.length && isNumber(row.premium)) {
      const total = element('p', 'breakdown-total');
      total.append(
        shown.map(([, value, key]) => (key === 'tb' ? baseRate.format(value) : formatFactor(value))).join(' × ') + ' = ',
        element('b', '', money.format(row.premium)),
      );
      nodes.push(total);
    }

    if (unlimited === true) {
      nodes.push(
        element('p', 'breakdown-drivers-note', 'Полис без ограничения списка водителей: КБМ берётся собственника, КВС не применяется.'),
      );
    } else if (ratings && ratings.length) {
      const titleId = panelId + '-drivers';
      const title = element(
        'p',
        'breakdown-drivers-title',
        ratings.length > 1
          ? 'Водители. Цену определяет тот, у кого КБМ × КВС больше:'
          : 'Водитель:',
      );
      title.id = titleId;
      const drivers = element('ul', 'breakdown-drivers');
      drivers.setAttribute('aria-labelledby', titleId);
      for (const rating of ratings) {
        const item = element('li', 'breakdown-driver');
        item.dataset.driver = String(rating.index);
        item.dataset.applied = rating.applied === true ? 'true' : 'false';
        const cls = kbmClassText(rating.kbmClass);
        item.append(
          element('b', '', driverLabel(rating, undefined, facts)),
          ': ' + (cls ? 'класс КБМ ' + cls + ' → ' : '') + 'КБМ ' + formatFactor(rating.kbm) +
            ', КВС ' + formatFactor(rating.kvs),
        );
        if (rating.applied === true) item.append(' ', element('span', 'breakdown-applied', 'определяет цену'));
        drivers.append(item);
      }
      nodes.push(title, drivers);
    }
    return nodes;
  }

  function setExpanded(row, open) {
    const { toggle, panel } = row.breakdown;
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
  }

  /** The button and its (folded) breakdown, made on an offer row's first render. */
  function ensureBreakdown(row) {
    if (row.breakdown) return row.breakdown;
    breakdownSerial += 1;
    const id = 'breakdown-' + breakdownSerial;
    const toggle = element('button', 'quote-why', 'Почему такая цена');
    toggle.type = 'button';
    toggle.id = id + '-toggle';
    toggle.setAttribute('aria-controls', id);
    toggle.setAttribute('aria-expanded', 'false');
    const panel = element('div', 'breakdown');
    panel.id = id;
    panel.dataset.breakdown = '';
    panel.setAttribute('role', 'region');
    panel.hidden = true;
    row.breakdown = { toggle, panel, content: '' };
    toggle.addEventListener('click', () => setExpanded(row, panel.hidden));
    row.el.append(' ', toggle, panel);
    return row.breakdown;
  }

  function render(row, facts) {
    if (row.status !== 'offer') {
      if (row.breakdown) {
        row.breakdown.toggle.remove();
        row.breakdown.panel.remove();
        row.breakdown = null;
      }
      return;
    }
    const { panel } = ensureBreakdown(row);
    panel.setAttribute('aria-label', 'Почему такая цена: ' + row.name);
    // The same offer again (a snapshot, the completed event) leaves an open breakdown alone, so
    // that the results' live region does not read it out once more.
    const content = JSON.stringify([row.name, row.premium, row.offer, facts]);
    if (content === row.breakdown.content) return;
    row.breakdown.content = content;
    panel.replaceChildren(...breakdownNodes(row, facts, panel.id));
  }

  window.OsagoBreakdown = { factsOf, render };
})();
