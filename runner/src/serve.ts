/**
 * `npm run runner:serve -- [--port N] [--host H]`: the runner's HTTP service on this machine.
 * The token is created in the cache directory at first start (mode 0600); clients send it as
 * `Authorization: Bearer <token>`. Listens on 127.0.0.1 unless told otherwise.
 */
import { Command } from 'commander';
import * as path from 'path';
import { createRunnerServer, ensureToken } from './server';
import { defaultCacheDir } from './vm';

async function main(): Promise<void> {
  const opts = new Command()
    .option('--port <n>', 'port', '7710')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--max-object-bytes <n>', 'largest object accepted', String(4 * 1024 * 1024))
    .option('--max-jobs <n>', 'jobs at once', '2')
    .parse()
    .opts<{ port: string; host: string; maxObjectBytes: string; maxJobs: string }>();
  const cacheDir = defaultCacheDir();
  const token = ensureToken(cacheDir);
  const app = createRunnerServer({ token, cacheDir, maxObjectBytes: Number(opts.maxObjectBytes), maxConcurrentJobs: Number(opts.maxJobs) });
  const url = await app.listen({ port: Number(opts.port), host: opts.host });
  process.stdout.write(`bpflens runner at ${url}; token in ${path.join(cacheDir, 'token')}\n`);
}

void main();
