/**
 * A failure the user can act on: the message says what went wrong and what to do next.
 * Front ends print it as one line (plus its cause); anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
}

/** What went wrong, in words: an Error's message, anything else thrown as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const FREE_SPACE = 'free some space there, or keep the index on another disk';
const CHECK_PERMISSIONS = 'check the permissions of that path';
const CHECK_PATH = 'check the path';

/** What the operating system said, in words, and what the user can do about it (by errno name, with Linux's numbers for "(os error N)"). */
const OS_FAILURES: Record<string, { errno: number; says: string; hint: string }> = {
  ENOSPC: { errno: 28, says: 'no space left on the disk', hint: FREE_SPACE },
  EDQUOT: { errno: 122, says: 'disk quota exceeded', hint: FREE_SPACE },
  EROFS: { errno: 30, says: 'the file system is read-only', hint: 'keep the index in a folder that can be written' },
  EACCES: { errno: 13, says: 'permission denied', hint: CHECK_PERMISSIONS },
  EPERM: { errno: 1, says: 'operation not permitted', hint: CHECK_PERMISSIONS },
  ENOENT: { errno: 2, says: 'no such file or folder', hint: 'check that the path exists' },
  ENOTDIR: { errno: 20, says: 'a part of the path is not a folder', hint: CHECK_PATH },
  EISDIR: { errno: 21, says: 'it is a folder', hint: CHECK_PATH },
  EMFILE: { errno: 24, says: 'too many open files', hint: 'raise the limit of open files (ulimit -n)' },
  EIO: { errno: 5, says: 'input/output error', hint: 'the disk may be failing' },
};

const VERBS: Record<string, string> = { open: 'open', scandir: 'list', opendir: 'list', mkdir: 'create', write: 'write', rename: 'replace', unlink: 'remove', rmdir: 'remove', copyfile: 'copy' };

/**
 * A failure the user can act on, as one UserError: a UserError itself, or a failure of the
 * operating system (Node's errno errors, and LanceDB's "… (os error N)") naming the path and what to
 * do; undefined for anything else (a bug).
 */
export function userFailure(error: unknown): UserError | undefined {
  if (error instanceof UserError) return error;
  if (!(error instanceof Error)) return undefined;
  const { code, path, syscall } = error as NodeJS.ErrnoException;
  const failure = code && OS_FAILURES[code];
  if (failure) {
    const what = path ? `cannot ${VERBS[syscall ?? ''] ?? 'use'} ${path}` : `${syscall ?? 'a file operation'} failed`;
    return new UserError(`${what}: ${failure.says}; ${failure.hint}`);
  }
  const osError = /\(os error (\d+)\)/.exec(error.message);
  const known = osError && Object.values(OS_FAILURES).find(({ errno }) => errno === Number(osError[1]));
  return known ? new UserError(`the index's files could not be used: ${known.says}; ${known.hint}`) : undefined;
}
