/**
 * `npm test` runs this before lint and tap: it checks that the Debian packages the suite needs are
 * here, installs the missing ones when it runs as root with apt-get, and otherwise stops before
 * any test with the one apt-get line to run. Exit code 0: the tests may run; 1: they may not.
 */
import { spawnSync } from 'node:child_process';
import { DEBIAN_NEEDS } from './debian-needs.js';
import { MODE_VARIABLE, planAfterInstall, planPreflight, preflightMode, type MissingPackage, type Verdict } from './preflight-plan.js';
import { onPath } from '../vm/vm-host.js';

function missingPackages(): MissingPackage[] {
  return DEBIAN_NEEDS.flatMap((need) => {
    const absent = need.absent();
    return absent === undefined ? [] : [{ package: need.package, neededBy: need.neededBy, absent }];
  });
}

/** Runs the commands in turn, their output on this terminal; undefined when all succeeded, else what failed. */
function runAll(commands: readonly (readonly string[])[]): string | undefined {
  for (const [command, ...args] of commands) {
    const result = spawnSync(command!, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.error) return `${command} ${args.join(' ')}: ${result.error.message}`;
    if (result.status !== 0) return `${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`;
  }
  return undefined;
}

/** Prints the plan's text and returns the exit code it stands for. */
function conclude(plan: Verdict): number {
  (plan.action === 'go' ? process.stdout : process.stderr).write(`${plan.text}\n`);
  return plan.action === 'go' ? 0 : 1;
}

function main(): number {
  const mode = preflightMode(process.env[MODE_VARIABLE]);
  const plan = planPreflight(DEBIAN_NEEDS.length, missingPackages(), { root: process.getuid?.() === 0, apt: onPath('apt-get') !== undefined, mode });
  if (plan.action !== 'install') return conclude(plan);
  process.stdout.write(`${plan.text}\n`);
  const failure = runAll(plan.commands);
  if (failure !== undefined) {
    process.stderr.write(`preflight: ${failure}, so no test was run\n`);
    return 1;
  }
  return conclude(planAfterInstall(DEBIAN_NEEDS.length, plan.packages, missingPackages()));
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`preflight: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
