import { ApiError } from './api-error.js';
import type { ResourceType } from './resource-types.js';

type Obj = Record<string, any>;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** What the API server refuses before storing: names (DNS subdomains, or RBAC's path segments), namespaces, label values. */
export function validateObject(type: ResourceType, object: Obj): void {
  const name = object.metadata?.name;
  const invalid = (field: string, value: unknown, detail: string) =>
    new ApiError(
      422,
      'Invalid',
      `${type.kind} "${name ?? ''}" is invalid: ${field}: ${value === undefined ? 'Required value' : `Invalid value: ${JSON.stringify(value)}`}: ${detail}`,
      {
        name,
        group: type.group,
        kind: type.kind,
        causes: [{ reason: 'FieldValueInvalid', message: detail, field }],
      },
    );
  if (!name) throw invalid('metadata.name', undefined, 'name or generateName is required');
  // RBAC objects are named by path segments (system:discovery); everything else by DNS subdomains.
  if (type.group === 'rbac.authorization.k8s.io') {
    if (name === '.' || name === '..' || /[/%]/.test(name)) throw invalid('metadata.name', name, `may not be '.' or '..' and may not contain '/' or '%'`);
  } else if (name.length > 253 || !NAME.test(name))
    throw invalid(
      'metadata.name',
      name,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    );
  if (type.namespaced && !object.metadata.namespace) throw invalid('metadata.namespace', undefined, 'namespace is required for namespaced resources');
  for (const [key, value] of Object.entries(object.metadata.labels ?? {})) {
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      throw invalid(
        `metadata.labels`,
        value,
        `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (label ${key})`,
      );
    }
  }
}
