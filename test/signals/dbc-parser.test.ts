import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttributeValues, DbcMessage, DbcSignal } from '../../src/signals/dbc-model.js';
import { DbcSyntaxError, loadDbcFile, MAX_DBC_ERRORS, parseDbc } from '../../src/signals/dbc-parser.js';
import { packageRoot } from '../../src/common/package-root.js';

/** A fixture of this folder, parsed under its bare name so that warnings read `name:line:col: …`. */
function parseFixture(name: string): ReturnType<typeof parseDbc> {
  return parseDbc(readFileSync(join(packageRoot(), `test/signals/fixtures/${name}`), 'utf8'), name);
}

const NS_BLOCK = `NS_ :
\tNS_DESC_
\tCM_
\tBA_DEF_
\tBA_
\tVAL_
\tCAT_DEF_
\tCAT_
\tFILTER
\tBA_DEF_DEF_
\tEV_DATA_
\tENVVAR_DATA_
\tSGTYPE_
\tSGTYPE_VAL_
\tBA_DEF_SGTYPE_
\tBA_SGTYPE_
\tSIG_TYPE_REF_
\tVAL_TABLE_
\tSIG_GROUP_
\tSIG_VALTYPE_
\tSIGTYPE_VALTYPE_
\tBO_TX_BU_
\tBA_DEF_REL_
\tBA_REL_
\tBA_DEF_DEF_REL_
\tBU_SG_REL_
\tBU_EV_REL_
\tBU_BO_REL_
\tSG_MUL_VAL_
`;

const FULL = `VERSION "1.2 \\"beta\\""

${NS_BLOCK}
BS_: 500 : 12,34

BU_: Engine Gateway Dash

VAL_TABLE_ OnOff 1 "On" 0 "Off" ;
VAL_TABLE_ Signed -1 "Minus one" 2 "Two" ;

BO_ 256 EngineData: 8 Engine
 SG_ Speed : 7|16@0+ (0.01,0) [0|655.35] "km/h" Gateway,Dash
 SG_ Temp : 16|8@1- (1E-005,-0.5) [-1E+2|+3] "°C"  Dash
 SG_ NoReceivers : 24|1@1+ (+3,0) [0|1] ""
 SG_ Flags : 25|7@1+ (1,0) [0|127] "" Gateway Dash

BO_ 2147484672 Extended29: 64 Gateway
 SG_ Mode M : 0|8@1+ (1,0) [0|255] "" Engine
 SG_ Sub m1M : 8|8@1+ (1,0) [0|255] "" Engine
 SG_ Value m2 : 16|16@1+ (1,0) [0|65535] "" Engine
 SG_ Deep m3 : 32|8@1+ (1,0) [0|255] "" Engine
 SG_ Wide : 448|64@1- (1,0) [0|0] "" Engine
 SG_ F32 : 64|32@1+ (1,0) [0|0] "" Engine
 SG_ F64 : 103|64@0+ (1,0) [0|0] "" Engine

BO_ 3221225472 VECTOR__INDEPENDENT_SIG_MSG: 0 Vector__XXX
 SG_ Orphan : 0|8@1+ (1,0) [0|0] "" Vector__XXX

BO_TX_BU_ 256 : Gateway,Engine;

EV_ EnvSpeed: 0 [0|100] "km/h" 0 1 DUMMY_NODE_VECTOR0 Vector__XXX;
ENVVAR_DATA_ EnvData: 4;
SGTYPE_ T1 : 8@1+ (1,0) [0|0] "" 0, OnOff;
SIG_GROUP_ 256 Group1 1 : Speed Temp;
CAT_DEF_ 1 Cat 0;
FUTURE_SECTION_ 1 2 "x";

CM_ "Global
comment with \\"quotes\\"";
CM_ BU_ Engine "The engine ECU";
CM_ BO_ 256 "Engine data";
CM_ SG_ 256 Speed "Vehicle speed,
second line";
CM_ EV_ EnvSpeed "env";
CM_ SG_ 3221225472 Orphan "not on the bus";

BA_DEF_ "BusType" STRING ;
BA_DEF_ BU_ "NodeLayer" INT 0 10;
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;
BA_DEF_ BO_ "VFrameFormat" ENUM "StandardCAN","ExtendedCAN","reserved","StandardCAN_FD","ExtendedCAN_FD";
BA_DEF_ SG_ "GenSigStartValue" FLOAT -1e3 1E3;
BA_DEF_ BO_ "MsgMask" HEX 0 255;
BA_DEF_ EV_ "EnvKind" ENUM "a" "b";
BA_DEF_REL_ BU_SG_REL_ "RelAttr" INT 0 1;
BA_DEF_DEF_ "BusType" "CAN FD";
BA_DEF_DEF_ "GenMsgCycleTime" 100;
BA_DEF_DEF_ "VFrameFormat" "StandardCAN";
BA_DEF_DEF_ "NodeLayer" 0;
BA_DEF_DEF_REL_ "RelAttr" 0;
BA_ "BusType" "CAN";
BA_ "NodeLayer" BU_ Engine 3;
BA_ "GenMsgCycleTime" BO_ 256 20;
BA_ "VFrameFormat" BO_ 2147484672 4;
BA_ "GenSigStartValue" SG_ 256 Temp 1.5;
BA_ "MsgMask" BO_ 256 255;
BA_ "EnvKind" EV_ EnvSpeed 1;
BA_REL_ "RelAttr" BU_SG_REL_ Engine SG_ 256 Speed 1;

VAL_ 256 Flags 3 "Both" 2 "Right" 1 "Left" 0 "None" ;
VAL_ EnvSpeed 0 "Stop" ;

SIG_VALTYPE_ 2147484672 F32 : 1;
SIG_VALTYPE_ 2147484672 F64 : 2;
SG_MUL_VAL_ 2147484672 Sub Mode 1-1;
SG_MUL_VAL_ 2147484672 Value Sub 2-2, 5-7;
SG_MUL_VAL_ 2147484672 Deep Sub 3-3;
`;

const dbc = parseDbc(FULL, 'full.dbc');
const [engine, extended] = dbc.messages as [DbcMessage, DbcMessage];
const sig = (m: DbcMessage, name: string): DbcSignal => {
  const found = m.signals.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no signal ${name}`);
  return found;
};

void t.test('header sections, nodes and value tables', (t) => {
  t.equal(dbc.file, 'full.dbc');
  t.equal(dbc.version, '1.2 "beta"');
  t.same(dbc.nodes, ['Engine', 'Gateway', 'Dash']);
  t.same(dbc.valueTables, new Map([
    ['OnOff', new Map([[1, 'On'], [0, 'Off']])],
    ['Signed', new Map([[-1, 'Minus one'], [2, 'Two']])],
  ]));
  t.same(dbc.messages.map((m) => m.name), ['EngineData', 'Extended29'], 'the independent-signals pseudo message is left out');
  const line = FULL.split('\n').findIndex((l) => l.startsWith('FUTURE_SECTION_')) + 1;
  t.same(dbc.warnings, [`full.dbc:${line}:1: unknown section 'FUTURE_SECTION_' skipped`]);
  t.end();
});

void t.test('messages: ids, extended flag, FD, cycle time, transmitters, comments', (t) => {
  t.match(engine, { id: 256, extended: false, length: 8, sender: 'Engine', fd: false, cycleTimeMs: 20, comment: 'Engine data' });
  t.same(engine.transmitters, ['Engine', 'Gateway']);
  t.match(extended, { id: 1024, extended: true, length: 64, sender: 'Gateway', fd: true, cycleTimeMs: 100 });
  t.equal(extended.comment, undefined);
  t.end();
});

void t.test('signals: layout, scaling, numbers, units, receivers', (t) => {
  t.match(sig(engine, 'Speed'), {
    startBit: 7, length: 16, byteOrder: 'motorola', signed: false, factor: 0.01, offset: 0, minimum: 0, maximum: 655.35,
    unit: 'km/h', receivers: ['Gateway', 'Dash'], valueType: 'integer', comment: 'Vehicle speed,\nsecond line',
  });
  t.match(sig(engine, 'Temp'), { byteOrder: 'intel', signed: true, factor: 0.00001, offset: -0.5, minimum: -100, maximum: 3, unit: '°C' });
  t.same(sig(engine, 'Temp').receivers, ['Dash']);
  t.match(sig(engine, 'NoReceivers'), { factor: 3, receivers: [] });
  t.same(sig(engine, 'Flags').receivers, ['Gateway', 'Dash'], 'space-separated receivers on the same line');
  t.same(sig(engine, 'Flags').valueTable, new Map([[3, 'Both'], [2, 'Right'], [1, 'Left'], [0, 'None']]));
  t.match(sig(extended, 'Wide'), { startBit: 448, length: 64, signed: true, valueType: 'integer' });
  t.equal(sig(extended, 'F32').valueType, 'float32');
  t.equal(sig(extended, 'F64').valueType, 'float64');
  t.end();
});

void t.test('multiplexing: M, m<n>, m<n>M and SG_MUL_VAL_', (t) => {
  t.equal(sig(extended, 'Mode').multiplexer, 'switch');
  t.match(sig(extended, 'Sub'), { multiplexer: 'switch', multiplexValue: 1, multiplexSwitch: 'Mode', multiplexRanges: [[1, 1]] });
  t.match(sig(extended, 'Value'), { multiplexValue: 2, multiplexSwitch: 'Sub', multiplexRanges: [[2, 2], [5, 7]] });
  t.equal(sig(extended, 'Value').multiplexer, undefined);
  const plain = parseDbc('BO_ 1 M: 8 A\n SG_ S M : 0|8@1+ (1,0) [0|1] "" A\n SG_ X m7 : 8|8@1+ (1,0) [0|1] "" A\n', 'm.dbc');
  t.match(plain.messages[0]?.signals, [{ multiplexer: 'switch' }, { multiplexValue: 7 }]);
  t.end();
});

void t.test('comments and attributes', (t) => {
  t.equal(dbc.comment, 'Global\ncomment with "quotes"');
  t.same(dbc.nodeComments, new Map([['Engine', 'The engine ECU']]));
  const { definitions, network, nodes, messages, signals, envVars } = dbc.attributes;
  t.same(definitions.get('VFrameFormat'), {
    name: 'VFrameFormat', objectType: 'message', defaultValue: 'StandardCAN',
    type: { kind: 'ENUM', values: ['StandardCAN', 'ExtendedCAN', 'reserved', 'StandardCAN_FD', 'ExtendedCAN_FD'] },
  });
  t.same(definitions.get('GenSigStartValue')?.type, { kind: 'FLOAT', minimum: -1000, maximum: 1000 });
  t.same(definitions.get('MsgMask')?.type, { kind: 'HEX', minimum: 0, maximum: 255 });
  t.same(definitions.get('NodeLayer'), { name: 'NodeLayer', objectType: 'node', type: { kind: 'INT', minimum: 0, maximum: 10 }, defaultValue: 0 });
  t.same(definitions.get('BusType'), { name: 'BusType', objectType: 'network', type: { kind: 'STRING' }, defaultValue: 'CAN FD' });
  t.same(definitions.get('EnvKind')?.type, { kind: 'ENUM', values: ['a', 'b'] });
  t.notOk(definitions.has('RelAttr'), 'relation attributes are skipped');
  t.same(network, new Map([['BusType', 'CAN']]));
  t.same(nodes, new Map([['Engine', new Map([['NodeLayer', 3]])]]));
  t.same(messages, new Map<string, AttributeValues>([
    ['EngineData', new Map([['GenMsgCycleTime', 20], ['MsgMask', 255]])],
    ['Extended29', new Map([['VFrameFormat', 'ExtendedCAN_FD']])],
  ]));
  t.same(signals, new Map([['EngineData.Temp', new Map([['GenSigStartValue', 1.5]])]]));
  t.same(envVars, new Map([['EnvSpeed', new Map([['EnvKind', 'b']])]]));
  t.end();
});

void t.test('CRLF, a byte order mark and trailing whitespace change nothing', (t) => {
  let inString = false;
  const lines = FULL.split('\n').map((line) => {
    // Trailing blanks inside a multi-line string would be part of its text.
    if ((line.match(/(?<!\\)"/g) ?? []).length % 2 === 1) inString = !inString;
    return inString ? line : `${line}  \t`;
  });
  const again = parseDbc(`\uFEFF${lines.join('\r\n')}`, 'full.dbc');
  t.same(again.messages, dbc.messages);
  t.same(again.attributes, dbc.attributes);
  t.equal(again.comment, 'Global\ncomment with "quotes"', 'CRLF inside strings becomes LF');
  t.end();
});

void t.test('FD from the payload length and from VFrameFormat', (t) => {
  const fd = parseDbc(
    `BO_ 1 Long: 12 A
BO_ 2 Short: 8 A
BO_ 3 Classic: 8 A
BA_DEF_ BO_ "VFrameFormat" ENUM "StandardCAN","ExtendedCAN","StandardCAN_FD";
BA_DEF_DEF_ "VFrameFormat" "StandardCAN_FD";
BA_ "VFrameFormat" BO_ 3 0;
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 1000;
BA_DEF_DEF_ "GenMsgCycleTime" 0;
`,
    'fd.dbc',
  );
  t.same(fd.messages.map((m) => [m.name, m.fd, m.cycleTimeMs]), [['Long', true, undefined], ['Short', true, undefined], ['Classic', false, undefined]]);
  t.end();
});

void t.test('tolerated sloppiness is reported as warnings', (t) => {
  const sloppy = parseDbc(
    `BO_ 419361278 NoFlag: 8 A
 SG_ Sw m : 0|2@1+ (1,0) [0|3] "" A
 SG_ X m1 : 8|8@1+ (1,0) [0|1] "" A
 SG_ Outside : 64|8@1+ (1,0) [0|1] "" A
CM_ "missing semicolon"
CM_ SG_ 419361278 Outside "comment on a dropped signal";
CM_ BO_ 999 "no such message";
VAL_ 419361278 Nope 1 "x";
BA_ "Undefined" 1;
`,
    's.dbc',
  );
  const [message] = sloppy.messages as [DbcMessage];
  t.match(message, { id: 419361278, extended: true });
  t.same(message.signals.map((s) => s.name), ['Sw', 'X']);
  t.equal(message.signals[0]?.multiplexer, 'switch');
  t.same(sloppy.warnings, [
    's.dbc:1:5: message id 0x18fef1fe has no extended flag (bit 31) but needs 29 bits: read as extended',
    "s.dbc:2:9: multiplexer indicator 'm' without a value, read as 'M' (multiplexer switch)",
    "s.dbc:4:2: signal 'Outside' (start bit 64, 8 bits, intel) needs 9 bytes but message 'NoFlag' has 8: signal dropped",
    "s.dbc:6:1: missing ';' before 'CM_' (expected ';' after the comment)",
    's.dbc:7:1: CM_ refers to message id 999, which is not defined',
    "s.dbc:8:1: VAL_ refers to signal 'Nope', which message 'NoFlag' does not have",
    's.dbc:9:1: attribute "Undefined" has no BA_DEF_ definition',
  ]);
  t.same(sloppy.attributes.network, new Map([['Undefined', 1]]));
  t.end();
});

void t.test('loadDbcFile reads UTF-8, falls back to Latin-1 and names the file in errors', (t) => {
  const dir = t.testdir();
  const utf8 = join(dir, 'utf8.dbc');
  const latin1 = join(dir, 'latin1.dbc');
  const broken = join(dir, 'broken.dbc');
  const text = 'BO_ 1 M: 8 A\n SG_ T : 0|8@1+ (1,0) [0|1] "°C" A\n';
  writeFileSync(utf8, text);
  writeFileSync(latin1, Buffer.from(text, 'latin1'));
  writeFileSync(broken, 'BO_ 1 M 8 A\n');
  t.equal(loadDbcFile(utf8).messages[0]?.signals[0]?.unit, '°C');
  t.equal(loadDbcFile(latin1).messages[0]?.signals[0]?.unit, '°C');
  t.equal(loadDbcFile(latin1).file, latin1);
  t.throws(() => loadDbcFile(broken), { file: broken, line: 1, column: 9, message: `${broken}:1:9: expected ':' after message name 'M', found '8'` });
  t.end();
});

/** Parses `text` as bad.dbc and returns the syntax error it must raise. */
function syntaxError(text: string): Pick<DbcSyntaxError, 'file' | 'line' | 'column' | 'message'> {
  try {
    parseDbc(text, 'bad.dbc');
  } catch (error) {
    if (!(error instanceof DbcSyntaxError)) throw error;
    return { file: error.file, line: error.line, column: error.column, message: error.message };
  }
  throw new Error('parsed without error');
}

const SG = (rest: string): string => `BU_: A\nBO_ 1 M: 8 A\n SG_ S ${rest}\n`;

// Each case is one error: the whole message being that one line also shows that recovery adds no follow-up errors.
void t.test('syntax errors carry file, line and column and say what was expected', (t) => {
  const cases: Array<[string, number, number, string]> = [
    ['BO_ 100 Foo 8 ECU\n', 1, 13, "expected ':' after message name 'Foo', found '8'"],
    [SG(': 0|8@2+ (1,0) [0|1] "" A'), 3, 14, "expected byte order 0 (motorola) or 1 (intel), found '2'"],
    [SG(': 0|8@1 (1,0) [0|1] "" A'), 3, 16, "expected '+' (unsigned) or '-' (signed) after the byte order, found '('"],
    [SG(': 0|8@1+ (1,0) [0|1] "" A # x'), 3, 34, 'unexpected character "#"'],
    [SG(': 0|8@1+ (1;0) [0|1] "" A'), 3, 19, "expected ',' between factor and offset, found ';'"],
    [SG(': 0|8@1+ (1,0) [0|1.2.3] "" A'), 3, 26, "malformed number '1.2.3'"],
    [SG(': 0|8@1+ (1,0) [0|1] km/h A'), 3, 29, "expected unit string, found 'km'"],
    [SG(': 0|8@1+ (1,0) [0|1] "" A,\nCM_ "x";'), 4, 1, "expected receiving node after ',', found 'CM_'"],
    [SG('x1 : 0|8@1+ (1,0) [0|1] "" A'), 3, 8, "expected ':' or a multiplexer indicator (M, m<n>, m<n>M) after signal name 'S', found 'x1'"],
    [SG(': 0|8@1+ (1,0) [0|1] "" A\n 123'), 4, 2, "expected a section keyword (BO_, CM_, BA_, VAL_, …), found '123'"],
    ['BO_ 1 M: 8\nBO_ 2 N: 8 A\n', 2, 1, "expected sending node of message 'M', found 'BO_'"],
    ['SG_ S : 0|8@1+ (1,0) [0|1] "" A\n', 1, 1, 'SG_ outside a BO_ message'],
    ['CM_ "abc;\n', 1, 5, 'unterminated string'],
    ['CM_ "x" BO_ 1 M: 8 A\n', 1, 9, "expected ';' after the comment, found 'BO_'"],
    ['FOO_ 1 2\nBO_ 1 M: 8 A\n', 1, 1, "unknown section 'FOO_' (expected a section keyword)"],
    ['EV_ E: 0 [0|1] "" 0 1 DUMMY_NODE_VECTOR0 A\n', 1, 1, "expected ';' ending the EV_ section, found end of file"],
    [SG(': 0|8@1+ (1,0) [0|1] "" A') + 'SG_MUL_VAL_ 1 S T 3-2;\n', 4, 19, 'multiplexer value range 3-2 is empty'],
    ['BA_DEF_ BO_ "X" BOOL;\n', 1, 17, "expected attribute type INT, HEX, FLOAT, STRING or ENUM, found 'BOOL'"],
    ['BA_ "X" BO_ Foo 1;\n', 1, 13, "expected message id, found 'Foo'"],
    ['VAL_ 1 S 1.5 "half";\n', 1, 10, 'expected an integer value, found 1.5'],
  ];
  for (const [text, line, column, detail] of cases) {
    t.same(syntaxError(text), { file: 'bad.dbc', line, column, message: `bad.dbc:${line}:${column}: ${detail}` }, detail);
  }
  t.end();
});

void t.test('quirks of real files load with one warning per problem, in file order', (t) => {
  const quirks = parseFixture('quirks.dbc');
  t.same(quirks.warnings, [
    "quirks.dbc:3:6: name '2ECU' starts with a digit (not allowed by the DBC grammar), read as a name",
    "quirks.dbc:5:12: name '3State' starts with a digit (not allowed by the DBC grammar), read as a name",
    "quirks.dbc:7:10: name '2017_5' starts with a digit (not allowed by the DBC grammar), read as a name",
    "quirks.dbc:8:6: name '0_COUNTER' starts with a digit (not allowed by the DBC grammar), read as a name",
    "quirks.dbc:10:2: duplicate signal 'Speed' in message '2017_5' (first on line 9): signal dropped",
    "quirks.dbc:11:2: signal 'Empty' length 0 is not within 1..64 bits: signal dropped",
    "quirks.dbc:12:2: signal 'Outside' (start bit 60, 8 bits, intel) needs 9 bytes but message '2017_5' has 8: signal dropped",
    "quirks.dbc:15:5: message id 1073742335 (0x400001ff) sets bit 30 without the extended flag (bit 31): neither an 11-bit nor a 29-bit CAN id, message 'RemoteFlag' skipped",
    "quirks.dbc:18:5: message id 3221226239 (0xc00002ff) sets bit 30 besides the extended flag (bit 31): not a 29-bit CAN id, message 'FlaggedHigh' skipped",
    "quirks.dbc:21:1: CAN id 0x4fb of message 'SameId' is already used by message '2017_5' on line 7: 'SameId' skipped",
    "quirks.dbc:24:1: message name '2017_5' is already used by the message on line 7: this one (id 1276) skipped",
    'quirks.dbc:27:5: message id 0x18fef1fe has no extended flag (bit 31) but needs 29 bits: read as extended',
    "quirks.dbc:30:1: CAN id 0x18fef1fe of message 'Flagged' is already used by message 'NoFlag' on line 27: 'Flagged' skipped",
    "quirks.dbc:33:1: signal 'Muxed' is multiplexed but message 'NoSwitch' has no multiplexer switch: message 'NoSwitch' skipped",
    "quirks.dbc:36:18: message length 65 exceeds 64 bytes: message 'TooLong' skipped",
    'quirks.dbc:42:1: CM_ refers to message id 999, which is not defined',
    "quirks.dbc:43:1: CM_ refers to signal 'Nope', which message '2017_5' does not have",
    'quirks.dbc:47:1: VAL_ refers to message id 998, which is not defined',
    'quirks.dbc:50:1: BA_ refers to message id 997, which is not defined',
    "quirks.dbc:51:26: float32 signal 'Half' must be 32 bits long, not 16: signal dropped",
    "quirks.dbc:52:1: SG_MUL_VAL_ refers to multiplexer switch 'Missing', which message 'Extended' does not have: ignored",
    'quirks.dbc:53:1: SG_MUL_VAL_ refers to message id 996, which is not defined',
    'quirks.dbc:54:1: BO_TX_BU_ refers to message id 995, which is not defined',
  ]);
  t.same(quirks.nodes, ['2ECU', 'Gateway']);
  t.same([...quirks.valueTables.keys()], ['3State']);
  t.same(
    quirks.messages.map((m) => [m.name, m.id, m.extended, m.signals.map((s) => s.name)]),
    [
      ['2017_5', 1275, false, ['0_COUNTER', 'Speed']],
      ['NoFlag', 0x18fef1fe, true, ['A']],
      ['Extended', 302, false, ['Mode', 'Value']],
    ],
    'skipped: RemoteFlag, FlaggedHigh, SameId, the second 2017_5, Flagged, NoSwitch, TooLong',
  );
  const [digits, , extended] = quirks.messages as [DbcMessage, DbcMessage, DbcMessage];
  t.match(sig(digits, 'Speed'), { startBit: 8, length: 16 }, 'the first of two signals with one name is kept');
  t.same(sig(digits, '0_COUNTER').valueTable, new Map([[0, 'zero']]), 'references by a name that starts with a digit resolve');
  t.equal(digits.cycleTimeMs, 10);
  t.match(sig(extended, 'Value'), { multiplexValue: 1, multiplexSwitch: undefined }, 'an SG_MUL_VAL_ naming a missing switch leaves m1 as it is');
  t.end();
});

void t.test('a multiplexed signal whose switch was dropped leaves its message skipped, not misread', (t) => {
  const dropped = parseDbc(
    `BO_ 1 M: 2 A
 SG_ Mode M : 16|8@1+ (1,0) [0|255] "" A
 SG_ Value m1 : 0|8@1+ (1,0) [0|255] "" A
BO_ 2 N: 8 A
 SG_ Mode M : 0|8@1+ (1,0) [0|255] "" A
 SG_ Sub m1M : 8|8@1+ (1,0) [0|255] "" A
 SG_ Deep m2 : 16|8@1+ (1,0) [0|255] "" A
SIG_VALTYPE_ 2 Sub : 1;
`,
    'd.dbc',
  );
  t.same(dropped.warnings, [
    "d.dbc:1:1: multiplexer switch 'Mode' of message 'M' was dropped: message 'M' skipped",
    "d.dbc:2:2: signal 'Mode' (start bit 16, 8 bits, intel) needs 3 bytes but message 'M' has 2: signal dropped",
    "d.dbc:4:1: multiplexer switch 'Sub' of message 'N' was dropped: message 'N' skipped",
    "d.dbc:8:22: float32 signal 'Sub' must be 32 bits long, not 8: signal dropped",
  ]);
  t.same(dropped.messages, []);
  t.end();
});

void t.test('numbers stay numbers beside names that start with a digit', (t) => {
  const numbers = parseDbc('BO_ 1 M: 8 A\n SG_ 1st : 0|8@1+ (1E-005,-1e2) [0|1E+3] "" A\n', 'n.dbc');
  t.match(numbers.messages[0]?.signals[0], { name: '1st', factor: 0.00001, offset: -100, maximum: 1000 });
  t.same(syntaxError('BO_ 1 M: 8 A\n SG_ S : 0_1|8@1+ (1,0) [0|1] "" A\n'), {
    file: 'bad.dbc', line: 2, column: 10, message: "bad.dbc:2:10: expected start bit, found '0_1'",
  });
  t.end();
});

void t.test('every syntax error of a file is reported in one DbcSyntaxError', (t) => {
  const path = join(packageRoot(), 'test/signals/fixtures/three-errors.dbc');
  const expected = [
    { file: path, line: 7, column: 21, message: "expected byte order 0 (motorola) or 1 (intel), found '2'" },
    { file: path, line: 10, column: 16, message: "expected ':' after message name 'Second', found '8'" },
    { file: path, line: 14, column: 25, message: 'unexpected character "#"' },
  ];
  t.throws(() => loadDbcFile(path), {
    name: 'DbcSyntaxError',
    file: path,
    line: 7,
    column: 21,
    problems: expected,
    message: expected.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('\n'),
  });
  t.end();
});

void t.test(`at most ${MAX_DBC_ERRORS} errors are kept, and a binary file yields a bounded report`, (t) => {
  const lines = Array.from({ length: 150 }, (_, i) => `BO_ 1 M${i % 10} 8 A`).join('\n');
  const many = catchSyntaxError(lines);
  t.equal(many.problems.length, MAX_DBC_ERRORS + 1);
  t.same(many.problems[MAX_DBC_ERRORS - 1], { file: 'bad.dbc', line: MAX_DBC_ERRORS, column: 10, message: "expected ':' after message name 'M9', found '8'" });
  t.same(many.problems[MAX_DBC_ERRORS], { file: 'bad.dbc', line: MAX_DBC_ERRORS + 1, column: 10, message: `more than ${MAX_DBC_ERRORS} errors; the rest of the file is not read` });
  // A fixed pseudo-random byte sequence with line breaks, the worst case for recovery.
  let seed = 1;
  const bytes = Array.from({ length: 200_000 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 16) & 0xff);
  const binary = catchSyntaxError(new TextDecoder('latin1').decode(Uint8Array.from(bytes)));
  t.ok(binary.problems.length <= MAX_DBC_ERRORS + 1, `${binary.problems.length} problems`);
  t.ok(binary.message.length < 20_000, `${binary.message.length} characters`);
  t.end();
});

function catchSyntaxError(text: string): DbcSyntaxError {
  try {
    parseDbc(text, 'bad.dbc');
  } catch (error) {
    if (error instanceof DbcSyntaxError) return error;
    throw error;
  }
  throw new Error('parsed without error');
}
