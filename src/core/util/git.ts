import { execFile } from 'node:child_process';

/** The commit checked out in `root` (`git rev-parse HEAD`); undefined when it is not a git repository or git is missing. */
export function headCommit(root: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd: root, timeout: 10_000 }, (error, stdout) => {
      const commit = stdout.trim();
      resolve(!error && /^[0-9a-f]{40,64}$/.test(commit) ? commit : undefined);
    });
  });
}
