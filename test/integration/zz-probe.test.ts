import { api, startSystem } from '../support/system';
it('probe', async () => {
  const s = await startSystem();
  for (const b of ['null', '', '{}', '"x"']) {
    const r = await api(s, 'POST', '/api/v1/applications', b);
    console.log(JSON.stringify(b), r.status, r.headers.get('content-type'), r.text);
  }
  const r = await fetch(s.baseUrl + '/api/v1/applications', { method: 'POST', headers: { 'x-api-key': 'demo-key' } });
  console.log('nobody', r.status, await r.text());
  await s.stop();
});
