// What a LanceDB table's newest version is made of, read from its manifest: each fragment's data
// files with the sizes Lance recorded when it wrote them, and its deletion file. LanceDB's API
// lists none of this. A manifest (lance format, `_versions/*.manifest`) ends with a 16-byte footer
// (u64 offset of the message, u16 major, u16 minor, "LANC"); at the offset a u32 length precedes a
// protobuf `Manifest` (protos/table.proto), of which only the few fields below are read: a small
// reader of the protobuf wire format is enough for that, without a schema compiler.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface LanceDataFile {
  /** Relative to the table folder: `data/<name>.lance`. */
  path: string;
  /** As recorded by Lance; undefined when the writer did not record it. */
  size: number | undefined;
}

export interface LanceFragment {
  id: number;
  dataFiles: LanceDataFile[];
  /** Relative to the table folder: `_deletions/<fragment>-<version>-<id>.<arrow|bin>`. */
  deletionFile?: string;
}

export interface LanceManifest {
  file: string;
  version: number;
  fragments: LanceFragment[];
}

export class ManifestUnreadableError extends Error {
  override readonly name = 'ManifestUnreadableError';
}

const MAX_U64 = (1n << 64n) - 1n;
const FOOTER_BYTES = 16;
const MAGIC = 'LANC';

/** The table's manifest files, newest version first; [] when it has none. */
export async function listManifests(tableDir: string): Promise<{ file: string; version: number }[]> {
  let names: string[];
  try {
    names = await readdir(path.join(tableDir, '_versions'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => /^\d+\.manifest$/.test(name))
    .map((name) => {
      const n = BigInt(name.slice(0, -'.manifest'.length));
      // Lance's V2 naming writes u64::MAX - version, so that names sort newest first.
      const version = n > MAX_U64 >> 1n ? MAX_U64 - n : n;
      return { file: path.join(tableDir, '_versions', name), version: Number(version) };
    })
    .sort((a, b) => b.version - a.version);
}

/** The fragments a manifest names; ManifestUnreadableError when the file is not a readable manifest. */
export async function readManifest(file: string, version: number): Promise<LanceManifest> {
  const bytes = await readFile(file);
  if (bytes.length < FOOTER_BYTES || bytes.subarray(bytes.length - 4).toString('latin1') !== MAGIC) {
    throw new ManifestUnreadableError(`${path.basename(file)} has no Lance footer`);
  }
  const at = Number(bytes.readBigUInt64LE(bytes.length - FOOTER_BYTES));
  if (at + 4 > bytes.length - FOOTER_BYTES) throw new ManifestUnreadableError(`${path.basename(file)} points outside itself`);
  const length = bytes.readUInt32LE(at);
  if (at + 4 + length > bytes.length - FOOTER_BYTES) throw new ManifestUnreadableError(`${path.basename(file)} is cut short`);
  try {
    const fragments: LanceFragment[] = [];
    for (const field of fieldsOf(bytes.subarray(at + 4, at + 4 + length))) {
      if (field.number === 2 && field.bytes) fragments.push(fragmentOf(field.bytes));
    }
    return { file, version, fragments };
  } catch (error) {
    if (error instanceof ManifestUnreadableError) throw new ManifestUnreadableError(`${path.basename(file)}: ${error.message}`);
    throw error;
  }
}

/** `DataFragment`: 1 id, 2 files (`DataFile`: 1 path, 6 file_size_bytes), 3 deletion_file (`DeletionFile`: 1 file_type, 2 read_version, 3 id). */
function fragmentOf(bytes: Uint8Array): LanceFragment {
  const fragment: LanceFragment = { id: 0, dataFiles: [] };
  let deletion: { type: bigint; readVersion: bigint; id: bigint } | undefined;
  for (const field of fieldsOf(bytes)) {
    if (field.number === 1 && field.varint !== undefined) fragment.id = Number(field.varint);
    else if (field.number === 2 && field.bytes) {
      let name = '';
      let size: number | undefined;
      for (const f of fieldsOf(field.bytes)) {
        if (f.number === 1 && f.bytes) name = new TextDecoder('utf-8', { fatal: true }).decode(f.bytes);
        else if (f.number === 6 && f.varint !== undefined) size = Number(f.varint);
      }
      if (name === '') throw new ManifestUnreadableError('a data file without a name');
      fragment.dataFiles.push({ path: `data/${name}`, size: size === 0 ? undefined : size });
    } else if (field.number === 3 && field.bytes) {
      deletion = { type: 0n, readVersion: 0n, id: 0n };
      for (const f of fieldsOf(field.bytes)) {
        if (f.varint === undefined) continue;
        if (f.number === 1) deletion.type = f.varint;
        else if (f.number === 2) deletion.readVersion = f.varint;
        else if (f.number === 3) deletion.id = f.varint;
      }
    }
  }
  if (deletion) fragment.deletionFile = `_deletions/${fragment.id}-${deletion.readVersion}-${deletion.id}.${deletion.type === 1n ? 'bin' : 'arrow'}`;
  return fragment;
}

interface WireField {
  number: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

/** The fields of one protobuf message, in order (fixed-width values skipped). */
function* fieldsOf(buffer: Uint8Array): Generator<WireField> {
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = buffer[at++];
      if (byte === undefined) throw new ManifestUnreadableError('a value is cut short');
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw new ManifestUnreadableError('a number is too long');
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { number, varint: varint() };
    else if (wire === 2) {
      const length = Number(varint());
      if (at + length > buffer.length) throw new ManifestUnreadableError('a field runs past its message');
      yield { number, bytes: buffer.subarray(at, at + length) };
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new ManifestUnreadableError(`unknown wire type ${wire}`);
  }
  if (at > buffer.length) throw new ManifestUnreadableError('a value is cut short');
}
