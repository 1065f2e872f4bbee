import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**', 'bench/results/**', 'src/migrations/Migration*.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    // One API locks rows (src/db/rows.ts): services name a lock mode, never write one.
    files: ['src/services/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [
        { name: '@mikro-orm/core', importNames: ['LockMode'], message: 'Lock rows through src/db/rows.ts (lockWhere, lockById, lockKeys).' },
        { name: '@mikro-orm/postgresql', importNames: ['LockMode'], message: 'Lock rows through src/db/rows.ts (lockWhere, lockById, lockKeys).' },
      ] }],
      'no-restricted-syntax': ['error',
        { selector: 'Literal[value=/\\bfor\\s+(no\\s+key\\s+)?(update|share)\\b/i]', message: 'Lock rows through src/db/rows.ts (lockWhere, lockById, lockKeys), not a locking clause in SQL.' },
        { selector: 'TemplateElement[value.raw=/\\bfor\\s+(no\\s+key\\s+)?(update|share)\\b/i]', message: 'Lock rows through src/db/rows.ts (lockWhere, lockById, lockKeys), not a locking clause in SQL.' },
        { selector: "MemberExpression[property.name=/^(forUpdate|forNoKeyUpdate|forShare)$/]", message: 'Lock rows through src/db/rows.ts.' },
      ],
    },
  },
  {
    // GraphQL responses are dynamic JSON: tests read them without typing every shape.
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The staff dashboard's script runs in the browser (served by src/dashboard.ts): browser globals, not Node's.
    files: ['src/dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        window: 'readonly', document: 'readonly', fetch: 'readonly', sessionStorage: 'readonly', getComputedStyle: 'readonly',
        process: 'off', require: 'off', module: 'off', __dirname: 'off', Buffer: 'off',
      },
    },
  },
  {
    files: ['scripts/**', 'bench/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
