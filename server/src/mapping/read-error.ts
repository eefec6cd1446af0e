/**
 * The one error type of the object readers (ELF, BTF, BTF.ext), and the bounds-checked byte view
 * they read through.
 *
 * Like gimli, the readers never index past a slice and never let a malformed input surface as a
 * `RangeError`, a `TypeError` or a hang: every failure is an {@link ObjectReadError} that says which
 * file, at which byte offset, and what was expected there.
 */

export class ObjectReadError extends Error {
  constructor(
    readonly file: string,
    /** Absolute byte offset in `file`, or null when the failure has no single place. */
    readonly offset: number | null,
    /** What was expected, in words. */
    readonly what: string,
  ) {
    super(`${file}: ${what}${offset !== null ? ` (at byte ${offset})` : ''}`);
    this.name = 'ObjectReadError';
  }
}

/**
 * Runs `body`; any exception other than an {@link ObjectReadError} is a bug in a reader, but it
 * still leaves as an `ObjectReadError` (with "internal error" in `what`) so callers only ever catch
 * one type. The fuzz test asserts that this net never catches anything.
 */
export function guarded<T>(file: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof ObjectReadError) throw e;
    const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new ObjectReadError(file, null, `internal error while reading (${detail})`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * A bounds-checked, zero-copy view over bytes of one file. `base` is the absolute offset of
 * `bytes[0]` in the file, so errors always name file offsets even when the view is a section.
 */
export class ByteView {
  private readonly dv: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    readonly littleEndian: boolean,
    readonly base = 0,
    /** Name of what this view holds, used in messages (e.g. `.BTF`). */
    readonly label = 'file',
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** The error for `what` at `offset` of this view (absolute in the file), to throw. */
  error(offset: number | null, what: string): ObjectReadError {
    return new ObjectReadError(this.file, offset === null ? null : this.base + offset, what);
  }

  fail(offset: number | null, what: string): never {
    throw this.error(offset, what);
  }

  /** Throws unless `[offset, offset + size)` lies inside the view. */
  need(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      const have = Math.max(0, this.bytes.length - Math.max(0, Number.isSafeInteger(offset) ? offset : this.bytes.length));
      this.fail(
        Number.isSafeInteger(offset) && offset >= 0 && offset <= this.bytes.length ? offset : null,
        `truncated ${this.label}: ${what} needs ${size} bytes at offset ${offset}, ${have} present`,
      );
    }
  }

  u8(offset: number, what: string): number {
    this.need(offset, 1, what);
    return this.dv.getUint8(offset);
  }

  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.dv.getUint16(offset, this.littleEndian);
  }

  i16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.dv.getInt16(offset, this.littleEndian);
  }

  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.dv.getUint32(offset, this.littleEndian);
  }

  i32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.dv.getInt32(offset, this.littleEndian);
  }

  u64(offset: number, what: string): bigint {
    this.need(offset, 8, what);
    return this.dv.getBigUint64(offset, this.littleEndian);
  }

  i64(offset: number, what: string): bigint {
    this.need(offset, 8, what);
    return this.dv.getBigInt64(offset, this.littleEndian);
  }

  /** A 64-bit field that must be a size or offset this process can index (≤ 2^53 − 1). */
  u64n(offset: number, what: string): number {
    const v = this.u64(offset, what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(offset, `${what} is 0x${v.toString(16)}, larger than any file`);
    return Number(v);
  }

  /** A sub-view of `[offset, offset + size)`; zero-copy. */
  sub(offset: number, size: number, what: string, label = this.label): ByteView {
    this.need(offset, size, what);
    return new ByteView(this.bytes.subarray(offset, offset + size), this.file, this.littleEndian, this.base + offset, label);
  }

  /** The NUL-terminated string at `offset`, which must start inside the view and end before its end. */
  cstring(offset: number, what: string): string {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.bytes.length) {
      this.fail(null, `${what}: string offset ${offset} is outside ${this.label} (${this.bytes.length} bytes)`);
    }
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) this.fail(offset, `${what}: string at offset ${offset} of ${this.label} has no terminating NUL`);
    return end === offset ? '' : utf8.decode(this.bytes.subarray(offset, end));
  }
}

/** A string table (ELF `.strtab`/`.shstrtab`, BTF string section) with decoded strings cached. */
export class StringTable {
  private readonly cache = new Map<number, string>();

  constructor(readonly view: ByteView) {}

  get(offset: number, what: string): string {
    let s = this.cache.get(offset);
    if (s === undefined) {
      s = this.view.cstring(offset, what);
      this.cache.set(offset, s);
    }
    return s;
  }
}
