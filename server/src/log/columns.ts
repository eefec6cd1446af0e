/**
 * Growable typed-array columns. Big logs hold millions of register assignments: one object per
 * assignment would cost more memory than the log itself, so the model stores them column-wise.
 */
type TypedArray = Uint8Array | Uint16Array | Int32Array | Uint32Array;
type Ctor<A extends TypedArray> = { new (n: number): A };

export class Column<A extends TypedArray> {
  data: A;
  length = 0;
  constructor(private readonly ctor: Ctor<A>, capacity = 1024) {
    this.data = new ctor(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new this.ctor(this.data.length * 2);
      next.set(this.data as never);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  get(i: number): number {
    return this.data[i];
  }
  /** A trimmed copy, so the model does not keep the slack of the doubling. */
  freeze(): A {
    return this.data.slice(0, this.length) as A;
  }
}
