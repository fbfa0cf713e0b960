import { tokenize } from '../sql/tokenize.ts';
import { MigrateError, MigrateErrorCodes } from '../errors.ts';

/** The parts of a `.sql` migration file. */
export interface SqlFileParts {
  readonly up: string;
  /** `undefined` when the file has no `-- down` section. */
  readonly down: string | undefined;
  readonly upTransactional: boolean;
  readonly downTransactional: boolean;
}

const MARKER = /^--\s*(up|down)(?:[\s:].*)?$/i;
const DIRECTIVE = /^--\s*rapsqlite:\s*(\S+)\s*$/gim;
const DIRECTIVES = new Set(['no-transaction']);

function hasStatements(text: string): boolean {
  return tokenize(text).some((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
}

function directivesOf(text: string, file: string): Set<string> {
  const found = new Set<string>();
  for (const match of text.matchAll(DIRECTIVE)) {
    const directive = match[1]!.toLowerCase();
    if (!DIRECTIVES.has(directive)) {
      throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `${file}: unknown directive "-- rapsqlite: ${directive}" (known: ${[...DIRECTIVES].join(', ')}).`);
    }
    found.add(directive);
  }
  return found;
}

/**
 * Reads a `.sql` migration: `-- up` and `-- down` lines start the sections (any case, text may follow after a
 * space or colon); without markers the whole file is `up`. Text before `-- up` may hold only comments and
 * directives (`-- rapsqlite: no-transaction`), which then apply to both sections.
 */
export function parseSqlFile(text: string, file: string, options: { readonly allowMarkers?: boolean } = {}): SqlFileParts {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const sections: { header: string[]; up: string[] | undefined; down: string[] | undefined } = { header: [], up: undefined, down: undefined };
  let current: string[] = sections.header;
  let sawUp = false;
  for (const line of lines) {
    const marker = MARKER.exec(line.trim());
    if (marker !== null) {
      if (options.allowMarkers === false) {
        throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `${file}: a paired .up.sql/.down.sql file cannot contain "-- up"/"-- down" sections.`);
      }
      const which = marker[1]!.toLowerCase() as 'up' | 'down';
      if (sections[which] !== undefined || (which === 'up' && sections.down !== undefined)) {
        throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `${file}: "-- ${which}" appears twice, or "-- up" follows "-- down".`);
      }
      if (which === 'up') sawUp = true;
      current = [];
      sections[which] = current;
      continue;
    }
    current.push(line);
  }
  const header = sections.header.join('\n');
  let up: string;
  if (sawUp) {
    if (hasStatements(header)) throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `${file}: statements before "-- up"; put them in a section.`);
    up = sections.up!.join('\n');
  } else {
    up = header;
  }
  const down = sections.down?.join('\n');
  const shared = sawUp ? directivesOf(header, file) : new Set<string>();
  const upDirectives = directivesOf(up, file);
  const downDirectives = down === undefined ? new Set<string>() : directivesOf(down, file);
  return {
    up: up.trim(),
    down: down?.trim(),
    upTransactional: !shared.has('no-transaction') && !upDirectives.has('no-transaction'),
    downTransactional: !shared.has('no-transaction') && !downDirectives.has('no-transaction'),
  };
}

/** Reads a file the way the `sqlite` package's `migrate()` does: split at the first `-- down` line, comment lines dropped from `up`. */
export function parseSqlitePackageFile(text: string, file: string): SqlFileParts {
  const [upPart = '', downPart] = text.split(/^--\s+?down\b/im);
  const directives = directivesOf(text, file);
  const transactional = !directives.has('no-transaction');
  return {
    up: upPart.replace(/^-- .*?$/gm, '').trim(),
    down: downPart === undefined ? '' : downPart.trim(),
    upTransactional: transactional,
    downTransactional: transactional,
  };
}
