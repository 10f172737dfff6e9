import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { render } from '../../../src/templating/render.js';

/** The longest the event loop was held while `work` ran, in milliseconds. */
async function longestStall<T>(work: () => Promise<T> | T): Promise<{ result: T; stallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  // Let the monitor's timer start before the work.
  await new Promise((resolve) => setTimeout(resolve, 30));
  try {
    const result = await work();
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { result, stallMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}

describe('the event loop keeps turning while templates render', () => {
  it('the measurement sees a synchronous RSA-4096 generation hold the loop', async () => {
    const { stallMs } = await longestStall(() => generateKeyPairSync('rsa', { modulusLength: 4096 }));
    expect(stallMs).toBeGreaterThan(100);
  });

  it('a template asking for RSA-4096 and DSA keys, a CA, a password hash and a catastrophic regex holds it under 500 ms', async () => {
    const template = {
      metadata: { name: '{{ .name }}' },
      spec: {
        keys: '{{ genPrivateKey "rsa" }}|{{ genPrivateKey "rsa" }}|{{ genPrivateKey "rsa" }}|{{ genPrivateKey "dsa" }}|{{ genPrivateKey "dsa" }}',
        ca: '{{ (genCA "fleet" 30).Cert }}',
        password: '{{ bcrypt "s3cret" }}',
        derived: '{{ derivePassword 1 "long" "password" "user" "example.com" }}',
        match: '{{ regexMatch "^(a|aa)+$" .text }}',
      },
    };
    const { result, stallMs } = await longestStall(() => render(template, { name: 'app', text: `${'a'.repeat(20_000)}b` }, { goTemplate: true }));
    const keys = result.spec.keys.split('|');
    expect(keys.map((pem) => createPrivateKey(pem).asymmetricKeyType)).toEqual(['rsa', 'rsa', 'rsa', 'dsa', 'dsa']);
    expect(new Set(keys).size).toBe(5);
    expect(result.spec.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(result.spec.password).toMatch(/^\$2a\$10\$/);
    expect(result.spec.derived).toBe('ZedaFaxcZaso9*');
    expect(result.spec.match).toBe('false');
    expect(stallMs).toBeLessThan(500);
  }, 60_000);
});
