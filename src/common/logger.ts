/** Syslog-style levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Messages may be lazy so hot paths pay nothing when the level is off. */
export type LogMessage = string | (() => string);

export interface Logger {
  error(message: LogMessage): void;
  warn(message: LogMessage): void;
  info(message: LogMessage): void;
  debug(message: LogMessage): void;
  /** A logger for a sub-module: `persona:can` → `persona:can:replay`. */
  child(namespace: string): Logger;
}

export type LogWriter = (line: string) => void;

/** Writes `level namespace message` lines to a writer (stderr by default). */
export function createLogger(
  namespace = 'persona',
  level: LogLevel = 'info',
  write: LogWriter = (line) => process.stderr.write(line + '\n'),
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (at: LogLevel, message: LogMessage): void => {
    if (LOG_LEVELS.indexOf(at) > threshold) return;
    const text = typeof message === 'function' ? message() : message;
    write(`${at.padEnd(5)} ${namespace}: ${text}`);
  };
  return {
    error: (m) => emit('error', m),
    warn: (m) => emit('warn', m),
    info: (m) => emit('info', m),
    debug: (m) => emit('debug', m),
    child: (ns) => createLogger(`${namespace}:${ns}`, level, write),
  };
}

/** A logger that drops everything: the default for stages under test. */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
