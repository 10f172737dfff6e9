// The fuzzer behind `npm run fuzz -- [N]` and its 1,000-case run in `npm test`: ApplicationSets
// mutated from the examples and a seed of every generator kind (wrong types, missing fields, huge
// values, odd Unicode, deep nesting, template syntax errors) go through `regatta generate` and
// through the ApplicationSet controller on the simulator. Counted: crashes (the CLI throwing or
// exiting other than 0/1, the controller failing), unhandled rejections and exceptions, rejected
// inputs answered without naming where (the file in the CLI, a message in the condition), and
// Applications deleted while their ApplicationSet was in error.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import YAML from 'yaml';
import { createControllerApp } from '../src/app/app.module.js';
import { ApplicationSetController } from '../src/appset/applicationset-controller.js';
import { runCli } from '../src/cli/main.js';
import { loadAppConfig } from '../src/config/app-config.js';
import { kubeConfigFromString } from '../src/kube/kube-config.js';
import { ObjectClient } from '../src/kube/object-client.js';
import { childOf, isPlainObject, setEntry } from '../src/lib/json-values.js';
import { silentLogger } from '../src/observability/logger.js';
import { SimFleet } from '../src/sim/sim-fleet.js';
import { seededRandom } from '../test/support/random.js';

export interface FuzzReport {
  cases: number;
  crashes: number;
  unhandled: number;
  /** Rejected inputs whose answer does not say where: the CLI's message without the file, or an error condition without a message. */
  unnamed: number;
  /** Applications that disappeared while their ApplicationSet had ErrorOccurred=True. */
  deleted: number;
  /** Entries the run added to Object.prototype: a tenant's key that reached the prototype every object shares. */
  polluted: number;
  /** The first few problems, to replay (each names its case and seed). */
  problems: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

const template = (goTemplate: boolean, name: string) => ({
  metadata: { name, labels: { fuzz: 'true' } },
  spec: {
    project: 'default',
    source: { repoURL: 'https://git.example.com/apps.git', targetRevision: 'HEAD', path: goTemplate ? 'apps/{{.name}}' : 'apps/{{name}}' },
    destination: { server: 'https://kubernetes.default.svc', namespace: goTemplate ? '{{.name}}' : '{{name}}' },
  },
});
const list = (names: string[]) => ({ list: { elements: names.map((name) => ({ name })) } });

/** One ApplicationSet spec per generator kind Regatta has; those that reach outside fail fast here (nothing listens). */
function builtInSeeds(): Record<string, Json>[] {
  const go = (generators: Json[], name = '{{.name}}') => ({ goTemplate: true, generators, template: template(true, name) }) as Record<string, Json>;
  const fast = (generators: Json[], name = '{{name}}') => ({ generators, template: template(false, name) }) as Record<string, Json>;
  return [
    fast([list(['a', 'b', 'c'])]),
    go([list(['a', 'b'])]),
    go([{ clusters: { selector: { matchLabels: { env: 'prod' } }, values: { tier: '{{.name}}' } } }], '{{.name}}-{{.values.tier}}'),
    go([{ matrix: { generators: [list(['a', 'b']), { clusters: {} }] } }], '{{.name}}-{{.server | sha1sum | trunc 6}}'),
    go([{ merge: { mergeKeys: ['name'], generators: [list(['a', 'b']), { list: { elements: [{ name: 'a', extra: 'x' }] } }] } }]),
    fast([{ pullRequest: { github: { owner: 'o', repo: 'r', api: 'http://127.0.0.1:1' }, requeueAfterSeconds: 60 } }]),
    go([{ plugin: { configMapRef: { name: 'no-such-plugin' }, input: { parameters: { a: 1 } } } }]),
    fast([{ clusterDecisionResource: { configMapRef: 'no-such-config', name: 'placement' } }]),
    go([{ placement: { items: list(['a', 'b', 'c']), key: '{{.name}}', replicas: 1 } }], '{{.name}}-{{.nameNormalized}}'),
    {
      ...go([list(['a', 'b'])]),
      strategy: { type: 'RollingSync', rollingSync: { steps: [{ matchExpressions: [{ key: 'fuzz', operator: 'In', values: ['true'] }] }] } },
    },
  ];
}

/** The repository's examples/, as specs. */
function exampleSeeds(): Record<string, Json>[] {
  // Run from the repository root (npm scripts and vitest are): this file runs from bench/ and from dist-bench/.
  const directory = resolve('examples');
  return readdirSync(directory)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      YAML.parseAllDocuments(readFileSync(join(directory, file), 'utf8')).map(
        (document) => document.toJSON() as { kind?: string; spec?: Record<string, Json> },
      ),
    )
    .filter((object) => object?.kind === 'ApplicationSet' && object.spec)
    .map((object) => object.spec!);
}

const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e-rtl',
  '💥',
  '\ud800',
  'a'.repeat(300),
  '{{',
  '{{ .',
  '{{ end }}',
  '{{ template "x" }}',
  '{{ .a.b.c.d }}',
  "{{ index . 'x' }}",
  '{{ repeat 100000 "x" }}',
  '$(rm -rf /)',
  '../../etc/passwd',
  'null',
  '0x10',
  'y',
];

function randomValue(random: Random, depth = 0): Json {
  switch (Math.floor(random() * 9)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick(random, [0, -1, 1.5, 1e21, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
    case 3:
      return pick(random, ODD_STRINGS);
    case 4:
      return 'x'.repeat(Math.floor(random() * 200_000));
    case 5:
      return depth > 3 ? [] : Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
    case 6:
      return depth > 3
        ? {}
        : Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(random, ODD_STRINGS) || 'k', randomValue(random, depth + 1)]));
    case 7: {
      // Deep nesting: parsers and walkers must not overflow the stack on it.
      let nested: Json = 'leaf';
      for (let i = 0; i < 2000; i++) nested = { n: nested };
      return nested;
    }
    default:
      return pick(random, ['{{.name}}', '{{name}}', '{{ .values.x }}', '{{ toYaml . }}', '{{ fail "boom" }}', '{{ .name | upper }}-{{ .missing }}']);
  }
}

/** Every path (keys and indices) into a JSON value, nearest first. */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (out.length > 500) return out;
  if (Array.isArray(value)) value.forEach((item, i) => paths(item, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const key of Object.keys(value)) paths(value[key], [...prefix, key], out);
  return out;
}

/** One to three mutations of a seed: a value replaced, a field removed or added, a list emptied. */
function mutate(random: Random, spec: Record<string, Json>): Record<string, Json> {
  const root = structuredClone(spec) as Json;
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const all = paths(root).filter((path) => path.length > 0);
    // Earlier mutations may have removed every field: nothing is left to mutate.
    if (!all.length) break;
    const path = pick(random, all);
    let parent = root as Record<string | number, Json>;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
    const last = path[path.length - 1];
    const choice = random();
    if (choice < 0.5) parent[last] = randomValue(random);
    else if (choice < 0.7) {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else if (choice < 0.85 && parent[last] && typeof parent[last] === 'object' && !Array.isArray(parent[last])) {
      (parent[last] as Record<string, Json>)[
        pick(random, ['values', 'selector', 'template', 'goTemplate', 'requeueAfterSeconds', 'elementsYaml', 'unknownField'])
      ] = randomValue(random);
    } else parent[last] = Array.isArray(parent[last]) ? [] : randomValue(random);
  }
  return root as Record<string, Json>;
}

/** Names objects inherit: as keys in a tenant's spec they are data, and must never reach a prototype. */
const INHERITED_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/**
 * Every fifth case also gets an inherited name as a key of one of its maps, holding a map of its
 * own (drawn from a stream of its own, so the other mutations stay those of the same seed).
 */
function withInheritedName(seed: number, index: number, spec: Record<string, Json>): Record<string, Json> {
  const random = seededRandom(seed * 7_919 + index * 31 + 17);
  if (random() >= 0.2) return spec;
  const maps = paths(spec)
    .map((path) => path.reduce<unknown>(childOf, spec))
    .filter(isPlainObject);
  setEntry(pick(random, maps), pick(random, INHERITED_NAMES), { fuzzInherited: 'yes' });
  return spec;
}

/** Case `index` of the run with `seed`: the seed spec it starts from and its mutation. */
export function fuzzCase(seeds: Record<string, Json>[], seed: number, index: number) {
  const random = seededRandom(seed * 1_000_003 + index);
  const name = `fuzz-${index}`;
  const original = structuredClone(pick(random, seeds));
  // Each case's Applications carry its name, so no two cases generate the same Application.
  const metadata = (original.template as { metadata?: { name?: Json } } | undefined)?.metadata;
  if (metadata && typeof metadata.name === 'string') metadata.name = `${name}-${metadata.name}`;
  return { index, name, original, mutated: withInheritedName(seed, index, mutate(random, original)) };
}

/** The specs cases start from: one per generator kind, and the repository's examples. */
export const fuzzSeeds = () => [...builtInSeeds(), ...exampleSeeds()];

const appSetOf = (name: string, spec: Json) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name, namespace: 'argocd' }, spec });

async function generateThroughCli(file: string): Promise<{ code: number; stderr: string }> {
  const stdout = new PassThrough().resume();
  const stderr = new PassThrough();
  const errors: Buffer[] = [];
  stderr.on('data', (chunk: Buffer) => errors.push(chunk));
  const code = await runCli(['generate', '-f', file, '--template-timeout', '0.5'], { stdout, stderr });
  return { code, stderr: Buffer.concat(errors).toString('utf8') };
}

/** Runs `cases` mutated ApplicationSets (seeded: the same seed replays the same run); `log` hears progress. */
export async function runFuzz(options: { cases: number; seed?: number; batch?: number; log?: (line: string) => void }): Promise<FuzzReport> {
  const seed = options.seed ?? 1;
  const report: FuzzReport = { cases: 0, crashes: 0, unhandled: 0, unnamed: 0, deleted: 0, polluted: 0, problems: [] };
  const builtIn = new Set(Object.getOwnPropertyNames(Object.prototype));
  /** Entries added to Object.prototype since the last look, counted and taken out so the run goes on clean. */
  const checkPrototype = (after: string) => {
    for (const name of Object.getOwnPropertyNames(Object.prototype).filter((n) => !builtIn.has(n))) {
      report.polluted++;
      problem(`${after}: Object.prototype gained ${JSON.stringify(name)}`);
      delete (Object.prototype as Record<string, unknown>)[name];
    }
  };
  const problem = (what: string) => {
    if (report.problems.length < 20) report.problems.push(what);
  };
  const onUnhandled = (error: unknown) => {
    report.unhandled++;
    problem(`unhandled: ${(error as Error)?.stack ?? String(error)}`);
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);

  const seeds = fuzzSeeds();
  const dir = mkdtempSync(join(tmpdir(), 'regatta-fuzz-'));
  const fleet = await SimFleet.start({
    clusters: [
      { name: 'prod-1', labels: { env: 'prod' } },
      { name: 'dev-1', labels: { env: 'dev' } },
    ],
  });
  let app: INestApplication | undefined;
  try {
    const kubeConfig = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta' }));
    app = await createControllerApp({ config: loadAppConfig(['--template-timeout=0.5'], {}), kubeConfig, logger: silentLogger });
    await app.init();
    const controller = app.get(ApplicationSetController);
    const client = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'fuzzer' })));
    for (const name of fleet.names().filter((n) => n !== 'management')) await client.create(fleet.clusterSecret(name));
    const store = fleet.cluster();
    const applicationType = store.typeForKind('argoproj.io/v1alpha1', 'Application')!;
    const appSetType = store.typeForKind('argoproj.io/v1alpha1', 'ApplicationSet')!;
    /** Each ApplicationSet's live Applications, by its name: one listing for a whole batch. */
    const ownership = () => {
      const owned = new Map<string, Set<string>>();
      for (const application of store.list(applicationType, 'argocd')) {
        if (application.metadata?.deletionTimestamp) continue;
        for (const owner of (application.metadata?.ownerReferences ?? []) as { name: string }[]) {
          if (!owned.has(owner.name)) owned.set(owner.name, new Set());
          owned.get(owner.name)!.add(application.metadata!.name!);
        }
      }
      return owned;
    };
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await controller.idle();
      }
    };

    const batchSize = options.batch ?? 50;
    for (let start = 0; start < options.cases; start += batchSize) {
      const batch = Array.from({ length: Math.min(batchSize, options.cases - start) }, (_, k) => fuzzCase(seeds, seed, start + k));

      for (const c of batch) {
        report.cases++;
        const file = join(dir, `${c.name}.yaml`);
        // JSON is YAML, and JSON.stringify takes any depth (yaml's writer does not).
        writeFileSync(file, JSON.stringify(appSetOf(c.name, c.mutated)));
        try {
          const { code, stderr } = await generateThroughCli(file);
          if (code !== 0 && code !== 1) {
            report.crashes++;
            problem(`case ${c.index} (seed ${seed}): regatta generate exited ${code}: ${stderr.slice(0, 300)}`);
          } else if (code === 1 && !stderr.includes(file)) {
            report.unnamed++;
            problem(`case ${c.index} (seed ${seed}): rejected without naming the file: ${stderr.slice(0, 300)}`);
          }
        } catch (error) {
          report.crashes++;
          problem(`case ${c.index} (seed ${seed}): regatta generate threw ${(error as Error).stack}`);
        }
        checkPrototype(`case ${c.index} (seed ${seed}), regatta generate`);
      }

      // The controller: the seed first, then its mutation in place, as a user's bad edit arrives.
      for (const c of batch) await client.create(appSetOf(c.name, c.original) as never).catch(() => undefined);
      await settle();
      const before = ownership();
      for (const c of batch) {
        const live = store.get(appSetType, 'argocd', c.name);
        if (!live) continue;
        // Rejected by the API server's schema: not Regatta's input, nothing to count.
        await client
          .replace({
            ...appSetOf(c.name, c.mutated),
            metadata: { ...appSetOf(c.name, c.mutated).metadata, resourceVersion: live.metadata!.resourceVersion },
          } as never)
          .catch(() => undefined);
      }
      await settle();
      const after = ownership();
      for (const c of batch) {
        const live = store.get(appSetType, 'argocd', c.name) as { status?: { conditions?: { type: string; status: string; message?: string }[] } } | undefined;
        const error = live?.status?.conditions?.find((condition) => condition.type === 'ErrorOccurred' && condition.status === 'True');
        if (!error) continue;
        if (!error.message) {
          report.unnamed++;
          problem(`case ${c.index} (seed ${seed}): ErrorOccurred without a message`);
        }
        const missing = [...(before.get(c.name) ?? [])].filter((name) => !after.get(c.name)?.has(name));
        if (missing.length) {
          report.deleted += missing.length;
          problem(`case ${c.index} (seed ${seed}): ${missing.length} Applications deleted while in error: ${error.message}`);
        }
      }
      for (const c of batch) await client.delete(appSetOf(c.name, null) as never).catch(() => undefined);
      await settle();
      // No application controller runs here to honour resources-finalizer: the fuzzer lets the
      // deleted Applications go, or they would pile up and slow every later batch.
      for (const application of store.list(applicationType, 'argocd').filter((a) => a.metadata?.deletionTimestamp && a.metadata.finalizers?.length)) {
        await client
          .mergePatch({
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Application',
            metadata: { name: application.metadata!.name!, namespace: 'argocd', finalizers: null },
          } as never)
          .catch(() => undefined);
      }
      checkPrototype(`the controller, cases ${start}–${start + batch.length - 1} (seed ${seed})`);
      options.log?.(`fuzz: ${report.cases}/${options.cases} cases, ${report.crashes} crashes, ${report.unhandled} unhandled, ${report.deleted} deleted`);
    }
  } catch (error) {
    report.crashes++;
    problem(`the controller failed: ${(error as Error).stack}`);
  } finally {
    await app?.close();
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  }
  return report;
}
