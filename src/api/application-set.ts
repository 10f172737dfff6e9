import type { ApplicationSpec, ResourceIgnoreDifferences } from './application.js';
import type { ConfigMapKeyRef, KubeObject, LabelSelector, ObjectMeta, SecretRef } from './meta.js';

/**
 * argoproj.io/v1alpha1 ApplicationSet, field for field as Argo CD's CRD defines it, plus the
 * rollout fields Regatta adds (marked "Regatta extension").
 */

export const APPLICATION_SET_KIND = 'ApplicationSet';

export interface ApplicationSetTemplateMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface ApplicationSetTemplate {
  metadata: ApplicationSetTemplateMeta;
  spec: ApplicationSpec;
}

/** A generator's own `template`: any subset of the ApplicationSet template, merged over it. */
export type GeneratorTemplate = {
  metadata?: Partial<ApplicationSetTemplateMeta>;
  spec?: Partial<ApplicationSpec>;
};

export interface ListGenerator {
  elements?: unknown[];
  elementsYaml?: string;
  template?: GeneratorTemplate;
}

export interface ClusterGenerator {
  selector?: LabelSelector;
  template?: GeneratorTemplate;
  values?: Record<string, string>;
  flatList?: boolean;
}

export interface GitDirectoryGeneratorItem {
  path: string;
  exclude?: boolean;
}

export interface GitFileGeneratorItem {
  path: string;
  exclude?: boolean;
}

export interface GitGenerator {
  repoURL: string;
  directories?: GitDirectoryGeneratorItem[];
  files?: GitFileGeneratorItem[];
  revision: string;
  requeueAfterSeconds?: number;
  template?: GeneratorTemplate;
  pathParamPrefix?: string;
  values?: Record<string, string>;
}

export interface PullRequestGeneratorFilter {
  branchMatch?: string;
  targetBranchMatch?: string;
  titleMatch?: string;
}

export interface PullRequestGeneratorGithub {
  owner: string;
  repo: string;
  api?: string;
  tokenRef?: SecretRef;
  appSecretName?: string;
  labels?: string[];
}

export interface PullRequestGeneratorGitea {
  owner: string;
  repo: string;
  api: string;
  tokenRef?: SecretRef;
  insecure?: boolean;
  labels?: string[];
}

export interface PullRequestGeneratorGitLab {
  project: string;
  api?: string;
  tokenRef?: SecretRef;
  labels?: string[];
  pullRequestState?: string;
  insecure?: boolean;
  caRef?: ConfigMapKeyRef;
}

/** Bitbucket's username and a Secret holding the password (or personal access token). */
export interface BasicAuthBitbucketServer {
  username: string;
  passwordRef: SecretRef;
}

/** A Secret holding a Bitbucket access token, sent as a Bearer token. */
export interface BearerTokenBitbucket {
  tokenRef: SecretRef;
}

export interface PullRequestGeneratorBitbucketServer {
  project: string;
  repo: string;
  /** The server's URL; `/rest` is added unless it ends so. */
  api: string;
  basicAuth?: BasicAuthBitbucketServer;
  bearerToken?: BearerTokenBitbucket;
  insecure?: boolean;
  caRef?: ConfigMapKeyRef;
}

export interface PullRequestGeneratorBitbucket {
  /** The workspace. */
  owner: string;
  repo: string;
  /** https://api.bitbucket.org/2.0 when blank. */
  api?: string;
  basicAuth?: BasicAuthBitbucketServer;
  bearerToken?: BearerTokenBitbucket;
}

export interface PullRequestGeneratorAzureDevOps {
  organization: string;
  project: string;
  repo: string;
  /** https://dev.azure.com/ when blank. */
  api?: string;
  tokenRef?: SecretRef;
  labels?: string[];
}

export interface PullRequestGenerator {
  github?: PullRequestGeneratorGithub;
  gitlab?: PullRequestGeneratorGitLab;
  gitea?: PullRequestGeneratorGitea;
  bitbucketServer?: PullRequestGeneratorBitbucketServer;
  bitbucket?: PullRequestGeneratorBitbucket;
  azuredevops?: PullRequestGeneratorAzureDevOps;
  filters?: PullRequestGeneratorFilter[];
  requeueAfterSeconds?: number;
  template?: GeneratorTemplate;
  values?: Record<string, string>;
  continueOnRepoNotFoundError?: boolean;
}

/** One `scmProvider` filter: its fields are ANDed, the filters ORed (see scm-provider-generator.ts for Argo CD's staging). */
export interface ScmProviderGeneratorFilter {
  repositoryMatch?: string;
  pathsExist?: string[];
  pathsDoNotExist?: string[];
  labelMatch?: string;
  branchMatch?: string;
}

export interface ScmProviderGeneratorGithub {
  organization: string;
  api?: string;
  tokenRef?: SecretRef;
  appSecretName?: string;
  allBranches?: boolean;
  excludeArchivedRepos?: boolean;
}

export interface ScmProviderGeneratorGitlab {
  group: string;
  includeSubgroups?: boolean;
  api?: string;
  tokenRef?: SecretRef;
  allBranches?: boolean;
  insecure?: boolean;
  /** Argo CD's default is true. */
  includeSharedProjects?: boolean;
  topic?: string;
  caRef?: ConfigMapKeyRef;
  includeArchivedRepos?: boolean;
}

export interface ScmProviderGeneratorGitea {
  owner: string;
  api: string;
  tokenRef?: SecretRef;
  allBranches?: boolean;
  insecure?: boolean;
  excludeArchivedRepos?: boolean;
}

/** Bitbucket Server (Data Center): a project's repositories through REST API 1.0. */
export interface ScmProviderGeneratorBitbucketServer {
  project: string;
  /** The server's URL; `/rest` is added unless it ends so. */
  api: string;
  basicAuth?: BasicAuthBitbucketServer;
  bearerToken?: BearerTokenBitbucket;
  allBranches?: boolean;
  insecure?: boolean;
  caRef?: ConfigMapKeyRef;
}

/** Bitbucket Cloud: a workspace's repositories through API 2.0 at api.bitbucket.org. */
export interface ScmProviderGeneratorBitbucket {
  /** The workspace. */
  owner: string;
  user: string;
  appPasswordRef: SecretRef;
  allBranches?: boolean;
}

export interface ScmProviderGeneratorAzureDevOps {
  organization: string;
  /** https://dev.azure.com when blank. */
  api?: string;
  teamProject: string;
  /** A personal access token. */
  accessTokenRef: SecretRef;
  allBranches?: boolean;
}

/** An AWS resource tag a CodeCommit repository must carry; without `value`, any value. */
export interface ScmProviderGeneratorTagFilter {
  key: string;
  value?: string;
}

/** AWS CodeCommit: credentials and endpoints come from Regatta's environment, as the AWS SDK reads them. */
export interface ScmProviderGeneratorAwsCodeCommit {
  /** Repositories carrying these tags (through the Resource Groups Tagging API); all of the region's without. */
  tagFilters?: ScmProviderGeneratorTagFilter[];
  /** An IAM role ARN to assume (STS AssumeRole) for cross-account discovery. */
  role?: string;
  /** Defaults to AWS_REGION. */
  region?: string;
  allBranches?: boolean;
}

export interface ScmProviderGenerator {
  github?: ScmProviderGeneratorGithub;
  gitlab?: ScmProviderGeneratorGitlab;
  gitea?: ScmProviderGeneratorGitea;
  bitbucket?: ScmProviderGeneratorBitbucket;
  bitbucketServer?: ScmProviderGeneratorBitbucketServer;
  azureDevOps?: ScmProviderGeneratorAzureDevOps;
  awsCodeCommit?: ScmProviderGeneratorAwsCodeCommit;
  filters?: ScmProviderGeneratorFilter[];
  /** `ssh` (the default) or `https`; AWS CodeCommit also `https-fips`. */
  cloneProtocol?: string;
  requeueAfterSeconds?: number;
  template?: GeneratorTemplate;
  values?: Record<string, string>;
}

/** A child of matrix/merge; its own matrix/merge is raw JSON in Argo CD's CRD (one nesting level). */
export interface ApplicationSetNestedGenerator {
  list?: ListGenerator;
  clusters?: ClusterGenerator;
  git?: GitGenerator;
  scmProvider?: ScmProviderGenerator;
  clusterDecisionResource?: ClusterDecisionResourceGenerator;
  pullRequest?: PullRequestGenerator;
  matrix?: MatrixGenerator;
  merge?: MergeGenerator;
  plugin?: PluginGenerator;
  placement?: PlacementGenerator;
  selector?: LabelSelector;
}

/** Clusters chosen by a duck-typed resource (as OCM's PlacementDecision) whose status lists them. */
export interface ClusterDecisionResourceGenerator {
  /** A ConfigMap of Argo CD's namespace: `apiVersion`, `kind` (the resource's plural), `statusListKey`, `matchKey`. */
  configMapRef: string;
  /** The one resource to read; otherwise `labelSelector` chooses them. */
  name?: string;
  labelSelector?: LabelSelector;
  requeueAfterSeconds?: number;
  template?: GeneratorTemplate;
  values?: Record<string, string>;
}

/** Parameters from an HTTP service an administrator registers in a ConfigMap of Argo CD's namespace. */
export interface PluginGenerator {
  configMapRef: { name: string };
  /** Sent to the plugin as they are; the values may be any JSON. */
  input?: { parameters?: Record<string, unknown> };
  requeueAfterSeconds?: number;
  template?: GeneratorTemplate;
  values?: Record<string, string>;
}

export interface MatrixGenerator {
  generators: ApplicationSetNestedGenerator[];
  template?: GeneratorTemplate;
}

export interface MergeGenerator {
  generators: ApplicationSetNestedGenerator[];
  mergeKeys: string[];
  template?: GeneratorTemplate;
}

/** Regatta extension: for each item, the K clusters chosen by bounded-load hashing of a rendered key. */
export interface PlacementGenerator {
  items: ApplicationSetNestedGenerator;
  clusters?: { selector?: LabelSelector };
  replicas?: number;
  key?: string;
  template?: GeneratorTemplate;
}

export type ApplicationSetGenerator = ApplicationSetNestedGenerator;

export type ApplicationsSyncPolicy = 'create-only' | 'create-update' | 'create-delete' | 'sync';

export interface ApplicationSetSyncPolicy {
  preserveResourcesOnDeletion?: boolean;
  applicationsSync?: ApplicationsSyncPolicy;
}

export interface ApplicationMatchExpression {
  key?: string;
  operator?: string;
  values?: string[];
}

export interface ApplicationSetRolloutStep {
  matchExpressions?: ApplicationMatchExpression[];
  maxUpdate?: number | string;
  /** Regatta extension: bake time after the step is healthy before the next step starts. */
  minHealthySeconds?: number;
  /** Regatta extension: how long the step may take before its unhealthy Applications count as failed. */
  progressDeadlineSeconds?: number;
  /** Regatta extension: failures tolerated before onFailure applies. */
  maxFailures?: number;
  /** Regatta extension. */
  onFailure?: 'halt' | 'rollback';
  /**
   * Regatta extension: what the step does with an Application whose cluster does not answer.
   * `wait` (default): the step waits for it; `skip`: the step goes on without it, and it is
   * synced once its cluster answers again.
   */
  unreachable?: 'wait' | 'skip';
}

export interface ApplicationSetStrategy {
  type?: 'AllAtOnce' | 'RollingSync' | string;
  rollingSync?: {
    steps?: ApplicationSetRolloutStep[];
    /**
     * Regatta extension: each Application is pinned to the commit its step has released (its
     * targetRevision written as that SHA) and keeps `automated`/`selfHeal` as its template says.
     */
    pinRevisions?: boolean;
  };
  deletionOrder?: 'AllAtOnce' | 'Reverse' | string;
}

export interface ApplicationSetResourceIgnoreDifferences {
  name?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
}

export interface ApplicationPreservedFields {
  annotations?: string[];
  labels?: string[];
}

export interface ApplicationSetSpec {
  goTemplate?: boolean;
  generators: ApplicationSetGenerator[];
  template: ApplicationSetTemplate;
  syncPolicy?: ApplicationSetSyncPolicy;
  strategy?: ApplicationSetStrategy;
  preservedFields?: ApplicationPreservedFields;
  goTemplateOptions?: string[];
  applyNestedSelectors?: boolean;
  ignoreApplicationDifferences?: ApplicationSetResourceIgnoreDifferences[];
  templatePatch?: string;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ApplicationSetCondition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export interface ApplicationSetApplicationStatus {
  application: string;
  status: 'Waiting' | 'Pending' | 'Progressing' | 'Healthy' | string;
  step: string;
  message: string;
  lastTransitionTime?: string;
  targetRevisions?: string[];
}

export interface ApplicationSetResourceStatus {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status?: string;
  health?: { status?: string; message?: string };
}

/** Regatta's own rollout bookkeeping (status.rollout), beside Argo CD's applicationStatus. */
export interface RolloutStatus {
  phase: 'Progressing' | 'Paused' | 'Aborted' | 'Halted' | 'RollingBack' | 'RolledBack' | 'Completed';
  /** The step being rolled out (1-based); 0 once complete. */
  step: number;
  message: string;
  /** When each step (1-based, as a string) first had an Application move to Pending. */
  stepStartedAt?: Record<string, string>;
  /** Revisions each Application ran before this rollout, for rollback. */
  previousRevisions?: Record<string, string[]>;
  /** Applications this rollout has moved to Pending. */
  updated?: string[];
  failed?: { application: string; step: number; reason: string }[];
  /** Applications whose rollback sync has been requested. */
  rolledBack?: string[];
  haltedAt?: string;
  /** Regatta: the rollout's Applications a sync window holds, by step and by what holds them. */
  waiting?: RolloutWindowWait[];
  /**
   * Regatta: seconds each step (1-based, as a string) spent with Applications held by a sync
   * window, by which its progress deadline is extended; `since` while they still wait.
   */
  windowWait?: Record<string, { seconds: number; since?: string }>;
  /** Regatta: the rollout's Applications held back because a RolloutBudget of their cluster has no room, by step and budget. */
  budgetWaiting?: RolloutBudgetWait[];
  /** Regatta: RolloutBudgets that may cover this ApplicationSet's clusters but are invalid, and so not applied. */
  invalidBudgets?: string[];
  /** Regatta: Applications of steps reached whose cluster does not answer and that their step (`unreachable: wait`) waits for. */
  unreachable?: RolloutUnreachable[];
  /** Regatta: Applications a step with `unreachable: skip` went on without, until their cluster answers and they are synced. */
  skipped?: RolloutUnreachable[];
}

/** Applications of one step a RolloutBudget holds back for the same reason. */
export interface RolloutBudgetWait {
  step: number;
  applications: number;
  budget: string;
  /** For people: `step 2: 3 Applications waiting for RolloutBudget "eu" (2/2 syncs in flight)`. */
  message: string;
}

/** An Application of the rollout whose cluster does not answer (or did not, and it is catching up). */
export interface RolloutUnreachable {
  application: string;
  /** Its destination: the cluster's name, else its server URL. */
  destination: string;
  step: number;
  /** When the rollout first found its cluster unreachable. */
  since: string;
  /** Skipped only: when its cluster answered again; it is synced to the released revision and leaves the list once Healthy. */
  catchingUpSince?: string;
  /** The Application's ComparisonError (what the connection did); absent while catching up. */
  reason?: string;
}

/** Applications of one step held by the same sync windows. */
export interface RolloutWindowWait {
  step: number;
  applications: number;
  /** The windows that hold them (the first ten): a description, else `#index "schedule"`. */
  windows: string[];
  /** How many more windows hold them than are named. */
  more?: number;
  /** When the windows let them sync (ISO 8601); absent when no opening was found or the windows are invalid. */
  opensAt?: string;
  /** Argo CD's "invalid sync windows: …" when the windows cannot be evaluated. */
  error?: string;
  /** For people: `step 2: 3 Applications waiting for sync window "freeze" (opens 02:00 UTC)`. */
  message: string;
}

/** Argo CD v3.4's summary of an ApplicationSet's conditions. */
export interface ApplicationSetHealth {
  status: 'Healthy' | 'Progressing' | 'Degraded' | 'Unknown';
  message: string;
}

export interface ApplicationSetStatus {
  conditions?: ApplicationSetCondition[];
  health?: ApplicationSetHealth;
  applicationStatus?: ApplicationSetApplicationStatus[];
  rollout?: RolloutStatus;
  resources?: ApplicationSetResourceStatus[];
  resourcesCount?: number;
  /** Regatta's: PR previews kept past their pull request (`regatta.dev/preview-ttl`), soonest expiry first. */
  previews?: PreviewStatusEntry[];
}

export interface PreviewStatusEntry {
  application: string;
  /** RFC 3339: when the preview is deleted. */
  expiresAt: string;
}

export interface ApplicationSet extends KubeObject {
  apiVersion: string;
  kind: typeof APPLICATION_SET_KIND;
  metadata: ObjectMeta & { name: string };
  spec: ApplicationSetSpec;
  status?: ApplicationSetStatus;
}

export type { ResourceIgnoreDifferences };
