/**
 * Process entry of `npm start`: `node dist/main.js [--config DIR]` is the serve command
 * (see src/cli/serve.ts), with the same options, checks and exit codes as
 * `mail-autoconfig serve`.
 */
import { runProcess } from './cli/index';

if (require.main === module) void runProcess(['serve', ...process.argv.slice(2)]);
