/**
 * The .vsix `npm run package` builds: every file the extension needs at run time is inside (the
 * bundles, the wasm module, grammar, language configuration, every file package.json and the
 * README point at), and nothing else (no sources, tests, fixtures, caches, node_modules, maps).
 * Uses the package `npm test` built, rebuilding it first when it is missing or stale.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import JSZip from 'jszip';
import { ROOT, ensureVsix } from './vscode/env';

interface Manifest {
  name: string;
  version: string;
  main: string;
  contributes: {
    languages?: { configuration?: string }[];
    grammars?: { path: string }[];
    viewsContainers?: Record<string, { icon?: string }[]>;
    walkthroughs?: { steps: { media: { markdown?: string; image?: string | Record<string, string>; svg?: string } }[] }[];
  };
}

/** Paths inside the extension, from `./x`, `x` or a markdown file's relative link. */
const rel = (p: string, from = ''): string => path.posix.normalize(path.posix.join(path.posix.dirname(from), p.replace(/^\.\//, '')));

/** Relative image links of a markdown file (`![alt](path)`), resolved against the file. */
function images(markdown: string, file: string): string[] {
  return [...markdown.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((u) => !/^[a-z]+:/i.test(u)).map((u) => rel(u, file));
}

/** Runtime files outside dist/ that the extension uses (see .vscodeignore). */
const RUNTIME_EXTRAS = ['runner/setup.sh', 'runner/guest-init.sh', 'runner/loader/bpfload.c', 'bin/bpflens.js'];

test('the .vsix has the extension and nothing else', async (t) => {
  const vsix = ensureVsix();
  const size = fs.statSync(vsix.file).size;
  const zip = await JSZip.loadAsync(fs.readFileSync(vsix.file));
  const entries = Object.values(zip.files).filter((f) => !f.dir).map((f) => f.name);
  const files = new Set(entries.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length)));
  t.diagnostic(`${path.relative(ROOT, vsix.file)}: ${(size / 1024).toFixed(0)} KB, ${entries.length} files${vsix.built ? ` (built by this test in ${vsix.ms} ms)` : ''}`);
  t.diagnostic([...files].sort().join(', '));

  // The packaged manifest is this checkout's (a stale package fails here).
  const manifest = JSON.parse(await zip.file('extension/package.json')!.async('string')) as Manifest;
  const mine = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
  assert.equal(manifest.version, mine.version);
  assert.deepEqual(manifest.contributes, mine.contributes, 'the packaged contributes are this checkout\'s');
  assert.ok(entries.includes('extension.vsixmanifest'));

  const required = new Set<string>([
    // vsce renames LICENSE to LICENSE.txt.
    'package.json', 'readme.md', 'LICENSE.txt', rel(manifest.main),
    'dist/client.js', 'dist/server.js', 'dist/runner.js', 'dist/cli.js', 'dist/bpflens_dwarf.wasm',
    ...RUNTIME_EXTRAS,
  ]);
  for (const l of manifest.contributes.languages ?? []) if (l.configuration) required.add(rel(l.configuration));
  for (const g of manifest.contributes.grammars ?? []) required.add(rel(g.path));
  for (const containers of Object.values(manifest.contributes.viewsContainers ?? {})) {
    for (const c of containers) if (c.icon && !c.icon.startsWith('$(')) required.add(rel(c.icon));
  }
  const markdown: string[] = [];
  for (const w of manifest.contributes.walkthroughs ?? []) {
    for (const s of w.steps) {
      if (s.media.markdown) markdown.push(rel(s.media.markdown));
      for (const img of typeof s.media.image === 'string' ? [s.media.image] : Object.values(s.media.image ?? {})) required.add(rel(img));
      if (s.media.svg) required.add(rel(s.media.svg));
    }
  }
  assert.ok(markdown.length >= 3, 'the walkthrough has its steps\' markdown');
  for (const md of markdown) {
    required.add(md);
    for (const img of images(fs.readFileSync(path.join(ROOT, md), 'utf8'), md)) required.add(img);
  }
  // The README's images are shown from the installed extension (relative links are kept).
  for (const img of images(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), 'README.md')) required.add(img);

  const missing = [...required].filter((f) => !files.has(f));
  assert.deepEqual(missing, [], `missing from the .vsix: ${missing.join(', ')}`);

  const forbidden = [...files].filter((f) =>
    !RUNTIME_EXTRAS.includes(f) && (
      /^(node_modules|out|server|client|wasm|bench|docs|scripts|test|\.cache|\.ci|\.vscode)\//.test(f) ||
      /\.(ts|map|vsix|o|log|tsbuildinfo)$/.test(f) ||
      /(^|\/)(tsconfig\.json|package-lock\.json|\.vscodeignore|\.gitignore)$/.test(f)));
  assert.deepEqual(forbidden, [], `in the .vsix but not needed at run time: ${forbidden.join(', ')}`);

  // Everything else is one of the kinds above: bundles, the wasm module, JSON, markdown, media, the runner scripts.
  const unexpected = [...files].filter((f) => !required.has(f) && !/^(dist\/[^/]+\.(js|wasm)|grammars\/[^/]+\.json|media\/.+\.(png|svg|md))$/.test(f));
  assert.deepEqual(unexpected, [], `unexpected files in the .vsix: ${unexpected.join(', ')}`);

  assert.ok(size < 5 * 1024 * 1024, `the .vsix stays small (${(size / 1024).toFixed(0)} KB)`);
});
