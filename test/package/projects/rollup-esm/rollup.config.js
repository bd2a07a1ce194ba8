import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';

export default {
  input: 'src/main.js',
  output: { file: 'dist/main.js', format: 'es' },
  external: ['electron'],
  plugins: [nodeResolve({ preferBuiltins: true }), commonjs()],
};
