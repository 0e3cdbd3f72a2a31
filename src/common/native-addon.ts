import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/**
 * Where `npm ci` builds persona's native addon (node-gyp, native/binding.gyp): the kernel
 * backend's device, the SocketCAN reader and the systemd notifier each load it when first used,
 * so a daemon that uses none of them never loads it.
 */
const ADDON_PATH = join(packageRoot(), 'native/build/Release/persona.node');

/** The addon's exports, as the module that uses them declares them (Node loads it once per process). */
export function loadNativeAddon<T>(): T {
  return createRequire(import.meta.url)(ADDON_PATH) as T;
}
