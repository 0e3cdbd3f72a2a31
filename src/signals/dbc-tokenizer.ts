/** One place in a DBC file that cannot be understood. */
export interface DbcProblem {
  file: string;
  line: number;
  column: number;
  /** What is wrong, without the location. */
  message: string;
}

/**
 * A DBC file that cannot be understood. `problems` lists every error found in one reading
 * (at most MAX_DBC_ERRORS); the message has one `file:line:col: text` line per problem, and
 * file, line and column are those of the first.
 */
export class DbcSyntaxError extends Error {
  override readonly name = 'DbcSyntaxError';
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(readonly problems: readonly [DbcProblem, ...DbcProblem[]]) {
    super(problems.map(formatProblem).join('\n'));
    ({ file: this.file, line: this.line, column: this.column } = problems[0]);
  }
}

export function formatProblem(problem: DbcProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

/** Errors kept from one file; past this the file is not read further (a binary file would yield one per line). */
export const MAX_DBC_ERRORS = 100;

export type TokenKind = 'identifier' | 'number' | 'string' | 'punctuation' | 'end';

export interface Token {
  kind: TokenKind;
  /** Identifier, punctuation character, number as written, or the unescaped string content. */
  text: string;
  line: number;
  column: number;
  /** Offset just past the token, to tell `-1` from `- 1`. */
  end: number;
  start: number;
  /** No other token precedes it on its line: where error recovery may resume. */
  startsLine: boolean;
}

/** Every section keyword of the DBC grammar; none can be a node name. */
export const DBC_KEYWORDS: ReadonlySet<string> = new Set([
  'VERSION', 'NS_', 'NS_DESC_', 'BS_', 'BU_', 'BO_', 'SG_', 'EV_', 'CM_', 'VAL_', 'VAL_TABLE_',
  'BA_DEF_', 'BA_DEF_DEF_', 'BA_', 'BA_DEF_REL_', 'BA_DEF_DEF_REL_', 'BA_REL_', 'CAT_DEF_', 'CAT_',
  'FILTER', 'EV_DATA_', 'ENVVAR_DATA_', 'SGTYPE_', 'SGTYPE_VAL_', 'BA_DEF_SGTYPE_', 'BA_SGTYPE_',
  'SIG_TYPE_REF_', 'SIG_GROUP_', 'SIG_VALTYPE_', 'SIGTYPE_VALTYPE_', 'BO_TX_BU_', 'BU_SG_REL_',
  'BU_EV_REL_', 'BU_BO_REL_', 'SG_MUL_VAL_',
]);

const PUNCTUATION = new Set([':', ';', ',', '|', '@', '(', ')', '[', ']', '+', '-']);

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isIdentifierStart(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
}

function isIdentifierPart(c: string | undefined): boolean {
  return isIdentifierStart(c) || isDigit(c);
}

/** A word that starts with a digit is a number only in these shapes; `1E` is left to the number rule, which reads `1E-5`. */
const NUMBER_WORD = /^\d+(?:[eE]\d*)?$/;

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v' || c === '\uFEFF';
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of file';
    case 'string':
      return `string "${token.text.length > 20 ? `${token.text.slice(0, 20)}…` : token.text}"`;
    default:
      return `'${token.text}'`;
  }
}

/**
 * Pull tokenizer with lookahead. Signs are separate tokens because DBC glues them to
 * neighbours in ways a greedy number rule would misread (`@1-`, `0-0` in SG_MUL_VAL_);
 * `expectNumber` re-attaches a sign only when it touches the digits.
 */
export class TokenStream {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  /** Line where the last token ended, to tell whether the next one starts a line. */
  private lastTokenLine = 0;
  private readonly lookahead: Token[] = [];
  /** Sloppy input that was understood anyway, in the order found (references are checked after the file is read). */
  readonly warnings: DbcProblem[] = [];
  /** Errors recovered from so far; the parser throws them all at the end. */
  readonly errors: DbcProblem[] = [];
  /** While recovering from an error, characters that start no token are passed over without an exception each. */
  private skipping = false;
  /** Names that start with a digit, warned about once each. */
  private readonly digitNames = new Set<string>();

  constructor(
    private readonly text: string,
    readonly file: string,
  ) {}

  peek(ahead = 0): Token {
    while (this.lookahead.length <= ahead) this.lookahead.push(this.lex());
    return this.lookahead[ahead] as Token;
  }

  next(): Token {
    const token = this.peek();
    this.lookahead.shift();
    return token;
  }

  error(token: Token, detail: string): DbcSyntaxError {
    return this.errorAt(token.line, token.column, detail);
  }

  /**
   * Keeps a syntax error and skips past it, so that one reading reports every error:
   * to the next token that starts a line and is a section keyword (SG_ included only
   * when `resumeAtSignal`), never stopping at `from`, where the failed statement began.
   * Past MAX_DBC_ERRORS it skips the rest of the file.
   */
  recover(error: DbcSyntaxError, from: Token | undefined, resumeAtSignal: boolean): void {
    if (this.errors.length >= MAX_DBC_ERRORS) {
      this.errors.push({ ...error.problems[0], message: `more than ${MAX_DBC_ERRORS} errors; the rest of the file is not read` });
      this.lookahead.length = 0;
      this.pos = this.text.length;
      return;
    }
    this.errors.push(...error.problems);
    this.skipping = true;
    for (;;) {
      let token: Token;
      try {
        token = this.peek();
      } catch (skipped) {
        // What the lexer refuses in the skipped part (a malformed number, say) belongs to the error just kept.
        if (skipped instanceof DbcSyntaxError) continue;
        throw skipped;
      }
      const resumes = token !== from && token.startsLine && token.kind === 'identifier' && DBC_KEYWORDS.has(token.text);
      if (token.kind === 'end' || (resumes && (resumeAtSignal || token.text !== 'SG_'))) break;
      this.next();
    }
    this.skipping = false;
  }

  warn(token: Token, detail: string): void {
    this.warnings.push({ file: this.file, line: token.line, column: token.column, message: detail });
  }

  expected(what: string, token = this.peek()): DbcSyntaxError {
    return this.error(token, `expected ${what}, found ${describeToken(token)}`);
  }

  isPunctuation(text: string): boolean {
    const token = this.peek();
    return token.kind === 'punctuation' && token.text === text;
  }

  isIdentifier(text?: string): boolean {
    const token = this.peek();
    return token.kind === 'identifier' && (text === undefined || token.text === text);
  }

  acceptPunctuation(text: string): boolean {
    if (!this.isPunctuation(text)) return false;
    this.next();
    return true;
  }

  expectPunctuation(text: string, what = `'${text}'`): Token {
    if (!this.isPunctuation(text)) throw this.expected(what);
    return this.next();
  }

  expectIdentifier(what: string): Token {
    if (this.peek().kind !== 'identifier') throw this.expected(what);
    return this.next();
  }

  expectString(what: string): string {
    if (this.peek().kind !== 'string') throw this.expected(what);
    return this.next().text;
  }

  /** A number here, with an optional sign written right against it. */
  isNumber(): boolean {
    const token = this.peek();
    if (token.kind === 'number') return true;
    return this.isSign(token) && this.signTouchesNumber();
  }

  expectNumber(what: string): number {
    const first = this.peek();
    let sign = 1;
    if (this.isSign(first) && this.signTouchesNumber()) {
      this.next();
      if (first.text === '-') sign = -1;
    }
    const token = this.peek();
    if (token.kind !== 'number') throw this.expected(what, first);
    this.next();
    const value = sign * Number(token.text);
    if (!Number.isFinite(value)) throw this.error(first, `${what} ${token.text} is out of range`);
    return value;
  }

  expectUnsigned(what: string): number {
    const token = this.peek();
    const value = this.expectNumber(what);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw this.error(token, `expected ${what} as a non-negative integer, found ${value}`);
    }
    return value;
  }

  /**
   * The `;` that ends a statement. Real files sometimes omit it before the next section;
   * that is accepted, with a warning, only when the section keyword starts a line.
   */
  expectStatementEnd(what: string): void {
    if (this.acceptPunctuation(';')) return;
    const token = this.peek();
    if (token.kind === 'end' || (token.kind === 'identifier' && token.column === 1 && DBC_KEYWORDS.has(token.text))) {
      this.warn(token, `missing ';' before ${describeToken(token)} (expected ${what})`);
      return;
    }
    throw this.expected(what);
  }

  private isSign(token: Token): boolean {
    return token.kind === 'punctuation' && (token.text === '-' || token.text === '+');
  }

  private signTouchesNumber(): boolean {
    const after = this.peek(1);
    return after.kind === 'number' && after.start === this.peek().end;
  }

  private errorAt(line: number, column: number, detail: string): DbcSyntaxError {
    return new DbcSyntaxError([{ file: this.file, line, column, message: detail }]);
  }

  private lex(): Token {
    this.skipSpace();
    if (this.skipping) this.skipUnreadable();
    const start = this.pos;
    const line = this.line;
    const column = start - this.lineStart + 1;
    const startsLine = line !== this.lastTokenLine;
    const make = (kind: TokenKind, text: string): Token => {
      this.lastTokenLine = this.line;
      return { kind, text, line, column, start, end: this.pos, startsLine };
    };
    const c = this.text[start];
    if (c === undefined) return make('end', '');
    if (c === '"') return make('string', this.lexString(line, column));
    if (isDigit(c)) {
      const name = this.digitName(start);
      if (name !== undefined) {
        this.pos += name.length;
        const token = make('identifier', name);
        if (!this.digitNames.has(name)) {
          this.digitNames.add(name);
          this.warn(token, `name '${name}' starts with a digit (not allowed by the DBC grammar), read as a name`);
        }
        return token;
      }
    }
    if (isDigit(c) || (c === '.' && isDigit(this.text[start + 1]))) return make('number', this.lexNumber(line, column));
    if (isIdentifierStart(c)) {
      while (isIdentifierPart(this.text[this.pos])) this.pos++;
      return make('identifier', this.text.slice(start, this.pos));
    }
    if (PUNCTUATION.has(c)) {
      this.pos++;
      return make('punctuation', c);
    }
    throw this.errorAt(line, column, `unexpected character ${JSON.stringify(c)}`);
  }

  /**
   * Real files name messages and signals `2017_5` or `0_COUNTER`: a word of letters, digits
   * and `_` that starts with a digit, is not a number and is not followed by a `.`.
   */
  private digitName(start: number): string | undefined {
    let end = start + 1;
    while (isDigit(this.text[end])) end++;
    if (!isIdentifierPart(this.text[end])) return undefined;
    while (isIdentifierPart(this.text[end])) end++;
    const word = this.text.slice(start, end);
    return NUMBER_WORD.test(word) || this.text[end] === '.' ? undefined : word;
  }

  private skipUnreadable(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) return;
      const startsToken = c === '"' || isIdentifierPart(c) || PUNCTUATION.has(c) || (c === '.' && isDigit(this.text[this.pos + 1]));
      if (startsToken) return;
      this.pos++;
      if (c === '\n') this.newLine();
    }
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || !isSpace(c)) return;
      this.pos++;
      if (c === '\n') this.newLine();
    }
  }

  private newLine(): void {
    this.line++;
    this.lineStart = this.pos;
  }

  private lexNumber(line: number, column: number): string {
    const start = this.pos;
    const digits = (): void => {
      while (isDigit(this.text[this.pos])) this.pos++;
    };
    digits();
    if (this.text[this.pos] === '.') {
      this.pos++;
      digits();
    }
    const e = this.text[this.pos];
    if (e === 'e' || e === 'E') {
      const sign = this.text[this.pos + 1];
      const exponentStart = this.pos + (sign === '+' || sign === '-' ? 2 : 1);
      if (isDigit(this.text[exponentStart])) {
        this.pos = exponentStart;
        digits();
      }
    }
    if (isIdentifierPart(this.text[this.pos]) || this.text[this.pos] === '.') {
      while (isIdentifierPart(this.text[this.pos]) || this.text[this.pos] === '.') this.pos++;
      throw this.errorAt(line, column, `malformed number '${this.text.slice(start, this.pos)}'`);
    }
    return this.text.slice(start, this.pos);
  }

  /** Vector tools escape `"` and `\` with a backslash; comments may span lines. */
  private lexString(line: number, column: number): string {
    this.pos++;
    let value = '';
    let chunkStart = this.pos;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw this.errorAt(line, column, 'unterminated string');
      if (c === '"') break;
      if (c === '\\' && (this.text[this.pos + 1] === '"' || this.text[this.pos + 1] === '\\')) {
        value += this.text.slice(chunkStart, this.pos);
        chunkStart = this.pos + 1;
        this.pos += 2;
        continue;
      }
      this.pos++;
      if (c === '\n') this.newLine();
    }
    value += this.text.slice(chunkStart, this.pos);
    this.pos++;
    return value.replace(/\r\n/g, '\n');
  }
}
