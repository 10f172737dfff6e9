import { loadKubeConfig } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';
import type { ParsedFlags } from '../lib/argv.js';

/** A client of the cluster the `--kubeconfig` and `--context` flags name (the usual kubeconfig otherwise). */
export function clientFromFlags(flags: ParsedFlags): ObjectClient {
  return new ObjectClient(loadKubeConfig({ kubeconfig: flags.kubeconfig as string | undefined, context: flags.context as string | undefined }));
}
