import type { Application } from './application.js';

/**
 * How an Application's status says that its destination cluster does not answer. Argo CD writes
 * a ComparisonError condition `Failed to load live state: …` ending with Go's transport error
 * (`connect: connection refused`, `i/o timeout`, …); Regatta's direct driver writes the same
 * prefix with `cluster unreachable: …`. Both read as unreachable; other live-state failures
 * (a project refusing a resource, RBAC) do not.
 */
export const LIVE_STATE_FAILURE = 'Failed to load live state: ';
const UNREACHABLE_MARK = 'cluster unreachable: ';
const TRANSPORT_FAILURES =
  /connection refused|connection reset by peer|no route to host|i\/o timeout|context deadline exceeded|TLS handshake timeout|no such host|network is unreachable|cluster unreachable/;

/** The ComparisonError message Regatta writes when the destination did not answer (`detail`: what the connection did). */
export function unreachableClusterMessage(destination: string, detail: string): string {
  return `${LIVE_STATE_FAILURE}failed to get cluster info for "${destination}": ${UNREACHABLE_MARK}${detail}`;
}

/** Why the Application's cluster counts as unreachable (its ComparisonError's message), or undefined while it answers. */
export function unreachableReason(application: Application): string | undefined {
  const condition = application.status?.conditions?.find(
    (c) => c.type === 'ComparisonError' && c.message?.startsWith(LIVE_STATE_FAILURE) && TRANSPORT_FAILURES.test(c.message),
  );
  return condition?.message;
}

/** The destination as people name it: its cluster name, else its server URL without credentials. */
export function destinationOf(application: Application): string {
  const { name, server } = application.spec.destination;
  if (name) return name;
  try {
    const url = new URL(server ?? '');
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return server ?? '';
  }
}
