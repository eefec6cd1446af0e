/**
 * printf formats of the kernel turned into matchers, mechanically: every conversion becomes a
 * capture of the text it can print, every literal is escaped. Nothing here knows a message.
 *
 * A format may print several log lines (an inner "\n"); each line is a segment with its own
 * regex. How a segment is anchored follows the format's placement (types.ts `Placement`): a
 * whole line is anchored at both ends, a prefix only at the start, a suffix only at the end.
 */
import type { Placement, Values } from './types';

export type ConversionKind = 'int' | 'uint' | 'hex' | 'octal' | 'char' | 'str' | 'ptr';

export interface Conversion {
  kind: ConversionKind;
  /** The whole spec, e.g. '%-8s', '%#llx', '%pS'. */
  spec: string;
  flags: string;
  /** A `*` width: the conversion takes an extra int argument. */
  star: boolean;
  /** Literal key right before the conversion (`off=%d` → 'off'), or null. */
  key: string | null;
}

export type Piece = { lit: string } | { conv: Conversion };

/** Splits a printf format into literal text and conversions (kernel vsnprintf syntax). */
export function parseFormat(fmt: string): Piece[] {
  const pieces: Piece[] = [];
  let lit = '';
  const re = /%(?:%|([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|z|j|t|L)?([diouxXcsp])((?<=p)[A-Za-z]+)?)/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fmt))) {
    lit += fmt.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === '%%') { lit += '%'; continue; }
    const c = m[5];
    const kind: ConversionKind = c === 'd' || c === 'i' ? 'int' : c === 'u' ? 'uint' : c === 'x' || c === 'X' ? 'hex'
      : c === 'o' ? 'octal' : c === 'c' ? 'char' : c === 's' ? 'str' : 'ptr';
    if (lit) pieces.push({ lit });
    const key = /([A-Za-z_][A-Za-z0-9_]*)[=: #]?$/.exec(lit)?.[1] ?? null;
    lit = '';
    pieces.push({ conv: { kind, spec: m[0], flags: m[1] ?? '', star: m[2] === '*', key } });
  }
  lit += fmt.slice(last);
  if (lit) pieces.push({ lit });
  return pieces;
}

export interface Segment {
  /** Index of the segment (log line) inside the format. */
  index: number;
  pieces: Piece[];
  anchorStart: boolean;
  anchorEnd: boolean;
  regex: RegExp;
  /** Non-blank literal characters: how specific a match is. */
  literalLength: number;
  /** Literal words that must appear whole in a matching line (for the index). */
  words: string[];
  /** Index of the first conversion of this segment among the format's conversions. */
  convOffset: number;
}

export interface CompiledFormat {
  format: string;
  placement: Placement;
  pieces: Piece[];
  conversions: Conversion[];
  segments: Segment[];
  /** A piece of a line (not a whole line): matched at one end only. */
  fragment: boolean;
  /** False when too little literal text is left to tell the message apart from any other line. */
  matchable: boolean;
  reason?: string;
  /** Literal length of the first segment (the one that identifies the message). */
  literalLength: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Literal text as a regex: runs of blanks match any run of blanks (columns vary). */
function literalRegex(s: string): string {
  return s.split(/([ \t]+)/).map((p) => (/^[ \t]+$/.test(p) ? '[ \\t]+' : escape(p))).join('');
}

function conversionRegex(c: Conversion, last: boolean): string {
  const pad = c.star || /\d/.test(c.spec.replace(/^%[-+ #0]*/, '').replace(/[a-zA-Z].*$/, '')) ? ' *' : '';
  switch (c.kind) {
    case 'int': return `${pad}([-+]?\\d+)`;
    case 'uint': return `${pad}(\\d+)`;
    case 'octal': return `${pad}([0-7]+)`;
    case 'hex': return `${pad}(${c.flags.includes('#') ? '0[xX][0-9a-fA-F]+|0' : '[0-9a-fA-F]+'})`;
    case 'char': return `${pad}([^\\n])`;
    case 'ptr': return '(\\S+)';
    case 'str': return last ? '(.*)' : '(.*?)';
  }
}

const WORD = /[A-Za-z0-9_]+/g;

/** Fragments not anchored by text at the line start need this many literal characters. */
const MIN_FRAGMENT_LITERAL = 10;

/** Whole words of a segment's literals: not glued to a conversion, not at an open end. */
function anchorWords(pieces: Piece[], anchorStart: boolean, anchorEnd: boolean): string[] {
  const words: string[] = [];
  pieces.forEach((p, i) => {
    if (!('lit' in p)) return;
    const s = p.lit;
    for (const m of s.matchAll(WORD)) {
      const w = m[0];
      const start = m.index!;
      const end = start + w.length;
      const openLeft = start === 0 && (i > 0 || !anchorStart);
      const openRight = end === s.length && (i < pieces.length - 1 || !anchorEnd);
      if (openLeft || openRight || w.length < 3 || /^\d+$/.test(w)) continue;
      words.push(w);
    }
  });
  return words;
}

/** Compiles a format (with its placement from formats.json) into per-line matchers. */
export function compileFormat(format: string, placement: Placement): CompiledFormat {
  const pieces = parseFormat(format);
  const conversions = pieces.flatMap((p) => ('conv' in p ? [p.conv] : []));
  // Split at newlines inside literals: one segment per log line.
  const lines: Piece[][] = [[]];
  for (const p of pieces) {
    if ('conv' in p) { lines[lines.length - 1].push(p); continue; }
    const parts = p.lit.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) lines.push([]);
      if (part) lines[lines.length - 1].push({ lit: part });
    });
  }
  const endsWithNewline = format.endsWith('\n');
  const segments: Segment[] = [];
  let convOffset = 0;
  lines.forEach((segPieces, i) => {
    const convs = segPieces.filter((p) => 'conv' in p).length;
    const isFirst = i === 0, isLast = i === lines.length - 1;
    // Blank lines (a leading "\n", a trailing "\n\n") identify nothing.
    if (segPieces.every((p) => 'lit' in p && p.lit.trim() === '')) { convOffset += convs; return; }
    const anchorStart = !isFirst || placement === 'line' || placement === 'prefix';
    const anchorEnd = !isLast || endsWithNewline || placement === 'line' || placement === 'suffix';
    // Lines are compared trimmed: drop blanks at anchored ends.
    const trimmed = segPieces.map((p) => ({ ...p }));
    const first = trimmed[0], lastP = trimmed[trimmed.length - 1];
    if ('lit' in first && anchorStart) first.lit = first.lit.replace(/^[ \t]+/, '');
    if ('lit' in lastP && anchorEnd) lastP.lit = lastP.lit.replace(/[ \t]+$/, '');
    // At an open end, blanks the format ends with may be the end of the line (a prefix whose
    // continuation printed nothing).
    const body = trimmed.map((p, j) => {
      if (!('lit' in p)) return conversionRegex(p.conv, j === trimmed.length - 1);
      if (j === trimmed.length - 1 && !anchorEnd && /[ \t]$/.test(p.lit)) {
        return `${literalRegex(p.lit.replace(/[ \t]+$/, ''))}(?:[ \t]+|$)`;
      }
      return literalRegex(p.lit);
    }).join('');
    const src = `${anchorStart ? '^' : '(?:^|(?<=[\\s,;:\\]\\)]))'}${body}${anchorEnd ? '$' : ''}`;
    segments.push({
      index: i,
      pieces: trimmed,
      anchorStart,
      anchorEnd,
      regex: new RegExp(src),
      literalLength: trimmed.reduce((n, p) => n + ('lit' in p ? p.lit.replace(/\s/g, '').length : 0), 0),
      words: anchorWords(trimmed, anchorStart, anchorEnd),
      convOffset,
    });
    convOffset += convs;
  });
  const fragment = placement !== 'line';
  const head = segments[0];
  let matchable = true;
  let reason: string | undefined;
  if (!head) {
    matchable = false;
    reason = 'blank: prints only line breaks';
  } else {
    const letters = head.pieces.map((p) => ('lit' in p ? p.lit : ' ')).join('');
    const startsWithText = 'lit' in head.pieces[0];
    if (!/[A-Za-z_]{3,}/.test(letters)) {
      matchable = false;
      reason = head.literalLength === 0
        ? 'only conversions: any text would match'
        : `too little literal text (${JSON.stringify(letters.trim())}) to tell it from other lines`;
    } else if (fragment && head.literalLength < MIN_FRAGMENT_LITERAL && !(startsWithText && head.anchorStart)) {
      // A piece of a line, not anchored by its own text at the line start: a short literal
      // ("%s and ") would be found inside any line.
      matchable = false;
      reason = `fragment with too little literal text (${JSON.stringify(letters.trim())}) to be found inside other lines`;
    }
  }
  return { format, placement, pieces, conversions, segments, fragment, matchable, reason, literalLength: head?.literalLength ?? 0 };
}

export interface SegmentMatch {
  segment: Segment;
  /** Captured values of this segment's conversions (without `*` widths). */
  values: string[];
}

/** Matches one (trimmed) log line against one segment. */
export function matchSegment(seg: Segment, line: string): SegmentMatch | null {
  const m = seg.regex.exec(line);
  if (!m) return null;
  return { segment: seg, values: m.slice(1).map((x) => x ?? '') };
}

/** The values view the entries' explanations read. */
export function makeValues(cf: CompiledFormat, seg: Segment, captured: readonly string[], line: string): Values {
  const convs = cf.conversions.slice(seg.convOffset, seg.convOffset + captured.length);
  const args = captured.slice();
  const reg = (() => {
    for (let i = 0; i < convs.length; i++) {
      const c = convs[i];
      if (c.key === 'R' && (c.kind === 'int' || c.kind === 'uint')) return `R${args[i]}`;
      if (c.kind === 'str' && /^R\d+$/.test(args[i] ?? '')) return args[i];
    }
    return undefined;
  })();
  return {
    format: cf.format,
    line,
    args,
    arg: (i: number) => args[i] ?? '?',
    get: (key: string) => {
      const i = convs.findIndex((c) => c.key === key);
      return i >= 0 ? args[i] : undefined;
    },
    reg,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering: the text a format prints for given values (tests render examples of every format).

/** printf of the kernel, for the conversions formats use. `*` widths take no value here. */
export function render(format: string, values: readonly (string | number)[]): string {
  let i = 0;
  return parseFormat(format).map((p) => {
    if ('lit' in p) return p.lit;
    const v = values[i++];
    return v === undefined ? '' : String(v);
  }).join('');
}

/**
 * Sample values of the right type for each conversion, chosen so that a rendered example is
 * unambiguous: distinct numbers, strings that are single distinct tokens.
 */
export function sampleValues(format: string): string[] {
  let n = 0;
  return parseFormat(format).flatMap((p) => {
    if (!('conv' in p)) return [];
    n++;
    const c = p.conv;
    switch (c.kind) {
      case 'int': return [String(c.key === 'R' ? n % 10 : n % 2 ? -(n * 8) : n * 8)];
      case 'uint': return [String(c.key === 'R' ? n % 10 : n * 4)];
      case 'octal': return [String(n * 10 + 7)];
      case 'hex': return [c.flags.includes('#') ? `0x${(n * 255).toString(16)}` : (n * 255).toString(16)];
      case 'char': return ['x'];
      case 'ptr': return [`0xffff${(n * 4096).toString(16)}`];
      case 'str': return [`str${n}`];
    }
  });
}
