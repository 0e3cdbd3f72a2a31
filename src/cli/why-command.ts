import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import type { DecisionRecord } from '../daemon/decision-record.js';
import { Topics } from '../mqtt/contract.js';
import { describeDecision } from './decision-text.js';
import { EXIT_FAILURE, type Output } from './output.js';

export const WHY_HELP = `persona why [--broker URL] [--ecu-id ID] [--json]
  explain the running daemon's latest decision: context, inputs, winner and losers per driver
  (read from its retained persona/<ecu-id>/state/decision; default broker mqtt://127.0.0.1:1883)
`;

export async function whyCommand(args: string[], out: Output): Promise<number> {
  const { values } = parseArgs({ args, options: { broker: { type: 'string' }, 'ecu-id': { type: 'string' }, json: { type: 'boolean' }, 'timeout-ms': { type: 'string' } }, strict: true });
  const topics = new Topics(values['ecu-id'] ?? 'demo-ecu');
  const url = values.broker ?? 'mqtt://127.0.0.1:1883';
  const timeoutMs = Number(values['timeout-ms'] ?? 3000);
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: timeoutMs });
  try {
    const text = await new Promise<string | undefined>((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      client.on('message', (_topic, payload) => {
        clearTimeout(timer);
        resolve(payload.toString());
      });
      client.subscribeAsync(topics.stateDecision, { qos: 1 }).catch(reject);
    });
    if (text === undefined) {
      out.log(`persona why: no decision on ${topics.stateDecision} at ${url} within ${timeoutMs} ms: is the daemon running with this --ecu-id?`);
      return EXIT_FAILURE;
    }
    if (values.json) out.print(text);
    else for (const line of describeDecision(JSON.parse(text) as DecisionRecord)) out.print(line);
    return 0;
  } finally {
    await client.endAsync();
  }
}
