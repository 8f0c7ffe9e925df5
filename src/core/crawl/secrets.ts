// Files that commonly hold credentials. They are never read or indexed unless `indexSecrets` is set:
// an embedding index is a copy of the text, and it can end up in places the workspace never goes.
// Reference: the file signatures of gitrob (michenriksen/gitrob, core/signatures.go), less the
// ones that name ordinary code or documents (`settings.py`, any path with "password" in it, logs),
// plus the credential stores of tools it predates (gcloud, cargo, gh, Vault, Composer, Maven).
// The README's "What is and is not indexed" lists them for users.

/** `.env*` files that hold placeholders by convention, not secrets. */
const ENV_TEMPLATES = new Set(['.env.example', '.env.sample', '.env.template']);

const SECRET_NAMES = new Set([
  // package registries, git, HTTP and database logins
  '.npmrc', '.pypirc', '.netrc', '_netrc', '.git-credentials', '.htpasswd', '.pgpass', '.dockercfg',
  // cloud and service tools: s3cmd, boto/gsutil, gcloud, Vault, Google API client tokens, kubectl
  '.s3cfg', '.boto', 'application_default_credentials.json', '.vault-token', 'token.json', 'kubeconfig',
  // Jenkins, Sublime SFTP, Rails, Pidgin OTR
  'credentials.xml', 'sftp-config.json', 'secret_token.rb', 'otr.private_key',
  // shell and database client histories: passwords typed on command lines
  '.bash_history', '.zsh_history', '.sh_history', '.history', '.mysql_history', '.psql_history', '.irb_history', '.python_history', '.node_repl_history',
]);

const SECRET_EXTENSIONS = new Set([
  '.pem', '.key', '.p12', '.pfx', '.pkcs12', '.jks', '.keystore', '.ppk', '.p8', '.tfvars', '.tfstate',
  // kubectl configurations, OpenVPN profiles (they embed the client key), password databases
  '.kubeconfig', '.ovpn', '.kdb', '.kdbx', '.psafe3', '.keychain',
]);

const SECRET_SUFFIXES = ['.tfvars.json', '.tfstate.backup'] as const;

/** Private (and, harmlessly, public) SSH keys. */
const SSH_KEY_PREFIXES = ['id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519'] as const;

/** Directories whose every file is sensitive. */
const SECRET_DIR = /(^|[/\\])\.(ssh|gnupg)[/\\]/i;

/** Path endings (at any depth) that are credential stores of well-known tools. */
const SECRET_PATHS = [
  '.aws/credentials', '.docker/config.json', '.kube/config', '.gem/credentials', '.cargo/credentials',
  '.cargo/credentials.toml', 'config/database.yml', '.config/gh/hosts.yml', '.config/hub', 'doctl/config.yaml',
  '.azure/accessTokens.json', '.azure/msal_token_cache.json', '.composer/auth.json', '.m2/settings.xml',
  '.m2/settings-security.xml',
].map((end) => end.toLowerCase());
const SECRET_PATH_NAMES = new Set(SECRET_PATHS.map((end) => end.slice(end.lastIndexOf('/') + 1)));

const STRUCTURED = /\.(json|ya?ml|toml|env)$/;

/**
 * Whether a (workspace-relative) path names a file that likely holds secrets. Case-insensitive.
 * `.env` and every `.env.*` / `.env*` file (`.envrc`, `.env.local`, `.env.production`) count,
 * except `.env.example`, `.env.sample` and `.env.template`.
 */
export function isSecretPath(path: string): boolean {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const name = path.slice(slash + 1).toLowerCase();
  if (name.startsWith('.env')) return !ENV_TEMPLATES.has(name);
  if (SECRET_NAMES.has(name)) return true;
  const dot = name.lastIndexOf('.');
  if (dot !== -1 && SECRET_EXTENSIONS.has(name.slice(dot))) return true;
  if (SECRET_SUFFIXES.some((suffix) => name.endsWith(suffix))) return true;
  if (SSH_KEY_PREFIXES.some((prefix) => name.startsWith(prefix))) return true;
  if (name.endsWith('.json') && (name.startsWith('credentials') || name.startsWith('service-account'))) return true;
  if (name.includes('secret') && STRUCTURED.test(name)) return true;
  if (SECRET_DIR.test(path)) return true;
  if (!SECRET_PATH_NAMES.has(name)) return false;
  const normalized = path.replaceAll('\\', '/').toLowerCase();
  return SECRET_PATHS.some((end) => normalized === end || normalized.endsWith(`/${end}`));
}
