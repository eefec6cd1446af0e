/**
 * bpflens as a user sees it: the packaged .vsix installed into a sandboxed code-server (the real
 * VS Code workbench), a workspace made from a real rejected program, and Chromium driven by
 * playwright-core through the steps below. Every step asserts what is on screen and saves a
 * screenshot.
 *
 *   node out/vscode/ui.js            (npm run test:ui packages and builds first)
 *
 * SHOTS_DIR: where the screenshots go (default .cache/e2e-shots/). KEEP_TMP=1 keeps the sandbox.
 * Prints `N passed, N failed`; exit status 1 when any step failed (a failed step stops the run:
 * the rest count as failed).
 *
 * Adding a step: append to STEPS.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { listening } from '../helpers/runner-process';
import {
  browserOptions, ROOT, elapsed, ensureVsix, findTools, installVsix, makeSandbox, makeWorkspace,
  startCodeServer, type RunningCodeServer, type Sandbox, type Workspace,
} from './env';

/** What every step gets. */
export interface Ui {
  page: Page;
  ws: Workspace;
  cs: RunningCodeServer;
  sandbox: Sandbox;
  /** Lines of the fixture's C source and log, as on disk before any step ran. */
  cLines: string[];
  logLines: string[];
  /**
   * Saves `<NN>-<name>.png` (the whole window, or only `part`, e.g. the editor or the panel) in the
   * screenshots directory and returns its path.
   */
  shot(name: string, part?: Locator): Promise<string>;
}

export interface Step {
  name: string;
  /** Throws when what the user should see is not there; may return a line of detail for the report. */
  run(ui: Ui): Promise<string | void>;
}

const T = { short: 30_000, long: 120_000 };

// ---- helpers a step uses ----------------------------------------------------------------------

/** Monaco draws spaces as U+00A0. */
const norm = (s: string): string => s.replace(/\u00a0/g, ' ');

/** The active editor's rendered line containing `text`. */
function viewLine(page: Page, text: string): Locator {
  return page.locator('.part.editor .monaco-editor .view-line').filter({ hasText: norm(text).replace(/ /g, '\u00a0') }).first();
}

/** The active editor's rendered lines, top to bottom (Monaco reuses line elements, so DOM order is not line order). */
async function renderedLines(page: Page): Promise<string[]> {
  const lines = await page.locator('.part.editor .monaco-editor .view-line').evaluateAll((els) =>
    els.map((e) => ({ top: e.getBoundingClientRect().top, text: (e as HTMLElement).innerText })));
  return lines.sort((a, b) => a.top - b.top).map((l) => norm(l.text));
}

/** Waits until every animation has finished (hover and menus fade in; a screenshot catches them half-drawn). */
export async function settleAnimations(page: Page): Promise<void> {
  await page.evaluate(() => Promise.race([
    Promise.all(document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity).map((a) => a.finished)),
    new Promise((r) => setTimeout(r, 1000)),
  ])).catch(() => undefined);
  await page.waitForTimeout(150);
}

/**
 * The on-screen rectangle of `needle` (from character `from` of it, `length` characters) in the
 * active editor's line containing `lineText`: a Range over the line's text nodes, because the
 * line element spans the whole editor width.
 */
export async function textRect(page: Page, lineText: string, needle: string, from = 0, length = needle.length): Promise<{ x: number; y: number; width: number; height: number }> {
  const r = await page.evaluate(({ lineText, needle, from, length }) => {
    const n = (s: string) => s.replace(/\u00a0/g, ' ');
    const lines = [...document.querySelectorAll('.part.editor .monaco-editor .view-line')];
    const line = lines.find((l) => n(l.textContent ?? '').includes(lineText));
    if (!line) return null;
    const start = n(line.textContent ?? '').indexOf(needle, n(line.textContent ?? '').indexOf(lineText)) + from;
    const end = start + length;
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let pos = 0;
    let started = false;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const len = node.textContent?.length ?? 0;
      if (!started && start < pos + len) {
        range.setStart(node, start - pos);
        started = true;
      }
      if (started && end <= pos + len) {
        range.setEnd(node, end - pos);
        const b = range.getBoundingClientRect();
        return { x: b.x, y: b.y, width: b.width, height: b.height };
      }
      pos += len;
    }
    return null;
  }, { lineText, needle, from, length });
  if (!r) throw new Error(`"${needle}" not found on a rendered line containing "${lineText}"`);
  return r;
}

async function centre(page: Page, lineText: string, needle: string, from = 0, length = needle.length): Promise<{ x: number; y: number }> {
  const r = await textRect(page, lineText, needle, from, length);
  return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
}

/** Quick Open (Ctrl+P) a file of the workspace by name; waits for its tab and `firstLine`. */
export async function quickOpen(page: Page, fileName: string, someLine: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: T.short });
  await input.fill(fileName);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor({ timeout: T.short });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: fileName }).first().waitFor({ timeout: T.short });
  await viewLine(page, someLine).waitFor({ timeout: T.short });
}

/**
 * Runs a command from the command palette by its full title ("bpflens: Load Object on Kernels…"):
 * F1, type the title, wait for the row, Enter.
 */
export async function runFromCommandPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: T.short });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: T.short });
  await page.keyboard.press('Enter');
}

/** The error squiggles in the active editor, with their rectangles. */
async function squiggles(page: Page): Promise<{ x: number; y: number; width: number; height: number }[]> {
  return page.locator('.part.editor .monaco-editor .squiggly-error').evaluateAll((els) => els.map((e) => {
    const b = e.getBoundingClientRect();
    return { x: b.x, y: b.y, width: b.width, height: b.height };
  }));
}

/** A squiggle on the rendered line containing `lineText`, starting at `needle` (within 2 px). */
async function waitForSquiggleAt(page: Page, lineText: string, needle?: string): Promise<void> {
  const deadline = Date.now() + T.long;
  for (;;) {
    const target = await textRect(page, lineText, needle ?? lineText).catch(() => null);
    const found = target && (await squiggles(page)).some((s) => Math.abs((s.y + s.height / 2) - (target.y + target.height / 2)) < target.height / 2 + 2 && (!needle || Math.abs(s.x - target.x) <= 2));
    if (found) return;
    if (Date.now() > deadline) {
      throw new Error(`no error squiggle on the line "${lineText}"${needle ? ` at "${needle}"` : ''} within ${T.long / 1000} s (squiggles: ${JSON.stringify(await squiggles(page))}, target ${JSON.stringify(target)})`);
    }
    await page.waitForTimeout(250);
  }
}

/** Moves the mouse onto the text and returns the hover's text once it contains `expect`. */
async function hoverOn(page: Page, lineText: string, needle: string, expect: RegExp, from = 0, length = needle.length): Promise<string> {
  const deadline = Date.now() + T.long;
  for (let i = 0; ; i++) {
    const p = await centre(page, lineText, needle, from, length);
    // Leave and come back so each attempt is a fresh hover request.
    await page.mouse.move(5, 5);
    await page.mouse.move(p.x, p.y, { steps: 4 });
    try {
      const content = page.locator('.monaco-hover-content').filter({ hasText: expect }).first();
      await content.waitFor({ state: 'visible', timeout: 5000 });
      return norm(await content.innerText());
    } catch (e) {
      if (Date.now() > deadline) {
        const seen = await page.locator('.monaco-hover-content').allInnerTexts().catch(() => []);
        throw new Error(`no hover matching ${expect} on "${needle}" (saw: ${JSON.stringify(seen)}): ${(e as Error).message}`);
      }
    }
  }
}

/** Clicks into the text and waits until the status bar shows the caret there. */
async function clickAt(page: Page, lineText: string, needle: string, expectLn: number): Promise<void> {
  const p = await centre(page, lineText, needle);
  await page.mouse.click(p.x, p.y);
  await page.locator('#status\\.editor\\.selection', { hasText: `Ln ${expectLn},` }).waitFor({ timeout: T.short });
}

function assert(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

// ---- the steps --------------------------------------------------------------------------------

const LOG = 'xdp_nobounds.verifier.log';
const C = 'xdp_nobounds.c';
const FAILING_C = 'if (ip->protocol == IPPROTO_UDP)';
const FIX_TITLE = 'if ((void *)(ip + 1) > data_end) return 0;';

export const STEPS: Step[] = [
  {
    name: 'workbench',
    async run(ui) {
      await ui.page.locator('.monaco-workbench').waitFor({ timeout: T.long });
      await ui.page.locator('.explorer-folders-view .monaco-list-row', { hasText: LOG }).waitFor({ timeout: T.long });
      await ui.shot('workbench');
    },
  },
  {
    name: 'log opens as a verifier log, squiggled, verdict in the status bar',
    async run(ui) {
      const { page } = ui;
      await quickOpen(page, LOG, ui.logLines[0]);
      await page.locator('#status\\.editor\\.mode', { hasText: 'eBPF Verifier Log' }).waitFor({ timeout: T.long });
      await waitForSquiggleAt(page, 'invalid access to packet, off=23');
      await page.locator('.statusbar-item', { hasText: 'BPF rejected' }).first().waitFor({ timeout: T.long });
      const status = norm(await page.locator('.statusbar-item', { hasText: 'BPF rejected' }).first().innerText());
      assert(/12 insns/.test(status), `status bar verdict: ${status}`);
      await ui.shot('log-squiggle');
      return `status bar: ${status.replace(/\s+/g, ' ')}`;
    },
  },
  {
    name: 'hover on R1 in the log: its state and the C variables it holds',
    async run(ui) {
      // insn 11 reads through r1: "11: (71) r1 = *(u8 *)(r1 +23)"; hover the r1 of "(r1 +23)".
      const text = await hoverOn(ui.page, '11: (71)', '(r1 +23)', /C variable/, 1, 2);
      assert(/pkt\(/.test(text), `the hover shows R1's state (a packet pointer): ${text}`);
      assert(text.includes('ip (struct iphdr *) = R1+14'), `the hover names the C variable ip: ${text}`);
      await settleAnimations(ui.page);
      await ui.shot('log-hover');
      await ui.shot('log-hover-editor', ui.page.locator('.part.editor'));
      return text.split('\n').slice(0, 3).join(' | ');
    },
  },
  {
    name: 'C source: squiggle on the failing line (the member the DWARF column points at)',
    async run(ui) {
      const { page } = ui;
      await page.mouse.move(5, 5);
      await quickOpen(page, C, 'parse_ip');
      await waitForSquiggleAt(page, FAILING_C, 'protocol');
      await page.locator('#status\\.problems', { hasText: /\d/ }).first().waitFor({ timeout: T.short });
      await ui.shot('c-squiggle');
    },
  },
  {
    name: 'Problems panel: message, category, code, location, inline chain',
    async run(ui) {
      const { page, cLines } = ui;
      await page.keyboard.press('Control+Shift+M');
      const line = cLines.findIndex((l) => l.includes(FAILING_C)) + 1;
      const col = cLines[line - 1].indexOf('protocol') + 1;
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: `[Ln ${line}, Col ${col}]` }).first();
      await row.waitFor({ timeout: T.long });
      const text = norm(await row.innerText()).replace(/\s+/g, ' ');
      for (const want of ['R1 offset is outside of the packet (insn 11)', 'bpflens', 'pkt-out-of-bounds', 'Memory Safety: ']) {
        assert(text.includes(want), `the Problems row has "${want}": ${text}`);
      }
      const all = norm((await page.locator('.markers-panel').innerText())).replace(/\s+/g, ' ');
      assert(/Memory Safety/.test(all), `the category "Memory Safety" is in the Problems panel: ${all}`);
      // Related information (the inline chain and the log line) as child rows of the C error.
      assert(/parse_ip/.test(all) && /verifier log: insn 11/.test(all), `the inline chain and the log line as related rows: ${all}`);
      const badge = norm(await page.locator('.part.panel .composite-bar .action-item', { hasText: /Problems/i }).locator('.badge-content').first().innerText().catch(() => '?'));
      await ui.shot('problems');
      await ui.shot('problems-panel', page.locator('.part.panel'));
      return `row: ${text}; badge ${badge}`;
    },
  },
  {
    name: 'hover on the C squiggle: the diagnosis and its inline chain',
    async run(ui) {
      const { page } = ui;
      const text = await hoverOn(page, FAILING_C, 'protocol', /Inline chain/);
      assert(/Memory Safety/.test(text), `the hover has the category: ${text}`);
      assert(/`?parse_ip`? at xdp_nobounds\.c:22:\d+, inlined into `?xdp_nobounds`? at xdp_nobounds\.c:38/.test(text), `the hover has the inline chain: ${text}`);
      await settleAnimations(page);
      await ui.shot('c-hover');
      return text.split('\n').filter((l) => /Inline chain/.test(l)).join('');
    },
  },
  {
    name: 'Ctrl+. on the C squiggle: the bounds-check quick fix, applied',
    async run(ui) {
      const { page, cLines } = ui;
      await page.mouse.move(5, 5);
      await page.keyboard.press('Escape');
      const line = cLines.findIndex((l) => l.includes(FAILING_C)) + 1;
      await clickAt(page, FAILING_C, 'protocol', line);
      await page.keyboard.press('Control+.');
      const item = page.locator('.action-widget .monaco-list-row', { hasText: FIX_TITLE }).first();
      await item.waitFor({ timeout: T.long });
      // Keyboard only: a click on the action widget lands on its pointer block.
      for (let i = 0; i < 10 && !(await item.evaluate((e) => e.classList.contains('focused'))); i++) await page.keyboard.press('ArrowDown');
      await settleAnimations(page);
      await ui.shot('quick-fix-menu');
      await ui.shot('quick-fix-menu-editor', page.locator('.part.editor'));
      await page.keyboard.press('Enter');
      // The check goes right before the failing line, indented like it, its body one level deeper
      // (the source's own comment above mentions the same check, so match whole lines).
      const check = 'if ((void *)(ip + 1) > data_end)';
      let rendered: string[] = [];
      let at = -1;
      for (const deadline = Date.now() + T.short; at < 0 && Date.now() < deadline; await page.waitForTimeout(200)) {
        rendered = await renderedLines(page);
        at = rendered.findIndex((l) => l.trim() === check);
      }
      assert(at >= 0, `a line "${check}" appears: ${JSON.stringify(rendered)}`);
      assert(rendered[at + 1]?.trim() === 'return 0;' && rendered[at + 2]?.includes(FAILING_C), `the fix sits before the failing line: ${JSON.stringify(rendered.slice(at - 1, at + 3))}`);
      assert(rendered[at + 1].indexOf('return') > rendered[at].indexOf('if'), 'the return is indented under the if');
      // Saved, the file on disk has the check right before the failing line.
      await page.keyboard.press('Control+S');
      const want = ui.cLines.slice();
      const failing = want.findIndex((l) => l.includes(FAILING_C));
      want.splice(failing, 0, '\tif ((void *)(ip + 1) > data_end)', '\t\treturn 0;');
      let disk = '';
      for (const deadline = Date.now() + T.short; disk !== want.join('\n') && Date.now() < deadline; await page.waitForTimeout(200)) {
        disk = fs.readFileSync(ui.ws.source, 'utf8');
      }
      assert(disk === want.join('\n'), `the saved C file has the check before line ${failing + 1}: ${JSON.stringify(disk.split('\n').slice(failing - 1, failing + 3))}`);
      await ui.shot('after-quick-fix');
      await ui.shot('after-quick-fix-editor', page.locator('.part.editor'));
      return `C source now: ${rendered.slice(at, at + 3).map((l) => l.trim()).join(' / ')}`;
    },
  },
  {
    name: 'command palette: the bpflens commands',
    async run(ui) {
      const { page } = ui;
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: T.short });
      await input.fill('>bpflens:');
      const want = ['bpflens: Load Object on Kernels…', 'bpflens: Show Language Server Output', 'bpflens: Treat Current File as Verifier Log', 'bpflens: Compare Two Kernels\' Logs…', 'bpflens: Set Runner Token'];
      await page.locator('.quick-input-list .monaco-list-row', { hasText: want[0] }).first().waitFor({ timeout: T.short });
      const rows = (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((r) => norm(r).replace(/\s+/g, ' '));
      for (const w of want) assert(rows.some((r) => r.includes(w)), `"${w}" in the palette: ${JSON.stringify(rows)}`);
      await settleAnimations(page);
      await ui.shot('command-palette');
      await page.keyboard.press('Escape');
      return `${rows.filter((r) => r.includes('bpflens:')).length} bpflens commands`;
    },
  },
  {
    name: 'walkthrough: Get Started with bpflens',
    async run(ui) {
      const { page } = ui;
      // Room for the walkthrough: close the side bar and the panel.
      await runFromCommandPalette(page, 'View: Close Primary Side Bar');
      await runFromCommandPalette(page, 'View: Hide Panel');
      await runFromCommandPalette(page, 'Welcome: Open Walkthrough...');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'bpflens' }).first().waitFor({ timeout: T.short });
      await page.keyboard.type('bpflens');
      await page.keyboard.press('Enter');
      const steps = ['Open a verifier log', 'Load an object on kernels', 'Read a diagnosis'];
      for (const s of steps) await page.locator('.getting-started-step', { hasText: s }).first().waitFor({ timeout: T.long });
      await settleAnimations(page);
      await ui.shot('walkthrough');
      // Back to the usual layout for whatever step comes next: walkthrough closed, side bar open.
      await page.keyboard.press('Control+W');
      await page.keyboard.press('Control+B');
      await page.locator('.part.sidebar').waitFor({ state: 'visible', timeout: T.short });
    },
  },
];

/**
 * A load through the runner as a user starts it: the command palette, the quick picks answered
 * with their preselection (one object and one program in the workspace, so those two are skipped;
 * the kernels from `bpflens.runner.kernels`, the default variant), the Kernel Matrix filling in,
 * a cell's log opened from the tree, then two kernels compared.
 */
export const loadObjectOnKernelsStep: Step = {
  name: 'Load Object on Kernels… from the command palette fills the Kernel Matrix; a cell opens its log; two kernels compare',
  async run(ui) {
    const { page } = ui;
    await runFromCommandPalette(page, 'bpflens: Load Object on Kernels…');
    for (const title of ['(3/4): kernels', '(4/4): variants']) {
      await page.locator('.quick-input-widget', { hasText: title }).waitFor({ state: 'visible', timeout: T.long });
      await settleAnimations(page);
      await ui.shot(title.includes('kernels') ? 'load-pick-kernels' : 'load-pick-variants');
      await page.keyboard.press('Enter');
    }
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Kernel Matrix' }) });
    await pane.waitFor({ state: 'visible', timeout: T.short });
    const rows = pane.locator('.monaco-list-row');
    let texts: string[] = [];
    for (const deadline = Date.now() + 240_000; Date.now() < deadline; await page.waitForTimeout(500)) {
      texts = await matrixRows(page);
      if (texts.filter((t) => /rejected EACCES/.test(t)).length === 2) break;
    }
    // A row's text is its label then its description.
    assert(texts.some((t) => /^xdp_nobounds ?0\/2 accepted/.test(t)), `the program row: ${JSON.stringify(texts)}`);
    for (const k of ['5.10', '6.18']) assert(texts.some((t) => new RegExp(`^${k.replace('.', '\\.')} ?rejected EACCES`).test(t)), `the ${k} cell: ${JSON.stringify(texts)}`);
    await settleAnimations(page);
    await ui.shot('kernel-matrix');

    await rows.filter({ hasText: '5.10' }).first().click();
    await page.locator('.tabs-container .tab', { hasText: 'xdp_nobounds.5.10.default.verifier.log' }).waitFor({ timeout: T.short });
    // The error sits below the first screen of a level-2 log: the verdict and the tab's problem count say it is diagnosed.
    await page.locator('.statusbar-item', { hasText: 'BPF rejected' }).first().waitFor({ timeout: T.long });
    await page.locator('.tabs-container .tab.active', { hasText: 'xdp_nobounds.5.10.default.verifier.log' }).locator('.label-description, .monaco-icon-label', { hasText: '1' })
      .first().waitFor({ timeout: T.long });
    await settleAnimations(page);
    await ui.shot('kernel-matrix-cell-log');

    await runFromCommandPalette(page, "bpflens: Compare Two Kernels' Logs…");
    for (const pick of ['5.10', '6.18']) {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: `xdp_nobounds on ${pick}` }).first().waitFor({ timeout: T.short });
      await page.keyboard.type(pick);
      await page.keyboard.press('Enter');
    }
    const toast = page.locator('.notification-toast', { hasText: 'first divergence' });
    await toast.waitFor({ timeout: T.long });
    const message = norm(await toast.innerText()).replace(/\s+/g, ' ');
    assert(/5\.10 vs 6\.18: first divergence at row \d+: after insn 9: left R3 = scalar, unbounded/.test(message), `the divergence: ${message}`);
    await page.locator('.monaco-diff-editor').first().waitFor({ timeout: T.short });
    await settleAnimations(page);
    await ui.shot('compare-kernels');
    return `${texts.filter((t) => /EACCES/.test(t)).join(' / ')}; ${message.slice(0, 120)}`;
  },
};

/** The matrix view's rows as text (label then description). */
async function matrixRows(page: Page): Promise<string[]> {
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Kernel Matrix' }) });
  return (await pane.locator('.monaco-list-row').allInnerTexts()).map((r) => norm(r).replace(/\s+/g, ' ').trim());
}

/**
 * A runner elsewhere: `bpflens.runner.url` set, its token typed into "Set Runner Token" (VS Code's
 * secret storage), then a load. The runner has a cache of its own holding only 6.18 (and its own
 * token), so the matrix shows whose kernels it got.
 */
export const remoteRunnerStep: Step = {
  name: 'a runner at bpflens.runner.url, its token in secret storage, loads the object on its one kernel',
  async run(ui) {
    const { page } = ui;
    const local = ui.sandbox.env.BPFLENS_RUNNER_CACHE!;
    const cache = path.join(ui.sandbox.dir, 'remote-runner');
    fs.mkdirSync(path.join(cache, 'kernels'), { recursive: true });
    fs.symlinkSync(path.join(local, 'kernels', '6.18'), path.join(cache, 'kernels', '6.18'));
    fs.symlinkSync(path.join(local, 'initramfs'), path.join(cache, 'initramfs'));
    const runner = spawn(process.execPath, [path.join(ROOT, 'dist', 'runner.js'), '--port', '0', '--host', '127.0.0.1', '--warm', 'none'], {
      env: { ...process.env, BPFLENS_RUNNER_CACHE: cache }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await listening(runner);
      const token = fs.readFileSync(path.join(cache, 'token'), 'utf8').trim();
      // The workspace's settings, as a team would commit them (the setting is machine-overridable).
      fs.mkdirSync(path.join(ui.ws.dir, '.vscode'), { recursive: true });
      fs.writeFileSync(path.join(ui.ws.dir, '.vscode', 'settings.json'), JSON.stringify({ 'bpflens.runner.url': url }, null, 2));

      await runFromCommandPalette(page, 'bpflens: Set Runner Token');
      const input = page.locator('.quick-input-widget input[type="password"]');
      await input.waitFor({ state: 'visible', timeout: T.short });
      await input.fill(token);
      await settleAnimations(page);
      await ui.shot('runner-token');
      await page.keyboard.press('Enter');

      // Only the remote runner's kernel: the kernels pick has one choice and is skipped. Until the
      // workbench has read the new settings file, the local runner answers with its five: try again.
      for (let attempt = 0; ; attempt++) {
        await runFromCommandPalette(page, 'bpflens: Load Object on Kernels…');
        const pick = page.locator('.quick-input-widget', { hasText: /\((3|4)\/4\): (kernels|variants)/ });
        await pick.waitFor({ state: 'visible', timeout: T.long });
        if (/\(4\/4\)/.test(await pick.innerText())) break;
        assert(attempt < 20, 'the workbench never applied bpflens.runner.url from .vscode/settings.json');
        await page.keyboard.press('Escape');
        await page.waitForTimeout(500);
      }
      await page.keyboard.press('Enter');
      let rows: string[] = [];
      for (const deadline = Date.now() + 180_000; Date.now() < deadline; await page.waitForTimeout(500)) {
        rows = await matrixRows(page);
        if (rows.length === 2 && rows.some((t) => /rejected EACCES/.test(t))) break;
      }
      assert(rows.length === 2 && /^xdp_nobounds ?0\/1 accepted/.test(rows[0]) && /^6\.18 ?rejected EACCES/.test(rows[1]), `one 6.18 cell from the remote runner: ${JSON.stringify(rows)}`);
      await settleAnimations(page);
      await ui.shot('remote-runner-matrix');
      return `${url}: ${rows.join(' / ')}`;
    } finally {
      runner.kill('SIGTERM');
    }
  },
};

// After the quick fix, so the earlier steps' screenshots show the workspace untouched by runner logs.
STEPS.push(loadObjectOnKernelsStep, remoteRunnerStep);

// ---- the run ----------------------------------------------------------------------------------

export interface StepResult {
  name: string;
  ok: boolean;
  ms: number;
  detail?: string;
  error?: string;
  shots: string[];
}

export interface UiResult {
  passed: number;
  failed: number;
  steps: StepResult[];
  shotsDir: string;
  ms: number;
  vsix: string;
}

export async function runUiTest(opts: { codeServer: string; chromium: string; steps?: Step[]; shotsDir?: string; print?: (s: string) => void }): Promise<UiResult> {
  const print = opts.print ?? ((s: string) => console.log(s));
  const steps = opts.steps ?? STEPS;
  const t0 = Date.now();
  const shotsDir = opts.shotsDir ?? process.env.SHOTS_DIR ?? path.join(ROOT, '.cache', 'e2e-shots');
  fs.rmSync(shotsDir, { recursive: true, force: true });
  fs.mkdirSync(shotsDir, { recursive: true });

  const vsix = ensureVsix();
  print(`vsix: ${vsix.file}${vsix.built ? ` (built in ${vsix.ms} ms)` : ''}, ${(fs.statSync(vsix.file).size / 1024).toFixed(0)} KB`);
  // The kernels "Load Object on Kernels…" preselects (code-server.test.ts sets them up).
  const sandbox = makeSandbox('bpflens-ui-', { 'bpflens.runner.kernels': ['5.10', '6.18'] });
  const ws = makeWorkspace(sandbox.dir);
  const t1 = Date.now();
  installVsix(opts.codeServer, sandbox, vsix.file);
  const installed = fs.readdirSync(sandbox.extensions).filter((d) => d.startsWith('bpflens.bpflens-'));
  if (installed.length !== 1) throw new Error(`the .vsix did not install into ${sandbox.extensions}: ${fs.readdirSync(sandbox.extensions).join(', ')}`);
  print(`installed ${installed[0]} from the .vsix (${elapsed(t1)})`);
  const cs = await startCodeServer(opts.codeServer, sandbox, ws.dir);
  print(`code-server ready on ${cs.origin} (${elapsed(t0)}); sandbox ${sandbox.dir}`);

  const { chromium } = await import('playwright-core');
  let context: BrowserContext | undefined;
  const results: StepResult[] = [];
  try {
    const browser = browserOptions(sandbox, opts.chromium);
    context = await chromium.launchPersistentContext(browser.userDataDir, browser.options);
    const page = context.pages()[0] ?? (await context.newPage());
    let n = 0;
    let current: StepResult | undefined;
    const ui: Ui = {
      page, ws, cs, sandbox,
      cLines: fs.readFileSync(ws.source, 'utf8').split('\n'),
      logLines: fs.readFileSync(ws.log, 'utf8').split('\n'),
      async shot(name, part) {
        const file = path.join(shotsDir, `${String(++n).padStart(2, '0')}-${name}.png`);
        if (part) await part.screenshot({ path: file });
        else await page.screenshot({ path: file });
        current?.shots.push(file);
        return file;
      },
    };
    await page.goto(`${cs.origin}/?folder=${encodeURIComponent(ws.dir)}`);
    let stopped = false;
    for (const step of steps) {
      const r: StepResult = { name: step.name, ok: false, ms: 0, shots: [] };
      results.push(r);
      if (stopped) {
        r.error = 'not run: an earlier step failed';
        print(`  - ${step.name}: not run`);
        continue;
      }
      current = r;
      const s0 = Date.now();
      try {
        r.detail = (await step.run(ui)) ?? undefined;
        r.ok = true;
      } catch (e) {
        r.error = (e as Error).stack ?? String(e);
        stopped = true;
        await ui.shot('FAILED').catch(() => undefined);
      }
      r.ms = Date.now() - s0;
      print(`  ${r.ok ? 'ok  ' : 'FAIL'} ${step.name} (${(r.ms / 1000).toFixed(1)} s)${r.detail ? `\n         ${r.detail}` : ''}${r.error ? `\n${r.error.replace(/^/gm, '         ')}` : ''}`);
    }
  } finally {
    await context?.close().catch(() => undefined);
    await cs.stop();
    if (!process.env.KEEP_TMP) fs.rmSync(sandbox.dir, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.ok).length;
  return { passed, failed: results.length - passed, steps: results, shotsDir, ms: Date.now() - t0, vsix: vsix.file };
}

async function main(): Promise<number> {
  const tools = findTools();
  if (tools.skip !== undefined) {
    console.log(`SKIP: ${tools.skip}`);
    return 0;
  }
  const r = await runUiTest(tools);
  console.log(`screenshots: ${r.shotsDir}`);
  console.log(`${r.passed} passed, ${r.failed} failed (${(r.ms / 1000).toFixed(1)} s)`);
  return r.failed === 0 ? 0 : 1;
}

// Only as a script (this module is also bundled into the node:test file).
if (require.main?.filename.endsWith(`${path.sep}ui.js`)) {
  main().then((code) => process.exit(code), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
