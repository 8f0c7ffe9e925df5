// Default excludes: what no one wants in a code search index, as gitignore-style patterns.
// The list is the single source of truth; `compileDefaults` turns it into set lookups so that
// checking an entry costs a few hash probes instead of ~200 regex tests.

import ignore from 'ignore';

/** Directories that hold other people's code, VCS metadata, caches or build output (any depth). */
const DIRECTORIES = [
  // version control
  '.git', '.hg', '.svn', '.bzr', '_darcs', '.jj', 'CVS/',
  // dependencies (Go and PHP `vendor/` included: vendored code is not the user's)
  'node_modules/', 'bower_components/', 'jspm_packages/', 'vendor/', '.yarn/', '.pnpm-store/', 'Pods/',
  // build output and framework caches
  'dist/', 'build/', 'out/', 'target/', '.next/', '.nuxt/', '.svelte-kit/', '.output/', '.turbo/',
  '.parcel-cache/', '.angular/', '.docusaurus/', '.vercel/', '.serverless/', '.expo/', '_build/',
  'zig-cache/', '.zig-cache/', 'zig-out/', 'DerivedData/', '.stack-work/', '.dart_tool/', '.terraform/',
  // .NET: `obj/` always; `bin/` only its Debug/Release output (a top-level `bin/` is often scripts)
  'obj/', '**/bin/Debug/', '**/bin/Release/',
  // test and tool caches
  'coverage/', '.nyc_output/', '__pycache__/', '.venv/', 'venv/', '.tox/', '.nox/', '.mypy_cache/',
  '.pytest_cache/', '.ruff_cache/', '.ipynb_checkpoints/', '*.egg-info/', '.eggs/', '.gradle/',
  '.idea/', '.vs/', '.vscode-test/', '.cache/', '.sass-cache/',
] as const;

/** Lock files: machine-written, large, and useless to search. */
const LOCK_FILES = [
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock',
  'Cargo.lock', 'poetry.lock', 'Pipfile.lock', 'uv.lock', 'pdm.lock', 'composer.lock', 'Gemfile.lock',
  'go.sum', 'go.work.sum', 'packages.lock.json', 'gradle.lockfile', 'flake.lock', 'mix.lock',
  'pubspec.lock', 'Podfile.lock', 'deno.lock', '*.lock',
] as const;

/** Minified, bundled or generated code recognisable by its name. */
const GENERATED_BY_NAME = [
  '*.min.js', '*.min.mjs', '*.min.cjs', '*.min.css', '*.map', '*.bundle.js', '*.bundle.mjs', '*.chunk.js',
  '*.pb.go', '*.pb.cc', '*.pb.h', '*_pb2.py', '*_pb2.pyi', '*_pb2_grpc.py', '*_pb.js', '*_pb.d.ts',
  '*.generated.*', '*.g.cs', '*.g.i.cs', '*.tsbuildinfo',
] as const;

/** Binaries and media, by extension (case-insensitive). Unknown extensions are allowed through. */
const BINARY_EXTENSIONS = [
  // images
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'icns', 'webp', 'tif', 'tiff', 'psd', 'ai', 'eps', 'heic',
  'heif', 'avif', 'svg', 'xcf', 'tga', 'dds', 'raw', 'cr2', 'nef',
  // fonts
  'ttf', 'otf', 'woff', 'woff2', 'eot', 'fon',
  // audio and video
  'mp3', 'wav', 'ogg', 'oga', 'flac', 'aac', 'm4a', 'wma', 'mp4', 'm4v', 'mov', 'avi', 'mkv', 'webm',
  'wmv', 'flv', 'mpg', 'mpeg', '3gp',
  // archives and packages
  'zip', 'tar', 'gz', 'tgz', 'bz2', 'tbz2', 'xz', 'txz', '7z', 'rar', 'zst', 'lz', 'lz4', 'lzma', 'cab',
  'iso', 'dmg', 'jar', 'war', 'ear', 'aar', 'apk', 'ipa', 'deb', 'rpm', 'msi', 'msix', 'nupkg', 'snupkg',
  'whl', 'egg', 'gem', 'crx', 'vsix', 'xpi',
  // executables, objects, bytecode
  'exe', 'dll', 'so', 'dylib', 'bin', 'o', 'obj', 'a', 'lib', 'ko', 'pdb', 'ilk', 'class', 'pyc', 'pyo',
  'pyd', 'wasm', 'node', 'dex', 'beam', 'elc', 'rlib', 'rmeta',
  // documents
  'pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'odp', 'rtf', 'epub',
  // databases
  'sqlite', 'sqlite3', 'db', 'db3', 'mdb', 'accdb', 'dbf', 'realm',
  // models and data
  'onnx', 'pt', 'pth', 'ckpt', 'safetensors', 'h5', 'hdf5', 'tflite', 'pb', 'npy', 'npz', 'pkl', 'pickle',
  'joblib', 'parquet', 'arrow', 'feather', 'avro', 'orc', 'gguf', 'ggml', 'mlmodel', 'caffemodel',
  // design and 3D
  'swf', 'fla', 'blend', 'fbx', 'glb', '3ds', 'dwg',
] as const;

const OTHER_FILES = ['*.so.*', '.DS_Store', 'Thumbs.db'] as const;

/**
 * Patterns (gitignore syntax, matched case-insensitively at any depth) that the crawl always applies;
 * unlike gitignore, extension patterns (`*.sqlite`) match files only.
 * A `.codeintentignore` file or the `exclude` option can re-include one with a negation (`!build/`);
 * a `.gitignore` negation cannot (a whitelist `.gitignore` that re-includes every directory must not pull `node_modules/` back in).
 */
export const DEFAULT_EXCLUDES: readonly string[] = Object.freeze([
  ...DIRECTORIES,
  ...LOCK_FILES,
  ...GENERATED_BY_NAME,
  ...BINARY_EXTENSIONS.map((ext) => `*.${ext}`),
  ...OTHER_FILES,
]);

/** A compiled default-exclude check: returns the matching pattern, or undefined. */
export type DefaultMatcher = (relPath: string, name: string, isDir: boolean) => string | undefined;

const GLOB_CHARS = /[*?[\]\\!]/;
/** Globs this compiler turns into regexes itself: only `*` and `?` as wildcards. */
const SIMPLE_GLOB = /^[^[\]\\!]*$/;

/**
 * Compiles gitignore-style patterns without negations into set lookups and name regexes where the
 * pattern shape allows (`name`, `name/`, `*.ext`, `*suffix`, `a*b.?`, `**` + `/dir/sub/`), with an
 * `ignore` instance for the rest. Matching is case-insensitive.
 */
export function compileDefaults(patterns: readonly string[]): DefaultMatcher {
  const names = new Map<string, string>(); // files or directories
  const dirNames = new Map<string, string>(); // directories only
  const extensions = new Map<string, string>(); // '.png' -> '*.png'
  const suffixes = new Map<string, Array<[string, string]>>(); // '.js' -> [['.min.js', '*.min.js'], …]
  const otherSuffixes: Array<[string, string]> = []; // suffixes without a dot
  const infixes: Array<[string, string]> = []; // ['.generated.', '*.generated.*']
  const nameGlobs: Array<{ regex: RegExp; dirOnly: boolean; pattern: string }> = [];
  const pathEnds: Array<{ end: string; dirOnly: boolean; pattern: string }> = []; // '**/bin/Debug/'
  const rest: string[] = [];
  for (const pattern of patterns) {
    const dirOnly = pattern.endsWith('/');
    const body = dirOnly ? pattern.slice(0, -1) : pattern;
    const tail = body.startsWith('**/') ? body.slice(3) : undefined;
    if (tail !== undefined && tail.includes('/') && !GLOB_CHARS.test(tail)) {
      pathEnds.push({ end: tail.toLowerCase(), dirOnly, pattern });
    } else if (body.includes('/') || !SIMPLE_GLOB.test(body)) {
      rest.push(pattern);
    } else if (!GLOB_CHARS.test(body)) {
      (dirOnly ? dirNames : names).set(body.toLowerCase(), pattern);
    } else if (!dirOnly && body.startsWith('*') && !GLOB_CHARS.test(body.slice(1))) {
      const suffix = body.slice(1).toLowerCase();
      const lastDot = suffix.lastIndexOf('.');
      if (lastDot === 0) extensions.set(suffix, pattern);
      else if (lastDot === -1) otherSuffixes.push([suffix, pattern]);
      else suffixes.set(suffix.slice(lastDot), [...(suffixes.get(suffix.slice(lastDot)) ?? []), [suffix, pattern]]);
    } else if (!dirOnly && /^\*[^*?]+\*$/.test(body)) {
      infixes.push([body.slice(1, -1).toLowerCase(), pattern]);
    } else {
      nameGlobs.push({ regex: globToRegex(body.toLowerCase()), dirOnly, pattern });
    }
  }
  const hasFilePathEnds = pathEnds.some((end) => !end.dirOnly);
  const fallback = rest.length > 0 ? ignore({ ignorecase: true, allowRelativePaths: true }).add(rest) : undefined;

  return (relPath, name, isDir) => {
    const lower = name.toLowerCase();
    const byName = names.get(lower) ?? (isDir ? dirNames.get(lower) : undefined);
    if (byName !== undefined) return byName;
    // Extension and suffix patterns describe files: a folder named `Data.Sqlite` holds code.
    const dot = isDir ? -1 : lower.lastIndexOf('.');
    if (dot !== -1) {
      const extension = lower.slice(dot);
      const byExt = extensions.get(extension);
      if (byExt !== undefined) return byExt;
      for (const [suffix, pattern] of suffixes.get(extension) ?? []) {
        if (lower.endsWith(suffix)) return pattern;
      }
    }
    if (!isDir) {
      for (const [suffix, pattern] of otherSuffixes) {
        if (lower.endsWith(suffix)) return pattern;
      }
      for (const [infix, pattern] of infixes) {
        // '*.so.*' is 'the name contains .so.' (a gitignore '*' may match nothing)
        if (lower.includes(infix)) return pattern;
      }
    }
    for (const glob of nameGlobs) {
      if ((isDir || !glob.dirOnly) && glob.regex.test(lower)) return glob.pattern;
    }
    if (isDir ? pathEnds.length > 0 : hasFilePathEnds) {
      const lowerPath = relPath.toLowerCase();
      for (const { end, dirOnly, pattern } of pathEnds) {
        if ((isDir || !dirOnly) && (lowerPath === end || lowerPath.endsWith(`/${end}`))) return pattern;
      }
    }
    if (fallback !== undefined) {
      // Only the entry's own match counts: its parents were already judged (and pruned) by the walk.
      const path = isDir ? `${relPath}/` : relPath;
      const result = fallback.test(path);
      const parent = parentDir(path);
      if (result.ignored && (parent === '' || !fallback.test(parent).ignored)) return result.rule?.pattern ?? 'default';
    }
    return undefined;
  };
}

/** A name glob with `*` and `?` (no slashes) as a whole-name regex. */
function globToRegex(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`);
}

/** 'a/b/c' -> 'a/b/', 'a/b/' -> 'a/', 'a' -> ''. */
export function parentDir(path: string): string {
  const end = path.endsWith('/') ? path.length - 1 : path.length;
  const slash = path.lastIndexOf('/', end - 1);
  return slash === -1 ? '' : path.slice(0, slash + 1);
}
