// Tests of src/core/llm/mask-secrets.ts. The fake credentials are assembled at run time so that
// secret scanners do not flag this file.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { SECRET_MASK, looksRandom, maskSecrets, shannonEntropy } from '../src/core/llm/mask-secrets.js';

const OPENAI_KEY = 'sk-' + 'live-' + '4f9a8b7c6d5e4f3a2b1c0d9eXyZ';
const OPENAI_PROJ = 'sk-' + 'proj-' + 'Ab3dEf6hIj9kLm2nOp5qRs8tUv';
const STRIPE_KEY = 'sk_' + 'live_' + '51Hx9aBcDeFgHiJkLmN0pQ';
const AWS_ID = 'AKIA' + 'IOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY';
const GITHUB = 'ghp_' + '1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ12';
const SLACK = 'xoxb-' + '123456789012-abcdefABCDEF';
const GOOGLE = 'AIza' + 'SyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW';
const JWT = 'eyJ' + 'hbGciOiJIUzI1NiJ9.eyJ' + 'zdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const PEM_BODY = 'MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n';
const PEM = '-----BEGIN RSA ' + 'PRIVATE KEY-----\n' + PEM_BODY + '-----END RSA PRIVATE KEY-----';

function masked(text: string): string {
  return maskSecrets(text).text;
}

describe('maskSecrets: prefixed tokens', () => {
  const cases: [string, string, string][] = [
    ['OpenAI sk-live', `const key = "${OPENAI_KEY}";`, 'api-key'],
    ['OpenAI sk-proj, unquoted in a comment', `// token: ${OPENAI_PROJ}`, 'api-key'],
    ['Stripe sk_live_', `stripe(${JSON.stringify(STRIPE_KEY)})`, 'api-key'],
    ['AWS access key id', `aws_access_key_id = ${AWS_ID}`, 'aws-access-key'],
    ['GitHub token', `curl -H "Authorization: token ${GITHUB}"`, 'github-token'],
    ['Slack token', `slack.post(${JSON.stringify(SLACK)})`, 'slack-token'],
    ['Google API key', `maps.init({k: '${GOOGLE}'})`, 'google-api-key'],
    ['JWT', `headers.Authorization = 'Bearer ' + '${JWT}'`, 'jwt'],
  ];
  for (const [name, text, kind] of cases) {
    test(name, () => {
      const r = maskSecrets(text);
      assert.ok(r.text.includes(SECRET_MASK), r.text);
      for (const secret of [OPENAI_KEY, OPENAI_PROJ, STRIPE_KEY, AWS_ID, GITHUB, SLACK, GOOGLE, JWT]) assert.ok(!r.text.includes(secret), r.text);
      assert.ok((r.kinds[kind as keyof typeof r.kinds] ?? 0) >= 1, JSON.stringify(r.kinds));
      assert.ok(r.masked >= 1);
    });
  }

  test('look-alikes without randomness are kept', () => {
    for (const text of ['const cls = "sk-spinner-fading-circle-loader";', 'task-runner-default-queue', 'const risk_level_threshold_value = 3;', 'AKIA is a prefix']) {
      assert.equal(masked(text), text);
    }
  });
});

describe('maskSecrets: private keys', () => {
  test('a PEM private key block keeps its armour, loses its body', () => {
    const text = `const key = \`${PEM}\`;\nsign(data, key);`;
    const r = maskSecrets(text);
    assert.ok(!r.text.includes('MIIEpAIBAAKCAQEA'));
    assert.ok(r.text.includes(`-----BEGIN RSA PRIVATE KEY-----${SECRET_MASK}\n\n\n-----END RSA PRIVATE KEY-----`), r.text);
    assert.equal(r.text.split('\n').length, text.split('\n').length, 'every line keeps its number');
    assert.deepEqual(r.secrets, [{ kind: 'private-key', startLine: 1, endLine: 4 }]);
    assert.ok(r.text.endsWith('sign(data, key);'));
    assert.equal(r.kinds['private-key'], 1);
  });

  test('escaped newlines inside a string literal, OpenSSH and PGP armour', () => {
    const escaped = `key = "-----BEGIN ${'PRIVATE KEY'}-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"`;
    assert.ok(!masked(escaped).includes('MIIEvQ'));
    const openssh = `-----BEGIN OPENSSH ${'PRIVATE KEY'}-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----`;
    assert.ok(!masked(openssh).includes('b3BlbnNzaC1'));
    const pgp = `-----BEGIN PGP ${'PRIVATE KEY'} BLOCK-----\nlQOYBF0A9x4BCADQ\n-----END PGP PRIVATE KEY BLOCK-----`;
    assert.ok(!masked(pgp).includes('lQOYBF0A9x4BCADQ'));
  });

  test('an unterminated block (a cut snippet) is masked to the end', () => {
    const text = `const key = \`-----BEGIN EC ${'PRIVATE KEY'}-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49`;
    const r = maskSecrets(text);
    assert.ok(!r.text.includes('MHcCAQEE'));
    assert.equal(r.kinds['private-key'], 1);
  });

  test('a key spread over concatenated string literals', () => {
    const lines = PEM.split('\n').map((l) => `  '${l}\\n' +`);
    const text = `const key =\n${lines.join('\n')}\n  '';`;
    const out = masked(text);
    assert.ok(!out.includes('MIIEpAIBAAKCAQEA') && !out.includes('VTLw7onLRnrq0'), out);
    assert.ok(out.endsWith("-----END RSA PRIVATE KEY-----\\n' +\n  '';"), out);
  });

  test('armour strings in code that checks for them stay', () => {
    const text = [
      'if !pem.starts_with("-----BEGIN ' + 'PRIVATE KEY-----") || !pem.ends_with("-----END PRIVATE KEY-----") {',
      '    return Err(invalid("expected PEM guards"));',
      '}',
      'let der = base64::decode(strip(pem))?;',
    ].join('\n');
    assert.equal(masked(text), text);
  });

  test('public keys and certificates are not secrets', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----';
    assert.ok(masked(cert).includes('-----BEGIN CERTIFICATE-----'));
  });
});

describe('maskSecrets: assignments', () => {
  test('password-like names mask any quoted value', () => {
    for (const text of [
      'password = "hunter2"',
      "const dbPassword = 'correct horse battery staple';",
      'config["password"] = "pw1"',
      '{"password": "s3cr3t!"}',
      'DB_PASS := "abc"',
      'client_secret: "not-so-secret"',
      'login(user, passwd="open sesame")',
    ]) {
      const r = maskSecrets(text);
      assert.ok(r.text.includes(`${SECRET_MASK}`), `${text} → ${r.text}`);
      assert.ok(!/hunter2|correct horse|pw1|s3cr3t|abc"|not-so-secret|open sesame/.test(r.text), `${text} → ${r.text}`);
    }
  });

  test('token/key-like names mask credential-looking values only', () => {
    assert.equal(masked('const authToken = "a8f5f167f44f4964e6c998dee827110c";').includes('a8f5f167'), false);
    assert.equal(masked('apiKey: "live_1234567890abcdef"').includes('live_1234567890abcdef'), false);
    // A lexer's tokens and labels stay.
    for (const text of [
      'const closeToken = ")";',
      'const tokenType = "identifier";',
      'label: "Enter your API key"',
      'const apiKey = "";',
      "$token = '[A-Z0-9-\\._]+';",
      '$lastToken = "separator";',
      "if (typeof password === 'string') clean(password);",
    ]) {
      assert.equal(masked(text), text);
    }
  });

  test('placeholders and references stay', () => {
    for (const text of ['password = "${DB_PASSWORD}"', 'password: "{{ vault.pw }}"', 'password = process.env.PASSWORD', 'password: string;', 'if (!password) throw new Error("password required");']) {
      assert.equal(masked(text), text);
    }
  });

  test('.env-style lines', () => {
    const env = 'export DB_PASSWORD=hunter2\nAPI_TOKEN=abc123def456\nDEBUG=true\nSECRET_KEY=None\n';
    const out = masked(env);
    assert.ok(!out.includes('hunter2') && !out.includes('abc123def456'), out);
    assert.ok(out.includes('DEBUG=true') && out.includes('SECRET_KEY=None'), out);
  });

  test('unquoted config values: key = value, key: value, key=value', () => {
    const config = ['[s3]', `secret_key = ${AWS_SECRET}`, 'db.password=Tr0ub4dor-3', 'smtp:', '  password: hunter2 # prod', `  api_key: ${'9f2c4e7a'}1b3d5f60c8`, '  - POSTGRES_PASSWORD=example', ''].join('\r\n');
    const out = masked(config);
    assert.ok(!/bPxRfiCY|Tr0ub4dor|hunter2|9f2c4e7a|example/.test(out), out);
    assert.ok(out.includes(`secret_key = ${SECRET_MASK}\r\n`) && out.includes(`  password: ${SECRET_MASK} # prod\r\n`), out);
    // Code that has the same shape keeps its types, references and calls; a short token-like word stays.
    for (const text of ['password: string', 'token: Token', 'secret: SecretStr', 'password = process.env.PASSWORD', 'token = getToken()', 'password: str = Field(...)', 'auth: required', 'password: ${DB_PASSWORD}']) {
      assert.equal(masked(text), text);
    }
  });

  test('passwords inside URLs', () => {
    const out = masked('const url = "postgres://admin:Sup3rS3cret@db.internal:5432/app";');
    assert.ok(!out.includes('Sup3rS3cret'));
    assert.ok(out.includes(`postgres://admin:${SECRET_MASK}@db.internal:5432/app`), out);
    const plain = 'fetch("https://example.com:8080/api/v1/users")';
    assert.equal(masked(plain), plain);
  });
});

describe('maskSecrets: high-entropy strings', () => {
  test('long random quoted strings are masked', () => {
    for (const value of [AWS_SECRET, 'Zk3q9XvB7mN2pL8rT4wY6cF1', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']) {
      const text = `const x = '${value}';`;
      assert.equal(masked(text), `const x = '${SECRET_MASK}';`, value);
    }
  });

  test('words, paths, versions, alphabets and short strings stay', () => {
    for (const value of [
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
      '0123456789abcdefghijklmnopqrstuvwxyz',
      'src/internal/operators/mergeMap.ts',
      '/api/v2/users/profile/settings',
      'jquery-3.6.0.min.js',
      'application/vnd.api+json',
      'MyComponentPropsV2Extended',
      'en-US',
      'short1234',
      'node_modules/.cache/babel-loader',
      'receiveEip1193Result',
      'SSHX509CertificateChain',
      'openTypeOS2FamilyClass',
    ]) {
      const text = `load("${value}")`;
      assert.equal(masked(text), text, value);
    }
  });

  test('entropy helpers', () => {
    assert.equal(shannonEntropy(''), 0);
    assert.equal(shannonEntropy('aaaa'), 0);
    assert.equal(shannonEntropy('abcd'), 2);
    assert.equal(looksRandom('Zk3q9XvB7mN2pL8rT4wY6cF1'), true);
    assert.equal(looksRandom('the_quick_brown_fox_2024'), false);
  });
});

describe('maskSecrets: the whole text', () => {
  const snippet = [
    'import boto3',
    '',
    `AWS_ACCESS_KEY_ID = "${AWS_ID}"`,
    `AWS_SECRET_ACCESS_KEY = "${AWS_SECRET}"`,
    `OPENAI = "${OPENAI_KEY}"`,
    '',
    'def upload(path, bucket):',
    '    """Upload a file to S3."""',
    '    s3 = boto3.client("s3")',
    '    return s3.upload_file(path, bucket, path)',
  ].join('\n');

  test('code around the secrets is unchanged and line numbers hold', () => {
    const r = maskSecrets(snippet);
    for (const secret of [AWS_ID, AWS_SECRET, OPENAI_KEY]) assert.ok(!r.text.includes(secret));
    assert.equal(r.masked, 3);
    assert.equal(r.text.split('\n').length, snippet.split('\n').length);
    assert.ok(r.text.includes('def upload(path, bucket):\n    """Upload a file to S3."""\n    s3 = boto3.client("s3")'));
  });

  test('idempotent, and clean code is returned as it is', () => {
    const once = maskSecrets(snippet).text;
    const twice = maskSecrets(once);
    assert.equal(twice.text, once);
    assert.equal(twice.masked, 0);
    const pemOnce = masked(PEM);
    assert.equal(maskSecrets(pemOnce).masked, 0);
    const clean = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
    assert.deepEqual(maskSecrets(clean), { text: clean, masked: 0, kinds: {}, secrets: [] });
  });
});
