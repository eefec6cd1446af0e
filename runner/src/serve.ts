/**
 * `npm run runner:serve -- [--port N] [--host H] [--warm K,K|none]`: the runner's HTTP service on
 * this machine. The token is created in the cache directory at first start (mode 0600); clients
 * send it as `Authorization: Bearer <token>`. Listens on 127.0.0.1 unless told otherwise. Boots a
 * warm VM for every kernel in the cache at start, so the first job does not wait for boots.
 */
import { Command } from 'commander';
import * as path from 'path';
import { listeningLine } from './client';
import { createRunnerServer, ensureToken } from './server';
import { cacheReady, defaultCacheDir, KERNELS } from './vm';

async function main(): Promise<void> {
  const cacheDir = defaultCacheDir();
  const opts = new Command()
    .option('--port <n>', 'port', '7710')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--max-object-bytes <n>', 'largest object accepted', String(4 * 1024 * 1024))
    .option('--max-jobs <n>', 'jobs at once', '2')
    .option('--warm <kernels>', 'kernels to boot a VM for at start (comma-separated, or none)', KERNELS.filter((k) => cacheReady(cacheDir, [k])).join(',') || 'none')
    .parse()
    .opts<{ port: string; host: string; maxObjectBytes: string; maxJobs: string; warm: string }>();
  const token = ensureToken(cacheDir);
  const app = createRunnerServer({
    token, cacheDir, maxObjectBytes: Number(opts.maxObjectBytes), maxConcurrentJobs: Number(opts.maxJobs),
    warm: opts.warm === 'none' ? [] : opts.warm.split(','),
  });
  // Closing the app shuts the warm VMs down; the exit hook alone does not run on a signal.
  const stop = () => void app.close().then(() => process.exit(0));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, stop);
  // Started by the editor (forked, with an IPC channel): it goes when the editor's extension host does.
  if (process.send) process.once('disconnect', stop);
  const url = await app.listen({ port: Number(opts.port), host: opts.host });
  process.stdout.write(listeningLine(url, path.join(cacheDir, 'token')));
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exitCode = 1;
});
