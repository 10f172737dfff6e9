import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { render } from '../../../src/templating/render.js';

/**
 * Keys and password hashes are computed off the event loop: while a render waits for them, the
 * rest of the process (other reconciles, watches, probes) keeps being served. How long the loop is
 * held at most is measured in `npm run bench -- template`.
 */
describe('the event loop keeps turning while templates render', () => {
  it('timers fire between the keys, the CA and the hashes a template asks for, and the render still gets them all', async () => {
    const template = {
      metadata: { name: '{{ .name }}' },
      spec: {
        keys: '{{ genPrivateKey "rsa" }}|{{ genPrivateKey "rsa" }}|{{ genPrivateKey "dsa" }}',
        ca: '{{ (genCA "fleet" 30).Cert }}',
        password: '{{ bcrypt "s3cret" }}',
        derived: '{{ derivePassword 1 "long" "password" "user" "example.com" }}',
        match: '{{ regexMatch "^(a|aa)+$" .text }}',
      },
    };
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const rendering = render(template, { name: 'app', text: `${'a'.repeat(20_000)}b` }, { goTemplate: true });
    let finished = false;
    void rendering.finally(() => (finished = true));
    // Generated synchronously, the keys would hold the loop until the render ends: no timer would fire before it.
    const turnsWhileRendering = await new Promise<number>((resolve) => {
      const watch = setInterval(() => {
        if (turns >= 3 || finished) {
          clearInterval(watch);
          resolve(finished ? -1 : turns);
        }
      }, 1);
    });
    const result = await rendering;
    clearInterval(ticker);
    expect(turnsWhileRendering).toBeGreaterThanOrEqual(3);
    const keys = result.spec.keys.split('|');
    expect(keys.map((pem) => createPrivateKey(pem).asymmetricKeyType)).toEqual(['rsa', 'rsa', 'dsa']);
    expect(new Set(keys).size).toBe(3);
    expect(result.spec.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(result.spec.password).toMatch(/^\$2a\$10\$/);
    expect(result.spec.derived).toBe('ZedaFaxcZaso9*');
    expect(result.spec.match).toBe('false');
  }, 60_000);
});
