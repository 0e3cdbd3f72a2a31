import { spawnSync } from 'node:child_process';

/**
 * Debian's python3-paho-mqtt installs for Debian's own interpreter: a python3 earlier on PATH
 * (a virtualenv, pyenv) may not see it, so that one is tried too.
 */
const PYTHONS = ['python3', '/usr/bin/python3'];

/** The first python3 that imports paho-mqtt, with paho's version, or what each candidate said. */
export function findPythonWithPaho(): { python: string; paho: string } | { problems: string[] } {
  const problems: string[] = [];
  for (const python of PYTHONS) {
    const probe = spawnSync(python, ['-c', 'import paho.mqtt; print(paho.mqtt.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return { python, paho: probe.stdout.trim() };
    problems.push(`${python}: ${probe.error ? probe.error.message : probe.stderr.trim().split('\n').pop()}`);
  }
  return { problems };
}
