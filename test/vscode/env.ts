/**
 * The pieces every real-VS-Code test shares (no `vscode` import: this runs in plain Node):
 * where code-server and Chromium are, a sandbox per run (user data, extensions, XDG dirs, config)
 * so nothing is written into $HOME, a code-server started on a free port and stopped with its
 * whole process group, and the .vsix.
 *
 * Electron VS Code cannot be downloaded on the CI machine; code-server (installed from npm by
 * scripts/setup-code-server.sh) is the real workbench plus VS Code's Node extension host, which
 * is where the client and the language server run. See /work/shared/notes/vscode-e2e.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

function findRoot(dir: string): string {
  if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'server'))) return dir;
  const up = path.dirname(dir);
  if (up === dir) throw new Error(`cannot find the bpflens checkout above ${__dirname}`);
  return findRoot(up);
}

export const ROOT = findRoot(__dirname);
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
/** The compiled mocha suite (test/vscode/build.mjs), shared by @vscode/test-electron and code-server. */
export const SUITE_INDEX = path.join(ROOT, 'out', 'vscode', 'suite', 'index');
export const CODE_SERVER_DIR = process.env.BPFLENS_CODE_SERVER_DIR || path.join(ROOT, '.cache', 'code-server');

export type Found = { path: string; skip?: undefined } | { path?: undefined; skip: string };

/** code-server's wrapper ($CODE_SERVER, else the one scripts/setup-code-server.sh installed), or why there is none. */
export function findCodeServer(): Found {
  const env = process.env.CODE_SERVER;
  if (env) return fs.existsSync(env) ? { path: env } : { skip: `CODE_SERVER=${env} does not exist` };
  const bin = path.join(CODE_SERVER_DIR, 'code-server');
  const installed = fs.existsSync(CODE_SERVER_DIR) && fs.readdirSync(CODE_SERVER_DIR).some((f) => f.startsWith('.installed-'));
  if (installed && fs.existsSync(bin)) return { path: bin };
  const why = path.join(CODE_SERVER_DIR, 'UNAVAILABLE');
  if (fs.existsSync(why)) return { skip: `code-server could not be installed: ${fs.readFileSync(why, 'utf8').trim()}` };
  return { skip: `code-server is not installed in ${CODE_SERVER_DIR}: run bash scripts/setup-code-server.sh` };
}

/** Debian's Chromium (playwright-core never downloads a browser here). */
export function findChromium(): Found {
  for (const p of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[]) {
    if (fs.existsSync(p)) return { path: p };
  }
  return { skip: 'no Chromium: apt-get install chromium (scripts/setup-code-server.sh does)' };
}

/** Both tools, or why a run cannot happen (what the scripts print as `SKIP:` and code-server.test.ts as its skip). */
export function findTools(): { codeServer: string; chromium: string; skip?: undefined } | { skip: string } {
  const cs = findCodeServer();
  const chromium = findChromium();
  return cs.path && chromium.path ? { codeServer: cs.path, chromium: chromium.path } : { skip: (cs.skip ?? chromium.skip)! };
}

// ---- the .vsix --------------------------------------------------------------------------------

export function vsixFile(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
}

/** Files a .vsix is built from; the package is stale when any is newer. */
function packagedInputs(): string[] {
  const out = ['package.json', '.vscodeignore', 'README.md', 'language-configuration.json'].map((f) => path.join(ROOT, f));
  for (const dir of ['dist', 'grammars', 'media']) {
    const walk = (d: string): void => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (!e.name.endsWith('.map')) out.push(path.join(d, e.name));
      }
    };
    walk(path.join(ROOT, dir));
  }
  return out.filter((f) => fs.existsSync(f));
}

/**
 * The .vsix `npm run package` builds, rebuilt (vsce, the same command as `npm run package:vsix`,
 * written to a temporary name then renamed) when missing or older than what goes into it.
 * `dist/` must be built.
 */
export function ensureVsix(): { file: string; built: boolean; ms: number } {
  const file = vsixFile();
  const t0 = Date.now();
  const newest = Math.max(...packagedInputs().map((f) => fs.statSync(f).mtimeMs));
  if (fs.existsSync(file) && fs.statSync(file).mtimeMs >= newest) return { file, built: false, ms: 0 };
  if (!fs.existsSync(path.join(ROOT, 'dist', 'client.js'))) throw new Error('dist/ is not built: npm run build');
  const tmp = `${file}.${process.pid}.tmp.vsix`;
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', tmp], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`vsce package failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  fs.renameSync(tmp, file);
  return { file, built: true, ms: Date.now() - t0 };
}

// ---- the workspace ----------------------------------------------------------------------------

export interface Workspace {
  dir: string;
  /** The verifier log (`*.verifier.log`, so it opens as `bpf-verifier-log`). */
  log: string;
  /** The object beside the log: the server finds `*.o` next to a log. */
  object: string;
  /** The C source at the path the object's DWARF names (`test/fixtures/src/…`, relative to where clang ran). */
  source: string;
}

/**
 * A user's project made from a real rejected program: its C source, the object clang built from
 * it and the log a real kernel printed while loading it. The object's DWARF names the source
 * relative to the compile directory, so the source sits at that relative path under the folder,
 * the object and the log at its top.
 */
export function makeWorkspace(parent: string, name = 'xdp_nobounds'): Workspace {
  const dir = path.join(parent, 'workspace');
  const srcRel = path.join('test', 'fixtures', 'src', `${name}.c`);
  fs.mkdirSync(path.join(dir, path.dirname(srcRel)), { recursive: true });
  const ws: Workspace = {
    dir,
    log: path.join(dir, `${name}.verifier.log`),
    object: path.join(dir, `${name}.o`),
    source: path.join(dir, srcRel),
  };
  fs.copyFileSync(path.join(FIXTURES, 'logs', `${name}.L1.log`), ws.log);
  fs.copyFileSync(path.join(FIXTURES, 'obj', `${name}.o`), ws.object);
  fs.copyFileSync(path.join(FIXTURES, srcRel.slice('test/fixtures/'.length)), ws.source);
  return ws;
}

// ---- the sandbox and code-server --------------------------------------------------------------

export interface Sandbox {
  dir: string;
  userData: string;
  extensions: string;
  config: string;
  env: NodeJS.ProcessEnv;
}

/** Settings that keep the workbench quiet and deterministic (no tips, updates, trust prompts, animations). */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'editor.hover.delay': 300,
  'editor.minimap.enabled': false,
  // Screenshots without every other "0" boxed by word highlighting.
  'editor.occurrencesHighlight': 'off',
  'editor.selectionHighlight': false,
  'workbench.reduceMotion': 'on',
  'window.commandCenter': false,
  'git.enabled': false,
};

/** A fresh directory tree for one code-server: nothing outside it is written. */
export function makeSandbox(prefix: string, settings: Record<string, unknown> = {}): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const sb: Sandbox = {
    dir,
    userData: path.join(dir, 'user-data'),
    extensions: path.join(dir, 'extensions'),
    config: path.join(dir, 'config.yaml'),
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
      XDG_DATA_HOME: path.join(dir, 'xdg-data'),
      XDG_CACHE_HOME: path.join(dir, 'xdg-cache'),
      // The local runner's cache, should anything start it: never the user's.
      BPFLENS_RUNNER_CACHE: process.env.BPFLENS_RUNNER_CACHE || path.join(ROOT, '.cache', 'runner'),
    },
  };
  for (const d of [sb.userData, path.join(sb.userData, 'User'), sb.extensions, sb.env.XDG_CONFIG_HOME!, sb.env.XDG_DATA_HOME!, sb.env.XDG_CACHE_HOME!]) {
    fs.mkdirSync(d, { recursive: true });
  }
  fs.writeFileSync(sb.config, 'auth: none\ncert: false\n');
  fs.writeFileSync(path.join(sb.userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  return sb;
}

function baseArgs(sb: Sandbox): string[] {
  return ['--config', sb.config, '--user-data-dir', sb.userData, '--extensions-dir', sb.extensions];
}

/** `code-server --install-extension <vsix>` into the sandbox's extensions dir. */
export function installVsix(codeServer: string, sb: Sandbox, vsix: string): string {
  const r = spawnSync(codeServer, [...baseArgs(sb), '--install-extension', vsix, '--force'], { cwd: sb.dir, env: sb.env, encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (${r.status ?? r.signal}):\n${out}`);
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

const live = new Set<ChildProcess>();
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
// Whatever happens to the test process, its code-servers go with it.
process.on('exit', () => {
  for (const c of live) killGroup(c, 'SIGKILL');
});

export interface RunningCodeServer {
  port: number;
  /** host:port, the remote authority the workbench uses. */
  authority: string;
  origin: string;
  /** code-server's own output. */
  log: string;
  /** SIGTERM to the whole process group (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** Starts code-server on a free port in its own process group; resolves when /healthz answers. */
export async function startCodeServer(codeServer: string, sb: Sandbox, folder: string): Promise<RunningCodeServer> {
  const port = await freePort();
  // The 1.139+ workbench honours a URL payload (extension tests) only with the smoke-test driver
  // enabled; code-servers that have --vscode-option pass it on (4.100.3 has neither need nor option).
  const help = spawnSync(codeServer, [...baseArgs(sb), '--help'], { cwd: sb.dir, env: sb.env, encoding: 'utf8' }).stdout ?? '';
  const extra = help.includes('--vscode-option') ? ['--vscode-option', 'enable-smoke-test-driver'] : [];
  const log = path.join(sb.dir, 'code-server.log');
  const fd = fs.openSync(log, 'a');
  const child = spawn(codeServer, [
    ...baseArgs(sb), '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--ignore-last-opened', ...extra, folder,
  ], { cwd: sb.dir, env: sb.env, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    killGroup(child, 'SIGTERM');
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    live.delete(child);
  };
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}) before it was ready:\n${fs.readFileSync(log, 'utf8').slice(-2000)}`);
    if ((await get(`${origin}/healthz`)) === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz within 60 s:\n${fs.readFileSync(log, 'utf8').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { port, authority: `127.0.0.1:${port}`, origin, log, stop };
}

/** Chromium flags for a headless, offline, throwaway browser. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-breakpad',
];

/**
 * playwright-core's persistent-context options for Debian's Chromium inside the sandbox: its
 * profile, and a HOME/XDG environment there too (Chromium otherwise writes ~/.config/chromium
 * crash-report settings and ~/.cache/dconf).
 */
export function browserOptions(sb: Sandbox, chromium: string): { userDataDir: string; options: { executablePath: string; headless: boolean; viewport: { width: number; height: number }; args: string[]; env: Record<string, string> } } {
  const home = path.join(sb.dir, 'browser-home');
  fs.mkdirSync(home, { recursive: true });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(sb.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') });
  return {
    userDataDir: path.join(sb.dir, 'browser'),
    options: { executablePath: chromium, headless: true, viewport: { width: 1280, height: 800 }, args: CHROMIUM_ARGS, env },
  };
}

/** `promise`, or a rejection after `ms`; the timer is always cleared (a live timer keeps Node running). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function elapsed(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}
