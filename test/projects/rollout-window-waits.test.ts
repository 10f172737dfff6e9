import { describe, expect, it } from 'vitest';
import type { AppProject } from '../../src/api/app-project.js';
import type { Application } from '../../src/api/application.js';
import { rolloutWindowWaits } from '../../src/projects/rollout-window-waits.js';

const application = (name: string, project: string, namespace = name): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd' },
  spec: { project, source: { repoURL: 'https://git.example/repo.git' }, destination: { server: 'https://kubernetes.default.svc', namespace } },
});
const frozen: AppProject = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name: 'frozen', namespace: 'argocd' },
  spec: { syncWindows: [{ kind: 'deny', schedule: '0 1 * * *', duration: '1h', namespaces: ['shop'], manualSync: true }] },
};

describe('rolloutWindowWaits', () => {
  it('reports the Applications whose automated sync a window of their own project holds, and only those', () => {
    const projects = (name: string) => (name === 'frozen' ? frozen : undefined);
    const waits = rolloutWindowWaits(
      [application('shop', 'frozen'), application('blog', 'frozen'), application('shop-elsewhere', 'open', 'shop')],
      projects,
      new Date('2030-01-07T01:30:00Z'),
    );
    // manualSync does not help: RollingSync's syncs are automated.
    expect([...waits]).toEqual([['shop', { windows: ['#0 "0 1 * * *"'], opensAt: '2030-01-07T02:00:00.000Z' }]]);
    expect(rolloutWindowWaits([application('shop', 'frozen')], projects, new Date('2030-01-07T02:30:00Z')).size).toBe(0);
  });
});
