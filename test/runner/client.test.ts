/**
 * The runner as the editor uses it: `dist/runner.js --port 0` started as a child process (the way
 * the extension starts a local runner), reached over real HTTP with `RunnerClient`: kernels, a job
 * followed to its end, cancellation, errors with the runner's own message, and no VM left behind
 * when the runner is stopped in the middle of a job.
 */
import assert from 'node:assert/strict';
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunnerClient, RunnerError, type JobView } from '../../runner/src/client';
import { defaultCacheDir } from '../../runner/src/vm';
import { FIXTURES, ROOT, tempDir } from '../helpers/fixtures';
import { alive, childrenOf, qemusOf } from '../helpers/processes';
import { listening } from '../helpers/runner-process';

const cacheDir = defaultCacheDir();
const RUNNER_JS = path.join(ROOT, 'dist', 'runner.js');
const nobounds = () => ({ name: 'xdp_nobounds.o', data: fs.readFileSync(path.join(FIXTURES, 'obj', 'xdp_nobounds.o')) });


/** Starts the runner as the extension does and resolves with its URL once it listens. */
function startRunner(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [RUNNER_JS, '--port', '0', '--host', '127.0.0.1'], {
    // Its job directories go to a private TMPDIR: server.test.ts counts the ones in /tmp as leftovers.
    env: { ...process.env, BPFLENS_RUNNER_CACHE: cacheDir, TMPDIR: tempDir('bpflens-client-tmp-') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return listening(child).then((url) => ({ child, url }));
}

describe('runner client against a runner process', { timeout: 200_000 }, () => {
  let runner: { child: ChildProcess; url: string };
  let client: RunnerClient;

  before(async () => {
    assert.ok(fs.existsSync(RUNNER_JS), `${RUNNER_JS} missing: run npm run build first`);
    const r = spawnSync('bash', [path.join(ROOT, 'runner', 'setup.sh'), '5.10', '6.18'], { encoding: 'utf8', timeout: 150_000 });
    assert.equal(r.status, 0, `runner setup failed: ${(r.stdout + r.stderr).slice(-2000)}`);
    runner = await startRunner();
    client = new RunnerClient(runner.url, fs.readFileSync(path.join(cacheDir, 'token'), 'utf8').trim(), 100);
  });

  after(() => runner?.child.kill('SIGKILL'));

  it('lists the kernels set up in the cache and the variants', async () => {
    const info = await client.kernels();
    assert.ok(info.kernels.includes('5.10') && info.kernels.includes('6.18'), info.kernels.join());
    assert.deepEqual(info.variants, ['default', 'harden2', 'unpriv', 'lsm']);
  });

  it('follows a job to its end, cell by cell, with the verifier logs', async () => {
    const job = await client.submit({ objects: [nobounds()], kernels: ['5.10', '6.18'], logLevel: 2 });
    assert.equal(job.total, 2);
    const seen: JobView[] = [];
    const view = await client.follow(job.id, (v) => seen.push(v));
    assert.equal(view.state, 'done');
    assert.deepEqual(seen.map((v) => v.done), [...new Set(seen.map((v) => v.done))], 'each progress step reported once');
    assert.equal(seen[seen.length - 1].done, 2);
    assert.deepEqual(view.cells.map((c) => [c.kernel, c.program, c.verdict, c.errnoName]).sort(), [
      ['5.10', 'xdp_nobounds', 'rejected', 'EACCES'],
      ['6.18', 'xdp_nobounds', 'rejected', 'EACCES'],
    ]);
    for (const c of view.cells) assert.match(c.log, /R1 offset is outside of the packet/);
  });

  it('cancels a job when the caller aborts', async () => {
    const job = await client.submit({ objects: [nobounds()], kernels: ['5.10', '6.18'], variants: ['default', 'unpriv'] });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const view = await client.follow(job.id, () => undefined, abort.signal);
    assert.equal(view.state, 'cancelled');
  });

  it('reports the runner\'s own message for refusals, and an unreachable runner by its URL', async () => {
    await assert.rejects(new RunnerClient(runner.url, 'wrong').kernels(), (e: RunnerError) => e.status === 401 && /a valid token is required/.test(e.message));
    await assert.rejects(client.submit({ objects: [nobounds()], kernels: ['4.9'] }), (e: RunnerError) => e.status === 400 && /kernels/.test(e.message));
    await assert.rejects(client.job('no-such-job'), (e: RunnerError) => e.status === 404 && /no job no-such-job/.test(e.message));
    await assert.rejects(new RunnerClient('http://127.0.0.1:1', 'x').kernels(), (e: RunnerError) => e.status === 0 && /cannot reach the runner at http:\/\/127\.0\.0\.1:1/.test(e.message));
  });

  it('stopped with SIGTERM in the middle of a job, the runner takes its VMs with it', async () => {
    const own = await startRunner();
    const c = new RunnerClient(own.url, fs.readFileSync(path.join(cacheDir, 'token'), 'utf8').trim());
    await c.submit({ objects: [nobounds()], kernels: ['5.10', '6.18'] });
    const deadline = Date.now() + 20_000;
    while (qemusOf(own.child.pid!).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(qemusOf(own.child.pid!).length > 0, 'a VM was running');
    const vms = childrenOf(own.child.pid!);
    const exited = new Promise<number | null>((r) => own.child.once('exit', (code) => r(code)));
    own.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(vms.filter(alive), []);
  });

  it('forked by an editor, the runner exits when the editor\'s channel closes', async () => {
    const child = fork(RUNNER_JS, ['--port', '0', '--host', '127.0.0.1', '--warm', 'none'], {
      env: { ...process.env, BPFLENS_RUNNER_CACHE: cacheDir }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    await listening(child);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.disconnect();
    assert.equal(await exited, 0);
  });
});
