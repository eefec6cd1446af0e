/**
 * Which verifier generation printed a log, from syntax alone. Signals are collected while
 * parsing (cheap flags); the decision is made once at the end.
 *
 * - 7.3+: the `Verification failed:` block, or the level-2 static pre-pass (a passing level-1
 *   7.3 log reads like 6.x and is reported so).
 * - 6.x: `scalar` values, `; … @ file.c:N` notes, state comments after instructions, `ctx()`.
 * - 4.x: `R10=fp` without an offset, `imm`/`min_value=` spellings, attributes after `),`.
 * - 5.x: `inv` scalars without any 4.x or 6.x signal.
 */
import type { Generation } from './model';

const OLD_BOUNDS = /(?:^|[(,])(?:min|max)_value=/;

export class GenerationSignals {
  diagBlock = false;
  scalar = false;
  noteWithLocation = false;
  stateComment = false;
  inv = false;
  old4 = false;
  anyState = false;
  /** Liveness marks (`R2_w=`), printed from late 4.x on. */
  liveness = false;
  /** The static pre-pass listing (`topo_order[0] = …`), first seen in 7.3 logs. */
  prepass = false;

  /** Looks at one printed value; stops looking once decided to keep big logs cheap. */
  value(raw: string): void {
    this.anyState = true;
    if (this.scalar && this.inv) return;
    const c = raw.charCodeAt(0);
    if (c === 115 /* s */ && raw.startsWith('scalar')) this.scalar = true;
    else if (c === 105 /* i */) {
      if (raw.startsWith('inv')) this.inv = true;
      else if (raw.startsWith('imm')) this.old4 = true;
    } else if (c === 80 /* P */ && raw.startsWith('Pscalar')) this.scalar = true;
    if (raw === 'fp' || raw === 'ctx' || OLD_BOUNDS.test(raw) || raw.includes('),')) {
      this.old4 = true;
    }
    if (raw.endsWith('()')) this.scalar = true;
  }

  merge(o: GenerationSignals): void {
    for (const k of Object.keys(this) as (keyof GenerationSignals)[]) {
      if (typeof this[k] === 'boolean' && o[k]) (this as unknown as Record<string, boolean>)[k] = true;
    }
  }

  decide(): Generation {
    if (this.diagBlock || this.prepass) return '7.3+';
    if (this.scalar || this.noteWithLocation || (this.stateComment && !this.inv)) return '6.x';
    if (this.old4) return '4.x';
    if (this.inv || this.stateComment || this.liveness) return '5.x';
    return 'unknown';
  }
}
