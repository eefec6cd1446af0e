/** Paths and readers for the real fixtures (tests run from out/, fixtures live in the source tree). */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

function findRoot(dir: string): string {
  return fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'server'))
    ? dir
    : findRoot(path.dirname(dir));
}

export const ROOT = findRoot(__dirname);
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export function read(rel: string): string {
  return fs.readFileSync(path.join(FIXTURES, rel), 'utf8');
}

export function list(dir: string, suffix: string): string[] {
  return fs.readdirSync(path.join(FIXTURES, dir)).filter((f) => f.endsWith(suffix)).sort().map((f) => path.join(dir, f));
}

export interface LoadMeta {
  program: string;
  verdict: 'accepted' | 'rejected';
  errno: number;
  errnoName?: string;
  logLevel: number;
}

export function meta(logRel: string): LoadMeta {
  return JSON.parse(read(logRel.replace(/\.log$/, '.json'))) as LoadMeta;
}

/** A fresh temp directory, removed when the test process exits (whatever the outcome). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The loader every real load of the project goes through (runner/loader/bpfload.c), built for this host into `dir`. */
export function buildLoader(dir: string): string {
  const loader = path.join(dir, 'bpfload');
  execFileSync('gcc', ['-O2', '-o', loader, path.join(ROOT, 'runner', 'loader', 'bpfload.c'), '-lbpf', '-lelf', '-lz']);
  return loader;
}
