import { requiredLength } from './dbc-bit-layout.js';
import type { DbcMessage, DbcSignal } from './dbc-model.js';
import { DBC_KEYWORDS, DbcSyntaxError, type Token, type TokenStream } from './dbc-tokenizer.js';

/** Vector's pseudo message that holds signals not placed in any frame; it is never on the bus. */
export const INDEPENDENT_SIGNALS_MESSAGE = 'VECTOR__INDEPENDENT_SIG_MSG';

const EXTENDED_FLAG = 0x80000000;
const LARGEST_EXTENDED_ID = 0x1fffffff;
const LARGEST_STANDARD_ID = 0x7ff;

export interface ParsedMessage {
  message: DbcMessage;
  /** The id as written (bit 31 set for extended frames): the key other sections refer to it by. */
  dbcId: number;
  token: Token;
  /** Signals left out because they cannot be decoded, by name; references to them are ignored. */
  dropped: Map<string, DbcSignal>;
  /** Why the whole message cannot be decoded (already warned about); references to it are ignored. */
  skipped: boolean;
}

/**
 * The CAN id a DBC id stands for, or why it stands for none. Bit 31 is Vector's extended
 * flag. Bit 30 (and 29) belong to no CAN id: Vector sets bit 30 only together with bit 31,
 * for the VECTOR__INDEPENDENT_SIG_MSG pseudo message (0xC0000000), and SocketCAN uses bits
 * 30 and 29 as its remote-frame and error flags. An id with such a bit but without bit 31
 * could be a pseudo message that lost its flag, a copied SocketCAN id or a typo, and the
 * low bits alone do not say whether the frame has an 11- or a 29-bit id, so no reading is
 * sound: the message is skipped. Without any high bit, an id above 11 bits can only be a
 * 29-bit one, so a missing flag is read as extended.
 */
function canId(tokens: TokenStream, idToken: Token, dbcId: number, name: string): Pick<DbcMessage, 'id' | 'extended'> | undefined {
  const hex = `0x${dbcId.toString(16)}`;
  if (dbcId > 0xffffffff) {
    tokens.warn(idToken, `message id ${dbcId} does not fit in 32 bits: message '${name}' skipped`);
    return undefined;
  }
  const extended = dbcId >= EXTENDED_FLAG;
  const id = extended ? dbcId - EXTENDED_FLAG : dbcId;
  if (id > LARGEST_EXTENDED_ID) {
    const high = [29, 30].filter((bit) => ((id >>> bit) & 1) === 1);
    const bits = `${high.length > 1 ? 'bits' : 'bit'} ${high.join(' and ')}`;
    const reading = extended
      ? `sets ${bits} besides the extended flag (bit 31): not a 29-bit CAN id`
      : `sets ${bits} without the extended flag (bit 31): neither an 11-bit nor a 29-bit CAN id`;
    tokens.warn(idToken, `message id ${dbcId} (${hex}) ${reading}, message '${name}' skipped`);
    return undefined;
  }
  if (!extended && id > LARGEST_STANDARD_ID) {
    // Hand-written files (opendbc among them) often leave out the extended flag.
    tokens.warn(idToken, `message id ${hex} has no extended flag (bit 31) but needs 29 bits: read as extended`);
    return { id, extended: true };
  }
  return { id, extended };
}

/** `BO_ id name: length sender` followed by its `SG_` lines; a syntax error in one SG_ line is kept and the next line read. */
export function parseMessage(tokens: TokenStream): ParsedMessage {
  const token = tokens.next();
  const idToken = tokens.peek();
  const dbcId = tokens.expectUnsigned('message id');
  const name = tokens.expectIdentifier('message name').text;
  const independent = name === INDEPENDENT_SIGNALS_MESSAGE;
  const frame = independent ? { id: dbcId, extended: true } : canId(tokens, idToken, dbcId, name);
  tokens.expectPunctuation(':', `':' after message name '${name}'`);
  const lengthToken = tokens.peek();
  const length = tokens.expectUnsigned('message length in bytes');
  const lengthFits = length <= 64;
  if (!lengthFits) tokens.warn(lengthToken, `message length ${length} exceeds 64 bytes: message '${name}' skipped`);
  const senderToken = tokens.peek();
  if (senderToken.kind !== 'identifier' || DBC_KEYWORDS.has(senderToken.text)) {
    throw tokens.expected(`sending node of message '${name}'`);
  }
  tokens.next();
  const message: DbcMessage = {
    id: frame?.id ?? dbcId,
    extended: frame?.extended ?? false,
    name,
    length,
    sender: senderToken.text,
    signals: [],
    fd: false,
    transmitters: [],
  };
  const dropped = new Map<string, DbcSignal>();
  const lines = new Map<string, number>();
  while (tokens.isIdentifier('SG_')) {
    const signalToken = tokens.peek();
    let signal: DbcSignal;
    try {
      signal = parseSignal(tokens);
    } catch (error) {
      if (!(error instanceof DbcSyntaxError)) throw error;
      tokens.recover(error, signalToken, true);
      continue;
    }
    const problem = signalProblem(signal, lines, independent ? Infinity : length, name);
    if (problem === undefined) {
      message.signals.push(signal);
      lines.set(signal.name, signalToken.line);
    } else {
      tokens.warn(signalToken, `${problem}: signal dropped`);
      dropped.set(signal.name, signal);
    }
  }
  return { message, dbcId, token, dropped, skipped: frame === undefined || !lengthFits };
}

/** Why a signal cannot be decoded; real files have a few (a wrong DLC, a typo in the start bit, a copied line). */
function signalProblem(signal: DbcSignal, lines: ReadonlyMap<string, number>, messageLength: number, messageName: string): string | undefined {
  const earlier = lines.get(signal.name);
  if (earlier !== undefined) return `duplicate signal '${signal.name}' in message '${messageName}' (first on line ${earlier})`;
  if (signal.length < 1 || signal.length > 64) return `signal '${signal.name}' length ${signal.length} is not within 1..64 bits`;
  const needed = requiredLength(signal);
  if (needed <= messageLength) return undefined;
  return `signal '${signal.name}' (start bit ${signal.startBit}, ${signal.length} bits, ${signal.byteOrder}) needs ${needed} bytes but message '${messageName}' has ${messageLength}`;
}

function parseSignal(tokens: TokenStream): DbcSignal {
  tokens.next();
  const name = tokens.expectIdentifier('signal name').text;
  const multiplexing = parseMultiplexIndicator(tokens);
  tokens.expectPunctuation(':', `':' or a multiplexer indicator (M, m<n>, m<n>M) after signal name '${name}'`);
  const startBit = tokens.expectUnsigned('start bit');
  tokens.expectPunctuation('|', "'|' between start bit and length");
  const length = tokens.expectUnsigned('signal length in bits');
  tokens.expectPunctuation('@', "'@' before the byte order");
  const order = tokens.peek();
  if (order.kind !== 'number' || (order.text !== '0' && order.text !== '1')) {
    throw tokens.expected('byte order 0 (motorola) or 1 (intel)');
  }
  tokens.next();
  const sign = tokens.peek();
  if (!tokens.isPunctuation('+') && !tokens.isPunctuation('-')) {
    throw tokens.expected("'+' (unsigned) or '-' (signed) after the byte order");
  }
  tokens.next();
  tokens.expectPunctuation('(', "'(' before factor and offset");
  const factor = tokens.expectNumber('factor');
  tokens.expectPunctuation(',', "',' between factor and offset");
  const offset = tokens.expectNumber('offset');
  tokens.expectPunctuation(')', "')' after the offset");
  tokens.expectPunctuation('[', "'[' before minimum and maximum");
  const minimum = tokens.expectNumber('minimum');
  tokens.expectPunctuation('|', "'|' between minimum and maximum");
  const maximum = tokens.expectNumber('maximum');
  tokens.expectPunctuation(']', "']' after the maximum");
  const unitToken = tokens.peek();
  const unit = tokens.expectString('unit string');
  return {
    name,
    startBit,
    length,
    byteOrder: order.text === '1' ? 'intel' : 'motorola',
    signed: sign.text === '-',
    factor,
    offset,
    minimum,
    maximum,
    unit,
    receivers: parseReceivers(tokens, unitToken.line),
    valueType: 'integer',
    ...multiplexing,
  };
}

type MultiplexFields = Pick<DbcSignal, 'multiplexer' | 'multiplexValue'>;

function parseMultiplexIndicator(tokens: TokenStream): MultiplexFields {
  const token = tokens.peek();
  if (token.kind !== 'identifier') return {};
  const match = /^(?:(M)|m(\d+)(M?)|(m))$/.exec(token.text);
  if (match === null) return {};
  tokens.next();
  const [, isSwitch, value, alsoSwitch, bare] = match;
  if (isSwitch !== undefined) return { multiplexer: 'switch' };
  if (bare !== undefined) {
    tokens.warn(token, "multiplexer indicator 'm' without a value, read as 'M' (multiplexer switch)");
    return { multiplexer: 'switch' };
  }
  const fields: MultiplexFields = { multiplexValue: Number(value) };
  if (alsoSwitch === 'M') fields.multiplexer = 'switch';
  return fields;
}

/**
 * Comma-separated node names. Without a comma a name must stay on the unit's line:
 * that keeps a missing receiver list from swallowing whatever starts the next line.
 */
function parseReceivers(tokens: TokenStream, line: number): string[] {
  const receivers: string[] = [];
  let afterComma = false;
  for (;;) {
    const token = tokens.peek();
    const isName = token.kind === 'identifier' && !DBC_KEYWORDS.has(token.text);
    if (afterComma && !isName) throw tokens.expected("receiving node after ','");
    if (!isName || (!afterComma && token.line !== line)) return receivers;
    tokens.next();
    receivers.push(token.text);
    line = token.line;
    afterComma = tokens.acceptPunctuation(',');
  }
}
