/* eslint-disable no-console -- the result goes to stdout, where the VM test reads it */
/**
 * Runs inside the VM as a member of group persona: switches pvnic between two signed
 * personalities n times through KmodBackend, the daemon's own path to the kernel, while a
 * watcher reads the driver's values. Prints one JSON line: switches done and their p50/p99 in µs.
 * Usage: node switch-loop.js <manifest dir> <trust dir> <state file> <personality A> <personality B> <n>
 */
import { KmodBackend } from '../../src/backend/kmod-backend.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import { RollbackState } from '../../src/manifests/rollback-state.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';

const [dir, trust, stateFile, a, b, count] = process.argv.slice(2) as [string, string, string, string, string, string];
const rollback = RollbackState.open(stateFile);
const store = ManifestStore.load(dir, new SignedManifestVerifier(trust, rollback), undefined, { rollback });
const pair = [store.require('pvnic', a).parameters, store.require('pvnic', b).parameters];
const backend = KmodBackend.open();
const n = Number(count);
const samples: number[] = [];
for (let i = 0; i < n; i++) {
  const started = process.hrtime.bigint();
  await backend.apply('pvnic', pair[i % 2]!, ['pvnic0', 'pvnic1']);
  samples.push(Number(process.hrtime.bigint() - started) / 1000);
}
await backend.stop();
samples.sort((x, y) => x - y);
const at = (q: number): number => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!);
console.log(JSON.stringify({ switches: n, p50Us: at(0.5), p99Us: at(0.99) }));
