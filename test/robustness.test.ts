/**
 * Robustness of the log layer and the editor features: property tests (fast-check) over arbitrary
 * strings, soups of real log lines and mutated real logs, plus deterministic regression inputs.
 *
 * Properties
 * (a) parseLog / summarizeLog never throw, and finish within PER_INPUT_MS for inputs ≤ ~200 KB;
 * (b) the model's line tables are consistent (one LineKind per line, monotonic line starts, events
 *     in log order on instruction lines, regions and errors inside the log);
 * (c) every event's state before/after can be rebuilt, and hover/definition/symbols never throw;
 * (d) summarizeLog (head + tail) finds the same error as the full parse, on real logs and on big
 *     real logs cut short and ended with a real verifier error.
 *
 * Failures print fast-check's seed and counterexample path; replay with BPFLENS_FC_SEED=<seed>.
 * BPFLENS_FC_SCALE=<n> multiplies the number of runs (a longer fuzzing session; timeouts scale too).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as fc from 'fast-check';
import { definition, hover, symbols } from '../server/src/features/log-features';
import { LINE_KIND_NAMES, LineKind, type VerifierLog } from '../server/src/log/model';
import { lineText, parseLog } from '../server/src/log/parse';
import { bufferSource, summarizeLog, summaryOf, type LogSummary } from '../server/src/log/summary';
import { BIG_LOG, realLogs } from './helpers/corpus';

/** Time bound for one input of up to ~200 KB (parse + summary), generous for slow CI machines. */
const PER_INPUT_MS = 2000;
/** summarizeLog reads head + tail only above this size (HEAD_BYTES + TAIL_BYTES in summary.ts). */
const SUMMARY_WINDOW = 320 * 1024;
const SEED = process.env.BPFLENS_FC_SEED === undefined ? undefined : Number(process.env.BPFLENS_FC_SEED);
/** BPFLENS_FC_SCALE=20 multiplies every numRuns, for a longer fuzzing session. */
const SCALE = Number(process.env.BPFLENS_FC_SCALE ?? 1);
function runs<T>(numRuns: number): fc.Parameters<T> {
  return { numRuns: Math.max(1, Math.round(numRuns * SCALE)), ...(SEED === undefined ? {} : { seed: SEED }) };
}

// ---- corpus ----------------------------------------------------------------------------------

const LOGS = realLogs();
/** Bases for mutation: every real log up to ~240 KB (the 6.18 loop_bounded.L2.log is the biggest). */
const SMALL = LOGS.filter((l) => l.text.length <= 240_000);
/** Real logs big enough that summarizeLog takes its head + tail path. */
const BIGGER = LOGS.filter((l) => l.text.length > SUMMARY_WINDOW + 10_000);

/** What follows the last instruction of each rejected real log: the error, its notes, the stats. */
const ERROR_TAILS: { name: string; text: string }[] = [];
/** Distinct real lines (at most 300 per log, spread over it) and their halves around `;`. */
const VOCAB: string[] = [];
{
  const seen = new Set<string>();
  const add = (s: string): void => {
    if (!seen.has(s)) { seen.add(s); VOCAB.push(s); }
  };
  for (const l of LOGS) {
    const lines = l.text.split('\n');
    const step = Math.max(1, Math.floor(lines.length / 300));
    for (let i = 0; i < lines.length; i += step) {
      add(lines[i]);
      const semi = lines[i].indexOf(';');
      if (semi > 0) { add(lines[i].slice(0, semi)); add(lines[i].slice(semi)); }
    }
    const log = parseLog(l.text);
    if (log.errors.length > 0 && log.events.count > 0) {
      ERROR_TAILS.push({ name: l.name, text: lines.slice(log.events.line[log.events.count - 1] + 1).join('\n') });
    }
  }
}

// ---- arbitraries -----------------------------------------------------------------------------

// Sizes: fast-check's default size ('small') caps arrays and strings near 10 elements whatever
// maxLength says; the explicit sizes below make inputs reach their maxLength.

/** Any UTF-16 code unit, lone surrogates included (editors hand the server such text). */
const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** Characters and words the grammar branches on, so random strings reach deep into it. */
const logAlphabet = fc.constantFrom(
  'R', 'r', 'w', '0', '1', '9', '10', '=', '(', ')', ';', ' ', '\t', '\n', '\r\n', ':', ',', '_w', '_r', 'fp', '-', '8', '#', '@',
  '0: (b7) ', '5: (2d) ', '7: (85) call pc+3', '9: (95) exit', ' ; ', 'R1=', 'R10=fp0', 'fp-8=', 'frame1: ', 'from 4 to 9: ',
  'scalar(', 'smin=', 'var_off=(0x0; 0xff)', 'pkt(r=14)', 'ctx()', 'inv', 'imm0', 'map_value_or_null', 'safe',
  '; if (x) @ f.c:3', 'func#1 @7', 'Live regs before insn:', 'mark_precise: frame0: ', 'returning from callee:',
  'to caller at 8:', 'Validating f() func#1...', 'processed 12 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  'Verification failed: Memory Safety: x', 'Causal path:', '  f @ f.c:1:2', 'libbpf: ', 'invalid access to packet',
  'topo_order[0] = f', '\0', '\u2028', '\ud800',
);

const arbitraryText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 3000, size: 'max' }),
  fc.string({ unit: 'binary-ascii', maxLength: 3000, size: 'max' }),
  fc.string({ unit: utf16Unit, maxLength: 2000, size: 'max' }),
  fc.string({ unit: logAlphabet, maxLength: 600, size: 'max' }),
);

interface Op { kind: number; i: number; j: number; s: string }
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.integer({ min: 0, max: 9 }), i: fc.nat(), j: fc.nat(), s: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 6 }),
});

/** Mutations a log suffers when copied, pasted, wrapped, rotated or edited. */
function applyOps(lines: string[], ops: Op[]): string[] {
  const out = [...lines];
  for (const { kind, i: ri, j: rj, s } of ops) {
    if (out.length === 0) out.push('');
    const i = ri % out.length;
    const j = rj % out.length;
    const line = out[i];
    const at = rj % (line.length + 1);
    switch (kind) {
      case 0: out[i] = line.slice(0, at); break; // truncate
      case 1: out.splice(i, 0, line); break; // duplicate
      case 2: [out[i], out[j]] = [out[j], out[i]]; break; // swap
      case 3: out.splice(i, 1); break; // drop
      case 4: out[i] = line.slice(0, at) + s + line.slice(at); break; // insert random characters
      case 5: out.splice(i, 0, VOCAB[rj % VOCAB.length]); break; // insert a line from another log
      case 6: if (i + 1 < out.length) out.splice(i, 2, line + out[i + 1]); break; // join with the next line
      case 7: out.splice(i, 1, line.slice(0, at), line.slice(at)); break; // split (hard wrap)
      case 8: out[i] = line + '\r'; break; // one CRLF line
      case 9: out[i] = line.slice(at); break; // lose the start of the line
    }
  }
  return out;
}

/** A line soup: real lines and fragments, each possibly damaged. */
const lineSoup = fc.array(
  fc.tuple(fc.constantFrom(...VOCAB), fc.option(opArb, { nil: undefined })).map(([l, op]) => (op ? applyOps([l], [op]).join('\n') : l)),
  { maxLength: 400, size: 'large' },
).map((ls) => ls.join('\n'));

/** A value one time in three, else undefined. */
function sometimes<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: arb, weight: 1 });
}

/** A real log with mutations, rotated (cut at the start, maybe mid-line) and cut at the end. */
const mutatedLog = fc.record({
  // Half the time a level-2-sized log: most real logs are a few hundred bytes.
  base: fc.oneof(fc.constantFrom(...SMALL), fc.constantFrom(...SMALL.filter((l) => l.text.length > 4000))),
  ops: fc.array(opArb, { maxLength: 25, size: 'medium' }),
  rotate: sometimes(fc.nat()),
  cut: sometimes(fc.nat()),
}).map(({ base, ops, rotate, cut }) => {
  let text = applyOps(base.text.split('\n'), ops).join('\n');
  if (rotate !== undefined) text = text.slice(rotate % (text.length + 1));
  if (cut !== undefined) text = text.slice(0, cut % (text.length + 1));
  return text;
});

const anyInput = fc.oneof(arbitraryText, lineSoup, mutatedLog);

// ---- checks ----------------------------------------------------------------------------------

function timed<T>(what: string, text: string, f: () => T, bound = PER_INPUT_MS): T {
  const t0 = performance.now();
  const r = f();
  const ms = performance.now() - t0;
  assert.ok(ms < bound, `${what} took ${ms.toFixed(0)} ms on ${text.length} chars`);
  return r;
}

function newlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Property (b): the line tables and everything indexed by line agree with the text. */
function checkModel(text: string, log: VerifierLog): void {
  assert.equal(log.text, text);
  const n = log.lineCount;
  assert.equal(n, newlines(text) + 1, 'lineCount');
  assert.equal(log.lineKinds.length, n, 'one LineKind per line');
  assert.equal(log.lineStarts.length, n + 1, 'lineStarts length');
  assert.equal(log.lineStarts[0], 0);
  assert.equal(log.lineStarts[n], text.length + 1);
  for (let i = 1; i <= n; i++) {
    assert.ok(log.lineStarts[i] > log.lineStarts[i - 1], `line starts not increasing at ${i}`);
    if (i < n) assert.equal(text.charCodeAt(log.lineStarts[i] - 1), 10, `line ${i} does not start after a newline`);
  }
  for (let i = 0; i < n; i++) assert.ok(log.lineKinds[i] < LINE_KIND_NAMES.length, `kind ${log.lineKinds[i]} at ${i}`);
  const ev = log.events;
  for (const col of [ev.insn, ev.line, ev.opcode, ev.frame, ev.path, ev.note]) assert.equal(col.length, ev.count);
  for (let e = 0; e < ev.count; e++) {
    assert.ok(ev.line[e] < n, 'event line inside the log');
    if (e > 0) assert.ok(ev.line[e] >= ev.line[e - 1], `events out of log order at ${e}`);
    assert.equal(log.lineKinds[ev.line[e]], LineKind.Instruction, `event ${e} not on an instruction line`);
    assert.ok(ev.path[e] < log.paths.length, 'event path');
    assert.ok(ev.note[e] >= -1 && ev.note[e] < log.sourceNotes.length, 'event note');
  }
  for (const l of log.sourceNotes) assert.equal(log.lineKinds[l], LineKind.SourceNote);
  for (const r of log.regions) assert.ok(r.startLine >= 0 && r.startLine <= r.endLine && r.endLine < n, `region ${JSON.stringify(r)}`);
  for (const e of log.errors) {
    assert.ok(e.startLine <= e.endLine && e.endLine < n, `error lines ${e.startLine}-${e.endLine}`);
    assert.equal(log.lineKinds[e.startLine], LineKind.Error);
    assert.ok(e.event === null || e.event < ev.count);
    assert.ok(e.message.split('\n').includes(e.headline), `headline ${JSON.stringify(e.headline)} is not a line of the message`);
  }
  assert.ok(['rejected', 'accepted', 'unknown'].includes(log.verdict));
  assert.equal(log.verdict === 'rejected', log.errors.length > 0 || log.kernelDiagnostic !== null, 'verdict vs errors');
  if (log.stats.line !== null) assert.ok(log.stats.line < n);
  const kd = log.kernelDiagnostic;
  if (kd) {
    assert.ok(kd.startLine <= kd.endLine && kd.endLine < n);
    for (const c of kd.causalPath) assert.ok(c.line >= kd.startLine && c.line <= kd.endLine);
  }
}

function checkSummary(text: string, s: LogSummary): void {
  assert.ok(['rejected', 'accepted', 'unknown'].includes(s.verdict));
  const n = newlines(text) + 1;
  for (const e of s.errors) {
    assert.ok(e.startLine <= e.endLine && e.endLine < n, `summary error lines ${e.startLine}-${e.endLine} of ${n}`);
    assert.ok(e.insnLine === null || e.insnLine < e.startLine);
    assert.ok(e.note === null || e.note.line < n);
  }
}

const REG_TOKEN = /\b(?:[Rrw]\d{1,2}|fp-\d+)/g;

/** Property (c): states of every event, and the editor features at the given positions. */
function checkFeatures(log: VerifierLog, positions: [number, number, boolean][]): void {
  const ev = log.events;
  const step = Math.max(1, Math.floor(ev.count / 2000));
  for (let e = 0; e < ev.count; e += step) {
    for (const st of [log.states.before(e), log.states.after(e)]) {
      for (const slot of st.slots) {
        slot.value();
        assert.ok(slot.line < log.lineCount, `slot ${slot.name} printed on line ${slot.line}`);
      }
      st.get('R1');
      st.get('fp-8');
    }
  }
  for (const [a, b, onReg] of positions) {
    const line = a % (log.lineCount + 2);
    let character = b % 400;
    if (line < log.lineCount) {
      const text = lineText(log, line);
      const regs = [...text.matchAll(REG_TOKEN)];
      character = onReg && regs.length ? regs[b % regs.length].index! + (b % 3) : b % (text.length + 3);
    }
    const h = hover(log, line, character);
    if (h) {
      assert.equal(h.span.line, line);
      assert.ok(h.span.start <= character && character <= h.span.end, `hover span ${JSON.stringify(h.span)} misses ${character}`);
      assert.ok(h.markdown.length > 0);
    }
    const d = definition(log, line, character);
    if (d) assert.ok(d.line <= line && d.line >= 0, `definition of line ${line} at line ${d.line}`);
  }
  for (const s of symbols(log)) assert.ok(s.line <= s.endLine && s.endLine < log.lineCount, `symbol ${JSON.stringify(s)}`);
}

const positionsArb = fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 40, size: 'medium' });

// ---- properties ------------------------------------------------------------------------------

describe('robustness properties', () => {
  it('(a) parseLog and summarizeLog never throw and finish in time on arbitrary strings', { timeout: 30000 * SCALE }, () => {
    fc.assert(fc.property(arbitraryText, (text) => {
      timed('parseLog', text, () => parseLog(text));
      checkSummary(text, timed('summarizeLog', text, () => summarizeLog(text)));
    }), runs(1000));
  });

  it('(a) … on soups of real log lines', { timeout: 30000 * SCALE }, () => {
    fc.assert(fc.property(lineSoup, (text) => {
      timed('parseLog', text, () => parseLog(text));
      checkSummary(text, timed('summarizeLog', text, () => summarizeLog(text)));
    }), runs(300));
  });

  it('(a) … on mutated, rotated and cut real logs', { timeout: 30000 * SCALE }, () => {
    fc.assert(fc.property(mutatedLog, (text) => {
      timed('parseLog', text, () => parseLog(text));
      checkSummary(text, timed('summarizeLog', text, () => summarizeLog(text)));
    }), runs(800));
  });

  it('(b) every line has a kind, line starts are monotonic, line-indexed tables stay inside the log', { timeout: 30000 * SCALE }, () => {
    fc.assert(fc.property(anyInput, (text) => checkModel(text, parseLog(text))), runs(800));
  });

  it('(c) states before/after every event, hover, definition and symbols never throw', { timeout: 30000 * SCALE }, () => {
    fc.assert(fc.property(fc.oneof(mutatedLog, lineSoup), positionsArb, (text, positions) => {
      checkFeatures(parseLog(text), positions);
    }), runs(500));
  });

  it('(c) hover and definition on every register of every real log', { timeout: 30000 }, () => {
    for (const { name, text } of LOGS) {
      const log = parseLog(text);
      const positions: [number, number, boolean][] = [];
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) for (const m of lines[i].matchAll(REG_TOKEN)) positions.push([i, m.index!, false]);
      try {
        checkFeatures(log, positions);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
      }
    }
  });

  it('(d) summarizeLog finds the same error as the full parse on every real log', { timeout: 30000 }, () => {
    for (const { name, text } of LOGS) assertSameError(name, text);
    assert.ok(BIGGER.length > 0, 'no real log above the summary window');
  });

  it('(d) … on big real logs cut at a random point and ended by a real verifier error', { timeout: 30000 * SCALE }, () => {
    const arb = fc.record({
      base: fc.constantFrom(...BIGGER), at: fc.nat(), midLine: fc.boolean(), tail: fc.constantFrom(...ERROR_TAILS),
    });
    fc.assert(fc.property(arb, ({ base, at, midLine, tail }) => {
      const min = SUMMARY_WINDOW + 1024;
      let head = base.text.slice(0, min + (at % (base.text.length - min)));
      head = midLine ? head + '\n' : head.slice(0, head.lastIndexOf('\n') + 1);
      const text = head + tail.text;
      assert.ok(text.length > SUMMARY_WINDOW);
      const s = assertSameError(`${base.name} + tail of ${tail.name}`, text);
      assert.equal(s.verdict, 'rejected');
    }), runs(60));
  });
});

/** Compares summarizeLog with the full parse's summary; returns the head+tail summary. */
function assertSameError(name: string, text: string): LogSummary {
  const full = summaryOf(parseLog(text));
  const fast = summarizeLog(text);
  const errorFields = (s: LogSummary) => s.errors.map((e) => ({
    headline: e.headline, insn: e.insn, startLine: e.startLine, endLine: e.endLine, insnLine: e.insnLine, note: e.note,
  }));
  assert.deepEqual(errorFields(fast), errorFields(full), `${name}: errors differ`);
  assert.equal(fast.verdict, full.verdict, `${name}: verdict`);
  assert.equal(fast.generation, full.generation, `${name}: generation`);
  assert.equal(fast.stats.processedInsns, full.stats.processedInsns, `${name}: processedInsns`);
  assert.equal(fast.stats.line, full.stats.line, `${name}: stats line`);
  return fast;
}

// ---- deterministic regressions ---------------------------------------------------------------

describe('robustness regressions', () => {
  const nobounds = LOGS.find((l) => l.name.endsWith('logs/xdp_nobounds.L1.log'))!;

  function parseAll(text: string, bound = PER_INPUT_MS): VerifierLog {
    const log = timed('parseLog', text, () => parseLog(text), bound);
    checkModel(text, log);
    checkSummary(text, timed('summarizeLog', text, () => summarizeLog(text), bound));
    return log;
  }

  it('empty string', { timeout: 10000 }, () => {
    const log = parseAll('');
    assert.equal(log.lineCount, 1);
    assert.equal(log.lineKinds[0], LineKind.Blank);
    assert.equal(log.verdict, 'unknown');
    assert.deepEqual(log.errors, []);
    assert.equal(hover(log, 0, 0), null);
    assert.equal(definition(log, 0, 0), null);
  });

  it('only newlines', { timeout: 10000 }, () => {
    const log = parseAll('\n\n\n');
    assert.equal(log.lineCount, 4);
    assert.ok([...log.lineKinds].every((k) => k === LineKind.Blank));
    assert.equal(log.verdict, 'unknown');
    assert.equal(summarizeLog('\n\n\n').errors.length, 0);
  });

  it('a single 5 MB line', { timeout: 30000 }, () => {
    const frag = '6: (71) r2 = *(u8 *)(r1 +12) ; R1=pkt(r=14) R2=scalar(smin=smin32=0,';
    for (const text of ['x'.repeat(5 << 20), frag.repeat(Math.ceil((5 << 20) / frag.length))]) {
      const t0 = performance.now();
      const log = parseLog(text);
      checkModel(text, log);
      checkSummary(text, summarizeLog(text));
      checkFeatures(log, [[0, 0, true], [0, 10, false], [0, text.length - 5, false], [0, (5 << 20) / 2, false]]);
      assert.ok(performance.now() - t0 < 10 * PER_INPUT_MS, `5 MB line took ${(performance.now() - t0).toFixed(0)} ms`);
    }
  });

  it('200k lines of "R1="', { timeout: 30000 }, () => {
    const text = Array(200_000).fill('R1=').join('\n');
    const log = parseAll(text, 5 * PER_INPUT_MS);
    assert.equal(log.lineCount, 200_000);
    checkFeatures(log, [[0, 0, true], [100_000, 1, true], [199_999, 0, true]]);
  });

  it('a log cut in the middle of a state (`R1=scalar(smin=`)', { timeout: 10000 }, () => {
    const base = LOGS.find((l) => l.text.includes('R1=scalar(smin='))!;
    const cut = base.text.slice(0, base.text.indexOf('R1=scalar(smin=') + 'R1=scalar(smin='.length);
    const log = parseAll(cut);
    assert.equal(log.truncatedEnd, log.events.count > 0);
    assert.notEqual(log.verdict, 'accepted');
    const last = log.lineCount - 1;
    const h = hover(log, last, lineText(log, last).lastIndexOf('R1='));
    if (h) assert.match(h.markdown, /scalar\(smin=/);
    checkFeatures(log, [[last, 0, true], [last, 1, true], [last, 2, true]]);
  });

  it('NUL bytes inside and around a log', { timeout: 10000 }, () => {
    const text = nobounds.text;
    for (const v of ['\0'.repeat(64) + text, text.replace(/ /g, '\0'), text.replace(/\n/g, '\0'), text + '\0'.repeat(4096), '\0']) {
      const log = parseAll(v);
      checkFeatures(log, [[0, 0, true], [5, 3, true], [18, 10, true]]);
    }
  });

  it('CRLF line endings give the same analysis as LF on every real log', { timeout: 30000 }, () => {
    for (const { name, text } of LOGS) {
      const crlf = text.replace(/\n/g, '\r\n');
      const a = parseLog(text);
      const b = parseLog(crlf);
      checkModel(crlf, b);
      assert.equal(b.verdict, a.verdict, `${name}: verdict`);
      assert.equal(b.generation, a.generation, `${name}: generation`);
      assert.deepEqual([...b.lineKinds], [...a.lineKinds], `${name}: line kinds`);
      assert.deepEqual(b.errors, a.errors, `${name}: errors`);
      assert.equal(b.stats.processedInsns, a.stats.processedInsns, `${name}: stats`);
      const sa = summarizeLog(text);
      const sb = summarizeLog(crlf);
      assert.equal(sb.verdict, sa.verdict, `${name}: summary verdict`);
      assert.deepEqual(sb.errors.map((e) => [e.headline, e.insn, e.startLine, e.note?.text]), sa.errors.map((e) => [e.headline, e.insn, e.startLine, e.note?.text]), `${name}: summary errors`);
    }
  });

  // ---- regressions of bugs found by the properties above ----

  it('an accepted log padded with NUL bytes (a dumped log buffer) stays accepted', {
    timeout: 10000,
  }, () => {
    const pass = LOGS.find((l) => l.name.endsWith('logs/xdp_pass.L2.log'))!;
    const s = summarizeLog(pass.text + '\0'.repeat(1024));
    assert.equal(s.verdict, 'accepted');
    assert.deepEqual(s.errors, []);
  });

  it('an instruction line with a long run of blanks parses and hovers in linear time', {
    timeout: 30000,
  }, () => {
    const text = `0: (b7) r0 = 2${' '.repeat(60_000)}x\n1: (95) exit\n`;
    const log = timed('parseLog', text, () => parseLog(text));
    timed('hover', text, () => hover(log, 0, 8));
  });

  it('a source note with a long run of blanks is decoded in linear time', {
    timeout: 30000,
  }, () => {
    const text = `; x${' '.repeat(40_000)}x\n0: (71) r1 = *(u8 *)(r1 +23)\ninvalid access to packet\n`;
    timed('summarizeLog', text, () => summarizeLog(text));
  });

  it('hover on a value cut mid-print does not invent bounds', {
    timeout: 10000,
  }, () => {
    const text = '0: (b7) r1 = 0 ; R1=scalar(smin=';
    const h = hover(parseLog(text), 0, text.indexOf('R1='));
    assert.ok(h);
    assert.doesNotMatch(h.markdown, /\btrue\b/);
  });
});

// ---- the bench's real big log ------------------------------------------------------------------

describe('robustness on the big level-2 log', () => {
  const present = fs.existsSync(BIG_LOG) && fs.statSync(BIG_LOG).size > SUMMARY_WINDOW;

  it('(d) summarizeLog (string and Buffer) agrees with the full parse', { timeout: 60000 }, (t) => {
    if (!present) { t.skip('.cache/bench/big.L2.log not generated (run the bench)'); return; }
    const buf = fs.readFileSync(BIG_LOG);
    const text = buf.toString('utf8');
    const s = assertSameError('big.L2.log', text);
    const b = summarizeLog(bufferSource(buf));
    assert.deepEqual({ ...b, lineCount: null }, { ...s, lineCount: null }, 'Buffer source summary differs from the string one');
    const t0 = performance.now();
    summarizeLog(text);
    t.diagnostic(`summarizeLog on ${(text.length / 1e6).toFixed(1)} MB: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('(d) … when the big log is cut mid-walk and ends in a verifier error', { timeout: 60000 }, (t) => {
    if (!present) { t.skip('.cache/bench/big.L2.log not generated (run the bench)'); return; }
    const text = fs.readFileSync(BIG_LOG, 'utf8');
    const lines = text.slice(0, Math.floor(text.length * 0.6)).split('\n');
    let cut = lines.length - 2;
    while (cut > 0 && !/^\d+: \([0-9a-f]{2}\) /.test(lines[cut])) cut--;
    const tail = ERROR_TAILS.find((x) => x.name.endsWith('logs/xdp_nobounds.L1.log'))!;
    const s = assertSameError('big.L2.log cut', lines.slice(0, cut + 1).join('\n') + '\n' + tail.text);
    assert.equal(s.verdict, 'rejected');
    assert.equal(s.errors[0].headline, 'R1 offset is outside of the packet');
    assert.equal(s.errors[0].insnLine, cut);
  });
});
