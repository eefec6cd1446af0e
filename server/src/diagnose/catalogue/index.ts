/**
 * The verifier message catalogue: every format the kernel sources print into a verifier log
 * (formats.ts, generated from Debian's kernel sources by scripts/catalogue/), each owned by one
 * entry (entries.ts) that names, categorises and explains it.
 *
 * `explainFromCatalogue(lines)` finds the message an error's lines are, most specific first:
 * within a line the format with the most literal text wins; across lines the last line that is
 * an error wins (the kernel prints the conclusion last), except that generic follow-up lines
 * (`R1 max value is outside of the allowed memory range`) yield to a specific line before them,
 * and state dumps, statistics and other trace output never count.
 */
import { ENTRY_DEFS } from './entries';
import { FORMATS_FILE } from './formats';
import { compileFormat, makeValues, matchSegment, type CompiledFormat, type Segment } from './matcher';
import type { Entry, EntryDef, EntryKind, EntryVariant, FixStrategy, FormatRecord, KernelCategory, KernelHint, Values } from './types';

export type { Entry, EntryKind, FixStrategy, KernelCategory, KernelHint, Values } from './types';

export interface CatalogueExplanation {
  code: string;
  category: KernelCategory;
  kind: EntryKind;
  explanation: string;
  fixStrategies: FixStrategy[];
  /** Kernel series whose sources print one of the entry's formats. */
  versions: string[];
  hints: string[];
  /** The printf format that matched (as in the kernel source). */
  format: string;
  /** The line that matched, trimmed, and its index in the lines given. */
  line: string;
  lineIndex: number;
  values: readonly string[];
  /** The other lines of the error that the catalogue knows, in order. */
  related: { code: string; kind: EntryKind; line: string; lineIndex: number }[];
}

export interface LineMatch {
  entry: Entry;
  format: CompiledFormat;
  segment: Segment;
  values: Values;
}

interface Compiled {
  cf: CompiledFormat;
  record: FormatRecord;
  entry: Entry | null;
}

interface Candidate {
  compiled: Compiled;
  segment: Segment;
  /** Position in specificity order (lower is more specific). */
  rank: number;
}

export interface CatalogueIndex {
  entries: Entry[];
  /** Entry of every code, variant codes included (a variant code maps to its entry). */
  byCode: Map<string, Entry>;
  formats: Map<string, Compiled>;
  /** Formats no entry owns; formats two entries claim; listed formats that do not exist. */
  uncovered: string[];
  conflicts: { format: string; codes: string[] }[];
  unknownFormats: { code: string; format: string }[];
  /** Word → candidate segments in specificity order; `rest` holds segments without a whole word. */
  byWord: Map<string, Candidate[]>;
  rest: Candidate[];
}

const PLACEMENT_RANK = { line: 0, suffix: 1, prefix: 2, middle: 3 } as const;

function seriesKey(s: string): number {
  const [a, b] = s.split('.').map(Number);
  return a * 1000 + (b || 0);
}

/** "6.18.44-fc" / "5.10.0-43-cloud-amd64" / "7.3" → "6.18" / "5.10" / "7.3"; null when unreadable. */
export function seriesOf(kernel: string | undefined | null): string | null {
  const m = /(\d+)\.(\d+)/.exec(kernel ?? '');
  return m ? `${Number(m[1])}.${Number(m[2])}` : null;
}

function range(versions: string[]): string {
  const all = FORMATS_FILE.kernels.map((k) => k.series);
  const idx = versions.map((v) => all.indexOf(v)).sort((a, b) => a - b);
  const contiguous = idx.every((v, i) => i === 0 || v === idx[i - 1] + 1);
  if (versions.length === 1) return versions[0];
  return contiguous ? `${all[idx[0]]}–${all[idx[idx.length - 1]]}` : versions.join(', ');
}

function shown(format: string): string {
  return JSON.stringify(format.replace(/\n+$/, '')).slice(1, -1).replace(/\\"/g, '"');
}

/** Notes on formats of an entry that only some kernels print (spelling changes across versions). */
function deriveHints(formats: string[], records: Map<string, FormatRecord>): KernelHint[] {
  const all = FORMATS_FILE.kernels.map((k) => k.series);
  const partial = formats.map((f) => records.get(f)!).filter((r) => r && r.versions.length < all.length);
  if (partial.length === 0) return [];
  return partial
    .sort((a, b) => seriesKey(a.versions[0]) - seriesKey(b.versions[0]) || (a.format < b.format ? -1 : a.format > b.format ? 1 : 0))
    .map((r) => {
      const first = r.versions[0], last = r.versions[r.versions.length - 1];
      const since = first !== all[0] ? ` (new in ${first})` : '';
      const until = last !== all[all.length - 1] ? ` (gone after ${last})` : '';
      return { text: `Kernel ${range(r.versions)} prints "${shown(r.format)}"${since}${until}.`, when: undefined };
    });
}

function build(): CatalogueIndex {
  const records = new Map(FORMATS_FILE.formats.map((r) => [r.format, r] as const));
  const entries: Entry[] = [];
  const exactOwner = new Map<string, Entry[]>();
  const unknownFormats: { code: string; format: string }[] = [];
  for (const d of ENTRY_DEFS as EntryDef[]) {
    const e: Entry = {
      ...d,
      kind: d.kind ?? 'error',
      formats: [],
      families: d.families ?? [],
      versions: [],
      derivedHints: [],
    };
    for (const f of d.formats ?? []) {
      if (!records.has(f)) { unknownFormats.push({ code: d.code, format: f }); continue; }
      const owners = exactOwner.get(f) ?? [];
      owners.push(e);
      exactOwner.set(f, owners);
    }
    entries.push(e);
  }
  // One alternation per entry: a format is tested once per entry, not once per family.
  const unions = new Map(entries.filter((e) => e.families.length).map((e) => [e, new RegExp(e.families.map((re) => `(?:${re.source})`).join('|'))] as const));
  const conflicts: { format: string; codes: string[] }[] = [];
  const uncovered: string[] = [];
  const owner = new Map<string, Entry>();
  for (const r of FORMATS_FILE.formats) {
    // Exact lists first, then text families, then families by the extractor's facts, then the
    // catch-all entries' families.
    const byFamily = (fallback: boolean) => entries.filter((e) => !!e.fallback === fallback && unions.get(e)?.test(r.format));
    const byWhere = (fallback: boolean) => entries.filter((e) => !!e.fallback === fallback && !!e.where?.(r));
    let claim = exactOwner.get(r.format) ?? [];
    if (claim.length === 0) claim = byFamily(false);
    if (claim.length === 0) claim = byWhere(false);
    if (claim.length === 0) claim = byFamily(true);
    if (claim.length === 0) claim = byWhere(true);
    if (claim.length === 0) uncovered.push(r.format);
    else if (claim.length > 1) conflicts.push({ format: r.format, codes: claim.map((e) => e.code) });
    if (claim.length >= 1) {
      owner.set(r.format, claim[0]);
      claim[0].formats.push(r.format);
    }
  }
  for (const e of entries) {
    const vs = new Set(e.formats.flatMap((f) => records.get(f)!.versions));
    e.versions = [...vs].sort((a, b) => seriesKey(a) - seriesKey(b));
    e.derivedHints = deriveHints(e.formats, records);
  }
  const formats = new Map<string, Compiled>();
  const all: Candidate[] = [];
  for (const r of FORMATS_FILE.formats) {
    const cf = compileFormat(r.format, r.placement);
    const c: Compiled = { cf, record: r, entry: owner.get(r.format) ?? null };
    formats.set(r.format, c);
    if (!cf.matchable || !c.entry) continue;
    for (const segment of cf.segments) all.push({ compiled: c, segment, rank: 0 });
  }
  all.sort((a, b) =>
    b.segment.literalLength - a.segment.literalLength ||
    PLACEMENT_RANK[a.compiled.cf.placement] - PLACEMENT_RANK[b.compiled.cf.placement] ||
    a.segment.index - b.segment.index ||
    a.compiled.cf.conversions.length - b.compiled.cf.conversions.length ||
    (a.compiled.cf.format < b.compiled.cf.format ? -1 : a.compiled.cf.format > b.compiled.cf.format ? 1 : 0));
  all.forEach((c, i) => { c.rank = i; });
  const byWord = new Map<string, Candidate[]>();
  const rest: Candidate[] = [];
  for (const c of all) {
    const words = c.segment.words;
    if (words.length === 0) { rest.push(c); continue; }
    // The rarest-looking word: the longest.
    const w = words.reduce((a, b) => (b.length > a.length ? b : a));
    const list = byWord.get(w) ?? [];
    list.push(c);
    byWord.set(w, list);
  }
  const byCode = new Map<string, Entry>();
  for (const e of entries) {
    byCode.set(e.code, e);
    for (const v of e.variants ?? []) if (!byCode.has(v.code)) byCode.set(v.code, e);
  }
  return { entries, byCode, formats, uncovered, conflicts, unknownFormats, byWord, rest };
}

let index: CatalogueIndex | null = null;

/** The compiled catalogue (built once, on first use). */
export function catalogue(): CatalogueIndex {
  return (index ??= build());
}

const LINE_WORD = /[A-Za-z0-9_]+/g;

/** The most specific catalogue format a single log line is, of any kind, or null. */
export function matchLine(rawLine: string): LineMatch | null {
  const line = rawLine.trim();
  if (!line) return null;
  const ix = catalogue();
  const seen = new Set<string>();
  const cands: Candidate[] = [];
  for (const m of line.matchAll(LINE_WORD)) {
    const w = m[0];
    if (seen.has(w)) continue;
    seen.add(w);
    const list = ix.byWord.get(w);
    if (list) for (const c of list) cands.push(c);
  }
  for (const c of ix.rest) cands.push(c);
  cands.sort((a, b) => a.rank - b.rank);
  for (const c of cands) {
    const m = matchSegment(c.segment, line);
    if (!m) continue;
    const entry = c.compiled.entry!;
    return { entry, format: c.compiled.cf, segment: c.segment, values: makeValues(c.compiled.cf, c.segment, m.values, line) };
  }
  return null;
}

function hintTexts(entry: Entry, kernel?: string | null, variant?: EntryVariant): string[] {
  const s = seriesOf(kernel);
  const applies = (h: KernelHint) => !h.when || !s ||
    ((!h.when.from || seriesKey(s) >= seriesKey(h.when.from)) && (!h.when.upTo || seriesKey(s) <= seriesKey(h.when.upTo)));
  return [...(variant?.hints ?? []), ...(entry.hints ?? [])].filter(applies).concat(entry.derivedHints).map((h) => h.text);
}

/** An entry as it applies to one occurrence: the first variant whose condition holds, if any. */
export interface Resolved {
  code: string;
  category: KernelCategory;
  kind: EntryKind;
  explanation: string;
  fixStrategies: FixStrategy[];
  variant?: EntryVariant;
}

export function resolve(entry: Entry, values: Values): Resolved {
  const variant = entry.variants?.find((x) => x.when(values));
  return {
    code: variant?.code ?? entry.code,
    category: variant?.category ?? entry.category,
    kind: entry.kind,
    explanation: (variant?.explain ?? entry.explain)(values),
    fixStrategies: variant?.fixStrategies ?? entry.fixStrategies,
    variant,
  };
}

/**
 * Kernel-aware notes for an entry: its hand-written hints that apply to `kernelVersion` (all of
 * them when it is not given), then how the message is spelled across the catalogued kernels.
 */
export function hintsFor(code: string, kernelVersion?: string): string[] {
  const e = catalogue().byCode.get(code);
  return e ? hintTexts(e, kernelVersion, e.variants?.find((v) => v.code === code)) : [];
}

/** The entry of a code, or undefined. */
export function entryFor(code: string): Entry | undefined {
  return catalogue().byCode.get(code);
}

/**
 * Explains an error from its log lines (the lines between the last instruction and `processed N
 * insns`, in order). Null when no line is a catalogued error (the caller falls back).
 */
export function explainFromCatalogue(lines: readonly string[], opts: { kernel?: string } = {}): CatalogueExplanation | null {
  const matches: { m: LineMatch; line: string; lineIndex: number }[] = [];
  lines.forEach((raw, lineIndex) => {
    const line = raw.trim();
    const m = matchLine(line);
    if (m && m.entry.kind !== 'trace') matches.push({ m, line, lineIndex });
  });
  if (matches.length === 0) return null;
  const specific = matches.filter((x) => x.m.entry.kind === 'error' || x.m.entry.kind === 'bug');
  const pool = specific.length ? specific : matches;
  // The last line names the failure; of the lines that name the same failure, the one that
  // prints the most values explains it best ("Unreleased reference id=2 alloc_insn=7" over
  // "BPF_EXIT instruction in main prog would lead to reference leak").
  const last = pool[pool.length - 1];
  const code = resolve(last.m.entry, last.m.values).code;
  const same = pool.filter((x) => x.m.entry === last.m.entry && resolve(x.m.entry, x.m.values).code === code);
  const pick = same.reduce((a, b) => (b.m.values.args.length >= a.m.values.args.length ? b : a));
  const e = pick.m.entry;
  const r = resolve(e, pick.m.values);
  return {
    code: r.code,
    category: r.category,
    kind: e.kind,
    explanation: r.explanation,
    fixStrategies: r.fixStrategies,
    versions: e.versions,
    hints: hintTexts(e, opts.kernel, r.variant),
    format: pick.m.format.format,
    line: pick.line,
    lineIndex: pick.lineIndex,
    values: pick.m.values.args,
    related: matches.filter((x) => x !== pick).map((x) => ({ code: resolve(x.m.entry, x.m.values).code, kind: x.m.entry.kind, line: x.line, lineIndex: x.lineIndex })),
  };
}
