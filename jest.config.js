/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type errors are caught by `npm run typecheck`; isolated transpilation keeps tests fast.
  transform: { '^.+\\.ts$': 'ts-jest' },
};
