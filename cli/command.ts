/** The shape of a fedmed subcommand. */
import type { FlagSpecs, FlagValues } from './args.js';

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The usage line(s) and any paragraph --help shows above the flags. */
  usage: string;
  flags: FlagSpecs;
  /** `given` names the flags typed on the command line (the others hold their defaults). */
  run(flags: FlagValues, positionals: string[], given: ReadonlySet<string>): Promise<void>;
  /** Commands under this one (`fedmed data phantom`); `run` then only runs when none is named. */
  subcommands?: Command[];
}
