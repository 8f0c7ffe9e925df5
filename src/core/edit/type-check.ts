// The TypeScript compiler's check of an edited TypeScript or JavaScript file, in-process, with the
// project's own tsconfig.json (or jsconfig.json): the errors the edit adds, i.e. those of the edited
// text that the original text did not have (compared by code and message, since lines move). What
// the project already gets wrong, or what this check cannot see (a missing node_modules, a global
// declared in a file outside the edited file's imports), is in both texts and cancels out.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type ts from 'typescript';
import { maskSecrets } from '../llm/mask-secrets.js';
import { fileLines } from './locate.js';

export interface TypeError {
  /** 1-based, in the edited text. */
  line: number;
  /** The text of that line, trimmed; secrets masked (it goes into the model's retry). */
  source: string;
  /** "Cannot find name 'logger'."; secrets masked (a message can quote a string literal). */
  message: string;
  code: number;
}

export interface TypeCheck {
  /** "TypeScript 5.9.3 with tsconfig.json" (the config relative to the workspace root). */
  checker: string;
  /** Errors in the edited text that the original text did not have. */
  added: TypeError[];
}

const CHECKED = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const JAVASCRIPT = /\.(?:[cm]?js|jsx)$/;

/** Whether the TypeScript check applies to `file` (TypeScript and JavaScript, not declaration files). */
export function typeCheckable(file: string): boolean {
  return CHECKED.test(file) && !/\.d\.[cm]?ts$/.test(file);
}

/** With no config: what a current bundler-based project would say. */
const DEFAULT_OPTIONS: ts.CompilerOptions = { strict: false };

/**
 * The errors that `edited` adds to `relative` (a path in `root`) over `original`; undefined when
 * the file is not TypeScript or JavaScript.
 */
export async function addedTypeErrors(root: string, relative: string, original: string, edited: string): Promise<TypeCheck | undefined> {
  if (!typeCheckable(relative)) return undefined;
  const tsc = (await import('typescript')).default;
  const file = path.resolve(root, relative);
  const project = projectOf(tsc, root, file);
  const options: ts.CompilerOptions = {
    ...project.options,
    noEmit: true,
    skipLibCheck: true,
    allowJs: true,
    // Undefined names in JavaScript are what a model's edit most often adds; only new errors count.
    ...(JAVASCRIPT.test(file) ? { checkJs: true } : {}),
    incremental: false,
    composite: false,
  };
  delete options.tsBuildInfoFile;
  // The edited file and the project's declaration files (its ambient globals); whatever the file
  // imports is read from disk as the compiler resolves it. The whole project would cost seconds.
  const rootNames = [file, ...project.declarations];
  const host = hostServing(tsc, options, file);
  const before = programFor(tsc, rootNames, options, host, original);
  const after = programFor(tsc, rootNames, options, host, edited, before);
  const known = new Map<string, number>();
  for (const error of errorsIn(tsc, before, file)) known.set(keyOf(error), (known.get(keyOf(error)) ?? 0) + 1);
  const lines = fileLines(maskSecrets(edited).text);
  const added: TypeError[] = [];
  for (const error of errorsIn(tsc, after, file)) {
    const seen = known.get(keyOf(error)) ?? 0;
    if (seen > 0) {
      known.set(keyOf(error), seen - 1);
      continue;
    }
    added.push({ ...error, message: maskSecrets(error.message).text, source: (lines[error.line - 1] ?? '').trim() });
  }
  const config = project.config ? ` with ${path.relative(root, project.config).split(path.sep).join('/')}` : '';
  return { checker: `TypeScript ${tsc.version}${config}`, added };
}

function keyOf(error: Pick<TypeError, 'code' | 'message'>): string {
  return `${error.code} ${error.message}`;
}

interface Project {
  /** The tsconfig.json or jsconfig.json that applies, when there is one inside the root. */
  config?: string;
  options: ts.CompilerOptions;
  declarations: string[];
}

/** The nearest config above `file`, not above the workspace root (a config out there is not this project's). */
function projectOf(tsc: typeof ts, root: string, file: string): Project {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    for (const name of ['tsconfig.json', 'jsconfig.json']) {
      const config = path.join(dir, name);
      if (existsSync(config)) return readProject(tsc, config);
    }
    if (dir === root || path.dirname(dir) === dir || !dir.startsWith(root)) return { options: DEFAULT_OPTIONS, declarations: [] };
  }
}

function readProject(tsc: typeof ts, config: string): Project {
  const read = tsc.readConfigFile(config, tsc.sys.readFile);
  if (read.error) return { config, options: DEFAULT_OPTIONS, declarations: [] };
  const parsed = tsc.parseJsonConfigFileContent(read.config, tsc.sys, path.dirname(config), undefined, config);
  return { config, options: parsed.options, declarations: parsed.fileNames.filter((name) => /\.d\.[cm]?ts$/.test(name)) };
}

interface ServingHost extends ts.CompilerHost {
  /** What the edited file reads as. */
  text: string;
}

/**
 * A compiler host that serves `file` from memory and every other file once: the second program
 * then reuses the first one's parse of everything but the edited file.
 */
function hostServing(tsc: typeof ts, options: ts.CompilerOptions, file: string): ServingHost {
  const host = tsc.createCompilerHost(options, true) as ServingHost;
  host.text = '';
  const parsed = new Map<string, ts.SourceFile | undefined>();
  const getSourceFile = host.getSourceFile.bind(host);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const edited = (name: string) => path.resolve(name) === file;
  host.getSourceFile = (name, language, onError) => {
    if (edited(name)) return tsc.createSourceFile(name, host.text, language, true);
    if (!parsed.has(name)) parsed.set(name, getSourceFile(name, language, onError));
    return parsed.get(name);
  };
  host.readFile = (name) => (edited(name) ? host.text : readFile(name));
  host.fileExists = (name) => edited(name) || fileExists(name);
  return host;
}

function programFor(tsc: typeof ts, rootNames: readonly string[], options: ts.CompilerOptions, host: ServingHost, text: string, old?: ts.Program): ts.Program {
  host.text = text;
  return tsc.createProgram({ rootNames, options, host, ...(old ? { oldProgram: old } : {}) });
}

function errorsIn(tsc: typeof ts, program: ts.Program, file: string): Omit<TypeError, 'source'>[] {
  const source = program.getSourceFile(file);
  if (!source) return [];
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
    .filter((d) => d.category === tsc.DiagnosticCategory.Error)
    .map((d) => ({
      line: d.start === undefined ? 1 : source.getLineAndCharacterOfPosition(d.start).line + 1,
      message: tsc.flattenDiagnosticMessageText(d.messageText, ' '),
      code: d.code,
    }));
}
