/**
 * Errors of the data layer. Each message is one line that names the file or
 * folder and the problem, so the CLI can print it as is.
 */

/** A file or folder that cannot be used as data: `${where}: ${problem}`. */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}
