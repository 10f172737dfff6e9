// The folders of src/ in layers, top to bottom: a file may import its own folder and the layers
// below its own, never a layer above (so no two folders can form a cycle). Folders sharing a layer
// are siblings and do not import each other. See docs/architecture.md.
import { dirname, relative, resolve, sep } from 'node:path';

export const LAYERS = [
  ['(root)'], // main.ts: the controller process
  ['cli'],
  ['demo'],
  ['app'], // the composition root: one Nest application for every process
  ['config'],
  ['api-server'],
  ['appset'],
  ['sync'],
  ['rollout'],
  ['sharding'],
  ['control-namespace'],
  ['git', 'scm', 'clusters', 'helm'],
  ['generators', 'projects'],
  ['templating'],
  ['kube', 'redis', 'sim'],
  ['observability'],
  ['api'],
  ['lib'],
];

/** Pure folders: plain functions over plain data, no Kubernetes, Redis, Nest or simulator. */
const PURE = new Set(['templating', 'generators', 'rollout', 'projects', 'helm', 'api', 'lib']);
const IMPURE_FOLDERS = new Set(['kube', 'redis', 'sim', 'observability']);
const IMPURE_PACKAGES = [/^@nestjs\//, /^@kubernetes\/client-node$/, /^ioredis$/, /^bullmq$/];
/** The loop keeps its timers in @nestjs/schedule's registry, so a Nest application cancels them on shutdown. */
const PURE_EXCEPTIONS = { lib: ['@nestjs/schedule'] };
/** Only these folders may import the simulator; product code never knows it runs on one. */
const SIMULATOR_USERS = new Set(['cli', 'demo', 'sim']);
/** The engine's public surface: other folders import templating/gotemplate/index.ts only. */
const GOTEMPLATE = ['templating', 'gotemplate'];

const rankOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((folder) => [folder, rank])));

function locate(srcRoot, file) {
  const path = relative(srcRoot, file).split(sep);
  if (path[0] === '..' || path.length === 0) return undefined;
  return { folder: path.length === 1 ? '(root)' : path[0], path };
}

/** Why importing `target` from `source` breaks the rules, or undefined. */
export function layerViolation(source, target, specifier) {
  if (!target) {
    if (PURE.has(source.folder) && IMPURE_PACKAGES.some((p) => p.test(specifier)) && !PURE_EXCEPTIONS[source.folder]?.includes(specifier))
      return `${source.folder}/ is pure and may not import ${specifier}`;
    if (source.folder !== 'kube' && specifier === '@kubernetes/client-node') return `only kube/ imports @kubernetes/client-node`;
    return undefined;
  }
  if (target.folder === source.folder) return undefined;
  const into = `${target.folder}/`;
  if (target.path[0] === GOTEMPLATE[0] && target.path[1] === GOTEMPLATE[1] && target.path[2] !== 'index.ts' && source.folder !== 'templating') {
    return `import the template engine through templating/gotemplate/index.ts, not ${target.path.slice(1).join('/')}`;
  }
  if (target.folder === 'sim' && !SIMULATOR_USERS.has(source.folder)) return `only cli/ and demo/ import the simulator (sim/); ${source.folder}/ may not`;
  if (PURE.has(source.folder) && IMPURE_FOLDERS.has(target.folder)) return `${source.folder}/ is pure and may not import ${into}`;
  const from = rankOf.get(source.folder);
  const to = rankOf.get(target.folder);
  if (from === undefined) return `${source.folder}/ is not in a layer: add it to lint/layers.js`;
  if (to === undefined) return `${into} is not in a layer: add it to lint/layers.js`;
  if (to === from) return `${source.folder}/ and ${into} are siblings in one layer and may not import each other`;
  if (to < from) return `${source.folder}/ may not import ${into}, a layer above it (folders depend one way: see lint/layers.js)`;
  return undefined;
}

/** ESLint rule: every import in src/ goes down the layers. */
export const layersRule = {
  meta: { type: 'problem', schema: [], docs: { description: 'folders of src/ depend one way, top to bottom' } },
  create(context) {
    const srcRoot = resolve(context.cwd, 'src');
    const source = locate(srcRoot, context.filename);
    if (!source) return {};
    const check = (node) => {
      const specifier = node.source?.value;
      if (typeof specifier !== 'string') return;
      const target = specifier.startsWith('.') ? locate(srcRoot, resolve(dirname(context.filename), specifier.replace(/\.js$/, '.ts'))) : undefined;
      if (specifier.startsWith('.') && !target) return context.report({ node, message: `src/ may not import from outside src/ (${specifier})` });
      const message = layerViolation(source, target, specifier);
      if (message) context.report({ node, message });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { rules: { layers: layersRule } };
