import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHarness } from '../support/controller-harness.js';
import { TestRepository } from '../support/git-fixtures.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * The controller's disk is not a repository host: a tenant's URL must not read `file://` paths
 * (another project's cached clone is one) nor run commands through git's `ext::` transport.
 */
let h: ControllerHarness;
let repo: TestRepository;
const scratch = mkdtempSync(join(tmpdir(), 'regatta-local-escape-'));

const gitDirectories = (name: string, repoURL: string) => ({
  metadata: { name },
  spec: {
    goTemplate: true,
    generators: [{ git: { repoURL, revision: 'main', directories: [{ path: 'apps/*' }] } }],
    template: {
      metadata: { name: `${name}-{{.path.basename}}` },
      spec: {
        project: 'default',
        source: { repoURL, path: '{{.path.path}}' },
        destination: { server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}' },
      },
    },
  },
});

const errorMessage = (name: string) =>
  h.eventually(
    async () => (await h.appSet(name)).status?.conditions?.find((c: any) => c.type === 'ErrorOccurred' && c.status === 'True')?.message as string | undefined,
    `an error on ${name}`,
  );

const home = process.env.HOME;

beforeAll(async () => {
  // A machine whose git configuration allows every transport must not lend that to tenants.
  process.env.HOME = scratch;
  writeFileSync(join(scratch, '.gitconfig'), '[protocol]\n\tallow = always\n');
  repo = new TestRepository('private');
  repo.commit({ 'apps/billing/config.yaml': 'secret: plans\n' });
  h = await ControllerHarness.start({ argv: [] });
});
afterAll(async () => {
  process.env.HOME = home;
  await h.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("repositories on the controller's own disk", () => {
  it('refuses a file:// URL, naming the flag that would allow it, and writes nothing', async () => {
    const since = writeMark();
    await h.applyAppSet(gitDirectories('disk', repo.url));
    expect(await errorMessage('disk')).toContain(
      `repository ${repo.url} is on the controller's own disk: local repositories are not allowed (--allow-local-repositories)`,
    );
    expect(writesSince(h.fleet.cluster(), since, { kind: 'Application' })).toEqual([]);
  });

  it('refuses a plain path the same way', async () => {
    const since = writeMark();
    await h.applyAppSet(gitDirectories('path', repo.bare));
    expect(await errorMessage('path')).toContain('local repositories are not allowed');
    expect(writesSince(h.fleet.cluster(), since, { kind: 'Application' })).toEqual([]);
  });

  it("never runs a command through git's ext:: transport", async () => {
    const marker = join(scratch, 'pwned');
    const since = writeMark();
    await h.applyAppSet(gitDirectories('ext', `ext::sh -c touch% ${marker}`));
    expect(await errorMessage('ext')).toMatch(/transport 'ext' not allowed/);
    expect(existsSync(marker)).toBe(false);
    expect(writesSince(h.fleet.cluster(), since, { kind: 'Application' })).toEqual([]);
  });
});
