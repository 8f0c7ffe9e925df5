// A real S3-protocol server on 127.0.0.1 (the npm package s3rver, pure JS), for the team index.

import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

export interface S3Server {
  endpoint: string;
  /** The environment a CI job or a laptop sets to reach it (s3rver's fixed keys). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** s3rver with the bucket `bucket`, its objects as files under `directory`. */
export async function startS3Server(directory: string, bucket = 'team'): Promise<S3Server> {
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return { endpoint, env: s3Env(endpoint), close: () => server.close() };
}

export function s3Env(endpoint: string): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint, AWS_ALLOW_HTTP: 'true' };
}

/**
 * A read-only bucket policy in front of `upstream`: reads pass through, every write is answered
 * 403 AccessDenied as S3 answers it (s3rver itself has no policies).
 */
export async function startReadOnlyProxy(upstream: string): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const target = new URL(upstream);
  const proxy = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      return;
    }
    const forward = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { proxy.closeAllConnections(); proxy.close(() => resolve()); }),
  };
}
