// An index on object storage (a team's shared index): `s3://bucket/prefix`, `gs://…`, `az://…`.
// Such a location is a URI handed to LanceDB as it is, never a path; the storage options (keys,
// endpoint, region) come from the standard environment variables, never from settings.

import { messageOf, UserError } from './errors.js';

/** The schemes LanceDB's object store speaks (s3 is the one our tests run against). */
const SCHEMES = ['s3', 'gs', 'az'] as const;

/**
 * Timeouts and retries for every object-store request: without them a server that has gone away
 * keeps a query retrying for minutes (LanceDB's defaults: 10 retries within 180 s). Each can be
 * overridden with --storage-option.
 */
const DEFAULT_OPTIONS: Record<string, string> = { connect_timeout: '5s', timeout: '60s', client_max_retries: '2', client_retry_timeout: '10' };

/** Storage options that are secrets: accepted only from the environment, never from a flag or a setting. */
const SECRET_OPTION = /key|secret|token|password|sas|credential/i;

/** `scheme://…` with a scheme of two letters or more, so a Windows path (`C:\…`, `C:/…`) is never one. */
export function isStorageUri(location: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(location);
}

/** The URI as LanceDB takes it: a known scheme, a bucket, no trailing slash. */
export function checkStorageUri(uri: string): string {
  const scheme = uri.slice(0, uri.indexOf(':')).toLowerCase();
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new UserError(`${uri} is not a storage location CodeIntent can use: give a folder, or s3://bucket/prefix (also gs:// or az://)`);
  }
  const rest = uri.slice(scheme.length + 3).replace(/\/+$/, '');
  if (rest === '' || rest.startsWith('/')) throw new UserError(`${uri} names no bucket: write it as ${scheme}://bucket/prefix`);
  return `${scheme}://${rest}`;
}

/**
 * `KEY=VALUE` pairs of --storage-option (or the extension's setting) as options; a secret among
 * them is refused, since settings and command lines are not where keys belong.
 */
export function parseStorageOptions(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at).trim();
    if (at <= 0 || key === '') throw new UserError(`storage option ${JSON.stringify(pair)} is not KEY=VALUE (e.g. region=eu-west-1)`);
    if (SECRET_OPTION.test(key)) throw new UserError(`storage option ${key} is a secret: set it in the environment (e.g. AWS_SECRET_ACCESS_KEY), not in a flag or setting`);
    out[key] = pair.slice(at + 1);
  }
  return out;
}

/**
 * The options LanceDB connects to `uri` with: our timeouts, then the standard environment
 * variables, then `extra` (non-secret, from a flag or setting). An s3 URI without keys in the
 * environment is refused at once, rather than after LanceDB has tried the instance-metadata service.
 */
export function storageOptionsFor(uri: string, env: NodeJS.ProcessEnv, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const scheme = uri.slice(0, uri.indexOf(':')).toLowerCase();
  const options: Record<string, string> = { ...DEFAULT_OPTIONS };
  if (scheme === 's3') {
    const fromEnv: Record<string, string | undefined> = {
      aws_access_key_id: env['AWS_ACCESS_KEY_ID'],
      aws_secret_access_key: env['AWS_SECRET_ACCESS_KEY'],
      aws_session_token: env['AWS_SESSION_TOKEN'],
      aws_region: env['AWS_REGION'] || env['AWS_DEFAULT_REGION'],
      aws_endpoint: env['AWS_ENDPOINT_URL'] || env['AWS_ENDPOINT'],
      allow_http: env['AWS_ALLOW_HTTP'],
    };
    for (const [key, value] of Object.entries(fromEnv)) if (value) options[key] = value;
    // A web identity (GitHub's and GitLab's OIDC) or a container's role are credentials too.
    const otherCredentials = env['AWS_WEB_IDENTITY_TOKEN_FILE'] || env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] || env['AWS_CONTAINER_CREDENTIALS_FULL_URI'];
    if (!(options['aws_access_key_id'] && options['aws_secret_access_key']) && !otherCredentials) {
      throw new UserError(`${uri} needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for a server other than AWS)`);
    }
  }
  return { ...options, ...extra };
}

/**
 * A failure of the object store, in one line that says what to do; undefined when `error` is not
 * one. `action` is what was being done ("read", "write").
 */
export function storageFailure(uri: string, action: 'read' | 'write', error: unknown): UserError | undefined {
  const message = messageOf(error);
  const endpoint = /Error performing \w+ (https?:\/\/[^/\s]+)/.exec(message)?.[1];
  const where = endpoint ? ` (${endpoint})` : '';
  if (/NoSuchBucket/.test(message)) return new UserError(`the bucket of ${uri} does not exist${where}: check the URI and AWS_ENDPOINT_URL`);
  if (/InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|Failed to get AWS credentials/.test(message)) {
    return new UserError(`the storage server refused the credentials for ${uri}${where}: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
  }
  if (/lacked the necessary privileges|AccessDenied|403 Forbidden/.test(message)) {
    return action === 'write'
      ? new UserError(`no permission to write to ${uri}${where}: only the CI job that publishes the team index needs write access; searching needs only read access`)
      : new UserError(`no permission to read ${uri}${where}: check the credentials' access to the bucket`);
  }
  if (/error sending request|Connection refused|dns error|timed out|operation timed out/i.test(message)) {
    return new UserError(`cannot reach the storage server for ${uri}${where}: check AWS_ENDPOINT_URL and the network`);
  }
  if (/Generic \S+ error|object_store|ObjectStore/.test(message)) return new UserError(`the storage server failed for ${uri}${where}: ${firstLine(message)}`);
  return undefined;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).slice(0, 300);
}
