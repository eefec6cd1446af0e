/** `bpflens compare` as text: the divergence, then the aligned walks side by side around it. */
import type { AlignedLogs, WalkStep } from '../features/align';

const WIDTH = 60;

function cell(s: WalkStep | null): string {
  const text = s ? (s.detail && s.key !== 'end' ? `${s.text}  ; ${s.detail}` : s.text) : '';
  return text.length > WIDTH ? text.slice(0, WIDTH - 1) + '…' : text.padEnd(WIDTH);
}

export function renderComparison(left: string, right: string, a: AlignedLogs, context: number): string {
  const out = [`left:  ${left}`, `right: ${right}`];
  if (!a.aligned) out.push('the walks are too different to align: rows are paired in order');
  const d = a.divergence;
  out.push(d ? `first divergence (${d.kind}) at row ${d.row + 1}: ${d.reason}` : 'the walks agree step by step, with the same verdict');
  const at = d?.row ?? 0;
  const from = Math.max(0, at - context);
  const to = Math.min(a.rows.length, at + context + 1);
  out.push('');
  if (from > 0) out.push(`  … ${from} aligned rows before`);
  for (let r = from; r < to; r++) out.push(`${r === d?.row ? '>>' : '  '} ${cell(a.rows[r].left)} | ${cell(a.rows[r].right).trimEnd()}`);
  if (to < a.rows.length) out.push(`  … ${a.rows.length - to} aligned rows after`);
  return out.join('\n') + '\n';
}
