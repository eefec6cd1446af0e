/**
 * The host kernel as a matrix target, opt-in (`--kernels host`): loading untrusted objects into
 * the machine's own kernel is the user's call. Same loader and the same cells as the VMs.
 * The host's own settings are not changed, so only the `default` and `unpriv` variants run here.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultCacheDir, loadedCell, loaderFlags, problemCell, repoRoot, variantName, type Cell, type LoaderMeta, type Variant } from './vm';

/** The fixture loader built for the host (dynamically linked against Debian's libbpf), rebuilt when its source changes. */
function hostLoader(cacheDir: string): string {
  const src = path.join(repoRoot(), 'runner', 'loader', 'bpfload.c');
  const bin = path.join(cacheDir, 'host', 'bpfload');
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    execFileSync('gcc', ['-O2', '-o', bin, src, '-lbpf', '-lelf', '-lz']);
  }
  return bin;
}

export function runHost(opts: { objects: string[]; logLevel: 1 | 2; variants?: Variant[]; cacheDir?: string; programs?: string[] }): Cell[] {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const loader = hostLoader(cacheDir);
  const cells: Cell[] = [];
  for (const variant of opts.variants ?? [{}]) {
    const name = variantName(variant);
    for (const object of opts.objects) {
      const base = { kernel: 'host', kernelRelease: os.release(), object, bootMs: 0, logLevel: opts.logLevel, variant: name };
      if (variant.lsm || variant.jitHarden) {
        cells.push(problemCell(base, `variant ${name} is not run on the host: it would change the host's kernel settings`));
        continue;
      }
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-host-'));
      try {
        const r = spawnSync(loader, [...loaderFlags(variant, opts.programs), object, String(opts.logLevel), out], { encoding: 'utf8' });
        const metas = fs.readdirSync(out).filter((f) => f.endsWith(`.L${opts.logLevel}.json`));
        if (!metas.length) cells.push(problemCell(base, `loader exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`));
        for (const m of metas) {
          const meta = JSON.parse(fs.readFileSync(path.join(out, m), 'utf8')) as LoaderMeta;
          const stem = path.join(out, m.slice(0, -'.json'.length));
          const read = (ext: string) => (fs.existsSync(stem + ext) ? fs.readFileSync(stem + ext, 'utf8') : '');
          cells.push(loadedCell(base, meta, read('.log'), read('.libbpf.txt')));
        }
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
  }
  return cells;
}
