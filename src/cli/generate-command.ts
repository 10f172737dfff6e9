import YAML from 'yaml';
import { loadAppConfig, parseTemplateTimeout } from '../config/app-config.js';
import { parseFlags, type ParsedFlags } from '../lib/argv.js';
import { type CliCommand, type CliIO } from './command.js';
import { UsageError } from '../lib/argv.js';
import { generateLocally, problemLine, readApplicationSets } from './local-generation.js';
import type { PreviewGeneration } from '../appset/preview-generation.js';
import { diffAgainstCluster, type ReconcileSettings } from './generate-diff.js';
import { explanationText } from './generate-explain.js';
import { tracedRegistry } from './generator-trace.js';
import { clientFromFlags } from './kube-flags.js';

const USAGE = `Usage: regatta generate -f FILE|DIR [-f ...] [-o yaml|json] [--params] [--kubeconfig PATH] [--context NAME] [--namespace NS] [--template-timeout SECONDS]
       regatta generate -f FILE|DIR [-f ...] --diff [--kubeconfig PATH] [--context NAME] [-n NS] [CONTROLLER SETTINGS]
       regatta generate -f FILE|DIR [-f ...] --explain [--kubeconfig PATH] [--context NAME] [-n NS]

Generates the Applications of every ApplicationSet found in the inputs, as Argo CD would, and
prints them (or, with --params, the parameters each template sees). Nothing is written anywhere.

  -f, --filename     YAML/JSON file or directory (recursive); repeatable. Secrets labelled
                     argocd.argoproj.io/secret-type=cluster in --namespace are the cluster
                     registry (elsewhere they are ignored, with a warning, as Argo CD); repository
                     and repo-creds Secrets, argocd-ssh-known-hosts-cm and argocd-tls-certs-cm are
                     how Git repositories are read (SSH accepts only the host keys listed there).
  -o, --output       yaml (default: a multi-document stream) or json (an array)
      --params       print [{applicationSet, params: [...]}] instead of Applications: every
                     parameter set the generators produced, also when Applications rendered
                     from them are invalid (those problems still go to stderr, exit 1)
      --kubeconfig   read those Secrets and ConfigMaps, and referenced Secrets, from this cluster
      --context      kubeconfig context (default: current)
  -n, --namespace    namespace of Argo CD's Secrets and default for ApplicationSets (default argocd)
      --template-timeout  seconds the template engine may spend on one Application (default 1;
                     env REGATTA_TEMPLATE_TIMEOUT_SECONDS)

      --diff         compare with the live Applications each ApplicationSet owns on the cluster
                     (--kubeconfig, else $KUBECONFIG or ~/.kube/config; its Secrets and ConfigMaps
                     are read too; every destination must name one of its clusters, as the
                     controller requires) and print what its next reconcile would do: + create, ~ update
                     (each field Regatta manages: ~ changed, + added, - removed), - delete,
                     how many stay unchanged, and ! what the policy or the deletion budget holds
                     back. Writes nothing. RollingSync releases updates step by step: see
                     \`regatta rollout plan\`.
      --explain      for each generated Application, where each field came from: the template
                     expression, its value, and the generator (its path in the spec) and
                     parameter that produced it; template text without expressions is "literal"

Controller settings (--diff decides as a controller with these would; the same flags and
environment variables as the controller's):
      --policy                  create-only|create-update|create-delete|sync
                                (ARGOCD_APPLICATIONSET_CONTROLLER_POLICY; default sync)
      --enable-policy-override  whether an ApplicationSet's applicationsSync counts
                                (default: true unless --policy is set)
      --max-delete-ratio        the deletion budget (REGATTA_MAX_DELETE_RATIO)
      --preserved-annotations, --preserved-labels   comma-separated keys kept from live Applications

Exit status: 0 success, 1 an ApplicationSet failed (the others are still printed), 2 usage error.
With --diff, as \`diff\` and \`terraform plan -detailed-exitcode\`: 0 no changes, 2 changes pending
(something to create, update or delete; what is held back does not count), 1 errors, usage
errors included.
`;

/** The controller's flags that --diff honours, with the environment variables the controller reads. */
const CONTROLLER_FLAGS = ['policy', 'enable-policy-override', 'max-delete-ratio', 'preserved-annotations', 'preserved-labels'];
const CONTROLLER_ENV = [
  'ARGOCD_APPLICATIONSET_CONTROLLER_POLICY',
  'ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_POLICY_OVERRIDE',
  'REGATTA_MAX_DELETE_RATIO',
  'ARGOCD_APPLICATIONSET_CONTROLLER_GLOBAL_PRESERVED_ANNOTATIONS',
  'ARGOCD_APPLICATIONSET_CONTROLLER_GLOBAL_PRESERVED_LABELS',
];

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'print the Applications that ApplicationSets generate (a local preview), or --diff them against the cluster',
  async run(args: string[], io: CliIO): Promise<number> {
    // With --diff, 2 means "changes pending": a command line it cannot read is an error like any other.
    const usageExit = args.some((arg) => arg === '--diff' || arg.startsWith('--diff=')) ? 1 : 2;
    let flags: ParsedFlags;
    let templateTimeoutSeconds: number;
    let settings: ReconcileSettings;
    try {
      ({ flags } = parseFlags(args, [
        { name: 'filename', short: 'f', kind: 'strings' },
        { name: 'output', short: 'o', kind: 'string' },
        { name: 'params', kind: 'boolean' },
        { name: 'diff', kind: 'boolean' },
        { name: 'explain', kind: 'boolean' },
        { name: 'kubeconfig', kind: 'string' },
        { name: 'context', kind: 'string' },
        { name: 'namespace', short: 'n', kind: 'string' },
        { name: 'template-timeout', kind: 'string' },
        ...CONTROLLER_FLAGS.map((name) => ({ name, kind: 'string' as const })),
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
      const modes = ['diff', 'explain', 'params'].filter((mode) => flags[mode]);
      if (modes.length > 1) throw new UsageError(`--${modes.join(' and --')} cannot be combined`);
      if ((flags.diff || flags.explain) && flags.output !== undefined) throw new UsageError(`--output does not apply to --${modes[0]}`);
      const given = CONTROLLER_FLAGS.filter((name) => flags[name] !== undefined);
      if (given.length && !flags.diff) throw new UsageError(`--${given[0]} applies only to --diff`);
      templateTimeoutSeconds = parseTemplateTimeout((flags['template-timeout'] as string | undefined) ?? process.env.REGATTA_TEMPLATE_TIMEOUT_SECONDS);
      settings = loadAppConfig(
        given.flatMap((name) => [`--${name}`, flags[name] as string]),
        Object.fromEntries(CONTROLLER_ENV.map((name) => [name, process.env[name]])),
      );
    } catch (error) {
      io.stderr.write(`regatta generate: ${(error as Error).message}\n\n${USAGE}`);
      return usageExit;
    }
    const namespace = (flags.namespace as string | undefined) ?? 'argocd';

    const inputs = await readApplicationSets(flags.filename as string[], 'regatta generate', io.stderr);
    if (typeof inputs === 'number') return flags.diff ? 1 : inputs;
    const { manifests, appSets } = inputs;

    const traced = flags.explain ? tracedRegistry() : undefined;
    let generation: PreviewGeneration;
    try {
      generation = await generateLocally(manifests, appSets, {
        namespace,
        kubeconfig: flags.kubeconfig as string | undefined,
        context: flags.context as string | undefined,
        live: flags.diff === true,
        report: (problem) => io.stderr.write(problemLine('regatta generate', problem)),
        templateTimeoutSeconds,
        registry: traced?.registry,
      });
    } catch (error) {
      io.stderr.write(`regatta generate: cannot read Secrets from the cluster: ${(error as Error).message}\n`);
      return 1;
    }
    const { outputs, params, exitCode } = generation;

    if (flags.diff) {
      let diff;
      try {
        diff = await diffAgainstCluster(outputs, clientFromFlags(flags), settings);
      } catch (error) {
        io.stderr.write(`regatta generate: cannot read the live Applications: ${(error as Error).message}\n`);
        return 1;
      }
      io.stdout.write(diff.text);
      return exitCode !== 0 ? 1 : diff.changes ? 2 : 0;
    }
    if (traced) {
      io.stdout.write(explanationText(outputs, traced.roots));
      return exitCode;
    }
    const format = (flags.output as string | undefined) ?? 'yaml';
    if (flags.params) {
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
export function toYaml(value: unknown): string {
  return YAML.stringify(value, { version: '1.1', lineWidth: 0 });
}
