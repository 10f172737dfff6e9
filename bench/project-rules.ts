// The AppProject rule sets the benches compare in one run: the cost of enforcement is what a
// tenant's project costs over one that permits everything, on the same fleet and workload.
import { readFileSync } from 'node:fs';
import type { AppProjectSpec } from '../src/api/app-project.js';
import type { KubeObject } from '../src/api/meta.js';
import type { ObjectClient } from '../src/kube/object-client.js';

export type ProjectRules = 'open' | 'tenant';

/** Argo CD's `default` project: every repository, destination and kind, no windows. */
const OPEN: AppProjectSpec = {
  sourceRepos: ['*'],
  destinations: [{ server: '*', namespace: '*' }],
  clusterResourceWhitelist: [{ group: '*', kind: '*' }],
};

/**
 * What a platform team writes for a tenant: repositories and destinations by glob with deny
 * entries in front, the kinds it may create, and sync windows to evaluate on every sync. It
 * still admits everything the benches deploy, so both rule sets do the same work.
 */
function tenant(repoURL: string): AppProjectSpec {
  const teams = Array.from({ length: 16 }, (_, i) => `team-${i}`);
  return {
    sourceRepos: ['!https://git.example.com/forbidden/*', '!*/archived-*', ...teams.map((team) => `https://git.example.com/${team}/*`), repoURL],
    destinations: [
      { server: '!*/clusters/quarantine-*', namespace: '*' },
      { name: '!legacy-*', namespace: '*' },
      ...['c-0', 'c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6', 'c-7', 'c-8', 'c-9', 'staging-', 'prod-'].map((prefix) => ({
        name: `${prefix}*`,
        namespace: '!kube-*',
      })),
      { server: '*', namespace: 'guestbook*' },
      { server: '*', namespace: 'app-*' },
    ],
    clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
    namespaceResourceWhitelist: [
      { group: 'apps', kind: 'Deployment' },
      { group: 'apps', kind: 'StatefulSet' },
      { group: '', kind: 'Service' },
      { group: '', kind: 'ConfigMap' },
      { group: '', kind: 'ServiceAccount' },
      { group: 'networking.k8s.io', kind: 'Ingress' },
      { group: 'batch', kind: 'Job' },
      { group: 'autoscaling', kind: 'HorizontalPodAutoscaler' },
    ],
    namespaceResourceBlacklist: [
      { group: '', kind: 'ResourceQuota' },
      { group: '', kind: 'LimitRange' },
    ],
    syncWindows: [
      // Open around the clock (a window every minute, an hour long), as business-hours rules are for part of it.
      { kind: 'allow', schedule: '* * * * *', duration: '1h', applications: ['*'], manualSync: true },
      { kind: 'deny', schedule: '0 0 29 2 *', duration: '1h', clusters: ['prod-*', 'c-9*'], description: 'leap-day freeze' },
      { kind: 'deny', schedule: '0 3 25 12 *', duration: '2h', namespaces: ['guestbook*'], description: 'christmas' },
    ],
  };
}

/** Gives the AppProject `name` one rule set, replacing every rule field of the other. */
export async function setProjectRules(client: ObjectClient, name: string, rules: ProjectRules, repoURL: string): Promise<void> {
  // null deletes a field a merge patch does not set: the other rule set's whitelist must not linger.
  const none = {
    sourceRepos: null,
    destinations: null,
    clusterResourceWhitelist: null,
    namespaceResourceWhitelist: null,
    namespaceResourceBlacklist: null,
    syncWindows: null,
  };
  const spec = { ...none, ...(rules === 'open' ? OPEN : tenant(repoURL)) };
  await client.mergePatch({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name, namespace: 'argocd' }, spec } as unknown as KubeObject);
}

/** A process's CPU time (user + system) in seconds, from /proc: what it cost, whatever else ran. */
export function cpuSeconds(pid: number | 'self' = 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name (which may hold spaces) come fields 3…; utime and stime are 14 and 15, in clock ticks (100 a second on Linux).
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
