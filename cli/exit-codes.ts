/**
 * What fedmed's exit status means, one list for main.ts and every command's
 * --help. SIGINT and SIGTERM end `train` and `node` with 128 + the signal's
 * number, as the shell reports it, once no file is being written
 * (cli/signals.ts); every file is written atomically, so nothing is torn.
 */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** `fedmed data inspect` read the folder and found problems. */
  problems: 3,
  /** The file system refused (no space, read-only, permission denied): sysexits' EX_IOERR. */
  ioError: 74,
  interrupted: 130,
  /** Standard output was closed (a pipe into `head`): 128 + SIGPIPE, as the shell reports a tool that SIGPIPE ended. */
  brokenPipe: 141,
  terminated: 143,
} as const;

const meanings: [number, string][] = [
  [exitCodes.ok, 'done'],
  [exitCodes.failure, 'failed: one line on stderr says what and where (a file, the data, a checkpoint)'],
  [exitCodes.usage, "usage error: a flag, a config key or an argument is wrong, or the output folder is taken or not fedmed's"],
  [exitCodes.ioError, 'the file system refused: no space (ENOSPC), read-only (EROFS), permission denied (EACCES); the line names the path and the cause'],
  [exitCodes.interrupted, 'interrupted (Ctrl-C, SIGINT) once the file being written is complete; the folder is whole (train: --resume continues)'],
  [exitCodes.brokenPipe, 'standard output was closed (piped into head, say), once the file being written is complete'],
  [exitCodes.terminated, 'terminated (SIGTERM); as above'],
];

/** The exit-status part of a command's --help; `extra` adds a command's own codes. */
export function describeExitCodes(extra: [number, string][] = []): string {
  const rows = [...meanings, ...extra].sort(([a], [b]) => a - b);
  return `exit status:\n${rows.map(([code, text]) => `  ${String(code).padEnd(5)}${text}`).join('\n')}`;
}
