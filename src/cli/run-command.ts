import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger.js';
import { DocumentError } from '../common/schema.js';
import { CredentialFileError, readBrokerCredentials, type BrokerCredentials, type CredentialFileField } from '../mqtt/broker-credentials.js';
import { buildDaemon } from '../daemon/build-daemon.js';
import { systemClock } from '../common/clock.js';
import { notifySocketSender } from '../daemon/notify-socket.js';
import { SystemdNotifier } from '../daemon/systemd-notifier.js';
import { loadConfig, type PersonaConfig } from '../daemon/config.js';
import { SignalDecoder } from '../signals/signal-decoder.js';
import { loadVehicle } from '../signals/signal-map.js';
import { ConsoleReporter } from './console-reporter.js';
import { UnmatchedFramesWatch } from './frame-match.js';
import { EXIT_CONFIG, UsageError, type Output } from './output.js';

export const RUN_HELP = `persona run [options]   run the daemon

  --config FILE     configuration (default: ./persona.config.json if present)
  --broker URL      MQTT broker, mqtt://host:port, or "embedded" (default)
  --can SOURCE      frame source: replay:FILE (candump -L log), socketcan:IFACE,
                    or - for candump -L lines on stdin (candump -L can0 | persona run --can -)
  --speed N         replay speed × real time; 0 = as fast as possible
  --loop, --no-loop replay again at the end of the log
  --ecu-id ID       names this ECU under persona/<ecu-id>/
  --http ADDR:PORT  serve the live dashboard there (off by default; npm start: 127.0.0.1:8080)
  --http-control    let the dashboard place and release holds, with the token of httpTokenFile
`;

const NUMBER_FLAGS = new Set(['speed']);

/**
 * How often a running daemon checks that its frames match the vehicle: a live bus (or a
 * looping replay) has no end at which to say so, and a wrong vehicle decodes nothing quietly.
 */
const FRAME_MATCH_CHECK_MS = 10_000;

/** Parses flags into config overrides; typed values are checked by the config schema. */
function overridesFrom(values: Record<string, string | boolean | undefined>): Partial<PersonaConfig> {
  const out: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined || flag === 'config' || flag === 'no-loop') continue;
    const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    out[key] = NUMBER_FLAGS.has(flag) && typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
  }
  if (values['no-loop'] === true) out.loop = false;
  return out;
}

/** The config key of each credential file, for messages. */
const CONFIG_KEY_OF: Record<CredentialFileField, string> = { passwordFile: 'mqttPasswordFile', caFile: 'mqttCaFile', certFile: 'mqttCertFile', keyFile: 'mqttKeyFile' };

/** Credentials and TLS material from the files the config names; an unreadable one is a configuration error. */
function readConnection(config: PersonaConfig): BrokerCredentials {
  try {
    return readBrokerCredentials({ username: config.mqttUsername, passwordFile: config.mqttPasswordFile, caFile: config.mqttCaFile, certFile: config.mqttCertFile, keyFile: config.mqttKeyFile });
  } catch (err) {
    if (!(err instanceof CredentialFileError)) throw err;
    throw new DocumentError(err.unreadable.map((u) => ({ file: u.file, path: '', message: `cannot read the ${CONFIG_KEY_OF[u.field]}: ${u.reason}` })));
  }
}

function describeSource(config: PersonaConfig): string {
  if (!config.can.startsWith('replay:')) return config.can === '-' ? 'standard input (candump -L)' : config.can;
  return `${config.can} at ${config.speed === 0 ? 'full' : `${config.speed}×`} speed${config.loop ? ', looping' : ''}`;
}

export async function runCommand(args: string[], out: Output): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      broker: { type: 'string' },
      can: { type: 'string' },
      speed: { type: 'string' },
      loop: { type: 'boolean' },
      'no-loop': { type: 'boolean' },
      'ecu-id': { type: 'string' },
      http: { type: 'string' },
      'http-control': { type: 'boolean' },
    },
    strict: true,
  });
  let config: PersonaConfig;
  let connect: Awaited<ReturnType<typeof buildDaemon>>;
  let notifier: SystemdNotifier | undefined;
  let frameWatch: UnmatchedFramesWatch;
  const logger = createLogger('persona', 'info', (l) => out.log(l));
  try {
    config = loadConfig({ file: values.config, overrides: overridesFrom(values) });
    const configured = createLogger('persona', config.logLevel, (l) => out.log(l));
    // Under systemd (Type=notify): ready after the broker and the first personality, and a watchdog.
    notifier = SystemdNotifier.fromEnvironment(process.env, process.pid, { sender: notifySocketSender, clock: systemClock, logger: configured.child('systemd') });
    const reporter = new ConsoleReporter((l) => out.print(l));
    const vehicle = loadVehicle(config.vehicle);
    const decoder = new SignalDecoder(vehicle);
    const hint = config.can.startsWith('replay:') ? 'is the configuration\'s "vehicle" the car of this log?' : 'is the configuration\'s "vehicle" the car on this bus, and is the bus up?';
    frameWatch = new UnmatchedFramesWatch(vehicle, decoder.stats, hint, (warning) => configured.warn(warning));
    connect = await buildDaemon(config, { logger: configured, decoder, observer: notifier?.observing(reporter) ?? reporter, connection: readConnection(config) });
  } catch (err) {
    if (!(err instanceof DocumentError)) throw err;
    out.log(`persona: configuration rejected, nothing started:\n${err.message}`);
    return EXIT_CONFIG;
  }
  // The embedded broker (aedes) is loaded only when asked for: a daemon on the car's broker never pays for it.
  const embedded = config.broker === 'embedded' ? new (await import('../mqtt/embedded-broker.js')).EmbeddedBroker() : undefined;
  const brokerUrl = embedded ? await embedded.start(config.embeddedBrokerPort) : config.broker;
  out.print(`persona: MQTT broker ${brokerUrl}${embedded ? ' (embedded)' : ''}, topics persona/${config.ecuId}/#`);
  const daemon = connect({ brokerUrl });
  let cancelFrameWatch: (() => void) | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      cancelFrameWatch?.();
      notifier?.stop();
      await daemon.stop();
      await embedded?.stop();
    })());
  const onSignal = (): void => {
    out.print('persona: stopping');
    void stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    notifier?.start();
    await daemon.start();
    notifier?.connected(brokerUrl);
    out.print(`persona: reading CAN from ${describeSource(config)}`);
    cancelFrameWatch = systemClock.every(FRAME_MATCH_CHECK_MS, () => frameWatch.check());
    await daemon.run();
    frameWatch.check();
  } catch (err) {
    logger.error((err as Error).message);
    await stop();
    throw new UsageError(`cannot run: ${(err as Error).message}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await stop();
  return 0;
}
