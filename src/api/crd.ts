import { applicationSetSchema } from './application-set-schema.js';
import { ROLLOUT_BUDGET_GROUP, ROLLOUT_BUDGET_PLURAL, rolloutBudgetSchema } from './rollout-budget.js';
import type { Schema } from './schema.js';

/** An OpenAPI v3 schema as a CustomResourceDefinition carries it. */
type OpenApiSchema = Record<string, unknown>;

export function toOpenApi(schema: Schema): OpenApiSchema {
  switch (schema.type) {
    case 'string':
      return schema.enum ? { type: 'string', enum: [...schema.enum] } : { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return schema.minimum === undefined ? { type: 'integer', format: 'int64' } : { type: 'integer', format: 'int64', minimum: schema.minimum };
    case 'int-or-string':
      return { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
    case 'array':
      return { type: 'array', items: toOpenApi(schema.items) };
    case 'any':
      return { 'x-kubernetes-preserve-unknown-fields': true };
    case 'object': {
      const out: OpenApiSchema = { type: 'object' };
      if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, toOpenApi(v)]));
      if (schema.additionalProperties) out.additionalProperties = toOpenApi(schema.additionalProperties);
      if (schema.required?.length) out.required = [...schema.required];
      if (schema.preserveUnknownFields) out['x-kubernetes-preserve-unknown-fields'] = true;
      return out;
    }
  }
}

/**
 * Regatta's ApplicationSet CRD: the same group, names and version as Argo CD's, so either
 * controller reads the same objects; its schema accepts everything Argo CD's does plus Regatta's
 * rollout fields. Generated from the schema `regatta generate` validates with, so they cannot drift.
 */
export function applicationSetCrd(): Record<string, unknown> {
  const schema = toOpenApi(applicationSetSchema);
  const properties = schema.properties as Record<string, OpenApiSchema>;
  properties.metadata = { type: 'object' };
  delete schema.required;
  schema.required = ['metadata', 'spec'];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: 'applicationsets.argoproj.io',
      labels: { 'app.kubernetes.io/name': 'applicationsets.argoproj.io', 'app.kubernetes.io/part-of': 'regatta' },
    },
    spec: {
      group: 'argoproj.io',
      names: {
        kind: 'ApplicationSet',
        listKind: 'ApplicationSetList',
        plural: 'applicationsets',
        singular: 'applicationset',
        shortNames: ['appset', 'appsets'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          subresources: { status: {} },
        },
      ],
    },
  };
}

/** Regatta's RolloutBudget CRD: cluster-scoped, as the clusters it limits are the whole fleet's. */
export function rolloutBudgetCrd(): Record<string, unknown> {
  const schema = toOpenApi(rolloutBudgetSchema);
  const name = `${ROLLOUT_BUDGET_PLURAL}.${ROLLOUT_BUDGET_GROUP}`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'regatta' } },
    spec: {
      group: ROLLOUT_BUDGET_GROUP,
      names: { kind: 'RolloutBudget', listKind: 'RolloutBudgetList', plural: ROLLOUT_BUDGET_PLURAL, singular: 'rolloutbudget', shortNames: ['rb'] },
      scope: 'Cluster',
      versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
}
