/**
 * The shared namespace over virtio-9p, as a hypervisor gives it: the host agent writes into a
 * folder QEMU shares read-only into the guest; the guest's persona (kernel backend, pvnic)
 * notices it runs under KVM/QEMU, adopts a newer signed personality for its profile from the
 * share and applies it to pvnic, and refuses a tampered one. The adoption latency is measured
 * in the guest, from the new file being visible in the share to the value being in the driver.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { HostAgent } from '../../src/host/host-agent.js';
import { demoSigned } from '../namespace/fixtures/demo-signed.js';
import { buildKmod, kmodAvailable, kmodKernel } from './kmod-build.js';
import { bootVm, kernelProblems } from './vm-harness.js';

const root = packageRoot();
const CLI = `${process.execPath} ${join(root, 'dist/src/cli/main.js')}`;
const SHARED = '/run/persona-ns';
const SAFE_FILE = `${SHARED}/personalities/pvnic/cockpit/safe.dsse.json`;
const COALESCE = '/sys/class/net/pvnic0/pvnic/interrupt_coalescence_time';
const availability = kmodAvailable();

const GUEST_SETUP = `set -e
ip link set lo up
ip link add dev vcan0 type vcan && ip link set vcan0 up
mkdir -p /tmp/persona
cat >/tmp/persona/config.json <<'JSON'
{ "ecuId": "vm-1", "instanceProfile": "cockpit", "namespace": "dir:${SHARED}", "namespacePollMs": 250,
  "backend": "kmod", "can": "socketcan:vcan0", "manifests": "${root}/manifests", "trust": "${root}/manifests/trust",
  "manifestState": "/tmp/persona/state/manifest-state.json", "workloadIntervalMs": 0 }
JSON
cd /tmp/persona && (${CLI} run --config /tmp/persona/config.json >/tmp/persona/log 2>&1 &)`;

/** Waits in the guest, up to `seconds`, until `condition` (a shell test) holds, looking every `stepS`. */
const until = (condition: string, seconds: number, stepS = 0.2): string => `i=0; until ${condition}; do i=$((i+1)); [ $i -gt ${Math.round(seconds / stepS)} ] && exit 1; sleep ${stepS}; done`;

if (!availability.ok) {
  if (process.env.CI) t.fail(availability.reason);
  else t.pass('the shared namespace in a guest', { skip: availability.reason });
} else {
  t.setTimeout(300_000);
  void t.test('a guest adopts a signed personality from the 9p share and applies it to pvnic; a tampered one is refused', async (t) => {
    const kernel = kmodKernel();
    const build = buildKmod(root, kernel);
    const host = mkdtempSync(join(tmpdir(), 'persona-host-'));
    t.teardown(() => rmSync(host, { recursive: true, force: true }));
    const namespace = join(host, 'ns');
    const releases = join(host, 'releases');
    writeFileSync(join(host, 'host.json'), JSON.stringify({ namespaceDir: namespace, releases, instances: { 'vm-1': { role: 'cockpit', profile: 'cockpit', resources: 'normal' } } }));
    mkdirSync(releases);
    const agent = new HostAgent(join(host, 'host.json'), { logger: silentLogger, clock: new SimulatedClock(), pressure: () => 3 });
    await agent.tick();

    const vm = await bootVm({ kernel: kernel.image, modules: [build.modules.persona, build.modules.vnic], share: { path: namespace, tag: 'persona-ns' }, log: (line) => t.comment(line) });
    t.teardown(() => vm.shutdown());
    const started = await vm.run(GUEST_SETUP);
    t.equal(started.exitCode, 0, started.output);
    // A silent bus gives the safe personality: 2ms coalescing from the bundled manifest.
    const safe = await vm.run(`${until(`grep -q '→ safe (safety)' /tmp/persona/log`, 40)}; cat ${COALESCE}`, { timeoutMs: 90_000 });
    t.match(safe.output, /^2000000$/m);
    t.equal(safe.exitCode, 0, `the bundled safe personality is applied: ${safe.output}\n${(await vm.run('cat /tmp/persona/log')).output}`);
    const log = await vm.run('cat /tmp/persona/log');
    t.match(log.output, /running in a guest of kvm-qemu/, 'persona sees it runs under KVM/QEMU');

    // Watches, on the guest's own clock, for the file to show in the share and then for the value in the driver.
    const watch = await vm.run(
      `(${until(`[ -e ${SAFE_FILE} ]`, 60, 0.02)}; a=$(date +%s%N); ${until(`[ "$(cat ${COALESCE})" = 7000000 ]`, 60, 0.02)}; b=$(date +%s%N); echo "visible-to-applied-ms $(( (b - a) / 1000000 ))" >/tmp/persona/latency) >/dev/null 2>&1 &`,
    );
    t.equal(watch.exitCode, 0);
    writeFileSync(join(releases, 'safe-cockpit.dsse.json'), demoSigned('safe', { version: 3, instanceProfiles: ['cockpit'], parameters: { interrupt_coalescence_time: '7ms', DMA_buffer_size: '32KB', power_saving_mode: 'aggressive', feature_set: ['rx_checksum'] } }));
    const written = performance.now();
    await agent.tick();
    const applied = await vm.run(`${until(`[ -e /tmp/persona/latency ]`, 60)}; cat /tmp/persona/latency`, { timeoutMs: 70_000 });
    const hostMs = performance.now() - written;
    t.equal(applied.exitCode, 0, `safe v3 for cockpit is adopted and applied: ${applied.output}\n${(await vm.run('cat /tmp/persona/log')).output}`);
    const latency = /visible-to-applied-ms (\d+)/.exec(applied.output)?.[1];
    t.comment(`adoption latency in the guest (share → applied to pvnic0, the daemon polling every 250 ms, this watcher every 20 ms): ${latency} ms; from the host's write to the host seeing it applied: ${hostMs.toFixed(0)} ms`);
    t.ok(latency !== undefined && Number(latency) < 10_000, 'applied within seconds of being visible');
    const adopted = await vm.run(`cat /tmp/persona/log; ls /tmp/persona/state/adopted/pvnic/cockpit`);
    t.match(adopted.output, /adopted pvnic\/cockpit\/safe version 3 from dir:\/run\/persona-ns\/personalities\/pvnic\/cockpit\/safe\.dsse\.json/);
    t.match(adopted.output, /safe\.dsse\.json/);

    // Tampered in the share: a version 4 whose payload was changed after signing.
    const good = JSON.parse(demoSigned('safe', { version: 4, instanceProfiles: ['cockpit'], parameters: { interrupt_coalescence_time: '6ms', DMA_buffer_size: '32KB', power_saving_mode: 'aggressive', feature_set: ['rx_checksum'] } }).toString()) as { payload: string };
    const payload = Buffer.from(good.payload, 'base64').toString().replace('"6ms"', '"1ms"');
    writeFileSync(join(namespace, 'personalities/pvnic/cockpit/safe.dsse.json'), JSON.stringify({ ...good, payload: Buffer.from(payload).toString('base64') }));
    const refused = await vm.run(`${until(`grep -q E_SIGNATURE /tmp/persona/log`, 30)}; grep -E 'refused|E_SIGNATURE' /tmp/persona/log; cat ${COALESCE}`, { timeoutMs: 40_000 });
    t.equal(refused.exitCode, 0, refused.output);
    t.match(refused.output, /refused dir:\/run\/persona-ns\/personalities\/pvnic\/cockpit\/safe\.dsse\.json: .*\[E_SIGNATURE\]; version 3 stays adopted/);
    t.match(refused.output, /\n7000000\n?$/, 'pvnic keeps the adopted version 3');
    const stopped = await vm.run('pkill -TERM -f "main.js run" ; sleep 1; dmesg | tail -n 50');
    t.same(kernelProblems(stopped.output + (await vm.dmesg())), [], 'the kernel log is clean');
  });
}
