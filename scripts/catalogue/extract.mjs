#!/usr/bin/env node
// Extracts every format string the kernel can print into a BPF verifier log from the kernel
// sources fetched by fetch-sources.sh, and writes the committed catalogue data:
//
//   server/src/diagnose/catalogue/formats.json   the data, reviewable, one entry per distinct format
//   server/src/diagnose/catalogue/formats.ts     the same data as a typed module (the bundler and
//                                                 tsc need no JSON support for it)
//
//   node scripts/catalogue/extract.mjs [--src .cache/kernel-src] [--check]
//
// --check compares the output with the committed files and exits 1 when they differ.
//
// What counts as a printer is read from the sources, not listed here: every function annotated
// `__printf(fmt, args)` whose body hands its format to bpf_verifier_vlog() (directly or through
// another printer), and every macro that expands to a printer call (`verbose`, `verbose_a`,
// `btf_verifier_log_type`, ...). For each call of a printer the format argument is evaluated
// (adjacent string literals, `cond ? "a" : "b"`, string macros, a local variable assigned string
// literals); the wrapper's own output decides where the format lands on a line (after a prefix
// the wrapper prints, before a newline it appends). 7.3+ sources also say which of the kernel's
// seven categories a message belongs to: the bpf_diag_*() call that follows it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const SRC = path.resolve(ROOT, opt('--src', '.cache/kernel-src'));
const OUT_DIR = path.join(ROOT, 'server/src/diagnose/catalogue');
const CHECK = args.includes('--check');

/** Files that print, but not messages: the instruction printer (the log's instruction lines). */
const NOT_MESSAGES = new Set(['kernel/bpf/disasm.c']);
/** Printers left out on purpose: verbose_linfo prints the program's own source line. */
const SKIPPED_PRINTERS = new Set(['verbose_linfo']);
/** The sink every printer ends in. */
const SINK = 'bpf_verifier_vlog';
/** Identifiers that take parentheses in a function header but are not the function's name. */
const HEADER_NOISE = /^(?:__printf|__attribute__|__acquires|__releases|__must_hold|__cond_acquires|__cond_releases|__diag_\w+|__section|__aligned|__no_\w+|__weak|noinline|__noinline)$/;
/** Category macros of kernel/bpf/diagnostics.c (7.3+). */
const CATEGORY_MACROS = {
  REGISTER_TYPE_SAFETY: 'Register Type Safety',
  MEMORY_SAFETY: 'Memory Safety',
  RESOURCE_LIFETIME_SAFETY: 'Resource Lifetime Safety',
  CALL_TYPE_SAFETY: 'Call Type Safety',
  EXECUTION_CONTEXT_SAFETY: 'Execution Context Safety',
  PROGRAM_STRUCTURE: 'Program Structure',
  POLICY: 'Policy',
};

// ---------------------------------------------------------------------------------------------
// Lexing C just enough: comments blanked, strings and chars kept whole, offsets preserved.

/** Replaces comments with spaces (newlines kept) so offsets and line numbers stay valid. */
function stripComments(src) {
  let out = '';
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '/' && src[i + 1] === '/') {
      let j = i;
      while (j < n && src[j] !== '\n') j++;
      out += ' '.repeat(j - i);
      i = j;
    } else if (c === '"' || c === '\'') {
      const j = skipQuoted(src, i);
      out += src.slice(i, j);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the string or char literal starting at i. */
function skipQuoted(src, i) {
  const q = src[i];
  let j = i + 1;
  while (j < src.length && src[j] !== q) {
    if (src[j] === '\\') j++;
    else if (src[j] === '\n') break; // unterminated: stop at the line end
    j++;
  }
  return j + 1;
}

/** Decodes the body of a C string literal. */
function decodeC(body) {
  return body.replace(/\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)/g, (_, e) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return { n: '\n', t: '\t', r: '\r', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' }[e] ?? e;
  });
}

/** Tokens of an expression: strings, chars, identifiers, numbers, punctuation. */
function tokenize(expr) {
  const toks = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"' || c === '\'') {
      const j = skipQuoted(expr, i);
      toks.push({ t: c === '"' ? 'str' : 'chr', v: c === '"' ? decodeC(expr.slice(i + 1, j - 1)) : expr.slice(i, j) });
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_]\w*/.exec(expr.slice(i));
      toks.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9][\w.]*/.exec(expr.slice(i));
      toks.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else {
      const two = expr.slice(i, i + 2);
      const p = ['->', '##', '&&', '||', '==', '!=', '<=', '>=', '<<', '>>'].includes(two) ? two : c;
      toks.push({ t: 'p', v: p });
      i += p.length;
    }
  }
  return toks;
}

/** Splits a call's argument text (between the parentheses) at top-level commas. */
function splitArgs(text) {
  const out = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === '\'') { i = skipQuoted(text, i) - 1; continue; }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) { out.push(text.slice(start, i)); start = i + 1; }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

/** Index of the parenthesis that closes the one at `open`. */
function closeParen(src, open) {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === '\'') { i = skipQuoted(src, i) - 1; continue; }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Structure of one file: functions (name, body extent), #define macros, string macros.

function lineStartsOf(src) {
  const starts = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === '\n') starts.push(i + 1);
  return starts;
}

function lineAt(starts, off) {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= off) lo = mid; else hi = mid - 1;
  }
  return lo + 1;
}

/** Preprocessor directives with continuations joined; returns [{start, end, text}]. */
function directivesOf(src) {
  const out = [];
  const re = /^[ \t]*#/gm;
  let m;
  while ((m = re.exec(src))) {
    let end = m.index;
    for (;;) {
      const nl = src.indexOf('\n', end);
      const stop = nl < 0 ? src.length : nl;
      if (src[stop - 1] === '\\') { end = stop + 1; continue; }
      end = stop;
      break;
    }
    out.push({ start: m.index, end, text: src.slice(m.index, end).replace(/\\\n/g, ' ') });
    re.lastIndex = end;
  }
  return out;
}

/** Top-level function bodies: [{name, start (header), open, close}]. */
function functionsOf(src, directives) {
  // Blank directives so their braces and parentheses do not count.
  let code = src;
  for (const d of directives) code = code.slice(0, d.start) + code.slice(d.start, d.end).replace(/[^\n]/g, ' ') + code.slice(d.end);
  const fns = [];
  let depth = 0;
  let headerStart = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '"' || c === '\'') { i = skipQuoted(code, i) - 1; continue; }
    if (c === '{') {
      if (depth === 0) {
        const header = code.slice(headerStart, i);
        const name = functionName(header);
        if (name) fns.push({ name, start: headerStart, open: i, close: -1 });
      }
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) {
        const f = fns[fns.length - 1];
        if (f && f.close < 0) f.close = i;
        headerStart = i + 1;
      }
    } else if (c === ';' && depth === 0) {
      headerStart = i + 1;
    }
  }
  return { fns: fns.filter((f) => f.close > 0), code };
}

/** The name a function header declares, or null (struct/array initialisers, enums...). */
function functionName(header) {
  if (/=\s*$/.test(header) || /^\s*(?:struct|union|enum)\s+\w+\s*$/.test(header.replace(/\b(?:static|const|extern)\b/g, ''))) return null;
  const re = /([A-Za-z_]\w*)\s*\(/g;
  let m;
  while ((m = re.exec(header))) {
    const id = m[1];
    const open = m.index + m[0].length - 1;
    const close = closeParen(header, open);
    if (close < 0) return null;
    // Attributes, and top-level macro invocations without a semicolon (BTF_SET_START(x)).
    if (HEADER_NOISE.test(id) || (/^[A-Z][A-Z0-9_]*$/.test(id) && !/^(?:BPF_CALL_\d|SYSCALL_DEFINE\d)$/.test(id))) { re.lastIndex = close + 1; continue; }
    if (/=/.test(header.slice(0, m.index))) return null;
    if (/^(?:BPF_CALL_\d|SYSCALL_DEFINE\d|BPF_SYSCALL_\w+)$/.test(id)) return splitArgs(header.slice(open + 1, close))[0];
    if (/^(?:if|for|while|switch|sizeof|return)$/.test(id)) return null;
    return id;
  }
  return null;
}

/** `#define NAME(params) body` and `#define NAME "literal"` of a file. */
function macrosOf(directives) {
  const fnMacros = [];
  const strMacros = new Map();
  for (const d of directives) {
    const m = /^\s*#\s*define\s+([A-Za-z_]\w*)(\(([^)]*)\))?\s*(.*)$/s.exec(d.text);
    if (!m) continue;
    const [, name, hasParams, params, body] = m;
    if (hasParams !== undefined) {
      fnMacros.push({ name, params: params.split(',').map((p) => p.trim().replace(/\.\.\.$/, '').trim() || '__VA_ARGS__'), variadic: /\.\.\./.test(params), body: body.trim(), start: d.start, end: d.end });
    } else {
      const toks = tokenize(body);
      if (toks.length && toks.every((t) => t.t === 'str')) strMacros.set(name, toks.map((t) => t.v).join(''));
    }
  }
  return { fnMacros, strMacros };
}

function parseFile(rel, raw) {
  const src = stripComments(raw);
  const directives = directivesOf(src);
  const { fns, code } = functionsOf(src, directives);
  const { fnMacros, strMacros } = macrosOf(directives);
  return { rel, src, code, starts: lineStartsOf(src), directives, fns, fnMacros, strMacros };
}

// ---------------------------------------------------------------------------------------------
// Printers: which functions and macros write a format into the verifier log.

/**
 * `__printf(a, b)` annotations: function name → 0-based index of the format parameter. The
 * attribute comes before the declaration (`__printf(2, 3) void f(...)`) or after it
 * (`void f(...) __printf(2, 3);`).
 */
function printfAnnotated(file) {
  const out = new Map();
  const re = /__printf\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)/g;
  let m;
  // Directives are blanked in `code`: a #define ending in ")" is no declaration.
  const src = file.code;
  while ((m = re.exec(src))) {
    const idx = Number(m[1]) - 1;
    const before = src.slice(Math.max(0, m.index - 400), m.index);
    const decl = before.slice(Math.max(before.lastIndexOf(';'), before.lastIndexOf('}')) + 1);
    if (/\)\s*$/.test(decl)) {
      const name = functionName(decl);
      if (name && !/\(\s*\*/.test(decl)) { out.set(name, idx); continue; }
    }
    const rest = src.slice(m.index + m[0].length, m.index + m[0].length + 400);
    const name = functionName(rest.split(/[;{]/)[0]);
    // Members like `void (*showfn)(...)` have no name here: not printers.
    if (name && !/\(\s*\*/.test(rest.split(name)[0])) out.set(name, idx);
  }
  return out;
}

/** Calls in `text` (offset `base` in the file) of any name in `names`: [{name, args, at, end}]. */
function callsIn(text, base, names) {
  const out = [];
  const re = /(?<![\w.>])([A-Za-z_]\w*)\s*\(/g;
  let m;
  while ((m = re.exec(text))) {
    if (!names.has(m[1])) continue;
    const open = m.index + m[0].length - 1;
    const close = closeParen(text, open);
    if (close < 0) continue;
    out.push({ name: m[1], args: splitArgs(text.slice(open + 1, close)), at: base + m.index, end: base + close + 1 });
  }
  return out;
}

/**
 * Printer functions of all files: name → {fmt: index of the format argument, prefix: the
 * function prints text of its own before the format, newline: it appends '\n'}. A function is
 * a printer when it is annotated `__printf` and hands its format parameter on to the sink or to
 * another printer.
 */
function findPrinterFunctions(files) {
  const printers = new Map();
  const annotated = new Map();
  for (const f of files) for (const [k, v] of printfAnnotated(f)) annotated.set(k, v);
  const bodies = new Map();
  for (const f of files) for (const fn of f.fns) if (annotated.has(fn.name)) bodies.set(fn.name, { f, fn });
  let changed = true;
  while (changed) {
    changed = false;
    for (const [name, { f, fn }] of bodies) {
      if (printers.has(name) || SKIPPED_PRINTERS.has(name)) continue;
      const fmtIdx = annotated.get(name);
      const body = f.code.slice(fn.open, fn.close + 1);
      const header = f.code.slice(fn.start, fn.open);
      const params = splitArgs(header.slice(header.indexOf('(', header.indexOf(name)) + 1, header.lastIndexOf(')')));
      const fmtParam = /(\w+)\s*$/.exec(params[fmtIdx] ?? '')?.[1];
      if (!fmtParam) continue;
      const calls = callsIn(body, fn.open, new Set([SINK, ...printers.keys()]));
      const fmtOf = (c) => c.args[c.name === SINK ? 1 : printers.get(c.name).fmt];
      const pass = calls.find((c) => fmtOf(c) === fmtParam);
      if (!pass) continue;
      // Literal prints around the pass-through: a prefix before it, a newline after it.
      const lit = (c) => evalFormat(fmtOf(c), f, fn) ?? [];
      const prefix = calls.some((c) => c.at < pass.at && lit(c).some((x) => !x.endsWith('\n') && x.trim() !== ''));
      const newline = calls.some((c) => c.at > pass.at && lit(c).some((x) => x === '\n'));
      printers.set(name, { fmt: fmtIdx, prefix, newline });
      changed = true;
    }
  }
  return printers;
}

/**
 * Function-like macros that print (their expansion calls a printer function or another printing
 * macro), per file: the file's own macros and those of the headers. Calls of them are expanded
 * at the call site, as the preprocessor would, and the printer calls inside are read.
 */
function findPrinterMacros(files, printerFns) {
  const headerMacros = files.filter((f) => f.rel.endsWith('.h')).flatMap((f) => f.fnMacros);
  const perFile = new Map();
  for (const f of files) {
    const visible = new Map();
    for (const m of headerMacros) visible.set(m.name, m);
    for (const m of f.fnMacros) visible.set(m.name, m);
    const printing = new Map();
    let changed = true;
    while (changed) {
      changed = false;
      for (const [name, m] of visible) {
        if (printing.has(name) || SKIPPED_PRINTERS.has(name)) continue;
        const names = new Set([...printerFns.keys(), ...printing.keys()]);
        names.delete(name);
        if (callsIn(m.body, 0, names).length) { printing.set(name, m); changed = true; }
      }
    }
    perFile.set(f.rel, printing);
  }
  return perFile;
}

/** The text a function-like macro call expands to (one level; #, ## and __VA_ARGS__ handled). */
function expandMacro(mac, args) {
  const params = mac.params.map((q) => (q === '' ? '__VA_ARGS__' : q));
  const values = new Map();
  params.forEach((q, i) => {
    if (mac.variadic && i === params.length - 1) values.set(q, args.slice(i).join(', '));
    else values.set(q, args[i] ?? '');
  });
  let out = '';
  const body = mac.body;
  const re = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|,\s*##\s*([A-Za-z_]\w*)|##|#\s*([A-Za-z_]\w*)|([A-Za-z_]\w*)/g;
  let last = 0;
  let m;
  while ((m = re.exec(body))) {
    out += body.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0][0] === '"' || m[0][0] === '\'') out += m[0];
    else if (m[1] !== undefined) {
      // `, ##args`: the comma goes when the variadic part is empty
      const v = values.get(m[1]) ?? m[1];
      out += v.trim() === '' ? '' : `, ${v}`;
    } else if (m[0] === '##') out += '';
    else if (m[2] !== undefined) {
      const v = values.has(m[2]) ? values.get(m[2]) : m[2];
      out += JSON.stringify(v.replace(/\s+/g, ' ').trim());
    } else out += values.has(m[3]) ? values.get(m[3]) : m[3];
  }
  return out + body.slice(last);
}

/**
 * Evaluates a format argument to the strings it can be: literals (adjacent ones joined), string
 * macros, `a ? "x" : "y"`, and a local variable assigned string literals in the same function.
 * Returns null when the expression is not made of those.
 */
function evalFormat(expr, file, fn, strMacros = file.strMacros) {
  if (expr === undefined) return null;
  const toks = tokenize(expr).filter((t) => !(t.t === 'p' && (t.v === '(' || t.v === ')')));
  if (toks.length === 0) return null;
  // cond ? a : b  (only the branches matter)
  const q = toks.findIndex((t) => t.t === 'p' && t.v === '?');
  if (q >= 0) {
    const colon = toks.findIndex((t, i) => i > q && t.t === 'p' && t.v === ':');
    if (colon < 0) return null;
    const a = evalTokens(toks.slice(q + 1, colon), strMacros);
    const b = evalTokens(toks.slice(colon + 1), strMacros);
    return a && b ? [...a, ...b] : null;
  }
  const direct = evalTokens(toks, strMacros);
  if (direct) return direct;
  if (toks.length === 1 && toks[0].t === 'id' && fn) {
    // A local variable: every string it is assigned in the function (`err_str = "...";`,
    // `fmt_str = kflag ? "..." : "...";`).
    const body = file.code.slice(fn.open, fn.close + 1);
    const re = new RegExp(`(?<![\\w.>=!<])${toks[0].v}\\s*=(?!=)([^;]*);`, 'g');
    const found = [];
    let m;
    while ((m = re.exec(body))) {
      const v = evalFormat(m[1], file, null, strMacros);
      if (!v) return null;
      found.push(...v);
    }
    return found.length ? found : null;
  }
  return null;
}

function evalTokens(toks, strMacros) {
  if (!toks.length) return null;
  let s = '';
  for (const t of toks) {
    if (t.t === 'str') s += t.v;
    else if (t.t === 'id' && strMacros.has(t.v)) s += strMacros.get(t.v);
    else return null;
  }
  return [s];
}

// ---------------------------------------------------------------------------------------------
// 7.3+: the category the kernel itself gives a message (the bpf_diag_* call after it).

/** bpf_diag_* function → category, from the category macros used in (or below) its body. */
function diagCategories(files) {
  const diag = files.find((f) => f.rel === 'kernel/bpf/diagnostics.c');
  if (!diag) return null;
  const direct = new Map();
  const callees = new Map();
  const names = new Set(diag.fns.map((f) => f.name));
  for (const fn of diag.fns) {
    const body = diag.code.slice(fn.open, fn.close + 1);
    const cats = [...body.matchAll(/\b([A-Z_]+)\b/g)].map((m) => m[1]).filter((m) => m in CATEGORY_MACROS);
    if (cats.length) direct.set(fn.name, CATEGORY_MACROS[cats[0]]);
    callees.set(fn.name, callsIn(body, 0, names).map((c) => c.name));
  }
  const resolve = (name, seen = new Set()) => {
    if (direct.has(name)) return direct.get(name);
    if (seen.has(name)) return null;
    seen.add(name);
    for (const c of callees.get(name) ?? []) {
      const r = resolve(c, seen);
      if (r) return r;
    }
    return null;
  };
  // Which argument names the problem: the parameter called `problem` (or `operation`).
  const problemArg = (name) => {
    const fn = diag.fns.find((f) => f.name === name);
    const header = diag.code.slice(fn.start, fn.open);
    const params = splitArgs(header.slice(header.indexOf('(', header.indexOf(name)) + 1, header.lastIndexOf(')')));
    const names = params.map((q) => /(\w+)\s*$/.exec(q)?.[1]);
    const i = names.indexOf('problem');
    return i >= 0 ? i : names.indexOf('operation');
  };
  const out = new Map();
  for (const n of names) if (n.startsWith('bpf_diag_')) {
    const c = resolve(n);
    if (c) out.set(n, { category: c, problemArg: problemArg(n) });
  }
  return out;
}

/** The bpf_diag_* report that follows a printer call in the same block (goto followed once). */
function diagAfter(file, fn, callEnd, diagCats) {
  if (!diagCats) return null;
  const body = file.code;
  const stop = fn.close;
  const scan = (from, allowGoto) => {
    let depth = 0;
    const re = /[{}]|\breturn\b|\bgoto\s+(\w+)|\b(bpf_diag_\w+)\s*\(|\b(verbose|bpf_log|btf_verifier_log\w*)\s*\(/g;
    re.lastIndex = from;
    let m;
    while ((m = re.exec(body)) && m.index < stop) {
      if (m[0] === '{') depth++;
      else if (m[0] === '}') { if (--depth < 0) return null; }
      else if (m[2]) {
        if (diagCats.has(m[2])) {
          const open = m.index + m[0].length - 1;
          const a = splitArgs(body.slice(open + 1, closeParen(body, open)));
          const { category, problemArg } = diagCats.get(m[2]);
          const lit = problemArg >= 0 ? evalTokens(tokenize(a[problemArg] ?? ''), file.strMacros) : null;
          return { category, via: m[2], ...(lit ? { problem: lit[0] } : {}) };
        }
      } else if (m[3]) { if (depth === 0) return null; }
      else if (m[1]) {
        if (!allowGoto) return null;
        const label = new RegExp(`^\\s*${m[1]}\\s*:`, 'm');
        const lm = label.exec(body.slice(fn.open, fn.close));
        return lm ? scan(fn.open + lm.index + lm[0].length, false) : null;
      } else if (m[0] === 'return' && depth === 0) return null;
    }
    return null;
  };
  return scan(callEnd, true);
}

// ---------------------------------------------------------------------------------------------
// Extraction of one kernel version.

function extractVersion(dir) {
  const list = fs.readFileSync(path.join(dir, '.files'), 'utf8').split('\n').filter(Boolean);
  const files = list.map((rel) => parseFile(rel, fs.readFileSync(path.join(dir, rel), 'utf8')));
  const printerFns = findPrinterFunctions(files);
  const printerMacros = findPrinterMacros(files, printerFns);
  const diagCats = diagCategories(files);
  const headerStrMacros = files.filter((x) => x.rel.endsWith('.h')).flatMap((x) => [...x.strMacros]);
  const records = [];
  const unresolved = [];
  for (const f of files) {
    if (NOT_MESSAGES.has(f.rel)) continue;
    const strMacros = new Map([...headerStrMacros, ...f.strMacros]);
    const macros = printerMacros.get(f.rel);
    const names = new Set([...printerFns.keys(), ...macros.keys()]);
    for (const fn of f.fns) {
      const body = f.code.slice(fn.open, fn.close + 1);
      const where = { file: f.rel, function: fn.name };
      // A call of a printer in this function; macro calls are expanded and read again.
      const visit = (c, line, depth, outerEnd) => {
        if (macros.has(c.name) && depth < 8) {
          const mac = macros.get(c.name);
          const text = expandMacro(mac, c.args);
          const inner = new Set(names);
          inner.delete(c.name);
          for (const d of callsIn(text, 0, inner)) visit(d, line, depth + 1, outerEnd);
          return;
        }
        const p = printerFns.get(c.name);
        if (!p) return;
        const expr = c.args[p.fmt];
        const values = evalFormat(expr, f, fn, strMacros);
        if (!values) {
          // A printer forwarding its own format parameter is not a message.
          if (!printerFns.has(fn.name) && expr !== 'NULL') unresolved.push({ ...where, line, printer: c.name, expr });
          return;
        }
        const diag = diagAfter(f, fn, outerEnd, diagCats);
        for (const v of values) records.push({ format: v, ...where, line, printer: c.name, placement: placementOf(v, p), ...(diag ? { diag } : {}) });
      };
      for (const c of callsIn(body, fn.open, names)) visit(c, lineAt(f.starts, c.at), 0, c.end);
    }
  }
  return { records, unresolved, printers: [...printerFns.keys(), ...new Set([...printerMacros.values()].flatMap((m) => [...m.keys()]))] };
}

/** Where a format lands on a log line. */
function placementOf(fmt, printer) {
  const endsLine = fmt.endsWith('\n') || printer.newline;
  if (printer.prefix) return endsLine ? 'suffix' : 'middle';
  return endsLine ? 'line' : 'prefix';
}

// ---------------------------------------------------------------------------------------------

function main() {
  const versionsTsv = path.join(SRC, 'versions.tsv');
  if (!fs.existsSync(versionsTsv)) {
    console.error(`no ${path.relative(ROOT, versionsTsv)}: run scripts/catalogue/fetch-sources.sh first`);
    process.exit(2);
  }
  const kernels = fs.readFileSync(versionsTsv, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [series, pkg, version, suite] = l.split('\t');
    const head = fs.readFileSync(path.join(SRC, series, 'Makefile.head'), 'utf8');
    const mk = (k) => new RegExp(`^${k}\\s*=\\s*(\\S*)`, 'm').exec(head)?.[1] ?? '';
    return { series, package: pkg, debianVersion: version, suite, upstream: `${mk('VERSION')}.${mk('PATCHLEVEL')}.${mk('SUBLEVEL')}${mk('EXTRAVERSION')}` };
  });
  const bySeries = (a, b) => {
    const [a1, a2] = a.split('.').map(Number), [b1, b2] = b.split('.').map(Number);
    return a1 - b1 || a2 - b2;
  };
  kernels.sort((a, b) => bySeries(a.series, b.series));
  const all = new Map();
  const perVersion = {};
  const unresolvedAll = [];
  for (const k of kernels) {
    const { records, unresolved, printers } = extractVersion(path.join(SRC, k.series));
    const files = fs.readFileSync(path.join(SRC, k.series, '.files'), 'utf8').split('\n').filter(Boolean).filter((f) => !NOT_MESSAGES.has(f));
    k.files = files;
    k.printers = [...new Set(printers)].sort();
    let dropped = 0;
    const distinct = new Set();
    for (const r of records) {
      // Pure whitespace (" ", "\n", "\t") separates pieces of a line; it is no message.
      if (r.format.trim() === '') { dropped++; continue; }
      distinct.add(r.format);
      let e = all.get(r.format);
      if (!e) all.set(r.format, (e = { format: r.format, versions: new Set(), files: new Set(), functions: new Set(), printers: new Set(), placement: new Set(), diag: new Map(), sites: [] }));
      e.versions.add(k.series);
      e.files.add(r.file);
      e.functions.add(r.function);
      e.printers.add(r.printer);
      e.placement.add(r.placement);
      if (r.diag) e.diag.set(JSON.stringify(r.diag), r.diag);
    }
    perVersion[k.series] = { formats: distinct.size, calls: records.length - dropped, whitespaceOnly: dropped, unresolved: unresolved.length };
    for (const u of unresolved) unresolvedAll.push({ series: k.series, ...u });
  }
  const order = (s) => [...s].sort();
  const formats = [...all.values()].sort((a, b) => (a.format < b.format ? -1 : a.format > b.format ? 1 : 0)).map((e) => ({
    format: e.format,
    versions: [...e.versions].sort(bySeries),
    files: order(e.files),
    functions: order(e.functions),
    printers: order(e.printers),
    // When call sites disagree (one adds a newline, one does not), the looser placement wins.
    placement: ['middle', 'prefix', 'suffix', 'line'].find((p) => e.placement.has(p)),
    ...(e.diag.size ? { diag: [...e.diag.values()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) } : {}),
  }));
  const data = {
    generatedBy: 'scripts/catalogue/extract.mjs from Debian linux-source packages (scripts/catalogue/fetch-sources.sh)',
    kernels,
    stats: perVersion,
    unresolved: unresolvedAll.map((u) => `${u.series} ${u.file}:${u.line} ${u.function}: ${u.printer}(… ${u.expr} …)`),
    formats,
  };
  const json = JSON.stringify(data, null, 1) + '\n';
  // The module carries the same data, one format per line (tsc and esbuild need no JSON support).
  const { formats: _f, ...head } = data;
  const ts = '// Generated by scripts/catalogue/extract.mjs (the same data as formats.json): do not edit.\n' +
    'import type { FormatsFile } from \'./types\';\n\n' +
    `export const FORMATS_FILE: FormatsFile = {\n${Object.entries(head).map(([k, v]) => `  ${k}: ${JSON.stringify(v)},`).join('\n')}\n` +
    `  formats: [\n${formats.map((f) => `    ${JSON.stringify(f)},`).join('\n')}\n  ],\n};\n`;
  const outs = [[path.join(OUT_DIR, 'formats.json'), json], [path.join(OUT_DIR, 'formats.ts'), ts]];
  if (CHECK) {
    const stale = outs.filter(([p, text]) => !fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== text);
    for (const [p] of stale) console.error(`stale: ${path.relative(ROOT, p)}`);
    process.exit(stale.length ? 1 : 0);
  }
  fs.mkdirSync(OUT_DIR, { recursive: true });
  for (const [p, text] of outs) fs.writeFileSync(p, text);
  for (const k of kernels) {
    const s = perVersion[k.series];
    console.log(`${k.series} (${k.package} ${k.debianVersion}, ${k.upstream}): ${s.formats} formats from ${s.calls} calls in ${k.files.length} files; ${s.unresolved} unresolved`);
  }
  console.log(`${formats.length} distinct formats → ${path.relative(ROOT, outs[0][0])}`);
  for (const u of data.unresolved) console.log(`  unresolved: ${u}`);
}

main();
