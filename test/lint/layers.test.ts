import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The project's own ESLint configuration, as `npm run lint` loads it.
const root = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The layer rule's messages for a file planted at `path` with `text`. */
async function layerErrors(path: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: resolve(root, path) });
  return result.messages.filter((m) => m.ruleId === 'regatta/layers').map((m) => m.message);
}

describe('npm run lint: folders depend one way', () => {
  it('refuses an import that would close a cycle between folders', async () => {
    // appset/ imports api/ and lib/ already; either importing appset/ back would make a cycle.
    expect(
      await layerErrors(
        'src/api/planted.ts',
        "import { ApplicationSetReconciler } from '../appset/reconciler.js';\nexport const x = ApplicationSetReconciler;\n",
      ),
    ).toEqual(['api/ may not import appset/, a layer above it (folders depend one way: see lint/layers.js)']);
    expect(await layerErrors('src/sharding/planted.ts', "export { ApplicationSetController } from '../appset/applicationset-controller.js';\n")).toHaveLength(
      1,
    );
  });

  it('refuses imports between siblings of one layer', async () => {
    expect(await layerErrors('src/git/planted.ts', "import type { ScmPolicy } from '../scm/scm-policy.js';\nexport type X = ScmPolicy;\n")).toEqual([
      'git/ and scm/ are siblings in one layer and may not import each other',
    ]);
  });

  it('keeps the pure folders free of Kubernetes, Nest and the simulator', async () => {
    expect(await layerErrors('src/templating/planted.ts', "import * as k8s from '@kubernetes/client-node';\nexport const x = k8s;\n")).toEqual([
      'templating/ is pure and may not import @kubernetes/client-node',
    ]);
    expect(await layerErrors('src/sync/planted.ts', "import * as k8s from '@kubernetes/client-node';\nexport const x = k8s;\n")).toEqual([
      'only kube/ imports @kubernetes/client-node',
    ]);
    expect(
      await layerErrors('src/generators/planted.ts', "import { ObjectClient } from '../kube/object-client.js';\nexport const x = ObjectClient;\n"),
    ).toEqual(['generators/ is pure and may not import kube/']);
    expect(await layerErrors('src/sync/planted.ts', "import { SimFleet } from '../sim/sim-fleet.js';\nexport const x = SimFleet;\n")).toEqual([
      'only cli/ and demo/ import the simulator (sim/); sync/ may not',
    ]);
  });

  it('lets other folders reach the template engine only through its index', async () => {
    expect(
      await layerErrors(
        'src/generators/planted.ts',
        "import { sanitizeName } from '../templating/gotemplate/argo-functions.js';\nexport const x = sanitizeName;\n",
      ),
    ).toEqual(['import the template engine through templating/gotemplate/index.ts, not gotemplate/argo-functions.ts']);
    expect(
      await layerErrors('src/generators/planted.ts', "import { sanitizeName } from '../templating/gotemplate/index.js';\nexport const x = sanitizeName;\n"),
    ).toEqual([]);
  });

  it('accepts every import in src/ as it is', async () => {
    const results = await eslint.lintFiles(['src/**/*.ts']);
    const broken = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'regatta/layers').map((m) => `${r.filePath}: ${m.message}`));
    expect(broken).toEqual([]);
    expect(results.length).toBeGreaterThan(150);
  }, 120_000);
});
