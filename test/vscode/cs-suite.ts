/**
 * Runs the mocha suite (test/vscode/suite/, the one @vscode/test-electron runs) inside
 * code-server's extension host, with bpflens as packaged: the .vsix is installed into the sandbox
 * and its installed directory is the extension under development (so a file missing from the
 * package fails the suite too):
 *
 *   node out/vscode/cs-suite.js          (npm run test:code-server builds first)
 *
 * The workbench URL's `payload` carries extensionDevelopmentPath/extensionTestsPath (code-server's
 * CLI has no such flags); the workbench reports the result through window.codeAutomationExit and
 * forwards the extension host's console through window.codeAutomationLog, both exposed by
 * playwright before the page loads. Prints `N passed, N failed`; exit status 1 on any failure.
 * KEEP_TMP=1 keeps the sandbox (code-server's log, the workspace).
 */
import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
import {
  browserOptions, SUITE_INDEX, elapsed, ensureVsix, findTools, installVsix, makeSandbox, makeWorkspace, startCodeServer, withTimeout,
} from './env';

export interface SuiteResult {
  passed: number;
  failed: number;
  exitCode: number;
  failures: { title: string; error: string }[];
  ms: number;
}

export async function runSuiteInCodeServer(opts: { codeServer: string; chromium: string; print?: (s: string) => void; timeoutMs?: number }): Promise<SuiteResult> {
  const print = opts.print ?? ((s: string) => console.log(s));
  const t0 = Date.now();
  if (!fs.existsSync(`${SUITE_INDEX}.js`)) throw new Error(`${SUITE_INDEX}.js is not built: node test/vscode/build.mjs`);
  const sb = makeSandbox('bpflens-cs-suite-');
  const ws = makeWorkspace(sb.dir);
  installVsix(opts.codeServer, sb, ensureVsix().file);
  // Out of the extensions directory, so the packaged extension is loaded once: as the one under test.
  const installed = fs.readdirSync(sb.extensions).filter((d) => d.startsWith('bpflens.bpflens-'));
  if (installed.length !== 1) throw new Error(`the .vsix did not install into ${sb.extensions}: ${fs.readdirSync(sb.extensions).join(', ')}`);
  const extension = path.join(sb.dir, 'packaged', installed[0]);
  fs.mkdirSync(path.dirname(extension));
  fs.renameSync(path.join(sb.extensions, installed[0]), extension);
  sb.env.BPFLENS_SUITE_PACKAGED = '1';
  const resultsFile = path.join(sb.dir, 'results.json');
  sb.env.BPFLENS_SUITE_RESULTS = resultsFile;
  const cs = await startCodeServer(opts.codeServer, sb, ws.dir);
  print(`code-server ready on ${cs.origin} (${elapsed(t0)}); sandbox ${sb.dir}`);
  const { chromium } = await import('playwright-core');
  const browser = browserOptions(sb, opts.chromium);
  const context = await chromium.launchPersistentContext(browser.userDataDir, browser.options);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    let resolveExit!: (code: number) => void;
    const exit = new Promise<number>((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const text = Array.isArray(args) ? format(...(args as [unknown, ...unknown[]])) : String(args);
      for (const line of text.split('\n')) print(`  [ext host${type === 'error' ? ' error' : ''}] ${line}`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    const remote = (p: string) => `vscode-remote://${cs.authority}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(extension)],
      ['extensionTestsPath', remote(SUITE_INDEX)],
    ];
    await page.goto(`${cs.origin}/?folder=${encodeURIComponent(ws.dir)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const exitCode = await withTimeout(exit, opts.timeoutMs ?? 300_000, 'the extension tests in code-server');
    const results = fs.existsSync(resultsFile)
      ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Omit<SuiteResult, 'exitCode' | 'ms'>)
      : { passed: 0, failed: 1, failures: [{ title: 'suite', error: `no results file (exit ${exitCode}); code-server log: ${cs.log}` }] };
    return { ...results, exitCode, ms: Date.now() - t0 };
  } finally {
    await context.close().catch(() => undefined);
    await cs.stop();
    if (!process.env.KEEP_TMP) fs.rmSync(sb.dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const tools = findTools();
  if (tools.skip !== undefined) {
    console.log(`SKIP: ${tools.skip}`);
    return 0;
  }
  const r = await runSuiteInCodeServer(tools);
  for (const f of r.failures) console.log(`FAILED: ${f.title}\n${f.error}`);
  console.log(`${r.passed} passed, ${r.failed} failed (${(r.ms / 1000).toFixed(1)} s, codeAutomationExit(${r.exitCode}))`);
  return r.failed === 0 && r.exitCode === 0 && r.passed > 0 ? 0 : 1;
}

// Only as a script (this module is also bundled into the node:test file).
if (require.main?.filename.endsWith(`${path.sep}cs-suite.js`)) {
  main().then((code) => process.exit(code), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
