import { createPrivateKey, type KeyObject } from 'node:crypto';
import * as der from '../der.js';
import type { KeyKind, OffThreadWork } from '../off-thread-work.js';
import { activeBudget } from '../render-budget.js';

/** Private keys as sprig generates, writes and reads them: Go's PEM formats and error texts. */

export type PrivateKey = { kind: 'rsa' | 'ecdsa' | 'ed25519'; key: KeyObject } | { kind: 'dsa'; p: bigint; q: bigint; g: bigint; y: bigint; x: bigint };

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
export function offThread(): OffThreadWork {
  const budget = activeBudget();
  if (!budget) throw new Error('generating keys and hashes needs a render (renderGoTemplateAsync)');
  return budget.offThread;
}

export const newKey = (kind: KeyKind): KeyObject => offThread().key(kind);

export function generatePrivateKey(type: string): string {
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
export function pemForKey(priv: PrivateKey): string {
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

export function parsePrivateKeyPem(text: string): PrivateKey {
  const block = der.pemDecode(text);
  if (!block) throw new Error('no PEM data in input');
  const load = (type: 'pkcs1' | 'pkcs8' | 'sec1', failure: string): KeyObject => {
    try {
      return createPrivateKey({ key: block.der, format: 'der', type });
    } catch {
      throw new Error(failure);
    }
  };
  if (block.type === 'PRIVATE KEY')
    return keyFromObject(load('pkcs8', 'decoding PEM as PKCS#8: x509: failed to parse private key'), 'decoding PEM as PKCS#8: ');
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
