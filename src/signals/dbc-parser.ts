import { readFileSync } from 'node:fs';
import {
  parseAttributeAssignment,
  parseAttributeDefault,
  parseAttributeDefinition,
  storeAttributes,
  type AttributeAssignment,
  type AttributeStatement,
} from './dbc-attributes.js';
import { INDEPENDENT_SIGNALS_MESSAGE, parseMessage, type ParsedMessage } from './dbc-message-parser.js';
import type { AttributeValue, Dbc, DbcSignal } from './dbc-model.js';
import { multiplexConditions } from './dbc-multiplex.js';
import { DBC_KEYWORDS, DbcSyntaxError, formatProblem, TokenStream, type DbcProblem, type Token } from './dbc-tokenizer.js';

export { DbcSyntaxError, MAX_DBC_ERRORS, type DbcProblem } from './dbc-tokenizer.js';

/**
 * Parses the text of a DBC file; `file` only labels errors and warnings. Throws one
 * DbcSyntaxError listing every syntax error (up to MAX_DBC_ERRORS); what is understood
 * despite a problem is kept, with one warning per problem in `warnings`.
 */
export function parseDbc(text: string, file: string): Dbc {
  return new DbcParser(text, file).parse();
}

/** Reads a DBC file as UTF-8, or as Latin-1 when it is not valid UTF-8 (as older Windows tools write it). */
export function loadDbcFile(path: string): Dbc {
  const bytes = readFileSync(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('latin1').decode(bytes);
  }
  return parseDbc(text, path);
}

/** Sections this loader has no use for; their grammar always ends with `;`. */
const SKIPPED_SECTIONS = new Set([
  'BA_DEF_REL_', 'BA_REL_', 'BA_DEF_DEF_REL_', 'EV_', 'ENVVAR_DATA_', 'EV_DATA_', 'SGTYPE_', 'SGTYPE_VAL_',
  'SIG_GROUP_', 'CAT_DEF_', 'CAT_', 'FILTER', 'SIG_TYPE_REF_', 'BA_DEF_SGTYPE_', 'BA_SGTYPE_',
  'SIGTYPE_VALTYPE_', 'BU_SG_REL_', 'BU_EV_REL_', 'BU_BO_REL_', 'NS_DESC_',
]);

const FLOAT_TYPES = { 1: 'float32', 2: 'float64' } as const;

/**
 * Why the multiplexed signals of a message cannot be told apart: a switch cannot be found,
 * or a switch was dropped, after which a plain m<n> would be read as selected by whichever
 * switch is left.
 */
function unresolvedMultiplexing({ message, dropped }: ParsedMessage): string | undefined {
  const multiplexed = message.signals.some((s) => s.multiplexValue !== undefined || s.multiplexSwitch !== undefined);
  if (!multiplexed) return undefined;
  for (const signal of dropped.values()) {
    if (signal.multiplexer === 'switch' && !message.signals.some((kept) => kept.name === signal.name)) {
      return `multiplexer switch '${signal.name}' of message '${message.name}' was dropped`;
    }
  }
  const conditions = multiplexConditions(message);
  return typeof conditions === 'string' ? conditions : undefined;
}

class DbcParser {
  private readonly tokens: TokenStream;
  private readonly dbc: Dbc;
  /** By the id as written, which other sections refer to. */
  private readonly messages = new Map<number, ParsedMessage>();
  /** By the CAN id (extended ones above 2^32) and by name: a second message with either is skipped. */
  private readonly messagesByFrame = new Map<number, ParsedMessage>();
  private readonly messagesByName = new Map<string, ParsedMessage>();
  /** Ids of pseudo and skipped messages, whose references are dropped without a warning. */
  private readonly ignoredIds = new Set<number>();
  /** Sections that refer to messages and signals take effect after the whole file is read. */
  private readonly deferred: Array<() => void> = [];
  private readonly attributeDefaults: AttributeStatement[] = [];
  private readonly attributeAssignments: AttributeAssignment[] = [];
  private readonly extraTransmitters = new Map<ParsedMessage, string[]>();

  constructor(text: string, file: string) {
    this.tokens = new TokenStream(text, file);
    this.dbc = {
      file,
      version: '',
      nodes: [],
      messages: [],
      valueTables: new Map(),
      attributes: {
        definitions: new Map(),
        network: new Map(),
        nodes: new Map(),
        messages: new Map(),
        signals: new Map(),
        envVars: new Map(),
      },
      nodeComments: new Map(),
      warnings: [],
    };
  }

  parse(): Dbc {
    const tokens = this.tokens;
    for (;;) {
      let from: Token | undefined;
      try {
        from = tokens.peek();
        if (from.kind === 'end') break;
        this.section();
      } catch (error) {
        if (!(error instanceof DbcSyntaxError)) throw error;
        tokens.recover(error, from, false);
      }
    }
    const [first, ...more] = tokens.errors;
    if (first !== undefined) throw new DbcSyntaxError([first, ...more]);
    for (const apply of this.deferred) apply();
    for (const parsed of this.messages.values()) this.skipUnresolvedMultiplexing(parsed);
    storeAttributes(this.tokens, this.dbc.attributes, this.attributeDefaults, this.attributeAssignments, {
      messageName: (token, dbcId) => this.findMessage(token, dbcId)?.message.name,
      signalKey: (token, dbcId, name) => {
        const found = this.findSignal(token, dbcId, name) !== undefined;
        const message = this.messages.get(dbcId)?.message;
        return found && message !== undefined ? `${message.name}.${name}` : undefined;
      },
    });
    for (const parsed of this.messages.values()) this.finishMessage(parsed);
    this.dbc.messages = [...this.messages.values()].map((parsed) => parsed.message);
    const byPosition = (a: DbcProblem, b: DbcProblem): number => a.line - b.line || a.column - b.column;
    this.dbc.warnings = tokens.warnings.sort(byPosition).map(formatProblem);
    return this.dbc;
  }

  private section(): void {
    const tokens = this.tokens;
    const token = tokens.peek();
    if (token.kind !== 'identifier') throw tokens.expected('a section keyword (BO_, CM_, BA_, VAL_, …)');
    switch (token.text) {
      case 'VERSION':
        tokens.next();
        this.dbc.version = tokens.expectString('version string');
        return;
      case 'NS_':
        return this.skipNewSymbols();
      case 'BS_':
        return this.bitTiming();
      case 'BU_':
        return this.nodes();
      case 'BO_':
        return this.message();
      case 'VAL_TABLE_': {
        tokens.next();
        const name = tokens.expectIdentifier('value table name').text;
        this.dbc.valueTables.set(name, this.valueDescriptions(name));
        return;
      }
      case 'VAL_':
        return this.valueDescriptionsForSignal();
      case 'CM_':
        return this.comment();
      case 'BA_DEF_': {
        const definition = parseAttributeDefinition(tokens);
        this.dbc.attributes.definitions.set(definition.name, definition);
        return;
      }
      case 'BA_DEF_DEF_':
        this.attributeDefaults.push(parseAttributeDefault(tokens));
        return;
      case 'BA_':
        this.attributeAssignments.push(parseAttributeAssignment(tokens));
        return;
      case 'SIG_VALTYPE_':
        return this.signalValueType();
      case 'BO_TX_BU_':
        return this.messageTransmitters();
      case 'SG_MUL_VAL_':
        return this.extendedMultiplexing();
      default:
        return this.skipSection(token);
    }
  }

  /** NS_ lists keywords, so it ends at the first unindented keyword rather than at a keyword. */
  private skipNewSymbols(): void {
    const tokens = this.tokens;
    tokens.next();
    tokens.acceptPunctuation(':');
    for (;;) {
      const token = tokens.peek();
      if (token.kind !== 'identifier' || ['BS_', 'BU_', 'BO_'].includes(token.text)) return;
      if (token.column === 1 && DBC_KEYWORDS.has(token.text)) return;
      tokens.next();
    }
  }

  /** `BS_: [baudrate : BTR1 , BTR2]`, obsolete and unused. */
  private bitTiming(): void {
    const tokens = this.tokens;
    tokens.next();
    tokens.expectPunctuation(':', "':' after BS_");
    if (!tokens.isNumber()) return;
    tokens.expectNumber('baud rate');
    if (!tokens.acceptPunctuation(':')) return;
    tokens.expectNumber('BTR1');
    tokens.expectPunctuation(',', "',' between BTR1 and BTR2");
    tokens.expectNumber('BTR2');
  }

  private nodes(): void {
    const tokens = this.tokens;
    tokens.next();
    tokens.expectPunctuation(':', "':' after BU_");
    for (let t = tokens.peek(); t.kind === 'identifier' && !DBC_KEYWORDS.has(t.text); t = tokens.peek()) {
      this.dbc.nodes.push(tokens.next().text);
    }
  }

  /**
   * A message whose CAN id or name is taken is skipped: frames and signal maps find a
   * message by id and by name, and the first definition is the one files are read by.
   * References to a skipped duplicate's id, when it differs, are dropped silently.
   */
  private message(): void {
    const parsed = parseMessage(this.tokens);
    const { message, dbcId, token } = parsed;
    if (message.name === INDEPENDENT_SIGNALS_MESSAGE || parsed.skipped) {
      this.ignoredIds.add(dbcId);
      return;
    }
    const frame = message.extended ? message.id + 2 ** 32 : message.id;
    const sameFrame = this.messagesByFrame.get(frame);
    const sameName = this.messagesByName.get(message.name);
    if (sameFrame !== undefined || sameName !== undefined) {
      this.tokens.warn(
        token,
        sameFrame !== undefined
          ? `CAN id 0x${message.id.toString(16)} of message '${message.name}' is already used by message '${sameFrame.message.name}' on line ${sameFrame.token.line}: '${message.name}' skipped`
          : `message name '${message.name}' is already used by the message on line ${sameName?.token.line}: this one (id ${dbcId}) skipped`,
      );
      if (!this.messages.has(dbcId)) this.ignoredIds.add(dbcId);
      return;
    }
    this.messages.set(dbcId, parsed);
    this.messagesByFrame.set(frame, parsed);
    this.messagesByName.set(message.name, parsed);
  }

  private valueDescriptions(owner: string): Map<number, string> {
    const tokens = this.tokens;
    const table = new Map<number, string>();
    while (tokens.isNumber()) {
      const token = tokens.peek();
      const value = tokens.expectNumber('value');
      if (!Number.isInteger(value)) throw tokens.error(token, `expected an integer value, found ${value}`);
      table.set(value, tokens.expectString(`description of value ${value}`));
    }
    tokens.expectStatementEnd(`a value or ';' ending the value descriptions of ${owner}`);
    return table;
  }

  /** `VAL_ id signal (value "text")* ;`, or the same for an environment variable (ignored). */
  private valueDescriptionsForSignal(): void {
    const tokens = this.tokens;
    const token = tokens.next();
    if (tokens.isIdentifier()) {
      const name = tokens.next().text;
      this.valueDescriptions(`environment variable '${name}'`);
      return;
    }
    const dbcId = tokens.expectUnsigned('message id or environment variable name');
    const name = tokens.expectIdentifier('signal name').text;
    const table = this.valueDescriptions(`signal '${name}'`);
    this.deferred.push(() => {
      const signal = this.findSignal(token, dbcId, name);
      if (signal !== undefined) signal.valueTable = table;
    });
  }

  private comment(): void {
    const tokens = this.tokens;
    const token = tokens.next();
    if (tokens.peek().kind === 'string') {
      this.dbc.comment = tokens.next().text;
      tokens.expectStatementEnd("';' after the comment");
      return;
    }
    const kind = tokens.expectIdentifier('a comment string or BU_, BO_, SG_, EV_');
    const apply = this.commentTarget(token, kind);
    const text = tokens.expectString('comment string');
    tokens.expectStatementEnd("';' after the comment");
    this.deferred.push(() => apply(text));
  }

  private commentTarget(token: Token, kind: Token): (text: string) => void {
    const tokens = this.tokens;
    switch (kind.text) {
      case 'BU_': {
        const node = tokens.expectIdentifier('node name').text;
        return (text) => this.dbc.nodeComments.set(node, text);
      }
      case 'EV_':
        tokens.expectIdentifier('environment variable name');
        return () => undefined;
      case 'BO_': {
        const dbcId = tokens.expectUnsigned('message id');
        return (text) => {
          const parsed = this.findMessage(token, dbcId);
          if (parsed !== undefined) parsed.message.comment = text;
        };
      }
      case 'SG_': {
        const dbcId = tokens.expectUnsigned('message id');
        const name = tokens.expectIdentifier('signal name').text;
        return (text) => {
          const signal = this.findSignal(token, dbcId, name);
          if (signal !== undefined) signal.comment = text;
        };
      }
      default:
        throw tokens.error(kind, `expected a comment string or BU_, BO_, SG_, EV_, found '${kind.text}'`);
    }
  }

  /** `SIG_VALTYPE_ id signal : 1|2 ;` */
  private signalValueType(): void {
    const tokens = this.tokens;
    const token = tokens.next();
    const dbcId = tokens.expectUnsigned('message id');
    const name = tokens.expectIdentifier('signal name').text;
    tokens.acceptPunctuation(':');
    const typeToken = tokens.peek();
    const code = tokens.expectUnsigned('value type 0 (integer), 1 (float32) or 2 (float64)');
    if (code > 2) throw tokens.error(typeToken, `expected value type 0, 1 or 2, found ${code}`);
    tokens.expectStatementEnd("';' after the value type");
    this.deferred.push(() => {
      const signal = this.findSignal(token, dbcId, name);
      if (signal === undefined || code === 0) return;
      const valueType = FLOAT_TYPES[code as 1 | 2];
      const bits = code === 1 ? 32 : 64;
      if (signal.length === bits) {
        signal.valueType = valueType;
        return;
      }
      tokens.warn(typeToken, `${valueType} signal '${name}' must be ${bits} bits long, not ${signal.length}: signal dropped`);
      this.dropSignal(dbcId, signal);
    });
  }

  /** `BO_TX_BU_ id : node, node ;` */
  private messageTransmitters(): void {
    const tokens = this.tokens;
    const token = tokens.next();
    const dbcId = tokens.expectUnsigned('message id');
    tokens.expectPunctuation(':', "':' after the message id");
    const nodes: string[] = [];
    do nodes.push(tokens.expectIdentifier('transmitting node').text);
    while (tokens.acceptPunctuation(',') || tokens.isIdentifier());
    tokens.expectStatementEnd("',' or ';' after a transmitting node");
    this.deferred.push(() => {
      const parsed = this.findMessage(token, dbcId);
      if (parsed !== undefined) this.extraTransmitters.set(parsed, [...(this.extraTransmitters.get(parsed) ?? []), ...nodes]);
    });
  }

  /** `SG_MUL_VAL_ id signal switch low-high, low-high ;` */
  private extendedMultiplexing(): void {
    const tokens = this.tokens;
    const token = tokens.next();
    const dbcId = tokens.expectUnsigned('message id');
    const name = tokens.expectIdentifier('signal name').text;
    const switchName = tokens.expectIdentifier('multiplexer switch name').text;
    const ranges: Array<[number, number]> = [];
    do {
      const lowToken = tokens.peek();
      const low = tokens.expectUnsigned('range start');
      tokens.expectPunctuation('-', "'-' in the multiplexer value range");
      const high = tokens.expectUnsigned('range end');
      if (high < low) throw tokens.error(lowToken, `multiplexer value range ${low}-${high} is empty`);
      ranges.push([low, high]);
    } while (tokens.acceptPunctuation(','));
    tokens.expectStatementEnd("',' or ';' after a multiplexer value range");
    this.deferred.push(() => {
      const signal = this.findSignal(token, dbcId, name);
      if (signal === undefined) return;
      const parsed = this.messages.get(dbcId);
      if (parsed !== undefined && !parsed.message.signals.some((s) => s.name === switchName) && !parsed.dropped.has(switchName)) {
        // The signal keeps the reading of its own m<n>; a switch that was dropped leaves it unresolved instead.
        tokens.warn(token, `SG_MUL_VAL_ refers to multiplexer switch '${switchName}', which message '${parsed.message.name}' does not have: ignored`);
        return;
      }
      const earlier = signal.multiplexSwitch === switchName ? (signal.multiplexRanges ?? []) : [];
      signal.multiplexSwitch = switchName;
      signal.multiplexRanges = [...earlier, ...ranges];
    });
  }

  /** Known sections we do not use are skipped to their `;`; unknown ones too, unless they run into a section. */
  private skipSection(token: Token): void {
    const tokens = this.tokens;
    if (token.text === 'SG_') throw tokens.error(token, 'SG_ outside a BO_ message');
    const known = SKIPPED_SECTIONS.has(token.text);
    tokens.next();
    if (!known) tokens.warn(token, `unknown section '${token.text}' skipped`);
    for (;;) {
      const t = tokens.next();
      if (t.kind === 'end') throw tokens.error(token, `expected ';' ending the ${token.text} section, found end of file`);
      if (t.kind === 'punctuation' && t.text === ';') return;
      if (!known && t.kind === 'identifier' && DBC_KEYWORDS.has(t.text)) {
        throw tokens.error(token, `unknown section '${token.text}' (expected a section keyword)`);
      }
    }
  }

  private findMessage(token: Token, dbcId: number): ParsedMessage | undefined {
    const parsed = this.messages.get(dbcId);
    if (parsed === undefined && !this.ignoredIds.has(dbcId)) {
      this.tokens.warn(token, `${token.text} refers to message id ${dbcId}, which is not defined`);
    }
    return parsed;
  }

  private findSignal(token: Token, dbcId: number, name: string): DbcSignal | undefined {
    const parsed = this.findMessage(token, dbcId);
    if (parsed === undefined) return undefined;
    const signal = parsed.message.signals.find((s) => s.name === name);
    if (signal === undefined && !parsed.dropped.has(name)) {
      this.tokens.warn(token, `${token.text} refers to signal '${name}', which message '${parsed.message.name}' does not have`);
    }
    return signal;
  }

  private dropSignal(dbcId: number, signal: DbcSignal): void {
    const parsed = this.messages.get(dbcId);
    if (parsed === undefined) return;
    parsed.message.signals = parsed.message.signals.filter((s) => s !== signal);
    parsed.dropped.set(signal.name, signal);
  }

  private skipUnresolvedMultiplexing(parsed: ParsedMessage): void {
    const problem = unresolvedMultiplexing(parsed);
    if (problem === undefined) return;
    this.tokens.warn(parsed.token, `${problem}: message '${parsed.message.name}' skipped`);
    this.messages.delete(parsed.dbcId);
    this.ignoredIds.add(parsed.dbcId);
  }

  private messageAttribute(messageName: string, name: string): AttributeValue | undefined {
    const { messages, definitions } = this.dbc.attributes;
    return messages.get(messageName)?.get(name) ?? definitions.get(name)?.defaultValue;
  }

  private finishMessage(parsed: ParsedMessage): void {
    const { message } = parsed;
    const cycleTime = this.messageAttribute(message.name, 'GenMsgCycleTime');
    if (typeof cycleTime === 'number' && cycleTime > 0) message.cycleTimeMs = cycleTime;
    const frameFormat = this.messageAttribute(message.name, 'VFrameFormat');
    message.fd = message.length > 8 || (typeof frameFormat === 'string' && frameFormat.includes('FD'));
    const transmitters = message.sender === 'Vector__XXX' ? [] : [message.sender];
    for (const node of this.extraTransmitters.get(parsed) ?? []) {
      if (!transmitters.includes(node)) transmitters.push(node);
    }
    message.transmitters = transmitters;
  }
}
