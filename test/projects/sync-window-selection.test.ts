import { describe, expect, it } from 'vitest';
import type { AppProject, SyncWindow } from '../../src/api/app-project.js';
import type { Application } from '../../src/api/application.js';
import { applicationWindows, windowsFor } from '../../src/projects/sync-window-selection.js';

const project = (...syncWindows: SyncWindow[]): AppProject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name: 'team', namespace: 'argocd' },
  spec: { syncWindows },
});
const application = (name: string, destination: Application['spec']['destination'], projectName = 'team'): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd' },
  spec: { project: projectName, source: { repoURL: 'https://git.example/repo.git' }, destination },
});
const base: SyncWindow = { kind: 'deny', schedule: '0 1 * * *', duration: '1h' };
const selected = (window: SyncWindow, app: Application) => windowsFor(project(window), app).length === 1;

describe('windowsFor: Argo CD SyncWindows.Matches', () => {
  const guestbook = application('guestbook-prod', { server: 'https://prod.example', name: 'prod-eu-1', namespace: 'guestbook' });

  it('selects by Application name, destination cluster name or server, and destination namespace, with globs', () => {
    expect(selected({ ...base, applications: ['*-prod'] }, guestbook)).toBe(true);
    expect(selected({ ...base, applications: ['*-staging'] }, guestbook)).toBe(false);
    expect(selected({ ...base, clusters: ['prod-eu-*'] }, guestbook)).toBe(true);
    expect(selected({ ...base, clusters: ['https://prod.example'] }, guestbook)).toBe(true);
    expect(selected({ ...base, clusters: ['staging-*'] }, guestbook)).toBe(false);
    expect(selected({ ...base, namespaces: ['guest*'] }, guestbook)).toBe(true);
    expect(selected({ ...base, namespaces: ['kube-system'] }, guestbook)).toBe(false);
  });

  it('any selector that is set suffices; with andOperator every one that is set must match', () => {
    const window = { ...base, applications: ['guestbook-*'], namespaces: ['kube-system'] };
    expect(selected(window, guestbook)).toBe(true);
    expect(selected({ ...window, andOperator: true }, guestbook)).toBe(false);
    expect(selected({ ...window, namespaces: ['guestbook'], andOperator: true }, guestbook)).toBe(true);
    expect(selected({ ...base, clusters: ['prod-*'], applications: ['other'], andOperator: true }, guestbook)).toBe(false);
  });

  it('a window with no selector applies to nothing', () => {
    expect(selected(base, guestbook)).toBe(false);
    expect(selected({ ...base, andOperator: true }, guestbook)).toBe(false);
  });

  it('`*` matches an empty destination namespace; an unset cluster name is not matched by a pattern', () => {
    const bare = application('bare', { server: 'https://prod.example' });
    expect(selected({ ...base, namespaces: ['*'] }, bare)).toBe(true);
    expect(selected({ ...base, namespaces: ['?*'] }, bare)).toBe(false);
    expect(selected({ ...base, clusters: ['prod-*'] }, bare)).toBe(false);
  });

  it('a pattern that does not compile matches nothing instead of failing', () => {
    expect(selected({ ...base, applications: ['[z-a]'] }, guestbook)).toBe(false);
  });

  it('keeps each window with its position in the project (Argo CD window ID)', () => {
    const windows = windowsFor(project({ ...base, applications: ['other'] }, { ...base, applications: ['*'] }), guestbook);
    expect(windows.map((w) => w.index)).toEqual([1]);
  });
});

describe('applicationWindows', () => {
  it('reads the project the Application names, `default` when it names none, and nothing from an unknown project', () => {
    const projects = (name: string) => (name === 'default' ? { ...project({ ...base, applications: ['*'] }), metadata: { name: 'default' } } : undefined);
    expect(applicationWindows(application('a', { server: 'https://x' }, ''), projects)).toHaveLength(1);
    expect(applicationWindows(application('a', { server: 'https://x' }, 'missing'), projects)).toEqual([]);
  });
});
