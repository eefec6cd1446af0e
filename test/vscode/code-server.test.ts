/**
 * bpflens in a real VS Code (code-server), as part of `npm test`: the mocha suite in the extension
 * host (cs-suite.ts), then the packaged .vsix driven as a user through the UI (ui.ts). The two
 * run one after the other (each starts its own code-server and Chromium). Skipped, saying why,
 * only outside CI and only when code-server or Chromium is not installed (scripts/setup-code-server.sh, run by
 * scripts/setup.sh, installs both and leaves the reason in .cache/code-server/UNAVAILABLE when it
 * cannot).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { findTools, ROOT } from './env';
import { runSuiteInCodeServer } from './cs-suite';
import { runUiTest } from './ui';

const tools = findTools();
const skip = tools.skip;
const found = tools.skip === undefined ? tools : undefined;
// In CI the setup must have installed both: a skipped UI suite would pass a broken install.
if (skip && process.env.CI) throw new Error(`bpflens in VS Code: cannot run in CI: ${skip}`);
if (skip) console.log(`bpflens in VS Code: skipped, ${skip}`);

// Both load the fixture object on these kernels through the extension's local runner.
before(() => {
  if (skip) return;
  const r = spawnSync('bash', [path.join(ROOT, 'runner', 'setup.sh'), '5.10', '6.18'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `runner setup failed: ${(r.stdout + r.stderr).slice(-2000)}`);
});

test('VS Code extension tests (mocha, test/vscode/suite) in code-server', { skip, timeout: 360_000 }, async (t) => {
  const r = await runSuiteInCodeServer({ ...found!, print: (s) => t.diagnostic(s) });
  t.diagnostic(`${r.passed} passed, ${r.failed} failed (${(r.ms / 1000).toFixed(1)} s)`);
  for (const f of r.failures) t.diagnostic(`FAILED ${f.title}: ${f.error}`);
  assert.equal(r.failed, 0, r.failures.map((f) => `${f.title}: ${f.error}`).join('\n'));
  assert.equal(r.exitCode, 0, 'codeAutomationExit(0)');
  assert.ok(r.passed >= 5, `${r.passed} tests ran`);
});

test('the .vsix in code-server, used through the UI (test/vscode/ui.ts)', { skip, timeout: 420_000 }, async (t) => {
  const r = await runUiTest({ ...found!, print: (s) => t.diagnostic(s) });
  t.diagnostic(`screenshots: ${r.shotsDir}`);
  t.diagnostic(`${r.passed} passed, ${r.failed} failed (${(r.ms / 1000).toFixed(1)} s)`);
  const failed = r.steps.filter((s) => !s.ok);
  assert.equal(failed.length, 0, failed.map((s) => `${s.name}: ${s.error}`).join('\n'));
});
