/**
 * How configuration files in YAML are read: YAML 1.2's core schema (no timestamps, so
 * `2024-01-01` stays a string, no merge keys), duplicate keys refused, one document per
 * file, by the same `yaml` package that writes our files (formats/admin/provider-yaml.ts). Its document
 * model remembers where every node starts, so a field error can name its line and column.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';

/** 1-based, as editors count. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Finds where a field (a path such as `['incoming', 0, 'port']`) is written in a file. */
export type Locate = (path: readonly PropertyKey[]) => SourcePosition | undefined;

export class YamlSyntaxError extends Error {
  constructor(
    readonly position: SourcePosition | undefined,
    readonly reason: string,
  ) {
    super(`YAML syntax error${position ? ` at line ${position.line}, column ${position.column}` : ''}: ${reason}`);
  }
}

export interface ReadFile {
  /** The file's content as plain data. */
  readonly data: unknown;
  readonly locate: Locate;
}

/**
 * What to do about the parser's complaints, by its error code: its own words describe the
 * grammar, not the usual slip that caused them.
 */
const SYNTAX_HINTS: Readonly<Record<string, string>> = {
  BAD_INDENT: 'check the indentation: every field of one entry starts in the same column, and a list or [ ... ] is closed',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation: a field indented deeper than the one before it is read as part of that line',
  MULTILINE_IMPLICIT_KEY: 'check the indentation and that every field has a colon and a space after its name',
  MISSING_CHAR: 'check the indentation: a field indented less than its entry starts a new one, and lists need "- " before each entry',
  TAB_AS_INDENT: 'indent with spaces: YAML does not allow tabs there',
  DUPLICATE_KEY: 'a field may appear once per entry: remove or merge the second one',
  MULTIPLE_DOCS: 'one provider per file: remove the "---" line and what follows, or move it to a file of its own',
  UNEXPECTED_TOKEN: 'quote a value that contains ": ", " #", or starts with a special character such as @, `, [ or {',
  BAD_SCALAR_START: 'quote a value that starts with a special character such as @, `, %, [ or {',
  MISSING_KEY: 'check the indentation and the colons',
  ALIAS_PROPS: 'an alias (*name) cannot carry a tag or an anchor',
};

// Error text from the parser is short, but a reason quoting an alias name could be long.
const MAX_REASON = 160;

/**
 * How every YAML file is parsed, here and in the parser thread (read-yaml-off-thread.ts):
 * plain data, so it can be handed to another thread. prettyErrors off: its messages quote
 * the offending line, and ours never quote a file.
 */
export const YAML_PARSE_OPTIONS = { schema: 'core', prettyErrors: false, uniqueKeys: true } as const;

/** Reads one YAML file; throws YamlSyntaxError naming the line and column and a likely fix. */
export function readYaml(text: string): ReadFile {
  const { document, at } = parsePositioned(text);
  const [error] = document.errors;
  if (error) throw yamlSyntaxError(error.code, error.message, at(error.pos[0]));
  let data: unknown;
  try {
    // The default alias budget stops a "billion laughs" file from exhausting memory.
    data = document.toJS();
  } catch (failure) {
    if (!(failure instanceof ReferenceError)) throw failure;
    throw new YamlSyntaxError(at(firstAliasOffset(document)), failure.message.slice(0, MAX_REASON));
  }
  return { data, locate: (path) => at(offsetOf(document, path)) };
}

/** The error for the parser's complaint `code`, its own words cut short and a likely fix added. */
export function yamlSyntaxError(code: string, message: string, position: SourcePosition | undefined): YamlSyntaxError {
  const hint = SYNTAX_HINTS[code];
  return new YamlSyntaxError(position, `${message.slice(0, MAX_REASON)}${hint ? `; ${hint}` : ''}`);
}

/** Where fields are in a text already known to be valid YAML (a JSON file is one). */
export function locatorFor(text: string): Locate {
  const { document, at } = parsePositioned(text);
  return (path) => at(offsetOf(document, path));
}

function parsePositioned(text: string): { document: Document; at: (offset: number | undefined) => SourcePosition | undefined } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { ...YAML_PARSE_OPTIONS, lineCounter });
  const at = (offset: number | undefined): SourcePosition | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return { document, at };
}

function firstAliasOffset(document: Document): number | undefined {
  let offset: number | undefined;
  visit(document, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

/**
 * The start of the deepest node on `path` that the file has: the key of the last field
 * when it is written, else the entry that should hold it (for a missing field), so the
 * line shown is always one the admin can go to.
 */
function offsetOf(document: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = document.contents;
  let offset = nodeStart(node);
  for (const step of path) {
    if (isAlias(node)) break;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && String(isScalar(item.key) ? item.key.value : item.key) === String(step));
      if (!pair) break;
      offset = nodeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
      if (node === undefined) break;
      offset = nodeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function nodeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
