/**
 * Tokens of the verifier log. Three lexer modes, one per place on a line:
 * - `line`: the start of a line, where the line kind is decided;
 * - `insn`: after `N: (op) `, the disassembly up to a state comment or an appended jump state;
 * - `state`: register and stack assignments up to the end of the line.
 * Every mode ends in a catch-all token, so any input lexes without errors: an unknown line
 * becomes `Text` and the parser turns it into an unrecognised node.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

const NL = /\r?\n/;

/**
 * A token that is a whole line, newline included: most lines of big logs are one-token lines
 * (`mark_precise: …`), so swallowing the newline halves the token count.
 */
function lineToken(name: string, source: string, flags = ''): TokenType {
  return createToken({ name, pattern: new RegExp(`(?:${source})[^\\n]*\\n?`, flags), line_breaks: true });
}

export const Newline = createToken({ name: 'Newline', pattern: NL, line_breaks: true, pop_mode: true });
/** Newline in the base mode: nothing to pop. */
export const BlankLine = createToken({ name: 'BlankLine', pattern: NL, line_breaks: true });

// ---- line mode: whole-line kinds ---------------------------------------------------------------
export const InsnHead = createToken({ name: 'InsnHead', pattern: /[ \t]*\d+: \([0-9a-f]{2}\) /, push_mode: 'insn' });
/** `6: R0_w=…` (state at insn 6), also `15: frame1: R1=…`. */
export const StateHead = createToken({
  name: 'StateHead', pattern: /[ \t]*\d+:(?: |$)(?=R\d|frame\d|fp|refs|$)/m, push_mode: 'state',
});
export const PathStart = createToken({
  name: 'PathStart', pattern: /[ \t]*from \d+ to \d+(?: \(speculative execution\))?:/, push_mode: 'state',
});
/** 4.x/5.x state on its own indented line, and the state lines under `returning from callee:`. */
/** 4.x state line printed without indentation or insn number: `R0=imm0,min_value=0 R1=…`. */
export const BareState = createToken({ name: 'BareState', pattern: /R\d+(?:_[rwD]+)?=/, push_mode: 'state' });
export const IndentState = createToken({
  name: 'IndentState', pattern: /[ \t]+(?=R\d+(?:_[rwD]+)?=|frame\d+:|fp-?\d)/, push_mode: 'state',
});
export const SourceNote = lineToken('SourceNote', '[ \\t]*;');
export const FuncStart = lineToken('FuncStart', '[ \\t]*func#\\d+ @\\d+');
export const LiveRegsHeader = lineToken('LiveRegsHeader', 'Live regs before insn:');
export const LiveRegsRow = lineToken('LiveRegsRow', '[ \\t]+(?:\\d+[ \\t]+)?\\d+: [.0-9]{10,12} \\([0-9a-f]{2}\\) [^\\n]*');
/** Precision tracking, liveness and SCC bookkeeping of level-2 logs (5.x and 6.x spellings). */
export const Bookkeeping = lineToken('Bookkeeping', '[ \\t]*(?:' + [
    'mark_precise: [^\\n]*',
    'last_idx \\d+ first_idx \\d+[^\\n]*',
    'regs=\\S* stack=\\S* before \\d+: [^\\n]*',
    'parent (?:didn\'t have|already had) regs=[^\\n]*',
    'frame \\d+: propagating [^\\n]*',
    '\\(\\d+(?:,\\d+)*\\) (?:frame \\d+ insn \\d+ [^\\n]*|live stack update done[^\\n]*)',
    'SCC (?:enter|exit|backedge)[^\\n]*',
    'Live regs before insn[^\\n]*',
    'propagating (?:r\\d|fp)[^\\n]*',
    'infinite loop detected at insn \\d+ \\(allowed\\)[^\\n]*',
    'checking [^\\n]*',
    'mark_reg_[^\\n]*',
  ].join('|') + ')');
/**
 * Headers of the static pre-pass newer kernels (seen on 7.3) print before the walk: subprogram
 * order, per-subprogram listings with pointer tracking (`r3: _ -> fp0+0`) and stack use/def.
 * The listings' indented instructions lex as instructions; the builder files them under the pre-pass.
 */
export const Prepass = lineToken('Prepass', 'topo_order\\[\\d+\\] = [^\\n]*|subprog#\\d+[: ][^\\n]*|stack use\\/def [^\\n]*');
export const GlobalFunc = lineToken('GlobalFunc', '[ \\t]*(?:Validating [^\\n]*|Func#\\d+ \\([^\\n]*|Global function [^\\n]*)');
export const CallReturn = lineToken('CallReturn', '(?:returning from callee:|to caller at \\d+:|caller:|callee:)[^\\n]*');
export const Stats = lineToken('Stats', '[ \\t]*(?:processed \\d+ insns[^\\n]*|verification time \\d+ usec[^\\n]*|stack depth [^\\n]*)');
/** Start of the kernel ≥ 7.3 diagnostic block; its other lines are told apart by position. */
export const DiagStart = lineToken('DiagStart', 'Verification failed: ');
/** Lines loaders and capture tools put around the verifier's own text. */
export const LoaderLine = lineToken('LoaderLine', [
    'libbpf:[^\\n]*', 'Attaching \\d+ probes?\\.\\.\\.[^\\n]*', 'ERR: [^\\n]*',
    'BTF debug data section [^\\n]*', ' - [A-Z][\\w ]*: [^\\n]*',
    '(?:magic|version|flags|hdr_len|type_off|type_len|str_off|str_len|btf_total_size): [^\\n]*',
    '-- (?:BEGIN|END) (?:PROG LOAD LOG|DUMP LOG) -*[^\\n]*',
    '-- END LOG --[^\\n]*',
    '# [^\\n]*', '#$',
    'Error: [^\\n]*', 'ERROR: [^\\n]*', 'HINT: [^\\n]*', 'WARNING: [^\\n]*',
    '[^\\n]*load program: [^\\n]*',
    'Prog section [^\\n]*', 'Verifier analysis:[^\\n]*', 'Error fetching program/map![^\\n]*',
    'Unable to load program[^\\n]*', 'bpf: Failed to load program[^\\n]*',
    'Traceback[^\\n]*', 'Exception: [^\\n]*', 'Error loading [^\\n]*',
    '\\[\\.\\.\\. [^\\n]*omitted[^\\n]*\\]', '\\.\\.\\. \\(\\d+ line\\(s\\) omitted\\)[^\\n]*', '\\(\\d+ line\\(s\\) omitted\\)[^\\n]*',
  ].join('|'), 'm');
export const Text = lineToken('Text', '[^\\n]');

// ---- insn mode ------------------------------------------------------------------------------
/** Appended jump-target state after the disassembly: ` 26: R0=…`. */
const JUMP_STATE = /[ \t]\d+: (?:R\d|frame\d|fp)/y;

/**
 * Disassembly text: stops before a state comment (`  ; R1=…`), an appended jump state, or the
 * line end. A hand-written scan: a lazy regex with a `[ \t]*;` lookahead is quadratic in a run
 * of blanks.
 */
function matchInsnBody(text: string, offset: number): RegExpExecArray | null {
  let i = offset;
  let stop = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) break;
    if (c === 59 /* ; */) { stop = i; break; }
    if ((c === 32 || c === 9) && i + 1 < text.length && text.charCodeAt(i + 1) >= 48 && text.charCodeAt(i + 1) <= 57) {
      JUMP_STATE.lastIndex = i;
      if (JUMP_STATE.test(text)) break;
    }
  }
  let end = i;
  if (stop >= 0) while (end > offset && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  else if (end > offset && text.charCodeAt(end - 1) === 13) end--;
  if (end === offset) return null;
  return [text.substring(offset, end)] as unknown as RegExpExecArray;
}
export const InsnBody = createToken({ name: 'InsnBody', pattern: { exec: matchInsnBody }, line_breaks: false });
export const StateComment = createToken({
  name: 'StateComment', pattern: /[ \t]*; ?/, pop_mode: true, push_mode: 'state',
});
export const JumpState = createToken({
  name: 'JumpState', pattern: /[ \t]\d+: (?=R\d|frame\d|fp)/, pop_mode: true, push_mode: 'state',
});
export const InsnRest = createToken({ name: 'InsnRest', pattern: /[^\n]+/ });

// ---- state mode -----------------------------------------------------------------------------
/** Category of everything that may stand in a printed state; the grammar consumes it as one. */
export const StateItem = createToken({ name: 'StateItem', pattern: Lexer.NA });
export const Space = createToken({ name: 'Space', pattern: /[ \t]+/, group: Lexer.SKIPPED });
export const FrameMark = createToken({ name: 'FrameMark', pattern: /frame\d+:/, categories: [StateItem] });
export const RegAssign = createToken({ name: 'RegAssign', pattern: /R\d+(?:_[rwD]+)?=/, categories: [StateItem] });
export const StackAssign = createToken({ name: 'StackAssign', pattern: /fp-\d+(?:_[rwD]+)?=/, categories: [StateItem] });
export const Refs = createToken({ name: 'Refs', pattern: /refs=[\d,]*/, categories: [StateItem] });
export const StateWord = createToken({ name: 'StateWord', pattern: /cb\b|async_cb\b|safe\b/, categories: [StateItem] });

/** A value: balanced parentheses, ends at a space at depth 0 (`var_off=(0x0; 0xff)` has a space). */
function matchValue(text: string, offset: number): RegExpExecArray | null {
  let i = offset;
  let depth = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) break;
    if (c === 40) depth++;
    else if (c === 41) { if (depth > 0) depth--; }
    else if ((c === 32 || c === 9) && depth === 0) break;
    i++;
  }
  if (i === offset) return null;
  const m = [text.substring(offset, i)] as unknown as RegExpExecArray;
  return m;
}
export const Value = createToken({ name: 'Value', pattern: { exec: matchValue }, line_breaks: false, categories: [StateItem] });
export const StateRest = createToken({ name: 'StateRest', pattern: /[^\n]+/, categories: [StateItem] });

/** cilium/ebpf indents each log line with a tab under `load program: …:`; the tab says nothing. */
export const LeadTab = createToken({ name: 'LeadTab', pattern: /\t+(?=\S)/, group: Lexer.SKIPPED });

export const lineModeTokens: TokenType[] = [
  BlankLine, LeadTab, InsnHead, LiveRegsRow, Prepass, StateHead, PathStart, IndentState, BareState, SourceNote, FuncStart,
  LiveRegsHeader, Bookkeeping, GlobalFunc, CallReturn, Stats, DiagStart, LoaderLine, Text,
];

export const allTokens: TokenType[] = [
  ...lineModeTokens.filter((t) => t !== LeadTab), LeadTab, Newline, InsnBody, StateComment, JumpState, InsnRest, Space, FrameMark,
  RegAssign, StackAssign, Refs, StateWord, Value, StateRest, StateItem,
];

export const logLexer = new Lexer(
  {
    modes: {
      line: lineModeTokens,
      insn: [Newline, StateComment, JumpState, InsnBody, InsnRest],
      state: [Newline, Space, FrameMark, RegAssign, StackAssign, Refs, StateWord, Value, StateRest],
    },
    defaultMode: 'line',
  },
  { positionTracking: 'onlyOffset', ensureOptimizations: false, skipValidations: true },
);
