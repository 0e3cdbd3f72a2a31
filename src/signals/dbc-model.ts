/** DBC '@1' = intel (little endian, start bit is the LSB), '@0' = motorola (big endian, start bit is the MSB). */
export type ByteOrder = 'intel' | 'motorola';

/** SIG_VALTYPE_ 1 = float32, 2 = float64; otherwise the raw bits are an integer. */
export type SignalValueType = 'integer' | 'float32' | 'float64';

export interface DbcSignal {
  name: string;
  startBit: number;
  length: number;
  byteOrder: ByteOrder;
  signed: boolean;
  factor: number;
  offset: number;
  minimum: number;
  maximum: number;
  unit: string;
  receivers: string[];
  valueType: SignalValueType;
  /** 'M' = this signal is the multiplexer switch (also set for `m<n>M`, the switch of an extended multiplexer). */
  multiplexer?: 'switch';
  /** `m<n>`: only present when the switch has this raw value. */
  multiplexValue?: number;
  /** Extended multiplexing (SG_MUL_VAL_): the switch signal name and the inclusive raw ranges that activate this signal. */
  multiplexSwitch?: string;
  multiplexRanges?: Array<[number, number]>;
  comment?: string;
  valueTable?: Map<number, string>;
}

export interface DbcMessage {
  /** Arbitration id without the extended flag bit 31. */
  id: number;
  extended: boolean;
  name: string;
  /** Payload length in bytes (0–64). */
  length: number;
  sender: string;
  signals: DbcSignal[];
  /** BA_ "GenMsgCycleTime" of the message, else its BA_DEF_DEF_; absent when neither is a positive number. */
  cycleTimeMs?: number;
  /** BA_ "VFrameFormat" (message or default) names an FD format, or the payload is longer than 8 bytes. */
  fd: boolean;
  /** The sender (unless it is the placeholder Vector__XXX) followed by the extra nodes of BO_TX_BU_. */
  transmitters: string[];
  comment?: string;
}

/** An attribute value: numbers for INT/HEX/FLOAT, strings for STRING and for ENUM (the index is resolved to its name). */
export type AttributeValue = number | string;

export type AttributeObjectType = 'network' | 'node' | 'message' | 'signal' | 'envvar';

export type AttributeValueType =
  | { kind: 'INT' | 'HEX' | 'FLOAT'; minimum: number; maximum: number }
  | { kind: 'STRING' }
  | { kind: 'ENUM'; values: string[] };

export interface AttributeDefinition {
  name: string;
  objectType: AttributeObjectType;
  type: AttributeValueType;
  /** From BA_DEF_DEF_. */
  defaultValue?: AttributeValue;
}

/** Attribute values by attribute name, per object. */
export type AttributeValues = Map<string, AttributeValue>;

export interface DbcAttributes {
  definitions: Map<string, AttributeDefinition>;
  network: AttributeValues;
  /** By node name. */
  nodes: Map<string, AttributeValues>;
  /** By message name. */
  messages: Map<string, AttributeValues>;
  /** By `${messageName}.${signalName}`. */
  signals: Map<string, AttributeValues>;
  /** By environment variable name. */
  envVars: Map<string, AttributeValues>;
}

export interface Dbc {
  file: string;
  version: string;
  nodes: string[];
  messages: DbcMessage[];
  valueTables: Map<string, Map<number, string>>;
  attributes: DbcAttributes;
  /** Global CM_ "…". */
  comment?: string;
  /** CM_ BU_ by node name. */
  nodeComments: Map<string, string>;
  /** Sloppy but understood input (dangling references, `m` without a value…), each as `file:line:col: text`, in file order. */
  warnings: string[];
}
