/** What pvnic shows of a personality in the guest, through ethtool and sysfs, and what it must show. */
import { parseDuration, parseSize } from '../../src/manifests/units.js';
import type { Vm } from '../vm/vm-harness.js';

export const PORTS = ['pvnic0', 'pvnic1'] as const;

/** What the driver shows of one port, through ethtool and through sysfs. */
export interface PortValues {
  ethtoolRxUsecs: number;
  ethtoolRxBufLen: number;
  coalesceNs: number;
  dmaBytes: number;
  power: string;
  features: string;
}

/** persona.ko's count of pvnic's applies: read before and after the ports, it tells whether an apply came in between. */
const GENERATION = 'echo "generation $(cat /sys/class/misc/persona/drivers/pvnic/generation)"';

const READBACK = PORTS.map(
  (port) => `echo "${port} rx-usecs $(ethtool -c ${port} | awk '/^rx-usecs:/ { print $2 }')"
echo "${port} rx-buf-len $(ethtool -g ${port} | awk '/^Current/ { c = 1 } c && /^RX Buf Len:/ { print $4 }')"
for f in interrupt_coalescence_time DMA_buffer_size power_saving_mode feature_set; do echo "${port} $f $(cat /sys/class/net/${port}/pvnic/$f)"; done`,
).join('\n');

export async function readDriver(vm: Vm): Promise<Record<string, PortValues>> {
  return (await readDriverAt(vm)).ports;
}

/** What the driver shows, and its generation before and after reading it: equal, no apply came in between. */
export async function readDriverAt(vm: Vm): Promise<{ ports: Record<string, PortValues>; generations: [number, number] }> {
  const r = await vm.run(`${GENERATION}\n${READBACK}\n${GENERATION}`);
  if (r.exitCode !== 0) throw new Error(`reading pvnic: ${r.output}`);
  const fields = new Map<string, string>();
  const generations: number[] = [];
  for (const line of r.output.trim().split('\n')) {
    const generation = /^generation(?: (\d+))?$/.exec(line);
    if (generation) {
      if (generation[1] === undefined) throw new Error(`reading pvnic's generation: ${r.output}`);
      generations.push(Number(generation[1]));
      continue;
    }
    const [port, key, ...rest] = line.split(' ');
    fields.set(`${port} ${key}`, rest.join(' '));
  }
  if (generations.length !== 2) throw new Error(`reading pvnic's generation: ${r.output}`);
  const get = (port: string, key: string): string => fields.get(`${port} ${key}`) ?? '';
  const ports = Object.fromEntries(
    PORTS.map((port) => [
      port,
      {
        ethtoolRxUsecs: Number(get(port, 'rx-usecs')),
        ethtoolRxBufLen: Number(get(port, 'rx-buf-len')),
        coalesceNs: Number(get(port, 'interrupt_coalescence_time')),
        dmaBytes: Number(get(port, 'DMA_buffer_size')),
        power: get(port, 'power_saving_mode'),
        features: get(port, 'feature_set').split(' ').filter(Boolean).sort().join(','),
      },
    ]),
  );
  return { ports, generations: generations as [number, number] };
}

/** What a port must show for parameters in manifest units ("4ms", "256KB", "gro,tso"). */
export function expectedPort(parameters: Record<string, string>): PortValues {
  const ns = parseDuration(parameters.interrupt_coalescence_time!);
  const bytes = parseSize(parameters.DMA_buffer_size!);
  return {
    ethtoolRxUsecs: ns / 1000,
    ethtoolRxBufLen: bytes,
    coalesceNs: ns,
    dmaBytes: bytes,
    power: parameters.power_saving_mode!,
    features: parameters.feature_set!.split(',').filter(Boolean).sort().join(','),
  };
}
