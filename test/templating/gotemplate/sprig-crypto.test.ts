import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcryptjs from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { renderGoTemplateAsync } from '../../../src/templating/gotemplate/index.js';

/** Sprig's crypto helpers: fixed vectors from sprig's tests, everything random checked by round trip and by OpenSSL. */
const render = (template: string, data: Record<string, unknown> = {}) => renderGoTemplateAsync('crypto', template, data);

const openssl = (args: string[], input: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'regatta-crypto-'));
  const file = path.join(dir, 'in.pem');
  writeFileSync(file, input);
  return execFileSync('openssl', [...args, '-in', file], { encoding: 'utf8' });
};

describe('derivePassword (Master Password v3)', () => {
  it.each([
    ['1 "long"', 'ZedaFaxcZaso9*'],
    ['2 "long"', 'Fovi2@JifpTupx'],
    ['1 "maximum"', 'pf4zS1LjCg&LjhsZ7T2~'],
    ['1 "medium"', 'ZedJuz8$'],
    ['1 "basic"', 'pIS54PLs'],
    ['1 "short"', 'Zed5'],
    ['1 "pin"', '6685'],
  ])('derivePassword %s "password" "user" "example.com" = %s', async (args, expected) => {
    expect(await render(`{{ derivePassword ${args} "password" "user" "example.com" }}`)).toBe(expected);
  });

  it('names an unknown template in its output, as sprig does', async () => {
    expect(await render('{{ derivePassword 1 "huge" "p" "u" "s" }}')).toBe('cannot find password template huge');
  });

  it('takes the counter as a Go int: a float64 parameter is the wrong type', async () => {
    await expect(render('{{ derivePassword .n "long" "p" "u" "s" }}', { n: 1 })).rejects.toThrow(/expected int; got float64/);
  });
});

describe('bcrypt and htpasswd', () => {
  it("bcrypt writes Go's $2a$ cost-10 hash that verifies", async () => {
    const hash = await render('{{ bcrypt "s3cret" }}');
    expect(hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    expect(bcryptjs.compareSync('s3cret', hash)).toBe(true);
    expect(bcryptjs.compareSync('other', hash)).toBe(false);
  });

  it("bcrypt refuses passwords over 72 bytes with Go's message", async () => {
    expect(await render(`{{ bcrypt "${'x'.repeat(73)}" }}`)).toBe('failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes');
  });

  it('htpasswd writes user:bcrypt by default and {SHA} with "sha" (base64 of SHA-1, as openssl sha1 -binary computes)', async () => {
    const [user, hash] = (await render('{{ htpasswd "admin" "pw" "bcrypt" }}')).split(':');
    expect(user).toBe('admin');
    expect(bcryptjs.compareSync('pw', hash)).toBe(true);
    expect(await render('{{ htpasswd "admin" "pw" "sha" }}')).toBe('admin:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=');
  });

  it('htpasswd rejects a user name with a colon', async () => {
    expect(await render('{{ htpasswd "a:b" "pw" "sha" }}')).toBe('invalid username: a:b');
  });
});

describe('encryptAES / decryptAES', () => {
  it('round-trips, with a fresh IV each time', async () => {
    const first = await render('{{ encryptAES "secretkey" "plaintext" }}');
    const second = await render('{{ encryptAES "secretkey" "plaintext" }}');
    expect(first).not.toBe(second);
    expect(Buffer.from(first, 'base64')).toHaveLength(32);
    expect(await render('{{ encryptAES "secretkey" "plaintext" | decryptAES "secretkey" }}')).toBe('plaintext');
  });

  it('is AES-256-CBC with the password zero-padded to 32 bytes and the IV in front (OpenSSL decrypts it)', async () => {
    const encrypted = Buffer.from(await render('{{ encryptAES "k" "hello, fleet" }}'), 'base64');
    const key = Buffer.alloc(32);
    key.write('k');
    const dir = mkdtempSync(path.join(tmpdir(), 'regatta-aes-'));
    writeFileSync(path.join(dir, 'c'), encrypted.subarray(16));
    const plain = execFileSync(
      'openssl',
      ['enc', '-d', '-aes-256-cbc', '-K', key.toString('hex'), '-iv', encrypted.subarray(0, 16).toString('hex'), '-in', path.join(dir, 'c')],
      { encoding: 'utf8' },
    );
    expect(plain).toBe('hello, fleet');
  });

  it('empty in, empty out; a short ciphertext is an error, not a crash', async () => {
    expect(await render('{{ encryptAES "k" "" }}')).toBe('');
    expect(await render('{{ decryptAES "k" "" }}')).toBe('');
    await expect(render('{{ decryptAES "k" "YWJj" }}')).rejects.toThrow(/error calling decryptAES: runtime error/);
  });
});

describe('genPrivateKey', () => {
  it.each([
    ['rsa', 'RSA PRIVATE KEY', 'rsa', 4096],
    ['ecdsa', 'EC PRIVATE KEY', 'ec', undefined],
    ['ed25519', 'PRIVATE KEY', 'ed25519', undefined],
  ])('%s writes a %s block that OpenSSL loads', async (type, block, keyType, bits) => {
    const pem = await render(`{{ genPrivateKey "${type}" }}`);
    expect(pem.startsWith(`-----BEGIN ${block}-----\n`)).toBe(true);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe(keyType);
    if (bits) expect(key.asymmetricKeyDetails?.modulusLength).toBe(bits);
    if (type === 'ecdsa') expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it("dsa writes sprig's DSA PRIVATE KEY sequence (2048/256) with y = g^x mod p, which OpenSSL accepts", async () => {
    const pem = await render('{{ genPrivateKey "dsa" }}');
    expect(pem.startsWith('-----BEGIN DSA PRIVATE KEY-----\n')).toBe(true);
    const text = openssl(['dsa', '-noout', '-text'], pem);
    expect(text).toMatch(/Private-Key: \(2048 bit/);
    expect(createPrivateKey(pem).asymmetricKeyDetails?.divisorLength).toBe(256);
  });

  it('an unknown type is reported in the output', async () => {
    expect(await render('{{ genPrivateKey "foo" }}')).toBe('Unknown type foo');
  });
});

describe('certificates', () => {
  const parse = (pem: string) => new X509Certificate(pem);

  it('genCA makes a self-signed RSA CA for the given days, with its key', async () => {
    const out = await render('{{ $ca := genCA "fleet-ca" 365 }}{{ $ca.Cert }}|{{ $ca.Key }}');
    const [cert, key] = out.split('|');
    const ca = parse(cert);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=fleet-ca');
    expect(ca.issuer).toBe('CN=fleet-ca');
    expect(ca.verify(ca.publicKey)).toBe(true);
    const days = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(365);
    expect(key.startsWith('-----BEGIN RSA PRIVATE KEY-----')).toBe(true);
    expect(createPublicKey(key).export({ format: 'pem', type: 'spki' })).toBe(ca.publicKey.export({ format: 'pem', type: 'spki' }));
    const text = openssl(['x509', '-noout', '-text'], cert);
    expect(text).toMatch(/Digital Signature, Key Encipherment, Certificate Sign/);
    expect(text).toMatch(/CA:TRUE/);
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/sha256WithRSAEncryption/);
    expect(text).toMatch(/Subject Key Identifier/);
  });

  it('genSignedCert issues a leaf with SANs that OpenSSL verifies against the CA', async () => {
    const out = await render(
      '{{ $ca := genCA "fleet-ca" 30 }}{{ $c := genSignedCert "api.fleet" (list "10.0.0.1" "::1") (list "api.fleet" "api") 7 $ca }}{{ $ca.Cert }}|{{ $c.Cert }}|{{ $c.Key }}',
    );
    const [caPem, certPem, keyPem] = out.split('|');
    const ca = parse(caPem);
    const leaf = parse(certPem);
    expect(leaf.ca).toBe(false);
    expect(leaf.subject).toBe('CN=api.fleet');
    expect(leaf.issuer).toBe('CN=fleet-ca');
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe('DNS:api.fleet, DNS:api, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(createPrivateKey(keyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const dir = mkdtempSync(path.join(tmpdir(), 'regatta-verify-'));
    writeFileSync(path.join(dir, 'ca.pem'), caPem);
    writeFileSync(path.join(dir, 'leaf.pem'), certPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'leaf.pem')], { encoding: 'utf8' })).toMatch(/OK/);
    expect(openssl(['x509', '-noout', '-text'], certPem)).toMatch(/Authority Key Identifier/);
  });

  it.each(['ecdsa', 'ed25519', 'rsa'])('the WithKey variants use a given %s key and sign with it', async (type) => {
    const out = await render(
      `{{ $k := genPrivateKey "${type}" }}{{ $ca := genCAWithKey "ca" 10 $k }}{{ $s := genSelfSignedCertWithKey "self" nil (list "self.local") 10 $k }}{{ $l := genSignedCertWithKey "leaf" nil nil 10 $ca $k }}{{ $k }}|{{ $ca.Cert }}|{{ $s.Cert }}|{{ $l.Cert }}|{{ $l.Key }}`,
    );
    const [key, caPem, selfPem, leafPem, leafKey] = out.split('|');
    const publicKey = createPublicKey(key).export({ format: 'pem', type: 'spki' });
    for (const pem of [caPem, selfPem, leafPem]) expect(parse(pem).publicKey.export({ format: 'pem', type: 'spki' })).toBe(publicKey);
    expect(parse(selfPem).verify(parse(selfPem).publicKey)).toBe(true);
    expect(parse(selfPem).subjectAltName).toBe('DNS:self.local');
    expect(parse(leafPem).checkIssued(parse(caPem))).toBe(true);
    expect(parse(leafPem).verify(parse(caPem).publicKey)).toBe(true);
    expect(createPublicKey(leafKey).export({ format: 'pem', type: 'spki' })).toBe(publicKey);
  });

  it('buildCustomCert takes base64 PEMs and feeds genSignedCert', async () => {
    const ca = await render('{{ $ca := genCA "custom" 5 }}{{ $ca.Cert | b64enc }}|{{ $ca.Key | b64enc }}');
    const [cert, key] = ca.split('|');
    const leaf = await render('{{ $ca := buildCustomCert .cert .key }}{{ (genSignedCert "x" nil nil 5 $ca).Cert }}', { cert, key });
    expect(parse(leaf).checkIssued(parse(Buffer.from(cert, 'base64').toString()))).toBe(true);
  });

  it.each([
    ['{{ buildCustomCert "!!" "" }}', 'error calling buildCustomCert: unable to decode base64 certificate'],
    ['{{ buildCustomCert (b64enc "not pem") (b64enc "x") }}', 'error calling buildCustomCert: unable to decode certificate'],
    ['{{ genCAWithKey "ca" 1 "junk" }}', 'error calling genCAWithKey: parsing private key: no PEM data in input'],
    [
      '{{ genCAWithKey "ca" 1 "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n" }}',
      'error calling genCAWithKey: parsing private key: no private key data in PEM block of type CERTIFICATE',
    ],
    ['{{ genSelfSignedCert "x" (list "not-an-ip") nil 1 }}', 'error calling genSelfSignedCert: error parsing ip: not-an-ip'],
    ['{{ genSelfSignedCert "x" (list 1) nil 1 }}', 'error calling genSelfSignedCert: error parsing ip: 1 is not a string'],
    [
      '{{ genSignedCert "x" nil nil 1 (dict "Cert" "a" "Key" "b") }}',
      'error calling genSignedCert: wrong type for value; expected sprig.certificate; got map[string]interface {}',
    ],
  ])("%s fails with Go's message", async (template, message) => {
    await expect(render(template)).rejects.toThrow(message);
  });

  it('a DSA key cannot sign a certificate, as in Go', async () => {
    await expect(render('{{ genCAWithKey "ca" 1 (genPrivateKey "dsa") }}')).rejects.toThrow(
      'error calling genCAWithKey: error creating certificate: x509: certificate private key does not implement crypto.Signer',
    );
  });
});
