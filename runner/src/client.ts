/**
 * The runner service's HTTP API from the caller's side (the VS Code extension; anything else that
 * talks to a remote runner). Plain `fetch`: Node 20 and VS Code's extension host both have it.
 *
 * Progress is followed by polling the job, which returns the cells finished so far: a caller can
 * fill its matrix cell by cell with nothing more than the one request it needs for results anyway.
 */
import type { Cell } from './vm';

/** What `npm run runner:serve` prints once it listens; whoever starts a runner reads its URL from it. */
export function listeningLine(url: string, tokenFile: string): string {
  return `bpflens runner at ${url}; token in ${tokenFile}\n`;
}

/** The URL in a runner's output so far, or null while it has not printed its `listeningLine`. */
export function listeningUrl(output: string): string | null {
  return /bpflens runner at (\S+?);/.exec(output)?.[1] ?? null;
}

export interface RunnerInfo {
  kernels: string[];
  variants: string[];
}

export interface JobRequest {
  objects: { name: string; data: Buffer }[];
  kernels: string[];
  variants?: string[];
  logLevel?: 1 | 2;
  /** Only these programs of each object (default: all). */
  programs?: string[];
}

export interface JobView {
  id: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  total: number;
  done: number;
  error: string | null;
  cells: Cell[];
}

/** A runner answer that is not a success, with the runner's own message. */
export class RunnerError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class RunnerClient {
  private readonly base: string;

  constructor(url: string, private readonly token: string, private readonly pollMs = 300) {
    this.base = url.replace(/\/+$/, '');
  }

  kernels(): Promise<RunnerInfo> {
    return this.call<RunnerInfo>('GET', '/kernels');
  }

  submit(req: JobRequest): Promise<{ id: string; total: number }> {
    return this.call('POST', '/jobs', {
      ...req,
      objects: req.objects.map((o) => ({ name: o.name, data: o.data.toString('base64') })),
    });
  }

  job(id: string): Promise<JobView> {
    return this.call('GET', `/jobs/${encodeURIComponent(id)}`);
  }

  cancel(id: string): Promise<{ id: string; state: string }> {
    return this.call('DELETE', `/jobs/${encodeURIComponent(id)}`);
  }

  /**
   * Polls a job to its end, reporting each view whose progress moved. Aborting the signal cancels
   * the job on the runner and resolves with its final (cancelled) view.
   */
  async follow(id: string, onProgress: (view: JobView) => void, signal?: AbortSignal): Promise<JobView> {
    let seen = -1;
    let cancelled = false;
    for (;;) {
      if (signal?.aborted && !cancelled) {
        cancelled = true;
        await this.cancel(id);
      }
      const view = await this.job(id);
      if (view.done !== seen || view.state !== 'running') {
        seen = view.done;
        onProgress(view);
      }
      if (view.state !== 'running') return view;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, this.pollMs);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private async call<T>(method: string, route: string, body?: object): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + route, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
      throw new RunnerError(0, `cannot reach the runner at ${this.base}: ${cause}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RunnerError(res.status, `${method} ${route}: the runner at ${this.base} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const message = (json as { error?: string }).error ?? text.slice(0, 200);
      throw new RunnerError(res.status, `runner ${res.status}: ${message}`);
    }
    return json as T;
  }
}
