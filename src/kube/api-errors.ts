import * as k8s from '@kubernetes/client-node';

/** The HTTP status of a failed Kubernetes call, or undefined for transport failures. */
export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof k8s.ApiException) return error.code;
  const code = (error as { statusCode?: number; code?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusCodeOf(error) === 404;
}

export function isConflict(error: unknown): boolean {
  return statusCodeOf(error) === 409;
}

/** A one-line description of a failed call: the API server's Status message, never request headers. */
export function describeKubeError(error: unknown): string {
  if (error instanceof k8s.ApiException) {
    try {
      const status = JSON.parse(String(error.body)) as { message?: string; reason?: string };
      return `${error.code} ${status.reason ?? ''}: ${status.message ?? ''}`.trim();
    } catch {
      return `HTTP ${error.code}`;
    }
  }
  const cause = error as { code?: string; message?: string; name?: string };
  // node-fetch's own words for it ("The user aborted a request.") blame no one who did.
  if (cause?.name === 'AbortError') return 'no answer within the request timeout: the request was cancelled';
  return cause?.code ? `${cause.code}: ${cause.message ?? ''}` : String(cause?.message ?? error);
}

/**
 * What the connection to `host` did when no HTTP answer came back, worded as Go's net package
 * words it (as Argo CD shows it); undefined when the cluster answered or the failure is another.
 * A cancelled request (AbortError) is one withRequestTimeout gave up on.
 */
export function transportFailure(error: unknown, host: string): string | undefined {
  const failure = error as { code?: string; name?: string };
  if (failure?.name === 'AbortError') return `dial tcp ${host}: i/o timeout (no answer)`;
  switch (failure?.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${host}: connect: connection refused`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `read tcp ${host}: connection reset by peer`;
    case 'ETIMEDOUT':
      return `dial tcp ${host}: i/o timeout`;
    case 'EHOSTUNREACH':
      return `dial tcp ${host}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${host}: connect: network is unreachable`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host}: no such host`;
    default:
      return undefined;
  }
}
