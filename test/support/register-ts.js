/**
 * Lets `node -r ./test/support/register-ts.js src/cli/index.ts ...` run the CLI from its
 * TypeScript source, so CLI tests drive the real entry point without a build step.
 * Transpile only: type errors are `npm run typecheck`'s job.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS require hook, loaded with node -r */
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};
