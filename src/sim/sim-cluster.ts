import type { ClusterStore } from './cluster-store.js';

/** Faults a test can switch on per cluster while it runs. */
export interface ClusterFaults {
  latencyMs?: number;
  /** Share of requests (0..1) answered with `errorStatus` (default 503, with Retry-After for 429/503). */
  errorRate?: number;
  errorStatus?: 500 | 503 | 429;
  /** Watches are closed this long after they open. */
  closeWatchesAfterMs?: number;
  /** Every request is dropped without an answer, as if the cluster were unreachable. */
  unreachable?: boolean;
  /** The cluster's port refuses connections (ECONNREFUSED) until cleared, then listens on the same port again (fleets with `separatePorts`). */
  refuseConnections?: boolean;
  /** Requests are taken and never answered, as across a network partition: clients wait for their own timeout. */
  hang?: boolean;
  /** Every token is refused with 401, as when a token expired. */
  tokenExpired?: boolean;
}

export interface ClusterCounters {
  reads: number;
  writes: number;
  watchesOpen: number;
  watchesStarted: number;
  /** Body bytes sent per resource (plural, with `/status` for the subresource): responses and watch events. */
  bytesSent: Map<string, number>;
  /** Request body bytes received per resource, keyed as `bytesSent`. */
  bytesReceived: Map<string, number>;
  /** Writes per resource, keyed as `bytesSent`. */
  writesByResource: Map<string, number>;
  /** Writes per resource answered 409 Conflict (a stale resourceVersion, or the object already exists). */
  conflictsByResource: Map<string, number>;
}

export interface SimCluster {
  store: ClusterStore;
  /** token → identity: the user name TokenReviews report, recorded in the write log. */
  tokens: Map<string, string>;
  /** identity → its groups beyond `system:authenticated`. */
  groups: Map<string, string[]>;
  faults: ClusterFaults;
  counters: ClusterCounters;
  /** Who holds this cluster's lease now ('' for no one, undefined when it cannot be told): asked as each write arrives and recorded with it (`SimFleet.auditLeases`). */
  leaseHolder?: () => Promise<string | undefined>;
}
