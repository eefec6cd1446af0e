/**
 * Turns the grammar's recognised lines into the log model. One `LineSink` call per physical
 * line, so the line counter is the call counter.
 */
import type { IToken } from 'chevrotain';
import { Column } from './columns';
import { GenerationSignals } from './generation';
import * as T from './lexer';
import { LineKind, type PathInfo, type Stats, type SubprogInfo } from './model';
import type { LineSink } from './parser';
import { LIVE_DONE, LIVE_READ, LIVE_WRITTEN, OpKind, REFS_SLOT, StateRecorder } from './state';

const EFFECT_HELPER_CALL = 1;
const EFFECT_EXIT = 2;
const EFFECT_SUBPROG_CALL = 3;

/** Lines the kernel prints around the walk that are neither state nor error. */
export const INFO_LINE = new RegExp([
  '^arg#\\d+ ', '^func \'[^\']+\' arg\\d+ ', '^Unrecognized arg#', '^reg type unsupported for arg#',
  '^btf_vmlinux ', '^verification time', '^Skipped \\d+ bytes', '^\\[\\.\\.\\.\\]', '^in (?:sub|main) prog',
  '^Error log:$', '^level=\\w+ msg=', '^bpf: Permission denied', '^bpf: Argument list too long',
  '^bpf: Invalid argument', '^\\d+: safe$', '^from \\d+ to \\d+: safe$', '^caller:$', '^callee:$',
  '^\\s*\\d+: \\([0-9a-f]{2}\\)', '^R\\d+ invalid (?:mem access|state)?.*\\(allowed\\)',
  '^infinite loop detected at insn \\d+ \\(allowed\\)', '^BPF_LOOP ',
].join('|'));

function parseNum(s: string, from: number): number {
  let n = 0;
  let i = from;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** `R1_w=` → slot 1 with liveness; `fp-8_w=` → slot 16+8. */
function slotOf(img: string): { slot: number; live: number } {
  let i = 0;
  let slot: number;
  if (img.charCodeAt(0) === 82 /* R */) {
    slot = parseNum(img, 1);
    i = 1;
    while (img.charCodeAt(i) >= 48 && img.charCodeAt(i) <= 57) i++;
  } else {
    slot = 16 + parseNum(img, 3);
    i = 3;
    while (img.charCodeAt(i) >= 48 && img.charCodeAt(i) <= 57) i++;
  }
  let live = 0;
  if (img.charCodeAt(i) === 95 /* _ */) {
    for (i++; i < img.length - 1; i++) {
      const c = img[i];
      if (c === 'w') live |= LIVE_WRITTEN;
      else if (c === 'r') live |= LIVE_READ;
      else if (c === 'D') live |= LIVE_DONE;
    }
  }
  return { slot, live };
}

export class ModelBuilder implements LineSink {
  line = 0;
  /** Offset of the chunk being parsed in the whole text. */
  base = 0;
  readonly kinds: Column<Uint8Array>;
  readonly evInsn = new Column(Int32Array);
  readonly evLine = new Column(Uint32Array);
  readonly evOpcode = new Column(Uint8Array);
  readonly evFrame = new Column(Uint8Array);
  readonly evPath = new Column(Uint32Array);
  readonly evNote = new Column(Int32Array);
  readonly notes = new Column(Uint32Array);
  readonly states = new StateRecorder();
  readonly signals = new GenerationSignals();
  readonly paths: PathInfo[] = [];
  readonly subprogs: SubprogInfo[] = [];
  /** Lines lexed as free text: classified as info, error or unrecognised once the walk is known. */
  readonly textLines: number[] = [];
  readonly loaderLines: number[] = [];
  readonly stats: Stats = {
    processedInsns: null, insnLimit: null, maxStatesPerInsn: null, totalStates: null, peakStates: null,
    markRead: null, verificationTimeUsec: null, stackDepth: null, line: null,
  };
  diagStart = -1;
  diagEnd = -1;
  /** Last line holding walk content (instruction, state, path start). */
  lastWalkLine = -1;
  /** First line of the walk: free text before it is the kernel's preamble (BTF checks, notes). */
  firstWalkLine = -1;
  firstKernelLine = -1;
  firstKernelKind: LineKind = LineKind.Blank;
  firstKernelInsn = -1;
  private frame = 0;
  /** Kind of the last call/return marker, so the indented state after it is read right. */
  private callReturn = '';
  private inDiag = false;
  /** Inside the 7.3 pre-pass listings: indented instructions there are not part of the walk. */
  private inPrepass = false;

  constructor(lineCapacity: number) {
    this.kinds = new Column(Uint8Array, Math.max(16, lineCapacity));
  }

  private walk(): void {
    if (this.firstWalkLine < 0) this.firstWalkLine = this.line;
    this.lastWalkLine = this.line;
  }

  private setKind(kind: LineKind, insn = -1): void {
    this.kinds.push(kind);
    if (this.firstKernelLine < 0 && kind !== LineKind.Blank && kind !== LineKind.Loader) {
      this.firstKernelLine = this.line;
      this.firstKernelKind = kind;
      this.firstKernelInsn = insn;
    }
    this.line++;
  }

  private ensurePath(insn: number): number {
    if (this.paths.length === 0) this.paths.push({ index: 0, line: this.line, fromInsn: null, toInsn: insn, pruned: false });
    return this.paths.length - 1;
  }

  /** Records the assignments of one state print and closes it as an op. */
  private recordState(items: IToken[], kind: OpKind): void {
    let frame = 0;
    let pendingSlot = -1;
    let pendingLive = 0;
    for (let i = 0; i < items.length; i++) {
      const t = items[i];
      const type = t.tokenType;
      if (type === T.FrameMark) frame = parseNum(t.image, 5);
      else if (type === T.RegAssign || type === T.StackAssign || type === T.BareState) {
        const s = slotOf(t.image);
        pendingSlot = s.slot;
        pendingLive = s.live;
        if (s.live) this.signals.liveness = true;
      } else if (type === T.Refs) {
        this.states.item(frame, REFS_SLOT, this.base + t.startOffset + 5, t.image.length - 5, 0);
      } else if (type === T.Value && pendingSlot >= 0) {
        this.states.item(frame, pendingSlot, this.base + t.startOffset, t.image.length, pendingLive);
        this.signals.value(t.image);
        pendingSlot = -1;
      }
    }
    this.frame = frame;
    this.states.op(kind, frame, this.line);
  }

  insn(head: IToken, body: IToken | undefined, open: IToken | undefined, items: IToken[]): void {
    let img = head.image;
    const indented = img.charCodeAt(0) === 32 || img.charCodeAt(0) === 9;
    if (this.inPrepass && indented) {
      this.setKind(LineKind.Prepass);
      return;
    }
    this.inPrepass = false;
    if (indented) img = img.trimStart();
    const insn = parseNum(img, 0);
    const p = img.indexOf('(');
    const opcode = parseInt(img.substr(p + 1, 2), 16);
    let effect = 0;
    if (opcode === 0x85) effect = body && body.image.startsWith('call pc') ? EFFECT_SUBPROG_CALL : EFFECT_HELPER_CALL;
    else if (opcode === 0x95) effect = EFFECT_EXIT;
    this.evInsn.push(insn);
    this.evLine.push(this.line);
    this.evOpcode.push(opcode);
    this.evFrame.push(this.frame);
    this.evPath.push(this.ensurePath(insn));
    this.evNote.push(this.notes.length - 1);
    this.states.event(this.line, effect);
    if (effect === EFFECT_SUBPROG_CALL) this.frame++;
    else if (effect === EFFECT_EXIT && this.frame > 0) this.frame--;
    if (open !== undefined) {
      if (open.tokenType === T.StateComment) this.signals.stateComment = true;
      this.recordState(items, OpKind.Delta);
    }
    this.walk();
    this.setKind(LineKind.Instruction, insn);
  }

  state(head: IToken, items: IToken[]): void {
    const type = head.tokenType;
    this.inPrepass = false;
    if (type === T.PathStart) {
      const img = head.image;
      const from = parseNum(img, img.indexOf('from ') + 5);
      const to = parseNum(img, img.indexOf(' to ') + 4);
      const pruned = items.length === 1 && items[0].image === 'safe';
      this.paths.push({ index: this.paths.length, line: this.line, fromInsn: from, toInsn: to, pruned });
      if (!pruned) this.recordState(items, OpKind.Full);
      this.walk();
      this.setKind(LineKind.PathStart, to);
      return;
    }
    if (type === T.IndentState && this.callReturn) {
      // `returning from callee:` is followed by the callee's final state, `to caller at N:` and
      // `caller:` by the caller's full state.
      this.recordState(items, this.callReturn === 'returning' ? OpKind.Delta : OpKind.Full);
      this.setKind(LineKind.CallReturn);
      return;
    }
    // The bare 4.x form: the head token is the first assignment itself.
    if (type === T.BareState) items = [head, ...items];
    const insn = type === T.StateHead ? parseNum(head.image.trimStart(), 0) : -1;
    this.ensurePath(insn < 0 ? 0 : insn);
    this.recordState(items, OpKind.StateLine);
    this.walk();
    this.setKind(LineKind.State, insn);
  }

  single(tok: IToken): void {
    const type = tok.tokenType;
    const img = tok.image;
    if (this.inDiag) {
      if (type === T.Stats) this.inDiag = false;
      else {
        this.diagEnd = this.line;
        this.setKind(LineKind.DiagnosticBlock);
        return;
      }
    }
    if (type !== T.CallReturn) this.callReturn = '';
    switch (type) {
      case T.SourceNote: {
        this.notes.push(this.line);
        if (!this.signals.noteWithLocation && / @ \S+:\d+\s*$/.test(img)) this.signals.noteWithLocation = true;
        this.setKind(LineKind.SourceNote);
        return;
      }
      case T.FuncStart: {
        const id = parseNum(img, img.indexOf('#') + 1);
        this.subprogs.push({ id, startInsn: parseNum(img, img.indexOf('@') + 1), line: this.line, name: null });
        this.setKind(LineKind.FuncStart);
        return;
      }
      case T.LiveRegsHeader: this.inPrepass = false; this.setKind(LineKind.LiveRegsHeader); return;
      case T.LiveRegsRow: this.setKind(LineKind.LiveRegsRow); return;
      case T.Bookkeeping: this.setKind(LineKind.Bookkeeping); return;
      case T.Prepass: this.signals.prepass = this.inPrepass = true; this.setKind(LineKind.Prepass); return;
      case T.GlobalFunc: {
        const v = /^\s*Validating (\S+)\(\) func#(\d+)/.exec(img);
        if (v) {
          const id = Number(v[2]);
          const sp = this.subprogs.find((s) => s.id === id);
          if (sp) sp.name = v[1];
          else this.subprogs.push({ id, startInsn: -1, line: this.line, name: v[1] });
          this.paths.push({ index: this.paths.length, line: this.line, fromInsn: null, toInsn: sp?.startInsn ?? 0, pruned: false });
          this.frame = 0;
        }
        this.setKind(LineKind.GlobalFunc);
        return;
      }
      case T.CallReturn: {
        const what = img.trim();
        this.callReturn = what.startsWith('returning') || what === 'callee:' ? 'returning' : 'caller';
        this.setKind(LineKind.CallReturn);
        return;
      }
      case T.Stats: {
        this.readStats(img);
        this.setKind(LineKind.Stats);
        return;
      }
      case T.DiagStart: {
        this.signals.diagBlock = true;
        this.diagStart = this.diagEnd = this.line;
        this.inDiag = true;
        this.setKind(LineKind.DiagnosticBlock);
        return;
      }
      case T.LoaderLine: {
        this.loaderLines.push(this.line);
        this.setKind(LineKind.Loader);
        return;
      }
      default: {
        this.textLines.push(this.line);
        this.setKind(LineKind.Unrecognised);
      }
    }
  }

  blank(): void {
    if (this.inDiag) {
      this.setKind(LineKind.DiagnosticBlock);
      return;
    }
    this.setKind(LineKind.Blank);
  }

  private readStats(img: string): void {
    const s = this.stats;
    img = img.trim();
    const p = /^processed (\d+) insns \(limit (\d+)\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+) mark_read (\d+)/.exec(img);
    if (p) {
      [s.processedInsns, s.insnLimit, s.maxStatesPerInsn, s.totalStates, s.peakStates, s.markRead] = p.slice(1).map(Number);
      s.line = this.line;
      return;
    }
    const short = /^processed (\d+) insns/.exec(img);
    if (short) {
      s.processedInsns = Number(short[1]);
      const lim = /limit (\d+)/.exec(img);
      if (lim) s.insnLimit = Number(lim[1]);
      s.line = this.line;
      return;
    }
    const t = /^verification time (\d+) usec/.exec(img);
    if (t) { s.verificationTimeUsec = Number(t[1]); return; }
    const d = /^stack depth (.*)$/.exec(img);
    if (d) s.stackDepth = d[1].trim();
  }
}
