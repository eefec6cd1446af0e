/**
 * The verifier message catalogue (server/src/diagnose/catalogue/): every format extracted from
 * the kernel sources belongs to one entry, every entry's matcher finds rendered examples of its
 * formats, the most specific entry wins, and real logs get the expected codes and explanations.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { catalogue, explainFromCatalogue, hintsFor, matchLine, resolve } from '../../server/src/diagnose/catalogue/index';
import { FORMATS_FILE } from '../../server/src/diagnose/catalogue/formats';
import { matchSegment, parseFormat, render, sampleValues, type Segment } from '../../server/src/diagnose/catalogue/matcher';
import { KERNEL_CATEGORIES } from '../../server/src/diagnose/catalogue/types';
import { MESSAGE_RULES } from '../../server/src/diagnose/messages';
import { FIXTURES, ROOT, list, meta, read } from '../helpers/fixtures';
import { FAILING_FIXTURE_CODES } from '../helpers/expected';

const cat = catalogue();
const TARGET_SERIES = FORMATS_FILE.kernels.map((k) => k.series);

/** The text one segment (log line) of a format prints for the given values, as matched (trimmed). */
function renderSegment(seg: Segment, values: readonly string[]): string {
  let i = seg.convOffset;
  return seg.pieces.map((p) => ('lit' in p ? p.lit : values[i++])).join('').trim();
}

/** True when two conversions touch (no literal between): their values cannot be told apart. */
function ambiguous(seg: Segment): boolean {
  return seg.pieces.some((p, i) => 'conv' in p && i > 0 && 'conv' in seg.pieces[i - 1]);
}

/** The error lines of a log: between the last instruction line and `processed N insns`. */
function errorLines(text: string): string[] {
  const lines = text.split('\n').filter((l) => !l.startsWith('#'));
  let last = -1;
  let processed = lines.length;
  lines.forEach((l, i) => {
    if (/^\d+: \(/.test(l)) last = i;
    if (/^processed \d+ insns/.test(l)) processed = i;
  });
  return lines.slice(last + 1, processed);
}

describe('catalogue coverage', () => {
  it('has formats for every catalogued kernel, read from the sources', () => {
    assert.deepEqual(TARGET_SERIES, ['5.10', '6.1', '6.12', '7.3']);
    for (const k of FORMATS_FILE.kernels) {
      assert.ok(FORMATS_FILE.stats[k.series].formats > 400, k.series);
      assert.equal(FORMATS_FILE.stats[k.series].unresolved, 0, `${k.series}: format arguments the extractor could not evaluate`);
    }
    assert.deepEqual(FORMATS_FILE.unresolved, []);
  });

  it('every format of the target versions is in exactly one entry', () => {
    const owners = new Map<string, string[]>();
    for (const e of cat.entries) for (const f of e.formats) owners.set(f, [...(owners.get(f) ?? []), e.code]);
    const missing = FORMATS_FILE.formats.filter((r) => r.versions.some((v) => TARGET_SERIES.includes(v)) && !owners.has(r.format)).map((r) => r.format);
    assert.deepEqual(missing, [], `formats without an entry:\n${missing.map((f) => JSON.stringify(f)).join('\n')}`);
    const twice = [...owners].filter(([, codes]) => codes.length > 1);
    assert.deepEqual(twice, []);
    assert.deepEqual(cat.conflicts, [], 'formats two entries claim');
    assert.deepEqual(cat.uncovered, []);
    assert.deepEqual(cat.unknownFormats, [], 'entries list formats the sources do not print');
  });

  it('every entry owns formats, has a kebab-case code, one of the seven categories and fix strategies', () => {
    const codes = new Set<string>();
    for (const e of cat.entries) {
      assert.ok(e.formats.length > 0, `${e.code} owns no format`);
      assert.match(e.code, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      assert.ok(!codes.has(e.code), `duplicate code ${e.code}`);
      codes.add(e.code);
      for (const v of e.variants ?? []) codes.add(v.code);
      assert.ok(KERNEL_CATEGORIES.includes(e.category), `${e.code}: ${e.category}`);
      assert.ok(e.fixStrategies.length > 0, e.code);
      assert.deepEqual(e.versions.filter((v) => !TARGET_SERIES.includes(v)), []);
    }
  });

  it('keeps the published codes of messages.ts', () => {
    for (const r of MESSAGE_RULES) assert.ok(cat.byCode.has(r.code), `code ${r.code} of messages.ts is not in the catalogue`);
  });

  it('agrees with the category a 7.3+ source gives a message itself', () => {
    const disagree: string[] = [];
    for (const [format, c] of cat.formats) {
      for (const d of c.record.diag ?? []) {
        if (c.entry && c.entry.category !== d.category) disagree.push(`${c.entry.code} (${c.entry.category}) vs kernel ${d.category}: ${JSON.stringify(format)}`);
      }
    }
    assert.deepEqual(disagree, []);
    assert.ok([...cat.formats.values()].filter((c) => c.record.diag).length >= 50, 'the 7.3 sources categorise messages');
  });

  it('formats.ts carries the data of formats.json', () => {
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'server/src/diagnose/catalogue/formats.json'), 'utf8'));
    assert.deepEqual(JSON.parse(JSON.stringify(FORMATS_FILE)), json);
  });
});

describe('matchers built from the formats', () => {
  it('parses printf conversions of the kernel', () => {
    const pieces = parseFormat('R%d off=%lld %s%% %#llx %pS %*c;');
    assert.deepEqual(pieces.map((p) => ('lit' in p ? p.lit : p.conv.kind)), ['R', 'int', ' off=', 'int', ' ', 'str', '% ', 'hex', ' ', 'ptr', ' ', 'char', ';']);
    assert.equal(render('R%d off=%d', [3, -8]), 'R3 off=-8');
  });

  it('marks fragments and formats that cannot be told apart from other lines', () => {
    const only = cat.formats.get('%s')!.cf;
    assert.equal(only.matchable, false);
    assert.match(only.reason!, /only conversions/);
    const prefix = cat.formats.get('R%d type=%s expected=')!.cf;
    assert.equal(prefix.fragment, true);
    assert.equal(prefix.matchable, true);
    for (const c of cat.formats.values()) if (!c.cf.matchable) assert.ok(c.cf.reason, c.cf.format);
  });

  it("every entry's matcher matches a rendered example of each of its formats and extracts the values", () => {
    const failures: string[] = [];
    let checked = 0;
    for (const c of cat.formats.values()) {
      if (!c.cf.matchable) continue;
      const values = sampleValues(c.cf.format);
      for (const seg of c.cf.segments) {
        const line = renderSegment(seg, values);
        const own = values.slice(seg.convOffset, seg.convOffset + seg.pieces.filter((p) => 'conv' in p).length);
        // A suffix lands after the printer's own prefix (BTF's "[3] STRUCT foo size=4 vlen=1").
        const examples = c.cf.placement === 'suffix' && seg.index === 0 ? [line, `[3] STRUCT foo size=4 vlen=1 ${line}`] : [line];
        for (const ex of examples) {
          checked++;
          const m = matchSegment(seg, ex);
          if (!m) { failures.push(`no match: ${JSON.stringify(c.cf.format)} on ${JSON.stringify(ex)}`); continue; }
          if (ambiguous(seg)) {
            if (renderSegment(seg, [...values.slice(0, seg.convOffset), ...m.values]) !== line) failures.push(`round trip: ${JSON.stringify(c.cf.format)}`);
          } else if (JSON.stringify(m.values) !== JSON.stringify(own)) {
            failures.push(`values of ${JSON.stringify(c.cf.format)}: ${JSON.stringify(m.values)} != ${JSON.stringify(own)}`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(checked > 1000, `${checked} examples`);
  });

  it('no rendered example is claimed first by a different, more general entry', () => {
    const wrong: string[] = [];
    for (const c of cat.formats.values()) {
      if (!c.cf.matchable || !c.entry) continue;
      const seg = c.cf.segments[0];
      const line = renderSegment(seg, sampleValues(c.cf.format));
      const best = matchLine(line);
      if (!best) { wrong.push(`unmatched: ${line}`); continue; }
      if (best.entry !== c.entry && !(best.segment.literalLength > seg.literalLength)) {
        wrong.push(`${JSON.stringify(line)} (${c.entry.code}) claimed by ${best.entry.code} via ${JSON.stringify(best.format.format)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('names the same failure as the messages.ts rules wherever both know a message', () => {
    // Deliberate differences: the catalogue follows the kernel where the old table guessed.
    const ALLOWED: Record<string, string> = {
      // messages.ts's /^invalid func (\S+)/ also takes "invalid func info rec size": BTF func_info, not a helper.
      'invalid func info rec size %u\n': 'func-info',
    };
    const differ: string[] = [];
    for (const c of cat.formats.values()) {
      if (!c.cf.matchable || !c.entry || c.entry.kind === 'trace') continue;
      const line = renderSegment(c.cf.segments[0], sampleValues(c.cf.format));
      const legacy = MESSAGE_RULES.find((r) => r.pattern.test(line));
      if (!legacy) continue;
      const m = matchLine(line)!;
      const code = resolve(m.entry, m.values).code;
      if (code !== legacy.code && ALLOWED[c.cf.format] !== code) differ.push(`${JSON.stringify(line)}: messages.ts ${legacy.code}, catalogue ${code}`);
    }
    assert.deepEqual(differ, []);
  });
});

const EXPECTED_CODES = FAILING_FIXTURE_CODES;

/** Values each explanation must mention. */
const EXPECTED_VALUES: Record<string, (string | RegExp)[]> = {
  array_oob: ['128', '8'],
  bad_ctx: ['32', '4'],
  helper_badarg: ['R1', 'map_value', 'map_ptr'],
  map_null: ['R0', 'map_value_or_null'],
  ret_range: ['[0, 1]', 'smin=0 smax=3'],
  ringbuf_leak: ['2', 'insn 7'],
  scalar_deref: ['R1', 'scalar'],
  stack_uninit: ['-16', 'R2', '16'],
  unbounded_loop: ['insn 55'],
  xdp_nobounds: ['R1'],
  signed_index: ['map_value'],
};

describe('real logs', () => {
  const failing = list('logs', '.L1.log').filter((rel) => meta(rel).verdict === 'rejected');

  it('has every failing L1 fixture in the expectations', () => {
    for (const rel of failing) assert.ok(rel.replace(/^logs\/|\.L1\.log$/g, '') in EXPECTED_CODES, rel);
  });

  for (const rel of failing) {
    const prog = rel.replace(/^logs\/|\.L1\.log$/g, '');
    it(`${rel}: ${EXPECTED_CODES[prog]}, explained with its values`, () => {
      const kernel = (meta(rel) as unknown as { kernel?: string }).kernel;
      const r = explainFromCatalogue(errorLines(read(rel)), { kernel });
      assert.ok(r, 'matched');
      assert.equal(r.code, EXPECTED_CODES[prog]);
      assert.ok(r.kind === 'error' || r.kind === 'follow-up');
      for (const v of EXPECTED_VALUES[prog] ?? []) assert.ok(typeof v === 'string' ? r.explanation.includes(v) : v.test(r.explanation), `${v} in: ${r.explanation}`);
    });
  }

  const kernels = fs.readdirSync(path.join(FIXTURES, 'kernels')).filter((d) => /^\d/.test(d)).sort();
  const KERNEL_EXPECTED: [string, string, RegExp][] = [
    ...kernels.map((k): [string, string, RegExp] => [`kernels/${k}/xdp_nobounds.log`, k.startsWith('7.') ? 'pkt-access' : 'pkt-out-of-bounds', /R1/]),
    ['kernels/5.10.251-deb11-cloud/bpf_loop.log', 'func-info', /callback/],
  ];
  for (const [rel, code, mentions] of KERNEL_EXPECTED) {
    it(`${rel}: ${code}`, () => {
      const r = explainFromCatalogue(errorLines(read(rel)), { kernel: rel.split('/')[1] });
      assert.ok(r, 'matched');
      assert.equal(r.code, code);
      assert.equal(r.kind, 'error');
      assert.match(r.explanation, mentions);
    });
  }

  it('7.3: the packet access line wins over the generic follow-up and the diagnostic block', () => {
    const r = explainFromCatalogue(errorLines(read('kernels/7.3.4-deb13bpo-cloud/xdp_nobounds.log')))!;
    assert.match(r.explanation, /1 byte\(s\) at offset 23/);
    assert.match(r.explanation, /14 byte/);
    assert.ok(r.related.some((x) => x.code === 'mem-out-of-range' && x.kind === 'follow-up'));
    assert.ok(r.related.every((x) => x.kind !== 'error'));
  });

  it('state dumps and statistics are never a diagnosis', () => {
    assert.equal(explainFromCatalogue(['cur state: R0=1 R10=fp0', 'processed 12 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0']), null);
    assert.equal(matchLine('processed 12 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0')?.entry.code, 'trace-stats');
  });
});

describe('explanations', () => {
  it('carry the values of the occurrence', () => {
    const missing: string[] = [];
    for (const c of cat.formats.values()) {
      if (!c.cf.matchable || !c.entry || c.entry.kind === 'trace' || c.entry.kind === 'bug' || c.cf.conversions.length === 0) continue;
      const seg = c.cf.segments[0];
      if (seg.pieces.every((p) => 'lit' in p)) continue;
      const line = renderSegment(seg, sampleValues(c.cf.format));
      const m = matchLine(line);
      if (!m) { missing.push(`unmatched: ${line}`); continue; }
      const text = resolve(m.entry, m.values).explanation;
      assert.doesNotMatch(text, /undefined|NaN|\$\{|\[object /, `${c.entry.code}: ${text}`);
      const shown = m.values.args.filter((a) => a.trim() !== '');
      if (shown.length && !shown.some((a) => text.includes(a))) missing.push(`${c.entry.code}: ${JSON.stringify(c.cf.format)} → ${text}`);
    }
    assert.deepEqual(missing, []);
  });

  it('of bugs and trace lines quote the line', () => {
    const m = matchLine('verifier bug: backtracking idx 7')!;
    assert.equal(m.entry.kind, 'bug');
    assert.match(resolve(m.entry, m.values).explanation, /backtracking idx 7/);
  });
});

describe('kernel-aware hints', () => {
  it('says how a helper unavailable to the program type is spelled on each kernel', () => {
    const old = hintsFor('helper-not-allowed', '5.10.0-43-cloud-amd64');
    assert.ok(old.some((h) => /unknown func NAME#ID/.test(h)));
    assert.ok(old.some((h) => /"unknown func %s#%d".*gone after 6\.1/.test(h)));
    assert.ok(old.some((h) => /"program of this type cannot use helper %s#%d".*new in 6\.12/.test(h)));
    const recent = hintsFor('helper-not-allowed', '7.3.4');
    assert.ok(!recent.some((h) => /unknown func NAME#ID/.test(h)), 'the 5.10/6.1 note is not shown for 7.3');
  });

  it('says that "invalid indirect read from stack" became "invalid read from stack"', () => {
    assert.ok(hintsFor('stack-read-uninit', '6.1').some((h) => /invalid indirect read from stack/.test(h)));
    assert.deepEqual(hintsFor('no-such-code'), []);
  });

  it('maps the 5.10 func_info message of callback programs to its cause', () => {
    const r = explainFromCatalogue(['number of funcs in func_info doesn\'t match number of subprogs'], { kernel: '5.10.251' })!;
    assert.ok(r.hints.some((h) => /bpf_loop/.test(h)));
  });
});

describe('speed', () => {
  it('explains ten lines in well under 5 ms once built', () => {
    const lines = errorLines(read('kernels/7.3.4-deb13bpo-cloud/xdp_nobounds.log')).slice(0, 10);
    explainFromCatalogue(lines);
    const runs = 50;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) explainFromCatalogue(lines);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
    assert.ok(ms < 5, `${ms.toFixed(3)} ms per call`);
  });
});
