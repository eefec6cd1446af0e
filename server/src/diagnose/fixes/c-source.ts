/**
 * Just enough reading of C source to place a fix: indentation, statement ends, the enclosing
 * function's return type, the verdict a program type returns to let a packet through.
 */

export function indentOf(line: string): string {
  return /^\s*/.exec(line)![0];
}

/** Index of the line ending the statement that starts on `from` (first `;` at or after it). */
export function statementEnd(lines: readonly string[], from: number): number {
  for (let j = from; j < lines.length && j < from + 20; j++) if (lines[j].includes(';')) return j;
  return from;
}

const FUNC_START = /^(?:static\s+)?(?:(?:__always_inline|inline|__noinline|__attribute__\(\([^)]*\)\))\s+)*([A-Za-z_][\w\s]*?\**)\s*\b([A-Za-z_]\w*)\s*\(/;

/** Line (0-based) of the definition of the function whose body holds line `at`, or -1. */
export function enclosingFunctionStart(lines: readonly string[], at: number): number {
  for (let i = at; i >= 0; i--) {
    const l = lines[i];
    if (/^\s/.test(l) || l.startsWith('}') || l.startsWith('#')) continue;
    if (FUNC_START.test(l)) return i;
  }
  return -1;
}

/** Return type of the function whose body holds line `at` (0-based), from its definition line. */
export function enclosingReturnType(lines: readonly string[], at: number): string | null {
  const i = enclosingFunctionStart(lines, at);
  const m = i >= 0 ? FUNC_START.exec(lines[i]) : null;
  return m ? m[1].replace(/\s+/g, ' ').trim() : null;
}

/** The value that lets traffic pass (or does nothing) for a program of this ELF section. */
export function passVerdict(section: string): string {
  if (/^xdp/.test(section)) return 'XDP_PASS';
  if (/^(?:tc|classifier|action|tcx)/.test(section)) return '0 /* TC_ACT_OK */';
  if (/^cgroup/.test(section)) return '1';
  return '0';
}

/** A `return …;` that leaves the function at `line` without effect: the program's pass verdict, or a neutral value. */
export function neutralReturn(lines: readonly string[], line: number, inProgram: boolean, section: string): string {
  if (inProgram) return `return ${passVerdict(section)};`;
  const type = enclosingReturnType(lines, line) ?? 'int';
  if (/\bvoid$/.test(type)) return 'return;';
  return 'return 0;';
}

export interface TextEdit {
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
  newText: string;
}

export function insertBefore(line: number, text: string): TextEdit {
  return { range: { start: { line, column: 0 }, end: { line, column: 0 } }, newText: text };
}

/** Applies edits (0-based lines and columns) to a text, last first so ranges stay valid. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; column: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.column;
  let out = text;
  for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) {
    out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  }
  return out;
}

/**
 * Puts `guard` lines in front of the statement at `at`. When that statement is the body of a
 * braceless `if`/`for`/`while`/`else`, a plain insertion would take its place as the body, so the
 * guard and the statement are wrapped in braces together.
 */
export function guardStatement(lines: readonly string[], at: number, guard: string[]): TextEdit {
  const indent = indentOf(lines[at]);
  let prev = at - 1;
  while (prev >= 0 && lines[prev].trim() === '') prev--;
  const p = prev >= 0 ? lines[prev].replace(/\/\*.*?\*\/|\/\/.*$/g, '').trimEnd() : '';
  const braceless = /^\s*(?:(?:else\s+)?if|for|while)\s*\(.*\)$/.test(p) || /^\s*else$/.test(p);
  if (!braceless) return insertBefore(at, guard.map((g) => `${indent}${g}\n`).join(''));
  const end = statementEnd(lines, at);
  const body = lines.slice(at, end + 1).map((l) => `\t${l}`);
  const text = [`${indent}{`, ...guard.map((g) => `${indent}\t${g}`), ...body, `${indent}}`].join('\n');
  return { range: { start: { line: at, column: 0 }, end: { line: end, column: lines[end].length } }, newText: text };
}

/**
 * The `return` lines after `from` (0-based) up to the first line matching `release` or the end of
 * the function, except those whose guard matches `skip` (e.g. the NULL check of what was acquired).
 */
export function leakingReturns(lines: readonly string[], from: number, release: RegExp, skip?: RegExp): number[] {
  const out: number[] = [];
  for (let l = from; l < lines.length && !lines[l].startsWith('}') && !release.test(lines[l]); l++) {
    if (!/\breturn\b/.test(lines[l])) continue;
    let guard = l - 1;
    while (guard >= 0 && /^\s*\{?\s*$/.test(lines[guard])) guard--;
    if (skip && guard >= 0 && skip.test(lines[guard])) continue;
    out.push(l);
  }
  return out;
}

/**
 * Inserts `#include <header>` after the last `#include`, or null when the file already includes
 * it (as `<header>`, `"header"` or by its base name, e.g. a vendored `"bpf_helpers.h"`).
 */
export function includeEdit(lines: readonly string[], header: string): TextEdit | null {
  const base = header.split('/').pop()!.replace(/[.]/g, '\\.');
  if (lines.some((l) => new RegExp(`^\\s*#\\s*include\\s*[<"](?:[\\w./-]*/)?${base}[>"]`).test(l))) return null;
  let last = -1;
  lines.forEach((l, i) => { if (/^\s*#\s*include\b/.test(l)) last = i; });
  return insertBefore(last + 1, `#include <${header}>\n`);
}

/**
 * Puts `before` lines in front of the statement at `at` (as guardStatement does, braces and all)
 * and replaces columns [from, to) of that line with `text`, in one edit.
 */
export function rewriteStatement(lines: readonly string[], at: number, before: string[], from: number, to: number, text: string): TextEdit {
  const original = lines[at];
  const replaced = original.slice(0, from) + text + original.slice(to);
  const guard = guardStatement(lines, at, before);
  const inserted = guard.range.start.line === guard.range.end.line && guard.range.start.column === guard.range.end.column;
  return inserted
    ? { range: { start: { line: at, column: 0 }, end: { line: at, column: original.length } }, newText: guard.newText + replaced }
    : { range: guard.range, newText: guard.newText.replace(original, replaced) };
}

/** The arguments of the call whose `(` is at `open` on `line`, as column spans; only those on this line. */
export function callArguments(line: string, open: number): { from: number; to: number; text: string }[] {
  const args: { from: number; to: number; text: string }[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
    else if ((c === ',' || c === ')') && depth === 0) {
      const raw = line.slice(start, i);
      const lead = raw.length - raw.trimStart().length;
      args.push({ from: start + lead, to: start + raw.trimEnd().length, text: raw.trim() });
      if (c === ')') break;
      start = i + 1;
    }
  }
  return args;
}
