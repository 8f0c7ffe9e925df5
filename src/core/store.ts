// The on-disk index: one LanceDB database per workspace, one pair of tables per embedding model.
// `chunks_<model>` holds chunks with their vectors and code-aware text; `files_<model>` records
// which file contents those chunks came from. A file's row is written only after its chunks
// commit, so an interrupted run leaves files that the next run simply does again.

import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import './lance-env.js';
import * as lancedb from '@lancedb/lancedb';
import type * as Arrow from 'apache-arrow';
import { arrow } from './arrow.js';
import { lockIndex } from './lock.js';
import { sqlIn, sqlStartsWith, sqlString } from './sql.js';
import { isAtOrUnder } from './paths.js';
import type { CandidateHit, Chunk, ChunkKind, LanguageId } from './types.js';
import { messageOf, UserError } from './errors.js';
import { CHECKSUMS_FILE, inspectIndex, recordChecksums, type TableDamage, type Verify } from './index-integrity.js';
import { repairTables } from './index-repair.js';
import { fromHalfBits, toHalfBits } from './util/half.js';
import { sha256Hex } from './util/hash.js';
import { writeFileAtomic } from './files.js';
import { isStorageUri, storageFailure } from './storage-uri.js';

/** Bumped whenever the tables' layout or what goes into them (chunking, lexical text) changes. */
export const SCHEMA_VERSION = 4;

const META_FILE = 'meta.json';
/** A shared index's meta (storage-uri.ts) is a one-row table: an object store has no meta.json to replace atomically beside it. */
const META_TABLE = 'codeintent_meta';
const TABLES = ['chunks', 'files', 'cache'] as const;
/** How long opening waits for another process that is creating or repairing the same index. */
const OPEN_WAIT_MS = 600_000;
/** Small fragments a table may gather before a run compacts it. */
const COMPACT_AFTER_FRAGMENTS = 16;
/** How long a table version's files outlive it: a search in another process may still be reading them. */
const READER_GRACE_MS = 60_000;
/**
 * A table this small compacts and merges new rows into its indexes in well under a second, so
 * pruning it never waits for a compaction.
 */
const CHEAP_COMPACTION_ROWS = 100_000;
/** Values per `IN (…)` predicate. */
const PREDICATE_BATCH = 500;
/**
 * Past this many chunks the vectors get an ANN index. LanceDB 0.31's exact scan costs ~110 ms at 29k
 * chunks on 2 cores and grows with the table; the index answers in ~12 ms and builds in seconds at
 * that size. See docs/performance.md, "The vector index".
 */
export const VECTOR_INDEX_MIN_ROWS = 10_000;
/**
 * The HNSW graph's candidate list while searching (at least the rows asked for): recall@10 0.989 and
 * @100 0.972 against the exact scan at 322k chunks, 6 ms (docs/performance.md, "The vector index").
 */
const VECTOR_EF = 400;

export interface IndexMeta {
  schemaVersion: number;
  root: string;
  embedderId: string;
  dimension: number;
  createdAt: string;
  updatedAt: string;
  /** A shared index: the commit (`git rev-parse HEAD`) of the tree it was written from, when that was a git repository. */
  commit?: string;
}

export interface FileRow {
  path: string;
  hash: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  chunks: number;
}

/** A chunk as stored: what the chunker found, plus its full-text terms and vector. */
export interface ChunkRow extends Omit<Chunk, 'docSpan'> {
  /** Code-aware tokens for full-text search. */
  terms: string;
  vector: Float32Array;
}

/** Which chunks a search may return. */
export interface HitFilter {
  language?: LanguageId;
  /** Only files under this workspace-relative folder ('src' or 'src/'). */
  pathPrefix?: string;
  /** Never these files (a shared index's files that the overlay changed or that are gone). */
  exclude?: readonly string[];
}

export class IndexCorruptError extends Error {
  override readonly name = 'IndexCorruptError';
}

/** Damage a read-only command found and must not repair: it says what is wrong and what repairs it. */
export class IndexDamagedError extends UserError {
  override readonly name = 'IndexDamagedError';

  constructor(dir: string, details: readonly string[]) {
    super(`the index at ${dir} is damaged (${details.join('; ')}); run \`codeintent index\` (in VS Code: CodeIntent: Reindex Workspace) to repair it`);
  }
}

/** A short, table-name-safe slug of an embedder id. */
export function modelSlug(embedderId: string): string {
  const readable = embedderId.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 40);
  return `${readable}_${sha256Hex(embedderId).slice(0, 8)}`;
}

/**
 * Lance's file format 2.1, which compresses what its field metadata asks for, instead of LanceDB
 * 0.31's default 2.0. On the kernel's drivers/net, zstd took a chunk's strings from 1,274 bytes on
 * disk to 807 (docs/performance.md, "Disk").
 */
const TABLE_FORMAT = { new_table_data_storage_version: '2.1' };
const ZSTD = new Map([['lance-encoding:compression', 'zstd']]);

/**
 * Chunk vectors are stored in half precision (binary16, util/half.ts): half the bytes, the same
 * ranking (a cosine moves by ~1e-4). Searches still compare in float32.
 */
function chunkVectorType(dimension: number): Arrow.FixedSizeList<Arrow.Float16> {
  return new arrow.FixedSizeList(dimension, new arrow.Field('item', new arrow.Float16(), true));
}

function chunkSchema(dimension: number): Arrow.Schema {
  const utf8 = (name: string) => new arrow.Field(name, new arrow.Utf8(), false, ZSTD);
  const int32 = (name: string) => new arrow.Field(name, new arrow.Int32(), false);
  return new arrow.Schema([
    utf8('path'),
    utf8('language'),
    utf8('kind'),
    utf8('symbol'),
    utf8('container'),
    int32('start_line'),
    int32('end_line'),
    utf8('text'),
    utf8('doc'),
    utf8('terms'),
    new arrow.Field('vector', chunkVectorType(dimension), false),
  ]);
}

const CHUNK_STRINGS = ['path', 'language', 'kind', 'symbol', 'container', 'text', 'doc', 'terms'] as const;

/**
 * The rows as one Arrow table, built column by column: the vectors go in as one half-precision
 * buffer instead of a JavaScript array per row (which LanceDB's row conversion would also turn into
 * NaN for some values: apache-arrow's own float16 rounding overflows).
 */
function chunkTable(rows: readonly ChunkRow[], dimension: number): Arrow.Table {
  const schema = chunkSchema(dimension);
  const columns = new Map<string, Arrow.Data>();
  for (const name of CHUNK_STRINGS) columns.set(name, arrow.vectorFromArray(rows.map((row) => row[name]), new arrow.Utf8()).data[0]!);
  columns.set('start_line', arrow.makeData({ type: new arrow.Int32(), data: Int32Array.from(rows, (row) => row.startLine) }));
  columns.set('end_line', arrow.makeData({ type: new arrow.Int32(), data: Int32Array.from(rows, (row) => row.endLine) }));
  const flat = new Float32Array(rows.length * dimension);
  rows.forEach((row, i) => flat.set(row.vector, i * dimension));
  const values = arrow.makeData({ type: new arrow.Float16(), data: toHalfBits(flat) });
  columns.set('vector', arrow.makeData({ type: chunkVectorType(dimension), length: rows.length, nullCount: 0, child: values }));
  const children = schema.fields.map((field) => columns.get(field.name)!);
  return new arrow.Table([new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children }))]);
}

function fileSchema(): Arrow.Schema {
  return new arrow.Schema([
    new arrow.Field('path', new arrow.Utf8(), false),
    new arrow.Field('hash', new arrow.Utf8(), false),
    new arrow.Field('size', new arrow.Float64(), false),
    new arrow.Field('mtime_ms', new arrow.Float64(), false),
    new arrow.Field('ctime_ms', new arrow.Float64(), false),
    new arrow.Field('chunks', new arrow.Int32(), false),
  ]);
}

function cacheSchema(dimension: number): Arrow.Schema {
  return new arrow.Schema([
    new arrow.Field('key', new arrow.Utf8(), false),
    new arrow.Field('vector', new arrow.FixedSizeList(dimension, new arrow.Field('item', new arrow.Float32(), true)), false),
  ]);
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** What search reads of a chunk: what it shows, and the terms and vector the second stage scores (not its doc). */
const SELECTED = ['path', 'language', 'kind', 'symbol', 'container', 'start_line', 'end_line', 'text', 'terms', 'vector'];

function toCandidateHit(raw: Record<string, unknown>, score: number): CandidateHit {
  return {
    path: String(raw['path']),
    startLine: Number(raw['start_line']),
    endLine: Number(raw['end_line']),
    symbol: String(raw['symbol']),
    kind: String(raw['kind']) as ChunkKind,
    language: String(raw['language']) as LanguageId,
    score,
    container: String(raw['container']),
    text: String(raw['text']),
    terms: String(raw['terms']),
    vector: toFloat32(raw['vector']),
  };
}

/** The filter as a LanceDB predicate (SQL); undefined when it lets every chunk through. */
function whereOf({ language, pathPrefix, exclude }: HitFilter): string | undefined {
  const parts: string[] = [];
  if (language) parts.push(`language = ${sqlString(language)}`);
  if (pathPrefix) parts.push(sqlStartsWith('path', `${pathPrefix.replace(/\/+$/, '')}/`));
  if (exclude && exclude.length > 0) parts.push(`NOT (${sqlIn('path', exclude)})`);
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

/** The index's meta file in `dir`; undefined when there is none (no index yet). */
export async function readIndexMeta(dir: string): Promise<IndexMeta | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, META_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw new IndexCorruptError(`${META_FILE} is not valid JSON`);
  }
  if (typeof meta !== 'object' || meta === null || typeof (meta as IndexMeta).schemaVersion !== 'number') {
    throw new IndexCorruptError(`${META_FILE} has no schema version`);
  }
  return meta as IndexMeta;
}

async function writeMeta(dir: string, meta: IndexMeta): Promise<void> {
  await writeFileAtomic(path.join(dir, META_FILE), JSON.stringify(meta, null, 2));
}

export interface OpenStoreOptions {
  dir: string;
  root: string;
  embedderId: string;
  dimension: number;
  /** Told, in one line, what was repaired in an existing index, or why it is thrown away and rebuilt. */
  onRebuild?: (reason: string) => void;
  /** Set by openForReading: nothing is created, repaired or deleted. */
  readOnly?: boolean;
  /** Chunks past which the vectors get an approximate (ANN) index; VECTOR_INDEX_MIN_ROWS by default. */
  vectorIndexMinRows?: number;
  /** How long old table versions' files are kept for readers in other processes; READER_GRACE_MS by default. */
  versionGraceMs?: number;
  /** LanceDB's storage options, for a `dir` that is a storage URI (storage-uri.ts). */
  storage?: Record<string, string>;
  /**
   * An overlay over a shared index: the shared index's files, offered to the indexer as indexed
   * with no chunks here, so a file with the same content is only recorded (by hash), never chunked.
   */
  baseFiles?: ReadonlyMap<string, FileRow>;
}

interface Tables {
  chunks: lancedb.Table;
  files: lancedb.Table;
  cache: lancedb.Table;
}

export class IndexStore {
  private chunks: lancedb.Table;
  private files: lancedb.Table;
  private cache: lancedb.Table;
  /** Damage a failed read found, repaired by the next `repair`. */
  private found: TableDamage[] = [];

  private constructor(
    readonly dir: string,
    private readonly db: lancedb.Connection,
    tables: Tables,
    private meta: IndexMeta,
    private readonly options: OpenStoreOptions,
  ) {
    ({ chunks: this.chunks, files: this.files, cache: this.cache } = tables);
  }

  /**
   * Opens the index in `dir`, creating it when absent. Damaged tables (see index-integrity.ts) are
   * repaired, losing only what was damaged (the caller is told in one line); an index of another
   * schema version, or whose meta file is unreadable, is deleted and created anew: it is only a
   * cache of the workspace, so rebuilding loses nothing. An intact index is opened without the
   * lock, so a search never waits for an indexing run; creating and repairing take the lock, so two
   * processes never build (or delete) the same index at once.
   */
  static async open(options: OpenStoreOptions): Promise<IndexStore> {
    if (isStorageUri(options.dir)) return IndexStore.openShared(options);
    try {
      const existing = await IndexStore.openExisting(options);
      if (existing) return existing;
    } catch (error) {
      if (!(error instanceof IndexCorruptError)) throw error;
    }
    const release = await lockIndex(options.dir, { waitMs: OPEN_WAIT_MS });
    try {
      try {
        return await IndexStore.openOrCreate(options);
      } catch (error) {
        if (!(error instanceof IndexCorruptError)) throw error;
        options.onRebuild?.(`the index at ${options.dir} could not be read (${error.message}); rebuilding it`);
        await clearIndex(options.dir);
        return await IndexStore.openOrCreate(options);
      }
    } finally {
      await release();
    }
  }

  /** The index as it is, when it is complete, current and of this model; undefined otherwise. */
  private static async openExisting(options: OpenStoreOptions): Promise<IndexStore | undefined> {
    const meta = await readIndexMeta(options.dir);
    if (!meta || meta.schemaVersion !== SCHEMA_VERSION || meta.embedderId !== options.embedderId || meta.root !== options.root) return undefined;
    const db = await connect(options.dir);
    const names = new Set(await db.tableNames());
    const slug = modelSlug(options.embedderId);
    if (!TABLES.every((table) => names.has(`${table}_${slug}`)) || (await damageIn(options.dir, options.embedderId, 'quick')).length > 0) {
      db.close();
      return undefined;
    }
    return IndexStore.openTables(db, options, meta, names);
  }

  /**
   * Opens the index in `dir` only to read it (for `status`): it is never created, repaired or
   * deleted. Every file is checked against its checksum; damage is an IndexDamagedError, which says
   * what repairs it. Undefined when there is no index.
   */
  static async openForReading(dir: string, root: string, storage?: Record<string, string>): Promise<IndexStore | undefined> {
    if (isStorageUri(dir)) return IndexStore.openShared({ dir, root, embedderId: '', dimension: 0, readOnly: true, ...(storage ? { storage } : {}) });
    try {
      return await IndexStore.openReadOnly(dir, root);
    } catch (error) {
      throw error instanceof IndexCorruptError ? new IndexDamagedError(dir, [error.message]) : error;
    }
  }

  private static async openReadOnly(dir: string, root: string): Promise<IndexStore | undefined> {
    const meta = await readIndexMeta(dir);
    if (!meta) return undefined;
    const options: OpenStoreOptions = { dir, root, embedderId: meta.embedderId, dimension: meta.dimension, readOnly: true };
    const slug = modelSlug(meta.embedderId);
    const damage = await damageIn(dir, meta.embedderId, 'full');
    if (damage.length > 0) throw new IndexDamagedError(dir, damage.flatMap((d) => d.details));
    const db = await connect(dir);
    const names = new Set(await db.tableNames());
    const missing = tableNamesOf(slug).filter((name) => !names.has(name));
    if (missing.length > 0) {
      db.close();
      throw new IndexDamagedError(dir, missing.map((name) => `${name}: the table is missing`));
    }
    return IndexStore.openTables(db, options, meta, names);
  }

  /**
   * A shared index on object storage: no lock (its one writer is a CI job), no checksums or repair
   * (an object store does not tear files). Read-only, it must exist and be of this schema and
   * model; written (publishing), an index of an older schema is replaced. An `embedderId` of ''
   * takes the index's own (status).
   */
  private static async openShared(options: OpenStoreOptions): Promise<IndexStore> {
    const { dir: uri, readOnly } = options;
    let db: lancedb.Connection | undefined;
    try {
      db = await lancedb.connect(uri, { storageOptions: options.storage ?? {}, readConsistencyInterval: 0 });
      const existing = await readSharedMeta(db);
      if (existing && existing.schemaVersion > SCHEMA_VERSION) {
        throw new UserError(`the index at ${uri} was written by a newer CodeIntent (schema ${existing.schemaVersion}; this one reads ${SCHEMA_VERSION}): update CodeIntent`);
      }
      const embedderId = options.embedderId || existing?.embedderId || '';
      const dimension = options.dimension || existing?.dimension || 0;
      if (readOnly) {
        if (!existing) throw new UserError(`there is no index at ${uri} yet: publish it with \`codeintent index --db ${uri}\` (see docs/team-index.md)`);
        if (existing.schemaVersion < SCHEMA_VERSION) {
          throw new UserError(`the index at ${uri} was written by an older CodeIntent (schema ${existing.schemaVersion}; this one reads ${SCHEMA_VERSION}): publish it again with this version`);
        }
        if (existing.embedderId !== embedderId) {
          throw new UserError(`the index at ${uri} was built with the model ${existing.embedderId}, not ${embedderId}: search it with that model (--model, or the setting codeintent.model)`);
        }
      }
      const now = new Date().toISOString();
      const current = existing?.schemaVersion === SCHEMA_VERSION;
      const meta: IndexMeta = current
        ? { ...existing, embedderId, dimension }
        : { schemaVersion: SCHEMA_VERSION, root: options.root, embedderId, dimension, createdAt: now, updatedAt: now };
      const sharedOptions = { ...options, embedderId, dimension };
      const tables = await openTableHandles(db, sharedOptions, current ? await presentTables(db, tableNamesOf(modelSlug(embedderId))) : new Set(), { replace: !current });
      return new IndexStore(uri, db, tables, meta, sharedOptions);
    } catch (error) {
      db?.close();
      throw storageFailure(uri, readOnly ? 'read' : 'write', error) ?? error;
    }
  }

  private static async openOrCreate(options: OpenStoreOptions): Promise<IndexStore> {
    const { dir, root, embedderId, dimension, onRebuild } = options;
    await mkdir(dir, { recursive: true });
    const existing = await readIndexMeta(dir);
    if (existing && existing.schemaVersion !== SCHEMA_VERSION) {
      onRebuild?.(`the index at ${dir} has schema version ${existing.schemaVersion}, this CodeIntent writes ${SCHEMA_VERSION}; rebuilding it`);
      await clearIndex(dir);
    }
    const now = new Date().toISOString();
    const meta: IndexMeta =
      existing?.schemaVersion === SCHEMA_VERSION
        ? { ...existing, root, embedderId, dimension }
        : { schemaVersion: SCHEMA_VERSION, root, embedderId, dimension, createdAt: now, updatedAt: now };
    const db = await connect(dir);
    const slug = modelSlug(embedderId);
    const found = await damageIn(dir, embedderId, 'quick');
    // Some of the model's tables but not all: the rows of the others are lost (none: a new model).
    const names = new Set(await db.tableNames());
    const present = tableNamesOf(slug).filter((name) => names.has(name));
    const gone = present.length === 0 ? [] : tableNamesOf(slug).filter((name) => !names.has(name));
    if (found.length > 0) await repairTables(dir, lanceDirOf(dir), db, found);
    const damage = [...found, ...gone.map((table): TableDamage => ({ table, fragments: [], details: [`${table}: the table is missing`] }))];
    const store = await IndexStore.openTables(db, options, meta, new Set(await db.tableNames()));
    try {
      if (damage.length > 0) await store.afterRepair(damage);
      await writeMeta(dir, meta);
    } catch (error) {
      store.close();
      throw error;
    }
    return store;
  }

  /** The store over `db`'s tables, created when absent; `db` is closed if they cannot be opened. */
  private static async openTables(db: lancedb.Connection, options: OpenStoreOptions, meta: IndexMeta, names: ReadonlySet<string>): Promise<IndexStore> {
    try {
      return new IndexStore(options.dir, db, await openTableHandles(db, options, names), meta, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Checks the tables (quick, or every file against its checksum) and repairs what is damaged,
   * with damage an earlier failed read found; the caller holds the index lock.
   */
  async repair(verify: Verify): Promise<void> {
    if (this.shared) return;
    this.writable();
    const found = await damageIn(this.dir, this.meta.embedderId, verify);
    const damage = [...found, ...this.found.filter((d) => !found.some((f) => f.table === d.table))];
    if (damage.length === 0) return;
    this.closeTables();
    await repairTables(this.dir, lanceDirOf(this.dir), this.db, damage);
    ({ chunks: this.chunks, files: this.files, cache: this.cache } = await openTableHandles(this.db, this.options, new Set(await this.db.tableNames())));
    this.found = [];
    await this.afterRepair(damage);
  }

  /**
   * After tables were repaired: the files whose chunks were lost (and chunks whose file row was)
   * are forgotten, to be indexed again; the user is told in one line.
   */
  private async afterRepair(damage: readonly TableDamage[]): Promise<void> {
    const redo = await this.forgetInconsistentFiles();
    await this.recordChecksums({ afterRepair: true });
    // A file whose file row and chunks both went is not counted: the next run finds it new anyway.
    const again = redo === 0 ? 'what was lost will be indexed again' : `${redo} file${redo === 1 ? '' : 's'} will be indexed again`;
    this.options.onRebuild?.(`repaired the index at ${this.dir} (${damage.flatMap((d) => d.details).join('; ')}): ${again}`);
  }

  /** Forgets each file whose file row and chunks disagree (its chunk count, or chunks without a file row), so the next run indexes it again; returns how many. */
  private async forgetInconsistentFiles(): Promise<number> {
    const held = new Map<string, number>();
    for (const raw of (await this.chunks.query().select(['path']).toArray()) as Record<string, unknown>[]) {
      const file = String(raw['path']);
      held.set(file, (held.get(file) ?? 0) + 1);
    }
    const rows = await this.fileRows();
    const stale = [...rows.values()].filter((row) => (held.get(row.path) ?? 0) !== row.chunks).map((row) => row.path);
    const orphans = [...held.keys()].filter((file) => !rows.has(file));
    await this.removeFiles([...stale, ...orphans]);
    return stale.length + orphans.length;
  }

  /** A read that fails on a damaged table says so (and what repairs it) instead of Lance's raw error. */
  private async read<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (this.shared) throw storageFailure(this.dir, 'read', error) ?? error;
      const damage = await damageIn(this.dir, this.meta.embedderId, 'full');
      if (damage.length === 0) throw error;
      this.found = damage;
      throw new IndexDamagedError(this.dir, damage.flatMap((d) => d.details));
    }
  }

  get info(): Readonly<IndexMeta> {
    return this.meta;
  }

  /** Whether this is a shared index on object storage (storage-uri.ts). */
  get shared(): boolean {
    return isStorageUri(this.dir);
  }

  /** A write to an index opened read-only is a bug: a laptop never writes to the shared index it searches. */
  private writable(): void {
    if (this.options.readOnly) throw new Error(`bug: a write to the index at ${this.dir}, opened read-only`);
  }

  /**
   * The files indexed, by path; an overlay's include the shared index's files it has no row for (unless `own`).
   * `under`: only these paths and the files below them (a watcher's report), read without the rest of the table.
   */
  async fileRows({ own = false, under }: { own?: boolean; under?: readonly string[] } = {}): Promise<Map<string, FileRow>> {
    const columns = ['path', 'hash', 'size', 'mtime_ms', 'ctime_ms', 'chunks'];
    const rows: unknown[] = [];
    if (under) {
      for (const part of batches(under, PREDICATE_BATCH)) {
        const where = [sqlIn('path', part), ...part.map((p) => sqlStartsWith('path', `${p}/`))].join(' OR ');
        rows.push(...(await this.read(() => this.files.query().where(where).select(columns).toArray())));
      }
    } else {
      rows.push(...(await this.read(() => this.files.query().select(columns).toArray())));
    }
    const out = new Map<string, FileRow>();
    for (const raw of rows as Record<string, unknown>[]) {
      const row: FileRow = {
        path: String(raw['path']),
        hash: String(raw['hash']),
        size: Number(raw['size']),
        mtimeMs: Number(raw['mtime_ms']),
        ctimeMs: Number(raw['ctime_ms']),
        chunks: Number(raw['chunks']),
      };
      out.set(row.path, row);
    }
    if (!own) for (const [file, row] of this.options.baseFiles ?? []) if (!out.has(file) && (!under || isAtOrUnder(file, under))) out.set(file, { ...row, chunks: 0 });
    return out;
  }

  /**
   * Replaces everything indexed for these files. Order matters for crash safety: forget the files,
   * replace their chunks, then record the files — a crash anywhere leaves them unrecorded, to be
   * done again, and never recorded with missing chunks.
   */
  async replaceFiles(files: readonly FileRow[], chunks: readonly ChunkRow[], previouslyIndexed: readonly string[]): Promise<void> {
    this.writable();
    const paths = files.map((f) => f.path);
    await this.removeFiles(previouslyIndexed);
    if (chunks.length > 0) await this.chunks.add(chunkTable(chunks, this.meta.dimension));
    if (paths.length > 0) await this.files.add(files.map(toFileRecord));
  }

  /** Records new stats for files whose content did not change (touched, or checked out again). */
  async touchFiles(files: readonly FileRow[]): Promise<void> {
    if (files.length === 0) return;
    this.writable();
    await this.files.mergeInsert('path').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(files.map(toFileRecord));
  }

  async removeFiles(paths: readonly string[]): Promise<void> {
    this.writable();
    for (const part of batches(paths, PREDICATE_BATCH)) {
      await this.files.delete(sqlIn('path', part));
      await this.chunks.delete(sqlIn('path', part));
    }
  }

  async cachedVectors(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const part of batches(keys, PREDICATE_BATCH)) {
      const rows = await this.read(() => this.cache.query().where(sqlIn('key', part)).select(['key', 'vector']).toArray());
      for (const raw of rows as Record<string, unknown>[]) out.set(String(raw['key']), toFloat32(raw['vector']));
    }
    return out;
  }

  async cacheVectors(entries: ReadonlyMap<string, Float32Array>): Promise<void> {
    if (entries.size === 0) return;
    this.writable();
    const rows = [...entries].map(([key, vector]) => ({ key, vector: Array.from(vector) }));
    await this.cache.mergeInsert('key').whenNotMatchedInsertAll().execute(rows);
  }

  /** The `limit` chunks nearest to `vector` that pass `filter`, best first; the score is the cosine similarity. */
  async vectorSearch(vector: Float32Array, limit: number, filter: HitFilter = {}): Promise<CandidateHit[]> {
    // ef and refine apply only where the table has its ANN index (VECTOR_INDEX_MIN_ROWS); refine 1
    // re-scores the hits it finds with their full vectors, so scores stay exact cosines.
    let query = this.chunks.vectorSearch(Array.from(vector)).distanceType('cosine').ef(Math.max(VECTOR_EF, limit)).refineFactor(1).select(SELECTED).limit(limit);
    const where = whereOf(filter);
    if (where) query = query.where(where);
    const rows = (await this.read(() => query.toArray())) as Record<string, unknown>[];
    return rows.map((raw) => toCandidateHit(raw, 1 - Number(raw['_distance'])));
  }

  /** The `limit` chunks whose full-text terms best match `terms` that pass `filter`, best first; the score is BM25. */
  async textSearch(terms: string, limit: number, filter: HitFilter = {}): Promise<CandidateHit[]> {
    if (terms.trim() === '') return [];
    let query = this.chunks.search(terms, 'fts', 'terms').select(SELECTED).limit(limit);
    const where = whereOf(filter);
    if (where) query = query.where(where);
    const rows = (await this.read(() => query.toArray())) as Record<string, unknown>[];
    return rows.map((raw) => toCandidateHit(raw, Number(raw['_score'])));
  }

  async counts(): Promise<{ files: number; chunks: number }> {
    return this.read(async () => ({ files: await this.files.countRows(), chunks: await this.chunks.countRows() }));
  }

  /**
   * After a run that changed something: make sure the full-text and cache-key indexes exist; once
   * small fragments pile up, compact them, fold new rows into the indexes and delete the files of
   * table versions older than a minute (a reader in another process may still be on a recent one).
   * `deleteUnverified` is safe because the caller holds the index lock: no other writer has a
   * transaction in progress.
   */
  async optimize(): Promise<void> {
    this.writable();
    await this.ensureIndex(this.chunks, 'terms', lancedb.Index.fts({ withPosition: false }));
    await this.ensureIndex(this.cache, 'key', lancedb.Index.btree());
    const cleanupOlderThan = this.graceCutoff();
    for (const table of [this.chunks, this.files, this.cache]) {
      // A run that changed a few files adds a few small fragments; compacting costs more than it
      // saves until they pile up (new rows are searched without the full-text index meanwhile).
      const { fragmentStats } = await table.stats();
      if (fragmentStats.numSmallFragments >= COMPACT_AFTER_FRAGMENTS) await table.optimize({ cleanupOlderThan, deleteUnverified: true });
    }
  }

  /**
   * Deletes the files of table versions older than a minute (a reader in another process may still be
   * on a recent one): what compactions and rebuilt indexes left behind — after a cold index, the
   * pre-compaction fragments alone are as big as the table, and `optimize` cannot delete them in the
   * same run when they are younger than the minute. Each run checks. LanceDB prunes in `optimize`,
   * which also compacts small fragments and folds rows added since into the indexes: on a large table
   * that is seconds of work (a full-text merge: 4 s at 150k chunks), so a large table with small
   * fragments or rows outside its indexes (a changed file) waits for the next compaction instead.
   */
  async pruneVersions(): Promise<void> {
    this.writable();
    const cutoff = this.graceCutoff().getTime();
    let pruned = false;
    for (const table of [this.chunks, this.files, this.cache]) {
      const versions = await table.listVersions();
      if (!versions.slice(0, -1).some((version) => version.timestamp.getTime() < cutoff)) continue;
      const { numRows, fragmentStats } = await table.stats();
      if (numRows > CHEAP_COMPACTION_ROWS && (fragmentStats.numSmallFragments > 1 || (await hasUnindexedRows(table)))) continue;
      await table.optimize({ cleanupOlderThan: new Date(cutoff), deleteUnverified: true });
      pruned = true;
    }
    // The newest manifest may have moved: the checksums follow it (not for a shared index: it has none).
    if (pruned && !this.shared) await this.recordChecksums();
  }

  /** Versions written before this may be deleted: a reader in another process has had its grace period. */
  private graceCutoff(): Date {
    return new Date(Date.now() - (this.options.versionGraceMs ?? READER_GRACE_MS));
  }

  /**
   * Past `vectorIndexMinRows` chunks, an ANN index on the vectors (every run checks, also one that
   * changed nothing: an index written before there was one gets it). Rows added since it was built are
   * searched exactly beside it until a compaction folds them in; once it covers less than half the
   * table it is built again. Returns whether it built one.
   */
  async ensureVectorIndex(onBuild?: () => void): Promise<boolean> {
    const rows = await this.chunks.countRows();
    if (rows < (this.options.vectorIndexMinRows ?? VECTOR_INDEX_MIN_ROWS)) return false;
    const current = await this.vectorIndexStats();
    if (current && current.numIndexedRows * 2 >= rows) return false;
    onBuild?.();
    this.writable();
    await this.chunks.createIndex('vector', { config: vectorIndexConfig(), replace: true });
    return true;
  }

  /** The ANN index on the vectors, if the table has one. */
  async vectorIndexStats(): Promise<lancedb.IndexStatistics | undefined> {
    const index = await indexOn(this.chunks, 'vector');
    return index && (await this.chunks.indexStats(index.name));
  }

  private async ensureIndex(table: lancedb.Table, column: string, config: lancedb.Index): Promise<void> {
    if (!(await indexOn(table, column)) && (await table.countRows()) > 0) await table.createIndex(column, { config });
  }

  /**
   * After a run that wrote: the new update time, and the checksums of the files the tables now need
   * (a shared index: the commit it was written from, in its meta table).
   */
  async markUpdated(commit?: string): Promise<void> {
    this.writable();
    this.meta = { ...this.meta, updatedAt: new Date().toISOString(), ...(commit ? { commit } : {}) };
    if (this.shared) return writeSharedMeta(this.db, this.meta);
    await this.recordChecksums();
    await writeMeta(this.dir, this.meta);
  }

  private recordChecksums(options: { afterRepair?: boolean } = {}): Promise<void> {
    return recordChecksums(this.dir, lanceDirOf(this.dir), tableNamesOf(modelSlug(this.meta.embedderId)), options);
  }

  close(): void {
    this.closeTables();
    this.db.close();
  }

  private closeTables(): void {
    for (const table of [this.chunks, this.files, this.cache]) table.close();
  }
}

/** Whether some of the table's rows are outside one of its indexes (added since it was built or merged). */
async function hasUnindexedRows(table: lancedb.Table): Promise<boolean> {
  for (const index of await table.listIndices()) if (((await table.indexStats(index.name))?.numUnindexedRows ?? 0) > 0) return true;
  return false;
}

/** The tables, created when absent (unless read-only); one of another schema is an IndexCorruptError. */
async function openTableHandles(db: lancedb.Connection, { embedderId, dimension, readOnly }: OpenStoreOptions, names: ReadonlySet<string>, { replace = false } = {}): Promise<Tables> {
  const slug = modelSlug(embedderId);
  const open = async (name: string, schema: Arrow.Schema): Promise<lancedb.Table> => {
    // replace: a shared index of an older schema, written anew.
    if (replace && !readOnly) return db.createEmptyTable(name, schema, { mode: 'overwrite', storageOptions: TABLE_FORMAT });
    // existOk: another process may create the same table at the same moment.
    if (!names.has(name) && !readOnly) return db.createEmptyTable(name, schema, { existOk: true, storageOptions: TABLE_FORMAT });
    const table = await db.openTable(name);
    const actual = (await table.schema()).fields.map((f) => `${f.name}:${f.type}`).join(',');
    const expected = schema.fields.map((f) => `${f.name}:${f.type}`).join(',');
    if (actual !== expected) throw new IndexCorruptError(`table ${name} has an unexpected schema`);
    return table;
  };
  return {
    chunks: await open(`chunks_${slug}`, chunkSchema(dimension)),
    files: await open(`files_${slug}`, fileSchema()),
    cache: await open(`cache_${slug}`, cacheSchema(dimension)),
  };
}

/**
 * The ANN index: one HNSW graph over scalar-quantised vectors, cosine like every search. IVF indexes
 * (FLAT, PQ, RQ) lose too many neighbours to other partitions on these vectors: recall@10 0.61–0.65
 * probing 40 of 568 partitions (scripts/bench-ann.ts).
 */
function vectorIndexConfig(): lancedb.Index {
  return lancedb.Index.hnswSq({ numPartitions: 1, distanceType: 'cosine' });
}

/** The table's index on `column`, if it has one. */
async function indexOn(table: lancedb.Table, column: string): Promise<lancedb.IndexConfig | undefined> {
  return (await table.listIndices()).find((index) => index.columns.includes(column));
}

/**
 * Which of `names` exist in a shared index, by opening each: LanceDB 0.31's tableNames() lists
 * nothing on an object store.
 */
async function presentTables(db: lancedb.Connection, names: readonly string[]): Promise<Set<string>> {
  const present = new Set<string>();
  for (const name of names) {
    const table = await openIfPresent(db, name);
    if (table) {
      table.close();
      present.add(name);
    }
  }
  return present;
}

async function openIfPresent(db: lancedb.Connection, name: string): Promise<lancedb.Table | undefined> {
  try {
    return await db.openTable(name);
  } catch (error) {
    if (/was not found/.test(messageOf(error))) return undefined;
    throw error;
  }
}

async function readSharedMeta(db: lancedb.Connection): Promise<IndexMeta | undefined> {
  const table = await openIfPresent(db, META_TABLE);
  if (!table) return undefined;
  try {
    const [row] = (await table.query().toArray()) as { json?: unknown }[];
    const meta = JSON.parse(String(row?.json ?? 'null')) as IndexMeta | null;
    if (typeof meta?.schemaVersion !== 'number') throw new UserError(`the index's ${META_TABLE} table holds no schema version: publish the index again`);
    return meta;
  } finally {
    table.close();
  }
}

async function writeSharedMeta(db: lancedb.Connection, meta: IndexMeta): Promise<void> {
  const schema = new arrow.Schema([new arrow.Field('json', new arrow.Utf8(), false)]);
  const table = await db.createTable(META_TABLE, [{ json: JSON.stringify(meta) }], { mode: 'overwrite', schema });
  table.close();
}

function lanceDirOf(dir: string): string {
  return path.join(dir, 'lance');
}

/** Damage in the tables of `embedderId`'s model in the index at `dir` (see index-integrity.ts). */
function damageIn(dir: string, embedderId: string, verify: Verify): Promise<TableDamage[]> {
  return inspectIndex(dir, lanceDirOf(dir), tableNamesOf(modelSlug(embedderId)), verify);
}

function tableNamesOf(slug: string): string[] {
  return TABLES.map((table) => `${table}_${slug}`);
}

// Interval 0: every read sees the latest commit, including another process's (a second writer
// that waited for the lock, a search during indexing).
function connect(dir: string): Promise<lancedb.Connection> {
  return lancedb.connect(lanceDirOf(dir), { readConsistencyInterval: 0 });
}

/** Deletes the index's data but not the folder, which holds the lock (and tuned adapters). */
async function clearIndex(dir: string): Promise<void> {
  await rm(lanceDirOf(dir), { recursive: true, force: true });
  await rm(path.join(dir, META_FILE), { force: true });
  await rm(path.join(dir, CHECKSUMS_FILE), { force: true });
}

function toFileRecord(row: FileRow): Record<string, unknown> {
  return { path: row.path, hash: row.hash, size: row.size, mtime_ms: row.mtimeMs, ctime_ms: row.ctimeMs, chunks: row.chunks };
}

/** A stored vector as float32: Arrow hands a half-precision column's values over as their bits. */
function toFloat32(value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  if (value instanceof Uint16Array) return fromHalfBits(value);
  if (value && typeof (value as { toArray?: unknown }).toArray === 'function') return toFloat32((value as { toArray(): unknown }).toArray());
  return Float32Array.from(value as ArrayLike<number>);
}

