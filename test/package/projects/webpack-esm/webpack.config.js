import * as path from 'node:path';

export default {
  mode: 'production',
  target: 'electron-main',
  entry: './src/main.ts',
  module: {
    rules: [{ test: /\.ts$/, use: 'ts-loader', exclude: /node_modules/ }],
  },
  resolve: { extensions: ['.ts', '.js'] },
  experiments: { outputModule: true },
  output: { module: true, filename: 'main.js', path: path.resolve(import.meta.dirname, 'dist') },
};
