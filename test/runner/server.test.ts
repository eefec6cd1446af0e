/**
 * The runner's HTTP service, in process (fastify inject: no network): token, validation, limits,
 * a real job on two kernels, progress events, cancellation and timeouts, nothing left behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { createRunnerServer, ensureToken } from '../../runner/src/server';
import { defaultCacheDir } from '../../runner/src/vm';
import { FIXTURES, ROOT } from '../helpers/fixtures';
import { qemusOf } from '../helpers/processes';

const cacheDir = defaultCacheDir();
const object = (name: string) => ({ name, data: fs.readFileSync(path.join(FIXTURES, 'obj', name)).toString('base64') });

/** QEMUs this test process started (other test files run their own VMs in other processes). */
function leftovers(): { qemu: number; dirs: string[] } {
  const qemu = qemusOf().length;
  return { qemu, dirs: fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('bpflens-job-')) };
}

async function until<T>(f: () => Promise<T>, ok: (t: T) => boolean, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('runner HTTP service', { timeout: 170_000 }, () => {
  let token = '';
  before(() => {
    const r = spawnSync('bash', [path.join(ROOT, 'runner', 'setup.sh'), '5.10', '6.18'], { encoding: 'utf8', timeout: 150_000 });
    assert.equal(r.status, 0, `runner setup failed: ${(r.stdout + r.stderr).slice(-2000)}`);
    token = ensureToken(cacheDir);
  });
  const auth = () => ({ authorization: `Bearer ${token}` });

  it('refuses requests without the token (401) and keeps the token file private', async () => {
    const app = createRunnerServer({ token, cacheDir });
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/kernels' })).statusCode, 401);
      assert.equal((await app.inject({ method: 'GET', url: '/kernels', headers: { authorization: 'Bearer nope' } })).statusCode, 401);
      assert.equal(fs.statSync(path.join(cacheDir, 'token')).mode & 0o077, 0);
      const k = await app.inject({ method: 'GET', url: '/kernels', headers: auth() });
      assert.equal(k.statusCode, 200);
      assert.ok(k.json().kernels.includes('5.10') && k.json().kernels.includes('6.18'));
      assert.deepEqual(k.json().variants, ['default', 'harden2', 'unpriv', 'lsm']);
    } finally {
      await app.close();
    }
  });

  it('validates jobs: names that could escape, unknown kernels and variants are 400; big objects 413', async () => {
    const app = createRunnerServer({ token, cacheDir, maxObjectBytes: 1000 });
    try {
      const post = (body: object) => app.inject({ method: 'POST', url: '/jobs', headers: auth(), payload: body });
      assert.equal((await post({ objects: [{ name: '../../etc/x.o', data: '' }], kernels: ['5.10'] })).statusCode, 400);
      assert.equal((await post({ objects: [{ name: 'a.o', data: '' }], kernels: ['4.9'] })).statusCode, 400);
      assert.equal((await post({ objects: [{ name: 'a.o', data: '' }], kernels: ['5.10'], variants: ['turbo'] })).statusCode, 400);
      const big = await post({ objects: [object('xdp_nobounds.o')], kernels: ['5.10'] });
      assert.equal(big.statusCode, 413);
      assert.match(big.json().error, /1000/);
    } finally {
      await app.close();
    }
  });

  it('runs a real job on two kernels, reports progress as events, cleans up', async () => {
    const app = createRunnerServer({ token, cacheDir });
    try {
      const r = await app.inject({ method: 'POST', url: '/jobs', headers: auth(), payload: { objects: [object('xdp_nobounds.o')], kernels: ['5.10', '6.18'] } });
      assert.equal(r.statusCode, 202, r.body);
      const id = r.json().id as string;
      const events = await app.inject({ method: 'GET', url: `/jobs/${id}/events`, headers: auth() });
      assert.match(events.body, /"type":"progress","done":2,"total":2/);
      assert.match(events.body, /"type":"end","state":"done"/);
      const job = (await app.inject({ method: 'GET', url: `/jobs/${id}`, headers: auth() })).json();
      assert.equal(job.state, 'done');
      assert.equal(job.cells.length, 2);
      for (const c of job.cells) {
        assert.equal(c.verdict, 'rejected');
        assert.equal(c.errnoName, 'EACCES');
        assert.equal(c.object, 'xdp_nobounds.o');
        assert.match(c.log, /outside of the packet/);
      }
      assert.deepEqual(leftovers().dirs, []);
    } finally {
      await app.close();
    }
  });

  it('limits concurrent jobs (429), cancels a running job and leaves no VM or file behind', async () => {
    const app = createRunnerServer({ token, cacheDir, maxConcurrentJobs: 1 });
    try {
      const payload = { objects: [object('xdp_pass.o')], kernels: ['5.10', '6.18'], variants: ['default', 'harden2'] };
      const first = await app.inject({ method: 'POST', url: '/jobs', headers: auth(), payload });
      assert.equal(first.statusCode, 202);
      const second = await app.inject({ method: 'POST', url: '/jobs', headers: auth(), payload });
      assert.equal(second.statusCode, 429);
      const id = first.json().id as string;
      const cancel = await app.inject({ method: 'DELETE', url: `/jobs/${id}`, headers: auth() });
      assert.equal(cancel.json().state, 'cancelled');
      const settled = await until(async () => leftovers(), (l) => l.qemu === 0 && l.dirs.length === 0, 30_000);
      assert.deepEqual(settled, { qemu: 0, dirs: [] });
      assert.equal((await app.inject({ method: 'GET', url: `/jobs/${id}`, headers: auth() })).json().state, 'cancelled');
      assert.equal((await app.inject({ method: 'GET', url: '/jobs/none', headers: auth() })).statusCode, 404);
    } finally {
      await app.close();
    }
  });

  it('a VM over its time limit is reported in its cells, not hung', async () => {
    const app = createRunnerServer({ token, cacheDir, vmTimeoutMs: 300 });
    try {
      const r = await app.inject({ method: 'POST', url: '/jobs', headers: auth(), payload: { objects: [object('xdp_pass.o')], kernels: ['5.10'] } });
      const id = r.json().id as string;
      const job = await until(async () => (await app.inject({ method: 'GET', url: `/jobs/${id}`, headers: auth() })).json(), (j) => j.state !== 'running');
      assert.equal(job.state, 'done');
      assert.equal(job.cells[0].verdict, 'error');
      assert.match(job.cells[0].vmProblem, /timeout after 300 ms/);
    } finally {
      await app.close();
    }
  });
});
