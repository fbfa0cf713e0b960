import type { Params, Row } from '@rapsqlite/engine';
import { tokenizeSql } from '@rapsqlite/engine/sql';

/** What reading a statement depends on, as far as its compiled program shows. */
export type ReadAnalysis =
  | { readonly cacheable: true; readonly tables: readonly string[] }
  | { readonly cacheable: false; readonly reason: UncacheableReason };

/** Why a query is never cached. */
export type UncacheableReason = 'nondeterministic' | 'virtual-table' | 'other-schema' | 'writes' | 'error';

/** What a write may change: some tables, or anything (a script, a virtual table, an attached or temp schema). */
export interface WriteAnalysis {
  readonly tables: readonly string[] | 'all';
  /** It changes the schema (sqlite_schema is written): analyses made before it no longer hold. */
  readonly schema: boolean;
}

/** Sends a statement down the rest of the chain (in the operation's transaction) and resolves with its rows. */
export type Send = (sql: string, params: Params | undefined) => Promise<Row[]>;

interface ProgramRow {
  readonly opcode: string;
  readonly p1: number;
  readonly p2: number;
  readonly p3: number;
  readonly p4: unknown;
}

/**
 * SQLite's built-in functions whose result depends only on their arguments. Any other function (random(), changes(),
 * a user function not declared deterministic in the options) makes a query uncacheable. Date and time functions are
 * deterministic unless given 'now' (or no argument), which the text check catches.
 */
const DETERMINISTIC = new Set(
  (
    'abs char coalesce concat concat_ws format printf glob hex ifnull iif if instr length octet_length like likelihood ' +
    'likely lower ltrim max min nullif quote replace round rtrim sign soundex substr substring trim typeof unhex ' +
    'unicode unistr unlikely upper zeroblob count sum total avg group_concat string_agg median percentile ' +
    'date time datetime julianday strftime unixepoch timediff ' +
    'acos acosh asin asinh atan atan2 atanh ceil ceiling cos cosh degrees exp floor ln log log10 log2 mod pi pow ' +
    'power radians sin sinh sqrt tan tanh trunc ' +
    'row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value ' +
    'json json_array json_array_length json_error_position json_extract json_insert json_object json_patch ' +
    'json_pretty json_remove json_replace json_set json_type json_valid json_quote json_group_array ' +
    'json_group_object jsonb jsonb_array jsonb_extract jsonb_insert jsonb_object jsonb_patch jsonb_remove ' +
    'jsonb_replace jsonb_set jsonb_group_array jsonb_group_object sqlite_version sqlite_source_id'
  ).split(' '),
);

const FUNCTION_OPCODES = new Set(['Function', 'PureFunc', 'AggStep', 'AggStep1', 'AggValue', 'AggInverse', 'AggFinal']);
const TIME_KEYWORDS = new Set(['CURRENT_TIME', 'CURRENT_DATE', 'CURRENT_TIMESTAMP']);

/** Whether the text asks for the current time ('now', CURRENT_TIMESTAMP…), which no cache may answer. */
function readsClock(sql: string): boolean {
  for (const token of tokenizeSql(sql)) {
    if (token.kind === 'keyword' && TIME_KEYWORDS.has(token.text.toUpperCase())) return true;
    if (token.kind === 'string' && /^'\s*now\s*'$/i.test(token.text)) return true;
  }
  return false;
}

/**
 * Finds what statements read and write from their compiled programs (`EXPLAIN`): the b-trees they open, mapped to
 * tables through `sqlite_schema` (an index stands for its table), views, subqueries, triggers and foreign-key
 * actions included, since SQLite lists their sub-programs too. Results are kept per SQL text until the schema
 * changes.
 */
export class StatementAnalyzer {
  readonly #deterministic: ReadonlySet<string>;
  readonly #reads = new Map<string, ReadAnalysis>();
  readonly #writes = new Map<string, WriteAnalysis>();
  #roots: Promise<Map<number, string>> | undefined;
  /** Bumped when the schema may have changed: analyses begun before are used once, not kept. */
  #epoch = 0;

  constructor(deterministicFunctions: readonly string[]) {
    this.#deterministic = new Set(deterministicFunctions.map((name) => name.toLowerCase()));
  }

  /** Forgets every analysis and the schema map (a schema change here or in another process). */
  reset(): void {
    this.#epoch++;
    this.#reads.clear();
    this.#writes.clear();
    this.#roots = undefined;
  }

  /** The analysis of a query, if it is known already (the hot path of a hit). */
  knownRead(sql: string): ReadAnalysis | undefined {
    return this.#reads.get(sql);
  }

  async read(sql: string, params: Params | undefined, send: Send): Promise<ReadAnalysis> {
    const known = this.#reads.get(sql);
    if (known !== undefined) return known;
    const epoch = this.#epoch;
    let analysis: ReadAnalysis;
    try {
      analysis = await this.#analyzeRead(sql, params, send);
    } catch {
      // The statement does not compile (or needs other parameters): it will fail by itself, uncached.
      return { cacheable: false, reason: 'error' };
    }
    if (epoch === this.#epoch && this.#reads.size < 5000) this.#reads.set(sql, analysis);
    return analysis;
  }

  async write(sql: string, params: Params | undefined, send: Send): Promise<WriteAnalysis> {
    const known = this.#writes.get(sql);
    if (known !== undefined) return known;
    const epoch = this.#epoch;
    let analysis: WriteAnalysis;
    try {
      analysis = await this.#analyzeWrite(sql, params, send);
    } catch {
      return { tables: 'all', schema: true };
    }
    if (epoch === this.#epoch && !analysis.schema && this.#writes.size < 5000) this.#writes.set(sql, analysis);
    return analysis;
  }

  async #program(sql: string, params: Params | undefined, send: Send): Promise<ProgramRow[]> {
    return (await send(`EXPLAIN ${sql}`, params)) as unknown as ProgramRow[];
  }

  #rootsOf(send: Send): Promise<Map<number, string>> {
    this.#roots ??= send("SELECT tbl_name, rootpage FROM main.sqlite_schema WHERE rootpage > 0 AND type IN ('table', 'index')", undefined).then(
      (rows) => {
        const map = new Map<number, string>([[1, 'sqlite_schema']]);
        for (const row of rows) map.set(Number(row['rootpage']), `main.${String(row['tbl_name']).toLowerCase()}`);
        return map;
      },
      (err: unknown) => {
        this.#roots = undefined;
        throw err;
      },
    );
    return this.#roots;
  }

  async #analyzeRead(sql: string, params: Params | undefined, send: Send): Promise<ReadAnalysis> {
    if (readsClock(sql)) return { cacheable: false, reason: 'nondeterministic' };
    const [program, roots] = await Promise.all([this.#program(sql, params, send), this.#rootsOf(send)]);
    const tables = new Set<string>();
    for (const row of program) {
      switch (row.opcode) {
        case 'OpenWrite':
        case 'VUpdate':
          return { cacheable: false, reason: 'writes' };
        case 'VOpen':
          return { cacheable: false, reason: 'virtual-table' };
        case 'OpenRead':
        case 'ReopenIdx': {
          if (row.p3 !== 0) return { cacheable: false, reason: 'other-schema' };
          const table = roots.get(row.p2);
          // A b-tree the schema map does not know: it changed under us; do not guess.
          if (table === undefined) return { cacheable: false, reason: 'error' };
          tables.add(table);
          break;
        }
        default:
          if (FUNCTION_OPCODES.has(row.opcode) && typeof row.p4 === 'string') {
            const name = /^([^(]+)\(/.exec(row.p4)?.[1]?.toLowerCase();
            if (name === undefined || (!DETERMINISTIC.has(name) && !this.#deterministic.has(name))) return { cacheable: false, reason: 'nondeterministic' };
          }
      }
    }
    return { cacheable: true, tables: [...tables].sort() };
  }

  async #analyzeWrite(sql: string, params: Params | undefined, send: Send): Promise<WriteAnalysis> {
    const [program, roots] = await Promise.all([this.#program(sql, params, send), this.#rootsOf(send)]);
    const tables = new Set<string>();
    let schema = false;
    for (const row of program) {
      if (row.opcode === 'VUpdate') return { tables: 'all', schema: false };
      // A DELETE without WHERE empties the table's b-tree with Clear instead of opening it.
      const clear = row.opcode === 'Clear';
      if (row.opcode !== 'OpenWrite' && !clear) {
        // DROP and some ALTERs destroy or rewrite b-trees without opening them for writing.
        if (row.opcode === 'Destroy' || row.opcode === 'ParseSchema' || row.opcode === 'DropTable') schema = true;
        continue;
      }
      if ((clear ? row.p2 : row.p3) !== 0) return { tables: 'all', schema: true };
      const table = roots.get(clear ? row.p1 : row.p2);
      if (table === undefined || table === 'sqlite_schema') {
        schema = true;
        continue;
      }
      tables.add(table);
    }
    return schema ? { tables: 'all', schema: true } : { tables: [...tables].sort(), schema: false };
  }
}
