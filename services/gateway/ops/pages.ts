/**
 * The HTML of /ops (CONTRACT §8): the operators' view itself (filled in live by public/ops.js), the
 * key form where OPS_KEY is set, and the page that says /ops is off. No inline script or style.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function shell(title: string, body: string, scripts: string[] = []): string {
  return `<!doctype html>
<html lang="ru">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="/operator-view.css">
</head>
<body>
${body}
${scripts.map((src) => `  <script src="${src}"></script>`).join('\n')}
</body>
</html>
`;
}

/** `withLogout`: a key opened it, so there is a session to end. */
export const opsViewPage = (withLogout: boolean): string => shell(
  'ОСАГО: пульт оператора',
  `  <header class="ops-header">
    <h1>Пульт оператора</h1>
    <p id="ops-status" class="ops-status" role="status" data-connection="connecting">Подключаемся…</p>
${withLogout ? '    <form method="post" action="/ops/logout" class="ops-logout"><button type="submit">Выйти</button></form>' : ''}
  </header>
  <main id="main">
    <p id="ops-announce" class="visually-hidden" aria-live="polite"></p>
    <section aria-labelledby="insurers-title">
      <h2 id="insurers-title">Страховщики</h2>
      <p class="ops-note">Цепь открыта, если она открыта хотя бы на одном узле. Цифры — по последним 200 вызовам каждого узла, вместе.</p>
      <div class="table-scroll" tabindex="0" role="region" aria-labelledby="insurers-title">
        <table class="ops-table" id="insurers-table">
          <thead><tr>
            <th scope="col">Страховщик</th><th scope="col">Цепь</th><th scope="col">С какого времени</th><th scope="col">Успешно</th>
            <th scope="col">p50, мс</th><th scope="col">p95, мс</th><th scope="col">В работе</th><th scope="col">В минуту</th><th scope="col">Последние ошибки</th>
          </tr></thead>
          <tbody id="insurers-body"></tbody>
        </table>
      </div>
    </section>
    <section aria-labelledby="nodes-title">
      <h2 id="nodes-title">Узлы кластера</h2>
      <ul class="ops-nodes" id="nodes-list"></ul>
    </section>
    <section aria-labelledby="sandbox-title" id="sandbox-section" hidden>
      <h2 id="sandbox-title">Песочница страховщиков</h2>
      <p class="ops-note">Режим каждого симулятора: «down» — 503 на всё, «slow» — ответа нет до дедлайна, «flaky» — половина вызовов с ошибкой, «ratelimited» — 429.</p>
      <ul class="ops-sandbox" id="sandbox-list"></ul>
      <p id="sandbox-error" class="ops-error" role="alert"></p>
    </section>
  </main>`,
  ['/socket.io/socket.io.js', '/operator-view.js'],
);

export function loginPage(error?: string): string {
  const invalid = error ? ' aria-invalid="true" aria-describedby="key-error"' : '';
  return shell(
    'ОСАГО: вход в пульт оператора',
    `  <main id="main" class="ops-login">
    <h1>Пульт оператора</h1>
    <form method="post" action="/ops/session">
      <label for="ops-key">Ключ оператора (OPS_KEY)</label>
      <input id="ops-key" name="key" type="password" autocomplete="current-password" required autofocus${invalid}>
      ${error ? `<p id="key-error" class="ops-error">${escapeHtml(error)}</p>` : ''}
      <button type="submit">Войти</button>
    </form>
  </main>`,
  );
}

export const OFF_PAGE = shell(
  'ОСАГО: пульт оператора выключен',
  `  <main id="main" class="ops-login">
    <h1>Пульт оператора выключен</h1>
    <p>С NODE_ENV=production пульт открывается только ключом: задайте OPS_KEY.</p>
  </main>`,
);
