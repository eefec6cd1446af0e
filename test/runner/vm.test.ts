/**
 * The kernel-matrix runner on real kernels: boots Debian 5.10, 6.1, 6.12, 6.18 and 7.3 in QEMU (TCG)
 * microVMs, loads two fixture objects in each, and checks the verdicts and the verifier logs against
 * the committed logs of the same kernels (test/fixtures/kernels/). Runs runner/setup.sh first when
 * the cache lacks a kernel (needs root and the Debian mirrors on a fresh machine): if setup fails
 * the test fails, saying why, rather than skipping.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { before, describe, it } from 'node:test';
import { diagnoseWithObjects } from '../../server/src/cli/diagnose-file';
import { applyEdits } from '../../server/src/diagnose/fixes/c-source';
import { parseLog } from '../../server/src/log/parse';
import { VmPool } from '../../runner/src/pool';
import { defaultCacheDir, kvmUsable, newcArchive, resolveVm, runMatrix, type Cell } from '../../runner/src/vm';
import { qemusOf } from '../helpers/processes';
import { FIXTURES, ROOT, tempDir } from '../helpers/fixtures';

const KERNELS = ['5.10', '6.1', '6.12', '6.18', '7.3'];
const NOBOUNDS = path.join(FIXTURES, 'obj', 'xdp_nobounds.o');
const PASS = path.join(FIXTURES, 'obj', 'xdp_pass.o');
const cacheDir = defaultCacheDir();

/** The committed log of a series: test/fixtures/kernels/<series>.<patch>-…/<name>. */
function committed(series: string, name: string): string {
  const dir = fs.readdirSync(path.join(FIXTURES, 'kernels')).find((d) => d.startsWith(`${series}.`));
  assert.ok(dir, `no committed logs for kernel ${series}`);
  return fs.readFileSync(path.join(FIXTURES, 'kernels', dir, name), 'utf8');
}


describe('runner: real loads on a matrix of kernels', { timeout: 170_000 }, () => {
  before(() => {
    // Always: a warm setup takes a fraction of a second and rebuilds the initramfs when its inputs change.
    const t0 = Date.now();
    const r = spawnSync('bash', [path.join(ROOT, 'runner', 'setup.sh'), ...KERNELS], {
      encoding: 'utf8',
      env: { ...process.env, BPFLENS_RUNNER_CACHE: cacheDir },
      timeout: 150_000,
    });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0) {
      assert.fail(
        `runner/setup.sh ${KERNELS.join(' ')} failed (exit ${r.status ?? r.signal}${r.error ? `, ${r.error.message}` : ''}); ` +
          `it needs root (apt-get) and network to the Debian mirrors. Its output:\n${output.trim().split('\n').slice(-15).join('\n')}`,
      );
    }
    process.stderr.write(`${output.trim().replace(/^/gm, '# ')}\n# runner setup took ${Date.now() - t0} ms\n`);
  });

  let cells: Cell[] = [];
  it('loads xdp_nobounds and xdp_pass on every kernel, 2 VMs at a time', async () => {
    const t0 = Date.now();
    cells = await runMatrix({ objects: [NOBOUNDS, PASS], kernels: KERNELS, logLevel: 1, cacheDir, parallel: 2 });
    process.stderr.write(`# matrix of ${KERNELS.length} kernels took ${Date.now() - t0} ms\n`);
    for (const c of cells) {
      process.stderr.write(`#   ${c.kernel} ${c.kernelRelease} ${c.program} ${c.verdict} errno=${c.errno} boot=${c.bootMs}ms load=${c.loadMs}ms${c.vmProblem ? ` PROBLEM ${c.vmProblem}` : ''}\n`);
    }
    assert.deepEqual(
      cells.map((c) => [c.kernel, c.program, c.verdict, c.errno, c.errnoName, c.vmProblem]),
      KERNELS.flatMap((k) => [
        [k, 'xdp_nobounds', 'rejected', 13, 'EACCES', undefined],
        [k, 'xdp_pass', 'accepted', 0, '', undefined],
      ]),
    );
    for (const c of cells) {
      assert.ok(c.kernelRelease.startsWith(`${c.kernel}.`), `${c.kernel}: uname -r is ${c.kernelRelease}`);
      assert.ok(c.bootMs > 0 && c.loadMs >= 0, `${c.kernel}: timings ${c.bootMs} / ${c.loadMs}`);
      assert.equal(c.truncated, false);
      assert.equal(c.object, c.program === 'xdp_pass' ? PASS : NOBOUNDS);
      assert.match(c.log, /^processed \d+ insns/m, `${c.kernel} ${c.program}: the log has its stats line`);
    }
  });

  it('the fresh logs parse like the committed logs of the same kernels', () => {
    assert.ok(cells.length > 0, 'the matrix did not run');
    for (const c of cells) {
      const fresh = parseLog(c.log);
      assert.equal(fresh.verdict, c.verdict, `${c.kernel} ${c.program}: parsed verdict`);
      if (c.program !== 'xdp_nobounds') {
        assert.equal(fresh.errors.length, 0);
        continue;
      }
      const then = parseLog(committed(c.kernel, 'xdp_nobounds.log'));
      const headline = (l: typeof fresh) => l.errors.map((e) => [e.headline, e.insn]);
      assert.deepEqual(headline(fresh), headline(then), `${c.kernel}: error headline`);
      if (c.kernel !== '7.3') assert.deepEqual(headline(fresh), [['R1 offset is outside of the packet', 11]]);
      // Not the processed count: a newer stable kernel of the same series may prune differently.
      assert.ok((fresh.stats.processedInsns ?? 0) > 0, `${c.kernel}: processed insns`);
    }
  });

  it('picks KVM by itself only where it can run these kernels (TCG on this host: /dev/kvm without VMX/SVM)', () => {
    const saved = process.env.BPFLENS_RUNNER_ACCEL;
    delete process.env.BPFLENS_RUNNER_ACCEL;
    try {
      assert.equal(resolveVm({}, ['6.18']).accel, kvmUsable() ? 'kvm' : 'tcg');
      assert.equal(resolveVm({ accel: 'tcg' }, ['6.18']).accel, 'tcg');
      const vmx = /^flags\s*:.*\b(vmx|svm)\b/m.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
      if (!vmx) assert.equal(kvmUsable(), false);
    } finally {
      if (saved !== undefined) process.env.BPFLENS_RUNNER_ACCEL = saved;
    }
  });

  it('a kernel that panics is reported with its panic line, on a cold VM and in the pool', async () => {
    // A cache whose initramfs has no /init: the real 6.18 kernel boots, finds nothing to run, panics.
    const broken = tempDir('bpflens-panic-');
    fs.mkdirSync(path.join(broken, 'kernels', '6.18'), { recursive: true });
    for (const f of ['vmlinux', 'info']) fs.symlinkSync(path.join(cacheDir, 'kernels', '6.18', f), path.join(broken, 'kernels', '6.18', f));
    fs.mkdirSync(path.join(broken, 'initramfs'));
    fs.writeFileSync(path.join(broken, 'initramfs', 'base.cpio.gz'), zlib.gzipSync(newcArchive([{ name: 'bin' }])));
    const pool = new VmPool();
    try {
      for (const cells of [
        await runMatrix({ objects: [PASS], kernels: ['6.18'], logLevel: 1, cacheDir: broken, timeoutMs: 60_000 }),
        await runMatrix({ objects: [PASS], kernels: ['6.18'], logLevel: 1, cacheDir: broken, timeoutMs: 60_000, pool }),
      ]) {
        assert.deepEqual(cells.map((c) => c.verdict), ['error']);
        assert.match(cells[0].vmProblem!, /^Kernel panic - not syncing: /);
      }
    } finally {
      await pool.close();
    }
    assert.deepEqual(qemusOf(), [], 'leftover qemu');
  });

  it('a VM over its time limit is killed and reported, leaving nothing behind', async () => {
    // A private temp dir: the runner's files for this run, and only them, land there.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-vmtest-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    let out: Cell[];
    try {
      out = await runMatrix({ objects: [PASS], kernels: ['5.10'], logLevel: 1, cacheDir, timeoutMs: 300 });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    assert.equal(out.length, 1);
    assert.equal(out[0].verdict, 'error');
    assert.equal(out[0].vmProblem, 'timeout after 300 ms');
    assert.equal(out[0].object, PASS);
    assert.deepEqual(qemusOf(), [], 'leftover qemu');
    assert.deepEqual(fs.readdirSync(tmp), [], 'leftover temp files');
    fs.rmdirSync(tmp);
  });

  it('variants: without CAP_PERFMON uninitialised stack reads are rejected; with the BPF LSM, LSM programs load and are checked', async () => {
    const lsmObj = path.join(os.tmpdir(), `bpflens-lsm-${process.pid}.o`);
    const multiarch = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout.trim();
    const cc = spawnSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', path.join(FIXTURES, 'vm-src', 'lsm_ret.c'), '-o', lsmObj], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    try {
      const cells = await runMatrix({
        objects: [path.join(FIXTURES, 'obj', 'stack_uninit.o'), lsmObj],
        kernels: ['6.18'],
        logLevel: 1,
        cacheDir,
        // LSM programs need CAP_PERFMON/CAP_SYS_ADMIN, so the unprivileged run is its own variant.
        variants: [{}, { unprivileged: true }, { lsm: true, jitHarden: 2 }],
      });
      const cell = (variant: string, program: string) => cells.find((c) => c.variant === variant && c.program === program);
      assert.equal(cell('default', 'stack_uninit')?.verdict, 'accepted');
      const unpriv = cell('unpriv', 'stack_uninit');
      assert.equal(unpriv?.verdict, 'rejected');
      assert.match(unpriv!.log, /invalid read from stack/);
      const good = cell('lsm+harden2', 'lsm_allow');
      assert.equal(good?.verdict, 'accepted', good?.libbpf);
      const bad = cell('lsm+harden2', 'lsm_bad_ret');
      assert.equal(bad?.verdict, 'rejected');
      assert.match(bad!.log, /should have been in \[-4095, 0\]/);
    } finally {
      fs.rmSync(lsmObj, { force: true });
    }
  });

  it('an LSM fix proven where LSM programs load: the return-range quick fix, reloaded in the VM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-lsmfix-'));
    const multiarch = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout.trim();
    const compile = (src: string, obj: string) => {
      const r = spawnSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', src, '-o', obj], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    try {
      const src = path.join(dir, 'lsm_ret.c');
      fs.copyFileSync(path.join(FIXTURES, 'vm-src', 'lsm_ret.c'), src);
      const obj = path.join(dir, 'lsm_ret.o');
      compile(src, obj);
      const run = async () => (await runMatrix({ objects: [obj], kernels: ['6.18'], logLevel: 1, cacheDir, variants: [{ lsm: true }] }))
        .find((c) => c.program === 'lsm_bad_ret')!;
      const before = await run();
      assert.equal(before.verdict, 'rejected');
      const log = path.join(dir, 'lsm_bad_ret.log');
      fs.writeFileSync(log, before.log);
      const d = await diagnoseWithObjects(log, [obj], 'lsm_bad_ret');
      const fix = d.errors[0].fixes.find((f) => /Return a value in \[-4095, 0\]/.test(f.title));
      assert.ok(fix, d.errors[0].fixes.map((f) => f.title).join(' | ') || 'no fix');
      fs.writeFileSync(src, applyEdits(fs.readFileSync(src, 'utf8'), fix.edits));
      compile(src, obj);
      const after = await run();
      assert.equal(after.verdict, 'accepted', after.log);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
