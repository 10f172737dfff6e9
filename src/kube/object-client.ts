import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '../api/meta.js';
import { describeKubeError, isNotFound } from './api-errors.js';
import type { KubeConfig } from './kube-config.js';

export const FIELD_MANAGER = 'regatta';

const MERGE_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const JSON_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

/**
 * client-node's generic object API, with its discovery lookup (cached per API version) open to
 * callers, and bodies exactly as the API server sends and takes them. client-node's typed models
 * would turn the timestamps of built-in kinds into Dates and, worse, drop every field they do not
 * declare: a misspelt field in Git would be applied without it instead of refused, as kubectl
 * refuses it for Argo CD.
 */
export class ObjectApi extends k8s.KubernetesObjectApi {
  static forConfig(config: KubeConfig): ObjectApi {
    const api = config.makeApiClient(ObjectApi);
    api.setDefaultNamespace(config);
    return api;
  }

  describe(apiVersion: string, kind: string): Promise<k8s.V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }

  /** A create, update or patch of `object` as given, through client-node's request path (server, authentication, middleware). */
  async write<T extends KubeObject>(
    object: T,
    write: { action: 'create' | 'replace' | 'patch'; contentType?: string; query: Record<string, string | undefined> },
  ): Promise<T> {
    const method = { create: k8s.HttpMethod.POST, replace: k8s.HttpMethod.PUT, patch: k8s.HttpMethod.PATCH }[write.action];
    const request = this.configuration.baseServer.makeRequestContext(await this.specUriPath(object as k8s.KubernetesObject, write.action), method);
    request.setHeaderParam('Accept', 'application/json');
    request.setHeaderParam('Content-Type', write.contentType ?? 'application/json');
    for (const [name, value] of Object.entries(write.query)) if (value !== undefined) request.setQueryParam(name, value);
    request.setBody(JSON.stringify(object));
    return (await this.requestPromise(request)) as T;
  }

  protected override async processResponse<T extends k8s.KubernetesObject>(response: k8s.ResponseContext, type?: string): Promise<T> {
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) return super.processResponse(response, type);
    return JSON.parse(await response.body.text()) as T;
  }
}

/** The API server's field validation of a write (kubectl's --validate): unknown fields refused, reported, or dropped. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** What a cluster's discovery says about it, as Argo CD hands it to helm template: its version and the group versions it serves. */
export interface ClusterCapabilities {
  kubeVersion: string;
  apiVersions: string[];
}

/** How long a cluster's version and group versions are reused before discovery is asked again. */
const CAPABILITIES_MAX_AGE_MS = 60_000;

/** Reads and writes any kind through client-node; every write Regatta makes to Kubernetes goes through here. */
export class ObjectClient {
  private readonly objects: ObjectApi;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly config: KubeConfig;
  private discovered: { at: number; capabilities: Promise<ClusterCapabilities> } | undefined;

  constructor(config: KubeConfig) {
    this.config = config;
    this.objects = ObjectApi.forConfig(config);
    this.custom = config.makeApiClient(k8s.CustomObjectsApi);
  }

  /** The cluster's version (gitVersion), asked now: the cheapest proof that the cluster answers. */
  async version(): Promise<string> {
    return (await this.config.makeApiClient(k8s.VersionApi).getCode()).gitVersion;
  }

  /** The cluster's version (gitVersion) and the group versions it serves (/api and /apis), cached for a minute. */
  capabilities(): Promise<ClusterCapabilities> {
    if (this.discovered && Date.now() - this.discovered.at < CAPABILITIES_MAX_AGE_MS) return this.discovered.capabilities;
    const capabilities = (async () => {
      const [version, core, groups] = await Promise.all([
        this.config.makeApiClient(k8s.VersionApi).getCode(),
        this.config.makeApiClient(k8s.CoreApi).getAPIVersions(),
        this.config.makeApiClient(k8s.ApisApi).getAPIVersions(),
      ]);
      const apiVersions = [...core.versions, ...groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
      return { kubeVersion: version.gitVersion, apiVersions: [...new Set(apiVersions)].sort() };
    })();
    this.discovered = { at: Date.now(), capabilities };
    capabilities.catch(() => (this.discovered = undefined));
    return capabilities;
  }

  /** Server-side apply as field manager `regatta`; forced by default, since Regatta is the owner of what it generates. */
  apply<T extends KubeObject>(object: T, fieldManager = FIELD_MANAGER, force = true, fieldValidation?: FieldValidation): Promise<T> {
    return this.objects.write(object, {
      action: 'patch',
      contentType: k8s.PatchStrategy.ServerSideApply,
      query: { fieldManager, force: String(force), fieldValidation },
    });
  }

  mergePatch<T extends KubeObject>(object: T): Promise<T> {
    return this.objects.write(object, {
      action: 'patch',
      contentType: k8s.PatchStrategy.MergePatch,
      query: { fieldManager: FIELD_MANAGER },
    });
  }

  create<T extends KubeObject>(object: T, fieldValidation?: FieldValidation): Promise<T> {
    return this.objects.write(object, { action: 'create', query: { fieldManager: FIELD_MANAGER, fieldValidation } });
  }

  /** A full update; fails with 409 when `object.metadata.resourceVersion` is stale (optimistic concurrency). */
  replace<T extends KubeObject>(object: T, fieldValidation?: FieldValidation): Promise<T> {
    return this.objects.write(object, { action: 'replace', query: { fieldManager: FIELD_MANAGER, fieldValidation } });
  }

  async get<T extends KubeObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return (await this.objects.read({ apiVersion, kind, metadata: { name, namespace } })) as T;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<T[]> {
    const list = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
    return list.items as T[];
  }

  /**
   * A namespace's custom resources named by API group/version and resource (plural), as dynamic
   * clients name them; a failure reads as the API server tells it, for messages users see.
   */
  async listResource<T extends KubeObject>(apiVersion: string, plural: string, namespace: string): Promise<T[]> {
    const slash = apiVersion.indexOf('/');
    try {
      const list = (await this.custom.listNamespacedCustomObject({
        group: apiVersion.slice(0, slash),
        version: apiVersion.slice(slash + 1),
        namespace,
        plural,
      })) as {
        items?: T[];
      };
      return list.items ?? [];
    } catch (error) {
      throw new Error(describeKubeError(error), { cause: error });
    }
  }

  /** Whether the cluster serves a kind as namespaced (discovery), or undefined when it does not serve the kind at all. */
  async namespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    return (await this.served(apiVersion, kind))?.namespaced;
  }

  /** The resource (plural) name a kind is served as, as watches name their collections, or undefined when the cluster does not serve it. */
  async pluralOf(apiVersion: string, kind: string): Promise<string | undefined> {
    return (await this.served(apiVersion, kind))?.name;
  }

  /** The resource (plural) name a kind is served as and whether it is namespaced, or undefined when the cluster does not serve it. */
  async servedAs(apiVersion: string, kind: string): Promise<{ plural: string; namespaced: boolean } | undefined> {
    const served = await this.served(apiVersion, kind);
    return served && { plural: served.name, namespaced: served.namespaced };
  }

  private async served(apiVersion: string, kind: string): Promise<k8s.V1APIResource | undefined> {
    try {
      return await this.objects.describe(apiVersion, kind);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Deletes; an object already gone counts as deleted. */
  async delete(object: KubeObject, propagationPolicy: 'Background' | 'Foreground' | 'Orphan' = 'Background'): Promise<void> {
    try {
      await this.objects.delete(object as k8s.KubernetesObject, undefined, undefined, undefined, undefined, propagationPolicy);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** A merge patch of the status subresource of a custom resource (e.g. an ApplicationSet). */
  async patchStatus(
    apiVersion: string,
    plural: string,
    namespace: string,
    name: string,
    status: Record<string, unknown>,
    /** When given, the API server refuses the patch (409 Conflict) unless the object is still at this version. */
    resourceVersion?: string,
  ): Promise<KubeObject> {
    const [group, version] = apiVersion.split('/');
    const body = resourceVersion === undefined ? { status } : { metadata: { resourceVersion }, status };
    return (await this.custom.patchNamespacedCustomObjectStatus(
      { group, version, namespace, plural, name, body, fieldManager: FIELD_MANAGER },
      MERGE_PATCH,
    )) as KubeObject;
  }

  /** A JSON patch (RFC 6902) of the status subresource of a custom resource: a few entries of a long list, without resending the rest. */
  async jsonPatchStatus(apiVersion: string, plural: string, namespace: string, name: string, operations: object[]): Promise<KubeObject> {
    const [group, version] = apiVersion.split('/');
    return (await this.custom.patchNamespacedCustomObjectStatus(
      { group, version, namespace, plural, name, body: operations, fieldManager: FIELD_MANAGER },
      JSON_PATCH,
    )) as KubeObject;
  }
}
