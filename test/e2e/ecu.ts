/** The ECU the end-to-end test deploys in the VM: its id, its broker, the client that places holds, and where its files are. */
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';

export const root = packageRoot();
export const NODE = process.execPath;
export const CLI = `${NODE} ${join(root, 'dist/src/cli/main.js')}`;
export const BROKER = 'mqtt://127.0.0.1:1883';
/** The client that places holds, as the integrator names it in apiClients. */
export const HEAD_UNIT = 'head-unit';
export const ECU = 'e2e';
// The guest sees the host's tree read-only, except its own /tmp: fixtures go under dist/.
export const FIXTURES = join(root, 'dist/e2e-fixtures');
