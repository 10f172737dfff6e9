import type { KubeObject } from '../api/meta.js';
import { startApiServer } from '../api-server/api-server.js';
import { kubeConfigFromString } from '../kube/kube-config.js';
import { silentLogger } from '../observability/logger.js';
import { DEMO_APPSET, DEMO_REPLICA, type DemoEnvironment } from './demo-environment.js';

/** The user the demo logs the browser in as; RBAC in the simulator grants it what the dashboard and API use. */
export const DASHBOARD_USER = 'demo-operator';
const ROLE = 'regatta-dashboard';

export interface DemoDashboard {
  url: string;
  /** Opens the rollout page logged in: the token is traded for a session cookie on first use. */
  loginUrl: string;
  /** The demo user's bearer token, for calling the API (e.g. with curl). */
  token: string;
  close(): Promise<void>;
}

/** Serves the REST API and dashboard for a demo environment on 127.0.0.1, as the controller would in a cluster. */
export async function startDemoDashboard(env: DemoEnvironment, port = 0, livePollMs = 500): Promise<DemoDashboard> {
  const rbac = 'rbac.authorization.k8s.io/v1';
  await env.client.create({
    apiVersion: rbac,
    kind: 'Role',
    metadata: { name: ROLE, namespace: 'argocd' },
    // What the API checks: get (ApplicationSets, the fleet), patch (pause/resume/abort), create (dry-run generate).
    rules: [{ apiGroups: ['argoproj.io'], resources: ['applicationsets'], verbs: ['get', 'patch', 'create'] }],
  } as KubeObject);
  await env.client.create({
    apiVersion: rbac,
    kind: 'RoleBinding',
    metadata: { name: ROLE, namespace: 'argocd' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: DASHBOARD_USER }],
  } as KubeObject);
  const token = env.fleet.token(undefined, DASHBOARD_USER);
  const server = await startApiServer(
    {
      kubeConfig: kubeConfigFromString(env.managementKubeconfig('system:serviceaccount:argocd:regatta')),
      namespace: 'argocd',
      applicationSetNamespaces: ['argocd'],
      logger: silentLogger,
      // The demo's controllers run in its own process, as one replica that owns every cluster.
      shards: { shardOf: () => DEMO_REPLICA },
      livePollMs,
    },
    '127.0.0.1',
    port,
  );
  const next = encodeURIComponent(`/dashboard/namespaces/argocd/applicationsets/${DEMO_APPSET}`);
  return { url: server.url, loginUrl: `${server.url}/dashboard/login?token=${encodeURIComponent(token)}&next=${next}`, token, close: () => server.close() };
}
