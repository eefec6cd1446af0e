/**
 * The runner as an HTTP service (fastify, JSON Schema validated): list kernels and variants,
 * submit a job (object bytes, kernels, variants, log level), follow its progress (polling or
 * server-sent events), fetch results, cancel. Every request needs the bearer token made at setup.
 * Limits: object size (413), concurrent jobs (429), time per VM (cells report the timeout).
 * Object bytes only ever reach files in a per-job temp directory and a VM's disk.
 * Every job runs on one pool of warm VMs (runner/src/pool.ts), optionally booted at start, so only
 * the first job on a kernel waits for a boot.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { VmPool, type PoolOptions } from './pool';
import { cacheReady, KERNELS, runMatrix, VARIANTS, type Cell } from './vm';

export interface RunnerServerOptions {
  token: string;
  cacheDir: string;
  /** Largest object accepted (bytes). Default 4 MiB. */
  maxObjectBytes?: number;
  /** Jobs running at once; more are refused with 429. Default 2. */
  maxConcurrentJobs?: number;
  /** Time limit per VM (ms). Default 120 s. */
  vmTimeoutMs?: number;
  /** Kernels whose VM (default variant) is booted when the server starts. Default none. */
  warm?: string[];
  /** Idle timeout and VM count of the pool. */
  pool?: PoolOptions;
}

type JobState = 'running' | 'done' | 'cancelled' | 'failed';

interface Job {
  id: string;
  state: JobState;
  total: number;
  done: number;
  cells: Cell[];
  error: string | null;
  abort: AbortController;
  listeners: Set<(event: object) => void>;
}

/** The token file of a cache directory, created (mode 0600) on first use. */
export function ensureToken(cacheDir: string): string {
  const file = path.join(cacheDir, 'token');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

const NAME = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\\.o$';

export function createRunnerServer(opts: RunnerServerOptions): FastifyInstance {
  const maxObjectBytes = opts.maxObjectBytes ?? 4 * 1024 * 1024;
  const maxJobs = opts.maxConcurrentJobs ?? 2;
  const jobs = new Map<string, Job>();
  const unready = (opts.warm ?? []).filter((k) => !cacheReady(opts.cacheDir, [k]));
  if (unready.length) throw new Error(`runner: cannot warm kernel(s) not set up in ${opts.cacheDir}: ${unready.join(', ')}`);
  const pool = new VmPool(opts.pool);
  const expected = Buffer.from(`Bearer ${opts.token}`);
  // Base64 grows bytes by 4/3; the body limit lets one maximal object (plus JSON) through.
  const app = Fastify({ bodyLimit: Math.ceil(maxObjectBytes * 1.4) + 64 * 1024 });

  app.addHook('onRequest', async (req, reply) => {
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      await reply.code(401).send({ error: 'a valid token is required: Authorization: Bearer <token from the runner setup>' });
    }
  });
  app.setErrorHandler(async (err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const code = err.statusCode ?? 500;
    const message = code === 413 ? `request too large: objects are limited to ${maxObjectBytes} bytes` : err.message;
    await reply.code(code).send({ error: message });
  });

  app.get('/kernels', async () => ({
    kernels: KERNELS.filter((k) => cacheReady(opts.cacheDir, [k])),
    variants: Object.keys(VARIANTS),
  }));

  app.post<{ Body: { objects: { name: string; data: string }[]; kernels: string[]; variants?: string[]; logLevel?: 1 | 2; programs?: string[] } }>('/jobs', {
    schema: {
      body: {
        type: 'object',
        required: ['objects', 'kernels'],
        additionalProperties: false,
        properties: {
          objects: {
            type: 'array', minItems: 1, maxItems: 16,
            items: {
              type: 'object', required: ['name', 'data'], additionalProperties: false,
              properties: { name: { type: 'string', pattern: NAME }, data: { type: 'string', contentEncoding: 'base64' } },
            },
          },
          kernels: { type: 'array', minItems: 1, maxItems: KERNELS.length, uniqueItems: true, items: { enum: [...KERNELS] } },
          variants: { type: 'array', minItems: 1, maxItems: 4, uniqueItems: true, items: { enum: Object.keys(VARIANTS) } },
          logLevel: { enum: [1, 2] },
          // Identifiers only: the names travel to the guest's loader flags.
          programs: { type: 'array', minItems: 1, maxItems: 256, uniqueItems: true, items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' } },
        },
      },
    },
  }, async (req, reply) => {
    const body = req.body;
    const missing = body.kernels.filter((k) => !cacheReady(opts.cacheDir, [k]));
    if (missing.length) return reply.code(400).send({ error: `kernel(s) not set up on this runner: ${missing.join(', ')}` });
    const bytes = body.objects.map((o) => Buffer.from(o.data, 'base64'));
    const big = bytes.findIndex((b) => b.length > maxObjectBytes);
    if (big >= 0) return reply.code(413).send({ error: `${body.objects[big].name}: ${bytes[big].length} bytes, over the ${maxObjectBytes}-byte limit` });
    if ([...jobs.values()].filter((j) => j.state === 'running').length >= maxJobs) {
      return reply.code(429).send({ error: `${maxJobs} job(s) already running on this runner; retry later` });
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-job-'));
    const files = body.objects.map((o, i) => {
      const f = path.join(dir, `${i}_${o.name}`);
      fs.writeFileSync(f, bytes[i]);
      return f;
    });
    const job: Job = {
      id: randomUUID(), state: 'running', total: body.kernels.length * (body.variants?.length ?? 1), done: 0, cells: [],
      error: null, abort: new AbortController(), listeners: new Set(),
    };
    jobs.set(job.id, job);
    const emit = (event: object) => { for (const l of job.listeners) l(event); };
    runMatrix({
      objects: files,
      kernels: body.kernels,
      logLevel: body.logLevel ?? 1,
      programs: body.programs,
      cacheDir: opts.cacheDir,
      timeoutMs: opts.vmTimeoutMs ?? 120_000,
      pool,
      variants: (body.variants ?? ['default']).map((v) => VARIANTS[v]),
      signal: job.abort.signal,
      onProgress: (cells, done) => {
        job.done = done;
        job.cells.push(...cells.map((c) => ({ ...c, object: path.basename(c.object).replace(/^\d+_/, '') })));
        emit({ type: 'progress', done, total: job.total });
      },
    }).then(() => {
      if (job.state === 'running') job.state = 'done';
    }, (e: Error) => {
      job.state = 'failed';
      job.error = e.message;
    }).finally(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      emit({ type: 'end', state: job.state });
    });
    return reply.code(202).send({ id: job.id, total: job.total });
  });

  const find = (id: string) => jobs.get(id);
  const view = (j: Job) => ({ id: j.id, state: j.state, total: j.total, done: j.done, error: j.error, cells: j.cells });

  app.get<{ Params: { id: string } }>('/jobs/:id', async (req, reply) => {
    const j = find(req.params.id);
    return j ? view(j) : reply.code(404).send({ error: `no job ${req.params.id}` });
  });

  app.delete<{ Params: { id: string } }>('/jobs/:id', async (req, reply) => {
    const j = find(req.params.id);
    if (!j) return reply.code(404).send({ error: `no job ${req.params.id}` });
    if (j.state === 'running') {
      j.state = 'cancelled';
      j.abort.abort();
    }
    return { id: j.id, state: j.state };
  });

  /** Progress as server-sent events, ending with the job. */
  app.get<{ Params: { id: string } }>('/jobs/:id/events', async (req, reply) => {
    const j = find(req.params.id);
    if (!j) return reply.code(404).send({ error: `no job ${req.params.id}` });
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (event: object) => reply.raw.write(`data: ${JSON.stringify(event)}\n\n`);
    send({ type: 'progress', done: j.done, total: j.total });
    if (j.state !== 'running') {
      send({ type: 'end', state: j.state });
      reply.raw.end();
      return reply;
    }
    const listener = (event: object) => {
      send(event);
      if ((event as { type: string }).type === 'end') {
        j.listeners.delete(listener);
        reply.raw.end();
      }
    };
    j.listeners.add(listener);
    req.raw.on('close', () => j.listeners.delete(listener));
    return reply;
  });

  app.addHook('onReady', async () => {
    // Not awaited: the server answers while the VMs boot; a job that needs one waits for it.
    if (opts.warm?.length) {
      pool.warm(opts.warm, [{}], { cacheDir: opts.cacheDir, timeoutMs: opts.vmTimeoutMs })
        .catch((e: Error) => app.log.warn(`runner: warming VMs failed: ${e.message}`));
    }
  });
  // Before in-flight requests are waited for: an event stream ends with its job.
  app.addHook('preClose', async () => {
    for (const j of jobs.values()) j.abort.abort();
  });
  app.addHook('onClose', async () => {
    await pool.close();
  });
  return app;
}
