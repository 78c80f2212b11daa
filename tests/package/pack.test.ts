/**
 * The package as a user gets it: `npm pack` holds the built library, its
 * types and the command, and no tests, benchmarks' runners, source maps,
 * the repository's page or runs; the tarball, unpacked into a scratch
 * project's node_modules with the dependencies already installed here (no
 * network), runs its command and both examples of the README as they are
 * written there, the examples type-check against its declarations, and its
 * browser entry reaches no Node module.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, specifiers } from '../helpers/sources.js';
import { runToFiles } from '../helpers/spawn.js';

interface PackResult {
  filename: string;
  size: number;
  files: { path: string }[];
}

const pack = suite('package');
const scratch = mkdtempSync(path.join(tmpdir(), 'fedmed-pack-'));
const project = path.join(scratch, 'project');
const installed = path.join(project, 'node_modules', 'fedmed');
let packed: PackResult;
let files: string[];

pack.before(() => {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  packed = (JSON.parse(out) as PackResult[])[0]!;
  files = packed.files.map((f) => f.path);
  console.log(`  ${packed.filename}: ${(packed.size / 1024).toFixed(0)} KiB, ${files.length} files`);
  // "Installed": the tarball unpacked where npm would put it, its dependencies linked from this checkout's.
  mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  execFileSync('tar', ['-xzf', path.join(scratch, packed.filename), '-C', path.join(project, 'node_modules')]);
  execFileSync('mv', [path.join(project, 'node_modules', 'package'), installed]);
  const { dependencies } = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(dependencies)) {
    const link = path.join(project, 'node_modules', name);
    mkdirSync(path.dirname(link), { recursive: true }); // scoped packages (@grpc/grpc-js) sit in a folder
    symlinkSync(path.join(repoRoot, 'node_modules', name), link);
  }
});

pack.after(() => rmSync(scratch, { recursive: true, force: true }));

pack('the tarball holds the library, its types, the command and its licence, and no tests, maps or runs', () => {
  const exportsMap = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).exports as Record<string, string | Record<string, string>>;
  const targets = Object.values(exportsMap).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
  for (const target of [...targets, './dist/cli/main.js', './dist/wasm/fedmed.wasm', './dist/wasm/fedmed.relaxed.wasm', './dist/engine/index.d.ts']) {
    assert.ok(files.includes(target.replace(/^\.\//, '')), `${target} is not in the tarball`);
  }
  const unwanted = files.filter((f) => /^dist\/tests\/|^dist\/web\/|\.test\.|\.bench\.|\.map$|^runs?\/|(?<!\.d)\.ts$|node_modules\//.test(f));
  assert.equal(unwanted, []);
  assert.ok(files.every((f) => f.startsWith('dist/') || ['package.json', 'README.md', 'LICENSE'].includes(f)), `unexpected: ${files.filter((f) => !f.startsWith('dist/'))}`);
});

/** The ```js blocks of README.md's "As a library" section. */
function readmeExamples(): string[] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('As a library\n'));
  assert.ok(section, 'README.md has no "## As a library" section');
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function runExample(name: string, code: string): string {
  const file = path.join(project, name);
  writeFileSync(file, code);
  const run = runToFiles(process.execPath, [file], { cwd: project, timeout: 120_000 });
  assert.is(run.status, 0, `${name} failed: ${run.stderr}`);
  assert.is(run.stderr, '', `${name} wrote to stderr (Dawn's warnings are for --verbose)`);
  return run.stdout;
}

pack("README's engine example trains a conv net from the installed package", () => {
  const [conv] = readmeExamples();
  const losses = [...runExample('conv.mjs', conv!).matchAll(/loss ([\d.]+)/g)].map((m) => Number(m[1]));
  assert.ok(losses.length >= 2, `no losses printed`);
  assert.ok(losses.at(-1)! < losses[0]! / 5, `the loss went ${losses.join(' -> ')}`);
});

pack("README's CycleGAN example beats the untranslated input on the phantom", () => {
  const examples = readmeExamples();
  assert.is(examples.length, 2);
  const out = runExample('gan.mjs', examples[1]!);
  const last = [...out.matchAll(/PSNR ([\d.]+) dB \(the input itself: ([\d.]+) dB\)/g)].at(-1);
  assert.ok(last, `no PSNR line in ${out}`);
  assert.ok(Number(last[1]) > Number(last[2]) + 2, out);
});

pack('the installed command runs: info, and every command\'s --help', () => {
  const { bin } = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const main = path.join(installed, bin.fedmed!);
  const run = (args: string[]) => spawnSync(process.execPath, [main, ...args], { cwd: project, encoding: 'utf8', timeout: 60_000 });
  const info = run(['info']);
  assert.is(info.status, 0, info.stderr);
  assert.match(info.stdout, /fedmed 0\.\d+\.\d+/);
  const commands = [...run(['--help']).stdout.matchAll(/^  ([a-z]+) {2,}/gm)].map((m) => m[1]!);
  assert.ok(commands.length >= 13, `commands listed: ${commands}`);
  for (const command of commands) {
    const help = run([command, '--help']);
    assert.is(help.status, 0, `${command} --help: ${help.stderr}`);
    assert.match(help.stdout, /usage: fedmed /, command);
  }
});

pack('no shipped file points at a source map the package does not hold', () => {
  const pointing = files.filter((f) => f.endsWith('.js') && readFileSync(path.join(installed, f), 'utf8').includes('sourceMappingURL'));
  assert.equal(pointing, []);
});

pack("README's examples type-check against the shipped declarations (strict TypeScript, as a user's project would)", () => {
  const examples = readmeExamples().map((code, i) => {
    const file = `example${i}.mts`;
    writeFileSync(path.join(project, file), code);
    return file;
  });
  const compilerOptions = { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(repoRoot, 'node_modules', '@types')] };
  writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: examples }));
  const tsc = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
  assert.is(tsc.status, 0, tsc.stdout + tsc.stderr);
});

pack('fedmed/browser resolves from the scratch project and reaches no Node module', () => {
  const check = spawnSync(process.execPath, ['--input-type=module', '-e', "const m = await import('fedmed/browser'); console.log(Object.keys(m).sort().join(' '))"], { cwd: project, encoding: 'utf8' });
  assert.is(check.stdout.trim(), 'data engine eval fed models nn optim', check.stderr);
  const nodeOnly = new Set([...builtinModules, 'webgpu']);
  const seen = new Set<string>();
  const found: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (spec.startsWith('node:') || nodeOnly.has(spec)) found.push(`${path.relative(installed, file)} imports ${spec}`);
    }
  };
  visit(path.join(installed, 'dist', 'browser.js'));
  assert.ok(seen.size > 100, `only ${seen.size} modules reached`);
  assert.ok(existsSync(path.join(installed, 'dist', 'browser.d.ts')));
  assert.equal(found, []);
});

pack.run();
