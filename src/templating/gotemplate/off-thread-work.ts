import { generateKeyPair, generateKeyPairSync, scrypt, type KeyObject, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';
import bcryptjs from 'bcryptjs';

/** The private keys sprig's functions generate: genPrivateKey's kinds, and RSA-2048 for genCA and the cert functions. */
export type KeyKind = 'rsa-4096' | 'rsa-2048' | 'dsa' | 'ecdsa' | 'ed25519';

/** A pass of the engine stopped because a result must first be computed off the event loop. */
export class WorkNeeded {
  constructor(readonly what: string) {}
}

const generateKeyPairAsync = promisify(generateKeyPair);
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number, options: ScryptOptions) => Promise<Buffer>;

/** RSA and DSA take from tens of milliseconds to seconds: they run on libuv's thread pool. */
async function generateKey(kind: Exclude<KeyKind, 'ecdsa' | 'ed25519'>): Promise<KeyObject> {
  switch (kind) {
    case 'rsa-4096':
      return (await generateKeyPairAsync('rsa', { modulusLength: 4096 })).privateKey;
    case 'rsa-2048':
      return (await generateKeyPairAsync('rsa', { modulusLength: 2048 })).privateKey;
    case 'dsa':
      return (await generateKeyPairAsync('dsa', { modulusLength: 2048, divisorLength: 256 })).privateKey;
  }
}

/** At most this many jobs run at once, process-wide, so they leave thread-pool room for file and DNS work. */
const CONCURRENCY = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function withSlot<T>(task: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const SLOW_KEY_TYPES: Record<string, KeyKind> = { '': 'rsa-4096', rsa: 'rsa-4096', dsa: 'dsa' };

const KEY_REQUESTS: [RegExp, (type: string) => KeyKind | undefined][] = [
  [/\bgenPrivateKey\s+\\?["`](\w*)\\?["`]/g, (type) => (Object.hasOwn(SLOW_KEY_TYPES, type) ? SLOW_KEY_TYPES[type] : undefined)],
  [/\bgen(?:CA|SelfSignedCert|SignedCert)\b/g, () => 'rsa-2048'],
];

/** How many RSA and DSA keys a template's text asks for in plain sight (genPrivateKey with a literal type, genCA, …). */
function countKeyRequests(text: string): Map<KeyKind, number> {
  const counts = new Map<KeyKind, number>();
  for (const [pattern, kindOf] of KEY_REQUESTS) {
    for (const match of text.matchAll(pattern)) {
      const kind = kindOf(match[1]);
      if (kind) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
  }
  return counts;
}

interface Job {
  id: string;
  run: () => Promise<unknown>;
}

/**
 * What one render computes off the event loop: RSA and DSA keys, bcrypt hashes, scrypt
 * derivations. The engine is synchronous: when a pass needs a result that is not ready, it stops
 * (WorkNeeded); the render computes it and runs the pass again from the start, which gets the
 * same results in the same order. Keys and salts are random, so one made before the pass that
 * uses it is as good as one made during it; scrypt is deterministic and kept by its input.
 */
export class OffThreadWork {
  private readonly results = new Map<string, unknown>();
  private readonly calls = new Map<string, number>();
  private callsThisPass = 0;
  private missing: Job | undefined;
  private ranBefore = false;

  constructor(private readonly maxCalls: number) {}

  startPass(): void {
    this.calls.clear();
    this.callsThisPass = 0;
    this.missing = undefined;
  }

  /** The `family` call's ordinal in this pass, counted against the render's cap. */
  private nextCall(family: string): number {
    if (++this.callsThisPass > this.maxCalls) {
      throw new Error(
        `a render may make at most ${this.maxCalls} calls that generate keys or hash passwords (genPrivateKey, genCA, genSelfSignedCert, genSignedCert, bcrypt, htpasswd, derivePassword)`,
      );
    }
    const index = this.calls.get(family) ?? 0;
    this.calls.set(family, index + 1);
    return index;
  }

  private result<T>(id: string, run: () => Promise<T>): T {
    if (this.results.has(id)) return this.results.get(id) as T;
    // A pass whose hashed input changes every time (randAlpha) would ask for a new hash forever.
    if (this.results.size >= 2 * this.maxCalls)
      throw new Error(`a render may compute at most ${2 * this.maxCalls} keys and hashes over all its passes; is a hashed input random?`);
    this.missing = { id, run };
    throw new WorkNeeded(id);
  }

  key(kind: KeyKind): KeyObject {
    const id = `${kind}#${this.nextCall(kind)}`;
    if ((kind === 'ecdsa' || kind === 'ed25519') && !this.results.has(id)) {
      // Well under a millisecond: made in place.
      this.results.set(id, kind === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey : generateKeyPairSync('ed25519').privateKey);
    }
    return this.result(id, () => generateKey(kind as Exclude<KeyKind, 'ecdsa' | 'ed25519'>));
  }

  /** bcryptjs's asynchronous hash, which yields to the event loop between rounds. */
  bcrypt(input: string, salt: () => string): string {
    const id = `bcrypt#${this.nextCall('bcrypt')}\u0000${input}`;
    return this.result(id, () => bcryptjs.hash(input, salt()));
  }

  /** node:crypto's scrypt, on the thread pool. */
  scrypt(password: string, salt: Buffer, length: number, options: ScryptOptions): Buffer {
    this.nextCall('scrypt');
    const id = `scrypt\u0000${password}\u0000${salt.toString('base64')}\u0000${length}\u0000${JSON.stringify(options)}`;
    return this.result(id, () => scryptAsync(password, salt, length, options));
  }

  /**
   * Computes what the last pass stopped for. The first time, also every RSA and DSA key the
   * template's text visibly asks for (within the cap), in parallel, so most renders take two passes.
   */
  async run(templateText: () => string): Promise<void> {
    const jobs: Job[] = this.missing ? [this.missing] : [];
    if (!this.ranBefore) {
      this.ranBefore = true;
      let room = this.maxCalls - jobs.length;
      for (const [kind, count] of countKeyRequests(templateText())) {
        for (let index = 0; index < count && room > 0; index++) {
          const id = `${kind}#${index}`;
          if (this.results.has(id) || jobs.some((job) => job.id === id)) continue;
          jobs.push({ id, run: () => generateKey(kind as Exclude<KeyKind, 'ecdsa' | 'ed25519'>) });
          room--;
        }
      }
    }
    await Promise.all(jobs.map(async (job) => this.results.set(job.id, await withSlot(job.run))));
  }
}
