/**
 * The ethtool command as it answers for pvnic, for EthtoolBackend's host tests: the output
 * formats of ethtool 6.1, pvnic's limits, a log of every command and a hook to make one fail.
 */
import type { EthtoolRunner } from '../../src/backend/ethtool-command.js';

const FLAGS = ['gro', 'lro', 'rx_checksum', 'sg', 'tso', 'tx_checksum'];

/** The features of `ethtool -k`, as a driver like e1000e reports them: some fixed. */
const FEATURES: ReadonlyArray<{ name: string; on: boolean; fixed?: true; parts?: readonly string[] }> = [
  { name: 'rx-checksumming', on: true },
  { name: 'tx-checksumming', on: true, parts: ['tx-checksum-ipv4: off [fixed]', 'tx-checksum-ip-generic: on'] },
  { name: 'scatter-gather', on: true, parts: ['tx-scatter-gather: on', 'tx-scatter-gather-fraglist: off [fixed]'] },
  { name: 'tcp-segmentation-offload', on: true, parts: ['tx-tcp-segmentation: on', 'tx-tcp6-segmentation: on'] },
  { name: 'generic-receive-offload', on: true },
  { name: 'large-receive-offload', on: false, fixed: true },
  { name: 'highdma', on: true, fixed: true },
];

interface Port {
  rxUsecs: number;
  rxBufLen: number;
  flags: Set<string>;
  /** The features that are on. */
  features: Set<string>;
}

export class FakeEthtool {
  readonly ports = new Map<string, Port>();
  /** Every command, as its arguments joined by spaces. */
  readonly log: string[] = [];
  /** Decides whether a command fails: return the message ethtool would print. */
  failWhen: (args: readonly string[]) => string | undefined = () => undefined;
  /** What the driver keeps of a coalescing time: pvnic keeps it as written; a test may round it. */
  keepUsecs: (usecs: number) => number = (usecs) => usecs;

  constructor(interfaces: readonly string[] = ['pvnic0', 'pvnic1']) {
    for (const name of interfaces) this.ports.set(name, { rxUsecs: 2000, rxBufLen: 65536, flags: new Set(['rx_checksum']), features: new Set(FEATURES.filter((f) => f.on).map((f) => f.name)) });
  }

  /** Fails the nth changing command from now, once. */
  failNthWrite(nth: number): void {
    let count = 0;
    this.failWhen = (args) => {
      if (['-C', '-G', '--set-priv-flags', '-K'].includes(args[0]!) && ++count === nth) {
        this.failWhen = () => undefined;
        return 'netlink error: Input/output error';
      }
      return undefined;
    };
  }

  readonly run: EthtoolRunner = (args) => {
    this.log.push(args.join(' '));
    const failure = this.failWhen(args);
    if (failure) throw new Error(`ethtool ${args.join(' ')} failed (exit 1): ${failure}`);
    const [command, name, ...rest] = args;
    const port = this.ports.get(name!);
    if (!port) throw new Error(`ethtool ${args.join(' ')} failed (exit 1): netlink error: no device matches name (offset 24)`);
    switch (command) {
      case '-i':
        return `driver: pvnic\nversion: 1.0.0\nfirmware-version: \nbus-info: \n`;
      case '-c':
        return `Coalesce parameters for ${name}:\nAdaptive RX: n/a  TX: n/a\nstats-block-usecs: n/a\nrx-usecs: ${port.rxUsecs}\nrx-frames: n/a\ntx-usecs: n/a\n\n`;
      case '-C':
        if (rest[0] !== 'rx-usecs' || Number(rest[1]) > 100_000) throw new Error(`ethtool ${args.join(' ')} failed (exit 1): netlink error: Invalid argument`);
        port.rxUsecs = this.keepUsecs(Number(rest[1]));
        return '';
      case '-g':
        return `Ring parameters for ${name}:\nPre-set maximums:\nRX:\t\t\t2048\nRX Mini:\t\tn/a\nRX Jumbo:\t\tn/a\nTX:\t\t\tn/a\nCurrent hardware settings:\nRX:\t\t\t${Math.ceil(port.rxBufLen / 2048)}\nRX Mini:\t\tn/a\nRX Jumbo:\t\tn/a\nTX:\t\t\tn/a\nRX Buf Len:\t\t${port.rxBufLen}\nCQE Size:\t\tn/a\nTX Push:\t\toff\n\n`;
      case '-G':
        port.rxBufLen = Number(rest[1]);
        return '';
      case '--show-priv-flags':
        return `Private flags for ${name}:\n${FLAGS.map((f) => `${f.padEnd(11)}: ${port.flags.has(f) ? 'on' : 'off'}`).join('\n')}\n`;
      case '--set-priv-flags':
        for (let i = 0; i < rest.length; i += 2) {
          if (rest[i + 1] === 'on') port.flags.add(rest[i]!);
          else port.flags.delete(rest[i]!);
        }
        return '';
      case '-k':
        return `Features for ${name}:\n${FEATURES.map((f) => [`${f.name}: ${port.features.has(f.name) ? 'on' : 'off'}${f.fixed ? ' [fixed]' : ''}`, ...(f.parts ?? []).map((p) => `\t${p}`)].join('\n')).join('\n')}\n`;
      case '-K': {
        const asked = new Map<string, boolean>();
        for (let i = 0; i < rest.length; i += 2) asked.set(rest[i]!, rest[i + 1] === 'on');
        for (const [feature, on] of asked) {
          const known = FEATURES.find((f) => f.name === feature);
          if (!known) throw new Error(`ethtool ${args.join(' ')} failed (exit 1): feature ${feature} not found`);
          // As ethtool 6.1 does: a fixed feature cannot be asked for, whatever it is.
          if (known.fixed) throw new Error(`ethtool ${args.join(' ')} failed (exit 1): Could not change any device features`);
          if (on) port.features.add(feature);
          else port.features.delete(feature);
        }
        return '';
      }
      default:
        throw new Error(`ethtool ${args.join(' ')} failed (exit 1): unknown command`);
    }
  };
}
