/** The shape of a fedmed subcommand. */
import type { FlagSpecs, FlagValues } from './args.js';

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
}
