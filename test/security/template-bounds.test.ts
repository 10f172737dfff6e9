import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { regatta } from '../support/cli.js';
import { ControllerHarness } from '../support/controller-harness.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * Hostile templates against the running ApplicationSet controller (--template-timeout 0.5): each
 * ends in an ErrorOccurred condition naming the ApplicationSet field and writes no Application,
 * while a well-behaved ApplicationSet next to them gets its Applications.
 */
let h: ControllerHarness;
let mark: bigint;

const destination = { server: 'https://kubernetes.default.svc', namespace: 'bounds' };
const DAG = '{{ $l := list "x" }}{{ range until 40 }}{{ $l = list $l $l }}{{ end }}';
const TOO_LARGE_REGEX = Array.from({ length: 100 }, (_, i) => `c${i}{999}`).join('|');

/** name → [template fields to merge into a plain Application template, the field the condition names, what it says]. */
const ATTEMPTS: Record<string, { template?: Record<string, any>; templatePatch?: string; field: string; message: RegExp }> = {
  'repeat-bomb': {
    template: { metadata: { name: '{{ repeat 1000000000 "x" }}' } },
    field: 'spec.template.metadata.name',
    message: /error calling repeat: would build a value of 1000000000 bytes, more than the 8388608 bytes one value may hold/,
  },
  'range-bomb': {
    template: { spec: { source: { path: '{{ range 1000000000000 }}{{ end }}' } } },
    field: 'spec.template.spec.source.path',
    message: /template execution exceeded its budget of 1000000 steps/,
  },
  'printf-width': {
    template: { spec: { destination: { namespace: '{{ printf "%9999999d" 1 }}' } } },
    field: 'spec.template.spec.destination.namespace',
    message: /error calling printf: would build a value of 9999999 bytes/,
  },
  'define-recursion': {
    template: { metadata: { labels: { team: '{{ define "loop" }}{{ template "loop" . }}{{ end }}{{ template "loop" . }}' } } },
    field: 'spec.template.metadata.labels.team',
    message: /exceeded maximum template depth \(1000\)/,
  },
  'regex-too-large': {
    // regexMatch would answer false, as sprig drops the error; its must form reports it.
    template: { metadata: { annotations: { match: `{{ mustRegexMatch "${TOO_LARGE_REGEX}" .name }}` } } },
    field: 'spec.template.metadata.annotations.match',
    message: /error calling mustRegexMatch: error parsing regexp: expression too large/,
  },
  'too-many-keys': {
    template: { spec: { source: { helm: { values: '{{ range until 9 }}{{ genPrivateKey "ecdsa" }}{{ end }}' } } } },
    field: 'spec.template.spec.source.helm.values',
    message: /error calling genPrivateKey: a render may make at most 8 calls that generate keys or hash passwords/,
  },
  timeout: {
    template: { metadata: { annotations: { digest: '{{ $s := repeat 100000 "a" }}{{ range until 100000 }}{{ $d := sha256sum $s }}{{ end }}' } } },
    field: 'spec.template.metadata.annotations.digest',
    message: /template execution exceeded its budget of 500ms \(--template-timeout\)/,
  },
  'json-of-a-dag': {
    template: { metadata: { annotations: { config: `${DAG}{{ toJson $l }}` } } },
    field: 'spec.template.metadata.annotations.config',
    message: /error calling toJson: would build a value of \d+ bytes/,
  },
  'append-growth': {
    template: { metadata: { annotations: { count: '{{ $l := list }}{{ range until 100000 }}{{ $l = append $l . }}{{ end }}{{ len $l }}' } } },
    field: 'spec.template.metadata.annotations.count',
    message: /error calling append: template values exceeded their budget of 67108864 bytes/,
  },
  'patch-bomb': {
    templatePatch: 'metadata:\n  annotations:\n    pad: "{{ indent 100000000 "x" }}"\n',
    field: 'spec.templatePatch',
    message: /error calling indent: would build a value of 100000001 bytes/,
  },
};

function appSet(name: string, attempt: { template?: Record<string, any>; templatePatch?: string }) {
  const base = {
    metadata: { name: `hostile-${name}` },
    spec: { project: 'default', destination, source: { repoURL: 'https://github.com/argoproj/argo-cd.git', path: 'guestbook' } },
  };
  const merge = (a: any, b: any): any =>
    b && typeof b === 'object' && !Array.isArray(b)
      ? Object.fromEntries([...new Set([...Object.keys(a ?? {}), ...Object.keys(b)])].map((k) => [k, k in b ? merge(a?.[k], b[k]) : a[k]]))
      : b;
  return {
    metadata: { name },
    spec: {
      goTemplate: true,
      generators: [{ list: { elements: [{ name }] } }],
      template: merge(base, attempt.template ?? {}),
      ...(attempt.templatePatch ? { templatePatch: attempt.templatePatch } : {}),
    },
  };
}

const goodAppSet = {
  metadata: { name: 'well-behaved' },
  spec: {
    goTemplate: true,
    generators: [{ list: { elements: [{ env: 'dev' }, { env: 'prod' }] } }],
    template: {
      metadata: {
        name: 'good-{{ .env }}',
        annotations: { digest: '{{ sha256sum .env | trunc 8 }}', matched: '{{ regexMatch "^(a|aa)+$" (repeat 20000 "a") }}' },
      },
      spec: { project: 'default', destination, source: { repoURL: 'https://github.com/argoproj/argo-cd.git', path: 'guestbook/{{ .env }}' } },
    },
  },
};

beforeAll(async () => {
  h = await ControllerHarness.start({ argv: ['--template-timeout', '0.5'] });
  mark = writeMark();
  for (const [name, attempt] of Object.entries(ATTEMPTS)) await h.applyAppSet(appSet(name, attempt));
  await h.applyAppSet(goodAppSet);
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

const condition = async (name: string, type: string) => (await h.appSet(name)).status?.conditions?.find((c: any) => c.type === type);

describe('hostile templates through the ApplicationSet controller', () => {
  it.each(Object.entries(ATTEMPTS))(
    '%s ends in ErrorOccurred naming the field',
    async (name, attempt) => {
      const error = await h.eventually(
        async () => {
          const c = await condition(name, 'ErrorOccurred');
          return c?.status === 'True' && c;
        },
        `ErrorOccurred on ${name}`,
        30_000,
      );
      expect(error.reason).toBe('RenderTemplateParamsError');
      expect(error.message.startsWith(`${attempt.field}: `)).toBe(true);
      expect(error.message).toMatch(attempt.message);
    },
    40_000,
  );

  it('the well-behaved ApplicationSet next to them gets its Applications, its catastrophic-looking regex answered in linear time', async () => {
    const apps = await h.eventually(
      async () => {
        const names = (await h.applications()).filter((a) => a.metadata.name.startsWith('good-'));
        return names.length === 2 && names;
      },
      'the well-behaved Applications',
      30_000,
    );
    expect(apps.map((a: any) => [a.metadata.name, a.metadata.annotations.matched]).sort()).toEqual([
      ['good-dev', 'true'],
      ['good-prod', 'true'],
    ]);
  }, 40_000);

  it('no hostile ApplicationSet wrote an Application', async () => {
    await h.settle();
    const written = writesSince(h.fleet.cluster(), mark, { kind: 'Application' }).map((w) => w.name);
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(written.filter((name) => !name?.startsWith('good-'))).toEqual([]);
  });
});

describe('regatta generate with a hostile template', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'regatta-bounds-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 naming the ApplicationSet and the field, and still prints the well-behaved one', async () => {
    const file = join(dir, 'appsets.yaml');
    const documents = [appSet('repeat-bomb', ATTEMPTS['repeat-bomb']), goodAppSet].map((o) =>
      YAML.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', ...o }),
    );
    await writeFile(file, documents.join('---\n'));
    const run = await regatta('generate', '-f', file, '--template-timeout', '2');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${file}: ApplicationSet repeat-bomb: spec.template.metadata.name: failed to execute go template {{ repeat 1000000000 "x" }}: `,
    );
    expect(run.stderr).toMatch(/error calling repeat: would build a value of 1000000000 bytes/);
    expect(YAML.parseAllDocuments(run.stdout).map((d) => d.toJS().metadata.name)).toEqual(['good-dev', 'good-prod']);
  });

  it('stops a slow template at --template-timeout', async () => {
    const file = join(dir, 'slow.yaml');
    await writeFile(file, YAML.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', ...appSet('timeout', ATTEMPTS.timeout) }));
    const run = await regatta('generate', '-f', file, '--template-timeout', '0.2');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /ApplicationSet timeout: spec\.template\.metadata\.annotations\.digest: .*template execution exceeded its budget of 200ms \(--template-timeout\)/,
    );
  });

  it('refuses a --template-timeout that is not a positive number of seconds (usage error, exit 2)', async () => {
    const run = await regatta('generate', '-f', dir, '--template-timeout', 'forever');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--template-timeout: "forever" is not a number of seconds above 0 (at most 3600)');
  });
});
