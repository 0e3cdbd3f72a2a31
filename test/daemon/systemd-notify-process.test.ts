import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/persona-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';

/**
 * systemd's side of the notify protocol: a unix datagram socket that prints each message as a
 * JSON line. Node has no unix datagram sockets; Python (which node-gyp needs anyway) has.
 */
const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("bound"), flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

void t.test('run under a notify socket: WATCHDOG=1 from the start, READY=1 naming the applied personality, more pings, STOPPING=1', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const dir = t.testdir({ 'persona.config.json': JSON.stringify({ broker: broker.url, backend: 'simulated', workloadIntervalMs: 0, manifestState: 'state/manifest-state.json', holdState: 'state/holds.json' }) });
  // A socket path must fit in 108 bytes: not under the deep test folder.
  const socketDir = mkdtempSync(join(tmpdir(), 'persona-notify-'));
  t.teardown(() => rmSync(socketDir, { recursive: true, force: true }));
  const socketPath = join(socketDir, 'notify.sock');

  const receiver = spawn('python3', ['-c', RECEIVER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => receiver.kill());
  const messages: string[] = [];
  const waiters: Array<{ until: (all: readonly string[]) => boolean; resolve: () => void; reject: (err: Error) => void }> = [];
  createInterface({ input: receiver.stdout }).on('line', (line) => {
    messages.push(JSON.parse(line) as string);
    for (const w of waiters.splice(0)) if (w.until(messages)) w.resolve();
    else waiters.push(w);
  });
  let receiverGone: Error | undefined;
  receiver.once('close', (code) => {
    receiverGone = new Error(`the notify socket receiver exited (${code}); received: ${JSON.stringify(messages)}`);
    for (const w of waiters.splice(0)) w.reject(receiverGone);
  });
  const waitFor = (until: (all: readonly string[]) => boolean): Promise<void> =>
    until(messages) ? Promise.resolve() : receiverGone ? Promise.reject(receiverGone) : new Promise((resolve, reject) => waiters.push({ until, resolve, reject }));
  await waitFor((all) => all[0] === 'bound');

  const daemon = spawn(process.execPath, [CLI, 'run', '--config', join(dir, 'persona.config.json')], {
    cwd: dir,
    env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '200000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => daemon.kill('SIGKILL'));
  const exited = once(daemon, 'close');
  const output: string[] = [];
  daemon.stdout.on('data', (c: Buffer) => output.push(c.toString()));
  daemon.stderr.on('data', (c: Buffer) => output.push(c.toString()));

  const readyIndex = (all: readonly string[]): number => all.findIndex((m) => m.startsWith('READY=1'));
  await waitFor((all) => readyIndex(all) >= 0);
  const ready = messages[readyIndex(messages)]!;
  t.equal(ready, `READY=1\nSTATUS=connected to ${broker.url}; pvnic runs safe`, 'ready once connected, naming the first personality applied');
  t.equal(messages[1], 'WATCHDOG=1', 'the watchdog is fed before the daemon is ready');
  t.ok(messages.slice(1, readyIndex(messages)).every((m) => m === 'WATCHDOG=1'), 'nothing but pings before READY=1');

  // The pings keep coming after READY=1: wait for three more, however long they take.
  await waitFor((all) => all.slice(readyIndex(all) + 1).filter((m) => m === 'WATCHDOG=1').length >= 3);
  t.equal(messages.filter((m) => m.startsWith('READY=1')).length, 1, 'READY=1 once');

  daemon.kill('SIGTERM');
  await waitFor((all) => all.includes('STOPPING=1'));
  const [code] = (await exited) as [number | null];
  if (code !== 0) t.comment(output.join(''));
  t.equal(code, 0, 'exits 0 after SIGTERM');
});
