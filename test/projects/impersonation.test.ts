import { describe, expect, it } from 'vitest';
import type { AppProject, ApplicationDestinationServiceAccount } from '../../src/api/app-project.js';
import type { Application } from '../../src/api/application.js';
import { serviceAccountToImpersonate, syncIdentity } from '../../src/projects/impersonation.js';

const project = (destinationServiceAccounts: ApplicationDestinationServiceAccount[]): AppProject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name: 'team', namespace: 'argocd' },
  spec: { destinationServiceAccounts },
});
const application = (namespace?: string, appNamespace = 'argocd'): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'guestbook', namespace: appNamespace },
  spec: { project: 'team', destination: { server: 'https://prod', ...(namespace !== undefined ? { namespace } : {}) } },
});
const ON = { 'application.sync.impersonation.enabled': 'true' };

describe('destinationServiceAccounts (DeriveServiceAccountToImpersonate)', () => {
  it('takes the first entry whose server and namespace globs match, in the destination namespace', () => {
    const p = project([
      { server: 'https://staging', namespace: '*', defaultServiceAccount: 'staging-deployer' },
      { server: 'https://prod', namespace: 'guestbook', defaultServiceAccount: 'deployer' },
      { server: '*', namespace: '*', defaultServiceAccount: 'fallback' },
    ]);
    expect(serviceAccountToImpersonate(p, application('guestbook'), 'https://prod')).toEqual({ user: 'system:serviceaccount:guestbook:deployer' });
    expect(serviceAccountToImpersonate(p, application('other'), 'https://prod')).toEqual({ user: 'system:serviceaccount:other:fallback' });
  });

  it("reads namespace:name as an account in another namespace, and uses the Application's namespace when the destination has none", () => {
    expect(
      serviceAccountToImpersonate(
        project([{ server: '*', namespace: '*', defaultServiceAccount: 'tools:deployer' }]),
        application('guestbook'),
        'https://prod',
      ),
    ).toEqual({ user: 'system:serviceaccount:tools:deployer' });
    expect(
      serviceAccountToImpersonate(
        project([{ server: '*', namespace: '', defaultServiceAccount: 'deployer' }]),
        application(undefined, 'team-a'),
        'https://prod',
      ),
    ).toEqual({ user: 'system:serviceaccount:team-a:deployer' });
  });

  it('refuses account names that are patterns or paths, and entries that do not compile', () => {
    for (const account of ['*', 'a/b', '  ', 'dep[loyer]', '!x']) {
      expect(
        serviceAccountToImpersonate(project([{ server: '*', namespace: '*', defaultServiceAccount: account }]), application('guestbook'), 'https://prod'),
      ).toEqual({ error: `default service account contains invalid chars '${account}'` });
    }
    expect(
      serviceAccountToImpersonate(project([{ server: '[', namespace: '*', defaultServiceAccount: 'x' }]), application('guestbook'), 'https://prod'),
    ).toEqual({ error: expect.stringMatching(/^invalid glob pattern for destination server: /) });
    expect(
      serviceAccountToImpersonate(project([{ server: '*', namespace: '[z-a]', defaultServiceAccount: 'x' }]), application('guestbook'), 'https://prod'),
    ).toEqual({ error: expect.stringMatching(/^invalid glob pattern for destination namespace: /) });
  });
});

describe('whom a sync runs as (argocd-cm application.sync.impersonation.*)', () => {
  const p = project([{ server: 'https://prod', namespace: 'guestbook', defaultServiceAccount: 'deployer' }]);

  it("uses the controller's own credentials while impersonation is off", () => {
    expect(syncIdentity(undefined, p, application('guestbook'), 'https://prod')).toEqual({});
    expect(syncIdentity({ 'application.sync.impersonation.enabled': 'false' }, p, application('guestbook'), 'https://prod')).toEqual({});
  });

  it('impersonates the matching account, and refuses a sync no entry covers unless enforcement is off', () => {
    expect(syncIdentity(ON, p, application('guestbook'), 'https://prod')).toEqual({ impersonate: 'system:serviceaccount:guestbook:deployer' });
    expect(syncIdentity(ON, p, application('kube-system'), 'https://prod')).toEqual({
      refused: 'no matching service account found for destination server https://prod and namespace kube-system',
    });
    expect(syncIdentity({ ...ON, 'application.sync.impersonation.enforced': 'false' }, p, application('kube-system'), 'https://prod')).toEqual({});
    expect(syncIdentity(ON, project([{ server: '*', namespace: '*', defaultServiceAccount: '*' }]), application('x'), 'https://prod')).toEqual({
      refused: "failed to derive service account to impersonate: default service account contains invalid chars '*'",
    });
  });
});
