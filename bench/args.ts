/**
 * The benchmark runners' flags: the CLI's parser (cli/args.ts), so that a
 * runner's --help comes from the same declarations, and a mistake is one
 * line naming the flag, exit status 2.
 */
import { describeFlags, parseFlags, UsageError, type FlagSpecs, type FlagValues } from '../cli/args.js';
import { exitCodes } from '../cli/exit-codes.js';

/** `runner`'s flags from the command line; --help prints `usage` and the flags, then exits. */
export function benchFlags(runner: string, usage: string, specs: FlagSpecs, argv: readonly string[] = process.argv.slice(2)): FlagValues {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: ${usage}\n\nflags:\n${describeFlags(specs)}`);
    process.exit(exitCodes.ok);
  }
  try {
    const { flags, positionals } = parseFlags(argv, specs);
    if (positionals.length > 0) throw new UsageError(`takes no argument '${positionals[0]}' (flags start with --)`);
    return flags;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${runner}: ${e.message}; see --help`);
    process.exit(exitCodes.usage);
  }
}
