/**
 * Register and stack-slot values as the verifier prints them, decoded on demand.
 *
 * Spellings of every generation normalise to one shape: 4.x/5.x `inv`, `inv2`, `imm=`,
 * `umax_value=` and 6.x `scalar(...)`, `P15848`, merged bounds `smin=smin32=0,smax=umax=127`.
 */

export interface RegValue {
  /** The text as printed. */
  raw: string;
  /** Normalised type: `scalar`, `ctx`, `pkt`, `pkt_end`, `pkt_meta`, `map_ptr`, `map_value`, `fp`, `mem`, `ptr_task_struct`… */
  type: string;
  /** Modifiers printed before the type: `trusted_`, `rcu_`, `untrusted_`, `rdonly_`, `alloc_`, `percpu_`, `user_`. */
  modifiers: string[];
  /** `_or_null` suffix: the pointer may be NULL until checked. */
  maybeNull: boolean;
  /** Scalar whose exact value the verifier tracks as precise (`P` prefix). */
  precise: boolean;
  /** Known constant (scalars), as a decimal or hex string, when the value is one number. */
  constant: string | null;
  /** Attributes: id, ref_obj_id, off, r, imm, smin, smax, umin, umax, smin32…, var_off, map, ks, vs, sz. */
  attrs: Record<string, string>;
  /** `fp-8` / `fp[0]-8`: offset from the frame pointer and the frame it points into. */
  stack: { frame: number | null; offset: number } | null;
}

/** Old attribute names → the names 6.x prints. */
const ATTR_ALIASES: Record<string, string> = {
  umin_value: 'umin', umax_value: 'umax', smin_value: 'smin', smax_value: 'smax',
  min_value: 'umin', max_value: 'umax', s32_min_value: 'smin32', s32_max_value: 'smax32',
  u32_min_value: 'umin32', u32_max_value: 'umax32',
};

const MODIFIERS = ['trusted_', 'untrusted_', 'rcu_', 'rdonly_', 'alloc_', 'percpu_', 'user_', 'nonnull_'];

/** Split `a=1,b=(x; y),c` at top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

function addAttrs(attrs: Record<string, string>, list: string): void {
  for (const item of splitTop(list)) {
    if (!item) continue;
    const parts = item.split('=');
    if (parts.length === 1) {
      attrs[item] = 'true';
      continue;
    }
    // `var_off=(0x0; 0xff)` keeps its parentheses; `smin=smin32=0` gives both keys the value.
    const eq = item.indexOf('=');
    if (item.slice(eq + 1).startsWith('(')) {
      attrs[ATTR_ALIASES[item.slice(0, eq)] ?? item.slice(0, eq)] = item.slice(eq + 1);
      continue;
    }
    const v = parts[parts.length - 1];
    for (const k of parts.slice(0, -1)) attrs[ATTR_ALIASES[k] ?? k] = v;
  }
}

const NUMBER = /^-?(?:0x[0-9a-f]+|\d+)$/i;

export function parseValue(raw: string): RegValue {
  const v: RegValue = {
    raw, type: 'unknown', modifiers: [], maybeNull: false, precise: false, constant: null, attrs: {}, stack: null,
  };
  let s = raw;
  if (s.startsWith('P') && (NUMBER.test(s.slice(1)) || s.startsWith('Pscalar') || s.startsWith('Pinv'))) {
    v.precise = true;
    s = s.slice(1);
  }
  if (NUMBER.test(s)) {
    v.type = 'scalar';
    v.constant = s;
    return v;
  }
  // fp-8, fp0, fp[1]-16, fp (4.x)
  const fp = /^fp(?:\[(\d+)\])?(-?\d+)?$/.exec(s);
  if (fp) {
    v.type = 'fp';
    v.stack = { frame: fp[1] !== undefined ? Number(fp[1]) : null, offset: Number(fp[2] ?? 0) };
    return v;
  }
  const paren = s.indexOf('(');
  let head = paren >= 0 ? s.slice(0, paren) : s;
  let tail = '';
  if (paren >= 0) {
    let depth = 0;
    // A value cut off mid-print (`scalar(smin=`) has no closing parenthesis: take the rest.
    let close = s.length;
    for (let i = paren; i < s.length; i++) {
      if (s[i] === '(') depth++;
      else if (s[i] === ')' && --depth === 0) { close = i; break; }
    }
    addAttrs(v.attrs, s.slice(paren + 1, close));
    tail = s.slice(close + 1);
  } else {
    // 4.x prints `map_value,min_value=0`: attributes after a comma without parentheses.
    const comma = s.indexOf(',');
    if (comma >= 0) { head = s.slice(0, comma); tail = s.slice(comma); }
  }
  if (tail.startsWith(',')) addAttrs(v.attrs, tail.slice(1));

  // inv2 / imm0 (4.x, 5.x): a known constant.
  const inv = /^(inv|imm)(-?\d+)?$/.exec(head);
  if (inv) {
    v.type = 'scalar';
    if (inv[2] !== undefined) v.constant = inv[2];
    return v;
  }
  if (head.startsWith('P') && head.length > 1 && (head.slice(1) === 'scalar' || head.slice(1) === 'inv')) {
    v.precise = true;
    head = head.slice(1);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const m of MODIFIERS) {
      if (head.startsWith(m)) {
        v.modifiers.push(m.slice(0, -1));
        head = head.slice(m.length);
        changed = true;
      }
    }
  }
  if (head.endsWith('_or_null')) {
    v.maybeNull = true;
    head = head.slice(0, -'_or_null'.length);
  } else if (head.startsWith('ptr_or_null_')) {
    v.maybeNull = true;
    head = 'ptr_' + head.slice('ptr_or_null_'.length);
  }
  v.type = head === 'inv' ? 'scalar' : head;
  if (v.type === 'scalar' && v.attrs.imm === undefined) {
    const lo = v.attrs.smin ?? v.attrs.umin;
    if (lo !== undefined && lo === (v.attrs.smax ?? v.attrs.umax) && v.attrs.smin === v.attrs.smax) v.constant = lo;
  }
  return v;
}

/** Per-byte stack slot types as printed by every generation (`mmmm????`, `0000`, `rrrrrrrr`). */
const SLOT_CHARS: Record<string, string> = {
  '?': 'invalid', m: 'misc', '0': 'zero', r: 'spilled register', d: 'dynptr', i: 'iterator', f: 'irq flag',
};

export function isSlotTypeString(s: string): boolean {
  return s.length > 0 && s.length <= 8 && [...s].every((c) => c in SLOT_CHARS);
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

const TYPE_WORDS: Record<string, string> = {
  ctx: 'context pointer (the program\'s argument)',
  pkt: 'packet pointer',
  pkt_meta: 'packet metadata pointer',
  pkt_end: 'packet end pointer (data_end)',
  map_ptr: 'map pointer',
  map_value: 'pointer to a map value',
  map_key: 'pointer to a map key',
  fp: 'stack pointer',
  mem: 'pointer to memory',
  ringbuf_mem: 'pointer to reserved ring-buffer memory',
  buf: 'pointer to a buffer',
  sock: 'socket pointer',
  sock_common: 'socket (common part) pointer',
  tcp_sock: 'TCP socket pointer',
  xdp_sock: 'XDP socket pointer',
  flow_keys: 'flow dissector keys pointer',
  tp_buffer: 'tracepoint buffer pointer',
  btf_id: 'pointer to a kernel object',
  func: 'pointer to a BPF function (callback)',
  map_btf_id: 'pointer to a kernel map object',
  dynptr: 'dynamic pointer',
  arena: 'arena pointer',
};

/** Plain words for a value, e.g. "packet pointer, 12 bytes past data, 0 bytes proven readable". */
export function describeValue(v: RegValue): string {
  const a = v.attrs;
  const parts: string[] = [];
  if (v.type === 'scalar') {
    if (v.constant !== null) {
      parts.push(`scalar with the known value ${v.constant}${v.precise ? ' (precise)' : ''}`);
    } else {
      parts.push(v.precise ? 'scalar (tracked precisely)' : 'scalar');
      const smin = a.smin, smax = a.smax, umin = a.umin, umax = a.umax;
      if (smin !== undefined || smax !== undefined) parts.push(`signed range [${smin ?? '-2^63'}, ${smax ?? '2^63-1'}]`);
      if (umin !== undefined || umax !== undefined) parts.push(`unsigned range [${umin ?? 0}, ${umax ?? '2^64-1'}]`);
      if (!smin && !smax && !umin && !umax && !a.var_off) parts.push('unbounded: any 64-bit value');
      if (a.var_off) parts.push(`known bits ${a.var_off} (value; mask of unknown bits)`);
    }
    return parts.join(', ');
  }
  if (v.type === 'fp' && v.stack) {
    const where = v.stack.frame !== null ? ` of frame ${v.stack.frame}` : '';
    return v.stack.offset === 0
      ? `frame pointer${where} (top of the 512-byte stack)`
      : `stack pointer${where}, ${-v.stack.offset} bytes below the frame pointer`;
  }
  const mods = v.modifiers.length ? v.modifiers.join(' ') + ' ' : '';
  let base = TYPE_WORDS[v.type];
  if (!base && v.type.startsWith('ptr_')) base = `pointer to kernel struct ${v.type.slice(4)}`;
  parts.push(mods + (base ?? v.type));
  if (v.maybeNull) parts.push('may be NULL: compare it with 0 before use');
  if (a.map) parts.push(`map ${a.map}`);
  if (a.ks !== undefined) parts.push(`key size ${a.ks}`);
  if (a.vs !== undefined) parts.push(`value size ${a.vs}`);
  if (a.sz !== undefined) parts.push(`size ${a.sz}`);
  const off = Number(a.off ?? 0) + Number(a.imm ?? 0);
  if (v.type === 'pkt' || v.type === 'pkt_meta') {
    parts.push(off === 0 ? 'at data' : `${plural(off, 'byte')} past data`);
    if (a.r !== undefined) parts.push(`${plural(Number(a.r), 'byte')} proven readable`);
  } else if (off !== 0) {
    parts.push(`offset ${off}`);
  }
  if (a.var_off || a.umax || a.smax) parts.push('plus a variable offset' + (a.umax ? ` up to ${a.umax}` : ''));
  if (a.ref_obj_id && a.ref_obj_id !== '0') parts.push(`holds reference ${a.ref_obj_id}: must be released`);
  if (a.id && a.id !== '0') parts.push(`id ${a.id}`);
  return parts.join(', ');
}

export function describeStackSlot(raw: string): string {
  if (isSlotTypeString(raw)) {
    const bytes = [...raw].map((c) => SLOT_CHARS[c]);
    const counts = new Map<string, number>();
    for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
    return 'stack slot bytes: ' + [...counts].map(([k, n]) => `${plural(n, 'byte')} ${k}`).join(', ') +
      (counts.has('invalid') ? ' (never written: reading them is rejected)' : '');
  }
  return 'spilled register: ' + describeValue(parseValue(raw));
}
