import { cpSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import { DirectoryNamespace } from '../../src/namespace/directory-namespace.js';
import { InstanceFeed } from '../../src/namespace/instance-feed.js';
import type { NamespaceSnapshot } from '../../src/namespace/namespace-source.js';

const UPDATED = '2026-06-01T00:00:00.000Z';
const NOW = Date.parse(UPDATED);
const POLL_MS = 1000;

/** A context for cockpit-1: the decoy's names cockpit-1 too, so only the link can keep it out. */
function context(role: string): string {
  return JSON.stringify({ format: 1, instance: 'cockpit-1', role, resources: 'normal', hostPressure: null, updated: UPDATED });
}

function recorder(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(typeof m === 'string' ? m : m()), child: () => logger };
  return { logger, warnings };
}

/** Every file below `folder` rewritten: a decoy context, or decoy bytes for a personality. */
function rewriteAsDecoy(folder: string): void {
  if (statSync(folder).isFile()) {
    writeFileSync(folder, folder.endsWith('context.json') ? context('batch') : 'decoy');
    return;
  }
  for (const name of readdirSync(folder)) rewriteAsDecoy(join(folder, name));
}

/** `relativePath` below `root` replaced by a link to a decoy copy of it, placed outside the namespace's layout. */
function replaceWithLinkToDecoy(root: string, relativePath: string): void {
  const place = join(root, relativePath);
  const decoy = join(root, 'decoys', relativePath.replaceAll('/', '_'));
  cpSync(place, decoy, { recursive: true });
  rewriteAsDecoy(decoy);
  rmSync(place, { recursive: true });
  symlinkSync(decoy, place);
}

function share(t: Test): string {
  return t.testdir({
    instances: { 'cockpit-1': { 'context.json': context('cockpit') }, 'adas-1': { 'context.json': context('adas') } },
    personalities: { pvnic: { 'safe.dsse.json': 'safe v1', cockpit: { 'highway.dsse.json': 'highway v1' } } },
    decoys: {},
  });
}

/**
 * Reads the share, puts the link in, polls again, and returns what the namespace said and
 * what the instance feed holds afterwards.
 */
function readAcrossLink(root: string, relativePath: string): { first: NamespaceSnapshot; latest: NamespaceSnapshot; warnings: string[]; feed: InstanceFeed } {
  const { logger, warnings } = recorder();
  const clock = new SimulatedClock();
  const feed = new InstanceFeed('cockpit-1', 60_000, silentLogger, () => NOW);
  const seen: NamespaceSnapshot[] = [];
  const ns = new DirectoryNamespace(root, 'cockpit-1', 'cockpit', POLL_MS, clock, logger);
  ns.start((snapshot) => {
    seen.push(snapshot);
    feed.update(snapshot.context);
  });
  replaceWithLinkToDecoy(root, relativePath);
  clock.advance(POLL_MS);
  ns.stop();
  return { first: seen[0]!, latest: seen.at(-1)!, warnings, feed };
}

const LEVELS: ReadonlyArray<{ level: string; link: string; absent: { context: boolean; personalities: readonly string[] } }> = [
  { level: 'personalities/', link: 'personalities', absent: { context: false, personalities: ['pvnic/safe.dsse.json', 'pvnic/cockpit/highway.dsse.json'] } },
  { level: 'instances/', link: 'instances', absent: { context: true, personalities: [] } },
  { level: 'instances/<id>/', link: 'instances/cockpit-1', absent: { context: true, personalities: [] } },
  { level: 'the driver folder', link: 'personalities/pvnic', absent: { context: false, personalities: ['pvnic/safe.dsse.json', 'pvnic/cockpit/highway.dsse.json'] } },
  { level: 'the profile folder', link: 'personalities/pvnic/cockpit', absent: { context: false, personalities: ['pvnic/cockpit/highway.dsse.json'] } },
  { level: 'context.json itself', link: 'instances/cockpit-1/context.json', absent: { context: true, personalities: [] } },
  { level: 'a personality file itself', link: 'personalities/pvnic/cockpit/highway.dsse.json', absent: { context: false, personalities: ['pvnic/cockpit/highway.dsse.json'] } },
];

void t.test('a link at any level of a shared folder is refused with E_LINK naming it, and changes nothing', async (t) => {
  for (const { level, link, absent } of LEVELS) {
    await t.test(level, (t) => {
      const root = share(t);
      const { first, latest, warnings, feed } = readAcrossLink(root, link);
      t.equal(first.personalities.size, 2, 'everything was read before the link');
      const place = join(root, link);
      const named = warnings.filter((w) => w.endsWith(`${place}: is a symbolic link, not followed below ${root} [E_LINK]`) || w.endsWith(`: ${place} is a symbolic link, not followed below ${root} [E_LINK]`));
      t.equal(named.length, 1, 'one warning names the link');
      t.notOk([...latest.personalities.values(), latest.context].some((d) => d?.bytes.toString().includes('decoy') || d?.bytes.toString().includes('"batch"')), 'nothing behind the link is read');
      t.equal(latest.context === null, absent.context, 'the context is refused only when the link is on its way');
      t.strictSame([...first.personalities.keys()].filter((p) => !latest.personalities.has(p)), absent.personalities, 'only what lies behind the link is missing');
      for (const [path, document] of latest.personalities) t.ok(first.personalities.get(path)?.bytes.equals(document.bytes), `${path} is what it was`);
      t.match(feed.reading(), { role: 'cockpit', stale: false, source: `dir:${join(root, 'instances/cockpit-1/context.json')}` }, 'the previous context stays in force');
      t.end();
    });
  }
});

void t.test('finding 3: instances/<id> linked to another instance\'s folder does not read its context.json', (t) => {
  const root = t.testdir({
    instances: { 'cockpit-1': { 'context.json': context('cockpit') }, 'adas-1': { 'context.json': context('adas') } },
    personalities: {},
  });
  const { logger, warnings } = recorder();
  const clock = new SimulatedClock();
  const feed = new InstanceFeed('cockpit-1', 60_000, silentLogger, () => NOW);
  const contexts: Array<string | undefined> = [];
  new DirectoryNamespace(root, 'cockpit-1', 'cockpit', POLL_MS, clock, logger).start((snapshot) => {
    contexts.push(snapshot.context?.bytes.toString());
    feed.update(snapshot.context);
  });
  rmSync(join(root, 'instances/cockpit-1'), { recursive: true });
  symlinkSync(join(root, 'instances/adas-1'), join(root, 'instances/cockpit-1'));
  clock.advance(POLL_MS);
  t.strictSame(contexts, [context('cockpit'), undefined], 'the other folder\'s context.json is never read');
  t.strictSame(warnings, [`skipped ${join(root, 'instances/cockpit-1/context.json')}: ${join(root, 'instances/cockpit-1')} is a symbolic link, not followed below ${root} [E_LINK]`]);
  t.equal(feed.reading().role, 'cockpit', 'the previous context stays in force');
  t.end();
});

void t.test('the namespace root itself may be a link: the integrator configured it', (t) => {
  const base = t.testdir({ real: { instances: { 'cockpit-1': { 'context.json': context('cockpit') } }, personalities: { pvnic: { 'safe.dsse.json': 'safe v1' } } } });
  symlinkSync(join(base, 'real'), join(base, 'ns'));
  const { logger, warnings } = recorder();
  const seen: NamespaceSnapshot[] = [];
  new DirectoryNamespace(join(base, 'ns'), 'cockpit-1', 'cockpit', POLL_MS, new SimulatedClock(), logger).start((s) => seen.push(s));
  t.equal(seen[0]!.context?.bytes.toString(), context('cockpit'));
  t.strictSame([...seen[0]!.personalities.keys()], ['pvnic/safe.dsse.json']);
  t.strictSame(warnings, []);
  t.end();
});
