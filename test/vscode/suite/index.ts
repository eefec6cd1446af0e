/**
 * The extension-tests entry point (`--extensionTestsPath`): VS Code's extension host requires this
 * module and awaits `run()`. The same compiled file runs under @vscode/test-electron
 * (test/vscode/runTest.ts) and inside code-server (test/vscode/cs-suite.ts, through the
 * workbench URL's payload). Runs every `*.test.js` beside it with mocha.
 *
 * BPFLENS_SUITE_RESULTS (environment of the extension host): a JSON summary is written there.
 */
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'spec' });
  const only = process.env.BPFLENS_SUITE_GREP;
  if (only) mocha.grep(only);
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, f));
  }
  return new Promise((resolve, reject) => {
    const failures: { title: string; error: string }[] = [];
    let passed = 0;
    const runner = mocha.run((failed) => {
      const summary = { passed, failed, failures };
      const out = process.env.BPFLENS_SUITE_RESULTS;
      if (out) fs.writeFileSync(out, JSON.stringify(summary, null, 2));
      console.log(`${passed} passed, ${failed} failed`);
      if (failed > 0) reject(new Error(`${failed} of ${passed + failed} tests failed`));
      else resolve();
    });
    runner.on('pass', () => passed++);
    runner.on('fail', (t, err: Error) => failures.push({ title: t.fullTitle(), error: String(err?.stack ?? err) }));
  });
}
