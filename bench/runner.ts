/**
 * The kernel-matrix runner: one object on every kernel, booting a VM per kernel (the cold path, the
 * baseline of this run) against the same matrix on a pool of VMs booted beforehand. The issue's
 * target is absolute: a warm 5-kernel matrix in at most 5 s. Skipped, saying why, without the
 * runner cache (`bash runner/setup.sh all`, which needs the network).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { VmPool } from '../runner/src/pool';
import { cacheReady, defaultCacheDir, KERNELS, runMatrix, type Cell, type MatrixOptions } from '../runner/src/vm';
import { ROOT } from '../test/helpers/fixtures';
import { fmtMs, fmtX, median, msSince, notes, now, row, section } from './report';

const OBJECT_REL = 'test/fixtures/obj/xdp_nobounds.o';
const WARM_RUNS = 3;
const TARGET_MS = 5000;

async function timedMatrix(opts: MatrixOptions): Promise<{ ms: number; cells: Cell[] }> {
  const t0 = now();
  const cells = await runMatrix(opts);
  return { ms: msSince(t0), cells };
}

/** What must not differ between a cold and a warm run (boot and load times do). */
const outcome = (cells: Cell[]) => JSON.stringify(cells.map((c) => [c.kernel, c.program, c.verdict, c.errno, c.log, c.vmProblem ?? '']));

export async function benchRunner(): Promise<void> {
  section(`runner: ${KERNELS.length}-kernel matrix of ${OBJECT_REL} (L1, default variant), cold VMs vs a warm pool`);
  const cacheDir = defaultCacheDir();
  if (!cacheReady(cacheDir, [...KERNELS])) {
    console.log(`skipped: ${cacheDir} lacks a kernel or the initramfs (bash runner/setup.sh all fills it)`);
    return;
  }
  // Cheap when nothing changed; rebuilds the initramfs when guest-init.sh or the loader did.
  const setup = spawnSync('bash', [path.join(ROOT, 'runner', 'setup.sh'), ...KERNELS], { encoding: 'utf8', env: { ...process.env, BPFLENS_RUNNER_CACHE: cacheDir } });
  if (setup.status !== 0) throw new Error(`runner/setup.sh failed: ${(setup.stdout + setup.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  const opts: MatrixOptions = { objects: [path.join(ROOT, OBJECT_REL)], kernels: [...KERNELS], logLevel: 1, cacheDir };
  const cold = await timedMatrix(opts);
  const pool = new VmPool();
  try {
    const t0 = now();
    await pool.warm([...KERNELS], [{}], { cacheDir });
    const warmUp = msSince(t0);
    const runs: { ms: number; cells: Cell[] }[] = [];
    for (let i = 0; i < WARM_RUNS; i++) runs.push(await timedMatrix({ ...opts, pool }));
    const warm = median(runs.map((r) => r.ms));
    const { boots } = pool.stats();
    console.log(`cold (a VM booted per kernel, 2 at a time): ${fmtMs(cold.ms)}; boots ${cold.cells.map((c) => `${c.kernel} ${c.bootMs} ms`).join(', ')}`);
    console.log(`pool warm-up (${boots} boots, 2 at a time): ${fmtMs(warmUp)}`);
    console.log(`warm, ${WARM_RUNS} runs: ${runs.map((r) => fmtMs(r.ms)).join(', ')} → median ${fmtMs(warm)}; loads ${runs[0].cells.map((c) => `${c.kernel} ${c.loadMs} ms`).join(', ')}`);
    row('runner: cold 5-kernel matrix', fmtMs(cold.ms), '—', '—', 'baseline', 'info');
    row(`runner: warm 5-kernel matrix (median of ${WARM_RUNS})`, fmtMs(warm), `cold ${fmtMs(cold.ms)}`, fmtX(warm / cold.ms), '≤ 5 s', warm <= TARGET_MS ? 'PASS' : 'FAIL');
    row('runner: pool warm-up (boots)', fmtMs(warmUp), `cold ${fmtMs(cold.ms)}`, fmtX(warmUp / cold.ms), '—', 'info');
    const same = runs.every((r) => outcome(r.cells) === outcome(cold.cells)) && boots === KERNELS.length;
    row('runner: warm cells = cold cells, no boot after warm-up', same ? 'yes' : 'no', '—', '—', 'verdicts and logs equal', same ? 'PASS' : 'FAIL');
    if (!same) notes.push(`runner: warm and cold cells differ, or the warm runs booted (boots ${boots}): ${outcome(cold.cells).slice(0, 300)}`);
  } finally {
    await pool.close();
  }
}
