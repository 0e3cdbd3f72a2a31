/**
 * What `npm test` does about the Debian packages the suite needs, decided from what is missing
 * and what this machine allows, before any test runs: go on, install them, or stop with the
 * one command that installs them. Deciding is kept apart from looking and installing so that
 * every case can be tested without apt.
 */

/** A needed package whose files are not there, and what its check did not find. */
export interface MissingPackage {
  readonly package: string;
  readonly neededBy: string;
  readonly absent: string;
}

/**
 * `install` (the default): install what is missing when this machine allows it, else stop.
 * `report`: never install; name what is missing and run the tests all the same.
 */
export type PreflightMode = 'install' | 'report';

export interface Machine {
  /** Running as root, which apt-get install needs. */
  readonly root: boolean;
  /** apt-get is on PATH. */
  readonly apt: boolean;
  readonly mode: PreflightMode;
}

/** Run the tests or not, and the text that says why. */
export type Verdict = { readonly action: 'go'; readonly text: string } | { readonly action: 'stop'; readonly text: string };

export type Preflight = Verdict | { readonly action: 'install'; readonly text: string; readonly packages: readonly string[]; readonly commands: readonly (readonly string[])[] };

/** The variable that sets the mode, for developers who run the suite without some packages on purpose. */
export const MODE_VARIABLE = 'PERSONA_PREFLIGHT';

const APT_INSTALL = ['apt-get', 'install', '-y', '--no-install-recommends'];

/** The mode `PERSONA_PREFLIGHT` asks for: unset or empty is `install`. */
export function preflightMode(value: string | undefined): PreflightMode {
  if (value === undefined || value === '' || value === 'install') return 'install';
  if (value === 'report') return 'report';
  throw new Error(`${MODE_VARIABLE}=${value} is not a preflight mode: leave it unset to install what is missing, or set it to report to run the tests without it`);
}

/** What to do, given how many packages the suite needs and which of them are missing here. */
export function planPreflight(needed: number, missing: readonly MissingPackage[], machine: Machine): Preflight {
  if (missing.length === 0) return { action: 'go', text: allHere(needed) };
  const names = missing.map((m) => m.package);
  const installLine = [...(machine.root ? [] : ['sudo']), ...APT_INSTALL, ...names].join(' ');
  const [them, are] = missing.length === 1 ? ['it', 'is'] : ['them', 'are'];
  if (machine.mode === 'report') {
    return {
      action: 'go',
      text: [
        `preflight: ${MODE_VARIABLE}=report: the tests run without ${count(missing.length)} that ${are} missing; those that need ${them} fail or skip, each saying why:`,
        ...listed(missing),
        `To install ${them}:`,
        `  ${installLine}`,
      ].join('\n'),
    };
  }
  if (machine.root && machine.apt) {
    return {
      action: 'install',
      packages: names,
      text: [`preflight: installing ${count(missing.length)} that the tests need, as root with apt-get:`, ...listed(missing)].join('\n'),
      // Package lists may be absent (Debian's container images ship none) or stale, and an
      // install happens once per machine: updating first costs little and avoids 404s.
      commands: [['apt-get', 'update'], [...APT_INSTALL, ...names]],
    };
  }
  return {
    action: 'stop',
    text: [
      `preflight: the tests need ${count(missing.length)} that ${are} missing, so no test was run:`,
      ...listed(missing),
      machine.apt ? `Install ${them}, then run npm test again:` : `This machine has no apt-get: install what Debian calls ${them}, then run npm test again:`,
      `  ${installLine}`,
      `To run the tests without ${them}, each test that needs ${them} failing or skipping with its reason: ${MODE_VARIABLE}=report npm test`,
    ].join('\n'),
  };
}

/** What to do once apt-get has installed `installed`: go on if nothing is missing any more, else stop. */
export function planAfterInstall(needed: number, installed: readonly string[], stillMissing: readonly MissingPackage[]): Verdict {
  if (stillMissing.length === 0) return { action: 'go', text: `preflight: installed ${installed.join(' ')}; ${allHere(needed).slice('preflight: '.length)}` };
  return {
    action: 'stop',
    text: [`preflight: apt-get installed ${installed.join(' ')}, but the tests still find ${count(stillMissing.length)} missing, so no test was run:`, ...listed(stillMissing)].join('\n'),
  };
}

function allHere(needed: number): string {
  return `preflight: the ${needed} Debian packages the tests need are all here`;
}

function count(n: number): string {
  return n === 1 ? '1 Debian package' : `${n} Debian packages`;
}

function listed(missing: readonly MissingPackage[]): string[] {
  const width = Math.max(...missing.map((m) => m.package.length));
  return missing.map((m) => `  ${m.package.padEnd(width)}  ${m.neededBy}; ${m.absent}`);
}
