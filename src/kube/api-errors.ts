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
  const cause = error as { code?: string; message?: string };
  return cause?.code ? `${cause.code}: ${cause.message ?? ''}` : String(cause?.message ?? error);
}
