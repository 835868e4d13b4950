import { readFileSync } from 'node:fs';

/**
 * Reads typed values out of an environment map and collects every problem, so a bad start
 * reports all wrong variables at once, each by name. Nothing outside `config/` reads
 * `process.env`.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a file a variable names (a mounted Secret, a CA bundle); throws as fs.readFileSync does. */
export type ReadText = (path: string) => string;

/** A file a variable named, and what it held when the relay started. */
export interface FileText {
  readonly variable: string;
  readonly path: string;
  readonly text: string;
}

/** A secret and the variable it came from (the value itself, or `<NAME>_FILE` naming a file). */
export interface Secret {
  readonly value: string;
  readonly variable: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(
    private readonly env: Env,
    private readonly readText: ReadText = (path) => readFileSync(path, 'utf8'),
  ) {}

  /** The raw value, or undefined when unset or blank. */
  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      return this.fail(name, `must be an integer from ${min} to ${max}, got "${value}"`, fallback);
    }
    return Number(value);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    return this.fail(name, `must be true or false, got "${value}"`, fallback);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T;
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: undefined): T | undefined;
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T | undefined {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    return this.fail(name, `must be one of ${allowed.join(', ')}, got "${value}"`, fallback);
  }

  /** A comma-separated list; empty items are dropped. */
  list(name: string): string[] {
    return listItems(this.raw(name) ?? '', ',');
  }

  /**
   * The content of the file `name` names, read now (files are read once, at start); undefined
   * when unset, or when it cannot be read, which is recorded naming the variable and the path.
   */
  file(name: string): FileText | undefined {
    const path = this.raw(name);
    if (path === undefined) return undefined;
    try {
      return { variable: name, path, text: this.readText(path) };
    } catch (error) {
      return this.fail(name, `names ${path}, which ${unreadable(error)}`, undefined);
    }
  }

  /**
   * A secret given as `name` or, as a mounted Kubernetes Secret is, in the file `fileName`
   * names; one trailing line break of the file is not part of it (what `echo` and most editors
   * add). Setting both is a problem naming both. Neither the value nor the file's content ever
   * appears in a problem.
   */
  secret(name: string, fileName: string): Secret | undefined {
    const direct = this.raw(name);
    if (direct !== undefined && this.raw(fileName) !== undefined) {
      return this.fail(name, `and ${fileName} are both set; set only one (${fileName} for a file such as a mounted Secret)`, undefined);
    }
    if (direct !== undefined) return { value: direct, variable: name };
    const fromFile = this.file(fileName);
    if (fromFile === undefined) return undefined;
    const value = fromFile.text.replace(/\r?\n$/, '');
    if (value.trim() === '') return this.fail(fileName, `names ${fromFile.path}, which is empty`, undefined);
    return { value, variable: fileName };
  }

  /** Records a problem that only the caller can see (e.g. a rule across variables). */
  fail<T>(name: string, message: string, fallback: T): T {
    this.problems.push(`${name} ${message}`);
    return fallback;
  }

  /** Throws one ConfigError naming every bad variable seen so far. */
  assertValid(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** The items of a list: split at `separators`, each trimmed, empty ones dropped. */
export function listItems(text: string, separators: string | RegExp): string[] {
  return text
    .split(separators)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Why a file could not be read, in words (fs error codes: https://nodejs.org/api/errors.html#common-system-errors). */
function unreadable(error: unknown): string {
  switch ((error as NodeJS.ErrnoException)?.code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'this process may not read';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `cannot be read (${String((error as Error)?.message ?? error)})`;
  }
}
