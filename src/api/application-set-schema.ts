import { API_VERSION } from './application.js';
import type { ApplicationSet } from './application-set.js';
import { validateAgainst, type Schema, type SchemaProblem } from './schema.js';

/** The structural schema of argoproj.io/v1alpha1 ApplicationSet, after Argo CD's CRD, plus Regatta's rollout fields. */

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const int: Schema = { type: 'integer' };
const strings: Schema = { type: 'array', items: str };
const stringMap: Schema = { type: 'object', additionalProperties: str };
const open: Schema = { type: 'object', preserveUnknownFields: true };
const secretRef: Schema = { type: 'object', properties: { secretName: str, key: str }, required: ['secretName', 'key'] };
const configMapKeyRef: Schema = { type: 'object', properties: { configMapName: str, key: str }, required: ['configMapName', 'key'] };

const bitbucketBasicAuth: Schema = { type: 'object', properties: { username: str, passwordRef: secretRef }, required: ['passwordRef', 'username'] };
const bitbucketBearerToken: Schema = { type: 'object', properties: { tokenRef: secretRef }, required: ['tokenRef'] };

export const labelSelector: Schema = {
  type: 'object',
  properties: {
    matchLabels: stringMap,
    matchExpressions: {
      type: 'array',
      items: { type: 'object', properties: { key: str, operator: str, values: strings }, required: ['key', 'operator'] },
    },
  },
};

const source: Schema = {
  type: 'object',
  preserveUnknownFields: true,
  properties: { repoURL: str, path: str, targetRevision: str, chart: str, ref: str, name: str, helm: open, kustomize: open, directory: open, plugin: open },
};

const applicationSpec: Schema = {
  type: 'object',
  preserveUnknownFields: true,
  properties: {
    source,
    sources: { type: 'array', items: source },
    destination: { type: 'object', properties: { server: str, namespace: str, name: str } },
    project: str,
    syncPolicy: open,
    ignoreDifferences: { type: 'array', items: open },
    info: { type: 'array', items: { type: 'object', properties: { name: str, value: str } } },
    revisionHistoryLimit: int,
    sourceHydrator: open,
  },
};

const templateMeta: Schema = {
  type: 'object',
  properties: { name: str, namespace: str, labels: stringMap, annotations: stringMap, finalizers: strings },
};

/** As Argo CD's CRD: a template has metadata and a spec, and the spec names a destination and a project. */
const applicationTemplate: Schema = {
  type: 'object',
  required: ['metadata', 'spec'],
  properties: { metadata: templateMeta, spec: { ...applicationSpec, required: ['destination', 'project'] } },
};
const generatorTemplate = applicationTemplate;

const requeue: Schema = { type: 'integer', minimum: 0 };

const gitItem: Schema = { type: 'object', properties: { path: str, exclude: bool }, required: ['path'] };

const terminalGenerators: Record<string, Schema> = {
  list: { type: 'object', properties: { elements: { type: 'array', items: { type: 'any' } }, elementsYaml: str, template: generatorTemplate } },
  clusters: { type: 'object', properties: { selector: labelSelector, template: generatorTemplate, values: stringMap, flatList: bool } },
  git: {
    type: 'object',
    required: ['repoURL', 'revision'],
    properties: {
      repoURL: str,
      revision: str,
      directories: { type: 'array', items: gitItem },
      files: { type: 'array', items: gitItem },
      requeueAfterSeconds: requeue,
      template: generatorTemplate,
      pathParamPrefix: str,
      values: stringMap,
    },
  },
  pullRequest: {
    type: 'object',
    properties: {
      github: {
        type: 'object',
        required: ['owner', 'repo'],
        properties: { owner: str, repo: str, api: str, tokenRef: secretRef, appSecretName: str, labels: strings },
      },
      gitea: {
        type: 'object',
        required: ['owner', 'repo', 'api'],
        properties: { owner: str, repo: str, api: str, tokenRef: secretRef, insecure: bool, labels: strings },
      },
      gitlab: {
        type: 'object',
        required: ['project'],
        properties: { project: str, api: str, tokenRef: secretRef, labels: strings, pullRequestState: str, insecure: bool, caRef: configMapKeyRef },
      },
      bitbucketServer: {
        type: 'object',
        required: ['api', 'project', 'repo'],
        properties: {
          project: str,
          repo: str,
          api: str,
          basicAuth: bitbucketBasicAuth,
          bearerToken: bitbucketBearerToken,
          insecure: bool,
          caRef: configMapKeyRef,
        },
      },
      bitbucket: {
        type: 'object',
        required: ['owner', 'repo'],
        properties: { owner: str, repo: str, api: str, basicAuth: bitbucketBasicAuth, bearerToken: bitbucketBearerToken },
      },
      azuredevops: {
        type: 'object',
        required: ['organization', 'project', 'repo'],
        properties: { organization: str, project: str, repo: str, api: str, tokenRef: secretRef, labels: strings },
      },
      filters: { type: 'array', items: { type: 'object', properties: { branchMatch: str, targetBranchMatch: str, titleMatch: str } } },
      requeueAfterSeconds: requeue,
      template: generatorTemplate,
      values: stringMap,
      continueOnRepoNotFoundError: bool,
    },
  },
  scmProvider: {
    type: 'object',
    properties: {
      github: {
        type: 'object',
        required: ['organization'],
        properties: { organization: str, api: str, tokenRef: secretRef, appSecretName: str, allBranches: bool, excludeArchivedRepos: bool },
      },
      gitlab: {
        type: 'object',
        required: ['group'],
        properties: {
          group: str,
          includeSubgroups: bool,
          api: str,
          tokenRef: secretRef,
          allBranches: bool,
          insecure: bool,
          includeSharedProjects: bool,
          topic: str,
          caRef: configMapKeyRef,
          includeArchivedRepos: bool,
        },
      },
      gitea: {
        type: 'object',
        required: ['owner', 'api'],
        properties: { owner: str, api: str, tokenRef: secretRef, allBranches: bool, insecure: bool, excludeArchivedRepos: bool },
      },
      bitbucketServer: {
        type: 'object',
        required: ['api', 'project'],
        properties: {
          project: str,
          api: str,
          basicAuth: bitbucketBasicAuth,
          bearerToken: bitbucketBearerToken,
          allBranches: bool,
          insecure: bool,
          caRef: configMapKeyRef,
        },
      },
      bitbucket: {
        type: 'object',
        required: ['appPasswordRef', 'owner', 'user'],
        properties: { owner: str, user: str, appPasswordRef: secretRef, allBranches: bool },
      },
      azureDevOps: {
        type: 'object',
        required: ['accessTokenRef', 'organization', 'teamProject'],
        properties: { organization: str, api: str, teamProject: str, accessTokenRef: secretRef, allBranches: bool },
      },
      awsCodeCommit: {
        type: 'object',
        properties: {
          tagFilters: { type: 'array', items: { type: 'object', required: ['key'], properties: { key: str, value: str } } },
          role: str,
          region: str,
          allBranches: bool,
        },
      },
      filters: {
        type: 'array',
        items: { type: 'object', properties: { repositoryMatch: str, pathsExist: strings, pathsDoNotExist: strings, labelMatch: str, branchMatch: str } },
      },
      cloneProtocol: str,
      requeueAfterSeconds: requeue,
      template: generatorTemplate,
      values: stringMap,
    },
  },
  clusterDecisionResource: {
    type: 'object',
    required: ['configMapRef'],
    properties: { configMapRef: str, name: str, labelSelector, requeueAfterSeconds: requeue, template: generatorTemplate, values: stringMap },
  },
  plugin: {
    type: 'object',
    required: ['configMapRef'],
    properties: {
      configMapRef: { type: 'object', required: ['name'], properties: { name: str } },
      input: { type: 'object', properties: { parameters: { type: 'object', preserveUnknownFields: true } } },
      requeueAfterSeconds: requeue,
      template: generatorTemplate,
      values: stringMap,
    },
  },
};

function generatorSchema(depth: number): Schema {
  const properties: Record<string, Schema> = { ...terminalGenerators, selector: labelSelector };
  if (depth > 0) {
    const children: Schema = { type: 'array', items: generatorSchema(depth - 1) };
    properties.matrix = { type: 'object', required: ['generators'], properties: { generators: children, template: generatorTemplate } };
    properties.merge = {
      type: 'object',
      required: ['generators', 'mergeKeys'],
      properties: { generators: children, mergeKeys: strings, template: generatorTemplate },
    };
    properties.placement = {
      type: 'object',
      required: ['items', 'key'],
      properties: {
        items: generatorSchema(depth - 1),
        clusters: { type: 'object', properties: { selector: labelSelector } },
        replicas: { type: 'integer', minimum: 1 },
        key: str,
        template: generatorTemplate,
      },
    };
  }
  return { type: 'object', properties };
}

const PERCENT_OR_COUNT = /^\d+%?$/;

const rolloutStep: Schema = {
  type: 'object',
  properties: {
    // Any operator, as Argo CD's CRD: one other than In/NotIn is reported in InvalidRolloutConfig, not refused.
    matchExpressions: { type: 'array', items: { type: 'object', properties: { key: str, operator: str, values: strings } } },
    maxUpdate: { type: 'int-or-string', pattern: PERCENT_OR_COUNT, patternText: 'must be an integer or a percentage such as "25%"' },
    minHealthySeconds: { type: 'integer', minimum: 0 },
    progressDeadlineSeconds: { type: 'integer', minimum: 0 },
    maxFailures: { type: 'integer', minimum: 0 },
    onFailure: { type: 'string', enum: ['halt', 'rollback'] },
    unreachable: { type: 'string', enum: ['wait', 'skip'] },
  },
};

export const applicationSetSchema: Schema = {
  type: 'object',
  required: ['metadata', 'spec'],
  properties: {
    apiVersion: str,
    kind: str,
    metadata: {
      type: 'object',
      required: ['name'],
      preserveUnknownFields: true,
      properties: { name: str, namespace: str, labels: stringMap, annotations: stringMap },
    },
    spec: {
      type: 'object',
      required: ['generators', 'template'],
      properties: {
        goTemplate: bool,
        goTemplateOptions: strings,
        generators: { type: 'array', items: generatorSchema(2) },
        template: applicationTemplate,
        templatePatch: str,
        syncPolicy: {
          type: 'object',
          properties: {
            preserveResourcesOnDeletion: bool,
            applicationsSync: { type: 'string', enum: ['create-only', 'create-update', 'create-delete', 'sync'] },
          },
        },
        strategy: {
          type: 'object',
          properties: {
            type: { type: 'string', enum: ['AllAtOnce', 'RollingSync'] },
            rollingSync: { type: 'object', properties: { steps: { type: 'array', items: rolloutStep }, pinRevisions: bool } },
            deletionOrder: { type: 'string', enum: ['AllAtOnce', 'Reverse'] },
          },
        },
        preservedFields: { type: 'object', properties: { annotations: strings, labels: strings } },
        applyNestedSelectors: bool,
        ignoreApplicationDifferences: {
          type: 'array',
          items: { type: 'object', properties: { name: str, jsonPointers: strings, jqPathExpressions: strings } },
        },
      },
    },
    status: open,
  },
};

/** Structural problems of an ApplicationSet object; errors mean it cannot be generated. */
export function validateApplicationSet(object: unknown): SchemaProblem[] {
  const problems = validateAgainst(applicationSetSchema, object, '');
  const appSet = object as Partial<ApplicationSet>;
  if (appSet?.apiVersion !== undefined && appSet.apiVersion !== API_VERSION) {
    problems.push({
      field: 'apiVersion',
      message: `Unsupported value: ${JSON.stringify(appSet.apiVersion)}: supported values: "${API_VERSION}"`,
      severity: 'error',
    });
  }
  if (typeof appSet?.metadata?.name === 'string' && appSet.metadata.name === '') {
    problems.push({ field: 'metadata.name', message: 'Required value: name is required', severity: 'error' });
  }
  return problems;
}
