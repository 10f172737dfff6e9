import type { Secret } from '../api/meta.js';
import type { ClusterSource, RegisteredCluster } from '../generators/generator.js';
import { isClusterSecret, parseClusterSecret, secretValue, type ClusterRecord, type ClusterSecretProblem } from '../api/cluster-secret.js';

/**
 * The fleet as cluster Secrets describe it. Invalid Secrets are reported once per change and
 * left out; they never stop the other clusters from being served.
 */
export class ClusterRegistry implements ClusterSource {
  constructor(
    private readonly secrets: () => Secret[],
    private readonly onProblem: (problem: ClusterSecretProblem) => void = () => {},
  ) {}

  private readonly reported = new Set<string>();
  /** Parsed once per Secret object: an informer replaces the object when the Secret changes. */
  private readonly parsed = new WeakMap<Secret, ReturnType<typeof parseClusterSecret>>();

  /** Every cluster Secret with what it registers (or why it cannot), each parsed once per version. */
  secretsParsed(): { secret: Secret; cluster?: ClusterRecord; problems: ClusterSecretProblem[] }[] {
    return this.secrets()
      .filter(isClusterSecret)
      .map((secret) => {
        let result = this.parsed.get(secret);
        if (!result) {
          result = parseClusterSecret(secret);
          this.parsed.set(secret, result);
        }
        return { secret, ...result };
      });
  }

  /** Valid cluster connections; invalid Secrets are reported (once per change) and left out. */
  records(): ClusterRecord[] {
    const records: ClusterRecord[] = [];
    for (const { secret, cluster, problems } of this.secretsParsed()) {
      for (const problem of problems) {
        const key = `${problem.secret}/${problem.field}/${problem.message}/${secret.metadata?.resourceVersion ?? ''}`;
        if (this.reported.has(key)) continue;
        this.reported.add(key);
        this.onProblem(problem);
      }
      if (cluster) records.push(cluster);
    }
    return records;
  }

  /**
   * Every cluster Secret as the Cluster generator reads it. Like Argo CD's generator, this reads
   * only name, server, project, labels and annotations, so a Secret whose connection settings are
   * broken still yields its Applications; connecting to it is what fails (see `records`).
   */
  async list(): Promise<RegisteredCluster[]> {
    this.records();
    return this.secrets()
      .filter(isClusterSecret)
      .map((secret) => ({
        name: secretValue(secret, 'name') ?? '',
        server: secretValue(secret, 'server') ?? '',
        project: secretValue(secret, 'project'),
        labels: { ...(secret.metadata?.labels ?? {}) },
        annotations: { ...(secret.metadata?.annotations ?? {}) },
        secret: { namespace: secret.metadata?.namespace ?? '', name: secret.metadata?.name ?? '' },
      }));
  }
}
