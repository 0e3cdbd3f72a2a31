import t from 'tap';
import { openPage, startDashboard, waitForText } from './browser.js';

const TOKEN = 'dashboard-test-token-0123456789';
const FILES = {
  'token.txt': `${TOKEN}\n`,
  // The holds this daemon keeps are the test's own, not those of the package's state folder.
  'persona.config.json': JSON.stringify({ workloadIntervalMs: 0, httpControl: true, httpTokenFile: 'token.txt', holdState: 'holds.json' }),
};

void t.test('a hold placed and released from the page goes through arbitration; without the token it is a 403', async (t) => {
  const page = await openPage(t);
  const { url } = await startDashboard(t, ['--http', '127.0.0.1:8090', '--http-control', '--speed', '10'], FILES);
  await page.goto(url);
  await waitForText(page, '#connection', /^online$/);
  await page.waitForSelector('#hold-form:not([hidden])');
  await waitForText(page, '#log-list', /parked → city/);

  const order: string[] = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => {
      const active = (globalThis as unknown as { document: { activeElement: { id: string; tagName: string; textContent: string | null } | null } }).document.activeElement;
      return active ? active.id || `${active.tagName.toLowerCase()} ${active.textContent ?? ''}` : '';
    }));
  }
  t.same(order, ['a Skip to the dashboard', 'token', 'hold-personality', 'hold-priority', 'hold-seconds', 'button Place hold'], 'the keyboard reaches every control in reading order');

  await page.selectOption('#hold-personality', 'pvnic/offroad');
  await page.click('#hold-form button[type=submit]');
  t.equal(await waitForText(page, '#control-message', /refused/), 'refused 403: an access token is required (Authorization: Bearer <token>)');
  t.match(await waitForText(page, '#log-list', /rejected 403/), /rejected 403 http select: an access token is required/, 'the refusal is in the log with its code');
  t.match(await page.textContent('#holds-table tbody'), /none/, 'nothing was placed');

  await page.fill('#token', TOKEN);
  await page.click('#hold-form button[type=submit]');
  t.match(await waitForText(page, '#control-message', /^hold h/), /^hold h[\w-]+(: placed, but deferred| placed: pvnic\/offroad)/);
  t.match(await waitForText(page, '#holds-table tbody', /dashboard/), /^h[\w-]+dashboardpvnic\/offroad50[\d:]+Release$/, 'the hold is listed: owner, personality, priority');
  t.match(await waitForText(page, '#decision-text', /: offroad by hold/), /pvnic: offroad by hold h[\w-]+ by dashboard \(prio 50\)/, 'the arbiter chose the hold');
  await waitForText(page, '#log-list', /→ offroad by hold/);

  await page.focus('#holds-table button[data-hold]');
  await page.keyboard.press('Enter');
  t.match(await waitForText(page, '#control-message', /released/), /^hold h[\w-]+ released$/);
  await waitForText(page, '#holds-table tbody', /^none$/);
  t.notMatch(await waitForText(page, '#decision-text', /by policy/), /by hold/, 'the policy decides again');
});

void t.test('control requests from another origin, with a wrong token or a bad body change nothing', async (t) => {
  const { url } = await startDashboard(t, ['--http', '127.0.0.1:8090', '--http-control', '--speed', '10'], FILES);
  const post = async (path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: { status: number; error?: string; path?: string } }> => {
    const response = await fetch(new URL(path, url), { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers } });
    return { status: response.status, body: (await response.json()) as { status: number; error?: string; path?: string } };
  };
  const select = JSON.stringify({ owner: 'dashboard', personality: 'offroad', holdSeconds: 60 });
  t.same(await post('api/holds', select, { origin: 'http://evil.example' }), { status: 403, body: { status: 403, error: 'origin "http://evil.example" may not read or control this dashboard' } });
  t.same(await post('api/holds', select, { authorization: 'Bearer not-the-token' }), { status: 403, body: { status: 403, error: 'wrong access token' } });
  t.same(await post('api/holds', select, { 'content-type': 'text/plain' }), { status: 400, body: { status: 400, error: 'content-type must be application/json, not "text/plain"' } });
  t.match(await post('api/holds', '{"owner":', {}), { status: 400, body: { status: 400, error: /^invalid JSON: /, path: '' } });
  t.same(await post('api/holds', JSON.stringify({ owner: 'dashboard', personality: 'offroad', holdSeconds: 60, colour: 'red' }), {}), { status: 400, body: { status: 400, error: '/colour: unknown field', path: '/colour' } });
  t.same(await post('api/holds', JSON.stringify({ owner: 'dashboard', personality: 'offroad' }), {}), {
    status: 400,
    body: { status: 400, error: '/holdSeconds: is required while dashboard has no presence online (a hold must end when its owner goes away)', path: '/holdSeconds' },
  });
  t.same(await post('api/release', JSON.stringify({ hold: 'h1', token: 'x' }), {}), { status: 404, body: { status: 404, error: 'no hold "h1"' } });
  const state = (await (await fetch(new URL('api/state', url))).json()) as { holds: unknown[] };
  t.same(state.holds, [], 'no hold was placed');
});
