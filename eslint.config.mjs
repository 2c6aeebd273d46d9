import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PRIVATE_PINO = "pino's symbols are private: log through the logger's methods or a public destination.";
const PRIVATE_EXPRESS = "Express's router internals change between releases: derive routes from src/http/routes.ts.";
const PUBLIC_APIS_ONLY = [
  { selector: "CallExpression[callee.object.name='Symbol'][callee.property.name='for'] > Literal[value=/^pino/]", message: PRIVATE_PINO },
  { selector: "MemberExpression[object.name='pino'][property.name='symbols']", message: PRIVATE_PINO },
  { selector: "MemberExpression[property.name='stack'][object.property.name=/^_?router$/]", message: PRIVATE_EXPRESS },
  { selector: "MemberExpression[property.name='length'][object.property.name='handle']", message: PRIVATE_EXPRESS },
  { selector: "Identifier[name='Layer']", message: PRIVATE_EXPRESS },
];

export default tseslint.config(
  { ignores: ['dist/', 'dist-*/', 'coverage/', 'node_modules/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  // Only public APIs of the libraries: their internals change in minor releases.
  { files: ['src/**/*.ts'], rules: { 'no-restricted-syntax': ['error', ...PUBLIC_APIS_ONLY] } },
  // Answers and the objects on the request path are written as literals, never spread: V8
  // gives each spread copy a shape of its own, and the writer's inline caches then miss.
  {
    files: ['src/http/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...PUBLIC_APIS_ONLY,
        { selector: 'ObjectExpression > SpreadElement', message: 'Write answers and request-path objects as literals: a spread copy gets a V8 shape of its own.' },
      ],
    },
  },
  // Tests walk parsed documents of many shapes; typing each would only restate the assertions.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  { files: ['**/*.js', '**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
);
