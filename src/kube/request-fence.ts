import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';

/** What a fenced request must respect: it is cancelled by `signal`, and never sent once `sendBy()` has passed. */
export interface RequestFence {
  signal: AbortSignal;
  /** The latest moment (ms since the epoch) a request may still be sent. */
  sendBy: () => number;
  /** Each request is also cancelled when it has had no answer for this long. */
  requestTimeoutMs?: number;
}

/** A request refused as it was about to leave, because its fence had already closed. */
export class RequestFencedError extends Error {}

const fences = new AsyncLocalStorage<RequestFence>();
/** The signal of a timeout with no fence around it: nothing cancels it but the timeout. */
const NEVER_CANCELLED = new AbortController().signal;
setMaxListeners(0, NEVER_CANCELLED);

/** Runs `call` with every Kubernetes request it makes held to `fence` (and to the request timeout of any fence around it). */
export function withRequestFence<T>(fence: RequestFence, call: () => Promise<T>): Promise<T> {
  // Every request made under the fence listens to its signal while it is in flight: many at once is the design, not a leak.
  setMaxListeners(0, fence.signal);
  return fences.run({ ...fence, requestTimeoutMs: fence.requestTimeoutMs ?? fences.getStore()?.requestTimeoutMs }, call);
}

/** Runs `call` with every Kubernetes request it makes cancelled after `timeoutMs` without an answer (within any fence already around it). */
export function withRequestTimeout<T>(timeoutMs: number, call: () => Promise<T>): Promise<T> {
  const outer = fences.getStore();
  return fences.run({ signal: outer?.signal ?? NEVER_CANCELLED, sendBy: outer?.sendBy ?? (() => Infinity), requestTimeoutMs: timeoutMs }, call);
}

/**
 * The fence of a request about to leave, checked after everything that may have waited: a process
 * paused past the fence's deadline (a stop, a long GC) wakes up to a refusal, not a write. The
 * transport cancels the request when the fence's signal fires or after its timeout.
 */
export function openRequestFence(): Pick<RequestFence, 'signal' | 'requestTimeoutMs'> | undefined {
  const fence = fences.getStore();
  if (!fence) return undefined;
  if (fence.signal.aborted || Date.now() >= fence.sendBy()) throw new RequestFencedError('the request was not sent: its fence closed before it could leave');
  return fence;
}
