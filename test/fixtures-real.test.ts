/**
 * The fixtures are real, and the mapping holds on fresh loads: every fixture program is compiled
 * again, loaded on this kernel with the fixture loader, and
 * - the fresh log diagnoses exactly like the committed one;
 * - for failing programs, the fresh log mapped through the fresh object gives the DWARF line of
 *   the failing instruction (the same C line and column as the committed pair).
 * Needs root with CAP_BPF and clang (CI has both); skipped elsewhere with the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { diagnoseWithObjects } from '../server/src/cli/diagnose-file';
import { diagnose } from '../server/src/diagnose/diagnosis';
import { parseLog } from '../server/src/log/parse';
import { summaryOf } from '../server/src/log/summary';
import { FIXTURES, list, meta, read, tempDir, buildLoader } from './helpers/fixtures';

const canLoad = process.getuid?.() === 0 && spawnSync('clang', ['--version']).status === 0;

function diagnosisOf(text: string) {
  const d = diagnose(summaryOf(parseLog(text)));
  return { verdict: d.verdict, errors: d.errors.map((e) => [e.code, e.insn, e.message]) };
}

/** Sources whose loads need the loader's --no-perfmon (see stack_uninit.c). */
function loaderArgs(src: string): string[] {
  return fs.readFileSync(src, 'utf8').includes('bpfload: --no-perfmon') ? ['--no-perfmon'] : [];
}

describe('fixtures reproduce on this kernel', { skip: canLoad ? false : 'needs root and clang' }, () => {
  const tmp = tempDir('bpflens-fix-');
  const multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  const loader = buildLoader(tmp);
    const logs = list('logs', '.L1.log');
  const objects = [...new Set(logs.map((l) => (meta(l) as unknown as { object: string }).object))];
  for (const object of objects) {
    const name = object.replace(/\.o$/, '');
    it(name, async () => {
      const src = path.join(FIXTURES, 'src', `${name}.c`);
      const obj = path.join(tmp, object);
      execFileSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', src, '-o', obj]);
      const out = path.join(tmp, name);
      fs.mkdirSync(out);
      execFileSync(loader, [...loaderArgs(src), obj, '1', out]);
      for (const rel of logs.filter((l) => (meta(l) as unknown as { object: string }).object === object)) {
        const fresh = path.join(out, path.basename(rel));
        assert.deepEqual(diagnosisOf(fs.readFileSync(fresh, 'utf8')), diagnosisOf(read(rel)), rel);
        if (meta(rel).verdict !== 'rejected') continue;
        const now = await diagnoseWithObjects(fresh, [obj], null);
        const then = await diagnoseWithObjects(path.join(FIXTURES, rel), [path.join(FIXTURES, 'obj', object)], null);
        assert.equal(now.object?.matched, true, now.object?.problem ?? '');
        const where = (d: typeof now) => d.errors.map((e) => [path.basename(e.source?.file ?? ''), e.source?.line, e.source?.column, e.inlineChain?.map((f) => f.function)]);
        assert.deepEqual(where(now), where(then), rel);
      }
    });
  }
});
