/**
 * What SCM providers ApplicationSets may reach: Argo CD's --enable-scm-providers,
 * --allowed-scm-providers and --token-ref-strict-mode.
 */
export interface ScmPolicy {
  enabled: boolean;
  /** Custom `api` URLs allowed for the SCM Provider and PullRequest generators; empty allows any. */
  allowedApiUrls: string[];
  /** Secrets named by `tokenRef` and the like must carry `argocd.argoproj.io/secret-type: scm-creds`. */
  tokenRefStrictMode: boolean;
}

export const OPEN_SCM_POLICY: ScmPolicy = { enabled: true, allowedApiUrls: [], tokenRefStrictMode: false };

/** Why a generator may not use this provider, in Argo CD's words; undefined when it may. */
export function scmProviderRefusal(policy: ScmPolicy, api: string | undefined): string | undefined {
  if (!policy.enabled) return 'scm providers are disabled';
  if (!api || policy.allowedApiUrls.length === 0 || policy.allowedApiUrls.includes(api)) return undefined;
  return `scm provider not allowed: scm provider ${JSON.stringify(api)} not allowed, must use one of the following: ${policy.allowedApiUrls.join(', ')}`;
}

/** The `api` of the provider a generator configures (the first given, in Argo CD's order), as the allow-list compares it. */
export function customApiUrl(providers: readonly unknown[]): string | undefined {
  const api = (providers.find((provider) => provider != null) as { api?: unknown } | undefined)?.api;
  return typeof api === 'string' && api !== '' ? api : undefined;
}
