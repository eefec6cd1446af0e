/**
 * Proof that quick fixes work: each fix offered for a failing fixture is applied to a copy of its
 * C source, recompiled with clang, and loaded on this kernel with the fixture loader; the program
 * must now be accepted. Needs root with CAP_BPF and clang; skipped elsewhere with the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { diagnoseWithObjects } from '../../server/src/cli/diagnose-file';
import { applyEdits } from '../../server/src/diagnose/fixes/c-source';
import { FIXTURES, list, meta, tempDir, buildLoader } from '../helpers/fixtures';

const canLoad = process.getuid?.() === 0 && spawnSync('clang', ['--version']).status === 0;

/** Failing fixture program → the fix it must be offered (a word of its title). */
const PROVEN: Record<string, RegExp> = {
  xdp_nobounds: /fits before data_end/,
  map_null: /against NULL/,
  subprog_fail_xdp: /against NULL/,
  subprog_fail_tc: /against NULL/,
  license_gpl: /GPL-compatible license/,
  ret_range: /Return a value in \[0, 1\]/,
  stack_uninit: /Zero key/,
  array_oob: /Keep idx below the length of c->slot/,
  spin_leak: /Unlock &c->lock on every return inside the locked region/,
  signed_index: /Declare idx unsigned \(__u32\)/,
  bad_ctx: /load it with SEC\("tc"\)/,
  helper_badarg: /pass &helper_badarg_cfg instead of cfg/,
  scalar_deref: /read it with bpf_probe_read_kernel\(&pos_val/,
  unbounded_loop: /Bound the loop: at most 16 iterations with i_steps/,
  ringbuf_leak: /Release e on every return that leaks it: bpf_ringbuf_discard\(e, 0\)/,
};

describe('every failing fixture is offered a fix', () => {
  it('covers each rejected fixture program', () => {
    for (const rel of list('logs', '.L1.log')) {
      if (meta(rel).verdict === 'rejected') assert.ok(rel.replace(/^logs\/|\.L1\.log$/g, '') in PROVEN, rel);
    }
  });
});

describe('quick fixes make the program load', { skip: canLoad ? false : 'needs root and clang' }, () => {
  const tmp = tempDir('bpflens-fixes-');
  const multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  const loader = buildLoader(tmp);
  
  for (const [program, want] of Object.entries(PROVEN)) {
    it(program, async () => {
      const log = `logs/${program}.L1.log`;
      const object = (meta(log) as unknown as { object: string }).object;
      const d = await diagnoseWithObjects(path.join(FIXTURES, log), [path.join(FIXTURES, 'obj', object)], null);
      const fix = d.errors[0].fixes.find((f) => want.test(f.title));
      assert.ok(fix, `offered: ${d.errors[0].fixes.map((f) => f.title).join(' | ') || 'nothing'}`);
      const src = fix.edits[0].file;
      assert.ok(fix.edits.every((e) => e.file === src));
      const fixed = applyEdits(fs.readFileSync(src, 'utf8'), fix.edits);
      const dir = path.join(tmp, program);
      fs.mkdirSync(dir);
      const c = path.join(dir, path.basename(src));
      fs.writeFileSync(c, fixed);
      const o = path.join(dir, object);
      execFileSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', c, '-o', o]);
      const perfmon = fs.readFileSync(path.join(FIXTURES, 'src', `${object.replace(/\.o$/, '')}.c`), 'utf8').includes('bpfload: --no-perfmon');
      execFileSync(loader, [...(perfmon ? ['--no-perfmon'] : []), o, '1', dir]);
      const result = JSON.parse(fs.readFileSync(path.join(dir, `${program}.L1.json`), 'utf8')) as { verdict: string };
      assert.equal(result.verdict, 'accepted', fs.readFileSync(path.join(dir, `${program}.L1.log`), 'utf8').split('\n').slice(-4).join('\n'));
    });
  }
});
