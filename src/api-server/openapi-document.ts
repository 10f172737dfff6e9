/**
 * The REST API's OpenAPI 3.1 document, served at /api/docs. Hand-written: @nestjs/swagger's
 * decorators would double every controller's metadata for five endpoints.
 */
import { ROLLOUT_ACTIONS } from '../appset/rollout-control.js';
import { ROLLOUT_STATES } from './application-set-view.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const problems = {
  '401': json(ref('Problem'), 'No bearer token, or the management cluster did not accept it (TokenReview)'),
  '403': json(ref('Problem'), 'The SubjectAccessReview did not allow the permission this endpoint needs'),
};
const namespaceParam = { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } };
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const labels = { type: 'object', additionalProperties: { type: 'string' } };
const counts = { type: 'object', properties: Object.fromEntries(ROLLOUT_STATES.map((s) => [s, { type: 'integer' }])) };
const unreachableApplication = {
  type: 'object',
  properties: {
    application: { type: 'string' },
    destination: { type: 'string', description: "the cluster's name, else its server URL" },
    step: { type: 'integer' },
    since: { type: 'string', format: 'date-time', description: 'when the rollout first found its cluster unreachable' },
    catchingUpSince: { type: 'string', format: 'date-time', description: 'skipped only: when its cluster answered again' },
    reason: { type: 'string', description: "the Application's ComparisonError" },
  },
};

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Regatta API',
    version: '1',
    description:
      'The fleet, ApplicationSets and their rollouts. Every endpoint takes a Kubernetes bearer token of the management cluster; ' +
      'Regatta checks it with a TokenReview and each request with a SubjectAccessReview. x-required-permission names the permission.',
  },
  security: [{ bearer: [] }],
  paths: {
    '/api/v1/clusters': {
      get: {
        summary: 'The clusters registered by cluster Secrets, with shard and connection state',
        'x-required-permission': "get applicationsets in Argo CD's namespace",
        responses: { '200': json({ type: 'object', properties: { items: { type: 'array', items: ref('Cluster') } } }, 'The fleet'), ...problems },
      },
    },
    '/api/v1/namespaces/{namespace}/applicationsets': {
      get: {
        summary: 'The ApplicationSets of a namespace',
        'x-required-permission': 'get applicationsets in {namespace}',
        parameters: [namespaceParam],
        responses: {
          '200': json({ type: 'object', properties: { items: { type: 'array', items: ref('ApplicationSetSummary') } } }, 'ApplicationSets'),
          ...problems,
        },
      },
    },
    '/api/v1/namespaces/{namespace}/applicationsets/{name}': {
      get: {
        summary: 'One ApplicationSet: conditions, generated Applications with sync and health, the rollout and its steps',
        'x-required-permission': 'get applicationsets {name} in {namespace}',
        parameters: [namespaceParam, nameParam],
        responses: { '200': json(ref('ApplicationSet'), 'The ApplicationSet'), ...problems, '404': json(ref('Problem'), 'No such ApplicationSet') },
      },
    },
    '/api/v1/namespaces/{namespace}/applicationsets/{name}/rollout/{action}': {
      post: {
        summary: 'Pause, resume or abort the rollout (as `regatta rollout pause|resume|abort`)',
        'x-required-permission': 'patch applicationsets {name} in {namespace}',
        parameters: [namespaceParam, nameParam, { name: 'action', in: 'path', required: true, schema: { enum: [...ROLLOUT_ACTIONS] } }],
        responses: {
          '200': json(
            { type: 'object', properties: { applicationSet: { type: 'string' }, action: { type: 'string' }, message: { type: 'string' } } },
            'The control annotation is set',
          ),
          '400': json(ref('Problem'), 'Unknown action'),
          ...problems,
          '404': json(ref('Problem'), 'No such ApplicationSet'),
        },
      },
    },
    '/api/v1/generate': {
      post: {
        summary: 'Dry run: the Applications an ApplicationSet would generate over the live fleet (as `regatta generate`); writes nothing',
        'x-required-permission':
          "create applicationsets in the ApplicationSet's namespace (default Argo CD's); get on each Secret a generator reads (tokenRef, appSecretName, repository credentials)",
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', description: 'an argoproj.io/v1alpha1 ApplicationSet' } } } },
        responses: {
          '200': json(ref('GenerateResult'), 'The generated Applications'),
          '400': json(ref('Problem'), 'The body is not an ApplicationSet'),
          '422': json(
            ref('GenerateResult'),
            'The ApplicationSet is invalid, a generator failed, or it needs a Secret the caller may not get; errors name the field (and the Secret)',
          ),
          ...problems,
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Kubernetes token of the management cluster (e.g. a ServiceAccount token)' } },
    schemas: {
      Problem: {
        type: 'object',
        required: ['statusCode', 'message'],
        properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
      },
      Cluster: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          server: { type: 'string' },
          labels,
          shard: { type: 'string', description: 'the owning replica, regatta-N' },
          connection: { type: 'object', properties: { status: { enum: ['Successful', 'Failed', 'Unknown'] }, message: { type: 'string' } } },
          secret: { type: 'string', description: 'namespace/name of the cluster Secret' },
        },
      },
      Condition: {
        type: 'object',
        properties: { type: { type: 'string' }, status: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' } },
      },
      ApplicationSetSummary: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          namespace: { type: 'string' },
          conditions: { type: 'array', items: ref('Condition') },
          applicationCount: { type: 'integer' },
          rollout: { type: 'object', properties: { phase: { type: 'string' }, step: { type: 'integer' }, message: { type: 'string' } } },
        },
      },
      Application: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          cluster: { type: 'string' },
          labels,
          sync: { type: 'string' },
          health: { type: 'string' },
          revision: { type: 'string' },
          rollout: { type: 'object', properties: { status: { type: 'string' }, step: { type: 'string' }, message: { type: 'string' } } },
        },
      },
      Rollout: {
        type: 'object',
        description: "status.rollout with the steps: each step's Applications, their state and counts per state",
        properties: {
          phase: { enum: ['NotStarted', 'Progressing', 'Paused', 'Aborted', 'Halted', 'RollingBack', 'RolledBack', 'Completed'] },
          step: { type: 'integer' },
          message: { type: 'string' },
          control: { enum: ['pause', 'abort'] },
          pinRevisions: { type: 'boolean', description: 'strategy.rollingSync.pinRevisions: each Application is pinned to the commit its step released' },
          failed: {
            type: 'array',
            items: { type: 'object', properties: { application: { type: 'string' }, step: { type: 'integer' }, reason: { type: 'string' } } },
          },
          waiting: {
            type: 'array',
            description: 'Applications a sync window of their AppProject holds, by step and by the windows that hold them',
            items: {
              type: 'object',
              properties: {
                step: { type: 'integer' },
                applications: { type: 'integer', description: 'how many' },
                windows: { type: 'array', items: { type: 'string' }, description: 'the first ten, each by its description, else `#index "schedule"`' },
                more: { type: 'integer', description: 'how many more windows hold them than are named' },
                opensAt: {
                  type: 'string',
                  format: 'date-time',
                  description: 'when the windows let them sync; absent when no opening was found or the windows are invalid',
                },
                error: { type: 'string', description: 'why the windows cannot be evaluated (they hold every sync until fixed)' },
                message: { type: 'string' },
              },
            },
          },
          budgetWaiting: {
            type: 'array',
            description: 'Regatta: Applications held back because a RolloutBudget of their cluster has no room, by step and budget',
            items: {
              type: 'object',
              properties: {
                step: { type: 'integer' },
                applications: { type: 'integer', description: 'how many' },
                budget: { type: 'string', description: 'the RolloutBudget that holds them' },
                message: { type: 'string' },
              },
            },
          },
          invalidBudgets: {
            type: 'array',
            items: { type: 'string' },
            description: "RolloutBudgets that may cover this ApplicationSet's clusters but are invalid, and so not applied",
          },
          unreachable: {
            type: 'array',
            description: 'Applications whose cluster does not answer and that their step (unreachable: wait) waits for',
            items: unreachableApplication,
          },
          skipped: {
            type: 'array',
            description: 'Applications a step with unreachable: skip went on without; they leave the list once caught up',
            items: unreachableApplication,
          },
          steps: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                step: { type: 'integer' },
                selector: { type: 'string' },
                maxUpdate: { type: ['integer', 'string'] },
                counts,
                waiting: { type: 'array', items: { type: 'string' }, description: "why the step's Applications wait for sync windows" },
                budgetWaiting: { type: 'array', items: { type: 'string' }, description: "why the step's Applications wait for RolloutBudgets" },
                applications: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      name: { type: 'string' },
                      cluster: { type: 'string' },
                      status: { type: 'string' },
                      message: { type: 'string' },
                      held: { type: 'boolean', description: 'a sync window holds its sync' },
                      budgetHeld: { type: 'boolean', description: 'a RolloutBudget of its cluster holds its release' },
                      pinned: { type: 'array', items: { type: 'string' }, description: 'pinRevisions: the commits its Git sources are pinned to' },
                      release: { type: 'array', items: { type: 'string' }, description: 'pinRevisions: the commits its step releases' },
                    },
                  },
                },
              },
            },
          },
        },
      },
      ApplicationSet: {
        allOf: [
          ref('ApplicationSetSummary'),
          {
            type: 'object',
            properties: {
              applications: { type: 'array', items: ref('Application') },
              applicationStatus: { type: 'array', description: 'status.applicationStatus as the controller wrote it', items: { type: 'object' } },
              rollout: ref('Rollout'),
            },
          },
        ],
      },
      GenerateResult: {
        type: 'object',
        properties: {
          applications: { type: 'array', items: { type: 'object', description: 'argoproj.io/v1alpha1 Application' } },
          errors: { type: 'array', items: { type: 'string' } },
          warnings: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};
