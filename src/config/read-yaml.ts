/**
 * How configuration files in YAML are read: YAML 1.2's core schema (no timestamps, so
 * `2024-01-01` stays a string, as with the `yaml` package that writes our files),
 * duplicate keys refused, one document per file. js-yaml reads; it parses a provider
 * file about six times faster than `yaml`, which matters for hosters with 100 000
 * domains (issue 7's load target), while `yaml` keeps writing files (provider-yaml.ts),
 * where its document model keeps comments and layout.
 */
import jsYaml from 'js-yaml';

export class YamlSyntaxError extends Error {
  constructor(
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`YAML syntax error at line ${line ?? '?'}: ${reason}`);
  }
}

/** The file's content as plain data; throws YamlSyntaxError naming the line. */
export function readYaml(text: string): unknown {
  try {
    return jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA });
  } catch (error) {
    if (!(error instanceof jsYaml.YAMLException)) throw error;
    // js-yaml counts lines from 0.
    throw new YamlSyntaxError(error.mark === undefined ? undefined : error.mark.line + 1, error.reason);
  }
}
