/**
 * Runs the mocha suite (test/vscode/suite/) in Electron VS Code with @vscode/test-electron:
 *
 *   npm run test:electron
 *
 * VSCODE_EXECUTABLE_PATH: a VS Code binary to use; without it test-electron downloads one (which
 * the CI machine cannot: there, the same suite runs in code-server, test/vscode/cs-suite.ts).
 * The workspace is the same fixture layout the code-server runs use (env.ts `makeWorkspace`).
 */
import { runTests } from '@vscode/test-electron';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, SUITE_INDEX, makeWorkspace } from './env';

async function main(): Promise<number> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-electron-'));
  const ws = makeWorkspace(tmp);
  const resultsFile = path.join(tmp, 'results.json');
  try {
    const code = await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: SUITE_INDEX,
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE_PATH || undefined,
      launchArgs: [ws.dir, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--user-data-dir', path.join(tmp, 'user-data')],
      // The extension's local runner uses the checkout's kernels (npm run runner:setup:all fills them).
      extensionTestsEnv: { BPFLENS_SUITE_RESULTS: resultsFile, BPFLENS_RUNNER_CACHE: process.env.BPFLENS_RUNNER_CACHE || path.join(ROOT, '.cache', 'runner') },
    });
    if (fs.existsSync(resultsFile)) {
      const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { passed: number; failed: number };
      console.log(`${r.passed} passed, ${r.failed} failed`);
    }
    return code;
  } finally {
    if (!process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error('test:electron failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
