/**
 * A minimal LSP client for tests: spawns the bundled server (`node dist/server.js --stdio`) and
 * talks JSON-RPC to it through vscode-languageserver-protocol. Every notification the server sends
 * is recorded, so a test can wait for one that may already have arrived without racing it.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  createProtocolConnection, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, ExitNotification,
  InitializedNotification, InitializeRequest, LogMessageNotification, MessageType, PublishDiagnosticsNotification,
  ShutdownRequest, StreamMessageReader, StreamMessageWriter,
  type InitializeResult, type LogMessageParams, type TextDocumentContentChangeEvent, type ProtocolConnection, type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { pathToFileURL } from 'url';
import { ROOT } from './fixtures';


/** Repository root (tests run from out/test, fixtures and dist/ live in the source tree). */
export const REPO_ROOT = ROOT;
export const SERVER_JS = path.join(REPO_ROOT, 'dist', 'server.js');

export function fixturePath(rel: string): string {
  return path.join(REPO_ROOT, 'test', 'fixtures', rel);
}

export function readFixture(rel: string): string {
  return fs.readFileSync(fixturePath(rel), 'utf8');
}

export function uriOf(file: string): string {
  return pathToFileURL(file).href;
}

export interface Notification {
  method: string;
  params: unknown;
}

// The extension's own protocol constants: the client and these tests must agree with the server.
import { LANGUAGE_ID, SUMMARY_METHOD, type SummaryParams } from '../../client/src/protocol';
export { LANGUAGE_ID, SUMMARY_METHOD, type SummaryParams };

export class LspClient {
  readonly notifications: Notification[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<{ match: (n: Notification) => boolean; resolve: (n: Notification) => void }>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(readonly proc: ChildProcess, readonly conn: ProtocolConnection) {
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve({ code, signal });
      });
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => this.stderr.push(d));
    conn.onUnhandledNotification((n) => this.record({ method: n.method, params: n.params }));
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => this.record({ method: PublishDiagnosticsNotification.method, params: p }));
    conn.onNotification(LogMessageNotification.type, (p) => this.record({ method: LogMessageNotification.method, params: p }));
    conn.onNotification(SUMMARY_METHOD, (p: unknown) => this.record({ method: SUMMARY_METHOD, params: p }));
    conn.listen();
  }

  static start(args: string[] = []): LspClient {
    const proc = spawn(process.execPath, [SERVER_JS, '--stdio', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    // A server dying mid-test must fail the test, not crash the runner with EPIPE.
    proc.stdin!.on('error', () => undefined);
    return new LspClient(proc, conn);
  }

  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.exitInfo;
  }

  private record(n: Notification): void {
    this.notifications.push(n);
    for (const w of [...this.waiters]) {
      if (w.match(n)) {
        this.waiters.delete(w);
        w.resolve(n);
      }
    }
  }

  /** Resolves with the first notification (already received or future) that matches. */
  waitFor<T>(method: string, match: (params: T) => boolean, timeoutMs = 15000, after = 0): Promise<T> {
    const test = (n: Notification): boolean => n.method === method && match(n.params as T);
    for (let i = after; i < this.notifications.length; i++) {
      if (test(this.notifications[i])) return Promise.resolve(this.notifications[i].params as T);
    }
    return new Promise<T>((resolve, reject) => {
      const w = {
        match: test,
        resolve: (n: Notification) => {
          clearTimeout(timer);
          resolve(n.params as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no ${method} notification matched within ${timeoutMs} ms` +
          (this.exitInfo ? ` (server exited: ${JSON.stringify(this.exitInfo)})` : '') +
          `; stderr: ${this.stderr.join('').slice(-2000)}`));
      }, timeoutMs);
      this.waiters.add(w);
      this.exited.then(() => {
        if (this.waiters.delete(w)) {
          clearTimeout(timer);
          reject(new Error(`server exited (${JSON.stringify(this.exitInfo)}) before ${method}; stderr: ${this.stderr.join('').slice(-2000)}`));
        }
      }, () => undefined);
    });
  }

  diagnosticsFor(uri: string, version: number, timeoutMs = 15000): Promise<PublishDiagnosticsParams> {
    return this.waitFor<PublishDiagnosticsParams>(PublishDiagnosticsNotification.method, (p) => p.uri === uri && p.version === version, timeoutMs);
  }

  /**
   * The summary of one document version. The notification carries no version; the server sends
   * it right after that version's diagnostics, so it is the next summary for `uri` after them.
   */
  async summaryFor(uri: string, version: number, timeoutMs = 15000): Promise<SummaryParams> {
    const diags = await this.diagnosticsFor(uri, version, timeoutMs);
    const at = this.notifications.findIndex((n) => n.params === diags);
    return this.waitFor<SummaryParams>(SUMMARY_METHOD, (p) => p.uri === uri, timeoutMs, at + 1);
  }

  /** Error-level `window/logMessage`s the server sent (it reports caught exceptions that way). */
  errorLogs(): string[] {
    return this.notifications
      .filter((n) => n.method === LogMessageNotification.method && (n.params as LogMessageParams).type === MessageType.Error)
      .map((n) => (n.params as LogMessageParams).message);
  }

  /**
   * `settings`, when given, is the `bpflens` section the client answers `workspace/configuration`
   * with (and the client then declares that capability).
   */
  async initialize(initializationOptions: unknown, opts: { rootUri?: string; settings?: unknown } = {}): Promise<InitializeResult> {
    if (opts.settings !== undefined) {
      this.conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => opts.settings));
    }
    const res = await this.conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: opts.rootUri ?? null,
      capabilities: opts.settings !== undefined ? { workspace: { configuration: true } } : {},
      initializationOptions,
    });
    await this.conn.sendNotification(InitializedNotification.type, {});
    return res;
  }

  async open(uri: string, text: string, version = 1, languageId = LANGUAGE_ID): Promise<void> {
    await this.conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId, version, text },
    });
  }

  /** Replaces the whole document (a full-content change event). */
  async replace(uri: string, text: string, version: number): Promise<void> {
    await this.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
  }

  /** Incremental (ranged) or full changes, as an editor sends them. */
  async change(uri: string, version: number, contentChanges: TextDocumentContentChangeEvent[]): Promise<void> {
    await this.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges });
  }

  /** shutdown + exit; resolves with the exit status. Kills the process if it does not exit. */
  async stop(timeoutMs = 10000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitInfo) return this.exitInfo;
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    try {
      await this.conn.sendRequest(ShutdownRequest.type);
      await this.conn.sendNotification(ExitNotification.type);
      return await this.exited;
    } finally {
      clearTimeout(timer);
      this.conn.dispose();
    }
  }

  /** Last resort for `after` hooks: never leave a server behind. */
  kill(): void {
    if (!this.exitInfo) this.proc.kill('SIGKILL');
    this.conn.dispose();
  }
}
