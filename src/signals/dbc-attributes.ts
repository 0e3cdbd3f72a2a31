import type {
  AttributeDefinition,
  AttributeObjectType,
  AttributeValue,
  AttributeValues,
  AttributeValueType,
  DbcAttributes,
} from './dbc-model.js';
import type { Token, TokenStream } from './dbc-tokenizer.js';

/** What a BA_ line applies to; messages by their id as written in the file. */
export type AttributeTarget =
  | { kind: 'network' }
  | { kind: 'node'; name: string }
  | { kind: 'envvar'; name: string }
  | { kind: 'message'; dbcId: number }
  | { kind: 'signal'; dbcId: number; signal: string };

export interface AttributeStatement {
  token: Token;
  name: string;
  value: AttributeValue;
}

export interface AttributeAssignment extends AttributeStatement {
  target: AttributeTarget;
}

const OBJECT_TYPES: Record<string, AttributeObjectType> = {
  BU_: 'node',
  BO_: 'message',
  SG_: 'signal',
  EV_: 'envvar',
};

/** `BA_DEF_ [BU_|BO_|SG_|EV_] "name" INT|HEX|FLOAT min max | STRING | ENUM "a","b";` */
export function parseAttributeDefinition(tokens: TokenStream): AttributeDefinition {
  tokens.next();
  const objectToken = tokens.peek();
  let objectType: AttributeObjectType = 'network';
  if (objectToken.kind === 'identifier') {
    const type = OBJECT_TYPES[objectToken.text];
    if (type === undefined) throw tokens.expected('BU_, BO_, SG_, EV_ or the attribute name');
    objectType = type;
    tokens.next();
  }
  const name = tokens.expectString('attribute name');
  const type = parseValueType(tokens);
  tokens.expectStatementEnd(`';' after the definition of attribute "${name}"`);
  return { name, objectType, type };
}

function parseValueType(tokens: TokenStream): AttributeValueType {
  const kind = tokens.expectIdentifier('attribute type INT, HEX, FLOAT, STRING or ENUM');
  switch (kind.text) {
    case 'INT':
    case 'HEX':
    case 'FLOAT': {
      const minimum = tokens.expectNumber(`${kind.text} minimum`);
      const maximum = tokens.expectNumber(`${kind.text} maximum`);
      return { kind: kind.text, minimum, maximum };
    }
    case 'STRING':
      return { kind: 'STRING' };
    case 'ENUM': {
      const values: string[] = [];
      while (tokens.peek().kind === 'string') {
        values.push(tokens.next().text);
        tokens.acceptPunctuation(',');
      }
      return { kind: 'ENUM', values };
    }
    default:
      throw tokens.error(kind, `expected attribute type INT, HEX, FLOAT, STRING or ENUM, found '${kind.text}'`);
  }
}

/** `BA_DEF_DEF_ "name" value;` */
export function parseAttributeDefault(tokens: TokenStream): AttributeStatement {
  const token = tokens.next();
  const name = tokens.expectString('attribute name');
  const value = parseValue(tokens, name);
  return { token, name, value };
}

/** `BA_ "name" [BU_ node | BO_ id | SG_ id signal | EV_ name] value;` */
export function parseAttributeAssignment(tokens: TokenStream): AttributeAssignment {
  const token = tokens.next();
  const name = tokens.expectString('attribute name');
  const value = (target: AttributeTarget): AttributeAssignment => ({ token, name, target, value: parseValue(tokens, name) });
  const object = tokens.peek();
  if (object.kind !== 'identifier') return value({ kind: 'network' });
  tokens.next();
  switch (object.text) {
    case 'BU_':
      return value({ kind: 'node', name: tokens.expectIdentifier('node name').text });
    case 'EV_':
      return value({ kind: 'envvar', name: tokens.expectIdentifier('environment variable name').text });
    case 'BO_':
      return value({ kind: 'message', dbcId: tokens.expectUnsigned('message id') });
    case 'SG_': {
      const dbcId = tokens.expectUnsigned('message id');
      return value({ kind: 'signal', dbcId, signal: tokens.expectIdentifier('signal name').text });
    }
    default:
      throw tokens.error(object, `expected BU_, BO_, SG_, EV_ or a value for attribute "${name}", found '${object.text}'`);
  }
}

function parseValue(tokens: TokenStream, name: string): AttributeValue {
  const value = tokens.peek().kind === 'string' ? tokens.next().text : tokens.expectNumber(`value of attribute "${name}"`);
  tokens.expectStatementEnd(`';' after the value of attribute "${name}"`);
  return value;
}

/** ENUM values are written as indexes in BA_ lines and usually as names in BA_DEF_DEF_; both become the name. */
function resolveAttributeValue(
  tokens: TokenStream,
  definition: AttributeDefinition | undefined,
  statement: AttributeStatement,
): AttributeValue {
  const { value, name, token } = statement;
  if (definition === undefined) {
    tokens.warn(token, `attribute "${name}" has no BA_DEF_ definition`);
    return value;
  }
  const type = definition.type;
  if (type.kind === 'ENUM' && typeof value === 'number') {
    const label = type.values[value];
    if (label !== undefined) return label;
    tokens.warn(token, `value ${value} of ENUM attribute "${name}" is not an index of its ${type.values.length} values`);
  } else if ((type.kind === 'STRING' || type.kind === 'ENUM') !== (typeof value === 'string')) {
    tokens.warn(token, `value ${JSON.stringify(value)} of attribute "${name}" does not match its type ${type.kind}`);
  }
  return value;
}

/** Finds what BA_ lines refer to, warning about what does not exist; undefined drops the value. */
export interface AttributeTargets {
  messageName(token: Token, dbcId: number): string | undefined;
  signalKey(token: Token, dbcId: number, signal: string): string | undefined;
}

/** Applies BA_DEF_DEF_ and BA_ once the whole file is read, so their order in the file does not matter. */
export function storeAttributes(
  tokens: TokenStream,
  attributes: DbcAttributes,
  defaults: readonly AttributeStatement[],
  assignments: readonly AttributeAssignment[],
  targets: AttributeTargets,
): void {
  const { definitions, network, nodes, messages, signals, envVars } = attributes;
  for (const statement of defaults) {
    const definition = definitions.get(statement.name);
    const value = resolveAttributeValue(tokens, definition, statement);
    if (definition !== undefined) definition.defaultValue = value;
  }
  const set = (map: Map<string, AttributeValues>, key: string | undefined, name: string, value: AttributeValue): void => {
    if (key === undefined) return;
    const values = map.get(key) ?? new Map<string, AttributeValue>();
    values.set(name, value);
    map.set(key, values);
  };
  for (const statement of assignments) {
    const { target, name, token } = statement;
    const value = resolveAttributeValue(tokens, definitions.get(name), statement);
    switch (target.kind) {
      case 'network':
        network.set(name, value);
        break;
      case 'node':
        set(nodes, target.name, name, value);
        break;
      case 'envvar':
        set(envVars, target.name, name, value);
        break;
      case 'message':
        set(messages, targets.messageName(token, target.dbcId), name, value);
        break;
      case 'signal':
        set(signals, targets.signalKey(token, target.dbcId, target.signal), name, value);
        break;
    }
  }
}
