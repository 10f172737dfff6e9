import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import bcryptjs from 'bcryptjs';
import type { FuncMap } from '../func-map.js';
import type { GoValue } from '../value.js';
import { asInt, asString } from './arguments.js';
import { offThread } from './private-keys.js';

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
    'CvcvnoCvcvCvcv',
    'CvcvCvcvnoCvcv',
    'CvcvCvcvCvcvno',
    'CvccnoCvcvCvcv',
    'CvccCvcvnoCvcv',
    'CvccCvcvCvcvno',
    'CvcvnoCvccCvcv',
    'CvcvCvccnoCvcv',
    'CvcvCvccCvcvno',
    'CvcvnoCvcvCvcc',
    'CvcvCvcvnoCvcc',
    'CvcvCvcvCvccno',
    'CvccnoCvccCvcv',
    'CvccCvccnoCvcv',
    'CvccCvccCvcvno',
    'CvcvnoCvccCvcc',
    'CvcvCvccnoCvcc',
    'CvcvCvccCvccno',
    'CvccnoCvcvCvcc',
    'CvccCvcvnoCvcc',
    'CvccCvcvCvccno',
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
  const siteSeed = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(seed), lengthOf(site), Buffer.from(site), counterBytes]))
    .digest();
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

/** Sprig's password hashing (bcrypt, htpasswd), password derivation and AES encryption. */
export const passwordAndEncryptionFunctions: FuncMap = {
  bcrypt: (s: GoValue) => bcrypt(asString(s)),
  htpasswd: (user: GoValue, password: GoValue, algorithm: GoValue) => {
    const name = asString(user);
    if (name.includes(':')) return `invalid username: ${name}`;
    if (asString(algorithm) === 'sha') return `${name}:{SHA}${createHash('sha1').update(asString(password)).digest('base64')}`;
    return `${name}:${bcrypt(asString(password))}`;
  },
  derivePassword: (counter: GoValue, type: GoValue, password: GoValue, user: GoValue, site: GoValue) =>
    derivePassword(asInt(counter), asString(type), asString(password), asString(user), asString(site)),
  encryptAES: (password: GoValue, plaintext: GoValue) => encryptAES(asString(password), asString(plaintext)),
  decryptAES: (password: GoValue, encrypted: GoValue) => decryptAES(asString(password), asString(encrypted)),
};
