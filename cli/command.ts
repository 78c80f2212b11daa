/** The shape of a fedmed subcommand. */
import { UsageError, type FlagSpecs, type FlagValues } from './args.js';

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The usage line(s) and any paragraph --help shows above the flags. */
  usage: string;
  flags: FlagSpecs;
  /** Whether bare words after the flags are the command's (`fedmed data inspect DIR`); otherwise they are an error. */
  takesPositionals?: boolean;
  /** `given` names the flags typed on the command line (the others hold their defaults). */
  run(flags: FlagValues, positionals: string[], given: ReadonlySet<string>): Promise<void>;
  /** Commands under this one (`fedmed data phantom`); `run` then only runs when none is named. */
  subcommands?: Command[];
  /** Exit statuses of this command beyond the common ones (cli/exit-codes.ts), for --help. */
  exitCodes?: [number, string][];
}

/**
 * A command that only groups others (`fedmed bench kernels|step`): its help
 * lists them, and naming none is a usage error that says which there are.
 */
export function commandGroup(name: string, summary: string, subcommands: Command[]): Command {
  const names = subcommands.map((c) => c.name);
  const width = Math.max(...names.map((n) => n.length));
  return {
    name,
    summary,
    usage: [
      `usage: fedmed ${name} ${names.join('|')} [flags]     fedmed ${name} ${names[0]} --help`,
      '',
      'commands:',
      ...subcommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    ].join('\n'),
    flags: {},
    subcommands,
    async run() {
      throw new UsageError(`fedmed ${name} needs a command: ${names.slice(0, -1).join(', ')} or ${names.at(-1)} (see fedmed ${name} --help)`);
    },
  };
}
