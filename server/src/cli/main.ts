/**
 * `bpflens` command line: the same core as the language server, for CI and scripts.
 * Exit status: 0 diagnosed (whatever the verdict) / every load accepted / the logs agree, 1
 * `--fail-on-reject` and the log is a rejection, `check` saw a rejection, or `compare` found a
 * divergence; 2 bad usage or unreadable input.
 */
import { Command, Option } from 'commander';
import { check, renderJunit, renderSarif, renderTable, VARIANTS } from './check';
import { renderComparison } from './compare';
import { diagnoseFile, diagnoseWithObjects, InputError, readInput, readLog } from './diagnose-file';
import { alignLogs } from '../features/align';
import { parseLog } from '../log/parse';
import { renderText } from '../diagnose/diagnosis';

export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const program = new Command()
    .name('bpflens')
    .description('Diagnose Linux eBPF verifier logs: verdict, error, category, explanation, source line.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  program
    .command('diagnose')
    .description('diagnose a verifier log (a kernel log as printed, or wrapped by libbpf, bpftool, bpftrace, cilium/ebpf, tc)')
    .argument('<log>', 'path of the verifier log, or - for standard input')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--fail-on-reject', 'exit with status 1 when the log shows a rejection')
    .option('--object <file...>', 'BPF object(s) the log was loaded from: map instructions to C through DWARF')
    .option('--program <name>', 'program of the object the log belongs to (default: from the loader text, else the best match)')
    .action(async (log: string, opts: { format: 'text' | 'json'; failOnReject?: boolean; object?: string[]; program?: string }) => {
      const d = opts.object?.length ? await diagnoseWithObjects(log, opts.object, opts.program ?? null) : diagnoseFile(log);
      if (d.object?.problem) process.stderr.write(`bpflens: ${d.object.problem}\n`);
      process.stdout.write(opts.format === 'json' ? JSON.stringify(d, null, 2) + '\n' : renderText(log, d));
      if (opts.failOnReject && d.verdict === 'rejected') status = 1;
    });

  program
    .command('compare')
    .description('align two verifier logs of one program (two kernels, two variants) by instruction and show where they diverge')
    .argument('<left>', 'first verifier log')
    .argument('<right>', 'second verifier log')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--context <n>', 'aligned rows shown around the divergence (text)', '8')
    .action((left: string, right: string, opts: { format: 'text' | 'json'; context: string }) => {
      const a = alignLogs(parseLog(readLog(left).toString('utf8')), parseLog(readLog(right).toString('utf8')));
      process.stdout.write(opts.format === 'json' ? JSON.stringify(a, null, 2) + '\n' : renderComparison(left, right, a, Number(opts.context) || 0));
      if (a.divergence) status = 1;
    });

  program
    .command('check')
    .description('load BPF objects on a matrix of kernels (QEMU VMs of the runner) and diagnose every rejection')
    .argument('<object...>', 'BPF object files (.o, compiled with -g for C locations)')
    .option('--kernels <list>', 'kernel series, comma-separated; `host` (opt-in) loads into this machine\'s own kernel', '5.10,6.1,6.12,6.18,7.3')
    .option('--variants <list>', `variants, comma-separated: ${Object.keys(VARIANTS).join(', ')}`, 'default')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif', 'junit']).default('text'))
    .addOption(new Option('--level <n>', 'verifier log level').choices(['1', '2']).default('1'))
    .option('--programs <list>', 'load only these programs of each object, comma-separated (default: all)')
    .action(async (objects: string[], opts: { kernels: string; variants: string; format: string; level: string; programs?: string }) => {
      const list = (s: string) => s.split(',').map((v) => v.trim()).filter(Boolean);
      const variants = list(opts.variants);
      const unknown = variants.filter((v) => !(v in VARIANTS));
      if (unknown.length) throw new InputError(`unknown variant ${unknown.join(', ')} (known: ${Object.keys(VARIANTS).join(', ')})`);
      const programs = opts.programs === undefined ? undefined : list(opts.programs);
      const badName = programs?.find((p) => !/^[A-Za-z_]\w*$/.test(p));
      if (badName !== undefined) throw new InputError(`--programs: '${badName}' is not a BPF program name`);
      for (const o of objects) readInput(o, 'object');
      const cells = await check(objects, list(opts.kernels), variants, Number(opts.level) as 1 | 2, programs);
      const text = opts.format === 'json' ? JSON.stringify(cells, null, 2) + '\n'
        : opts.format === 'sarif' ? JSON.stringify(renderSarif(cells), null, 2) + '\n'
          : opts.format === 'junit' ? renderJunit(cells) : renderTable(cells);
      process.stdout.write(text);
      if (cells.some((c) => c.verdict !== 'accepted')) status = 1;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`bpflens: ${e.message}\n`);
      return 2;
    }
    const code = (e as { exitCode?: number; code?: string }).exitCode;
    if (code !== undefined) return (e as { code?: string }).code === 'commander.helpDisplayed' || (e as { code?: string }).code === 'commander.version' ? 0 : 2;
    throw e;
  }
  return status;
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
