import YAML from 'yaml';
import { parseTemplateTimeout } from '../config/app-config.js';
import { parseFlags } from '../lib/argv.js';
import { type CliCommand, type CliIO } from './command.js';
import { UsageError } from '../lib/argv.js';
import { generateLocally, problemLine, readApplicationSets } from './local-generation.js';
import type { PreviewGeneration } from '../appset/preview-generation.js';

const USAGE = `Usage: regatta generate -f FILE|DIR [-f ...] [-o yaml|json] [--params] [--kubeconfig PATH] [--context NAME] [--namespace NS] [--template-timeout SECONDS]

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

Exit status: 0 success, 1 an ApplicationSet failed (the others are still printed), 2 usage error.
`;

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'print the Applications that ApplicationSets generate (a local preview)',
  async run(args: string[], io: CliIO): Promise<number> {
    let flags;
    let templateTimeoutSeconds: number;
    try {
      ({ flags } = parseFlags(args, [
        { name: 'filename', short: 'f', kind: 'strings' },
        { name: 'output', short: 'o', kind: 'string' },
        { name: 'params', kind: 'boolean' },
        { name: 'kubeconfig', kind: 'string' },
        { name: 'context', kind: 'string' },
        { name: 'namespace', short: 'n', kind: 'string' },
        { name: 'template-timeout', kind: 'string' },
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
      templateTimeoutSeconds = parseTemplateTimeout((flags['template-timeout'] as string | undefined) ?? process.env.REGATTA_TEMPLATE_TIMEOUT_SECONDS);
    } catch (error) {
      io.stderr.write(`regatta generate: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    const namespace = (flags.namespace as string | undefined) ?? 'argocd';

    const inputs = await readApplicationSets(flags.filename as string[], 'regatta generate', io.stderr);
    if (typeof inputs === 'number') return inputs;
    const { manifests, appSets } = inputs;

    let generation: PreviewGeneration;
    try {
      generation = await generateLocally(manifests, appSets, {
        namespace,
        kubeconfig: flags.kubeconfig as string | undefined,
        context: flags.context as string | undefined,
        report: (problem) => io.stderr.write(problemLine('regatta generate', problem)),
        templateTimeoutSeconds,
      });
    } catch (error) {
      io.stderr.write(`regatta generate: cannot read Secrets from the cluster: ${(error as Error).message}\n`);
      return 1;
    }
    const { outputs, params, exitCode } = generation;

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
