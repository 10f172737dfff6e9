import { describe, expect, it } from 'vitest';
import { ConfigError, loadAppConfig } from '../../src/config/app-config.js';

describe('loadAppConfig', () => {
  it("defaults as Argo CD's ApplicationSet controller does", () => {
    const config = loadAppConfig([], {});
    expect(config).toMatchObject({
      namespace: 'argocd',
      applicationSetNamespaces: ['argocd'],
      policy: 'sync',
      allowPolicyOverride: true,
      concurrency: 10,
      port: 8080,
    });
  });

  it("reads Argo CD's environment variables and flags, flags first", () => {
    const config = loadAppConfig(
      ['--policy', 'create-only', '--applicationset-namespaces=team-a,team-b', '--allowed-scm-providers=https://git.example.com/api/v3'],
      {
        ARGOCD_APPLICATIONSET_CONTROLLER_POLICY: 'sync',
        ARGOCD_APPLICATIONSET_CONTROLLER_CONCURRENT_RECONCILIATIONS: '4',
        ARGOCD_APPLICATIONSET_CONTROLLER_GLOBAL_PRESERVED_LABELS: 'a, b',
        REGATTA_MAX_DELETE_RATIO: '0.25',
      },
    );
    expect(config).toMatchObject({
      policy: 'create-only',
      allowPolicyOverride: false,
      applicationSetNamespaces: ['argocd', 'team-a', 'team-b'],
      concurrency: 4,
      preservedLabels: ['a', 'b'],
      maxDeleteRatio: 0.25,
    });
    expect(loadAppConfig(['--policy=create-only', '--enable-policy-override=true'], {}).allowPolicyOverride).toBe(true);
  });

  it("records Argo CD's GitHub API metrics only with --enable-github-api-metrics or its variable, as Argo CD", () => {
    expect(loadAppConfig([], {}).githubApiMetrics).toBe(false);
    expect(loadAppConfig(['--enable-github-api-metrics=true'], {}).githubApiMetrics).toBe(true);
    expect(loadAppConfig([], { ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_GITHUB_API_METRICS: 'true' }).githubApiMetrics).toBe(true);
  });

  it('names the setting that is wrong', () => {
    expect(() => loadAppConfig(['--policy', 'delete-all'], {})).toThrow(ConfigError);
    expect(() => loadAppConfig(['--policy', 'delete-all'], {})).toThrow(/--policy: "delete-all" is not one of create-only, create-update, create-delete, sync/);
    expect(() => loadAppConfig([], { REGATTA_MAX_DELETE_RATIO: '2' })).toThrow(/--max-delete-ratio: "2" is not a share between 0 and 1/);
    expect(() => loadAppConfig(['--bogus'], {})).toThrow(/unknown flag: --bogus/);
    expect(() => loadAppConfig(['--webhook-max-payload-size-mb', '100'], {})).toThrow(
      /--webhook-max-payload-size-mb: "100" is not a size in MB above 0 and at most 50/,
    );
  });

  it("takes Azure DevOps' webhook Basic auth from its username and password, when either is set", () => {
    expect(loadAppConfig([], {}).webhookSecrets.azuredevops).toBeUndefined();
    expect(loadAppConfig(['--webhook-azuredevops-username', 'hook'], { REGATTA_WEBHOOK_AZUREDEVOPS_PASSWORD: 'pw' }).webhookSecrets.azuredevops).toBe(
      'hook:pw',
    );
    expect(loadAppConfig(['--webhook-azuredevops-password=pw'], {}).webhookSecrets.azuredevops).toBe(':pw');
  });

  it('bounds webhook bodies (25 MB unless told) and trusts X-Forwarded-Proto only when told', () => {
    expect(loadAppConfig([], {})).toMatchObject({ webhookMaxPayloadBytes: 25 * 1024 * 1024, trustForwardedProto: false });
    expect(loadAppConfig(['--webhook-max-payload-size-mb', '2'], { REGATTA_TRUST_FORWARDED_PROTO: 'true' })).toMatchObject({
      webhookMaxPayloadBytes: 2 * 1024 * 1024,
      trustForwardedProto: true,
    });
  });

  it('refuses to start ApplicationSets in any namespace while their SCM generators may call any host, as Argo CD does', () => {
    expect(() => loadAppConfig(['--applicationset-namespaces=team-a'], {})).toThrow(
      'When enabling applicationset in any namespace using applicationset-namespaces, you must either set --enable-scm-providers=false or specify --allowed-scm-providers',
    );
    expect(loadAppConfig(['--applicationset-namespaces=team-a', '--enable-scm-providers=false'], {}).scm).toEqual({
      enabled: false,
      allowedApiUrls: [],
      tokenRefStrictMode: false,
    });
    expect(
      loadAppConfig([], {
        ARGOCD_APPLICATIONSET_CONTROLLER_NAMESPACES: 'team-a',
        ARGOCD_APPLICATIONSET_CONTROLLER_ALLOWED_SCM_PROVIDERS: 'https://git.example.com/api/v3, https://gitlab.example.com',
        ARGOCD_APPLICATIONSET_CONTROLLER_TOKENREF_STRICT_MODE: 'true',
      }).scm,
    ).toEqual({ enabled: true, allowedApiUrls: ['https://git.example.com/api/v3', 'https://gitlab.example.com'], tokenRefStrictMode: true });
    expect(loadAppConfig([], {}).scm).toEqual({ enabled: true, allowedApiUrls: [], tokenRefStrictMode: false });
  });

  it('bounds each render with --template-timeout (REGATTA_TEMPLATE_TIMEOUT_SECONDS), 1 s by default', () => {
    expect(loadAppConfig([], {}).templateTimeoutSeconds).toBe(1);
    expect(loadAppConfig([], { REGATTA_TEMPLATE_TIMEOUT_SECONDS: '2.5' }).templateTimeoutSeconds).toBe(2.5);
    expect(loadAppConfig(['--template-timeout', '0.25'], { REGATTA_TEMPLATE_TIMEOUT_SECONDS: '2.5' }).templateTimeoutSeconds).toBe(0.25);
    expect(() => loadAppConfig(['--template-timeout', '0'], {})).toThrow(/--template-timeout: "0" is not a number of seconds above 0 \(at most 3600\)/);
    expect(() => loadAppConfig([], { REGATTA_TEMPLATE_TIMEOUT_SECONDS: 'soon' })).toThrow(/--template-timeout: "soon"/);
  });

  it("bounds the heap's growth above what is live with --heap-growing-percent (REGATTA_HEAP_GROWING_PERCENT), 30 % by default, 0 for V8's own rule", () => {
    expect(loadAppConfig([], {}).heapGrowingPercent).toBe(30);
    expect(loadAppConfig([], { REGATTA_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(loadAppConfig(['--heap-growing-percent=50'], { REGATTA_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(50);
    expect(() => loadAppConfig(['--heap-growing-percent', 'small'], {})).toThrow(/--heap-growing-percent: "small" is not a whole percentage from 0 to 1000/);
  });
});
