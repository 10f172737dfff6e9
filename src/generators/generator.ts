import type { ApplicationSet, PullRequestGenerator, ScmProviderGenerator } from '../api/application-set.js';
import type { KubeObject } from '../api/meta.js';

/**
 * One parameter set: what one rendering of the template sees. In fasttemplate mode generators
 * return flat string values under dotted keys; in goTemplate mode they return nested values.
 */
export type ParamSet = Record<string, unknown>;

/** A cluster registered by an Argo CD cluster Secret, as the Cluster generator sees it. */
export interface RegisteredCluster {
  name: string;
  server: string;
  project?: string;
  /** The Secret's labels and annotations. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Namespace/name of the Secret that registers it. */
  secret?: { namespace: string; name: string };
  shard?: number;
}

export interface ClusterSource {
  /** Clusters registered by Secrets (the implicit in-cluster cluster is the Cluster generator's to add). */
  list(): Promise<RegisteredCluster[]>;
}

/** Reads a repository with the credentials Argo CD gives `project` ('' when the project is not known). */
export interface RepositoryReader {
  /** Directories (paths relative to the repository root) at a revision. */
  getDirectories(repoURL: string, revision: string, project?: string): Promise<string[]>;
  /** Files whose paths match a glob, with their contents, at a revision. */
  getFiles(repoURL: string, revision: string, pattern: string, project?: string): Promise<Map<string, Buffer>>;
  /**
   * The commit a revision names on the remote now (or as answered at most `maxAgeMs` ago); the
   * reconciler pins RollingSync releases with it. Readers that cannot resolve leave it out.
   */
  resolveRevision?(repoURL: string, revision: string, maxAgeMs?: number, project?: string): Promise<string>;
}

export interface PullRequest {
  number: number;
  title: string;
  branch: string;
  targetBranch: string;
  headSha: string;
  labels: string[];
  author: string;
}

export interface PullRequestService {
  /**
   * All open pull requests the spec names, every page read; throws rather than return a partial
   * list, and throws ProviderSelectionError when the provider may not be used at all.
   */
  list(spec: PullRequestGenerator, appSet: ApplicationSet): Promise<PullRequest[]>;
  /**
   * Posts a commit status on a pull request's head commit with the generator's own token; false,
   * sending nothing, when the generator has no token. Only the controller's service posts.
   */
  postCommitStatus?(spec: PullRequestGenerator, appSet: ApplicationSet, sha: string, status: CommitStatus): Promise<boolean>;
}

/** Regatta's view of a PR preview; each provider gets its own word for the state. */
export type PreviewState = 'pending' | 'running' | 'success' | 'failure';

/** A commit status about a PR preview. */
export interface CommitStatus {
  state: PreviewState;
  /** For people, on the PR: "Synced and Healthy", "Sync failed", ... */
  description: string;
  /** The preview's address (http or https only). */
  targetUrl?: string;
  /** Distinguishes Regatta's status among a commit's other checks: `regatta/<appset>`. */
  context: string;
}

/** A repository, or one branch of it, as an SCM provider lists it (Argo CD's scm_provider.Repository). */
export interface ScmRepository {
  organization: string;
  repository: string;
  url: string;
  branch: string;
  sha: string;
  labels: string[];
  repositoryId: number | string;
}

/** One SCM provider's API, bound to the organization/group/owner a generator names. */
export interface ScmRepositoryProvider {
  /** Every repository (all pages), its default branch in `branch` and no `sha` yet. */
  listRepos(cloneProtocol: string): Promise<ScmRepository[]>;
  /** The default branch, or with allBranches every branch, of one listed repository, each with its SHA. */
  getBranches(repo: ScmRepository): Promise<ScmRepository[]>;
  /** Whether a file or directory exists at `path` on the repository's branch. */
  repoHasPath(repo: ScmRepository, path: string): Promise<boolean>;
}

export interface ScmProviderService {
  /**
   * The provider an `scmProvider` generator configures, credentials read; throws ProviderSelectionError
   * (with Argo CD's message) when it may not or cannot be used.
   */
  provider(spec: ScmProviderGenerator, appSet: ApplicationSet): Promise<ScmRepositoryProvider>;
}

export interface SecretReader {
  /**
   * The decoded value of one key of a Secret; throws naming the Secret and key when absent, or, with
   * `scmCredsOnly`, when the Secret is not labelled an SCM credential (Argo CD's strict mode).
   */
  getSecretValue(namespace: string, name: string, key: string, scmCredsOnly?: boolean): Promise<string>;
}

/** ConfigMaps of an ApplicationSet's own namespace, as a provider's `caRef` names them. */
export interface ConfigMapReader {
  /** The ConfigMap's data; throws naming the ConfigMap when it cannot be read. */
  configMapData(namespace: string, name: string): Promise<Record<string, string>>;
}

/** ConfigMaps of Argo CD's namespace: settings an administrator writes (plugins, duck-typed resources). */
export interface SettingsReader {
  /** Argo CD's namespace: where those ConfigMaps, and the Secrets they name, live. */
  readonly namespace: string;
  /** The ConfigMap's data; undefined when there is no ConfigMap by that name. */
  configMapData(name: string): Promise<Record<string, string> | undefined>;
}

/** Custom resources of Argo CD's namespace, as the ClusterDecisionResource generator names them. */
export interface ResourceLister {
  /** Every object of the resource (plural, as `placementdecisions`) in API group/version `apiVersion`. */
  list(apiVersion: string, resource: string): Promise<KubeObject[]>;
}

/**
 * Where a generation says what it read, so that a change elsewhere regenerates only the
 * ApplicationSets it can change. Optional: previews and the CLI do not listen.
 */
export interface GenerationInputs {
  /**
   * A generator that reads `clusters.list()` but depends only on the clusters whose Secret labels
   * `selects` accepts says so, once per list it reads; any other read of the list depends on every cluster.
   */
  readClusters(selects: (labels: Record<string, string>) => boolean): void;
}

/** What a generator may reach: everything outside the ApplicationSet comes through here. */
export interface GeneratorContext {
  clusters: ClusterSource;
  repositories: RepositoryReader;
  pullRequests: PullRequestService;
  scmProviders: ScmProviderService;
  secrets: SecretReader;
  settings: SettingsReader;
  resources: ResourceLister;
  inputs?: GenerationInputs;
  /** Time the template engine may spend on one render, in ms (--template-timeout); 1 s when unset. */
  templateTimeoutMs?: number;
}

/** Argo CD's default requeue for generators that poll (Git, SCM). */
export const DEFAULT_REQUEUE_AFTER_SECONDS = 180;

/**
 * One generator kind behind one small interface, as Argo CD's generators are. Matrix and Merge
 * compose others through the same interface.
 */
export interface Generator<Spec = unknown> {
  /** The key naming this generator in `spec.generators[]` (`list`, `clusters`, `git`, …). */
  readonly kind: string;
  generateParams(spec: Spec, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]>;
  /** Seconds until the ApplicationSet should be generated again; undefined when it need not be. */
  requeueAfterSeconds(spec: Spec): number | undefined;
}

/** The provider may not be used: SCM providers are off, its API is not allowed, or its credentials cannot be read. */
export class ProviderSelectionError extends Error {}

/** A generation failure; `field` is the path inside the generator spec that was wrong, when known. */
export class GeneratorError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'GeneratorError';
  }
}
