// Dependency-free on purpose: the status bar and tests import these names without pulling in
// vscode-languageclient.

export const LANGUAGE_ID = 'bpf-verifier-log';

export const SUMMARY_METHOD = 'bpflens/summary';

export type Verdict = 'rejected' | 'accepted' | 'unknown';

/** Mirrors the server's `bpflens/summary` payload; keep the two in step. */
export interface SummaryParams {
	uri: string;
	verdict: Verdict;
	generation: string;
	truncated: boolean;
	processedInsns: number | null;
	totalStates: number | null;
	peakStates: number | null;
	errorCount: number;
}

export const ALIGN_LOGS_METHOD = 'bpflens/alignLogs';

export interface AlignLogsParams {
	left: string;
	right: string;
}

/** Mirrors the server's `bpflens/alignLogs` answer (`server/src/lsp/server.ts`). */
export interface AlignLogsResult {
	/** Each side as text, one line per aligned row (blank where only the other side has a step). */
	left: string;
	right: string;
	/** 0-based log line of each row's step, null for a gap. */
	leftLines: (number | null)[];
	rightLines: (number | null)[];
	divergence: { row: number; kind: 'walk' | 'state' | 'verdict'; reason: string } | null;
	aligned: boolean;
}
