/**
 * Choosing programs and what a cell reports beyond the verdict: `programs` loads only the chosen
 * programs of an object (in a VM, on the host, through the HTTP service), and an accepted load
 * carries the verifier's instruction count and the translated and JIT-ed sizes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { runHost } from '../../runner/src/host';
import { createRunnerServer, ensureToken } from '../../runner/src/server';
import { defaultCacheDir, runMatrix } from '../../runner/src/vm';
import { FIXTURES, ROOT } from '../helpers/fixtures';

const cacheDir = defaultCacheDir();
const obj = (name: string) => path.join(FIXTURES, 'obj', name);

describe('runner: chosen programs and cell sizes', { timeout: 200_000 }, () => {
  before(() => {
    const r = spawnSync('bash', [path.join(ROOT, 'runner', 'setup.sh'), '6.18'], { encoding: 'utf8', timeout: 150_000 });
    assert.equal(r.status, 0, `runner setup failed: ${(r.stdout + r.stderr).slice(-2000)}`);
  });

  it('in a VM: only the chosen program of a two-program object; sizes of an accepted program', async () => {
    const cells = await runMatrix({ objects: [obj('subprog_fail.o'), obj('xdp_pass.o')], kernels: ['6.18'], logLevel: 1, programs: ['subprog_fail_tc', 'xdp_pass'] });
    assert.deepEqual(cells.map((c) => [c.program, c.verdict]), [['subprog_fail_tc', 'rejected'], ['xdp_pass', 'accepted']]);
    const pass = cells[1];
    assert.ok(pass.insnsProcessed > 0, `insns ${pass.insnsProcessed}`);
    // 6.18 JITs every program on x86-64; the JIT-ed code and the translated program both exist.
    assert.ok(pass.xlatedBytes > 0 && pass.xlatedBytes % 8 === 0, `xlated ${pass.xlatedBytes}`);
    assert.ok(pass.jitedBytes > 0, `jited ${pass.jitedBytes}`);
    assert.equal(pass.jitFailed, false);
    assert.equal(cells[0].xlatedBytes, 0, 'a rejected program has no loaded size');
  });

  it('on the host: the same choice, the same loader', { skip: process.getuid?.() === 0 ? false : 'needs root' }, () => {
    const cells = runHost({ objects: [obj('subprog_fail.o')], logLevel: 1, programs: ['subprog_fail_xdp'] });
    assert.deepEqual(cells.map((c) => [c.kernel, c.program, c.verdict, c.errnoName]), [['host', 'subprog_fail_xdp', 'rejected', 'EACCES']]);
  });

  it('a program name that is not an identifier never reaches a VM', async () => {
    await assert.rejects(runMatrix({ objects: [obj('xdp_pass.o')], kernels: ['6.18'], logLevel: 1, programs: ["x' ; reboot -f ; '"] }), /is not a BPF program name/);
  });

  it('through the HTTP service: programs validated, then honoured', async () => {
    const token = ensureToken(cacheDir);
    const app = createRunnerServer({ token, cacheDir });
    try {
      const auth = { authorization: `Bearer ${token}` };
      const payload = (programs: string[]) => ({ objects: [{ name: 'subprog_fail.o', data: fs.readFileSync(obj('subprog_fail.o')).toString('base64') }], kernels: ['6.18'], programs });
      const bad = await app.inject({ method: 'POST', url: '/jobs', headers: auth, payload: payload(['a b']) });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error, /programs/);
      const ok = await app.inject({ method: 'POST', url: '/jobs', headers: auth, payload: payload(['subprog_fail_xdp']) });
      assert.equal(ok.statusCode, 202, ok.body);
      let view: { state: string; cells: { program: string }[] };
      do {
        await new Promise((r) => setTimeout(r, 250));
        view = (await app.inject({ method: 'GET', url: `/jobs/${ok.json().id}`, headers: auth })).json();
      } while (view.state === 'running');
      assert.equal(view.state, 'done');
      assert.deepEqual(view.cells.map((c) => c.program), ['subprog_fail_xdp']);
    } finally {
      await app.close();
    }
  });
});
