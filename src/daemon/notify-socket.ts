import { loadNativeAddon } from '../common/native-addon.js';

/** Sends one datagram to systemd's notify socket. */
export type NotifySend = (message: string) => void;

interface NotifyAddon {
  notify(socketPath: string, message: string): void;
}

/**
 * The sender for `$NOTIFY_SOCKET` (a path, or `@name` for an abstract socket). Node has no unix
 * datagram sockets, so the datagram goes out through persona's native addon: from the daemon's
 * own process, as `NotifyAccess=main` requires, and without a process spawned per watchdog ping
 * (which `systemd-notify` would cost, and whose messages systemd may not attribute to the unit).
 */
export function notifySocketSender(socketPath: string): NotifySend {
  let addon: NotifyAddon | undefined;
  // Loaded on the first message, so that a missing addon is a logged send failure, not a crash.
  return (message) => (addon ??= loadNativeAddon<NotifyAddon>()).notify(socketPath, message);
}
