import { NotificationType } from 'vscode-languageclient/node';

export const LANGUAGE_ID = 'bpf-verifier-log';

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

export const SummaryNotification = new NotificationType<SummaryParams>('bpflens/summary');
