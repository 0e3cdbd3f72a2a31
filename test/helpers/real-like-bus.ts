import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CanFrame } from '../../src/can/can-frame.js';
import { formatCandumpLine } from '../../src/can/candump-line.js';
import { mulberry32 } from '../../src/common/prng.js';
import type { DrivingContextName } from '../../src/context/context-names.js';
import type { DbcMessage } from '../../src/signals/dbc-model.js';
import { parseDbc } from '../../src/signals/dbc-parser.js';
import { encodeMessage, encodeRawSignal } from '../../src/signals/message-codec.js';

/**
 * A bus shaped like a real car's (a 2017 SUV of a VW-like platform): about 90 messages and
 * 900 frames/s, a DBC without any cycle time, jittered periods, messages sent on change
 * with a slow heartbeat and a burst of repeats, frames shorter than their DBC length, a
 * multiplexed message, Intel and Motorola signals, counters and checksums, 29-bit ids, a
 * steering angle with its sign in another signal, units as VW writes them
 * (`Unit_KiloMeterPerHour`), vertical acceleration in g, speed in mph in a multiplexed
 * value; and a scripted drive with turns from rigid-body kinematics, off-road wheel slip,
 * and mapped messages that stop for a while. Everything is deterministic for a seed.
 */

export const VEHICLE_NAME = 'suv-2017';
export const DBC_FILE = `${VEHICLE_NAME}.dbc`;

/** The vehicle's geometry; only wheelbase and track are in signals.json (the core's contract). */
export const GEOMETRY = { wheelbaseM: 2.68, trackM: 1.58, steeringRatio: 15 } as const;
/** Standard gravity: a value in g times this is m/s². */
export const STANDARD_GRAVITY = 9.80665;
export const KMH_PER_MPH = 1.609344;

export const SPEED = 'Vehicle.Speed';
export const GEAR = 'Vehicle.Powertrain.Transmission.CurrentGear';
export const STEERING = 'Vehicle.Chassis.SteeringWheel.Angle';
export const VERTICAL = 'Vehicle.Acceleration.Vertical';
export const WHEELS = [
  'Vehicle.Chassis.Axle.Row1.Wheel.Left.Speed',
  'Vehicle.Chassis.Axle.Row1.Wheel.Right.Speed',
  'Vehicle.Chassis.Axle.Row2.Wheel.Left.Speed',
  'Vehicle.Chassis.Axle.Row2.Wheel.Right.Speed',
] as const;

/** VSS CurrentGear values. */
const VSS_PARK = 126;
const VSS_DRIVE = 127;
/** GE_Fahrstufe codes on the bus (as in VW's Getriebe_11) and what they mean in VSS. */
export const GEAR_CODES: Readonly<Record<string, number>> = { '5': VSS_PARK, '6': -1, '7': 0, '8': VSS_DRIVE, '9': VSS_DRIVE };
const CODE_OF: ReadonlyMap<number, number> = new Map([
  [VSS_PARK, 5],
  [VSS_DRIVE, 8],
]);

/** The mapped messages, by role. */
export const MESSAGES = {
  speed: 'ESP_21',
  wheels: 'ESP_19',
  steering: 'LWI_01',
  gear: 'Getriebe_11',
  vertical: 'IMU_Beschleunigung_01',
  multiplexed: 'ESP_Mux_Info',
} as const;

// ---------------------------------------------------------------------------------------------
// The DBC: a fixed vehicle, the same for every seed.

type Order = 'intel' | 'motorola';

interface SignalSpec {
  name: string;
  /** DBC start bit: the LSB for Intel, the MSB (sawtooth numbering) for Motorola. */
  start: number;
  length: number;
  order: Order;
  signed?: boolean;
  factor?: number;
  offset?: number;
  min?: number;
  max?: number;
  unit?: string;
  /** 'M' marks the multiplexer switch; a number, the switch value that selects this signal. */
  mux?: 'M' | number;
}

/** How a message is sent. */
type Timing = { kind: 'cyclic'; periodMs: number } | { kind: 'event'; heartbeatMs: number; meanChangeMs: number };

interface MessageSpec {
  id: number;
  extended: boolean;
  name: string;
  /** Length in the DBC. */
  length: number;
  /** Bytes actually sent, when the ECU sends fewer than the DBC says. */
  sentLength?: number;
  sender: string;
  timing: Timing;
  signals: SignalSpec[];
  /** An 8-bit checksum in byte 0 and a 4-bit counter at bit 8 (VW's _CRC and _BZ). */
  protectedBy?: { crc: string; counter: string };
}

/** Sawtooth bit number ↔ position in transmission order (its own inverse). */
const wireOrder = (bit: number): number => bit - (bit % 8) + 7 - (bit % 8);

const MAPPED: MessageSpec[] = [
  {
    id: 0x086,
    extended: false,
    name: MESSAGES.steering,
    length: 8,
    sender: 'Gateway',
    timing: { kind: 'cyclic', periodMs: 10 },
    protectedBy: { crc: 'LWI_01_CRC', counter: 'LWI_01_BZ' },
    signals: [
      { name: 'LWI_01_CRC', start: 0, length: 8, order: 'intel' },
      { name: 'LWI_01_BZ', start: 8, length: 4, order: 'intel' },
      { name: 'LWI_Sensorstatus', start: 12, length: 1, order: 'intel' },
      { name: 'LWI_QBit_Lenkradwinkel', start: 15, length: 1, order: 'intel' },
      { name: 'LWI_Lenkradwinkel', start: 16, length: 13, order: 'intel', factor: 0.1, min: 0, max: 800, unit: 'Unit_DegreOfArc' },
      { name: 'LWI_VZ_Lenkradwinkel', start: 29, length: 1, order: 'intel' },
      { name: 'LWI_VZ_Lenkradw_Geschw', start: 30, length: 1, order: 'intel' },
      { name: 'LWI_Lenkradw_Geschw', start: 31, length: 9, order: 'intel', factor: 5, min: 0, max: 2500, unit: 'Unit_DegreOfArcPerSecon' },
    ],
  },
  {
    id: 0x0ad,
    extended: false,
    name: MESSAGES.gear,
    length: 8,
    sender: 'Getriebe',
    // 1 Hz, and at once on a change, repeated: the gear is what real cars send slowly.
    timing: { kind: 'event', heartbeatMs: 1000, meanChangeMs: Number.POSITIVE_INFINITY },
    protectedBy: { crc: 'Getriebe_11_CRC', counter: 'Getriebe_11_BZ' },
    signals: [
      { name: 'Getriebe_11_CRC', start: 0, length: 8, order: 'intel' },
      { name: 'Getriebe_11_BZ', start: 8, length: 4, order: 'intel' },
      { name: 'GE_MMom_Soll_02', start: 12, length: 10, order: 'intel', offset: -509, min: -509, max: 509, unit: 'Unit_NewtoMeter' },
      { name: 'GE_Uefkt', start: 32, length: 10, order: 'intel', factor: 0.1, min: 0, max: 102.2 },
      { name: 'GE_Fahrstufe', start: 42, length: 5, order: 'intel' },
      { name: 'GE_Schaltvorgang', start: 47, length: 1, order: 'intel' },
      { name: 'GE_Zielgang', start: 60, length: 4, order: 'intel' },
    ],
  },
  {
    id: 0x0b2,
    extended: false,
    name: MESSAGES.wheels,
    length: 8,
    sender: 'ESP',
    timing: { kind: 'cyclic', periodMs: 20 },
    signals: [
      { name: 'ESP_VL_Radgeschw_02', start: 7, length: 16, order: 'motorola', factor: 0.0075, min: 0, max: 491.5125, unit: 'Unit_KiloMeterPerHour' },
      { name: 'ESP_VR_Radgeschw_02', start: 23, length: 16, order: 'motorola', factor: 0.0075, min: 0, max: 491.5125, unit: 'Unit_KiloMeterPerHour' },
      { name: 'ESP_HL_Radgeschw_02', start: 39, length: 16, order: 'motorola', factor: 0.0075, min: 0, max: 491.5125, unit: 'Unit_KiloMeterPerHour' },
      { name: 'ESP_HR_Radgeschw_02', start: 55, length: 16, order: 'motorola', factor: 0.0075, min: 0, max: 491.5125, unit: 'Unit_KiloMeterPerHour' },
    ],
  },
  {
    id: 0x0fd,
    extended: false,
    name: MESSAGES.speed,
    length: 8,
    sender: 'ESP',
    timing: { kind: 'cyclic', periodMs: 20 },
    protectedBy: { crc: 'ESP_21_CRC', counter: 'ESP_21_BZ' },
    signals: [
      { name: 'ESP_21_CRC', start: 0, length: 8, order: 'intel' },
      { name: 'ESP_21_BZ', start: 8, length: 4, order: 'intel' },
      { name: 'BR_Eingriffsmoment', start: 12, length: 10, order: 'intel', offset: -509, min: -509, max: 509, unit: 'Unit_NewtoMeter' },
      { name: 'ESP_v_Signal', start: 32, length: 16, order: 'intel', factor: 0.01, min: 0, max: 655.32, unit: 'Unit_KiloMeterPerHour' },
      { name: 'ESP_Systemstatus', start: 50, length: 1, order: 'intel' },
      { name: 'ESP_QBit_v_Signal', start: 55, length: 1, order: 'intel' },
    ],
  },
  {
    // The DBC says 8 bytes; the sensor sends 6: bytes 6 and 7 are reserved and left off.
    id: 0x109,
    extended: false,
    name: MESSAGES.vertical,
    length: 8,
    sentLength: 6,
    sender: 'Airbag',
    timing: { kind: 'cyclic', periodMs: 20 },
    signals: [
      { name: 'IMU_Beschl_Laengs', start: 7, length: 12, order: 'motorola', signed: true, factor: 0.005, min: -10.24, max: 10.235, unit: 'g' },
      { name: 'IMU_Beschl_Quer', start: 11, length: 12, order: 'motorola', signed: true, factor: 0.005, min: -10.24, max: 10.235, unit: 'g' },
      { name: 'IMU_Beschl_Vertikal', start: 31, length: 12, order: 'motorola', signed: true, factor: 0.005, min: -10.24, max: 10.235, unit: 'g' },
      { name: 'IMU_Status', start: 35, length: 4, order: 'motorola' },
      { name: 'IMU_Zaehler', start: 47, length: 4, order: 'motorola' },
      { name: 'IMU_Reserviert', start: 55, length: 16, order: 'motorola' },
    ],
  },
  {
    // One value of four per frame: the displayed speed (in mph) comes every fourth frame.
    id: 0x3a0,
    extended: false,
    name: MESSAGES.multiplexed,
    length: 8,
    sender: 'ESP',
    timing: { kind: 'cyclic', periodMs: 20 },
    signals: [
      { name: 'ESP_Mux_Index', start: 0, length: 2, order: 'intel', mux: 'M' },
      { name: 'ESP_Mux_Zaehler', start: 4, length: 4, order: 'intel' },
      { name: 'ESP_Mux_Kilometerstand', start: 8, length: 24, order: 'intel', mux: 0, unit: 'Unit_KiloMeter' },
      { name: 'ESP_Mux_Bremsdruck', start: 8, length: 12, order: 'intel', mux: 1, factor: 0.1, min: 0, max: 409.5, unit: 'Unit_Bar' },
      { name: 'ESP_Mux_v_Anzeige', start: 16, length: 16, order: 'intel', mux: 2, factor: 0.01, min: 0, max: 655.35, unit: 'mph' },
      { name: 'ESP_Mux_Status', start: 8, length: 8, order: 'intel', mux: 3 },
    ],
  },
];

/** Names and ids of a VW-like platform's other messages, which persona does not map. */
const OTHER_NAMES: Array<[number, string]> = [
  [0x040, 'Airbag_01'], [0x041, 'Airbag_03'], [0x0a7, 'Motor_11'], [0x0a8, 'Motor_12'], [0x0ae, 'Getriebe_12'],
  [0x0af, 'Waehlhebel_03'], [0x101, 'ESP_02'], [0x104, 'EPB_01'], [0x106, 'ESP_05'], [0x107, 'Motor_04'],
  [0x108, 'Fahrwerk_01'], [0x116, 'ESP_10'], [0x117, 'ACC_10'], [0x120, 'TSK_06'], [0x121, 'Motor_20'],
  [0x122, 'ACC_06'], [0x126, 'HCA_01'], [0x128, 'Getriebe_06'], [0x12b, 'GRA_ACC_01'], [0x12d, 'Getriebe_13'],
  [0x12e, 'ACC_07'], [0x1a2, 'ESP_15'], [0x1ab, 'ESP_33'], [0x2a7, 'ACC_13'], [0x2a9, 'ACC_15'],
  [0x2b7, 'RCTA_01'], [0x30b, 'Kombi_01'], [0x30c, 'ACC_02'], [0x30f, 'SWA_01'], [0x318, 'Kamera_Status'],
  [0x31e, 'TSK_07'], [0x324, 'ACC_04'], [0x32c, 'Motor_17'], [0x365, 'BEM_05'], [0x366, 'Blinkmodi_02'],
  [0x385, 'Charisma_01'], [0x391, 'OBD_01'], [0x392, 'ESP_07'], [0x394, 'WBA_03'], [0x395, 'LWR_AFS_01'],
  [0x397, 'LDW_02'], [0x3b5, 'Klima_11'], [0x3be, 'Motor_14'], [0x3c0, 'Klemmen_Status_01'], [0x3c7, 'Motor_26'],
  [0x3c8, 'Getriebe_14'], [0x3d5, 'Licht_Anf_01'], [0x3d6, 'Licht_hinten_01'], [0x3d8, 'RGS_VL_01'], [0x3db, 'Gateway_72'],
  [0x3dc, 'Gateway_73'], [0x3dd, 'Gateway_74'], [0x3df, 'Gateway_76'], [0x3e5, 'TSG_FT_02'], [0x462, 'PSD_04'],
  [0x463, 'PSD_05'], [0x464, 'PSD_06'], [0x494, 'STS_01'], [0x497, 'Parkhilfe_01'], [0x520, 'Airbag_02'],
  [0x521, 'STH_01'], [0x585, 'Systeminfo_01'], [0x5a0, 'RLS_01'], [0x5f0, 'Dimmung_01'], [0x5f8, 'SAK_01'],
  [0x640, 'Motor_07'], [0x641, 'Motor_Code_01'], [0x642, 'WIV_01'], [0x643, 'Einheiten_01'], [0x645, 'FLA_01'],
  [0x647, 'Motor_09'], [0x658, 'Licht_vorne_01'], [0x659, 'Klimakomp_01'], [0x65a, 'BCM_01'], [0x65d, 'ESP_20'],
  [0x65e, 'OBD_Tankgeber_01'], [0x65f, 'Motor_16'], [0x661, 'Anhaenger_01'],
  // 29-bit network management and node messages.
  [0x1b000010, 'NMH_Gateway'], [0x1b000040, 'NMH_Airbag'], [0x1b000067, 'NMH_Klima'], [0x17f00010, 'KN_Gateway'],
  [0x17f00040, 'KN_Airbag'], [0x17f00067, 'KN_Klima'],
];

/** Sent on change (with three quick repeats) and on a slow heartbeat. */
const EVENT_DRIVEN: ReadonlyMap<string, { heartbeatMs: number; meanChangeMs: number }> = new Map([
  ['Blinkmodi_02', { heartbeatMs: 1000, meanChangeMs: 4000 }],
  ['Licht_Anf_01', { heartbeatMs: 1000, meanChangeMs: 9000 }],
  ['Klemmen_Status_01', { heartbeatMs: 1000, meanChangeMs: 30000 }],
  ['Klima_11', { heartbeatMs: 2000, meanChangeMs: 6000 }],
  ['TSG_FT_02', { heartbeatMs: 2000, meanChangeMs: 20000 }],
  ['Parkhilfe_01', { heartbeatMs: 1000, meanChangeMs: 5000 }],
]);
/** Their DBC length is 8; the ECU sends fewer bytes, the defined signals inside them. */
const SHORT_SENT: ReadonlyMap<string, number> = new Map([
  ['Kombi_01', 6],
  ['Licht_hinten_01', 5],
  ['Dimmung_01', 4],
]);
/** DBC lengths below 8, as real files have a few. */
const DBC_LENGTH: ReadonlyMap<string, number> = new Map([
  ['Waehlhebel_03', 4],
  ['Getriebe_06', 3],
  ['Klemmen_Status_01', 4],
]);
/** Periods by the rank of the id among the cyclic messages: high priority, fast. */
const PERIODS_BY_RANK: Array<[number, number]> = [
  [2, 10],
  [5, 20],
  [7, 50],
  [19, 100],
  [27, 200],
  [41, 500],
  [71, 1000],
  [Number.POSITIVE_INFINITY, 2000],
];

const FIELD_WORDS = ['Status', 'Anf', 'Wert', 'Temp', 'Druck', 'Moment', 'Zustand', 'Info', 'Pegel', 'Strom', 'Spannung', 'Drehzahl', 'Position', 'Freigabe', 'Fehler', 'Modus'];
const FIELD_UNITS = ['', '', '', 'Unit_DegreCelsi', 'Unit_Volt', 'Unit_PerCent', 'Unit_MinutInver', 'Unit_Bar'];

/** The unmapped messages: fields laid out one after another, Motorola for every fourth sender. */
function otherMessages(): MessageSpec[] {
  const random = mulberry32(2017);
  const cyclic = OTHER_NAMES.filter(([, name]) => !EVENT_DRIVEN.has(name));
  return OTHER_NAMES.map(([id, name], index) => {
    const extended = id > 0x7ff;
    const length = DBC_LENGTH.get(name) ?? 8;
    const sentLength = SHORT_SENT.get(name);
    const event = EVENT_DRIVEN.get(name);
    const rank = cyclic.findIndex(([, n]) => n === name);
    const periodMs = extended ? 1000 : PERIODS_BY_RANK.find(([below]) => rank < below)![1];
    const timing: Timing = event ? { kind: 'event', ...event } : { kind: 'cyclic', periodMs };
    const order: Order = index % 4 === 1 ? 'motorola' : 'intel';
    const prefix = name.replace(/_0?(\d+)$/, '$1').replace(/^(NMH|KN)_/, '$1_');
    const signals: SignalSpec[] = [];
    const protect = order === 'intel' && length === 8 && !extended && periodMs <= 100 && !event;
    let bit = 0;
    if (protect) {
      signals.push({ name: `${name}_CRC`, start: 0, length: 8, order }, { name: `${name}_BZ`, start: 8, length: 4, order });
      bit = 12;
    }
    const bits = 8 * (sentLength ?? length);
    const fields = 2 + Math.floor(random() * 5);
    for (let f = 0; f < fields; f++) {
      const width = [1, 2, 3, 4, 8, 10, 12, 16][Math.floor(random() * 8)]!;
      if (bit + width > bits) break;
      const word = FIELD_WORDS[(index + f * 5) % FIELD_WORDS.length]!;
      const unit = width >= 8 ? FIELD_UNITS[Math.floor(random() * FIELD_UNITS.length)]! : '';
      const factor = width >= 10 ? [0.1, 0.25, 1, 0.01][Math.floor(random() * 4)]! : 1;
      signals.push({ name: `${prefix}_${word}_${f}`, start: order === 'intel' ? bit : wireOrder(bit), length: width, order, factor, unit });
      bit += width;
    }
    return {
      id,
      extended,
      name,
      length,
      ...(sentLength !== undefined ? { sentLength } : {}),
      sender: name.split('_')[name.startsWith('NMH_') || name.startsWith('KN_') ? 1 : 0]!,
      timing,
      signals,
      ...(protect ? { protectedBy: { crc: `${name}_CRC`, counter: `${name}_BZ` } } : {}),
    };
  });
}

const ALL_MESSAGES: readonly MessageSpec[] = [...MAPPED, ...otherMessages()].sort((a, b) => Number(a.extended) - Number(b.extended) || a.id - b.id);

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

function signalLine(s: SignalSpec): string {
  const factor = s.factor ?? 1;
  const offset = s.offset ?? 0;
  const rawMin = s.signed ? -(2 ** (s.length - 1)) : 0;
  const rawMax = s.signed ? 2 ** (s.length - 1) - 1 : 2 ** s.length - 1;
  const min = s.min ?? rawMin * factor + offset;
  const max = s.max ?? rawMax * factor + offset;
  const mux = s.mux === undefined ? '' : s.mux === 'M' ? ' M' : ` m${s.mux}`;
  const layout = `${s.start}|${s.length}@${s.order === 'intel' ? 1 : 0}${s.signed ? '-' : '+'}`;
  return ` SG_ ${s.name}${mux} : ${layout} (${formatNumber(factor)},${formatNumber(offset)}) [${formatNumber(min)}|${formatNumber(max)}] "${s.unit ?? ''}" Vector__XXX`;
}

/** The DBC as a hand-maintained one looks: no attribute definitions, so no cycle times at all. */
function dbcText(): string {
  const nodes = [...new Set(ALL_MESSAGES.map((m) => m.sender))].sort();
  const lines = ['VERSION ""', '', 'NS_ :', '\tCM_', '\tVAL_', '', 'BS_:', '', `BU_: ${nodes.join(' ')}`, ''];
  for (const m of ALL_MESSAGES) {
    lines.push(`BO_ ${m.extended ? (m.id | 0x80000000) >>> 0 : m.id} ${m.name}: ${m.length} ${m.sender}`);
    for (const s of m.signals) lines.push(signalLine(s));
    lines.push('');
  }
  lines.push(`CM_ "A 2017 SUV's powertrain and chassis bus as seen at the gateway, written without cycle times.";`);
  lines.push(`CM_ BO_ ${0x109} "The sensor sends 6 bytes; the last two are reserved.";`);
  lines.push(`CM_ SG_ ${0x086} LWI_VZ_Lenkradwinkel "Sign of LWI_Lenkradwinkel: 1 = negative (to the right).";`);
  lines.push(`CM_ SG_ ${0x0ad} GE_Fahrstufe "Selector position, sent at once on a change and every second.";`);
  lines.push(`VAL_ ${0x0ad} GE_Fahrstufe 5 "P" 6 "R" 7 "N" 8 "D" 9 "S" ;`);
  lines.push(`VAL_ ${0x086} LWI_VZ_Lenkradwinkel 0 "positiv" 1 "negativ" ;`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// The drive: piecewise-linear speed, curvature and roughness, built segment by segment.

export interface Phase {
  name: string;
  /** CAN time, ms since the epoch. */
  startMs: number;
  endMs: number;
  /** The driving context persona should be in once the phase has settled. */
  expected: DrivingContextName;
  /** How long after `startMs` the context may take to get there (dwell times and smoothing of the default statechart). */
  settleMs: number;
}

export interface Gap {
  /** The message that stops. */
  message: string;
  /** The mapped VSS signals it carries in the default mapping. */
  vss: readonly string[];
  kind: 'optional-vertical' | 'optional-gear' | 'speed-short' | 'speed-long';
  startMs: number;
  endMs: number;
}

export interface Turn {
  direction: 'left' | 'right';
  radiusM: number;
  speedKmh: number;
  /** The part at full curvature, CAN time. */
  startMs: number;
  endMs: number;
  /** max − min of the four wheel speeds over the vehicle speed, from the kinematics alone. */
  spread: number;
}

type Keys = Array<[number, number]>;

function at(keys: Keys, tS: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  if (tS <= keys[0]![0]) return keys[0]![1];
  if (tS >= keys[hi]![0]) return keys[hi]![1];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]![0] <= tS) lo = mid;
    else hi = mid;
  }
  const [t0, v0] = keys[lo]!;
  const [t1, v1] = keys[hi]!;
  return t1 === t0 ? v1 : v0 + ((v1 - v0) * (tS - t0)) / (t1 - t0);
}

/** Wheel speed factors (FL, FR, RL, RR) for signed curvature κ (1/R, + left) about the rear-axle centre. */
export function kinematicFactors(kappa: number, wheelbaseM: number = GEOMETRY.wheelbaseM, trackM: number = GEOMETRY.trackM): [number, number, number, number] {
  const left = 1 - (kappa * trackM) / 2;
  const right = 1 + (kappa * trackM) / 2;
  const front = (kappa * wheelbaseM) ** 2;
  return [Math.sqrt(left * left + front), Math.sqrt(right * right + front), Math.abs(left), Math.abs(right)];
}

/** Steering-wheel angle (degrees, + left) for curvature κ: road-wheel angle atan(L κ) times the steering ratio. */
export function steeringWheelDeg(kappa: number): number {
  return ((Math.atan(GEOMETRY.wheelbaseM * kappa) * 180) / Math.PI) * GEOMETRY.steeringRatio;
}

class DriveScript {
  tS = 0;
  readonly speed: Keys = [[0, 0]];
  readonly curvature: Keys = [[0, 0]];
  /** RMS of vertical acceleration, g. */
  readonly roughG: Keys = [[0, 0.004]];
  readonly gears: Array<[number, number]> = [[0, VSS_PARK]];
  readonly phases: Array<Omit<Phase, 'startMs' | 'endMs'> & { startS: number; endS: number }> = [];
  readonly gaps: Array<Omit<Gap, 'startMs' | 'endMs'> & { startS: number; endS: number }> = [];
  readonly turns: Array<Omit<Turn, 'startMs' | 'endMs'> & { startS: number; endS: number }> = [];
  offroad: { startS: number; endS: number } | undefined;
  private v = 0;
  private k = 0;
  private g = 0.004;

  phase(name: string, expected: DrivingContextName, settleMs: number): void {
    const last = this.phases.at(-1);
    if (last) last.endS = this.tS;
    this.phases.push({ name, expected, settleMs, startS: this.tS, endS: this.tS });
  }

  /** Speed goes linearly to `toKmh`; curvature and roughness ramp to theirs within a second. */
  segment(seconds: number, to: { kmh?: number; kappa?: number; roughG?: number } = {}): void {
    const start = this.tS;
    this.tS += seconds;
    const ramp = Math.min(1, seconds);
    this.v = to.kmh ?? this.v;
    this.speed.push([this.tS, this.v]);
    if (to.kappa !== undefined && to.kappa !== this.k) this.curvature.push([start, this.k], [start + ramp, (this.k = to.kappa)]);
    this.curvature.push([this.tS, this.k]);
    if (to.roughG !== undefined && to.roughG !== this.g) this.roughG.push([start, this.g], [start + ramp, (this.g = to.roughG)]);
    this.roughG.push([this.tS, this.g]);
  }

  gear(vss: number): void {
    this.gears.push([this.tS, vss]);
  }

  gap(kind: Gap['kind'], message: string, vss: readonly string[], fromNowS: number, seconds: number): void {
    this.gaps.push({ kind, message, vss, startS: this.tS + fromNowS, endS: this.tS + fromNowS + seconds });
  }

  /** A turn of `degrees` at radius R and a constant speed: 1 s into the curve, the arc, 1 s out. */
  turn(direction: 'left' | 'right', radiusM: number, kmh: number, degrees: number): void {
    const kappa = (direction === 'left' ? 1 : -1) / radiusM;
    const arcS = ((degrees / 360) * 2 * Math.PI * radiusM) / (kmh / 3.6);
    this.segment(1, { kmh, kappa });
    const [fl, fr, rl, rr] = kinematicFactors(kappa);
    this.turns.push({ direction, radiusM, speedKmh: kmh, startS: this.tS, endS: this.tS + arcS - 1, spread: Math.max(fl, fr, rl, rr) - Math.min(fl, fr, rl, rr) });
    this.segment(arcS - 1, { kmh, kappa });
    this.segment(1, { kmh, kappa: 0 });
  }

  gearAt(tS: number): number {
    let gear = this.gears[0]![1];
    for (const [t, g] of this.gears) if (t <= tS) gear = g;
    return gear;
  }
}

/** The scripted drive; the seed picks speeds, radii and durations within each phase's band. */
function script(seed: number): DriveScript {
  const random = mulberry32(seed ^ 0x5eed);
  const pick = (lo: number, hi: number): number => lo + (hi - lo) * random();
  const d = new DriveScript();
  const speedVss = [SPEED] as const;

  d.phase('parked', 'parked', 5000);
  d.segment(12);
  d.phase('pull-away', 'city', 5000);
  d.gear(VSS_DRIVE);
  d.segment(0.6);
  d.segment(7.4, { kmh: 35, roughG: 0.035 });

  d.phase('city', 'city', 0);
  d.segment(5, { kmh: pick(40, 55) });
  d.segment(8, { kappa: 1 / pick(40, 80) });
  d.gap('optional-vertical', MESSAGES.vertical, [VERTICAL], 2, 2);
  d.segment(6, { kmh: pick(62, 73), kappa: 0 });
  d.segment(6);
  d.segment(7, { kmh: 0 });
  d.segment(pick(6, 10));
  d.segment(6, { kmh: pick(30, 45) });
  d.segment(10, { kappa: -1 / pick(40, 80) });
  d.segment(5, { kmh: pick(50, 70), kappa: 0 });
  d.gap('speed-short', MESSAGES.speed, speedVss, 4, 0.6);
  d.segment(10);
  d.segment(6, { kmh: 0 });
  d.segment(pick(5, 8));
  d.segment(5, { kmh: 30 });

  d.phase('car-park', 'city', 0);
  const tight = pick(15, 17);
  const moderate = pick(18, 20);
  d.segment(3, { kmh: tight });
  d.turn('left', pick(6, 8), tight, 360);
  d.segment(3);
  d.turn('right', pick(6, 8), tight, 360);
  d.segment(3, { kmh: moderate });
  d.turn('left', pick(12, 18), moderate, 180);
  d.segment(2);
  d.turn('right', pick(12, 18), moderate, 180);
  d.segment(3, { kmh: 20 });

  d.phase('on-ramp', 'city', 0);
  const cruise = pick(110, 125);
  const rampS = 15;
  d.segment((rampS * (90 - 20)) / (cruise - 20), { kmh: 90, roughG: 0.025 });
  d.phase('highway', 'highway', 8000);
  d.segment((rampS * (cruise - 90)) / (cruise - 20), { kmh: cruise });
  d.segment(15, { kappa: 1 / pick(600, 1200) });
  d.gap('optional-gear', MESSAGES.gear, [GEAR], 5, 2);
  d.segment(15, { kmh: pick(100, cruise), kappa: 0 });
  d.segment(15, { kmh: cruise });
  d.segment((12 * (cruise - 60)) / (cruise - 45), { kmh: 60 });
  d.phase('exit', 'city', 9000);
  d.segment((12 * 15) / (cruise - 45), { kmh: 45, roughG: 0.035 });
  d.segment(13, { kappa: -1 / pick(80, 150) });

  d.phase('offroad', 'offroad', 6000);
  const start = d.tS;
  d.segment(3, { kmh: pick(25, 40), roughG: pick(0.25, 0.35), kappa: 0 });
  for (let i = 0; i < 6; i++) d.segment(pick(5, 7), { kmh: pick(20, 45), kappa: (random() < 0.5 ? -1 : 1) / pick(40, 120) });
  d.offroad = { startS: start, endS: d.tS };

  d.phase('city-again', 'city', 10000);
  d.segment(2, { kmh: 45, roughG: 0.035, kappa: 0 });
  d.segment(28, { kmh: pick(40, 55) });
  d.phase('speed-lost', 'unknown', 2000);
  d.gap('speed-long', MESSAGES.speed, speedVss, 0, 3.5);
  d.segment(3.5);
  d.phase('city-after-gap', 'city', 3000);
  d.segment(15);
  d.segment(6, { kmh: 0 });
  d.segment(3);
  d.phase('park', 'parked', 2000);
  d.gear(VSS_PARK);
  d.segment(15, { roughG: 0.004 });
  d.phase('end', 'parked', 0);
  d.phases.pop();
  return d;
}

// ---------------------------------------------------------------------------------------------
// Traffic.

/** A frame and the VSS values it is meant to carry (in VSS units and semantics), for checks. */
export interface RealLikeFrame extends CanFrame {
  readonly message: string;
  /** What the mapped signals in this frame stand for, before quantisation (the speed also in the multiplexed frames). */
  readonly intended?: Readonly<Record<string, number>>;
}

export interface RealLikeOptions {
  /**
   * Where the mapped Vehicle.Speed comes from: `ESP_21`'s `ESP_v_Signal` (km/h, every 20 ms) or
   * the multiplexed `ESP_Mux_Info`'s `ESP_Mux_v_Anzeige` (mph, in one frame of four: every 80 ms).
   */
  speedFrom?: 'direct' | 'multiplexed';
  /** CAN time of the start, µs since the epoch. */
  startUs?: number;
  iface?: string;
}

export interface SignalMapDocument {
  $schema: string;
  $comment: string;
  dbc: string;
  geometry: { wheelbaseM: number; trackM: number };
  signals: Record<string, Record<string, unknown>>;
}

export interface RealLikeBus {
  name: string;
  seed: number;
  dbcText: string;
  signalMap: SignalMapDocument;
  /** In time order. */
  frames: RealLikeFrame[];
  /** CAN time of the start and length of the drive. */
  startUs: number;
  durationMs: number;
  phases: Phase[];
  gaps: Gap[];
  turns: Turn[];
  /** Where the off-road stretch is, CAN time. */
  offroad: { startMs: number; endMs: number };
  /** The drive's state at a CAN time (ms): speed at the rear-axle centre and VSS gear. */
  truthAt(timeMs: number): { speedKmh: number; gear: number; curvature: number; roughG: number };
  /** The frames as a `candump -L` log (made on first use). */
  readonly log: string;
}

/** CRC-8 (polynomial 0x2F, AUTOSAR) over bytes 1.., as an E2E checksum in byte 0. */
function crc8(data: Uint8Array): number {
  let crc = 0xff;
  for (let i = 1; i < data.length; i++) {
    crc ^= data[i]!;
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x2f) & 0xff : (crc << 1) & 0xff;
  }
  return crc ^ 0xff;
}

const DEFAULT_START_US = 1_767_258_000_000_000;

/**
 * Times at which a message is sent over `[0, durationMs)`: cyclic with jitter on every period
 * (±jitter × period, accumulating like a free-running ECU timer), or on a heartbeat plus
 * three repeats 20 ms apart after each change.
 */
function sendTimes(timing: Timing, durationMs: number, jitter: number, random: () => number, changesMs: readonly number[]): number[] {
  const times: number[] = [];
  if (timing.kind === 'cyclic') {
    for (let t = random() * timing.periodMs; t < durationMs; t += timing.periodMs * (1 + jitter * (2 * random() - 1))) times.push(t);
    return times;
  }
  const changes = [...changesMs];
  if (Number.isFinite(timing.meanChangeMs)) {
    for (let t = -Math.log(1 - random()) * timing.meanChangeMs; t < durationMs; t += 200 + -Math.log(1 - random()) * timing.meanChangeMs) changes.push(t);
  }
  changes.sort((a, b) => a - b);
  let next = random() * timing.heartbeatMs;
  let c = 0;
  while (next < durationMs || c < changes.length) {
    const change = changes[c];
    if (change !== undefined && change <= next) {
      for (let r = 0; r < 3; r++) times.push(change + 20 * r * (1 + 0.1 * (2 * random() - 1)));
      next = change + timing.heartbeatMs;
      c++;
    } else {
      if (next >= durationMs) break;
      times.push(next);
      next += timing.heartbeatMs * (1 + jitter * (2 * random() - 1));
    }
  }
  return times.filter((t) => t >= 0 && t < durationMs);
}

function gauss(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** One slip burst of one wheel: a smooth bump of `peak` over `[startS, startS + seconds)`. */
interface Burst {
  startS: number;
  seconds: number;
  peak: number;
}

/** Irregular slip on each wheel over the off-road stretch: at least one wheel slipping 20–40 % most of the time. */
function slipBursts(random: () => number, startS: number, endS: number): Burst[][] {
  return [0, 1, 2, 3].map((wheel) => {
    const bursts: Burst[] = [];
    // The front wheels (driven, steered) slip more often than the rear ones.
    const meanGapS = wheel < 2 ? 0.6 : 1.5;
    for (let t = startS + random() * meanGapS; t < endS; ) {
      const seconds = 0.3 + 1.2 * random();
      bursts.push({ startS: t, seconds: Math.min(seconds, endS - t), peak: 0.2 + 0.2 * random() });
      t += seconds + -Math.log(1 - random()) * meanGapS;
    }
    return bursts;
  });
}

function slipAt(bursts: readonly Burst[], tS: number): number {
  for (const b of bursts) {
    if (tS >= b.startS && tS < b.startS + b.seconds) return b.peak * Math.sin((Math.PI * (tS - b.startS)) / b.seconds) ** 0.5;
  }
  return 0;
}

export function signalMap(speedFrom: 'direct' | 'multiplexed' = 'direct'): SignalMapDocument {
  const wheel = (signal: string): Record<string, unknown> => ({ message: MESSAGES.wheels, signal });
  return {
    $schema: 'https://persona.dev/schemas/signal-map.json',
    $comment: `A 2017 SUV on a real-like bus: no cycle times in the DBC, so every maximum age is learned from the bus; units converted from the DBC's own. Speed from ${speedFrom === 'direct' ? 'ESP_21 (km/h)' : 'the multiplexed ESP_Mux_Info (mph)'}.`,
    dbc: DBC_FILE,
    geometry: { wheelbaseM: GEOMETRY.wheelbaseM, trackM: GEOMETRY.trackM },
    signals: {
      [SPEED]: speedFrom === 'direct' ? { message: MESSAGES.speed, signal: 'ESP_v_Signal' } : { message: MESSAGES.multiplexed, signal: 'ESP_Mux_v_Anzeige' },
      [GEAR]: { message: MESSAGES.gear, signal: 'GE_Fahrstufe', $comment: 'DBC: 5 P, 6 R, 7 N, 8 D, 9 S. VSS: 126 park, -1 reverse, 0 neutral, 127 drive.', values: { ...GEAR_CODES } },
      [STEERING]: { message: MESSAGES.steering, signal: 'LWI_Lenkradwinkel', sign: { signal: 'LWI_VZ_Lenkradwinkel', negativeWhen: 1 } },
      [WHEELS[0]]: wheel('ESP_VL_Radgeschw_02'),
      [WHEELS[1]]: wheel('ESP_VR_Radgeschw_02'),
      [WHEELS[2]]: wheel('ESP_HL_Radgeschw_02'),
      [WHEELS[3]]: wheel('ESP_HR_Radgeschw_02'),
      [VERTICAL]: { message: MESSAGES.vertical, signal: 'IMU_Beschl_Vertikal' },
    },
  };
}

/** The whole bus for a seed: DBC, mapping, frames, phases with their expected contexts. */
export function realLikeBus(seed: number, options: RealLikeOptions = {}): RealLikeBus {
  const startUs = options.startUs ?? DEFAULT_START_US;
  const iface = options.iface ?? 'can0';
  const text = dbcText();
  const dbc = parseDbc(text, DBC_FILE);
  const d = script(seed);
  const durationMs = d.tS * 1000;
  const random = mulberry32(seed);
  const offroad = d.offroad!;
  const bursts = slipBursts(random, offroad.startS, offroad.endS);
  const gearChangesMs = d.gears.slice(1).map(([t]) => t * 1000);
  const frames: RealLikeFrame[] = [];
  const ms = (tS: number): number => startUs / 1000 + tS * 1000;

  for (const spec of ALL_MESSAGES) {
    const message = dbc.messages.find((m) => m.name === spec.name)!;
    const jitter = 0.1 + 0.1 * random();
    const times = sendTimes(spec.timing, durationMs, jitter, random, spec.name === MESSAGES.gear ? gearChangesMs : []);
    const gaps = d.gaps.filter((g) => g.message === spec.name || (g.message === MESSAGES.speed && spec.name === MESSAGES.multiplexed));
    const fill = spec.name in MESSAGES_BY_NAME ? undefined : fillerState(message, random);
    let counter = Math.floor(random() * 16);
    let index = 0;
    let lastSteering = 0;
    let lastSteeringS = 0;
    for (const tMs of times) {
      const tS = tMs / 1000;
      if (gaps.some((g) => tS >= g.startS && tS < g.endS)) continue;
      counter = (counter + 1) % 16;
      let data: Uint8Array;
      let intended: Record<string, number> | undefined;
      if (fill) {
        data = fill(random);
      } else {
        const values: Record<string, number> = {};
        intended = {};
        const v = at(d.speed, tS);
        const speed = v > 0.05 ? Math.max(0, v + 0.08 * gauss(random)) : 0;
        switch (spec.name) {
          case MESSAGES.speed:
            Object.assign(values, { ESP_v_Signal: speed, ESP_QBit_v_Signal: 0, ESP_Systemstatus: 1, BR_Eingriffsmoment: 0 });
            intended[SPEED] = speed;
            break;
          case MESSAGES.multiplexed: {
            const mux = index % 4;
            values.ESP_Mux_Index = mux;
            values.ESP_Mux_Zaehler = counter;
            if (mux === 0) values.ESP_Mux_Kilometerstand = 48_213 + Math.floor(tS / 60);
            if (mux === 1) values.ESP_Mux_Bremsdruck = v < 1 ? 25 : 0;
            if (mux === 2) {
              values.ESP_Mux_v_Anzeige = speed / KMH_PER_MPH;
              intended[SPEED] = speed;
            }
            if (mux === 3) values.ESP_Mux_Status = 0x11;
            break;
          }
          case MESSAGES.wheels: {
            const factors = kinematicFactors(at(d.curvature, tS));
            const names = ['ESP_VL_Radgeschw_02', 'ESP_VR_Radgeschw_02', 'ESP_HL_Radgeschw_02', 'ESP_HR_Radgeschw_02'];
            factors.forEach((f, w) => {
              const wheel = v > 0.05 ? Math.max(0, v * f * (1 + slipAt(bursts[w]!, tS)) * (1 + 0.002 * gauss(random))) : 0;
              values[names[w]!] = wheel;
              intended![WHEELS[w]!] = wheel;
            });
            break;
          }
          case MESSAGES.steering: {
            const angle = steeringWheelDeg(at(d.curvature, tS)) + 0.3 * gauss(random);
            const rate = tS > lastSteeringS ? (angle - lastSteering) / (tS - lastSteeringS) : 0;
            lastSteering = angle;
            lastSteeringS = tS;
            Object.assign(values, {
              LWI_Lenkradwinkel: Math.abs(angle),
              LWI_VZ_Lenkradwinkel: angle < 0 ? 1 : 0,
              LWI_Lenkradw_Geschw: Math.min(2500, Math.abs(rate)),
              LWI_VZ_Lenkradw_Geschw: rate < 0 ? 1 : 0,
              LWI_Sensorstatus: 0,
              LWI_QBit_Lenkradwinkel: 0,
            });
            intended[STEERING] = angle;
            break;
          }
          case MESSAGES.gear: {
            const gear = d.gearAt(tS);
            Object.assign(values, { GE_Fahrstufe: CODE_OF.get(gear)!, GE_Zielgang: gear === VSS_DRIVE ? Math.min(7, 1 + Math.floor(v / 20)) : 0, GE_Uefkt: 0, GE_MMom_Soll_02: 0 });
            intended[GEAR] = gear;
            break;
          }
          case MESSAGES.vertical: {
            const g = Math.max(-8, Math.min(8, at(d.roughG, tS) * gauss(random)));
            Object.assign(values, { IMU_Beschl_Vertikal: g, IMU_Beschl_Laengs: 0.02 * gauss(random), IMU_Beschl_Quer: (((v / 3.6) ** 2 * at(d.curvature, tS)) / STANDARD_GRAVITY), IMU_Zaehler: counter, IMU_Status: 0 });
            intended[VERTICAL] = g * STANDARD_GRAVITY;
            break;
          }
        }
        if (spec.protectedBy) values[spec.protectedBy.counter] = counter;
        data = encodeMessage(message, values);
      }
      if (spec.protectedBy) data[0] = crc8(data);
      const sent = spec.sentLength === undefined ? data : data.slice(0, spec.sentLength);
      frames.push({
        timeUs: startUs + Math.round(tMs * 1000),
        iface,
        id: spec.id,
        extended: spec.extended,
        fd: false,
        remote: false,
        error: false,
        data: sent,
        message: spec.name,
        ...(intended && Object.keys(intended).length > 0 ? { intended } : {}),
      });
      index++;
    }
  }
  frames.sort((a, b) => a.timeUs - b.timeUs);

  let log: string | undefined;
  return {
    name: VEHICLE_NAME,
    seed,
    dbcText: text,
    signalMap: signalMap(options.speedFrom),
    frames,
    startUs,
    durationMs,
    phases: d.phases.map(({ startS, endS, ...p }) => ({ ...p, startMs: ms(startS), endMs: ms(endS) })),
    gaps: d.gaps.map(({ startS, endS, ...g }) => ({ ...g, startMs: ms(startS), endMs: ms(endS) })),
    turns: d.turns.map(({ startS, endS, ...t }) => ({ ...t, startMs: ms(startS), endMs: ms(endS) })),
    offroad: { startMs: ms(offroad.startS), endMs: ms(offroad.endS) },
    truthAt: (timeMs) => {
      const tS = (timeMs - startUs / 1000) / 1000;
      return { speedKmh: at(d.speed, tS), gear: d.gearAt(tS), curvature: at(d.curvature, tS), roughG: at(d.roughG, tS) };
    },
    get log() {
      log ??= frames.map(formatCandumpLine).join('\n') + '\n';
      return log;
    },
  };
}

const MESSAGES_BY_NAME: Readonly<Record<string, true>> = Object.fromEntries(Object.values(MESSAGES).map((n) => [n, true]));

/** Unmapped payloads: each signal holds a raw value that now and then moves. */
function fillerState(message: DbcMessage, random: () => number): (random: () => number) => Uint8Array {
  const fields = message.signals.filter((s) => !s.name.endsWith('_CRC') && !s.name.endsWith('_BZ'));
  const counter = message.signals.find((s) => s.name.endsWith('_BZ'));
  const raw = fields.map((s) => Math.floor(random() * 2 ** Math.min(s.length, 16)));
  let count = 0;
  return (r) => {
    const data = new Uint8Array(message.length);
    fields.forEach((s, i) => {
      if (r() < 0.05) raw[i] = Math.floor(r() * 2 ** Math.min(s.length, 16));
      encodeRawSignal(s, raw[i]!, data);
    });
    if (counter) encodeRawSignal(counter, (count = (count + 1) % 16), data);
    return data;
  };
}

/** Writes `bus` as a vehicle folder: `<name>.dbc`, `signals.json` and, unless `log` is false, `drive.log`. */
export function writeVehicleFolder(dir: string, bus: Pick<RealLikeBus, 'dbcText' | 'signalMap'> & { readonly log?: string }, options: { log?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, DBC_FILE), bus.dbcText);
  writeFileSync(join(dir, 'signals.json'), JSON.stringify(bus.signalMap, null, 2) + '\n');
  if (options.log !== false && bus.log !== undefined) writeFileSync(join(dir, 'drive.log'), bus.log);
}

/**
 * Writes a vehicle folder a CLI can be run on: `<name>.dbc`, `signals.json` and `drive.log`
 * (the drive as `candump -L`). Returns the bus it wrote.
 */
export function writeRealLikeVehicle(dir: string, seed: number, options: RealLikeOptions = {}): RealLikeBus {
  const bus = realLikeBus(seed, options);
  writeVehicleFolder(dir, bus);
  return bus;
}
