import * as vscode from 'vscode';

export const SHOW_OUTPUT = 'bpflens.showOutput';

export function showOutput(channel: vscode.OutputChannel): void {
	// Keep focus in the editor: the output is usually glanced at alongside the log.
	channel.show(true);
}
