import { SimulatedBackend, type SimulatedDriver } from '../../src/backend/simulated-backend.js';
import pvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };
import type { Daemon } from '../../src/daemon/daemon.js';
import type { PersonaConfig } from '../../src/daemon/config.js';
import type { CounterSource } from '../../src/health/counter-source.js';
import type { Leg } from './drive-script.js';
import { runScenario } from './scenario.js';

const D = 4; // a forward gear
const P = 126;

/**
 * A simulated pvnic with its physics: `packetsPerS` arrive (8,000 unless told) and each interrupt
 * takes at most a ring's worth (DMA_buffer_size / 2 KB), so drops/s = packetsPerS − ring entries /
 * coalescing time. Highway's 4 ms before its 256 KB ring is in place (it waits for a standstill)
 * keeps parked's 16 KB: 6,000 drops/s, which breaks highway's health bounds; after city's 64 KB,
 * 16,000 packets/s do. `attach` gives the counters the daemon's (CAN) time.
 */
export function droppingPvnic(packetsPerS = 8000): { backend: SimulatedBackend; counters: CounterSource; attach: (daemon: () => Daemon) => void } {
  const backend = new SimulatedBackend([pvnic as unknown as SimulatedDriver]);
  let dropped = 0;
  let lastMs: number | undefined;
  let daemon: (() => Daemon) | undefined;
  const counters: CounterSource = {
    read: () => {
      const now = daemon?.().timeMs ?? 0;
      const values = backend.read('pvnic', 'pvnic0');
      const capacityPerS = (values.DMA_buffer_size as number) / 2048 / ((values.interrupt_coalescence_time as number) / 1e9);
      if (lastMs !== undefined) dropped += (Math.max(0, packetsPerS - capacityPerS) * (now - lastMs)) / 1000;
      lastMs = now;
      return { rx_dropped: dropped, rx_packets: (packetsPerS / 1000) * now };
    },
  };
  return { backend, counters, attach: (d) => (daemon = d) };
}

/**
 * Parked, city, then the motorway on the dropping pvnic, where highway breaks its health bounds
 * and is quarantined; then the legs `then` gives.
 */
export async function driveIntoQuarantine(then: (daemon: () => Daemon) => Leg[], overrides: Partial<PersonaConfig> = {}) {
  const { backend, counters, attach } = droppingPvnic();
  const r = await runScenario(
    (d) => {
      attach(d);
      return [{ seconds: 1, speedKmh: 0, gear: P }, { seconds: 20, speedKmh: 40, gear: D }, { seconds: 30, speedKmh: 110, gear: D }, ...then(d)];
    },
    overrides,
    undefined,
    backend,
    counters,
  );
  return { r, backend };
}
