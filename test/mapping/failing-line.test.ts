/**
 * The mapped C line of every failing fixture's failing instruction is the DWARF line of that
 * instruction, as llvm-objdump -dl (an independent reader) shows it. The logs are real loads
 * (test/fixtures/logs), including a failure inside a bpf-to-bpf subprogram of an object with
 * two programs, whose index only libbpf's append order maps back to the object.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { diagnoseWithObjects } from '../../server/src/cli/diagnose-file';
import { parseLog } from '../../server/src/log/parse';
import { dwarfReader, mapBytes, type MappedObject } from '../../server/src/mapping/mapped-object';
import { matchLog } from '../../server/src/mapping/match';
import { FIXTURES, list, meta, read } from '../helpers/fixtures';
import { missingLlvm, objdumpLines } from '../helpers/llvm';

const failing = list('logs', '.L1.log').filter((f) => meta(f).verdict === 'rejected');

function objectOf(logRel: string): string {
  const m = meta(logRel) as unknown as { object: string };
  return path.join(FIXTURES, 'obj', m.object);
}

describe('failing instruction → C line, checked against llvm-objdump', { skip: missingLlvm() ?? false }, () => {
  it('covers a failure inside a subprogram appended by libbpf', () => {
    assert.ok(failing.some((f) => f.includes('subprog_fail')));
  });
  for (const rel of failing) {
    it(rel, async () => {
      const obj = objectOf(rel);
      const d = await diagnoseWithObjects(path.join(FIXTURES, rel), [obj], null);
      assert.equal(d.object?.matched, true, d.object?.problem ?? '');
      const e = d.errors[0];
      assert.notEqual(e.insn, null);
      // Independent: where libbpf put that instruction, and what llvm-objdump says is its line.
      const log = parseLog(read(rel));
      const mapped: MappedObject = mapBytes(fs.readFileSync(obj), obj, await dwarfReader());
      const slot = matchLog(log, [mapped]).match!.layout[e.insn!];
      const expected = objdumpLines(obj).get(slot.section)!.get(slot.offset / 8);
      assert.ok(expected, `llvm-objdump shows a line for ${slot.section}+${slot.offset}`);
      assert.equal(e.source?.line, expected.line);
      assert.equal(path.basename(e.source!.file), path.basename(expected.file));
      assert.ok(e.inlineChain && e.inlineChain.length >= 1);
      assert.equal(e.inlineChain.at(-1)!.function.length > 0, true);
    });
  }
  it('the subprogram failure maps to the same C line from both programs, at different indices', async () => {
    const xdp = await diagnoseWithObjects(path.join(FIXTURES, 'logs/subprog_fail_xdp.L1.log'), [path.join(FIXTURES, 'obj/subprog_fail.o')], null);
    const tc = await diagnoseWithObjects(path.join(FIXTURES, 'logs/subprog_fail_tc.L1.log'), [path.join(FIXTURES, 'obj/subprog_fail.o')], null);
    assert.notEqual(xdp.errors[0].insn, tc.errors[0].insn);
    assert.deepEqual(xdp.errors[0].source, tc.errors[0].source);
    assert.deepEqual(xdp.errors[0].inlineChain!.map((f) => f.function), ['read_count', 'over_budget']);
  });
  it('a wrong object is detected and said, not used', async () => {
    const d = await diagnoseWithObjects(path.join(FIXTURES, 'logs/map_null.L1.log'), [path.join(FIXTURES, 'obj/xdp_nobounds.o')], null);
    assert.equal(d.object?.matched, false);
    assert.match(d.object!.problem!, /xdp_nobounds\.o: no program named 'map_null'|does not come from program/);
    assert.equal(d.errors[0].inlineChain, undefined);
    const anyProgram = await diagnoseWithObjects(path.join(FIXTURES, 'logs/map_null.L1.log'), [path.join(FIXTURES, 'obj/xdp_nobounds.o')], 'xdp_nobounds');
    assert.match(anyProgram.object!.problem!, /insn \d+ is \([0-9a-f]{2}\) in the log but \([0-9a-f]{2}\) in the object/);
  });
});
