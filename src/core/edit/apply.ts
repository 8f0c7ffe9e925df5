// Applying proposals to the files on disk, all of them or none: every target is checked (still a
// file, still as proposed, writable), then every new text is written to a temporary file beside
// its target, and only then is each renamed over its target. A failure at any step changes no
// file, and the message names the file and why.

import { access, constants, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { describeFileError, readRegularText, stageBeside, writeFileAtomic } from '../files.js';
import type { EditProposal } from './propose.js';

const NOTHING = 'nothing was applied';

interface Target {
  proposal: EditProposal;
  /** The file itself, a symbolic link followed (the rename replaces the file, not the link). */
  file: string;
  mode: number;
}

/** Where `proposal`'s new text goes, or why its file cannot take it now. */
async function check(root: string, proposal: EditProposal): Promise<Target | string> {
  let file: string;
  let info;
  try {
    file = await realpath(path.join(root, proposal.path));
    info = await stat(file);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${proposal.path} no longer exists` : `${proposal.path} cannot be read: ${describeFileError(error)}`;
  }
  if (!info.isFile()) return `${proposal.path} is no longer a file`;
  try {
    if ((await readRegularText(file)) !== proposal.originalText) return `${proposal.path} changed since the edit was proposed`;
    // A rename would replace a read-only file without asking: refuse as writing into it would.
    await access(file, constants.W_OK);
  } catch (error) {
    return `${proposal.path} cannot be written: ${describeFileError(error)}`;
  }
  return { proposal, file, mode: info.mode & 0o7777 };
}

/** Writes every proposal that changes its file, or none; the paths written. */
export async function applyProposals(root: string, proposals: readonly EditProposal[]): Promise<string[]> {
  const changes = proposals.filter((p) => p.newText !== p.originalText);
  const checked = await Promise.all(changes.map((proposal) => check(root, proposal)));
  const problems = checked.filter((c): c is string => typeof c === 'string');
  if (problems.length > 0) throw new UserError(`${problems.join('; ')}; ${NOTHING}: run the command again`);
  const targets = checked as Target[];

  const staged: Array<Target & { temporary: string }> = [];
  try {
    for (const target of targets) {
      try {
        staged.push({ ...target, temporary: await stageBeside(target.file, target.proposal.newText, target.mode) });
      } catch (error) {
        throw new UserError(`cannot write ${target.proposal.path}: ${describeFileError(error)}; ${NOTHING}`);
      }
    }
    await renameAll(staged);
  } finally {
    await Promise.all(staged.map(({ temporary }) => rm(temporary, { force: true })));
  }
  return targets.map((t) => t.proposal.path);
}

/** Renames each staged file over its target; if one fails, those already renamed get their old text back. */
async function renameAll(staged: ReadonlyArray<Target & { temporary: string }>): Promise<void> {
  for (const [i, { temporary, file, proposal }] of staged.entries()) {
    try {
      await rename(temporary, file);
    } catch (error) {
      await Promise.all(staged.slice(0, i).map((done) => writeFileAtomic(done.file, done.proposal.originalText, done.mode)));
      throw new UserError(`cannot replace ${proposal.path}: ${describeFileError(error)}; ${NOTHING}`);
    }
  }
}
