import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/', 'dist-test/', 'release/', '**/node_modules/', '.cache/'] },
  ...tseslint.configs.strict,
  {
    rules: {
      'no-console': 'off',
      eqeqeq: 'error',
      // Leaving properties out by destructuring them beside a rest element is how an object is narrowed.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      'prefer-const': 'error',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // The matrix's plain CommonJS projects use require, as such projects do.
    files: ['test/package/projects/plain-js/**/*.js', 'test/package/projects/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
