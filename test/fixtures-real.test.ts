/**
 * The fixtures are real: compile two fixture programs again, load them on this kernel with the
 * fixture loader, and check the fresh logs diagnose exactly like the committed ones.
 * Needs root with CAP_BPF and clang (CI has both); skipped elsewhere with the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { diagnose } from '../server/src/diagnose/diagnosis';
import { parseLog } from '../server/src/log/parse';
import { summaryOf } from '../server/src/log/summary';
import { FIXTURES, read } from './helpers/fixtures';

const canLoad = process.getuid?.() === 0 && spawnSync('clang', ['--version']).status === 0;

function diagnosisOf(text: string) {
  const d = diagnose(summaryOf(parseLog(text)));
  return { verdict: d.verdict, errors: d.errors.map((e) => [e.code, e.insn, e.message]) };
}

describe('fixtures reproduce on this kernel', { skip: canLoad ? false : 'needs root and clang' }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-fix-'));
  const multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  const loader = path.join(tmp, 'bpfload');
  execFileSync('gcc', ['-O2', '-o', loader, path.join(FIXTURES, 'loader/bpfload.c'), '-lbpf', '-lelf', '-lz']);
  for (const prog of ['xdp_nobounds', 'map_null', 'xdp_pass']) {
    it(prog, () => {
      const obj = path.join(tmp, `${prog}.o`);
      execFileSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', path.join(FIXTURES, 'src', `${prog}.c`), '-o', obj]);
      execFileSync(loader, [obj, '1', tmp]);
      const fresh = fs.readFileSync(path.join(tmp, `${prog}.L1.log`), 'utf8');
      assert.deepEqual(diagnosisOf(fresh), diagnosisOf(read(`logs/${prog}.L1.log`)));
    });
  }
});
