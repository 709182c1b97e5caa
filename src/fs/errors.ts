/**
 * The two error types every reader and parser may throw (ARCHITECTURE.md section 4).
 * Parsers throw only ParseError; ProcRoot turns errno into ProcError; the collector alone
 * decides what each kind means for a sample.
 */

/** What went wrong when reading a kernel file, independent of errno spelling. */
export type ProcErrorKind =
  /** ENOENT/ESRCH under /proc/<pid>/: the process exited while we looked. */
  | 'vanished'
  /** EACCES/EPERM: we may not read it (not root, ptrace checks, lockdown). */
  | 'denied'
  /** ENOENT outside a pid directory: this kernel, config or root does not have it. */
  | 'absent'
  /** A ParseError surfaced by a reader: the file is there but not in a format we know. */
  | 'malformed'
  /** Anything else (EIO, EINVAL, a file past the size cap): value unknown, a gap recorded. */
  | 'failed';

export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    readonly path: string,
    readonly lineNo: number,
    readonly line: string,
    readonly field: string,
    detail?: string,
  ) {
    super(`${path}:${lineNo}: cannot parse ${field}${detail ? ` (${detail})` : ''}: ${JSON.stringify(line.slice(0, 120))}`);
  }
}

export class ProcError extends Error {
  override readonly name = 'ProcError';
  constructor(
    readonly kind: ProcErrorKind,
    readonly path: string,
    readonly pid: number | undefined,
    override readonly cause: unknown,
  ) {
    super(`${kind}: ${path}${cause instanceof Error ? `: ${cause.message}` : ''}`);
  }
}

export function isProcError(e: unknown, ...kinds: ProcErrorKind[]): e is ProcError {
  return e instanceof ProcError && (kinds.length === 0 || kinds.includes(e.kind));
}

/** The errno code ("ENOENT", "EINVAL" ...) behind a ProcError, when a system call raised it. */
export function errnoOf(e: ProcError): string | undefined {
  return (e.cause as NodeJS.ErrnoException | undefined)?.code;
}
