import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import bcryptjs from 'bcryptjs';
import * as der from './der.js';
import type { FuncMap } from './func-map.js';
import type { KeyKind, OffThreadWork } from './off-thread-work.js';
import { activeBudget, checkDeadline } from './render-budget.js';
import { asInt, asString } from './sprig.js';
import { typeName, type GoValue } from './value.js';

/**
 * Sprig's crypto helpers with Go's key formats, certificate layout and error texts. Most of them
 * are random on every call, so an Application that uses them changes on every reconcile, as it
 * would in Argo CD.
 */

type PrivateKey =
  | { kind: 'rsa' | 'ecdsa' | 'ed25519'; key: KeyObject }
  | { kind: 'dsa'; p: bigint; q: bigint; g: bigint; y: bigint; x: bigint };

const CERTIFICATE = Symbol('sprig.certificate');
type Certificate = { Cert: string; Key: string; [CERTIFICATE]?: true };

function certificate(cert: string, key: string): Certificate {
  return Object.defineProperty({ Cert: cert, Key: key }, CERTIFICATE, { value: true, enumerable: false });
}

const OID = {
  commonName: '2.5.4.3',
  dsa: '1.2.840.10040.4.1',
  rsaWithSha256: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** The running render's off-thread results: slow keys and hashes are made off the event loop. */
function offThread(): OffThreadWork {
  const budget = activeBudget();
  if (!budget) throw new Error('generating keys and hashes needs a render (renderGoTemplateAsync)');
  return budget.offThread;
}

const newKey = (kind: KeyKind): KeyObject => offThread().key(kind);

function generatePrivateKey(type: string): string {
  switch (type) {
    case '':
    case 'rsa':
      return pemForKey({ kind: 'rsa', key: newKey('rsa-4096') });
    case 'ecdsa':
      return pemForKey({ kind: 'ecdsa', key: newKey('ecdsa') });
    case 'ed25519':
      return pemForKey({ kind: 'ed25519', key: newKey('ed25519') });
    case 'dsa': {
      const pkcs8 = newKey('dsa').export({ type: 'pkcs8', format: 'der' });
      const [, algorithm, privateKey] = der.children(der.readElement(pkcs8));
      const [p, q, g] = der.children(der.children(algorithm)[1]).map(der.readInteger);
      const x = der.readInteger(der.readElement(privateKey.content));
      return pemForKey({ kind: 'dsa', p, q, g, x, y: modPow(g, x, p) });
    }
    default:
      return `Unknown type ${type}`;
  }
}

/** Go's pemBlockForKey: PKCS#1 for RSA, SEC 1 for EC, sprig's own sequence for DSA, PKCS#8 otherwise. */
function pemForKey(priv: PrivateKey): string {
  switch (priv.kind) {
    case 'rsa':
      return priv.key.export({ type: 'pkcs1', format: 'pem' }) as string;
    case 'ecdsa':
      return priv.key.export({ type: 'sec1', format: 'pem' }) as string;
    case 'ed25519':
      return priv.key.export({ type: 'pkcs8', format: 'pem' }) as string;
    case 'dsa':
      return der.pemEncode('DSA PRIVATE KEY', der.sequence(...[0n, priv.p, priv.q, priv.g, priv.y, priv.x].map(der.integer)));
  }
}

/** Signing costs the cube of the modulus length: a 32768-bit key would hold the event loop for seconds. */
const MAX_RSA_BITS = 16384;

function boundedRsa(key: KeyObject): KeyObject {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits > MAX_RSA_BITS) throw new Error(`RSA key of ${bits} bits is larger than the ${MAX_RSA_BITS} bits a template may sign with`);
  return key;
}

function keyFromObject(key: KeyObject, wrapping: string): PrivateKey {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { kind: 'rsa', key: boundedRsa(key) };
    case 'ec':
      return { kind: 'ecdsa', key };
    case 'ed25519':
      return { kind: 'ed25519', key };
    default:
      throw new Error(`${wrapping}x509: PKCS#8 wrapping contained private key with unknown algorithm`);
  }
}

function parsePrivateKeyPem(text: string): PrivateKey {
  const block = der.pemDecode(text);
  if (!block) throw new Error('no PEM data in input');
  const load = (type: 'pkcs1' | 'pkcs8' | 'sec1', failure: string): KeyObject => {
    try {
      return createPrivateKey({ key: block.der, format: 'der', type });
    } catch {
      throw new Error(failure);
    }
  };
  if (block.type === 'PRIVATE KEY') return keyFromObject(load('pkcs8', 'decoding PEM as PKCS#8: x509: failed to parse private key'), 'decoding PEM as PKCS#8: ');
  if (!block.type.endsWith(' PRIVATE KEY')) throw new Error(`no private key data in PEM block of type ${block.type}`);
  switch (block.type.slice(0, -' PRIVATE KEY'.length)) {
    case 'RSA':
      return { kind: 'rsa', key: boundedRsa(load('pkcs1', 'parsing RSA private key from PEM: x509: failed to parse private key')) };
    case 'EC':
      return { kind: 'ecdsa', key: load('sec1', 'parsing EC private key from PEM: x509: failed to parse EC private key') };
    case 'DSA':
      try {
        const [, p, q, g, y, x] = der.children(der.readElement(block.der)).map(der.readInteger);
        if (x === undefined) throw new Error('short');
        return { kind: 'dsa', p, q, g, y, x };
      } catch {
        throw new Error('parsing DSA private key from PEM: asn1: syntax error: sequence truncated');
      }
    default:
      throw new Error(`invalid private key type ${block.type}`);
  }
}

function parseCertificatePem(text: string, what: string): { subject: Buffer; subjectKeyId?: Buffer; publicKeyInfo: Buffer } {
  const block = der.pemDecode(text);
  if (!block) throw new Error('unable to decode certificate');
  try {
    const [tbs] = der.children(der.readElement(block.der));
    const fields = der.children(tbs);
    const offset = fields[0].tag === 0xa0 ? 1 : 0;
    const subject = fields[offset + 4].raw;
    const publicKeyInfo = fields[offset + 5].raw;
    const extensions = fields.find((field) => field.tag === 0xa3);
    let subjectKeyId: Buffer | undefined;
    for (const extension of extensions ? der.children(der.children(extensions)[0]) : []) {
      const parts = der.children(extension);
      if (der.readOid(parts[0]) === OID.subjectKeyId) subjectKeyId = der.readElement(parts.at(-1)!.content).content;
    }
    return { subject, subjectKeyId, publicKeyInfo };
  } catch (error) {
    throw new Error(`error parsing certificate: ${what}: x509: malformed certificate (${(error as Error).message})`, { cause: error });
  }
}

function publicKeyInfo(priv: PrivateKey): Buffer {
  if (priv.kind === 'dsa') throw new Error('x509: unsupported public key type: *dsa.PublicKey');
  return createPublicKey(priv.key).export({ type: 'spki', format: 'der' });
}

function signingAlgorithm(priv: Exclude<PrivateKey, { kind: 'dsa' }>): { oid: Buffer; hash: string | null } {
  if (priv.kind === 'rsa') return { oid: der.sequence(der.oid(OID.rsaWithSha256), der.nullValue()), hash: 'sha256' };
  if (priv.kind === 'ed25519') return { oid: der.sequence(der.oid(OID.ed25519)), hash: null };
  const curve = priv.key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return { oid: der.sequence(der.oid(OID.ecdsaWithSha384)), hash: 'sha384' };
  if (curve === 'secp521r1') return { oid: der.sequence(der.oid(OID.ecdsaWithSha512)), hash: 'sha512' };
  return { oid: der.sequence(der.oid(OID.ecdsaWithSha256)), hash: 'sha256' };
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const mapped = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  let text = ip;
  if (mapped) {
    const v4 = mapped[2].split('.').map(Number);
    text = `${mapped[1]}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  // Go's marshalSANs writes IPv4-mapped addresses as four bytes.
  return bytes.subarray(0, 12).equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])) ? bytes.subarray(12) : bytes;
}

function stringList(value: GoValue, describe: (item: GoValue) => string): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`wrong type for value; expected []interface {}; got ${typeName(value)}`);
  return value.map((item) => {
    if (typeof item !== 'string') throw new Error(describe(item));
    return item;
  });
}

function netIps(value: GoValue): Buffer[] {
  return stringList(value, (item) => `error parsing ip: ${String(item)} is not a string`).map((ip) => {
    if (!isIP(ip)) throw new Error(`error parsing ip: ${ip}`);
    return ipBytes(ip);
  });
}

function alternateDns(value: GoValue): string[] {
  return stringList(value, (item) => `error processing alternate dns name: ${String(item)} is not a string`);
}

interface CertificateRequest {
  cn: string;
  ips: Buffer[];
  dnsNames: string[];
  days: number;
  isCA: boolean;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.oid(id), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

/** x509.CreateCertificate with sprig's template: what Go puts in a certificate, in Go's order. */
function createCertificate(request: CertificateRequest, signee: PrivateKey, signer: PrivateKey, parent?: ReturnType<typeof parseCertificatePem>): string {
  if (signer.kind === 'dsa') throw new Error('x509: certificate private key does not implement crypto.Signer');
  const spki = publicKeyInfo(signee);
  const subject = der.sequence(...(request.cn ? [der.set(der.sequence(der.oid(OID.commonName), der.directoryString(request.cn)))] : []));
  if (parent && !publicKeyInfo(signer).equals(parent.publicKeyInfo)) throw new Error("x509: provided PrivateKey doesn't match parent's PublicKey");
  const issuer = parent ? parent.subject : subject;
  const publicKeyBits = der.children(der.readElement(spki))[1].content.subarray(1);
  const subjectKeyId = request.isCA ? createHash('sha256').update(publicKeyBits).digest().subarray(0, 20) : undefined;
  const authorityKeyId = parent && !parent.subject.equals(subject) ? parent.subjectKeyId : undefined;
  const now = new Date();
  const extensions = [
    extension(OID.keyUsage, true, request.isCA ? der.bitString(Buffer.from([0xa4]), 2) : der.bitString(Buffer.from([0xa0]), 5)),
    extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth), der.oid(OID.clientAuth))),
    extension(OID.basicConstraints, true, request.isCA ? der.sequence(der.boolean(true)) : der.sequence()),
    ...(subjectKeyId ? [extension(OID.subjectKeyId, false, der.octetString(subjectKeyId))] : []),
    ...(authorityKeyId ? [extension(OID.authorityKeyId, false, der.sequence(der.implicit(0, authorityKeyId)))] : []),
    ...(request.dnsNames.length || request.ips.length
      ? [extension(OID.subjectAltName, false, der.sequence(...request.dnsNames.map((name) => der.implicit(2, Buffer.from(name))), ...request.ips.map((ip) => der.implicit(7, ip))))]
      : []),
  ];
  const algorithm = signingAlgorithm(signer);
  const tbs = der.sequence(
    der.explicit(0, der.integer(2n)),
    der.integer(BigInt(`0x${randomBytes(16).toString('hex')}`)),
    algorithm.oid,
    issuer,
    der.sequence(der.time(now), der.time(new Date(now.getTime() + request.days * 86_400_000))),
    subject,
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign(algorithm.hash, tbs, signer.key);
  checkDeadline();
  return der.pemEncode('CERTIFICATE', der.sequence(tbs, algorithm.oid, der.bitString(signature)));
}

function issue(request: CertificateRequest, signee: PrivateKey, signer = signee, parent?: ReturnType<typeof parseCertificatePem>): Certificate {
  try {
    return certificate(createCertificate(request, signee, signer, parent), pemForKey(signee));
  } catch (error) {
    throw new Error(`error creating certificate: ${(error as Error).message}`, { cause: error });
  }
}

const rsa2048 = (): PrivateKey => ({ kind: 'rsa', key: newKey('rsa-2048') });

function keyArgument(pem: GoValue): PrivateKey {
  try {
    return parsePrivateKeyPem(asString(pem));
  } catch (error) {
    throw new Error(`parsing private key: ${(error as Error).message}`, { cause: error });
  }
}

function caArgument(value: GoValue): { cert: ReturnType<typeof parseCertificatePem>; key: PrivateKey } {
  if (typeof value !== 'object' || value === null || !(CERTIFICATE in value)) throw new Error(`wrong type for value; expected sprig.certificate; got ${typeName(value)}`);
  const ca = value as Certificate;
  const cert = parseCertificatePem(ca.Cert, 'decodedSignerCert.Bytes');
  try {
    return { cert, key: parsePrivateKeyPem(ca.Key) };
  } catch (error) {
    throw new Error(`error parsing private key: ${(error as Error).message}`, { cause: error });
  }
}

const caRequest = (cn: GoValue, days: GoValue): CertificateRequest => ({ cn: asString(cn), ips: [], dnsNames: [], days: asInt(days), isCA: true });
const leafRequest = (cn: GoValue, ips: GoValue, dns: GoValue, days: GoValue): CertificateRequest => ({ cn: asString(cn), ips: netIps(ips), dnsNames: alternateDns(dns), days: asInt(days), isCA: false });

function bcrypt(input: string): string {
  if (Buffer.byteLength(input) > 72) return 'failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes';
  // Go's bcrypt writes the $2a$ prefix; the algorithm is the same.
  return offThread()
    .bcrypt(input, () => bcryptjs.genSaltSync(10).replace(/^\$2b\$/, '$2a$'))
    .replace(/^\$2b\$/, '$2a$');
}

const PASSWORD_TEMPLATES: Record<string, string[]> = {
  maximum: ['anoxxxxxxxxxxxxxxxxx', 'axxxxxxxxxxxxxxxxxno'],
  long: [
    'CvcvnoCvcvCvcv', 'CvcvCvcvnoCvcv', 'CvcvCvcvCvcvno', 'CvccnoCvcvCvcv', 'CvccCvcvnoCvcv', 'CvccCvcvCvcvno', 'CvcvnoCvccCvcv',
    'CvcvCvccnoCvcv', 'CvcvCvccCvcvno', 'CvcvnoCvcvCvcc', 'CvcvCvcvnoCvcc', 'CvcvCvcvCvccno', 'CvccnoCvccCvcv', 'CvccCvccnoCvcv',
    'CvccCvccCvcvno', 'CvcvnoCvccCvcc', 'CvcvCvccnoCvcc', 'CvcvCvccCvccno', 'CvccnoCvcvCvcc', 'CvccCvcvnoCvcc', 'CvccCvcvCvccno',
  ],
  medium: ['CvcnoCvc', 'CvcCvcno'],
  short: ['Cvcn'],
  basic: ['aaanaaan', 'aannaaan', 'aaannaaa'],
  pin: ['nnnn'],
};

const PASSWORD_CHARACTERS: Record<string, string> = {
  V: 'AEIOU',
  C: 'BCDFGHJKLMNPQRSTVWXYZ',
  v: 'aeiou',
  c: 'bcdfghjklmnpqrstvwxyz',
  A: 'AEIOUBCDFGHJKLMNPQRSTVWXYZ',
  a: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz',
  n: '0123456789',
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()',
};

/** The Master Password algorithm (v3) that sprig's derivePassword implements. */
function derivePassword(counter: number, type: string, password: string, user: string, site: string): string {
  const templates = PASSWORD_TEMPLATES[type];
  if (!templates) return `cannot find password template ${type}`;
  const seed = 'com.lyndir.masterpassword';
  const lengthOf = (text: string) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(Buffer.byteLength(text));
    return bytes;
  };
  const salt = Buffer.concat([Buffer.from(seed), lengthOf(user), Buffer.from(user)]);
  const key = offThread().scrypt(password, salt, 64, { N: 32768, r: 8, p: 2, maxmem: 64 * 1024 * 1024 });
  const counterBytes = Buffer.alloc(4);
  counterBytes.writeUInt32BE(counter >>> 0);
  const siteSeed = createHmac('sha256', key).update(Buffer.concat([Buffer.from(seed), lengthOf(site), Buffer.from(site), counterBytes])).digest();
  const template = templates[siteSeed[0] % templates.length];
  return [...template].map((kind, i) => PASSWORD_CHARACTERS[kind][siteSeed[i + 1] % PASSWORD_CHARACTERS[kind].length]).join('');
}

function aesKey(password: string): Buffer {
  const key = Buffer.alloc(32);
  Buffer.from(password).copy(key);
  return key;
}

function encryptAES(password: string, plaintext: string): string {
  if (plaintext === '') return '';
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', aesKey(password), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

function decryptAES(password: string, encrypted: string): string {
  if (encrypted === '') return '';
  const data = Buffer.from(encrypted, 'base64');
  if (data.toString('base64').replace(/=+$/, '') !== encrypted.replace(/=+$/, '')) throw new Error('illegal base64 data at input byte 0');
  if (data.length < 16) throw new Error(`runtime error: slice bounds out of range [:16] with capacity ${data.length}`);
  if ((data.length - 16) % 16 !== 0) throw new Error('crypto/cipher: input not full blocks');
  if (data.length === 16) throw new Error('runtime error: index out of range [-1]');
  const decipher = createDecipheriv('aes-256-cbc', aesKey(password), data.subarray(0, 16)).setAutoPadding(false);
  const decrypted = Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
  // Like sprig, trust the last byte as the pad length without checking the padding.
  const end = decrypted.length - decrypted[decrypted.length - 1];
  if (end < 0) throw new Error(`runtime error: slice bounds out of range [:${end}]`);
  return decrypted.subarray(0, end).toString('utf8');
}

export const sprigCryptoFunctions: FuncMap = {
  bcrypt: (s: GoValue) => bcrypt(asString(s)),
  htpasswd: (user: GoValue, password: GoValue, algorithm: GoValue) => {
    const name = asString(user);
    if (name.includes(':')) return `invalid username: ${name}`;
    if (asString(algorithm) === 'sha') return `${name}:{SHA}${createHash('sha1').update(asString(password)).digest('base64')}`;
    return `${name}:${bcrypt(asString(password))}`;
  },
  genPrivateKey: (type: GoValue) => generatePrivateKey(asString(type)),
  derivePassword: (counter: GoValue, type: GoValue, password: GoValue, user: GoValue, site: GoValue) =>
    derivePassword(asInt(counter), asString(type), asString(password), asString(user), asString(site)),
  encryptAES: (password: GoValue, plaintext: GoValue) => encryptAES(asString(password), asString(plaintext)),
  decryptAES: (password: GoValue, encrypted: GoValue) => decryptAES(asString(password), asString(encrypted)),
  buildCustomCert: (b64cert: GoValue, b64key: GoValue) => {
    const decode = (value: GoValue, what: string) => {
      const text = asString(value);
      const bytes = Buffer.from(text, 'base64');
      if (bytes.toString('base64') !== text) throw new Error(`unable to decode base64 ${what}`);
      return bytes.toString('utf8');
    };
    const cert = decode(b64cert, 'certificate');
    const key = decode(b64key, 'private key');
    parseCertificatePem(cert, 'decodedCert.Bytes');
    try {
      parsePrivateKeyPem(key);
    } catch (error) {
      throw new Error(`error parsing private key: ${(error as Error).message}`, { cause: error });
    }
    return certificate(cert, key);
  },
  genCA: (cn: GoValue, days: GoValue) => issue(caRequest(cn, days), rsa2048()),
  genCAWithKey: (cn: GoValue, days: GoValue, key: GoValue) => {
    const request = caRequest(cn, days);
    return issue(request, keyArgument(key));
  },
  genSelfSignedCert: (cn: GoValue, ips: GoValue, dns: GoValue, days: GoValue) => issue(leafRequest(cn, ips, dns, days), rsa2048()),
  genSelfSignedCertWithKey: (cn: GoValue, ips: GoValue, dns: GoValue, days: GoValue, key: GoValue) => {
    const request = leafRequest(cn, ips, dns, days);
    return issue(request, keyArgument(key));
  },
  genSignedCert: (cn: GoValue, ips: GoValue, dns: GoValue, days: GoValue, ca: GoValue) => {
    const signer = caArgument(ca);
    return issue(leafRequest(cn, ips, dns, days), rsa2048(), signer.key, signer.cert);
  },
  genSignedCertWithKey: (cn: GoValue, ips: GoValue, dns: GoValue, days: GoValue, ca: GoValue, key: GoValue) => {
    const signer = caArgument(ca);
    const request = leafRequest(cn, ips, dns, days);
    return issue(request, keyArgument(key), signer.key, signer.cert);
  },
};
