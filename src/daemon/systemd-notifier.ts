import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { DaemonObserver, SwitchRecord } from './daemon-stages.js';
import type { NotifySend } from './notify-socket.js';

/** What a service manager told persona through its environment (systemd's sd_notify protocol). */
export interface NotifyEnvironment {
  NOTIFY_SOCKET?: string;
  WATCHDOG_USEC?: string;
  WATCHDOG_PID?: string;
}

export interface SystemdNotifierOptions {
  send: NotifySend;
  /** Keep-alive period: half of WATCHDOG_USEC; absent without a watchdog. */
  watchdogIntervalMs?: number;
  clock: Clock;
  logger: Logger;
}

/**
 * Tells systemd how the daemon is doing (Type=notify): READY=1 once the broker is connected
 * AND the first personality is applied, so that units ordered after persona find the drivers
 * in a known state; WATCHDOG=1 from a timer on the event loop, so a blocked loop is noticed;
 * STOPPING=1 on the way out. Failures to send are logged once, never thrown: systemd going
 * away must not take the daemon with it.
 */
export class SystemdNotifier {
  private brokerUrl: string | undefined;
  private firstSwitch: SwitchRecord | undefined;
  private ready = false;
  private cancelWatchdog: (() => void) | undefined;
  private sendFailed = false;

  constructor(private readonly options: SystemdNotifierOptions) {}

  /**
   * The notifier systemd asks for, or undefined when persona was not started by a service
   * manager (no NOTIFY_SOCKET). The watchdog is persona's only when WATCHDOG_PID, if set, is its pid.
   */
  static fromEnvironment(env: NotifyEnvironment, pid: number, options: Omit<SystemdNotifierOptions, 'watchdogIntervalMs' | 'send'> & { sender: (socket: string) => NotifySend }): SystemdNotifier | undefined {
    const socket = env.NOTIFY_SOCKET;
    if (socket === undefined || socket === '') return undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const ours = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === '' || Number(env.WATCHDOG_PID) === pid;
    const watchdogIntervalMs = ours && Number.isInteger(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : undefined;
    if (env.WATCHDOG_USEC !== undefined && watchdogIntervalMs === undefined && ours) options.logger.warn(`WATCHDOG_USEC "${env.WATCHDOG_USEC}" is not a positive whole number of microseconds: no watchdog pings`);
    return new SystemdNotifier({ send: options.sender(socket), clock: options.clock, logger: options.logger, ...(watchdogIntervalMs !== undefined ? { watchdogIntervalMs } : {}) });
  }

  /** Starts the watchdog pings (the first at once: starting may take a while). */
  start(): void {
    const interval = this.options.watchdogIntervalMs;
    if (interval === undefined || this.cancelWatchdog) return;
    this.send('WATCHDOG=1');
    this.cancelWatchdog = this.options.clock.every(interval, () => this.send('WATCHDOG=1'));
  }

  /** The broker accepted the daemon's connection. */
  connected(brokerUrl: string): void {
    this.brokerUrl = brokerUrl;
    this.readyIfDue();
  }

  /** A personality was applied (or taken over unchanged); only the first one matters. */
  applied(record: SwitchRecord): void {
    this.firstSwitch ??= record;
    this.readyIfDue();
  }

  /** Passes everything on to `inner`, and notes the first applied personality. */
  observing(inner: DaemonObserver): DaemonObserver {
    return {
      contextChanged: (change, features) => inner.contextChanged?.(change, features),
      decided: (record) => inner.decided?.(record),
      switched: (record) => {
        inner.switched?.(record);
        this.applied(record);
      },
      applyFailed: (target, personality, error) => inner.applyFailed?.(target, personality, error),
    };
  }

  /** Says the daemon is going down and ends the pings. */
  stop(): void {
    this.cancelWatchdog?.();
    this.cancelWatchdog = undefined;
    this.send('STOPPING=1');
  }

  private readyIfDue(): void {
    if (this.ready || this.brokerUrl === undefined || this.firstSwitch === undefined) return;
    this.ready = true;
    const { target, to } = this.firstSwitch;
    this.send(`READY=1\nSTATUS=connected to ${this.brokerUrl}; ${target.key} runs ${to}`);
  }

  private send(message: string): void {
    try {
      this.options.send(message);
      if (this.sendFailed) this.options.logger.info('the service manager hears persona again');
      this.sendFailed = false;
    } catch (err) {
      if (!this.sendFailed) this.options.logger.warn(`cannot notify the service manager (${message.split('\n')[0]}): ${(err as Error).message}`);
      this.sendFailed = true;
    }
  }
}
