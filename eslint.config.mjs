import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/', 'dist-test/', 'release/', '**/node_modules/', '.cache/'] },
  ...tseslint.configs.strict,
  {
    rules: {
      'no-console': 'off',
      eqeqeq: 'error',
      'prefer-const': 'error',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // The matrix's plain CommonJS projects use require, as such projects do.
    files: ['test/package/projects/**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
