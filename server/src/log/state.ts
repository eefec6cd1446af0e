/**
 * Register and stack state of every verified path, rebuilt from what the log prints.
 *
 * Logs print deltas: 6.x prints only the registers an instruction touched (`; R3=pkt(r=14)`),
 * 4.x/5.x print a full state line per instruction, every generation prints a full state when it
 * starts a path (`from 5 to 15: …`). The store keeps the printed assignments column-wise as
 * "ops" in log order, plus a snapshot every CHECKPOINT ops; a state query replays at most
 * CHECKPOINT ops from the nearest snapshot. Values stay as offsets into the log text until asked for.
 */
import { Column } from './columns';
import type { Generation } from './model';
import { parseValue, type RegValue } from './value';

export const enum OpKind {
  /** Merge the assignments into their frame. */
  Delta = 0,
  /** Replace the frame's state (path starts, the caller state after `to caller at N:`). */
  Full = 1,
  /** A standalone `N: R…` line: full in 4.x/5.x, a delta in 6.x. */
  StateLine = 2,
  /** An instruction event: its semantic effects (calls clobber R1-R5, `exit` leaves a callee frame). */
  Event = 3,
}

/** Slot codes: registers 0..10, the held references (`refs=2,5`) 11, stack slot at fp-N → 16 + N. */
export const REFS_SLOT = 11;

export function slotName(code: number): string {
  if (code === REFS_SLOT) return 'refs';
  return code < 16 ? `R${code}` : `fp-${code - 16}`;
}

export const LIVE_WRITTEN = 1;
export const LIVE_READ = 2;
export const LIVE_DONE = 4;

/** One slot of a reconstructed state. */
export interface SlotState {
  frame: number;
  /** `R1` or `fp-8`. */
  name: string;
  raw: string;
  /** Liveness suffix printed with it (`_w` written, `_r` read, `_D` done). */
  written: boolean;
  /** Log line (0-based) of the print this value comes from. */
  line: number;
  value(): RegValue;
}

export interface MachineState {
  /** Frame the walk is in (0 = main program). */
  frame: number;
  slots: SlotState[];
  get(name: string, frame?: number): SlotState | undefined;
}

const CHECKPOINT = 256;

type Frames = Map<number, Map<number, number>>;

function cloneFrames(f: Frames): Frames {
  const out: Frames = new Map();
  for (const [k, v] of f) out.set(k, new Map(v));
  return out;
}

/** Mutable side, used only while the builder walks the log. */
export class StateRecorder {
  readonly opKind = new Column(Uint8Array);
  readonly opFrame = new Column(Uint8Array);
  readonly opItemEnd = new Column(Uint32Array);
  readonly opLine = new Column(Uint32Array);
  readonly itemSlot = new Column(Uint16Array);
  readonly itemFrame = new Column(Uint8Array);
  readonly itemStart = new Column(Uint32Array);
  readonly itemLen = new Column(Uint16Array);
  readonly itemLive = new Column(Uint8Array);
  readonly eventOp = new Column(Uint32Array);

  item(frame: number, slot: number, start: number, len: number, live: number): void {
    this.itemFrame.push(frame);
    this.itemSlot.push(slot);
    this.itemStart.push(start);
    this.itemLen.push(Math.min(len, 0xffff));
    this.itemLive.push(live);
  }
  /** Closes an op over the items pushed since the previous op. */
  op(kind: OpKind, frame: number, line: number): void {
    this.opKind.push(kind);
    this.opFrame.push(frame);
    this.opLine.push(line);
    this.opItemEnd.push(this.itemSlot.length);
  }
  /** An instruction; `effect` (kept in the op's frame column): 1 helper call, 2 exit, 3 bpf-to-bpf call. */
  event(line: number, effect: number): void {
    this.eventOp.push(this.opKind.length);
    this.op(OpKind.Event, effect, line);
  }
  freeze(text: string, generation: Generation): StateStore {
    return new StateStore(text, generation, this);
  }
}

/** Immutable side: answers "what did the verifier know here". */
export class StateStore {
  private readonly opKind: Uint8Array;
  private readonly opFrame: Uint8Array;
  private readonly opItemEnd: Uint32Array;
  private readonly opLine: Uint32Array;
  private readonly itemSlot: Uint16Array;
  private readonly itemFrame: Uint8Array;
  private readonly itemStart: Uint32Array;
  private readonly itemLen: Uint16Array;
  private readonly itemLive: Uint8Array;
  private readonly eventOp: Uint32Array;
  private readonly fullStateLines: boolean;
  /** Snapshot before op k*CHECKPOINT, for every k: any state is at most CHECKPOINT ops of replay away. */
  private readonly checkpoints: { frames: Frames; cur: number }[] = [];

  constructor(private readonly text: string, generation: Generation, r: StateRecorder) {
    this.opKind = r.opKind.freeze();
    this.opFrame = r.opFrame.freeze();
    this.opItemEnd = r.opItemEnd.freeze();
    this.opLine = r.opLine.freeze();
    this.itemSlot = r.itemSlot.freeze();
    this.itemFrame = r.itemFrame.freeze();
    this.itemStart = r.itemStart.freeze();
    this.itemLen = r.itemLen.freeze();
    this.itemLive = r.itemLive.freeze();
    this.eventOp = r.eventOp.freeze();
    this.fullStateLines = generation === '4.x' || generation === '5.x';
    const st = { frames: new Map() as Frames, cur: 0 };
    for (let op = 0; op < this.opKind.length; op++) {
      if (op % CHECKPOINT === 0) this.checkpoints.push({ frames: cloneFrames(st.frames), cur: st.cur });
      this.apply(st, op);
    }
  }

  get opCount(): number {
    return this.opKind.length;
  }
  get assignmentCount(): number {
    return this.itemSlot.length;
  }

  /** State just before the instruction of event `e` executes. */
  before(e: number): MachineState {
    return this.view(this.replay(this.eventOp[e]));
  }

  /** State after event `e`: its own printed delta and any state lines up to the next instruction. */
  after(e: number): MachineState {
    const start = this.eventOp[e];
    let end = start + 1;
    while (end < this.opKind.length && this.opKind[end] !== OpKind.Event && this.opKind[end] !== OpKind.Full) end++;
    return this.view(this.replay(end));
  }

  /** State right after the op printed on `line` (for hovers on a state line), or null. */
  atLine(line: number): MachineState | null {
    let lo = 0, hi = this.opLine.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.opLine[mid] <= line) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0) return null;
    return this.view(this.replay(found + 1));
  }

  /** Replays every op: used by the benchmark and tests to prove all states are derivable. */
  replayAll(visit?: (op: number, frames: Frames) => void): number {
    const st = { frames: new Map() as Frames, cur: 0 };
    let slots = 0;
    for (let op = 0; op < this.opKind.length; op++) {
      this.apply(st, op);
      if (visit) visit(op, st.frames);
      slots += st.frames.get(st.cur)?.size ?? 0;
    }
    return slots;
  }

  private replay(untilOp: number): { frames: Frames; cur: number } {
    const k = Math.min(Math.floor(untilOp / CHECKPOINT), this.checkpoints.length - 1);
    if (k < 0) return { frames: new Map(), cur: 0 };
    const snap = this.checkpoints[k];
    const st = { frames: cloneFrames(snap.frames), cur: snap.cur };
    for (let op = k * CHECKPOINT; op < untilOp; op++) this.apply(st, op);
    return st;
  }

  private apply(st: { frames: Frames; cur: number }, op: number): void {
    const kind = this.opKind[op];
    if (kind === OpKind.Event) {
      const effect = this.opFrame[op];
      const regs = st.frames.get(st.cur);
      if (effect === 1 && regs) for (let r = 1; r <= 5; r++) regs.delete(r);
      else if (effect === 2 && st.cur > 0) { st.frames.delete(st.cur); st.cur--; }
      else if (effect === 3) st.cur++;
      return;
    }
    const start = op === 0 ? 0 : this.opItemEnd[op - 1];
    const end = this.opItemEnd[op];
    const frame = this.opFrame[op];
    const reset = kind === OpKind.Full || (kind === OpKind.StateLine && this.fullStateLines);
    if (reset) {
      st.frames.set(frame, new Map());
      for (const f of [...st.frames.keys()]) if (f > frame) st.frames.delete(f);
    }
    st.cur = frame;
    for (let i = start; i < end; i++) {
      const f = this.itemFrame[i];
      let m = st.frames.get(f);
      if (!m) { m = new Map(); st.frames.set(f, m); }
      m.set(this.itemSlot[i], i);
    }
  }

  private itemLine(item: number): number {
    // The op that closes over `item` is the first with opItemEnd > item.
    let lo = 0, hi = this.opItemEnd.length - 1, ans = hi;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.opItemEnd[mid] > item) { ans = mid; hi = mid - 1; } else lo = mid + 1;
    }
    return this.opLine[ans];
  }

  private view(st: { frames: Frames; cur: number }): MachineState {
    const slots: SlotState[] = [];
    const frames = [...st.frames.keys()].sort((a, b) => a - b);
    for (const f of frames) {
      const m = st.frames.get(f)!;
      for (const code of [...m.keys()].sort((a, b) => a - b)) {
        const item = m.get(code)!;
        const raw = this.text.substr(this.itemStart[item], this.itemLen[item]);
        let parsed: RegValue | undefined;
        slots.push({
          frame: f,
          name: slotName(code),
          raw,
          written: (this.itemLive[item] & LIVE_WRITTEN) !== 0,
          line: this.itemLine(item),
          value: () => (parsed ??= parseValue(raw)),
        });
      }
    }
    const cur = st.cur;
    return {
      frame: cur,
      slots,
      get: (name, frame = cur) => slots.find((s) => s.frame === frame && s.name.toLowerCase() === name.toLowerCase()),
    };
  }
}
