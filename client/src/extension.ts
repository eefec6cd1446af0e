import * as vscode from 'vscode';
import {
	LanguageClient,
	LanguageClientOptions,
	NotificationType,
	ServerOptions,
	State,
	TransportKind,
} from 'vscode-languageclient/node';
import { SHOW_OUTPUT, showOutput } from './commands/showOutput';
import { TREAT_AS_VERIFIER_LOG, treatAsVerifierLog } from './commands/treatAsVerifierLog';
import { LANGUAGE_ID, SUMMARY_METHOD, SummaryParams } from './protocol';
import { SummaryStatusBar } from './statusBar';

const SummaryNotification = new NotificationType<SummaryParams>(SUMMARY_METHOD);

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
	// A log channel because vscode-languageclient 11 requires one, and it gives the server's
	// messages timestamps and levels for free.
	const output = vscode.window.createOutputChannel('bpflens', { log: true });
	const statusBar = new SummaryStatusBar();
	context.subscriptions.push(output, statusBar);

	// Commands go first so they keep working even if the server cannot be started.
	context.subscriptions.push(
		vscode.commands.registerCommand(TREAT_AS_VERIFIER_LOG, treatAsVerifierLog),
		vscode.commands.registerCommand(SHOW_OUTPUT, () => showOutput(output)),
	);

	const serverModule = context.asAbsolutePath('dist/server.js');
	const serverOptions: ServerOptions = {
		run: { module: serverModule, transport: TransportKind.ipc },
		debug: {
			module: serverModule,
			transport: TransportKind.ipc,
			options: { execArgv: ['--nolazy', '--inspect=6009'] },
		},
	};
	const clientOptions: LanguageClientOptions = {
		documentSelector: [
			{ scheme: 'file', language: LANGUAGE_ID },
			{ scheme: 'untitled', language: LANGUAGE_ID },
			// C sources: squiggles, hovers and navigation come from the logs mapped to them.
			{ scheme: 'file', language: 'c' },
		],
		outputChannel: output,
		// Gives the server the size cap before its first `workspace/configuration` pull, so the
		// very first (possibly huge) log is already guarded. Shaped like the `bpflens` section.
		initializationOptions: () => ({
			diagnostics: {
				maxLogSizeMB: vscode.workspace.getConfiguration('bpflens').get<number>('diagnostics.maxLogSizeMB', 1024),
			},
		}),
	};

	// The id 'bpflens' makes the client honour the `bpflens.trace.server` setting.
	client = new LanguageClient('bpflens', 'bpflens Language Server', serverOptions, clientOptions);
	context.subscriptions.push(
		client.onNotification(SummaryNotification, (params) => statusBar.update(params)),
		// After a crash-restart the cached summaries describe a dead server's analysis; the new
		// server resends them as it re-analyses the open documents.
		client.onDidChangeState((e) => {
			if (e.newState === State.Starting) {
				statusBar.clear();
			}
		}),
	);

	try {
		await client.start();
	} catch (err) {
		const message = err instanceof Error ? err.message : String(err);
		output.error(`Failed to start the bpflens language server: ${message}`);
		void vscode.window
			.showErrorMessage('bpflens: the language server failed to start.', 'Show Output')
			.then((choice) => {
				if (choice) {
					showOutput(output);
				}
			});
	}
}

export async function deactivate(): Promise<void> {
	if (client) {
		const c = client;
		client = undefined;
		await c.stop();
	}
}
