import type { KubeObject } from '../api/meta.js';
import { startApiServer } from '../api-server/api-server.js';
import { DashboardLoginCodes } from '../api-server/dashboard-login-codes.js';
import { kubeConfigFromString } from '../kube/kube-config.js';
import { silentLogger } from '../observability/logger.js';
import { DEMO_REPLICA, type DemoEnvironment } from './demo-environment.js';

/** The user the demo logs the browser in as; RBAC in the simulator grants it what the dashboard and API use. */
export const DASHBOARD_USER = 'demo-operator';
const ROLE = 'regatta-dashboard';

export interface DemoDashboard {
  url: string;
  /** The login form (a token never goes in a URL). */
  loginUrl: string;
  /** A new one-time code for the login form (once, within 10 minutes): what the demo prints instead of a token. */
  loginCode(): string;
  /** The demo user's bearer token, for in-process callers of the API (tests); the demo never prints it. */
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
  const loginCodes = new DashboardLoginCodes();
  const server = await startApiServer(
    {
      kubeConfig: kubeConfigFromString(env.managementKubeconfig('system:serviceaccount:argocd:regatta')),
      namespace: 'argocd',
      applicationSetNamespaces: ['argocd'],
      logger: silentLogger,
      // The demo's controllers run in its own process, as one replica that owns every cluster.
      shards: { shardOf: () => DEMO_REPLICA },
      livePollMs,
      loginCodes,
    },
    '127.0.0.1',
    port,
  );
  return { url: server.url, loginUrl: `${server.url}/dashboard/login`, loginCode: () => loginCodes.issue(token), token, close: () => server.close() };
}
