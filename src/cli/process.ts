/**
 * Running a command as the process: its exit status becomes the process's. Shared by the
 * `mail-autoconfig` binary and `npm start`, which loads only the serve command.
 */
import { EXIT, processIo, type CliIo } from './io';

export async function runProcess(command: (io: CliIo) => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await command(processIo);
  } catch (error) {
    process.stderr.write(`mail-autoconfig: ${(error as Error).stack ?? String(error)}\n`);
    code = EXIT.failure;
  }
  if (code === EXIT.ok) {
    // A finished admin command ends by itself; a started server keeps the process alive.
    process.exitCode = code;
    return;
  }
  // A server that failed half-way through starting may hold file watchers or a listener
  // open, so a failure ends the process here, once what was written has been flushed.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
