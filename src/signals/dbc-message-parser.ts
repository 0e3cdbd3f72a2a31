import { requiredLength } from './dbc-bit-layout.js';
import type { DbcMessage, DbcSignal } from './dbc-model.js';
import { DBC_KEYWORDS, type Token, type TokenStream } from './dbc-tokenizer.js';

/** Vector's pseudo message that holds signals not placed in any frame; it is never on the bus. */
export const INDEPENDENT_SIGNALS_MESSAGE = 'VECTOR__INDEPENDENT_SIG_MSG';

const EXTENDED_FLAG = 0x80000000;

export interface ParsedMessage {
  message: DbcMessage;
  /** The id as written (bit 31 set for extended frames): the key other sections refer to it by. */
  dbcId: number;
  token: Token;
  /** Signals left out because they lie outside the payload; references to them are ignored. */
  dropped: Set<string>;
}

/** `BO_ id name: length sender` followed by its `SG_` lines. */
export function parseMessage(tokens: TokenStream): ParsedMessage {
  const token = tokens.next();
  const idToken = tokens.peek();
  const dbcId = tokens.expectUnsigned('message id');
  if (dbcId > 0xffffffff) throw tokens.error(idToken, `message id ${dbcId} does not fit in 32 bits`);
  let extended = dbcId >= EXTENDED_FLAG;
  const id = extended ? dbcId - EXTENDED_FLAG : dbcId;
  const name = tokens.expectIdentifier('message name').text;
  const independent = name === INDEPENDENT_SIGNALS_MESSAGE;
  if (!independent && id > 0x1fffffff) {
    throw tokens.error(idToken, `message id 0x${id.toString(16)} is too large for a 29-bit identifier`);
  }
  if (!independent && !extended && id > 0x7ff) {
    // Hand-written files (opendbc among them) often leave out the extended flag.
    tokens.warn(idToken, `message id 0x${id.toString(16)} has no extended flag (bit 31) but needs 29 bits: read as extended`);
    extended = true;
  }
  tokens.expectPunctuation(':', `':' after message name '${name}'`);
  const lengthToken = tokens.peek();
  const length = tokens.expectUnsigned('message length in bytes');
  if (length > 64) throw tokens.error(lengthToken, `message length ${length} exceeds 64 bytes`);
  const senderToken = tokens.peek();
  if (senderToken.kind !== 'identifier' || DBC_KEYWORDS.has(senderToken.text)) {
    throw tokens.expected(`sending node of message '${name}'`);
  }
  tokens.next();
  const message: DbcMessage = {
    id,
    extended,
    name,
    length,
    sender: senderToken.text,
    signals: [],
    fd: false,
    transmitters: [],
  };
  const dropped = new Set<string>();
  while (tokens.isIdentifier('SG_')) {
    const signalToken = tokens.peek();
    const signal = parseSignal(tokens);
    if (message.signals.some((s) => s.name === signal.name) || dropped.has(signal.name)) {
      throw tokens.error(signalToken, `duplicate signal '${signal.name}' in message '${name}'`);
    }
    const needed = requiredLength(signal);
    if (independent || needed <= length) {
      message.signals.push(signal);
    } else {
      // Such a signal could never be decoded; real files have a few (a wrong DLC, a typo in the start bit).
      tokens.warn(
        signalToken,
        `signal '${signal.name}' (start bit ${signal.startBit}, ${signal.length} bits, ${signal.byteOrder}) needs ${needed} bytes but message '${name}' has ${length}: signal dropped`,
      );
      dropped.add(signal.name);
    }
  }
  return { message, dbcId, token, dropped };
}

function parseSignal(tokens: TokenStream): DbcSignal {
  tokens.next();
  const name = tokens.expectIdentifier('signal name').text;
  const multiplexing = parseMultiplexIndicator(tokens);
  tokens.expectPunctuation(':', `':' or a multiplexer indicator (M, m<n>, m<n>M) after signal name '${name}'`);
  const startBit = tokens.expectUnsigned('start bit');
  tokens.expectPunctuation('|', "'|' between start bit and length");
  const lengthToken = tokens.peek();
  const length = tokens.expectUnsigned('signal length in bits');
  if (length < 1 || length > 64) throw tokens.error(lengthToken, `signal length ${length} is not within 1..64 bits`);
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
