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
