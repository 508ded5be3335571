// ESLint for the whole repository (`npm run lint`): type-aware rules through typescript-eslint's
// project service, which lints each file with the tsconfig that includes it (tsconfig.json for
// the services, web/tsconfig.json for the console, web/tsconfig.node.json for its build config).
// Formatting is Prettier's (.prettierrc.json): eslint-config-prettier, last, turns off every
// rule that would argue with it.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Files that may import devDependencies: tests, their support, benches, scripts, build and lint config. */
const devDependencyFiles = [
  '**/*.test.ts',
  '**/testing/**',
  'test/**',
  'bench/**',
  'scripts/**',
  'web/vite.config.ts',
  'web/build.ts',
  'web/bundle-budget.ts',
  'eslint.config.js',
];

export default defineConfig(
  globalIgnores([
    '**/node_modules/**',
    '**/dist/**',
    'web/dist/**',
    'web/.dist-*/**',
    'web/src/api/*.d.ts',
    'coverage/**',
    '.data/**',
    '.scratch*/**',
  ]),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          // The console's build config sits beside web/tsconfig.json but belongs to web/tsconfig.node.json.
          allowDefaultProject: ['web/vite.config.ts', 'web/bundle-budget.ts'],
          defaultProject: 'web/tsconfig.node.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // More than four and the call site cannot be read: take an options object.
      '@typescript-eslint/max-params': ['error', { max: 4 }],
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: devDependencyFiles, includeTypes: false }],
    },
  },
  {
    // This file is plain JavaScript outside every tsconfig: no type information for it.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
