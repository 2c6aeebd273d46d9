/**
 * A provider definition as read from its file, with what the reader noticed on the way:
 * the config readers make these, the provider directory and the formats use them.
 */
import type { ProviderDefinition } from './provider';

export interface ConfigProblem {
  readonly file: string;
  /** Dotted field path such as `incoming[0].port`; empty for file-level problems. */
  readonly field: string;
  readonly message: string;
  /** Where in the file (1-based), where the reader knows it. */
  readonly line?: number;
  readonly column?: number;
}

export interface LoadedProvider {
  readonly definition: ProviderDefinition;
  /** The file it came from, as the admin would name it (relative to the working directory). */
  readonly file: string;
  /** What the reader tolerated but an admin may want to fix (ignored elements, old spellings). */
  readonly warnings?: readonly ConfigProblem[];
}
