/**
 * Warm VMs (runner/src/pool.ts) on real kernels: the cold path's cells, a second job served without
 * a boot and without the first job's files, variants switched per job on one VM, a job over its time
 * limit killed and its VM replaced, cancellation, room made for another kernel, and nothing left
 * behind by close() or by the process exiting with warm VMs.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VmPool } from '../../runner/src/pool';
import { defaultCacheDir, readResults, runMatrix, type Cell } from '../../runner/src/vm';
import { qemusOf } from '../helpers/processes';
import { FIXTURES, ROOT, tempDir } from '../helpers/fixtures';

const cacheDir = defaultCacheDir();
const obj = (name: string) => path.join(FIXTURES, 'obj', name);
const NOBOUNDS = obj('xdp_nobounds.o');
const PASS = obj('xdp_pass.o');
const scratch = tempDir('bpflens-pooltest-');
// Every temp file of this process's VMs lands in here (os.tmpdir() reads TMPDIR at each call), so
// "nothing left behind" is "this directory is empty". Test files run in parallel processes.
const vmTmp = tempDir('bpflens-pooltmp-');
process.env.TMPDIR = vmTmp;


async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}

/** A cell without what differs from run to run. */
const stable = (c: Cell) => ({ ...c, bootMs: 0, loadMs: 0 });

describe('runner: warm VM pool', { timeout: 240_000 }, () => {
  before(() => {
    const r = spawnSync('bash', [path.join(ROOT, 'runner', 'setup.sh'), '5.10', '6.18'], { encoding: 'utf8', timeout: 150_000 });
    assert.equal(r.status, 0, `runner setup failed: ${(r.stdout + r.stderr).slice(-2000)}`);
  });
  const pool = new VmPool();
  after(() => pool.close());

  it('gives the cells of the cold path, booting one VM per kernel on first use', async () => {
    const opts = { objects: [NOBOUNDS, PASS, obj('stack_uninit.o')], kernels: ['5.10', '6.18'], logLevel: 1 as const, cacheDir };
    const cold = await runMatrix(opts);
    const warm = await runMatrix({ ...opts, pool });
    assert.deepEqual(warm.map(stable), cold.map(stable));
    assert.deepEqual(cold.map((c) => [c.kernel, c.program, c.verdict]), ['5.10', '6.18'].flatMap((k) => [
      [k, 'xdp_nobounds', 'rejected'], [k, 'xdp_pass', 'accepted'], [k, 'stack_uninit', 'accepted'],
    ]));
    for (const c of warm) assert.ok(c.bootMs > 0, `${c.kernel}: booted for this job, boot ${c.bootMs} ms`);
    assert.deepEqual(pool.stats(), { boots: 2, jobs: 2, vms: 2 });
  });

  it('serves a second job on the warm VM without a boot, and without the first job\'s files', async () => {
    // The same object name in both jobs: a leftover /out/000_prog/ would add the first job's program.
    const [a, b] = ['a', 'b'].map((d) => path.join(scratch, d, 'prog.o'));
    for (const [file, from] of [[a, NOBOUNDS], [b, PASS]]) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.copyFileSync(from, file);
    }
    const boots = pool.stats().boots;
    const first = await runMatrix({ objects: [a], kernels: ['5.10'], logLevel: 1, cacheDir, pool });
    const second = await runMatrix({ objects: [b], kernels: ['5.10'], logLevel: 2, cacheDir, pool });
    assert.deepEqual(first.map((c) => [c.program, c.verdict, c.bootMs, c.logLevel]), [['xdp_nobounds', 'rejected', 0, 1]]);
    assert.deepEqual(second.map((c) => [c.program, c.verdict, c.bootMs, c.logLevel, c.object]), [['xdp_pass', 'accepted', 0, 2, b]]);
    assert.match(second[0].log, /^0: R1=ctx/m, 'a level-2 log');
    assert.equal(pool.stats().boots, boots);
  });

  it('sets the variant per job on one VM: loader flags and bpf_jit_harden', async () => {
    const boots = pool.stats().boots;
    const cells = await runMatrix({
      objects: [obj('stack_uninit.o')], kernels: ['6.18'], logLevel: 1, cacheDir, pool,
      variants: [{}, { unprivileged: true }, { jitHarden: 2 }, {}],
    });
    assert.deepEqual(cells.map((c) => [c.variant, c.verdict]), [['default', 'accepted'], ['unpriv', 'rejected'], ['harden2', 'accepted'], ['default', 'accepted']]);
    assert.match(cells[1].log, /invalid read from stack/);
    assert.equal(pool.stats().boots, boots);
  });

  it('a results area holding another job\'s records is not read as this job\'s', () => {
    const img = path.join(scratch, 'results.img');
    fs.writeFileSync(img, 'BPFLENS-RESULTS 1 7\nrelease x\n@@END\n');
    assert.equal(readResults(img, 7)?.complete, true);
    assert.equal(readResults(img, 8), null);
    assert.equal(readResults(img), null);
  });

  it('kills a job over its time limit, reports it like the cold path, and boots a fresh VM for the next job', async () => {
    const { boots } = pool.stats();
    const vms = qemusOf(process.pid);
    const hung = await runMatrix({ objects: [PASS], kernels: ['5.10'], logLevel: 1, cacheDir, pool, timeoutMs: 1 });
    assert.deepEqual(hung.map((c) => [c.verdict, c.vmProblem, c.program, c.object]), [['error', 'timeout after 1 ms', '', PASS]]);
    await until(() => qemusOf(process.pid).length === vms.length - 1);
    assert.equal(qemusOf(process.pid).length, vms.length - 1, 'the hung VM is gone');
    const next = await runMatrix({ objects: [PASS], kernels: ['5.10'], logLevel: 1, cacheDir, pool });
    assert.deepEqual(next.map((c) => [c.verdict, c.vmProblem]), [['accepted', undefined]]);
    assert.ok(next[0].bootMs > 0, 'booted anew');
    assert.equal(pool.stats().boots, boots + 1);
  });

  it('cancelling kills the running job\'s VM; the next job boots a fresh one', async () => {
    const { boots, jobs } = pool.stats();
    const vms = qemusOf(process.pid).length;
    const ac = new AbortController();
    // Every fixture object: a job long enough to be cancelled while it runs.
    const objects = fs.readdirSync(path.join(FIXTURES, 'obj')).filter((f) => f.endsWith('.o')).map(obj);
    const running = runMatrix({ objects, kernels: ['5.10'], logLevel: 2, cacheDir, pool, signal: ac.signal });
    await until(() => pool.stats().jobs > jobs);
    ac.abort();
    const cells = await running;
    assert.deepEqual([...new Set(cells.map((c) => c.vmProblem))], ['cancelled']);
    await until(() => qemusOf(process.pid).length === vms - 1);
    assert.equal(qemusOf(process.pid).length, vms - 1, 'the cancelled job\'s VM is gone');
    const next = await runMatrix({ objects: [PASS], kernels: ['5.10'], logLevel: 1, cacheDir, pool });
    assert.equal(next[0].verdict, 'accepted');
    assert.equal(pool.stats().boots, boots + 1);
  });

  it('makes room for another kernel by shutting down the idle VM when at its VM limit', async () => {
    const small = new VmPool({ maxVms: 1 });
    try {
      await small.warm(['5.10'], [{}], { cacheDir });
      const cells = await runMatrix({ objects: [PASS], kernels: ['6.18'], logLevel: 1, cacheDir, pool: small });
      assert.equal(cells[0].verdict, 'accepted');
      assert.deepEqual(small.stats(), { boots: 2, jobs: 1, vms: 1 });
    } finally {
      await small.close();
    }
  });

  it('close() kills every VM and removes every temp file; a closed pool runs nothing', async () => {
    assert.ok(pool.stats().vms > 0);
    await pool.close();
    assert.deepEqual(qemusOf(process.pid), [], 'leftover qemu');
    assert.deepEqual(fs.readdirSync(vmTmp), [], 'leftover temp files');
    assert.deepEqual(pool.stats().vms, 0);
    const cells = await runMatrix({ objects: [PASS], kernels: ['5.10'], logLevel: 1, cacheDir, pool });
    assert.equal(cells[0].vmProblem, 'the VM pool was closed');
  });

  /** A Node process that warms one VM, then prints its QEMU PIDs and temp files; it stays if asked to. */
  const warmInChild = (tmp: string, stay: boolean) => `
    const { VmPool } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'runner', 'src', 'pool.js'))});
    const fs = require('fs');
    new VmPool().warm(['5.10'], [{}], { cacheDir: ${JSON.stringify(cacheDir)} }).then(() => {
      const qemus = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
        try { return fs.readFileSync('/proc/' + p + '/stat', 'utf8').split(') ')[1].split(' ')[1] === String(process.pid); } catch { return false; }
      });
      process.stdout.write(JSON.stringify({ qemus, files: fs.readdirSync(${JSON.stringify(tmp)}) }) + '\\n');
      ${stay ? 'setInterval(() => undefined, 1000);' : ''}
    });`;

  /** True once none of the PIDs runs any more (killed QEMUs may stay zombies of an init that does not reap). */
  const dead = (pids: string[]) => pids.every((pid) => !fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] === 'Z');

  it('an idle warm VM does not keep Node running, leaves no temp file, and goes with the process', () => {
    const tmp = fs.mkdtempSync(path.join(scratch, 'exit-'));
    const r = spawnSync(process.execPath, ['-e', warmInChild(tmp, false)], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TMPDIR: tmp } });
    assert.equal(r.status, 0, `the process did not exit by itself: ${r.signal ?? ''} ${r.stderr}`);
    const seen = JSON.parse(r.stdout) as { qemus: string[]; files: string[] };
    assert.equal(seen.qemus.length, 1, 'one warm VM while running');
    assert.deepEqual(seen.files, [], 'no temp file even while running (the disk is unlinked at once)');
    assert.ok(dead(seen.qemus), `qemu ${seen.qemus} outlived its process`);
  });

  it('a warm VM dies with its process even when that process is SIGKILLed', async () => {
    const tmp = fs.mkdtempSync(path.join(scratch, 'kill-'));
    const child = spawn(process.execPath, ['-e', warmInChild(tmp, true)], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('\n'), 60_000);
    const seen = JSON.parse(out) as { qemus: string[]; files: string[] };
    assert.equal(seen.qemus.length, 1, 'one warm VM while running');
    assert.deepEqual(seen.files, [], 'no temp file to outlive a SIGKILL');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await until(() => dead(seen.qemus));
    assert.ok(dead(seen.qemus), `qemu ${seen.qemus} outlived its SIGKILLed process`);
  });
});
