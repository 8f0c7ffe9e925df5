// The check npm run package makes of every platform's VSIX (scripts/vsix-check.ts): a VSIX that would
// fail to load LanceDB where it is installed — another platform's addon, none, or two — is refused,
// saying why. The addons' first bytes are real: test/fixtures/addon-headers/ holds the first 4 KiB
// of each LanceDB 0.31.0 platform package's addon (`file` calls them ELF x86-64, ELF aarch64,
// Mach-O arm64 and PE32+ x86-64).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import yazl from 'yazl';
import { PACKAGE_ROOT } from '../src/core/models.js';
import { describeBinary } from '../scripts/native-format.js';
import { addonName, platformOf, PLATFORMS, type Platform } from '../scripts/platforms.js';
import { checkVsix } from '../scripts/vsix-check.js';
import { tempDir } from './helpers/fs.js';

const HEADERS = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'addon-headers');

/** The first bytes of `platform`'s real LanceDB addon. */
function headerOf(platform: Platform): Promise<Buffer> {
  return readFile(path.join(HEADERS, `${addonName(platform)}.head`));
}

const manifest = (target: string) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<PackageManifest Version="2.0.0"><Metadata><Identity Language="en-US" Id="codeintent" Version="0.1.0" Publisher="codeintent" TargetPlatform="${target}"/></Metadata></PackageManifest>\n`;

let scratch: { dir: string; cleanup: () => Promise<void> };
let made = 0;

before(async () => {
  scratch = await tempDir('codeintent-vsix-');
});

after(() => scratch.cleanup());

/** A VSIX-shaped zip: the manifest naming `target`, and these files under extension/dist/. */
async function vsix(target: string, dist: Record<string, Buffer>): Promise<string> {
  const file = path.join(scratch.dir, `${target}-${made++}.vsix`);
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(manifest(target)), 'extension.vsixmanifest');
  zip.addBuffer(Buffer.from('module.exports = {};\n'), 'extension/dist/worker.cjs');
  for (const [name, bytes] of Object.entries(dist)) zip.addBuffer(bytes, `extension/dist/${name}`);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
  return file;
}

test("each platform's real LanceDB addon reads as that platform's format, and as no other's", async () => {
  for (const platform of PLATFORMS) {
    const format = describeBinary(await headerOf(platform));
    assert.equal(format, platform.format, addonName(platform));
    assert.deepEqual(
      PLATFORMS.filter((p) => p.format === format).map((p) => p.target),
      [platform.target],
    );
  }
  assert.equal(describeBinary(Buffer.from('#!/bin/sh\necho not an addon\n')), 'unknown format');
});

test('a VSIX holding its own platform’s addon, and only that, passes', async () => {
  for (const platform of PLATFORMS) {
    await checkVsix(await vsix(platform.target, { [addonName(platform)]: await headerOf(platform) }), platform);
  }
});

test('a VSIX whose addon was built for another processor is refused, saying what it holds', async () => {
  const arm64 = platformOf('linux-arm64');
  const file = await vsix('linux-arm64', { [addonName(arm64)]: await headerOf(platformOf('linux-x64')) });
  await assert.rejects(checkVsix(file, arm64), {
    message: `${path.basename(file)} is not a linux-arm64 VSIX: extension/dist/lancedb.linux-arm64-gnu.node is ELF x86-64, not ELF aarch64`,
  });
});

test("a VSIX with another platform's addon instead of its own, and a manifest naming that platform, is refused", async () => {
  const windows = platformOf('win32-x64');
  const mac = platformOf('darwin-arm64');
  const file = await vsix('darwin-arm64', { [addonName(mac)]: await headerOf(mac) });
  await assert.rejects(checkVsix(file, windows), {
    message:
      `${path.basename(file)} is not a win32-x64 VSIX: its manifest names the target darwin-arm64, not win32-x64; ` +
      'it has no extension/dist/lancedb.win32-x64-msvc.node; it holds other native addons: extension/dist/lancedb.darwin-arm64.node',
  });
});

test("a VSIX with a second platform's addon beside its own is refused", async () => {
  const linux = platformOf('linux-x64');
  const arm64 = platformOf('linux-arm64');
  const file = await vsix('linux-x64', { [addonName(linux)]: await headerOf(linux), [addonName(arm64)]: await headerOf(arm64) });
  await assert.rejects(checkVsix(file, linux), /it holds other native addons: extension\/dist\/lancedb\.linux-arm64-gnu\.node$/);
});

test('npm run package names the targets it knows when given another', () => {
  const run = spawnSync(process.execPath, [path.join(PACKAGE_ROOT, 'out', 'scripts', 'package.js'), '--target', 'linux-ia32'], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^no platform linux-ia32: the targets are linux-x64, linux-arm64, darwin-arm64, win32-x64\n/);
});
