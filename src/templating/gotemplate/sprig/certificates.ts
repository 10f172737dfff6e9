import { createHash, createPublicKey, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import * as der from '../der.js';
import type { FuncMap } from '../func-map.js';
import { checkDeadline } from '../render-budget.js';
import { typeName, type GoValue } from '../value.js';
import { asInt, asString } from './arguments.js';
import { generatePrivateKey, newKey, parsePrivateKeyPem, pemForKey, type PrivateKey } from './private-keys.js';

/** Certificates as sprig builds them: x509's layout, in Go's order, with Go's error texts. */

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
      ? [
          extension(
            OID.subjectAltName,
            false,
            der.sequence(...request.dnsNames.map((name) => der.implicit(2, Buffer.from(name))), ...request.ips.map((ip) => der.implicit(7, ip))),
          ),
        ]
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
  if (typeof value !== 'object' || value === null || !(CERTIFICATE in value))
    throw new Error(`wrong type for value; expected sprig.certificate; got ${typeName(value)}`);
  const ca = value as Certificate;
  const cert = parseCertificatePem(ca.Cert, 'decodedSignerCert.Bytes');
  try {
    return { cert, key: parsePrivateKeyPem(ca.Key) };
  } catch (error) {
    throw new Error(`error parsing private key: ${(error as Error).message}`, { cause: error });
  }
}

const caRequest = (cn: GoValue, days: GoValue): CertificateRequest => ({ cn: asString(cn), ips: [], dnsNames: [], days: asInt(days), isCA: true });
const leafRequest = (cn: GoValue, ips: GoValue, dns: GoValue, days: GoValue): CertificateRequest => ({
  cn: asString(cn),
  ips: netIps(ips),
  dnsNames: alternateDns(dns),
  days: asInt(days),
  isCA: false,
});

/** Sprig's private key and certificate functions. */
export const keyAndCertificateFunctions: FuncMap = {
  genPrivateKey: (type: GoValue) => generatePrivateKey(asString(type)),
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
