import { cpSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import type { PersonaConfig } from '../../src/daemon/config.js';

/** A copy of the demo manifests a test may change, and an anti-rollback state file of its own. */
export interface DemoManifestsCopy {
  /** The copy's pvnic folder: `<name>.dsse.json`. */
  readonly pvnic: string;
  readonly stateFile: string;
  /** What makes the daemon load the copy and keep its state in stateFile. */
  readonly overrides: Partial<PersonaConfig>;
}

export function copyDemoManifests(dir: string): DemoManifestsCopy {
  const manifests = join(dir, 'manifests');
  cpSync(join(packageRoot(), 'manifests'), manifests, { recursive: true });
  const stateFile = join(dir, 'state', 'manifest-state.json');
  return { pvnic: join(manifests, 'pvnic'), stateFile, overrides: { manifests, trust: join(manifests, 'trust'), manifestState: stateFile } };
}

/** What shows a write on the file system: a write renames a new file over the old one. */
export function fileIdentity(file: string): { ino: bigint; mtimeNs: bigint; text: string } {
  const { ino, mtimeNs } = statSync(file, { bigint: true });
  return { ino, mtimeNs, text: readFileSync(file, 'utf8') };
}
