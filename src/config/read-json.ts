/**
 * How JSON provider files are read: JSON.parse decides what is valid (so the files stay
 * strict JSON), and only when something is wrong is the text looked at again for the
 * line and column, since every JSON text is also YAML that the `yaml` package can locate
 * fields in.
 */
import { locatorFor, type Locate, type ReadFile, type SourcePosition } from './read-yaml';

export class JsonSyntaxError extends Error {
  constructor(
    readonly position: SourcePosition | undefined,
    readonly reason: string,
  ) {
    super(`JSON syntax error${position ? ` at line ${position.line}, column ${position.column}` : ''}: ${reason}`);
  }
}

/** Reads one JSON file; throws JsonSyntaxError naming the line and column. */
export function readJson(text: string): ReadFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const offset = syntaxErrorOffset(text);
    throw new JsonSyntaxError(offset === undefined ? undefined : positionAt(text, offset), withoutExcerpt((error as Error).message));
  }
  // Parsed again only when a problem needs a position: loading a valid file costs JSON.parse alone.
  let locate: Locate | undefined;
  return { data, locate: (path) => (locate ??= locatorFor(text))(path) };
}

// JSON.parse quotes a piece of the file in some messages (`Unexpected token 'x', "{"id": x, "s"... is not valid JSON`),
// and problems never quote a file.
function withoutExcerpt(message: string): string {
  return message.replace(/, (?:\.\.\.)?".*is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
}

/**
 * Where JSON.parse gave up. Its messages name the position in some cases only, so this
 * finds the shortest prefix that fails for a reason other than ending too soon: every
 * longer prefix fails there too, so a binary search finds it.
 */
function syntaxErrorOffset(text: string): number | undefined {
  const failsBeforeEnd = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (error) {
      const message = (error as Error).message;
      if (message === 'Unexpected end of JSON input') return false;
      const position = /at position (\d+)/.exec(message);
      return position === null || Number(position[1]) < length;
    }
  };
  if (!failsBeforeEnd(text.length)) return text.length === 0 ? undefined : text.length;
  let low = 1;
  let high = text.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (failsBeforeEnd(middle)) high = middle;
    else low = middle + 1;
  }
  return low - 1;
}

function positionAt(text: string, offset: number): SourcePosition {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}
