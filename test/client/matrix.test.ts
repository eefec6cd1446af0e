/**
 * The editor's kernel-matrix model (client/src/runner/matrix.ts, no vscode in it): cells pending
 * until the runner reports them, logs written beside a link to the object and diagnosed like any
 * log, old runs pruned. Cells are made by the runner's own `loadedCell` from a real load's output.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { cellVerdict, MatrixRun, pruneRuns, readObject, sizes } from '../../client/src/runner/matrix';
import { loadedCell, problemCell, type LoaderMeta } from '../../runner/src/vm';
import { diagnoseWithObjects } from '../../server/src/cli/diagnose-file';
import { FIXTURES, read, tempDir } from '../helpers/fixtures';

const OBJECT = path.join(FIXTURES, 'obj', 'xdp_nobounds.o');
const base = (kernel: string) => ({ kernel, kernelRelease: `${kernel}.0-test`, object: OBJECT, bootMs: 0, logLevel: 1, variant: 'default' });
const realCell = (kernel: string) => loadedCell(base(kernel), JSON.parse(read('logs/xdp_nobounds.L1.json')) as LoaderMeta, read('logs/xdp_nobounds.L1.log'), '');

describe('kernel matrix model', () => {
  it('every expected cell is pending until the runner reports it; a VM failure without a program stands for all', () => {
    const run = new MatrixRun({ object: OBJECT, programs: ['xdp_nobounds'], kernels: ['5.10', '6.18'], variants: ['default'], logLevel: 1 }, path.join(tempDir('bpflens-matrix-'), 'run'));
    assert.deepEqual(run.cells.map((c) => [c.kernel, c.state, cellVerdict(c)]), [['5.10', 'pending', 'loading…'], ['6.18', 'pending', 'loading…']]);
    assert.equal(run.update([realCell('6.18')]), true);
    assert.equal(run.update([realCell('6.18')]), false, 'a cell already known changes nothing');
    assert.equal(run.update([problemCell(base('5.10'), 'timeout after 120000 ms')]), true);
    assert.deepEqual(run.cells.map((c) => [c.kernel, c.state, cellVerdict(c)]), [
      ['5.10', 'error', 'VM: timeout after 120000 ms'],
      ['6.18', 'rejected', 'rejected EACCES'],
    ]);
    assert.equal(sizes(run.cells[1].cell!), '12 insns processed');
  });

  it('a cell\'s log: a header saying where it came from, the log verbatim, the object linked beside it', async () => {
    const run = new MatrixRun({ object: OBJECT, programs: ['xdp_nobounds'], kernels: ['6.18'], variants: ['default'], logLevel: 1 }, path.join(tempDir('bpflens-matrix-'), 'run'));
    run.update([realCell('6.18')]);
    const file = run.cells[0].logFile!;
    assert.equal(path.basename(file), 'xdp_nobounds.6.18.default.verifier.log');
    const text = fs.readFileSync(file, 'utf8');
    // The release is the one the loader saw (the fixture's load, on this host).
    const release = (JSON.parse(read('logs/xdp_nobounds.L1.json')) as LoaderMeta).kernel.replace(/[.+]/g, '\\$&');
    assert.match(text, new RegExp(`^# bpflens runner: xdp_nobounds\\.o, program xdp_nobounds, kernel ${release} \\(6\\.18\\), variant default\n`));
    assert.match(text, /\n# verdict: rejected, errno 13 \(EACCES\), log level 1, load 0\.3 ms\n# 12 insns processed\n/);
    assert.ok(text.endsWith(read('logs/xdp_nobounds.L1.log')));
    assert.equal(fs.realpathSync(path.join(path.dirname(file), 'xdp_nobounds.o')), fs.realpathSync(OBJECT));
    // Diagnosed and mapped like the log itself, through the linked object.
    const d = await diagnoseWithObjects(file, [path.join(path.dirname(file), 'xdp_nobounds.o')], null);
    assert.equal(d.object?.program, 'xdp_nobounds');
    assert.deepEqual([d.errors[0].code, d.errors[0].source?.line], ['pkt-out-of-bounds', 22]);
  });

  it('keeps the newest runs and deletes the rest', () => {
    const dir = tempDir('bpflens-runs-');
    for (const t of [100, 300, 200, 400]) fs.mkdirSync(path.join(dir, `${t}-xdp_nobounds`));
    fs.mkdirSync(path.join(dir, 'not-a-run'));
    pruneRuns(dir, 2);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['300-xdp_nobounds', '400-xdp_nobounds', 'not-a-run']);
    pruneRuns(path.join(dir, 'missing'), 2);
  });

  it('reads an object\'s programs once; bad input is an error naming the file', () => {
    const two = readObject(path.join(FIXTURES, 'obj', 'subprog_fail.o'));
    assert.deepEqual(two.programs.sort(), ['subprog_fail_tc', 'subprog_fail_xdp']);
    assert.deepEqual(two.bytes, fs.readFileSync(path.join(FIXTURES, 'obj', 'subprog_fail.o')));
    const log = path.join(FIXTURES, 'logs', 'xdp_nobounds.L1.log');
    assert.throws(() => readObject(log), (e: Error) => e.message === `${log}: not a BPF object: not an ELF file: magic 30 3a 20 52, expected 7f 45 4c 46 (at byte 0)`);
    assert.throws(() => readObject('/nonexistent.o'), /^Error: \/nonexistent\.o: cannot read the object: no such file$/);
  });
});
