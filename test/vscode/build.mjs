// Builds the real-VS-Code tests with esbuild (tsconfig.json leaves test/vscode out of tsc):
//   out/vscode/suite/*.js        the mocha suite, loaded by VS Code's extension host (vscode and mocha external)
//   out/vscode/{runTest,cs-suite,ui}.js   the runners (@vscode/test-electron, code-server, the UI test)
//   out/test/vscode/*.test.js    node:test files that `node --test out/test/` (npm test) picks up
import { build } from 'esbuild';
import { readdirSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', packages: 'external' };
const suite = readdirSync(join(here, 'suite')).filter((f) => f.endsWith('.ts')).map((f) => join(here, 'suite', f));
const nodeTests = readdirSync(here).filter((f) => f.endsWith('.test.ts')).map((f) => join(here, f));
await Promise.all([
  build({ ...common, entryPoints: suite, outdir: join(root, 'out', 'vscode', 'suite'), external: ['vscode'] }),
  build({ ...common, entryPoints: ['runTest.ts', 'cs-suite.ts', 'ui.ts'].map((f) => join(here, f)), outdir: join(root, 'out', 'vscode') }),
  build({ ...common, entryPoints: nodeTests, outdir: join(root, 'out', 'test', 'vscode') }),
]);
