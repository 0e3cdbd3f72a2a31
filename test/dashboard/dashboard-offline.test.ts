import t from 'tap';
import { freePort } from '../helpers/mosquitto.js';
import { openPage, startDashboard, waitForText } from './browser.js';

void t.test('the page says offline when the daemon dies, and recovers when it is back', async (t) => {
  const page = await openPage(t);
  const address = `127.0.0.1:${await freePort()}`;
  const first = await startDashboard(t, ['--http', address, '--speed', '10']);
  await page.goto(first.url);
  await waitForText(page, '#connection', /^online$/);
  await waitForText(page, '#log-list', /safe → parked/);

  first.persona.child.kill('SIGKILL');
  await first.persona.exited;
  t.equal(await waitForText(page, '#connection', /offline/), 'offline: reconnecting…');

  const second = await startDashboard(t, ['--http', address, '--speed', '10']);
  t.equal(second.url, first.url, 'the daemon is back on the same address');
  t.equal(await waitForText(page, '#connection', /^online$/), 'online', 'the page reconnected by itself');
  await waitForText(page, '#log-list', /safe → parked/);
  t.equal(await page.locator('#log-list li', { hasText: '(start) → safe' }).count(), 1, "the new daemon's log replaced the old one");
});
