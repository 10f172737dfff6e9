import { AsyncLocalStorage } from 'node:async_hooks';

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

/** Runs `call` with every Kubernetes request it makes held to `fence` (and to the request timeout of any fence around it). */
export function withRequestFence<T>(fence: RequestFence, call: () => Promise<T>): Promise<T> {
  return fences.run({ ...fence, requestTimeoutMs: fence.requestTimeoutMs ?? fences.getStore()?.requestTimeoutMs }, call);
}

/** Runs `call` with every Kubernetes request it makes cancelled after `timeoutMs` without an answer (within any fence already around it). */
export function withRequestTimeout<T>(timeoutMs: number, call: () => Promise<T>): Promise<T> {
  const outer = fences.getStore();
  return fences.run({ signal: outer?.signal ?? new AbortController().signal, sendBy: outer?.sendBy ?? (() => Infinity), requestTimeoutMs: timeoutMs }, call);
}

/**
 * Checked as each request is about to leave, after everything that may have waited: a process
 * paused past the fence's deadline (a stop, a long GC) wakes up to a refusal, not a write.
 */
export function checkRequestFence(setSignal: (signal: AbortSignal) => void): void {
  const fence = fences.getStore();
  if (!fence) return;
  if (fence.signal.aborted || Date.now() >= fence.sendBy()) throw new RequestFencedError('the request was not sent: its fence closed before it could leave');
  setSignal(fence.requestTimeoutMs === undefined ? fence.signal : AbortSignal.any([fence.signal, unansweredFor(fence.requestTimeoutMs)]));
}

/**
 * Aborts once `timeoutMs` has passed, but only after the I/O already waiting has been read: a
 * process that was paused (SIGSTOP, a long GC) past the timeout wakes up to the answers that came
 * in meanwhile, not to a timeout of requests that were answered.
 */
function unansweredFor(timeoutMs: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => setImmediate(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))), timeoutMs).unref();
  return controller.signal;
}
