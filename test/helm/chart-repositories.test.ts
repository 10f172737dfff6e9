import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Secret } from '../../src/api/meta.js';
import { repositoryAccess } from '../../src/git/repository-credentials.js';
import { ChartRepositories, isOciRepository } from '../../src/helm/index.js';
import { resolveChartVersion } from '../../src/helm/chart-version.js';
import { generateSimTls, type SimTls } from '../../src/sim/sim-tls.js';
import { configMapChart, HelmRepositoryServer, OciRegistryServer } from '../support/chart-servers.js';

const PASSWORD = 'helm-s3cret-pw';
const TOKEN = 'registry-bearer-t0ken';

const secret = (name: string, data: Record<string, string>, type = 'repository'): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': type } },
  stringData: { type: 'helm', ...data },
});

/** The failure's message, which must never hold a credential. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).not.toContain(PASSWORD);
  expect(message).not.toContain(TOKEN);
  return message;
}

describe('chart versions as Argo CD resolves targetRevision', () => {
  const versions = ['1.0.0', '1.2.0', '1.10.1', '2.0.0', '2.1.0-rc.1', 'latest', 'not.a.version'];
  it('keeps an exact version as written, picks the highest version a constraint allows, and matches other text exactly', () => {
    expect(resolveChartVersion('1.2.0', versions)).toBe('1.2.0');
    expect(resolveChartVersion('v1.2', versions)).toBe('v1.2');
    expect(resolveChartVersion('^1.0', versions)).toBe('1.10.1');
    expect(resolveChartVersion('>=1.0.0 <2.0.0', versions)).toBe('1.10.1');
    expect(resolveChartVersion('*', versions)).toBe('2.0.0');
    expect(resolveChartVersion('>=2.1.0-rc.0', versions)).toBe('2.1.0-rc.1');
    expect(resolveChartVersion('latest', versions)).toBe('latest');
  });

  it("says when nothing matches, as Argo CD's repo-server does", () => {
    expect(() => resolveChartVersion('^3.0', versions)).toThrow('invalid revision: version matching constraint not found in 7 tags');
    expect(() => resolveChartVersion('stable', versions)).toThrow('invalid revision: failed to determine semver constraint');
  });

  it('reads a repoURL without scheme, an oci:// one, or enableOCI as an OCI registry', () => {
    expect(isOciRepository('registry.example.com/charts', {})).toBe(true);
    expect(isOciRepository('oci://registry.example.com/charts', {})).toBe(true);
    expect(isOciRepository('https://registry.example.com/charts', { enableOCI: true })).toBe(true);
    expect(isOciRepository('https://charts.example.com', {})).toBe(false);
  });
});

describe('Helm repositories over HTTP', () => {
  let server: HelmRepositoryServer;
  let secrets: Secret[];
  let charts: ChartRepositories;
  beforeAll(async () => {
    server = await HelmRepositoryServer.start('robot', PASSWORD);
    server.publish('guestbook', '1.0.0', configMapChart('guestbook', '1.0.0'));
    server.publish('guestbook', '1.4.2', configMapChart('guestbook', '1.4.2'), true);
    server.publish('guestbook', '2.0.0', configMapChart('guestbook', '2.0.0'));
    secrets = [secret('charts', { url: server.url, username: 'robot', password: PASSWORD, project: 'team-a' })];
    charts = new ChartRepositories({ access: (url, project) => repositoryAccess(url, project, secrets) });
  });
  afterAll(() => server.stop());

  it('resolves a constraint against index.yaml and pulls the version from its relative or absolute URL, with the Secret credentials', async () => {
    expect(await charts.resolveVersion(server.url, 'guestbook', '~1.0', 'team-a')).toBe('1.0.0');
    expect(await charts.resolveVersion(server.url, 'guestbook', '<2', 'team-a')).toBe('1.4.2');
    const old = await charts.chartFiles(server.url, 'guestbook', '1.0.0', 'team-a');
    expect(old.get('Chart.yaml')?.toString()).toContain('version: 1.0.0');
    const absolute = await charts.chartFiles(server.url, 'guestbook', '1.4.2', 'team-a');
    expect(absolute.get('Chart.yaml')?.toString()).toContain('version: 1.4.2');
    expect(server.requests).toContain('/charts/guestbook-1.0.0.tgz');
    expect(server.requests).toContain('/downloads/guestbook-1.4.2.tgz');
  });

  it('reuses the index and a pulled chart version instead of asking again', async () => {
    await charts.chartFiles(server.url, 'guestbook', '2.0.0', 'team-a');
    const before = server.requests.length;
    expect(await charts.resolveVersion(server.url, 'guestbook', '>1', 'team-a')).toBe('2.0.0');
    await charts.chartFiles(server.url, 'guestbook', '2.0.0', 'team-a');
    expect(server.requests.length).toBe(before);
  });

  it('refuses a project without the credentials, unknown charts and versions, without showing the password', async () => {
    expect(await failure(charts.resolveVersion(server.url, 'guestbook', '^1', 'team-b'))).toMatch(/error loading repo index .*index\.yaml: the server answered 401/);
    expect(await failure(charts.chartFiles(server.url, 'guestbook', '1.0.0', 'team-b'))).toContain('401');
    expect(await failure(charts.resolveVersion(server.url, 'missing', '^1', 'team-a'))).toBe("chart 'missing' not found in index");
    expect(await failure(charts.chartFiles(server.url, 'guestbook', '9.9.9', 'team-a'))).toBe(
      `chart "guestbook" version "9.9.9" not found in ${server.url} repository`,
    );
  });

  it('refuses an index larger than allowed', async () => {
    const small = new ChartRepositories({ access: (url, project) => repositoryAccess(url, project, secrets), maxIndexBytes: 64 });
    expect(await failure(small.resolveVersion(server.url, 'guestbook', '^1', 'team-a'))).toContain('larger than the 64 bytes allowed');
  });
});

describe('Helm repositories behind mutual TLS', () => {
  let server: HelmRepositoryServer;
  let tls: SimTls;
  beforeAll(async () => {
    tls = generateSimTls();
    server = await HelmRepositoryServer.start('robot', PASSWORD, tls);
    server.publish('guestbook', '1.0.0', configMapChart('guestbook', '1.0.0'));
  });
  afterAll(() => server.stop());

  const chartsWith = (data: Record<string, string>, ca?: string) => {
    const secrets = [secret('charts', { url: server.url, username: 'robot', password: PASSWORD, ...data })];
    return new ChartRepositories({ access: (url, project) => repositoryAccess(url, project, secrets), tlsCertificates: () => ca });
  };

  it("pulls with the Secret's client certificate, trusting the CA registered for the server", async () => {
    const charts = chartsWith({ tlsClientCertData: tls.certPem, tlsClientCertKey: tls.keyPem }, tls.caPem);
    expect((await charts.chartFiles(server.url, 'guestbook', '1.0.0')).get('Chart.yaml')?.toString()).toContain('name: guestbook');
  });

  it("refuses a server certificate nobody registered unless the Secret says insecure, and fails without the client certificate", async () => {
    expect(await failure(chartsWith({ tlsClientCertData: tls.certPem, tlsClientCertKey: tls.keyPem }).resolveVersion(server.url, 'guestbook', '^1'))).toMatch(
      /error loading repo index https:\/\/127\.0\.0\.1:\d+\/charts\/index\.yaml: .*certificate/,
    );
    const insecure = chartsWith({ tlsClientCertData: tls.certPem, tlsClientCertKey: tls.keyPem, insecure: 'true' });
    expect(await insecure.resolveVersion(server.url, 'guestbook', '^1')).toBe('1.0.0');
    expect(await failure(chartsWith({}, tls.caPem).resolveVersion(server.url, 'guestbook', '^1'))).toMatch(/^error loading repo index https:.*certificate required/);
  });
});

describe('OCI registries', () => {
  let registry: OciRegistryServer;
  let secrets: Secret[];
  let charts: ChartRepositories;
  const repoURL = () => `${registry.host}/charts`;
  beforeAll(async () => {
    registry = await OciRegistryServer.start('robot', PASSWORD, TOKEN);
    registry.push('charts/guestbook', '0.1.0', configMapChart('guestbook', '0.1.0'));
    registry.push('charts/guestbook', '0.2.0+build.7', configMapChart('guestbook', '0.2.0+build.7'));
    registry.push('charts/guestbook', '0.3.0', configMapChart('guestbook', '0.3.0'), true);
    secrets = [secret('registry', { url: repoURL(), username: 'robot', password: PASSWORD, enableOCI: 'true', insecureOCIForceHttp: 'true' })];
    charts = new ChartRepositories({ access: (url, project) => repositoryAccess(url, project, secrets) });
  });
  afterAll(() => registry.stop());

  it('gets a bearer token from the realm the registry names, lists tags for a constraint and pulls the chart layer', async () => {
    expect(await charts.resolveVersion(repoURL(), 'guestbook', '>=0.1.0 <0.3.0')).toBe('0.2.0+build.7');
    const files = await charts.chartFiles(repoURL(), 'guestbook', '0.2.0+build.7');
    expect(files.get('Chart.yaml')?.toString()).toContain('version: 0.2.0+build.7');
    expect(registry.requests).toContain('/token');
    expect(registry.requests).toContain('/v2/charts/guestbook/tags/list');
    expect(registry.requests).toContain('/v2/charts/guestbook/manifests/0.2.0_build.7');
  });

  it('refuses a blob whose content does not match the digest of its manifest', async () => {
    expect(await failure(charts.chartFiles(repoURL(), 'guestbook', '0.3.0'))).toMatch(/guestbook:0\.3\.0: the chart layer's content does not match its digest sha256:[0-9a-f]{64}/);
  });

  it('refuses wrong credentials at the token service and says so without the password or token', async () => {
    const wrong = [secret('registry', { url: repoURL(), username: 'robot', password: 'wrong', enableOCI: 'true', insecureOCIForceHttp: 'true' })];
    const denied = new ChartRepositories({ access: (url, project) => repositoryAccess(url, project, wrong) });
    expect(await failure(denied.chartFiles(repoURL(), 'guestbook', '0.1.0'))).toMatch(/token for 127\.0\.0\.1:\d+\/charts\/guestbook: the token service answered 401/);
  });

  it('answers a Basic challenge with the Secret credentials', async () => {
    const basicRegistry = await OciRegistryServer.start('robot', PASSWORD, TOKEN, true);
    try {
      basicRegistry.push('charts/guestbook', '0.1.0', configMapChart('guestbook', '0.1.0'));
      const url = `${basicRegistry.host}/charts`;
      const withSecret = [secret('registry', { url, username: 'robot', password: PASSWORD, insecureOCIForceHttp: 'true' })];
      const basicCharts = new ChartRepositories({ access: (u, project) => repositoryAccess(u, project, withSecret) });
      expect(await basicCharts.resolveVersion(url, 'guestbook', '~0.1')).toBe('0.1.0');
      expect((await basicCharts.chartFiles(url, 'guestbook', '0.1.0')).has('templates/config.yaml')).toBe(true);
      expect(basicRegistry.requests).not.toContain('/token');
      const anonymous = new ChartRepositories({ access: () => ({ insecure: false, insecureOCIForceHttp: true }) });
      expect(await failure(anonymous.chartFiles(url, 'guestbook', '0.1.0'))).toMatch(/the registry answered 401 \(it refused the credentials, or needs some\)/);
    } finally {
      await basicRegistry.stop();
    }
  });

  it('says when a tag is not in the registry', async () => {
    expect(await failure(charts.chartFiles(repoURL(), 'guestbook', '7.0.0'))).toBe(`${repoURL()}/guestbook:7.0.0: not found`);
  });
});
