import t from 'tap';
import { DIST_SRC, modulesLoaded } from '../helpers/modules-loaded.js';

/** What the commands that talk to a running daemon need: the CLI, MQTT.js and the MQTT contract. */
const CLIENT_MODULES = /^cli\/|^mqtt\/(contract|broker-credentials|no-delay|topic-filter)\.js$/;
const COMMANDS = ['status', 'watch', 'list', 'select', 'release', 'why'];

// `persona status` should cost about what a minimal MQTT client costs: none of the daemon's modules.
void t.test(`persona ${COMMANDS.join(', ')} load the CLI and the MQTT contract only`, async (t) => {
  const loaded = await modulesLoaded(COMMANDS.map((c) => `await import(${JSON.stringify(`${DIST_SRC}cli/${c}-command.js`)});`).join('\n'));
  t.same(COMMANDS.filter((c) => !loaded.includes(`cli/${c}-command.js`)), [], 'every command is loaded');
  t.same(loaded.filter((m) => !CLIENT_MODULES.test(m)), []);
});
