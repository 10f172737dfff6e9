import YAML from 'yaml';
import type { ApplicationSet } from '../api/application-set.js';
import { validateApplicationSet } from '../api/application-set-schema.js';
import { destinationProblem, inClusterEnabled } from '../appset/destinations.js';
import { generateApplications, type GenerationResult } from '../appset/generate.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../clusters/cluster-secret.js';
import { createDefaultRegistry } from '../generators/default-registry.js';
import { parseFlags } from './argv.js';
import { UsageError, type CliCommand, type CliIO } from './command.js';
import { createGenerateContext } from './generate-context.js';
import { ManifestError, readManifests, type Manifest } from './manifest-files.js';

const USAGE = `Usage: regatta generate -f FILE|DIR [-f ...] [-o yaml|json] [--params] [--kubeconfig PATH] [--context NAME] [--namespace NS]

Generates the Applications of every ApplicationSet found in the inputs, as Argo CD would, and
prints them (or, with --params, the parameters each template sees). Nothing is written anywhere.

  -f, --filename     YAML/JSON file or directory (recursive); repeatable. Secrets labelled
                     argocd.argoproj.io/secret-type=cluster are the cluster registry.
  -o, --output       yaml (default: a multi-document stream) or json (an array)
      --params       print [{applicationSet, params: [...]}] instead of Applications
      --kubeconfig   read cluster and referenced Secrets from this management cluster
      --context      kubeconfig context (default: current)
  -n, --namespace    namespace of Argo CD's Secrets and default for ApplicationSets (default argocd)

Exit status: 0 success, 1 an ApplicationSet failed (the others are still printed), 2 usage error.
`;

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'print the Applications that ApplicationSets generate (a local preview)',
  async run(args: string[], io: CliIO): Promise<number> {
    let flags;
    try {
      ({ flags } = parseFlags(args, [
        { name: 'filename', short: 'f', kind: 'strings' },
        { name: 'output', short: 'o', kind: 'string' },
        { name: 'params', kind: 'boolean' },
        { name: 'kubeconfig', kind: 'string' },
        { name: 'context', kind: 'string' },
        { name: 'namespace', short: 'n', kind: 'string' },
        { name: 'help', short: 'h', kind: 'boolean' },
      ]));
      if (flags.help) {
        io.stdout.write(USAGE);
        return 0;
      }
      if (!flags.filename) throw new UsageError('at least one -f FILE|DIR is required');
      if (flags.output !== undefined && flags.output !== 'yaml' && flags.output !== 'json') {
        throw new UsageError(`--output must be yaml or json, not ${JSON.stringify(flags.output)}`);
      }
    } catch (error) {
      io.stderr.write(`regatta generate: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    const namespace = (flags.namespace as string | undefined) ?? 'argocd';

    let manifests: Manifest[];
    try {
      manifests = await readManifests(flags.filename as string[]);
    } catch (error) {
      io.stderr.write(`regatta generate: ${(error as Error).message}\n`);
      return error instanceof ManifestError && error.usage ? 2 : 1;
    }

    const appSets = manifests.filter((m) => m.object.kind === 'ApplicationSet');
    if (appSets.length === 0) {
      io.stderr.write(`regatta generate: no ApplicationSet found in ${(flags.filename as string[]).join(', ')}\n`);
      return 1;
    }

    let exitCode = 0;
    const report = (manifest: Manifest, field: string | undefined, message: string) => {
      const name = manifest.object.metadata?.name ?? '<unnamed>';
      io.stderr.write(`regatta generate: ${manifest.file}: ApplicationSet ${name}: ${field ? `${field}: ` : ''}${message}\n`);
      exitCode = 1;
    };

    let generateContext;
    try {
      generateContext = await createGenerateContext(manifests, {
        namespace,
        kubeconfig: flags.kubeconfig as string | undefined,
        context: flags.context as string | undefined,
        warn: (message) => io.stderr.write(`regatta generate: warning: ${message}\n`),
      });
    } catch (error) {
      io.stderr.write(`regatta generate: cannot read Secrets from the cluster: ${(error as Error).message}\n`);
      return 1;
    }
    const registry = createDefaultRegistry();
    const argocdCm = manifests.find((m) => m.object.kind === 'ConfigMap' && m.object.metadata?.name === 'argocd-cm')?.object as { data?: Record<string, string> } | undefined;
    const fleet = { clusters: await generateContext.context.clusters.list(), inClusterEnabled: inClusterEnabled(argocdCm) };
    const outputs: { appSet: ApplicationSet; result: GenerationResult }[] = [];
    try {
      for (const manifest of appSets) {
        const problems = validateApplicationSet(manifest.object);
        for (const warning of problems.filter((p) => p.severity === 'warning')) {
          io.stderr.write(`regatta generate: warning: ${manifest.file}: ApplicationSet ${manifest.object.metadata?.name}: ${warning.field}: ${warning.message}\n`);
        }
        const errors = problems.filter((p) => p.severity === 'error');
        if (errors.length) {
          for (const problem of errors) report(manifest, problem.field, problem.message);
          continue;
        }
        const appSet = structuredClone(manifest.object) as ApplicationSet;
        appSet.metadata.namespace ??= namespace;
        const result = await generateApplications(appSet, registry, generateContext.context);
        if (result.failure) {
          report(manifest, result.failure.field, result.failure.message);
          continue;
        }
        // Without a live fleet only the local cluster can be checked: argocd-cm may disable it.
        const localProblems = result.generated
          .map((g) => g.application)
          .filter((a) => a.spec.destination?.server === IN_CLUSTER_SERVER || a.spec.destination?.name === IN_CLUSTER_NAME)
          .map((a) => [a.metadata.name, destinationProblem(a.spec.destination, fleet)] as const)
          .filter(([, problem]) => problem);
        for (const [name, problem] of localProblems) report(manifest, `Application ${name}: spec.destination`, problem!);
        const rejected = new Set(localProblems.map(([name]) => name));
        outputs.push({ appSet, result: { ...result, generated: result.generated.filter((g) => !rejected.has(g.application.metadata.name)) } });
      }
    } finally {
      await generateContext.close();
    }

    const format = (flags.output as string | undefined) ?? 'yaml';
    if (flags.params) {
      const params = outputs.map(({ appSet, result }) => ({ applicationSet: appSet.metadata.name, params: result.generated.map((g) => g.params) }));
      io.stdout.write(format === 'json' ? `${JSON.stringify(params, null, 2)}\n` : toYaml(params));
    } else {
      const applications = outputs.flatMap(({ result }) => result.generated.map((g) => g.application));
      if (format === 'json') io.stdout.write(`${JSON.stringify(applications, null, 2)}\n`);
      else io.stdout.write(applications.map((a) => toYaml(a)).join('---\n'));
    }
    return exitCode;
  },
};

/** YAML that Kubernetes tools read back unchanged: 1.1 so strings such as "yes" stay quoted. */
function toYaml(value: unknown): string {
  return YAML.stringify(value, { version: '1.1', lineWidth: 0 });
}
