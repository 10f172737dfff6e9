/**
 * A Pod's health as gitops-engine's pod check assesses it. Pods that restart on their own
 * (restartPolicy Always) are Degraded while a container waits on an error or backoff; pods with a
 * finite life (OnFailure, Never: typically hooks) are Progressing while they run, so a hook is not
 * failed early by a transient image pull error.
 */

import type { Health } from '../api/application.js';

type Obj = Record<string, any>;

const list = (value: unknown): Obj[] => (Array.isArray(value) ? value.filter((v) => v && typeof v === 'object') : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

const stuckReason = (reason: string) => reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff');

/** Why a terminated container failed: its message, OOMKilled, or its exit code. */
function failure(container: Obj): string {
  const terminated = container.state?.terminated;
  if (!terminated || typeof terminated !== 'object') return '';
  if (text(terminated.message)) return terminated.message;
  if (terminated.reason === 'OOMKilled') return 'OOMKilled';
  const exitCode = Number(terminated.exitCode ?? 0);
  return exitCode ? `container "${text(container.name)}" failed with exit code ${exitCode}` : '';
}

export function podHealth(pod: Obj): Health {
  const status: Obj = pod.status ?? {};
  const message = text(status.message);
  const restartPolicy = pod.spec?.restartPolicy;
  const containers = list(status.containerStatuses);
  if (restartPolicy === 'Always') {
    const stuck = containers.map((c) => c.state?.waiting).filter((w) => w && typeof w === 'object' && stuckReason(text(w.reason)));
    if (stuck.length) return { status: 'Degraded', message: stuck.map((w) => text(w.message)).join(', ') };
  }
  switch (status.phase) {
    case 'Pending':
      return { status: 'Progressing', message };
    case 'Succeeded':
      return { status: 'Healthy', message };
    case 'Failed': {
      if (message) return { status: 'Degraded', message };
      const reason = [...list(status.initContainerStatuses), ...containers].map(failure).find((m) => m);
      return { status: 'Degraded', message: reason ?? '' };
    }
    case 'Running':
      if (restartPolicy === 'Always') {
        const ready = list(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
        if (ready) return { status: 'Healthy', message };
        // Not ready after a container terminated: it is crashing, not starting.
        const restarted = containers.some((c) => c.lastState?.terminated);
        return { status: restarted ? 'Degraded' : 'Progressing', message };
      }
      if (restartPolicy === 'OnFailure' || restartPolicy === 'Never') return { status: 'Progressing', message };
  }
  return { status: 'Unknown', message };
}
