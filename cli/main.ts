#!/usr/bin/env node
/**
 * The fedmed command: dispatches to one subcommand. Mistakes in the input end
 * with one line on stderr and a non-zero exit status (cli/exit-codes.ts: 2
 * for usage, 74 when the file system refused, 1 for anything else).
 */
import { describeFlags, parseFlags, suggest, UsageError } from './args.js';
import type { Command } from './command.js';
import { describeExitCodes, exitCodes } from './exit-codes.js';
import { installNodePlatform } from '../platform/node.js';
import { FileSystemError } from '../store/atomic.js';
import { FolderTakenError } from '../store/folder.js';
import { exitWhenOutputCloses } from './signals.js';
import { infoCommand } from './commands/info.js';
import { privacyCommand } from './commands/privacy.js';
import { auditCommand } from './commands/audit.js';
import { benchCommand } from './commands/bench.js';
import { dataCommand } from './commands/data.js';
import { trainCommand } from './commands/train.js';
import { evalCommand } from './commands/eval.js';
import { translateCommand } from './commands/translate.js';
import { metricsCommand } from './commands/metrics.js';
import { nodeCommand } from './commands/node.js';
import { initCommand } from './commands/init.js';
import { experimentCommand } from './commands/experiment.js';
import { latentCommand } from './commands/latent.js';

const commands: Command[] = [trainCommand, experimentCommand, nodeCommand, initCommand, evalCommand, translateCommand, latentCommand, metricsCommand, dataCommand, privacyCommand, auditCommand, benchCommand, infoCommand];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'fedmed: federated, differentially private brain-MRI contrast translation',
    '',
    'usage: fedmed <command> [flags]     fedmed <command> --help',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
  ].join('\n');
}

/** Flags every command takes. */
const commonFlags = {
  verbose: { type: 'boolean', help: "also show the WebGPU driver's (Dawn's) own warnings" },
} as const;

function help(c: Command): string {
  return `${c.usage}\n\nflags:\n${describeFlags({ ...c.flags, ...commonFlags, help: { type: 'boolean', help: 'show this help' } })}\n\n${describeExitCodes(c.exitCodes)}`;
}

async function main(argv: string[]): Promise<void> {
  const name = argv[0];
  let rest = argv.slice(1);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview());
    return;
  }
  let command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command '${name}'${suggest(name, commands.map((c) => c.name), '')}; see fedmed --help`);
  let path = name;
  while (command.subcommands && rest[0] !== undefined && !rest[0].startsWith('-')) {
    const sub: string = rest[0];
    const found: Command | undefined = command.subcommands.find((c) => c.name === sub);
    if (!found) throw new UsageError(`unknown command '${path} ${sub}'${suggest(sub, command.subcommands.map((c) => c.name), '')}; see fedmed ${path} --help`);
    [command, path, rest] = [found, `${path} ${sub}`, rest.slice(1)];
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(help(command));
    return;
  }
  const { flags, positionals, given } = parseFlags(rest, { ...command.flags, ...commonFlags });
  installNodePlatform({ dawnWarnings: flags.verbose === true });
  if (positionals.length && !command.takesPositionals) throw new UsageError(`fedmed ${path} takes no argument '${positionals[0]}' (flags start with --); see fedmed ${path} --help`);
  await command.run(flags, positionals, given);
}

exitWhenOutputCloses();
main(process.argv.slice(2)).catch((e: unknown) => {
  const error = e instanceof Error ? e : new Error(String(e));
  console.error(`fedmed: ${error.message.split('\n')[0]}`);
  if (process.env.FEDMED_DEBUG) console.error(error.stack);
  process.exit(error instanceof UsageError || error instanceof FolderTakenError ? exitCodes.usage : error instanceof FileSystemError ? exitCodes.ioError : exitCodes.failure);
});
