// What a platform's VSIX must hold to run there: its manifest names the platform (so the marketplace
// and VS Code offer it there only), and it carries exactly one native addon, LanceDB's for that
// platform, built for its processor. npm run package checks every VSIX it writes.

import path from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { describeBinary, HEADER_BYTES } from './native-format.js';
import { addonName, type Platform } from './platforms.js';

const MANIFEST = 'extension.vsixmanifest';
const DIST = 'extension/dist/';

/** Throws, in one line naming the VSIX, what is wrong with it for `platform`. */
export async function checkVsix(file: string, platform: Platform): Promise<void> {
  const expected = `${DIST}${addonName(platform)}`;
  const problems: string[] = [];
  const addons: string[] = [];
  let target: string | undefined;
  const zip = await yauzl.openPromise(file);
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName === MANIFEST) target = targetPlatformOf((await readHead(await zip.openReadStreamPromise(entry))).toString('utf8'));
      else if (entry.fileName.endsWith('.node')) {
        addons.push(entry.fileName);
        if (entry.fileName !== expected) continue;
        const format = describeBinary(await readHead(await zip.openReadStreamPromise(entry), HEADER_BYTES));
        if (format !== platform.format) problems.push(`${entry.fileName} is ${format}, not ${platform.format}`);
      }
    }
  } finally {
    zip.close();
  }
  if (target !== platform.target) problems.push(`its manifest names the target ${target ?? '(none)'}, not ${platform.target}`);
  if (!addons.includes(expected)) problems.push(`it has no ${expected}`);
  const others = addons.filter((name) => name !== expected);
  if (others.length > 0) problems.push(`it holds other native addons: ${others.join(', ')}`);
  if (problems.length > 0) throw new Error(`${path.basename(file)} is not a ${platform.target} VSIX: ${problems.join('; ')}`);
}

/** The `TargetPlatform` of the manifest's `<Identity>`. */
function targetPlatformOf(manifest: string): string | undefined {
  return /<Identity\b[^>]*\bTargetPlatform="([^"]*)"/.exec(manifest)?.[1];
}

/** The stream's first `limit` bytes (fewer when it is shorter); the rest is not inflated. */
async function readHead(stream: Readable, limit = Infinity): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const part of stream) {
    parts.push(part as Buffer);
    length += (part as Buffer).length;
    if (length >= limit) break; // leaving the loop destroys the stream
  }
  return Buffer.concat(parts).subarray(0, limit);
}
