import { payloadBit } from '../src/signals/dbc-bit-layout.js';
import type { DbcMessage, DbcSignal } from '../src/signals/dbc-model.js';
import { multiplexConditions } from '../src/signals/dbc-multiplex.js';

/**
 * DBC messages as a KCD (Kayak) network description in the dialect the socketcan package's
 * parse_kcd.ts and native signals.cc understand:
 *  - Intel: `offset` is the DBC start bit (the LSB); Motorola: endianess="big" and `offset`
 *    is the MSB's position in transmission order (byte 0 bit 7 = 0), `8*(sb>>3) + 7 - (sb&7)`.
 *  - One `<Multiplex>` per message, always read as an unsigned little-endian field.
 *  - socketcan decodes a signal of a multiplexed message only when its mux group list holds
 *    the current switch value, and plain `<Signal>`s of such a message get group 0 only; so
 *    that it decodes the same signals we do, plain signals (and the switch itself, which
 *    `<Multiplex>` does not report) are repeated in every `<MuxGroup>`.
 *  - No min/max: socketcan would console.error any value beyond them.
 */
export interface KcdDocument {
  readonly xml: string;
  /** What could not be expressed faithfully, one line per message. */
  readonly notes: string[];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** socketcan's `offset` for a signal. */
export function kcdOffset(signal: Pick<DbcSignal, 'startBit' | 'byteOrder'>): number {
  const sb = signal.startBit;
  return signal.byteOrder === 'intel' ? sb : 8 * (sb >> 3) + 7 - (sb & 7);
}

function signalXml(signal: DbcSignal, indent: string): string {
  const endianess = signal.byteOrder === 'intel' ? 'little' : 'big';
  const type = signal.valueType === 'float32' ? 'single' : signal.valueType === 'float64' ? 'double' : signal.signed ? 'signed' : 'unsigned';
  const unit = signal.unit === '' ? '' : ` unit="${escapeXml(signal.unit)}"`;
  return (
    `${indent}<Signal name="${escapeXml(signal.name)}" offset="${kcdOffset(signal)}" length="${signal.length}" endianess="${endianess}">\n` +
    `${indent}  <Value slope="${String(signal.factor)}" intercept="${String(signal.offset)}" type="${type}"${unit}/>\n` +
    `${indent}</Signal>\n`
  );
}

/** The switch as socketcan reads it (unsigned little-endian offset/length), or why it cannot. */
function muxField(switchSignal: DbcSignal): { offset: number; length: number } | string {
  if (switchSignal.signed) return `switch '${switchSignal.name}' is signed`;
  const lsb = payloadBit(switchSignal, 0);
  const msb = payloadBit(switchSignal, switchSignal.length - 1);
  // A Motorola field inside one byte has the same bits as an Intel one from its LSB.
  if (switchSignal.byteOrder === 'intel' || lsb >> 3 === msb >> 3) return { offset: lsb, length: switchSignal.length };
  return `Motorola switch '${switchSignal.name}' spans bytes`;
}

function messageXml(message: DbcMessage, notes: string[]): string {
  const format = message.extended ? ' format="extended"' : '';
  const interval = message.cycleTimeMs === undefined ? '' : ` interval="${message.cycleTimeMs}"`;
  let body = '';
  const conditions = multiplexConditions(message);
  if (typeof conditions === 'string') throw new Error(conditions);
  const switches = new Set([...conditions.values()].map((c) => c.switchSignal));
  const [switchSignal] = switches;
  const field = switchSignal === undefined ? undefined : muxField(switchSignal);
  const why =
    switches.size > 1 ? 'several switches (socketcan supports one)' :
    switchSignal !== undefined && conditions.has(switchSignal) ? 'nested multiplexing' :
    typeof field === 'string' ? field : undefined;
  if (why !== undefined) notes.push(`${message.name}: ${why}; written without <Multiplex>, socketcan decodes every signal of every frame`);

  if (switchSignal === undefined || field === undefined || typeof field === 'string' || why !== undefined) {
    for (const signal of message.signals) body += signalXml(signal, '      ');
  } else {
    const groups = new Map<number, DbcSignal[]>();
    for (const signal of message.signals) {
      for (const [low, high] of conditions.get(signal)?.ranges ?? []) {
        for (let v = low; v <= Math.min(high, low + 255); v++) groups.set(v, [...(groups.get(v) ?? []), signal]);
      }
    }
    const plain = message.signals.filter((s) => !conditions.has(s));
    if (switchSignal.byteOrder === 'motorola') notes.push(`${message.name}: Motorola switch '${switchSignal.name}' lies in one byte, written as <Multiplex offset="${field.offset}"> (socketcan reads it little-endian)`);
    notes.push(`${message.name}: ${plain.length} plain signal(s) incl. the switch repeated in each of ${groups.size} <MuxGroup>s, as socketcan decodes plain signals of a multiplexed message only when the switch is 0`);
    body += `      <Multiplex name="${escapeXml(switchSignal.name)}" offset="${field.offset}" length="${field.length}">\n`;
    for (const [count, signals] of [...groups].sort((a, b) => a[0] - b[0])) {
      body += `        <MuxGroup count="${count}">\n`;
      for (const signal of [...plain, ...signals]) body += signalXml(signal, '          ');
      body += '        </MuxGroup>\n';
    }
    body += '      </Multiplex>\n';
  }
  return (
    `    <Message id="0x${message.id.toString(16).toUpperCase()}" name="${escapeXml(message.name)}" length="${message.length}"${interval}${format}>\n` +
    `${body}    </Message>\n`
  );
}

export function writeKcd(messages: readonly DbcMessage[], busName: string): KcdDocument {
  const notes: string[] = [];
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<NetworkDefinition xmlns="http://kayak.2codeornot2code.org/1.0">\n' +
    '  <Document name="persona CAN decode benchmark"/>\n' +
    `  <Bus name="${escapeXml(busName)}">\n` +
    messages.map((m) => messageXml(m, notes)).join('') +
    '  </Bus>\n' +
    '</NetworkDefinition>\n';
  return { xml, notes };
}
