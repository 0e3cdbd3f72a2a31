/**
 * Runs inside the VM beside the daemon: subscribes to everything under a root and appends each
 * message to a file as one JSON line ({at, topic, retain, text}), so the host test can read what
 * was published in order, retained state included, while the vehicle runs.
 * Usage: node mqtt-journal.js <broker-url> <topic filter> <journal file>
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import mqtt from 'mqtt';

const [url, filter, file] = process.argv.slice(2) as [string, string, string];
writeFileSync(file, '');
const client = mqtt.connect(url, { clientId: 'e2e-journal', protocolVersion: 5, reconnectPeriod: 200 });
client.on('message', (topic, payload, packet) => {
  appendFileSync(file, `${JSON.stringify({ at: Date.now(), topic, retain: packet.retain, text: payload.toString('utf8') })}\n`);
});
client.on('connect', () => {
  void client.subscribeAsync(filter, { qos: 1 }).then(() => appendFileSync(file, `${JSON.stringify({ at: Date.now(), topic: '$journal/subscribed', retain: false, text: '' })}\n`));
});
process.on('SIGTERM', () => void client.endAsync().then(() => process.exit(0)));
