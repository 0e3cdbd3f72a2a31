import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/common/package-root.js';

/**
 * Reports every module file loaded, on standard error, from the loader's thread. It writes to the
 * descriptor itself: a worker's process.stderr passes through the main thread, which may exit
 * before it has written what a busy machine left queued.
 */
const REPORT_LOADS = `import { writeSync } from 'node:fs'; export async function load(url, context, next) { if (url.startsWith('file:')) writeSync(2, 'loaded ' + url + '\\n'); return next(url, context); }`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(REPORT_LOADS)}`)});`;

/** The folder of the compiled sources, as a URL ending in a slash. */
export const DIST_SRC = pathToFileURL(join(packageRoot(), 'dist/src/')).href;

/**
 * Every module file (as a file: URL) that a module script loads, run in a process of its own
 * that has loaded nothing else: the module cache of a test process would hide them.
 */
export function filesLoaded(script: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', script], { cwd: packageRoot() }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`the script failed: ${stderr}`));
      else resolve([...stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1]!));
    });
  });
}

/** The compiled modules (paths under dist/src/) that a module script loads (see filesLoaded). */
export async function modulesLoaded(script: string): Promise<string[]> {
  return (await filesLoaded(script)).filter((url) => url.startsWith(DIST_SRC)).map((url) => url.slice(DIST_SRC.length));
}
