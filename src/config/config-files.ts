/**
 * Reading provider files safely: a file whose real path (after following links) leaves the
 * config directory is refused unless the settings allow it, since a link to /etc/shadow
 * would otherwise be read and reported; a file over the size limit is refused before it
 * is read, since parsing is synchronous and a huge file would hold up every request
 * (docs/performance.md#choices-in-the-code); and anything that is not a regular file (a
 * FIFO would block the read forever) is refused too.
 * Messages name the file and the limit, never the file's content.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './errors';

export interface ConfigFileLimits {
  /** Largest provider file read, in bytes. */
  readonly maxProviderFileBytes: number;
  /** Whether a provider file may be a link to a file outside the config directory. */
  readonly allowFilesOutsideConfigDir: boolean;
}

/**
 * The defaults: the largest real provider (a hoster's thousands of domains) is a few
 * hundred kilobytes; links into the config directory's own `..data` (Kubernetes
 * ConfigMap volumes) stay inside it and need no setting.
 */
export const DEFAULT_CONFIG_FILE_LIMITS: ConfigFileLimits = { maxProviderFileBytes: 1024 * 1024, allowFilesOutsideConfigDir: false };

/**
 * The text of `file` (named `shownAs` in problems), or a ConfigError when it may not be
 * read. `configDir` is the directory its real path must stay in.
 */
export async function readProviderFileText(file: string, shownAs: string, configDir: string, limits: ConfigFileLimits): Promise<string> {
  const refuse = (message: string) => new ConfigError([{ file: shownAs, field: '', message }]);
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    throw refuse(`cannot read: ${describeFileError(error)}`);
  }
  if (!limits.allowFilesOutsideConfigDir && !isInside(real, await realpath(configDir))) {
    throw refuse('links to a file outside the config directory; set allowFilesOutsideConfigDir: true in settings.yaml to allow that');
  }
  let handle;
  try {
    // Non-blocking, so opening a FIFO cannot wait for a writer.
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw refuse(`cannot read: ${describeFileError(error)}`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw refuse('not a regular file');
    if (stats.size > limits.maxProviderFileBytes) throw refuse(tooLarge(stats.size, limits));
    // Read at most one byte past the limit: a file growing since stat() is still refused.
    const buffer = Buffer.alloc(stats.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limits.maxProviderFileBytes) throw refuse(tooLarge(length, limits));
      if (length === buffer.length) break;
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

function tooLarge(size: number, { maxProviderFileBytes }: ConfigFileLimits): string {
  return `file is ${size} bytes, over the limit of ${maxProviderFileBytes} bytes (maxProviderFileBytes in settings.yaml)`;
}

function isInside(file: string, directory: string): boolean {
  const relative = path.relative(directory, file);
  return relative !== '' && !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
}

/** The errno's meaning (`permission denied`), without the absolute path Node puts in its messages. */
function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const known: Record<string, string> = { ENOENT: 'no such file (a broken link?)', EACCES: 'permission denied', ELOOP: 'too many links', EISDIR: 'is a directory' };
  return (code && known[code]) ?? code ?? 'unreadable';
}
