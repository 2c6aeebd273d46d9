/**
 * Process entry of `npm start`: `node dist/main.js [--config DIR]` is the serve command
 * (src/cli/serve.ts), with the same options, checks and exit codes as
 * `mail-autoconfig serve`, without loading the admin commands.
 */
import { runProcess } from './cli/process';
import { serveCommand } from './cli/serve';

if (require.main === module) {
  const argv = process.argv.slice(2);
  void runProcess((io) => serveCommand(argv, io));
}
