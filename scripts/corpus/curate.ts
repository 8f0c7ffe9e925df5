// Grows scripts/corpus/catalog.json: the pinned list of packages the corpus is built from.
// Run rarely (the catalog is committed); a build only reads it. Every entry already in the catalog
// stays as it is; new entries are taken only from the training split (grow.ts), so the validation
// and test packages never change.
//
//   node out/scripts/corpus/curate.js [--add python=900,go=500,javascript=800,...]
//
// --add: at most this many new packages per language, in the order below (default: none, except
// the npm picks that are not in the catalog yet).
//
// - npm: the hand-picked list below (packages that ship documented source, checked by hand with
//   `npm pack`), each with the folders that hold that source.
// - Debian binary packages (python3-*, golang-*-dev, librust-*-dev, ruby-*, php-*, node-*): every package
//   of the local apt index that fits the rules in BINARY_RULES, ordered by a hash of its name (a
//   stable pseudo-random order), the first N per language.
// - Debian source packages: C and C++ from the hand-picked lists below; Java = source packages
//   built with maven-debian-helper or javahelper (tarball at most 6 MB), C# = those built with
//   Mono/CLI tooling, each hash-ordered, first N. Only upstream tarballs of at most 12 MB are taken.
//   Some mirrors lack upstream tarballs of older packages: fetch reports those and goes on.
// Versions are pinned to what the index offers today.

import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { readdir, writeFile } from 'node:fs/promises';
import { type Catalog, type CatalogEntry, type CorpusLanguage, corpusPaths, entryKey, increment, isCorpusLanguage, loadCatalog, runProgram, sortByHash, CATALOG_PATH } from './common.js';
import { growCatalog } from './grow.js';
import { prepareSourceIndex } from './fetch.js';

type NpmPick = Omit<CatalogEntry, 'registry'>;

/** npm packages with documented source, and where that source is. Versions pinned. */
const NPM: readonly NpmPick[] = [
  // TypeScript source shipped in the package.
  { name: 'rxjs', version: '7.8.2', language: 'typescript', include: ['src'] },
  { name: 'zod', version: '4.6.7', language: 'typescript', include: ['src'], exclude: ['src/**/locales/**'] },
  { name: 'effect', version: '4.1.0', language: 'typescript', include: ['src'] },
  { name: '@effect/platform', version: '0.97.2', language: 'typescript', include: ['src'] },
  { name: '@effect/sql', version: '0.52.1', language: 'typescript', include: ['src'] },
  { name: 'immer', version: '11.2.10', language: 'typescript', include: ['src'] },
  { name: 'mobx', version: '7.1.3', language: 'typescript', include: ['src'] },
  { name: 'redux', version: '5.0.1', language: 'typescript', include: ['src'] },
  { name: '@reduxjs/toolkit', version: '2.14.0', language: 'typescript', include: ['src'] },
  { name: '@tanstack/query-core', version: '5.108.0', language: 'typescript', include: ['src'] },
  { name: '@tanstack/router-core', version: '1.171.39', language: 'typescript', include: ['src'] },
  { name: '@tanstack/form-core', version: '4.0.2', language: 'typescript', include: ['src'] },
  { name: '@tanstack/store', version: '0.11.2', language: 'typescript', include: ['src'] },
  { name: '@tanstack/virtual-core', version: '3.19.11', language: 'typescript', include: ['src'] },
  { name: '@trpc/server', version: '11.25.2', language: 'typescript', include: ['src'] },
  { name: '@grpc/grpc-js', version: '1.14.7', language: 'typescript', include: ['src'] },
  { name: '@noble/hashes', version: '2.4.0', language: 'typescript', include: ['src'] },
  { name: '@noble/curves', version: '2.4.0', language: 'typescript', include: ['src'] },
  { name: 'ethers', version: '6.17.0', language: 'typescript', include: ['src.ts'], exclude: ['src.ts/wordlists/**'] },
  { name: '@azure/msal-common', version: '16.16.1', language: 'typescript', include: ['src'] },
  { name: 'puppeteer-core', version: '24.43.1', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-model', version: '1.25.13', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-state', version: '1.4.4', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-transform', version: '1.12.6', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-view', version: '1.42.9', language: 'typescript', include: ['src'] },
  { name: '@preact/signals-core', version: '1.14.5', language: 'typescript', include: ['src'] },
  { name: '@tanstack/react-query', version: '5.108.0', language: 'typescript', include: ['src'] },
  { name: '@tanstack/vue-query', version: '5.104.0', language: 'typescript', include: ['src'] },
  { name: '@tanstack/solid-query', version: '5.104.0', language: 'typescript', include: ['src'] },
  { name: '@tanstack/db', version: '0.15.2', language: 'typescript', include: ['src'] },
  { name: '@trpc/client', version: '11.25.2', language: 'typescript', include: ['src'] },
  { name: '@trpc/react-query', version: '11.19.0', language: 'typescript', include: ['src'] },
  { name: '@effect/cli', version: '0.77.2', language: 'typescript', include: ['src'] },
  { name: '@effect/rpc', version: '0.76.2', language: 'typescript', include: ['src'] },
  { name: '@effect/experimental', version: '0.61.1', language: 'typescript', include: ['src'] },
  { name: '@effect/typeclass', version: '0.41.0', language: 'typescript', include: ['src'] },
  { name: '@effect/printer', version: '0.51.0', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-commands', version: '1.7.2', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-history', version: '1.5.1', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-inputrules', version: '1.6.0', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-schema-list', version: '1.6.0', language: 'typescript', include: ['src'] },
  { name: '@noble/ciphers', version: '2.4.0', language: 'typescript', include: ['src'] },
  { name: '@azure/msal-browser', version: '5.29.0', language: 'typescript', include: ['src'] },
  { name: '@azure/msal-node', version: '7.2.1', language: 'typescript', include: ['src'] },
  // JavaScript with JSDoc.
  { name: 'lodash-es', version: '4.18.1', language: 'javascript' },
  { name: 'ramda', version: '0.32.0', language: 'javascript', include: ['src'] },
  { name: 'axios', version: '1.21.1', language: 'javascript', include: ['lib'] },
  { name: 'express', version: '5.3.0', language: 'javascript', include: ['lib'] },
  { name: 'async', version: '3.2.6', language: 'javascript', exclude: ['dist/**'] },
  { name: 'commander', version: '14.0.3', language: 'javascript', include: ['lib'] },
  { name: 'luxon', version: '3.7.2', language: 'javascript', include: ['src'] },
  { name: 'debug', version: '4.4.3', language: 'javascript', include: ['src'] },
  { name: 'eslint', version: '10.15.0', language: 'javascript', include: ['lib'] },
  { name: 'webpack', version: '5.112.2', language: 'javascript', include: ['lib'] },
  { name: 'mocha', version: '12.0.3', language: 'javascript', include: ['lib'] },
  { name: 'sinon', version: '22.1.0', language: 'javascript', include: ['lib'] },
  { name: 'ws', version: '8.23.0', language: 'javascript', include: ['lib'] },
  { name: 'undici', version: '7.30.2', language: 'javascript', include: ['lib'] },
  { name: 'mongoose', version: '9.12.1', language: 'javascript', include: ['lib'] },
  { name: 'knex', version: '3.3.0', language: 'javascript', include: ['lib'] },
  { name: 'koa', version: '3.3.0', language: 'javascript', include: ['lib'] },
  { name: 'handlebars', version: '4.7.10', language: 'javascript', include: ['lib'] },
  { name: 'jszip', version: '3.10.2', language: 'javascript', include: ['lib'] },
  { name: 'graphql', version: '16.15.0', language: 'javascript', exclude: ['**/*.mjs'] },
  { name: 'date-fns', version: '4.4.0', language: 'javascript', exclude: ['**/*.cjs', 'fp/**', 'locale/**'] },
  { name: 'fp-ts', version: '2.16.11', language: 'javascript', include: ['lib'] },
  { name: 'io-ts', version: '2.2.22', language: 'javascript', include: ['lib'] },
  { name: 'mathjs', version: '15.2.0', language: 'javascript', include: ['lib/esm'] },
  { name: 'three', version: '0.187.0', language: 'javascript', include: ['src'] },
  { name: 'lit-html', version: '3.3.3', language: 'javascript', include: ['development'] },
  { name: '@lit/reactive-element', version: '2.1.2', language: 'javascript', include: ['development'] },
  { name: 'preact', version: '11.2.0', language: 'javascript', include: ['src', 'hooks/src', 'compat/src', 'debug/src', 'devtools/src', 'jsx-runtime/src'] },
  { name: 'svelte', version: '5.57.3', language: 'javascript', include: ['src'] },
  { name: '@sveltejs/kit', version: '2.70.4', language: 'javascript', include: ['src'] },
  { name: 'yjs', version: '13.6.33', language: 'javascript', include: ['src'] },
  { name: 'lib0', version: '0.2.120', language: 'javascript', exclude: ['dist/**', 'coverage/**', 'bin/**', '*.test.js'] },
  { name: 'protobufjs', version: '8.8.1', language: 'javascript', include: ['src'] },
  { name: 'ol', version: '10.11.0', language: 'javascript', exclude: ['dist/**'] },
  { name: 'hono', version: '4.13.19', language: 'javascript', include: ['dist'], exclude: ['dist/cjs/**', 'dist/types/**'] },
  { name: '@tanstack/table-core', version: '9.3.1', language: 'javascript', include: ['dist'] },
  { name: 'typeorm', version: '1.1.1', language: 'javascript', exclude: ['browser/**'] },
  { name: 'node-fetch', version: '3.3.2', language: 'javascript', include: ['src'] },
  { name: 'superagent', version: '10.4.2', language: 'javascript', include: ['lib'] },
  { name: 'jquery', version: '4.0.0', language: 'javascript', include: ['src'] },
  { name: 'phaser', version: '4.2.1', language: 'javascript', include: ['src'] },
  // Application-like code (servers, middleware, CLIs, database clients), added to the training split.
  { name: 'fastify', version: '5.12.8', language: 'javascript', include: ['lib'] },
  { name: 'pino', version: '10.4.0', language: 'javascript', include: ['lib'] },
  { name: '@hapi/hapi', version: '21.4.13', language: 'javascript', include: ['lib'] },
  { name: 'restify', version: '12.0.0', language: 'javascript', include: ['lib'] },
  { name: 'body-parser', version: '2.4.0', language: 'javascript', include: ['lib'] },
  { name: 'nodemailer', version: '10.6.1', language: 'javascript', include: ['lib'] },
  { name: 'passport', version: '0.7.0', language: 'javascript', include: ['lib'] },
  { name: 'jsonwebtoken', version: '9.0.3', language: 'javascript' },
  { name: 'multer', version: '2.5.0', language: 'javascript' },
  { name: 'mysql2', version: '3.26.1', language: 'javascript', include: ['lib'] },
  { name: 'pg', version: '8.23.1', language: 'javascript', include: ['lib'] },
  { name: 'sequelize', version: '6.37.8', language: 'javascript', include: ['lib'] },
  { name: 'bull', version: '4.16.5', language: 'javascript', include: ['lib'] },
  { name: 'npm', version: '12.2.3', language: 'javascript', include: ['lib'] },
  { name: 'nodemon', version: '3.1.14', language: 'javascript', include: ['lib'] },
  { name: 'pm2', version: '7.0.4', language: 'javascript', include: ['lib'] },
  { name: 'http-server', version: '14.1.1', language: 'javascript', include: ['lib'] },
  { name: 'ioredis', version: '6.1.0', language: 'javascript', include: ['built'] },
  { name: 'connect', version: '3.7.0', language: 'javascript' },
  { name: 'serve-static', version: '2.2.1', language: 'javascript' },
  { name: 'send', version: '1.2.1', language: 'javascript' },
  { name: 'cookie-parser', version: '1.4.7', language: 'javascript' },
  { name: 'express-session', version: '1.19.0', language: 'javascript' },
  { name: 'helmet', version: '8.3.0', language: 'javascript' },
  { name: 'cors', version: '2.8.6', language: 'javascript', include: ['lib'] },
  { name: 'morgan', version: '1.12.1', language: 'javascript' },
  { name: 'engine.io', version: '6.6.13', language: 'javascript', include: ['build'] },
  { name: 'yargs-parser', version: '22.0.0', language: 'javascript', include: ['build'] },
  { name: '@effect/sql-pg', version: '4.1.5', language: 'typescript', include: ['src'] },
  { name: '@effect/platform-node', version: '4.1.5', language: 'typescript', include: ['src'] },
  { name: '@effect/cluster', version: '0.60.2', language: 'typescript', include: ['src'] },
  { name: '@effect/ai', version: '0.37.0', language: 'typescript', include: ['src'] },
  { name: '@effect/opentelemetry', version: '4.1.5', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-tables', version: '1.8.5', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-keymap', version: '1.2.3', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-markdown', version: '1.13.9', language: 'typescript', include: ['src'] },
  { name: 'prosemirror-collab', version: '1.3.1', language: 'typescript', include: ['src'] },
  { name: '@tanstack/history', version: '1.162.5', language: 'typescript', include: ['src'] },
  { name: '@tanstack/react-router', version: '1.170.46', language: 'typescript', include: ['src'] },
];

/** Debian source packages of documented C libraries (doxygen, gtk-doc or plain doc comments). */
const C_SOURCES = [
  'zlib', 'curl', 'libgit2', 'glib2.0', 'libxml2', 'json-glib', 'libsoup3', 'jansson', 'libyaml', 'nghttp2', 'libarchive',
  'libevent', 'pcre2', 'mbedtls', 'libsodium', 'lua5.4', 'redis', 'libuv1', 'cjson', 'libpng1.6', 'gstreamer1.0', 'libxslt',
  'libssh', 'libssh2', 'pango1.0', 'json-c', 'libconfig', 'libusb-1.0', 'libcbor', 'nettle', 'libmicrohttpd', 'libzip',
  'wayland', 'dbus', 'iniparser', 'libnotify', 'libsecret', 'libpeas', 'gdk-pixbuf', 'jq', 'mosquitto', 'libmodbus', 'libcoap3',
  'nng', 'nanomsg', 'flac', 'libogg', 'libvorbis', 'opus', 'libsndfile', 'libgpg-error', 'libtasn1-6', 'p11-kit', 'libidn2',
  'libpsl', 'talloc', 'tdb', 'tevent', 'libbpf', 'xz-utils', 'lz4', 'brotli', 'hiredis', 'libmemcached', 'jemalloc', 'mimalloc',
  'cmocka', 'criterion', 'check',
  'glib-networking', 'libgsf', 'libgtop2', 'libgudev', 'libgusb', 'libmbim', 'libqmi', 'libnice', 'libsoup2.4', 'libxkbcommon',
  'libevdev', 'libinput', 'libdrm', 'libepoxy', 'libfido2', 'libical3', 'libexif', 'libjpeg-turbo', 'tiff', 'libwebp', 'openjpeg2',
  'lcms2', 'fribidi', 'graphene', 'libportal', 'libadwaita-1', 'at-spi2-core', 'libwnck3', 'upower', 'udisks2', 'policykit-1',
  'accountsservice', 'colord', 'ostree', 'appstream', 'libxmlb', 'yajl', 'msgpack-c', 'protobuf-c', 'libnl3', 'libmnl', 'libnftnl',
  'libpcap', 'libnet', 'tre', 'libffi', 'libbsd', 'libcap2', 'libseccomp', 'libselinux', 'keyutils', 'liburing', 'numactl', 'hwloc',
  'augeas', 'libosinfo', 'gupnp', 'gssdp', 'libmtp', 'libgphoto2', 'libimobiledevice', 'libplist', 'minizip', 'libconfuse',
  'argtable2', 'popt', 'libedit', 'lmdb', 'tokyocabinet', 'libev', 'c-ares', 'libmaxminddb', 'wget2', 'paho.mqtt.c', 'czmq',
  'libtomcrypt', 'libtommath', 'libsolv', 'libcsv', 'libhandy-1', 'libmanette', 'libgxps', 'libspectre', 'zathura', 'girara',
  'cmark-gfm', 'discount', 'libcdio', 'libdvdread', 'libdvdnav', 'libtheora', 'speex', 'libsamplerate', 'libsoxr', 'portaudio19',
  'libass', 'libbluray', 'mpg123', 'libshout', 'libcue', 'mxml', 'pixman',
];

/** Debian source packages of documented C++ libraries. */
const CPP_SOURCES = [
  'eigen3', 'fmtlib', 'spdlog', 'xtensor', 'xtl', 'cli11', 'catch2', 'doctest', 'yaml-cpp', 'pugixml', 'tinyxml2', 'poco',
  'cereal', 'range-v3', 'glm', 'leveldb', 'rocksdb', 'googletest', 'protobuf', 'abseil', 're2', 'snappy', 'taglib', 'cppzmq',
  'msgpack-cxx', 'rapidjson', 'kcoreaddons', 'kconfig', 'karchive', 'kitemmodels', 'threadweaver', 'solid', 'kwidgetsaddons',
  'armadillo', 'howardhinnant-date', 'tl-expected', 'xsimd', 'highway', 'libsigc++-3.0', 'glibmm2.68', 'cairomm1.16',
  'libxml++2.6', 'bullet', 'box2d', 'libsfml', 'openscenegraph', 'gdal', 'geos', 'proj', 'poppler', 'websocketpp', 'restinio',
  'cpprest', 'pistache', 'onetbb', 'grpc', 'libtorrent-rasterbar', 'simdjson', 'marisa', 'xapian-core', 'ceres-solver',
  'octomap', 'orocos-kdl', 'urdfdom', 'console-bridge', 'ros-class-loader', 'ignition-math', 'tinyobjloader', 'libcds',
];

/** Source packages that build-depend on Mono but are mostly C (bindings, plug-ins): not C# corpus material. */
const NOT_CSHARP = new Set(['meson', 'uwsgi', 'libgpod', 'libsbml', 'gdcm', 'libkarma', 'cairo-dock-plug-ins', 'virtuoso-opensource', 'libayatana-appindicator', 'coco-cs']);

interface BinaryRule {
  language: CorpusLanguage;
  name: RegExp;
  architectureAll: boolean;
  section?: RegExp;
  /** Installed-Size bounds in KiB. */
  minKiB: number;
  maxKiB: number;
}

const NOT_LIBRARY = /-(?:doc|dbg|dbgsym|tests?|examples?|common|data|all-dev)$/;

const BINARY_RULES: readonly BinaryRule[] = [
  { language: 'python', name: /^python3-[a-z0-9].*$/, architectureAll: true, section: /python/, minKiB: 60, maxKiB: 8000 },
  { language: 'go', name: /^golang-.+-dev$/, architectureAll: true, minKiB: 40, maxKiB: 8000 },
  { language: 'rust', name: /^librust-[^+]+-dev$/, architectureAll: false, minKiB: 40, maxKiB: 8000 },
  { language: 'ruby', name: /^ruby-[a-z0-9].*$/, architectureAll: true, section: /ruby/, minKiB: 30, maxKiB: 8000 },
  { language: 'php', name: /^php-[a-z0-9].*$/, architectureAll: true, section: /php/, minKiB: 30, maxKiB: 8000 },
  // Node.js modules as Debian ships them (/usr/share/nodejs): servers, middleware, CLIs.
  { language: 'javascript', name: /^node-[a-z0-9].*$/, architectureAll: true, section: /javascript/, minKiB: 20, maxKiB: 8000 },
];

const MAX_SOURCE_TARBALL = 12_000_000;

interface Stanza {
  [field: string]: string;
}

function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const stanza: Stanza = {};
    let last = '';
    for (const line of block.split('\n')) {
      if (/^\s/.test(line) && last !== '') {
        stanza[last] = `${stanza[last] ?? ''}\n${line}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon);
      stanza[last] = line.slice(colon + 1).trim();
    }
    if (stanza['Package'] !== undefined) out.push(stanza);
  }
  return out;
}

async function binaryCandidates(): Promise<Map<CorpusLanguage, CatalogEntry[]>> {
  const run = await runProgram('apt-cache', ['dumpavail']);
  if (run.code !== 0) throw new Error(`apt-cache dumpavail: ${run.stderr}`);
  const byLanguage = new Map<CorpusLanguage, CatalogEntry[]>();
  const seen = new Set<string>();
  for (const s of parseStanzas(run.stdout)) {
    const name = s['Package'] ?? '';
    const version = s['Version'] ?? '';
    if (seen.has(name) || NOT_LIBRARY.test(name)) continue;
    const size = Number(s['Installed-Size'] ?? '0');
    for (const rule of BINARY_RULES) {
      if (!rule.name.test(name)) continue;
      if (rule.architectureAll && s['Architecture'] !== 'all') continue;
      if (rule.section !== undefined && !rule.section.test(s['Section'] ?? '')) continue;
      if (size < rule.minKiB || size > rule.maxKiB) continue;
      seen.add(name);
      const list = byLanguage.get(rule.language) ?? [];
      list.push({ registry: 'debian', name, version, language: rule.language });
      byLanguage.set(rule.language, list);
    }
  }
  return byLanguage;
}

interface SourceInfo {
  version: string;
  tarballBytes: number;
  buildDepends: string;
}

async function sourceIndex(): Promise<Map<string, SourceInfo>> {
  const paths = corpusPaths();
  await prepareSourceIndex(paths, (m) => process.stderr.write(`${m}\n`));
  const listsDir = join(paths.apt, 'lists');
  const files = (await readdir(listsDir)).filter((f) => /_Sources(?:\.\w+)?$/.test(f));
  const out = new Map<string, SourceInfo>();
  for (const f of files) {
    const run = await runProgram('/usr/lib/apt/apt-helper', ['cat-file', join(listsDir, f)]);
    if (run.code !== 0) throw new Error(`apt-helper cat-file ${f}: ${run.stderr}`);
    for (const s of parseStanzas(run.stdout)) {
      const name = s['Package'] ?? '';
      let tarballBytes = 0;
      for (const line of (s['Checksums-Sha256'] ?? '').split('\n')) {
        const [, size, file] = line.trim().split(/\s+/);
        if (file !== undefined && /\.tar\.|\.tgz$/.test(file) && !file.includes('.debian.tar.')) tarballBytes += Number(size);
      }
      out.set(name, { version: s['Version'] ?? '', tarballBytes, buildDepends: `${s['Build-Depends'] ?? ''} ${s['Build-Depends-Indep'] ?? ''}` });
    }
  }
  return out;
}

function byHash(entries: CatalogEntry[]): CatalogEntry[] {
  return sortByHash(entries, (entry) => `codeintent-corpus-select:${entry.name}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { add: { type: 'string' } }, strict: true });
  const add: Partial<Record<CorpusLanguage, number>> = {};
  for (const pair of (values.add ?? '').split(',').filter((p) => p !== '')) {
    const [language, n] = pair.split('=');
    if (language === undefined || !isCorpusLanguage(language) || n === undefined || !/^\d+$/.test(n)) {
      throw new TypeError(`--add: expected language=N, got ${pair}`);
    }
    add[language] = Number(n);
  }
  const existing = loadCatalog().packages;
  const known = new Set(existing.map(entryKey));
  // The hand-picked npm packages not in the catalog yet are all taken (training split only).
  const candidates: CatalogEntry[] = NPM.map((p) => ({ registry: 'npm', ...p }));
  for (const p of candidates) if (!known.has(entryKey(p))) add[p.language] = (add[p.language] ?? 0) + 1;

  const binaries = await binaryCandidates();
  for (const list of binaries.values()) candidates.push(...byHash(list));

  const sources = await sourceIndex();
  const pick = (names: readonly string[], language: CorpusLanguage): void => {
    for (const name of names) {
      const info = sources.get(name);
      if (info === undefined) {
        process.stderr.write(`curate: no source package ${name}\n`);
        continue;
      }
      if (info.tarballBytes > MAX_SOURCE_TARBALL) continue;
      candidates.push({ registry: 'debian-source', name, version: info.version, language });
    }
  };
  pick(C_SOURCES, 'c');
  pick(CPP_SOURCES, 'cpp');
  const java: CatalogEntry[] = [];
  const csharp: CatalogEntry[] = [];
  for (const [name, info] of sources) {
    if (info.tarballBytes < 20_000 || info.tarballBytes > MAX_SOURCE_TARBALL) continue;
    if (/\b(?:maven-debian-helper|javahelper)\b/.test(info.buildDepends) && info.tarballBytes <= 6_000_000) {
      java.push({ registry: 'debian-source', name, version: info.version, language: 'java' });
    } else if (/\b(?:cli-common-dev|mono-devel|mono-mcs|mono-xbuild|dh-dotnet)\b/.test(info.buildDepends) && !NOT_CSHARP.has(name)) {
      csharp.push({ registry: 'debian-source', name, version: info.version, language: 'csharp' });
    }
  }
  candidates.push(...byHash(java), ...byHash(csharp));

  const grown = growCatalog(existing, candidates, add);
  const packages = grown.packages;
  const catalog: Catalog = {
    note:
      'Written by scripts/corpus/curate.ts. npm, C, C++ and C# picks are hand-made lists in that file; Debian binary packages ' +
      '(python3-*, golang-*-dev, librust-*-dev, ruby-*, php-*, node-*) and Java source packages are chosen by its rules, in a stable ' +
      'hash order. Versions are pinned; a version no longer in the archive is replaced by the current one at fetch time. ' +
      'The catalog only grows, and only in the training split (scripts/corpus/grow.ts).',
    packages,
  };
  // One package per line: a readable, diff-friendly file.
  const body = catalog.packages.map((p) => `    ${JSON.stringify(p)}`).join(',\n');
  await writeFile(CATALOG_PATH, `{\n  "note": ${JSON.stringify(catalog.note)},\n  "packages": [\n${body}\n  ]\n}\n`);
  const counts = new Map<string, number>();
  for (const p of packages) increment(counts, p.language);
  process.stdout.write(`catalog: ${packages.length} packages (${[...counts].map(([l, n]) => `${l} ${n}`).join(', ')}); ${grown.added.length} added, ${grown.heldOut} held-out candidates passed over\n`);
}

await main();
