import type { AppProject, ClusterResourceRestrictionItem, GroupKind } from '../api/app-project.js';
import type { NamedCluster } from './destination-cluster.js';
import { filepathMatch, globMatch } from './glob.js';
import { normalizeGitURL } from './git-url.js';
import { matchStringInList } from './pattern-list.js';

/** A registered cluster as project rules read it (an Argo CD cluster Secret's name, server, project and scope). */
export interface ProjectCluster extends NamedCluster {
  /** The project the cluster is scoped to (the Secret's `project`). */
  project?: string;
  /** The namespaces the cluster is limited to (namespaced mode); empty for the whole cluster. */
  namespaces: string[];
  /** In namespaced mode, whether cluster-scoped kinds are managed too. */
  clusterResources: boolean;
}

/** A repository Secret (`argocd.argoproj.io/secret-type: repository`) as project rules read it. */
export interface ProjectRepository {
  url: string;
  project?: string;
}

/**
 * Verdicts remembered per project object: every refresh and every write batch of a sync asks the
 * same questions of the same project, and a changed project is a new object, so nothing stale is
 * answered. Tenants choose the questions (repositories, namespaces, kinds), so each project's
 * answers are bounded.
 */
const REMEMBERED_PER_PROJECT = 4096;
const verdicts = new WeakMap<AppProject, Map<string, boolean>>();

function remembered(project: AppProject, question: string, judge: () => boolean): boolean {
  let answers = verdicts.get(project);
  if (!answers) verdicts.set(project, (answers = new Map()));
  let answer = answers.get(question);
  if (answer === undefined) {
    if (answers.size >= REMEMBERED_PER_PROJECT) answers.clear();
    answer = judge();
    answers.set(question, answer);
  }
  return answer;
}

/** Argo CD's deny entries: a `!` in front negates the pattern. */
export const isDenyPattern = (pattern: string | undefined) => (pattern ?? '').startsWith('!');

/** AppProject's globMatch: `*` is everything, `!pattern` is everything the pattern does not match. */
function patternMatches(pattern: string | undefined, value: string, separators = ''): boolean {
  const text = pattern ?? '';
  if (isDenyPattern(text)) return !globMatch(text.slice(1), value, separators);
  return text === '*' || globMatch(text, value, separators);
}

/**
 * IsSourcePermitted: URLs compared normalised, `/` separating path segments (so `org/*` is one
 * level deep and `org/**` any depth). Any matching entry permits, unless a `!` entry in the list
 * matches the repository: a deny entry wins wherever it stands.
 */
export function isSourcePermitted(project: AppProject, repoURL: string): boolean {
  return remembered(project, `source\0${repoURL}`, () => isSourceMatched(project, repoURL));
}

function isSourceMatched(project: AppProject, repoURL: string): boolean {
  const source = normalizeGitURL(repoURL);
  let permitted = false;
  for (const entry of project.spec.sourceRepos ?? []) {
    const normalized = isDenyPattern(entry) ? `!${normalizeGitURL(entry.slice(1))}` : normalizeGitURL(entry);
    if (patternMatches(normalized, source, '/')) permitted = true;
    else if (isDenyPattern(normalized)) return false;
  }
  return permitted;
}

/**
 * isDestinationMatched, with Argo CD's precedence kept as it is: a `!name` entry that matches the
 * cluster's name refuses it whatever the namespace; a `!server` entry refuses the cluster only
 * for the namespaces the entry names; a `!namespace` entry refuses the namespace on the servers
 * the entry names.
 */
function isDestinationMatched(project: AppProject, cluster: NamedCluster, namespace: string): boolean {
  let matched = false;
  for (const item of project.spec.destinations ?? []) {
    const nameMatched = cluster.name !== '' && patternMatches(item.name, cluster.name);
    const serverMatched = cluster.server !== '' && patternMatches(item.server, cluster.server);
    const namespaceMatched = patternMatches(item.namespace, namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) matched = true;
    else if ((!nameMatched && isDenyPattern(item.name)) || (!serverMatched && isDenyPattern(item.server) && namespaceMatched)) return false;
    else if (!namespaceMatched && isDenyPattern(item.namespace) && serverMatched) return false;
  }
  return matched;
}

/**
 * IsDestinationPermitted: the cluster (its name and server both count) and namespace match the
 * project's destinations; with permitOnlyProjectScopedClusters the cluster must also be one
 * scoped to this project.
 */
export function isDestinationPermitted(project: AppProject, cluster: NamedCluster, namespace: string, clusters: readonly ProjectCluster[]): boolean {
  const matched = remembered(project, `destination\0${cluster.name}\0${cluster.server}\0${namespace}`, () => isDestinationMatched(project, cluster, namespace));
  if (!matched) return false;
  if (!project.spec.permitOnlyProjectScopedClusters) return true;
  return clusters.some((c) => c.project === project.metadata.name && (c.name === cluster.name || c.server === cluster.server));
}

/** Whitelist and blacklist entries are Go filepath patterns on group, kind and (cluster-scoped) name. */
const groupKindIn = (list: readonly GroupKind[], resource: GroupKind) =>
  list.some((item) => filepathMatch(item.kind, resource.kind) && filepathMatch(item.group, resource.group));
const namedIn = (list: readonly ClusterResourceRestrictionItem[], resource: GroupKind, name: string) =>
  list.some((item) => filepathMatch(item.kind, resource.kind) && filepathMatch(item.group, resource.group) && (!item.name || filepathMatch(item.name, name)));

/**
 * IsGroupKindNamePermitted: namespaced kinds are allowed unless blacklisted (an absent whitelist
 * allows all, an empty one none); cluster-scoped kinds only when whitelisted and not blacklisted.
 * The core API group is the empty string.
 */
export function isGroupKindNamePermitted(project: AppProject, resource: GroupKind, name: string, namespaced: boolean): boolean {
  // Names count only for cluster-scoped kinds.
  const question = namespaced ? `kind\0${resource.group}\0${resource.kind}` : `cluster kind\0${resource.group}\0${resource.kind}\0${name}`;
  return remembered(project, question, () => isGroupKindNameListed(project, resource, name, namespaced));
}

function isGroupKindNameListed(project: AppProject, resource: GroupKind, name: string, namespaced: boolean): boolean {
  const spec = project.spec;
  if (namespaced) {
    const whitelisted = spec.namespaceResourceWhitelist == null || groupKindIn(spec.namespaceResourceWhitelist, resource);
    return whitelisted && !groupKindIn(spec.namespaceResourceBlacklist ?? [], resource);
  }
  return namedIn(spec.clusterResourceWhitelist ?? [], resource, name) && !namedIn(spec.clusterResourceBlacklist ?? [], resource, name);
}

/** IsResourcePermitted: the kind is allowed, and a namespaced object's namespace is a permitted destination. */
export function isResourcePermitted(
  project: AppProject,
  resource: GroupKind,
  name: string,
  namespace: string,
  cluster: NamedCluster,
  clusters: readonly ProjectCluster[],
): boolean {
  if (!isGroupKindNamePermitted(project, resource, name, namespace !== '')) return false;
  return namespace === '' || isDestinationPermitted(project, cluster, namespace, clusters);
}

/** IsAppNamespacePermitted: Applications in Argo CD's namespace always are; others when sourceNamespaces (globs or `/regex/`) name theirs. */
export function isAppNamespacePermitted(project: AppProject, applicationNamespace: string | undefined, controllerNamespace: string): boolean {
  if (!applicationNamespace || applicationNamespace === controllerNamespace) return true;
  return matchStringInList(project.spec.sourceNamespaces, applicationNamespace, 'regexp');
}

/**
 * The project as Argo CD's GetAppProjectByName returns it: repositories scoped to it join its
 * sourceRepos, clusters scoped to it join its destinations (all their namespaces, or the ones
 * the cluster is limited to).
 */
export function withProjectScopedResources(project: AppProject, repositories: readonly ProjectRepository[], clusters: readonly ProjectCluster[]): AppProject {
  // The same object for the same inputs, so the verdicts remembered for it are asked again.
  const known = effectiveProjects.get(project);
  if (known?.repositories === repositories && known.clusters === clusters) return known.effective;
  const effective = addProjectScopedResources(project, repositories, clusters);
  effectiveProjects.set(project, { repositories, clusters, effective });
  return effective;
}
const effectiveProjects = new WeakMap<AppProject, { repositories: readonly ProjectRepository[]; clusters: readonly ProjectCluster[]; effective: AppProject }>();

function addProjectScopedResources(project: AppProject, repositories: readonly ProjectRepository[], clusters: readonly ProjectCluster[]): AppProject {
  const name = project.metadata.name;
  const scopedRepositories = repositories.filter((r) => r.project === name).map((r) => r.url);
  const scopedClusters = clusters.filter((c) => c.project === name);
  if (!scopedRepositories.length && !scopedClusters.length) return project;
  return {
    ...project,
    spec: {
      ...project.spec,
      sourceRepos: [...(project.spec.sourceRepos ?? []), ...scopedRepositories],
      destinations: [
        ...(project.spec.destinations ?? []),
        ...scopedClusters.flatMap((c) =>
          c.namespaces.length ? c.namespaces.map((namespace) => ({ server: c.server, namespace })) : [{ server: c.server, namespace: '*' }],
        ),
      ],
    },
  };
}
