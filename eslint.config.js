import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules', '**/out', '**/.baton', 'test-artifacts', 'bench/results', '**/dist'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Run events are one vocabulary (RUN_EVENT_TYPES): every switch over a union names each case,
      // and a `default` does not excuse a missing one.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false, allowDefaultCaseForExhaustiveSwitch: false }],
    },
  },
  // node:test's test() returns a promise its runner awaits: the starter's tests read as users write them.
  { files: ['packages/core/templates/**/test/*.ts'], rules: { '@typescript-eslint/no-floating-promises': 'off' } },
);
