/** The last values of one device's running totals, and whether its traffic counts at all. */
interface DeviceCounters {
  readonly counted: boolean;
  /** Generation of the last pass that listed the device. */
  seen: number;
  a: number;
  b: number;
  c: number;
  d: number;
}

/**
 * Turns the kernel's per-device running totals (four per device) into sums of their increases
 * since the previous pass. A device's increase counts only when the previous pass listed it too
 * and none of its four totals went down: a total that goes down was reset (device removed and
 * added again) or wrapped (32-bit counters), and its increase is unknown, so the device gives no
 * data for that interval rather than a negative or huge one.
 */
export class CounterDeltas {
  private readonly devices = new Map<string, DeviceCounters>();
  private generation = 0;
  private listed = 0;
  /**
   * Time of the previous pass, undefined before the first. A sample whose file could not be read
   * makes no pass, so the next one measures from the last pass that did: a longer interval, still right.
   */
  private previousTimeMs: number | undefined;
  /** The interval of the current pass in seconds; not positive when there is no previous pass or no time passed. */
  seconds = 0;
  a = 0;
  b = 0;
  c = 0;
  d = 0;

  /** `filter` is asked once per device name, when the device first appears. */
  constructor(private readonly filter: (name: string) => boolean) {}

  /** Starts a pass over the devices listed at `timeMs`. */
  begin(timeMs: number): void {
    this.seconds = this.previousTimeMs === undefined ? 0 : (timeMs - this.previousTimeMs) / 1000;
    this.previousTimeMs = timeMs;
    this.generation++;
    this.listed = 0;
    this.a = this.b = this.c = this.d = 0;
  }

  add(name: string, a: number, b: number, c: number, d: number): void {
    this.listed++;
    let device = this.devices.get(name);
    if (device === undefined) {
      device = { counted: this.filter(name), seen: 0, a, b, c, d };
      this.devices.set(name, device);
    } else if (device.counted && device.seen === this.generation - 1 && a >= device.a && b >= device.b && c >= device.c && d >= device.d) {
      this.a += a - device.a;
      this.b += b - device.b;
      this.c += c - device.c;
      this.d += d - device.d;
    }
    device.seen = this.generation;
    device.a = a;
    device.b = b;
    device.c = c;
    device.d = d;
  }

  /** Ends the pass, forgetting devices it did not list so that hot-plugged names do not pile up. */
  end(): void {
    if (this.listed === this.devices.size) return;
    for (const [name, device] of this.devices) if (device.seen !== this.generation) this.devices.delete(name);
  }
}
