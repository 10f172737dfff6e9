import { timingSafeEqual } from 'node:crypto';

/** Whether `given` is the secret, compared in time independent of where they differ. */
export function sameSecret(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
