import { fork, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { listeningUrl, RunnerClient } from '../../../runner/src/client';

/** SecretStorage key of a remote runner's token (never in settings: they sync and get committed). */
export const TOKEN_SECRET = 'bpflens.runner.token';
export const SET_RUNNER_TOKEN = 'bpflens.setRunnerToken';

/** Where the local runner keeps kernels, its initramfs and its token. */
export function localCacheDir(): string {
	const configured = vscode.workspace.getConfiguration('bpflens').get<string>('runner.cacheDir', '');
	if (configured) return configured;
	if (process.env.BPFLENS_RUNNER_CACHE) return process.env.BPFLENS_RUNNER_CACHE;
	return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'bpflens', 'runner');
}

/** Loads run in QEMU microVMs, so a local runner needs Linux and qemu-system-x86_64 on PATH. */
function canRunLocally(): boolean {
	if (process.platform !== 'linux') return false;
	return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
		try {
			fs.accessSync(path.join(dir, 'qemu-system-x86_64'), fs.constants.X_OK);
			return true;
		} catch {
			return false;
		}
	});
}

/**
 * The runner this window talks to: `bpflens.runner.url` with the token from SecretStorage, or a
 * runner started on this machine (the extension's own `dist/runner.js`) on first use and stopped
 * with the window.
 */
export class RunnerConnection implements vscode.Disposable {
	private local: { child: ChildProcess; client: Promise<RunnerClient>; cacheDir: string } | undefined;

	constructor(
		private readonly context: vscode.ExtensionContext,
		private readonly output: vscode.LogOutputChannel,
	) {}

	/** A short description for messages: the URL or "the local runner (cache …)". */
	describe(): string {
		const url = this.url();
		return url ? `the runner at ${url}` : `the local runner (kernels in ${localCacheDir()})`;
	}

	isLocal(): boolean {
		return !this.url();
	}

	async client(): Promise<RunnerClient> {
		const url = this.url();
		if (url) {
			const token = await this.context.secrets.get(TOKEN_SECRET);
			if (!token) {
				throw new Error(`no token for ${url}: run "bpflens: Set Runner Token" with the token printed by the runner's setup`);
			}
			return new RunnerClient(url, token);
		}
		if (!canRunLocally()) {
			throw new Error('loads run in QEMU VMs: this machine has no qemu-system-x86_64 (Linux only). Set bpflens.runner.url to a runner service.');
		}
		const cacheDir = localCacheDir();
		if (this.local && this.local.cacheDir === cacheDir && this.local.child.exitCode === null) return this.local.client;
		this.stopLocal();
		// `--warm none`: VMs boot for the kernels a load asks for and stay warm for the next one,
		// rather than booting every cached kernel on two cores at the first click.
		const child = fork(this.context.asAbsolutePath('dist/runner.js'), ['--port', '0', '--host', '127.0.0.1', '--warm', 'none'], {
			stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
			// VS Code's Electron runs scripts as plain Node only when told to.
			env: { ...process.env, BPFLENS_RUNNER_CACHE: cacheDir, ELECTRON_RUN_AS_NODE: '1' },
			execArgv: [],
		});
		const started = new Promise<RunnerClient>((resolve, reject) => {
			let out = '';
			const timer = setTimeout(() => reject(new Error(`the local runner did not start within 20 s: ${out.trim().slice(-300)}`)), 20_000);
			child.stdout!.on('data', (d: Buffer) => {
				const text = d.toString();
				this.output.info(text.trimEnd());
				out += text;
				const url = listeningUrl(out);
				if (url) {
					clearTimeout(timer);
					resolve(new RunnerClient(url, fs.readFileSync(path.join(cacheDir, 'token'), 'utf8').trim()));
				}
			});
			child.stderr!.on('data', (d: Buffer) => {
				const text = d.toString();
				this.output.warn(text.trimEnd());
				out += text;
			});
			child.once('exit', (code, signal) => {
				clearTimeout(timer);
				this.output.info(`local runner exited (${code ?? signal})`);
				reject(new Error(`the local runner exited (${code ?? signal}): ${out.trim().slice(-300)}`));
			});
		});
		this.local = { child, client: started, cacheDir };
		started.catch(() => this.stopLocal());
		return started;
	}

	/** The runner's setup (kernels, initramfs, loader) for the local cache, in a terminal the user watches. */
	setupTerminal(): vscode.Terminal {
		return vscode.window.createTerminal({
			name: 'bpflens runner setup',
			shellPath: 'bash',
			shellArgs: [this.context.asAbsolutePath('runner/setup.sh'), 'all'],
			env: { BPFLENS_RUNNER_CACHE: localCacheDir() },
		});
	}

	private url(): string {
		return vscode.workspace.getConfiguration('bpflens').get<string>('runner.url', '').trim();
	}

	private stopLocal(): void {
		if (this.local && this.local.child.exitCode === null) this.local.child.kill('SIGTERM');
		this.local = undefined;
	}

	dispose(): void {
		this.stopLocal();
	}
}

export async function setRunnerToken(context: vscode.ExtensionContext): Promise<void> {
	const token = await vscode.window.showInputBox({
		title: 'bpflens: runner token',
		prompt: 'The token of the runner at bpflens.runner.url (printed by its setup, in <cache>/token). Stored in VS Code\'s secret storage.',
		password: true,
		ignoreFocusOut: true,
	});
	if (token === undefined) return;
	if (token.trim()) await context.secrets.store(TOKEN_SECRET, token.trim());
	else await context.secrets.delete(TOKEN_SECRET);
}
