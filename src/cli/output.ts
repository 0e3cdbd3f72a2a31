/** Where the CLI writes: `print` for results (stdout), `log` for diagnostics (stderr). */
export interface Output {
  print(line: string): void;
  log(line: string): void;
}

/** Bad command line or unusable input: reported without a stack trace. */
export class UsageError extends Error {}

/** Exit code for configuration errors (config file, flags, vehicle, policy, manifests). */
export const EXIT_CONFIG = 2;
/** Exit code for a wrong command line or an operation that failed. */
export const EXIT_FAILURE = 1;
/**
 * Exit code of `persona select` when the daemon placed the hold but it is not in force: outranked
 * (by a safety rule or a stronger hold), gated (waiting for a standstill) or deferred (the
 * minimum interval between switches). The hold stands and its token was printed; a script that
 * needs the personality now must not take this for success, nor throw the token away.
 */
export const EXIT_PLACED_NOT_IN_FORCE = 3;
