/**
 * Quick fixes generated from a diagnosis and the program's own names (DWARF variables, the
 * source text), never generic snippets. Each generator returns nothing when it cannot name what
 * the fix needs, rather than guess.
 */
import type { Fix } from '../diagnosis';
import type { FixContext } from './context';
import { barrierVarFix } from './barrier-var';
import { gplLicenseFix } from './gpl-license';
import { nullCheckFix } from './null-check';
import { packetBoundsFix } from './packet-bounds';
import { returnRangeFix } from './return-range';
import { boundLoopFix } from './bound-loop';
import { clampIndexFix } from './clamp-index';
import { contextTypeFix } from './context-type';
import { mapArgumentFix } from './map-argument';
import { probeReadFix } from './probe-read';
import { releaseReferenceFix } from './release-reference';
import { stackCopyFix } from './stack-copy';
import { stackInitFix } from './stack-init';
import { unlockRegionFix } from './unlock-region';
import { unsignedIndexFix } from './unsigned-index';


export type { FixContext } from './context';

type Generator = (ctx: FixContext) => Fix | null;

const GENERATORS: Record<string, Generator[]> = {
  'pkt-out-of-bounds': [packetBoundsFix],
  'pkt-access': [packetBoundsFix],
  'mem-out-of-range': [packetBoundsFix, clampIndexFix],
  'map-value-access': [clampIndexFix],
  'stack-read-uninit': [stackInitFix],
  'ref-leak': [releaseReferenceFix],
  'infinite-loop': [boundLoopFix],
  'ctx-access': [contextTypeFix],
  'arg-type-mismatch': [mapArgumentFix, stackCopyFix],
  'scalar-deref': [probeReadFix],
  'ptr-offset-range': [unsignedIndexFix],
  'mem-negative': [unsignedIndexFix],
  'region-violation': [unlockRegionFix],
  'null-deref': [nullCheckFix],
  'gpl-only': [gplLicenseFix],
  // barrier_var first: it offers itself only when the source already bounds the returned
  // variable, and then a re-clamp (the return-range fix) compiles to the same unchecked register.
  'ret-range': [barrierVarFix, returnRangeFix],
};

export function fixesFor(ctx: FixContext): Fix[] {
  return (GENERATORS[ctx.error.code] ?? []).map((g) => g(ctx)).filter((f): f is Fix => f !== null);
}
