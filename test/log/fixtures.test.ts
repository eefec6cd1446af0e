/** The real logs of test/fixtures/logs (loaded on this machine's kernel by scripts/gen-fixtures.sh). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../server/src/diagnose/diagnosis';
import { LineKind } from '../../server/src/log/model';
import { eventAt, lineText, parseLog } from '../../server/src/log/parse';
import { summaryOf } from '../../server/src/log/summary';
import { FAILING_FIXTURE_CODES } from '../helpers/expected';
import { list, meta, read } from '../helpers/fixtures';

const EXPECTED_CODES = FAILING_FIXTURE_CODES;

const logs = list('logs', '.log');

describe('real fixture logs (kernel of this machine)', () => {
  it('has fixtures at both log levels for every expected failure', () => {
    for (const prog of Object.keys(EXPECTED_CODES)) {
      assert.ok(logs.includes(`logs/${prog}.L1.log`) && logs.includes(`logs/${prog}.L2.log`), prog);
    }
  });

  for (const rel of logs) {
    const m = meta(rel);
    it(`${rel}: verdict ${m.verdict}, every line recognised`, () => {
      const log = parseLog(read(rel));
      assert.equal(log.verdict, m.verdict);
      const unrecognised = [...log.lineKinds.keys()].filter((i) => log.lineKinds[i] === LineKind.Unrecognised);
      assert.deepEqual(unrecognised.map((i) => lineText(log, i)), []);
      assert.equal(log.truncated, false);
      assert.notEqual(log.stats.processedInsns, null);
      if (m.logLevel === 2) assert.equal(log.generation, '6.x');
      if (m.verdict === 'accepted') {
        assert.equal(log.errors.length, 0);
        return;
      }
      assert.equal(log.errors.length, 1);
      const d = diagnose(summaryOf(log));
      const prog = rel.replace(/^logs\//, '').replace(/\.L\d\.log$/, '');
      assert.equal(d.errors[0].code, EXPECTED_CODES[prog]);
      assert.notEqual(d.errors[0].category, 'Unknown');
      // The failing instruction is the last one the verifier printed before the error.
      const err = log.errors[0];
      assert.notEqual(err.event, null);
      assert.equal(eventAt(log, err.event!).insn, err.insn);
      assert.ok(log.events.line[err.event!] < err.startLine);
      // 6.18 notes carry `@ file.c:N`: the source is taken from the note above the insn.
      assert.ok(d.errors[0].source, 'source from the log note');
      assert.match(d.errors[0].source!.file, /\.c$/);
    });
  }

  for (const rel of list('logs', '.libbpf.txt').filter((f) => read(f).includes('BEGIN PROG LOAD LOG'))) {
    it(`${rel}: libbpf-wrapped log gives the same error as the bare log`, () => {
      const wrapped = parseLog(read(rel));
      const bare = parseLog(read(rel.replace(/\.libbpf\.txt$/, '.log')));
      assert.ok(wrapped.loader.loaders.includes('libbpf'));
      assert.equal(wrapped.loader.programName, meta(rel.replace(/\.libbpf\.txt$/, '.log')).program);
      assert.equal(wrapped.verdict, 'rejected');
      assert.deepEqual(wrapped.errors.map((e) => [e.headline, e.insn]), bare.errors.map((e) => [e.headline, e.insn]));
    });
  }
});

describe('structure of real level-2 logs', () => {
  it('global functions are validated on their own path', () => {
    const log = parseLog(read('logs/global_func.L2.log'));
    assert.ok(log.subprogs.some((s) => s.name === 'classify'));
    assert.ok(log.lineKinds.includes(LineKind.GlobalFunc));
  });
  it('bpf_loop callbacks run in frame 1 and return to the caller', () => {
    const log = parseLog(read('logs/bpf_loop.L2.log'));
    const inCallback = [...log.events.frame].some((f) => f === 1);
    assert.ok(inCallback, 'some instruction ran in the callback frame');
    assert.ok(log.regions.some((r) => r.kind === 'callReturn'));
  });
  it('folds paths, liveness tables and bookkeeping', () => {
    const log = parseLog(read('logs/loop_bounded.L2.log'));
    const kinds = new Set(log.regions.map((r) => r.kind));
    for (const k of ['path', 'liveRegs', 'bookkeeping']) assert.ok(kinds.has(k as never), k);
    for (const r of log.regions) assert.ok(r.endLine > r.startLine && r.endLine < log.lineCount);
  });
});
