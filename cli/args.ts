/**
 * A small flag parser: each command declares its flags with type, default
 * and help text; anything undeclared is an error, never ignored. The same
 * declarations print --help, so the help cannot drift from the parser.
 */

export type FlagType = 'string' | 'number' | 'int' | 'boolean';

export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean;
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  /** Shown in --help instead of the type, e.g. DIR. */
  placeholder?: string;
  /** The value of a string flag given bare (`--dp` alone meaning `--dp dp-sgd`). */
  bareValue?: string;
  /** The least value of a number flag. */
  min?: number;
}

export type FlagSpecs = Record<string, FlagSpec>;

export type FlagValues = Record<string, string | number | boolean | undefined>;

/** A mistake in what the user typed or gave: printed as one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedFlags {
  flags: FlagValues;
  positionals: string[];
  /** The flags actually typed (the rest hold defaults), e.g. to let them override a config file. */
  given: Set<string>;
}

/** The value of the string flag --`name` that `fedmed command` cannot do without; a UsageError when it was not given. */
export function requireString(flags: FlagValues, name: string, command: string): string {
  const value = flags[name];
  if (typeof value !== 'string') throw new UsageError(`fedmed ${command} needs --${name}; see fedmed ${command} --help`);
  return value;
}

/** Parses `--name value`, `--name=value` and bare `--flag` booleans. */
export function parseFlags(argv: readonly string[], specs: FlagSpecs): ParsedFlags {
  const flags: FlagValues = {};
  const positionals: string[] = [];
  const given = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.default !== undefined) flags[name] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name}${suggest(name, Object.keys(specs))}`);
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.type === 'boolean') raw = 'true';
    else if (spec.bareValue !== undefined && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) raw = spec.bareValue;
    else {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`--${name} needs a value`);
      raw = next;
    }
    flags[name] = convert(name, raw, spec);
    given.add(name);
  }
  return { flags, positionals, given };
}

/** Checks and converts one value (from the command line or a config file). */
export function convert(name: string, raw: unknown, spec: FlagSpec): string | number | boolean {
  const value = typeof raw === 'string' ? raw : String(raw);
  switch (spec.type) {
    case 'boolean':
      if (raw === true || value === 'true') return true;
      if (raw === false || value === 'false') return false;
      throw new UsageError(`--${name} is true or false, got '${value}'`);
    case 'number':
    case 'int': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got '${value}'`);
      if (spec.type === 'int' && !Number.isInteger(n)) throw new UsageError(`--${name} needs a whole number, got '${value}'`);
      if (spec.min !== undefined && n < spec.min) throw new UsageError(`--${name} must be at least ${spec.min}, got ${value}`);
      return n;
    }
    case 'string':
      if (spec.choices && !spec.choices.includes(value)) {
        throw new UsageError(`--${name} is one of ${spec.choices.join('|')}, got '${value}'`);
      }
      return value;
  }
}

/** ", did you mean --x?" when a known name is one or two edits away. */
export function suggest(name: string, known: readonly string[], prefix = '--'): string {
  const close = known.find((k) => editDistance(k, name) <= 2);
  return close ? `; did you mean ${prefix}${close}?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The flags part of --help. */
export function describeFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const value = s.type === 'boolean' ? '' : ` ${s.placeholder ?? (s.choices ? s.choices.join('|') : s.type.toUpperCase())}`;
    const dflt = s.default !== undefined && s.type !== 'boolean' ? ` (default ${s.default})` : '';
    return [`  --${name}${value}`, `${s.help}${dflt}`] as const;
  });
  const width = Math.max(0, ...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => l.padEnd(width) + r).join('\n');
}

/**
 * Planes z0 <= z < z1 from `text` ('z0:z1', either end may be left out, as
 * in Python: '90:', ':40'), or all `nz` planes when there is no text.
 */
export function parsePlanes(text: string | undefined, nz: number, flag = '--planes'): [number, number] {
  if (text === undefined) return [0, nz];
  const match = /^\s*(\d*)\s*:\s*(\d*)\s*$/.exec(text);
  if (!match) throw new UsageError(`${flag} is z0:z1 (planes z0 <= z < z1 along the third axis), got '${text}'`);
  const z0 = match[1] === '' ? 0 : Number(match[1]);
  const z1 = match[2] === '' ? nz : Number(match[2]);
  if (!(z0 < z1 && z1 <= nz)) throw new UsageError(`${flag} ${text}: needs 0 <= z0 < z1 <= ${nz} (the volume's planes)`);
  return [z0, z1];
}
