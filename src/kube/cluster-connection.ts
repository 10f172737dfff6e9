import * as k8s from '@kubernetes/client-node';
import type { ClusterRecord } from '../api/cluster-secret.js';
import { describeKubeError } from './api-errors.js';
import { kubeConfigForCluster } from './cluster-kubeconfig.js';

/** Argo CD's cluster connectionState: Successful, Failed or Unknown, with why. */
export interface ConnectionState {
  status: 'Successful' | 'Failed' | 'Unknown';
  message: string;
}

/** Asks a cluster for its version with the credentials of its Secret, as Argo CD does to test a connection. */
export async function probeCluster(cluster: ClusterRecord, timeoutMs: number): Promise<ConnectionState> {
  const api = kubeConfigForCluster(cluster).makeApiClient(k8s.VersionApi);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const version = await Promise.race([api.getCode(), timeout]);
    return { status: 'Successful', message: `Kubernetes ${version.gitVersion}` };
  } catch (error) {
    return { status: 'Failed', message: `cannot reach ${cluster.server}: ${describeKubeError(error)}` };
  } finally {
    clearTimeout(timer);
  }
}
