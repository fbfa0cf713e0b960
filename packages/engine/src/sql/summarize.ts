import { scanSignificant, type ScannedToken } from './scanner.ts';

/** The longest summary OpenTelemetry allows. */
const MAX_SUMMARY_LENGTH = 255;

/** Keywords that end a `FROM` clause at their parenthesis level, after which a comma no longer adds a table. */
const CLAUSE_KEYWORDS: ReadonlySet<string> = new Set([
  'WHERE',
  'GROUP',
  'HAVING',
  'WINDOW',
  'ORDER',
  'LIMIT',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'RETURNING',
  'SET',
  'VALUES',
  'SELECT',
  'DO',
]);

const OBJECT_KINDS: ReadonlySet<string> = new Set(['TABLE', 'INDEX', 'VIEW', 'TRIGGER']);
const CREATE_MODIFIERS: ReadonlySet<string> = new Set(['TEMP', 'TEMPORARY', 'UNIQUE', 'VIRTUAL']);
const TRANSACTION_MODES: ReadonlySet<string> = new Set(['DEFERRED', 'IMMEDIATE', 'EXCLUSIVE']);

const OPEN = 40;
const CLOSE = 41;
const COMMA = 44;
const DOT = 46;
const SEMICOLON = 59;

/** Walks the significant tokens of one text once, collecting operations and targets. */
class Summarizer {
  readonly #sql: string;
  readonly #tokens: readonly ScannedToken[];
  readonly #parts: string[] = [];
  #length = 0;
  #full = false;
  #i = 0;
  /** Uppercased names of the common table expressions of the current statement: they are not collections. */
  #cteNames: Set<string> | undefined;

  constructor(sql: string) {
    this.#sql = sql;
    this.#tokens = scanSignificant(sql);
  }

  run(): string {
    while (this.#i < this.#tokens.length && !this.#full) this.#statement();
    return this.#parts.join(' ');
  }

  // Token access ----------------------------------------------------------------------------------------------

  #upper(i: number): string {
    return this.#tokens[i]?.upper ?? '';
  }

  #isChar(i: number, c: number): boolean {
    const token = this.#tokens[i];
    return (
      token !== undefined &&
      token.kind === 'operator' &&
      token.end - token.start === 1 &&
      this.#sql.charCodeAt(token.start) === c
    );
  }

  #isName(i: number, allowString: boolean): boolean {
    const kind = this.#tokens[i]?.kind;
    return (
      kind === 'identifier' || kind === 'keyword' || kind === 'quoted-identifier' || (allowString && kind === 'string')
    );
  }

  #text(i: number): string {
    const token = this.#tokens[i];
    return token === undefined ? '' : this.#sql.slice(token.start, token.end);
  }

  // Output ----------------------------------------------------------------------------------------------------

  #push(part: string): void {
    if (this.#full) return;
    const length = this.#length + (this.#parts.length > 0 ? 1 : 0) + part.length;
    // Truncation drops whole operations and targets: once one does not fit, nothing after it may be added.
    if (length > MAX_SUMMARY_LENGTH) {
      this.#full = true;
      return;
    }
    this.#parts.push(part);
    this.#length = length;
  }

  /**
   * Adds an operation made of the words at `indices`, joined by one space whatever separated them in the text (runs
   * of spaces, line breaks, comments): `CREATE  TABLE` and `CREATE\n\tTABLE` both summarise as `CREATE TABLE`, as the
   * OpenTelemetry vectors expect.
   */
  #operation(...indices: number[]): void {
    let text = '';
    for (const index of indices) {
      const token = this.#tokens[index];
      if (token === undefined) break;
      if (text !== '') text += ' ';
      text += this.#sql.slice(token.start, token.end);
    }
    if (text !== '') this.#push(text);
  }

  /**
   * Reads a possibly qualified name (`main.users`) at the cursor and adds it as a target unless it names a
   * common table expression. Returns whether there was a name.
   */
  #target(allowString: boolean): boolean {
    let i = this.#i;
    if (!this.#isName(i, allowString)) return false;
    const first = i;
    let text = this.#text(i);
    i++;
    while (this.#isChar(i, DOT) && this.#isName(i + 1, allowString)) {
      text += '.' + this.#text(i + 1);
      i += 2;
    }
    this.#i = i;
    if (i === first + 1 && this.#cteNames?.has(this.#nameKey(first))) return true;
    this.#push(text);
    return true;
  }

  #nameKey(i: number): string {
    const token = this.#tokens[i];
    if (token === undefined) return '';
    if (token.kind === 'keyword') return token.upper;
    if (token.kind === 'identifier') return this.#sql.slice(token.start, token.end).toUpperCase();
    return this.#sql.slice(token.start + 1, token.end - 1).toUpperCase();
  }

  // Skipping --------------------------------------------------------------------------------------------------

  /** Moves past the end of the statement: its `;`, or the end of the text. */
  #skipStatement(): void {
    if (this.#full) {
      this.#i = this.#tokens.length;
      return;
    }
    const n = this.#tokens.length;
    while (this.#i < n && !this.#isChar(this.#i, SEMICOLON)) this.#i++;
    this.#i++;
  }

  /** From a `(`, moves past its matching `)`, stopping at a `;`. */
  #skipGroup(): void {
    let depth = 0;
    const n = this.#tokens.length;
    for (; this.#i < n; this.#i++) {
      if (this.#isChar(this.#i, SEMICOLON)) return;
      if (this.#isChar(this.#i, OPEN)) depth++;
      else if (this.#isChar(this.#i, CLOSE) && --depth <= 0) {
        this.#i++;
        return;
      }
    }
  }

  /**
   * Moves to the keyword `word` outside parentheses in this statement, giving up at `;` or at the keyword
   * `stopAt`; returns whether it was found.
   */
  #seek(word: string, stopAt?: string): boolean {
    let depth = 0;
    const n = this.#tokens.length;
    for (; this.#i < n; this.#i++) {
      if (this.#isChar(this.#i, SEMICOLON)) return false;
      if (this.#isChar(this.#i, OPEN)) depth++;
      else if (this.#isChar(this.#i, CLOSE)) depth = Math.max(0, depth - 1);
      else if (depth === 0) {
        const upper = this.#upper(this.#i);
        if (upper === word) return true;
        if (stopAt !== undefined && upper === stopAt) return false;
      }
    }
    return false;
  }

  /** Moves past the `BEGIN … END` body of a trigger, whose inner statements end with `;` too. */
  #skipTriggerBody(): void {
    let cases = 0;
    let begun = false;
    const n = this.#tokens.length;
    for (; this.#i < n; this.#i++) {
      const upper = this.#upper(this.#i);
      if (upper === 'BEGIN') begun = true;
      else if (upper === 'CASE') cases++;
      else if (upper === 'END') {
        if (cases > 0) cases--;
        else if (begun) {
          this.#i++;
          return;
        }
      } else if (!begun && this.#isChar(this.#i, SEMICOLON)) return;
    }
  }

  // Grammar ---------------------------------------------------------------------------------------------------

  #statement(): void {
    this.#cteNames = undefined;
    for (;;) {
      const i = this.#i;
      const token = this.#tokens[i];
      if (token === undefined) return;
      if (token.kind !== 'keyword') break;
      switch (token.upper) {
        case 'EXPLAIN':
          if (this.#upper(i + 1) === 'QUERY' && this.#upper(i + 2) === 'PLAN') {
            this.#operation(i, i + 1, i + 2);
            this.#i = i + 3;
          } else {
            this.#operation(i);
            this.#i = i + 1;
          }
          continue;
        case 'WITH':
          this.#i = i + 1;
          this.#withClause();
          continue;
        case 'SELECT':
          this.#query(false);
          break;
        case 'VALUES':
          this.#operation(i);
          this.#i = i + 1;
          this.#query(false);
          break;
        case 'INSERT':
        case 'REPLACE':
        case 'UPDATE':
          this.#operation(i);
          this.#i = i + 1;
          if (this.#upper(this.#i) === 'OR') this.#i += 2;
          if (this.#upper(this.#i) === 'INTO') this.#i++;
          this.#target(true);
          this.#query(false);
          break;
        case 'DELETE':
          this.#operation(i);
          this.#i = i + 1;
          this.#query(false);
          break;
        case 'CREATE':
          this.#create();
          break;
        case 'DROP':
        case 'ALTER': {
          const kind = OBJECT_KINDS.has(this.#upper(i + 1));
          if (kind) this.#operation(i, i + 1);
          else this.#operation(i);
          this.#i = kind ? i + 2 : i + 1;
          if (this.#upper(this.#i) === 'IF' && this.#upper(this.#i + 1) === 'EXISTS') this.#i += 2;
          this.#target(false);
          break;
        }
        case 'BEGIN':
          if (TRANSACTION_MODES.has(this.#upper(i + 1))) this.#operation(i, i + 1);
          else this.#operation(i);
          this.#i = i + 1;
          break;
        case 'COMMIT':
        case 'END':
          this.#operation(i);
          this.#i = i + 1;
          break;
        case 'ROLLBACK': {
          let to = i + 1;
          if (this.#upper(to) === 'TRANSACTION') to++;
          if (this.#upper(to) !== 'TO') {
            this.#operation(i);
            this.#i = i + 1;
            break;
          }
          this.#operation(i, to);
          this.#i = to + 1;
          if (this.#upper(this.#i) === 'SAVEPOINT') this.#i++;
          this.#target(false);
          break;
        }
        case 'SAVEPOINT':
        case 'RELEASE':
        case 'DETACH':
        case 'PRAGMA':
        case 'ANALYZE':
        case 'REINDEX':
          this.#operation(i);
          this.#i = i + 1;
          if (this.#upper(this.#i) === 'SAVEPOINT' || this.#upper(this.#i) === 'DATABASE') this.#i++;
          this.#target(false);
          break;
        case 'VACUUM':
          this.#operation(i);
          this.#i = i + 1;
          if (this.#upper(this.#i) !== 'INTO') this.#target(false);
          break;
        case 'ATTACH':
          // The file name is an expression, often a string: only the schema name after AS is a target.
          this.#operation(i);
          this.#i = i + 1;
          if (this.#seek('AS')) {
            this.#i++;
            this.#target(false);
          }
          break;
        default:
          break;
      }
      break;
    }
    this.#skipStatement();
  }

  #create(): void {
    const words = [this.#i];
    this.#i++;
    while (CREATE_MODIFIERS.has(this.#upper(this.#i))) words.push(this.#i++);
    const kind = this.#upper(this.#i);
    const virtual = words.some((index) => this.#upper(index) === 'VIRTUAL');
    if (!OBJECT_KINDS.has(kind)) {
      this.#operation(...words);
      return;
    }
    words.push(this.#i++);
    this.#operation(...words);
    if (this.#upper(this.#i) === 'IF' && this.#upper(this.#i + 1) === 'NOT' && this.#upper(this.#i + 2) === 'EXISTS') {
      this.#i += 3;
    }
    this.#target(false);
    switch (kind) {
      case 'TABLE':
        // CREATE TABLE … AS SELECT runs its query now, so the tables it copies from are targets too; column
        // definitions (REFERENCES, CHECK, GENERATED) are not.
        if (!virtual && this.#seek('AS')) {
          this.#i++;
          this.#query(false);
        }
        break;
      case 'TRIGGER':
        // The trigger's event words, table and body run later, not as part of this statement: only the trigger is a
        // target (the conventions' pending DDL cases: `CREATE TRIGGER t`). The body's `;` must not end the statement.
        this.#skipTriggerBody();
        break;
      default:
        // A view's query and an index's table are stored, not run: the object created is the only target
        // (`CREATE VIEW v`, `CREATE INDEX i`).
        break;
    }
  }

  /** `[RECURSIVE] name [(columns)] AS [[NOT] MATERIALIZED] (query), …` after `WITH`. */
  #withClause(): void {
    if (this.#upper(this.#i) === 'RECURSIVE') this.#i++;
    for (;;) {
      if (!this.#isName(this.#i, false)) return;
      (this.#cteNames ??= new Set()).add(this.#nameKey(this.#i));
      this.#i++;
      if (this.#isChar(this.#i, OPEN)) this.#skipGroup();
      if (this.#upper(this.#i) !== 'AS') return;
      this.#i++;
      if (this.#upper(this.#i) === 'NOT') this.#i++;
      if (this.#upper(this.#i) === 'MATERIALIZED') this.#i++;
      if (!this.#isChar(this.#i, OPEN)) return;
      this.#i++;
      this.#query(true);
      if (!this.#isChar(this.#i, COMMA)) return;
      this.#i++;
    }
  }

  /**
   * Scans a query up to the end of the statement (or, when `nested`, past the `)` that closes it), adding each
   * SELECT as an operation and each table after FROM, JOIN or a comma of a FROM clause as a target.
   */
  #query(nested: boolean): void {
    const tokens = this.#tokens;
    const n = tokens.length;
    let depth = 0;
    // Whether the FROM clause of each parenthesis level is still open, so that a comma adds a table.
    const inFrom: boolean[] = [false];
    let expectTable = false;
    while (this.#i < n && !this.#full) {
      const i = this.#i;
      const token = tokens[i] as ScannedToken;
      if (token.kind === 'operator') {
        const c = token.end - token.start === 1 ? this.#sql.charCodeAt(token.start) : 0;
        if (c === SEMICOLON) return;
        this.#i++;
        if (c === OPEN) {
          const next = this.#upper(i + 1);
          const subquery = next === 'SELECT' || next === 'VALUES' || next === 'WITH';
          // `FROM (a JOIN b)` lists tables inside the parentheses; `FROM (SELECT …)` is a subquery.
          expectTable &&= !subquery;
          inFrom[++depth] = expectTable;
        } else if (c === CLOSE) {
          expectTable = false;
          if (depth > 0) depth--;
          else if (nested) return;
        } else {
          expectTable = c === COMMA && inFrom[depth] === true;
        }
        continue;
      }
      if (expectTable) {
        expectTable = false;
        if (this.#target(true)) continue;
      }
      this.#i++;
      if (token.kind !== 'keyword') continue;
      const upper = token.upper;
      if (upper === 'SELECT') {
        this.#operation(i);
        inFrom[depth] = false;
      } else if (upper === 'FROM') {
        // `a IS [NOT] DISTINCT FROM b` compares values: what follows is no table.
        if (this.#upper(i - 1) !== 'DISTINCT') expectTable = inFrom[depth] = true;
      } else if (upper === 'JOIN') {
        expectTable = inFrom[depth] = true;
      } else if (upper === 'WITH') {
        this.#withClause();
      } else if (CLAUSE_KEYWORDS.has(upper)) {
        inFrom[depth] = false;
      }
    }
  }
}

/**
 * Summarizes SQL text as OpenTelemetry's `db.query.summary`: its operations and their targets in the order they
 * appear, such as `SELECT users` or `INSERT shipping_details SELECT orders`.
 *
 * Operations (SELECT, INSERT, UPDATE, DELETE, REPLACE, CREATE TABLE, DROP INDEX, PRAGMA, BEGIN IMMEDIATE,
 * SAVEPOINT, EXPLAIN QUERY PLAN…) and targets (tables after FROM, JOIN, INTO and UPDATE, the objects of DDL, pragma,
 * savepoint and schema names) keep the application's case and quotes; aliases, columns, literals, parameters and
 * the names of common table expressions are left out, subqueries add their own operations and targets, and
 * statements follow each other. The result is at most 255 characters, cut between words, and `''` when nothing
 * is recognized (callers fall back to another span name). Never throws.
 *
 * @example summarizeSql('SELECT o.id FROM orders o JOIN customers c ON c.id = o.cid') // 'SELECT orders customers'
 */
export function summarizeSql(sql: string): string {
  if (typeof sql !== 'string') return '';
  return new Summarizer(sql).run();
}
