/**
 * Units as DBC files write them, and the conversions to the units of the VSS signals that
 * persona reads. Real files spell one unit many ways (`km/h`, `kph`, `Unit_KiloMeterPerHour`);
 * a mapping without a factor is converted from whatever the DBC says to what VSS wants.
 */

/** A unit persona knows: its canonical spelling, what it measures, and its scale to the base unit of that quantity. */
interface KnownUnit {
  readonly name: string;
  readonly quantity: 'speed' | 'acceleration' | 'angle';
  /** Base units: m/s, m/s², degrees. */
  readonly toBase: number;
}

const KMH: KnownUnit = { name: 'km/h', quantity: 'speed', toBase: 1 / 3.6 };
const UNITS: readonly KnownUnit[] = [
  KMH,
  { name: 'mph', quantity: 'speed', toBase: 0.44704 },
  { name: 'm/s', quantity: 'speed', toBase: 1 },
  { name: 'm/s²', quantity: 'acceleration', toBase: 1 },
  // Standard gravity, by definition (CGPM 1901).
  { name: 'g', quantity: 'acceleration', toBase: 9.80665 },
  { name: 'degrees', quantity: 'angle', toBase: 1 },
  { name: 'rad', quantity: 'angle', toBase: 180 / Math.PI },
];

/** Spellings seen in real DBC files, lower case, with Vector's `Unit_` prefix and spaces removed. */
const SPELLINGS: ReadonlyMap<string, string> = new Map([
  ...['km/h', 'kmh', 'kph', 'km/hr', 'kmph', 'kilometerperhour', 'kilometersperhour'].map((s) => [s, 'km/h'] as const),
  ...['mph', 'mi/h', 'milesperhour', 'mileperhour'].map((s) => [s, 'mph'] as const),
  ...['m/s', 'mps', 'meterpersecond', 'meterspersecond'].map((s) => [s, 'm/s'] as const),
  ...['m/s²', 'm/s^2', 'm/s2', 'm/s/s', 'm/(s*s)', 'mps2', 'meterpersquaresecond', 'meterpersecondsquared', 'meterspersecondsquared'].map((s) => [s, 'm/s²'] as const),
  ...['g', 'gravity', 'gforce', 'g-force'].map((s) => [s, 'g'] as const),
  ...['deg', 'degree', 'degrees', '°', 'degreofarc', 'degreeofarc'].map((s) => [s, 'degrees'] as const),
  ...['rad', 'radian', 'radians'].map((s) => [s, 'rad'] as const),
]);

/** The VSS signals persona reads that have a unit, and that unit (COVESA VSS 4.x). */
export const VSS_UNITS: ReadonlyMap<string, string> = new Map([
  ['Vehicle.Speed', 'km/h'],
  ['Vehicle.Chassis.Axle.Row1.Wheel.Left.Speed', 'km/h'],
  ['Vehicle.Chassis.Axle.Row1.Wheel.Right.Speed', 'km/h'],
  ['Vehicle.Chassis.Axle.Row2.Wheel.Left.Speed', 'km/h'],
  ['Vehicle.Chassis.Axle.Row2.Wheel.Right.Speed', 'km/h'],
  ['Vehicle.Acceleration.Vertical', 'm/s²'],
  ['Vehicle.Acceleration.Longitudinal', 'm/s²'],
  ['Vehicle.Acceleration.Lateral', 'm/s²'],
  ['Vehicle.Chassis.SteeringWheel.Angle', 'degrees'],
]);

/** The canonical name of a unit as a DBC writes it, or undefined when persona does not know it. */
export function normalizeUnit(written: string): string | undefined {
  const key = written.trim().replace(/^unit_/i, '').replace(/\s+/g, '').toLowerCase();
  // 'G' and 'g' both mean standard gravity in an acceleration signal; no DBC signal is in grams.
  return SPELLINGS.get(key);
}

/** What a value in `from` is multiplied by to be in `to`; a string saying why not when they measure different things. */
export function unitFactor(from: string, to: string): number | string {
  const a = UNITS.find((u) => u.name === from);
  const b = UNITS.find((u) => u.name === to);
  if (!a || !b) return `no conversion from ${from} to ${to}`;
  if (a.quantity !== b.quantity) return `${from} is a unit of ${a.quantity}, ${to} of ${b.quantity}`;
  return a.toBase / b.toBase;
}
