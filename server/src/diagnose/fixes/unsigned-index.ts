/** A possibly negative index or offset: declare it unsigned, so the upper-bound check bounds it from both sides. */
import type { Fix } from '../diagnosis';
import { failingSource, type FixContext } from './context';
import { enclosingFunctionStart } from './c-source';

const SIGNED = /\b(?:signed\s+)?(int|long|short|char|__s8|__s16|__s32|__s64|s8|s16|s32|s64|int8_t|int16_t|int32_t|int64_t)\b/;
const UNSIGNED: Record<string, string> = {
  char: '__u8', short: '__u16', int: '__u32', long: '__u64', __s8: '__u8', __s16: '__u16', __s32: '__u32', __s64: '__u64',
  s8: '__u8', s16: '__u16', s32: '__u32', s64: '__u64', int8_t: '__u8', int16_t: '__u16', int32_t: '__u32', int64_t: '__u64',
};

export function unsignedIndexFix(ctx: FixContext): Fix | null {
  const { error } = ctx;
  if (error.insn === null || !/min value is negative|unbounded min value/.test(error.message)) return null;
  const found = failingSource(ctx);
  if (!found) return null;
  const { file, lines, at } = found;
  const index = /\[\s*([A-Za-z_]\w*)\s*\]/.exec(lines[at])?.[1] ?? /[+-]\s*([A-Za-z_]\w*)\b/.exec(lines[at])?.[1];
  if (!index) return null;
  const from = enclosingFunctionStart(lines, at);
  const decl = new RegExp(`^(\\s*)(.*?)\\b${index}\\b\\s*(?:=|;|,)`);
  for (let l = from + 1; l < at; l++) {
    const m = decl.exec(lines[l]);
    const type = m ? SIGNED.exec(m[2]) : null;
    if (!m || !type || /[()]/.test(m[2])) continue;
    const col = m[1].length + type.index;
    const unsigned = UNSIGNED[type[1]];
    return {
      title: `Declare ${index} unsigned (${unsigned}): a negative ${type[1]} cannot be bounded by the upper-bound check alone`,
      edits: [{ file, range: { start: { line: l, column: col }, end: { line: l, column: col + type[0].length } }, newText: unsigned }],
    };
  }
  return null;
}
