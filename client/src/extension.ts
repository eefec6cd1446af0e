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
import { AlignedDocuments, COMPARE_KERNEL_LOGS, compareKernelLogs } from './runner/compare';
import { RunnerConnection, SET_RUNNER_TOKEN, setRunnerToken } from './runner/connection';
import { LOAD_OBJECT_ON_KERNELS, loadObjectOnKernels, type LoadArgs } from './runner/loadObject';
import type { MatrixCell } from './runner/matrix';
import { MatrixView, OPEN_CELL_LOG } from './runner/matrixView';
import { SummaryStatusBar } from './statusBar';

const SummaryNotification = new NotificationType<SummaryParams>(SUMMARY_METHOD);

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
	// A log channel because vscode-languageclient 11 requires one, and it gives the server's
	// messages timestamps and levels for free.
	const output = vscode.window.createOutputChannel('bpflens', { log: true });
	const runnerOutput = vscode.window.createOutputChannel('bpflens runner', { log: true });
	const statusBar = new SummaryStatusBar();
	const connection = new RunnerConnection(context, runnerOutput);
	const matrix = new MatrixView();
	const aligned = new AlignedDocuments();
	context.subscriptions.push(output, runnerOutput, statusBar, connection, matrix, aligned.register());

	// Commands go first so they keep working even if the server cannot be started.
	context.subscriptions.push(
		vscode.commands.registerCommand(TREAT_AS_VERIFIER_LOG, treatAsVerifierLog),
		vscode.commands.registerCommand(SHOW_OUTPUT, () => showOutput(output)),
		vscode.commands.registerCommand(LOAD_OBJECT_ON_KERNELS, (args?: LoadArgs | vscode.Uri) =>
			loadObjectOnKernels(args, { connection, view: matrix, storage: context.globalStorageUri, output: runnerOutput })),
		vscode.commands.registerCommand(OPEN_CELL_LOG, (m: MatrixCell) => vscode.window.showTextDocument(vscode.Uri.file(m.logFile!), { preview: false })),
		// From the matrix's context menu the argument is the tree node; from the palette, nothing.
		vscode.commands.registerCommand(COMPARE_KERNEL_LOGS, (a?: MatrixCell | { kind: 'cell'; cell: MatrixCell }, b?: MatrixCell) => {
			if (!client) {
				void vscode.window.showErrorMessage('bpflens: the language server is not running; see the bpflens output.');
				return undefined;
			}
			return compareKernelLogs({ client, view: matrix, docs: aligned }, a && 'kind' in a ? a.cell : a, b);
		}),
		vscode.commands.registerCommand(SET_RUNNER_TOKEN, () => setRunnerToken(context)),
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
