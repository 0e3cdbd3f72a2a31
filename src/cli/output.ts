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
