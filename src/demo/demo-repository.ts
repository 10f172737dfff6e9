import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { git } from '../git/git-cli.js';

const AUTHOR = {
  GIT_AUTHOR_NAME: 'Regatta demo',
  GIT_AUTHOR_EMAIL: 'demo@regatta.invalid',
  GIT_COMMITTER_NAME: 'Regatta demo',
  GIT_COMMITTER_EMAIL: 'demo@regatta.invalid',
};

const GUESTBOOK_SERVICE =
  'apiVersion: v1\nkind: Service\nmetadata:\n  name: guestbook\nspec:\n  selector: {app: guestbook}\n  ports:\n  - port: 80\n    targetPort: 8080\n';

/** The guestbook's Deployment, its replicas and image given as YAML text (values, or the chart's template actions). */
function guestbookDeployment(replicas: string, image: string): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: guestbook',
    'spec:',
    `  replicas: ${replicas}`,
    '  selector: {matchLabels: {app: guestbook}}',
    '  template:',
    '    metadata: {labels: {app: guestbook}}',
    '    spec:',
    '      containers:',
    '      - name: guestbook',
    `        image: ${image}`,
    '',
  ].join('\n');
}

/** An app the ApplicationSet deploys (apps/NAME): a ConfigMap, a Service and a Deployment of `image`. */
export function guestbookManifests(image: string, app = 'guestbook', replicas = 2): Record<string, string> {
  return {
    [`apps/${app}/configmap.yaml`]: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook-config\n  annotations:\n    argocd.argoproj.io/sync-wave: "-1"\ndata:\n  greeting: hello from ${image}\n`,
    [`apps/${app}/service.yaml`]: GUESTBOOK_SERVICE,
    [`apps/${app}/deployment.yaml`]: guestbookDeployment(String(replicas), image),
  };
}

/**
 * The same guestbook as a Helm chart (apps/NAME): the image in the chart's values, the replicas and
 * greeting from each environment's value file (environmentValueFiles), and a PreSync hook Job that
 * "migrates" before each sync and is deleted once the sync succeeds.
 */
export function guestbookChart(image: string, app = 'guestbook'): Record<string, string> {
  const dir = `apps/${app}`;
  return {
    [`${dir}/Chart.yaml`]: `apiVersion: v2\nname: ${app}\ndescription: The Regatta demo's guestbook\ntype: application\nversion: 1.0.0\nappVersion: ${JSON.stringify(image)}\n`,
    [`${dir}/values.yaml`]: `image: ${JSON.stringify(image)}\nreplicas: 2\ngreeting: hello\n`,
    [`${dir}/templates/configmap.yaml`]: [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: guestbook-config',
      '  annotations:',
      '    argocd.argoproj.io/sync-wave: "-1"',
      'data:',
      '  greeting: {{ printf "%s from %s" .Values.greeting .Values.image | quote }}',
      '',
    ].join('\n'),
    [`${dir}/templates/service.yaml`]: GUESTBOOK_SERVICE,
    [`${dir}/templates/deployment.yaml`]: guestbookDeployment('{{ .Values.replicas }}', '{{ .Values.image | quote }}'),
    [`${dir}/templates/migration-job.yaml`]: [
      'apiVersion: batch/v1',
      'kind: Job',
      'metadata:',
      '  name: {{ .Chart.Name }}-migrate',
      '  annotations:',
      '    argocd.argoproj.io/hook: PreSync',
      '    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation,HookSucceeded',
      'spec:',
      '  backoffLimit: 0',
      '  template:',
      '    spec:',
      '      restartPolicy: Never',
      '      containers:',
      '      - name: migrate',
      '        image: {{ .Values.image | quote }}',
      '        args: [migrate]',
      '',
    ].join('\n'),
  };
}

/** The environments the demo's and the tests' clusters are labelled with (`env`). */
const ENVIRONMENTS: Record<string, { replicas: number; greeting: string }> = {
  staging: { replicas: 1, greeting: 'hello staging' },
  canary: { replicas: 1, greeting: 'hello canary' },
  production: { replicas: 2, greeting: 'hello' },
};

/** Per-environment value files (environments/ENV/values.yaml), read by the charts through a second source. */
export function environmentValueFiles(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(ENVIRONMENTS).map(([env, values]) => [`environments/${env}/values.yaml`, `replicas: ${values.replicas}\ngreeting: ${values.greeting}\n`]),
  );
}

/** A real Git repository on the local disk (bare, served by file://), with a work tree to commit from. */
export class DemoRepository {
  private constructor(
    private readonly root: string,
    readonly bare: string,
    private readonly work: string,
  ) {}

  static async create(): Promise<DemoRepository> {
    const root = mkdtempSync(join(tmpdir(), 'regatta-demo-git-'));
    const bare = join(root, 'fleet.git');
    const work = join(root, 'work');
    await git(['init', '--bare', '--quiet', '--initial-branch=main', bare]);
    await git(['clone', '--quiet', bare, work]);
    await git(['checkout', '--quiet', '-B', 'main'], { cwd: work });
    return new DemoRepository(root, bare, work);
  }

  get url(): string {
    return `file://${this.bare}`;
  }

  /** Writes the files and pushes one commit to main; returns its SHA. */
  async commit(files: Record<string, string>, message: string): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.work, path)), { recursive: true });
      writeFileSync(join(this.work, path), content);
    }
    await git(['add', '--all'], { cwd: this.work });
    await git(['commit', '--quiet', '--allow-empty', '-m', message], { cwd: this.work, env: AUTHOR });
    await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main'], { cwd: this.work });
    return (await git(['rev-parse', 'HEAD'], { cwd: this.work })).toString('utf8').trim();
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
