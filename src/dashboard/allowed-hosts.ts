import { hostname, networkInterfaces } from 'node:os';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const WILDCARD = new Set(['0.0.0.0', '::']);
/** Bound to every address, a miss rereads the interfaces at most this often: addresses come and go (DHCP, a link up after start). */
const INTERFACE_REREAD_MS = 10_000;

/** The machine's own names beside loopback: its host name and the address of every interface. */
export interface MachineNames {
  hostname(): string;
  addresses(): string[];
}

const thisMachine: MachineNames = {
  hostname,
  addresses: () =>
    Object.values(networkInterfaces())
      .flat()
      .flatMap((a) => (a ? [a.address] : [])),
};

/** A name as a Host header carries it: lower case, an IPv6 address in brackets. */
const asHost = (name: string): string => (name.includes(':') && !name.startsWith('[') ? `[${name}]` : name).toLowerCase();

/**
 * The `Host` header values a dashboard answers, and so the origins its page may have. A name
 * another site controls may resolve to this machine (DNS rebinding); the Host header still
 * carries that name, so only the names the operator reaches the dashboard by are accepted:
 * - on loopback: `127.0.0.1`, `[::1]` and `localhost` with the dashboard's port;
 * - on one address: that address and the machine's host name with the port;
 * - on every address (`0.0.0.0`, `::`): loopback's names, the host name and every interface's
 *   address with the port, the interfaces reread when an unknown name comes in;
 * - every name the operator adds: `name:port` as written, and a bare `name` with the dashboard's
 *   port or without one (as a TLS reverse proxy forwards it).
 * On port 80 a browser sends no port, so the bare names are accepted too.
 */
export class AllowedHosts {
  private readonly fixed = new Set<string>();
  private machine = new Set<string>();
  private readAtMs = -Infinity;
  private readonly wildcard: boolean;

  constructor(
    bound: string,
    private readonly port: number,
    extra: readonly string[] = [],
    private readonly names: MachineNames = thisMachine,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.wildcard = WILDCARD.has(bound);
    const own = LOOPBACK.has(bound) || this.wildcard ? [...LOOPBACK] : [bound];
    for (const name of own) this.addOwn(this.fixed, name);
    for (const entry of extra) {
      const name = entry.toLowerCase();
      this.fixed.add(name);
      if (!/:\d+$/.test(name)) this.fixed.add(`${name}:${port}`);
    }
    if (!LOOPBACK.has(bound)) this.readMachine();
  }

  /** Whether a request with this Host header is for this dashboard. */
  has(host: string | undefined): boolean {
    if (host === undefined) return false;
    const name = host.toLowerCase();
    if (this.fixed.has(name) || this.machine.has(name)) return true;
    if (!this.wildcard || this.now() - this.readAtMs < INTERFACE_REREAD_MS) return false;
    this.readMachine();
    return this.machine.has(name);
  }

  /** Whether a page with this `Origin` (`http://` or `https://` and an accepted host) is the dashboard's own. */
  hasOrigin(origin: string): boolean {
    const match = /^https?:\/\/([^/]+)$/.exec(origin);
    return match !== null && this.has(match[1]);
  }

  /** The accepted names, for the log. */
  list(): string[] {
    return [...this.fixed, ...this.machine];
  }

  private readMachine(): void {
    this.readAtMs = this.now();
    const machine = new Set<string>();
    this.addOwn(machine, this.names.hostname());
    if (this.wildcard) for (const address of this.names.addresses()) this.addOwn(machine, address);
    this.machine = machine;
  }

  private addOwn(into: Set<string>, name: string): void {
    if (name === '') return;
    into.add(`${asHost(name)}:${this.port}`);
    if (this.port === 80) into.add(asHost(name));
  }
}
