import t from 'tap';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { openPage, startDashboard, waitForAttribute, waitForText } from './browser.js';

/**
 * The bundled drive replayed at 10× into the dashboard in a real browser: the page follows
 * parked → city → highway, logs the switches and explains the decision. With
 * PERSONA_SCREENSHOTS=1 it saves the three moments into docs/ for the README.
 */
const screenshots = process.env.PERSONA_SCREENSHOTS === '1';

void t.test('the page follows the drive: contexts, timeline, switch log, decision in words', async (t) => {
  const page = await openPage(t);
  // The ECU's own load would make the policy's choice depend on the machine the test runs on,
  // and holds left in the package's state folder the decisions.
  const config = { workloadIntervalMs: 0, holdState: 'holds.json' };
  const { url } = await startDashboard(t, ['--http', '127.0.0.1:8080', '--speed', screenshots ? '2' : '10', '--no-loop'], { 'persona.config.json': JSON.stringify(config) });
  await page.goto(url);
  t.match(await waitForText(page, '#connection', /^online$/), 'online');
  t.match(await page.textContent('#daemon-status'), /simulated backend/, 'the backend in use is said');

  // Short contexts may be over before the page is up: the log and the timeline keep them.
  await waitForText(page, '#log-list', /safe → parked/);
  if (screenshots) {
    await waitForText(page, '#can-time', /^09:00:(0[6-9]|1[0-2])$/);
    await page.screenshot({ path: join(packageRoot(), 'docs/dashboard-parked.png') });
  }
  await waitForText(page, '#log-list', /parked → city/);
  if (screenshots) {
    await waitForText(page, '#speed', /^[3-9]\d\.\d$/);
    await page.screenshot({ path: join(packageRoot(), 'docs/dashboard-city.png') });
  }

  await waitForText(page, '#ctx-driving', /^highway$/);
  t.match(await waitForText(page, '#log-list', /city → highway/), /switch pvnic: city → highway by policy \([^)]+\): interrupt_coalescence_time 1ms→4ms, power_saving_mode balanced→disabled/, 'the switch is logged with its changes');
  t.match(
    await waitForText(page, '#decision-text', /^highway because/),
    /^highway because speed > 90 km\/h \(after 5 s in city\); now \d+\.\d km\/h, \d+ s in highway; decided after .*; pvnic: highway by policy rule policy\.json#\/drivers\/pvnic\/rules\/\d, \w+/,
    'the decision in words, with the threshold that made it highway',
  );
  t.match(await waitForText(page, '#targets', /gated until standstill/), /DMA_buffer_size.*→ 256KB/, 'the gated DMA size waits for a standstill');
  // The timeline is drawn in its own time, after the context shows: wait for it to reach highway.
  const lane = await waitForAttribute(page, '#timeline .lane:first-child .bar', 'aria-label', / highway now$/);
  // A loaded machine may delay frames long enough for a moment of unknown: the timeline shows that too.
  t.match(lane, /^driving: (.*, )?parked until [\d:]+, (.*, )?city until [\d:]+, (.*, )?highway now$/, 'the timeline has every context of the drive so far');
  t.equal(await page.textContent('#ctx-instance'), 'unknown', 'no host context in the demo');
  t.equal(await page.getAttribute('#timeline .lane-instance .bar', 'aria-label'), 'instance: unknown now');
  t.match(await page.textContent('#signals'), /Speed/, 'the VSS signals are listed');
  if (screenshots) {
    await waitForText(page, '#speed', /^1\d\d\.\d$/);
    await page.screenshot({ path: join(packageRoot(), 'docs/dashboard-highway.png') });
  }
});
