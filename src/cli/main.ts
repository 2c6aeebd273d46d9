/**
 * Process entry of `npm start`: `node dist/cli/main.js [--config DIR]` is the serve command
 * (serve.ts), with the same options, checks and exit codes as
 * `mail-autoconfig serve`, without loading the admin commands.
 */
import { runProcess } from './process';
import { serveCommand } from './serve';

if (require.main === module) {
  const argv = process.argv.slice(2);
  void runProcess((io) => serveCommand(argv, io));
}
