/** What `/readyz` asks: whether the process has synced what it serves from. */
export interface Readiness {
  isReady(): boolean;
}

/** The Nest token of the process's readiness (the ApplicationSet controller provides it). */
export const READINESS = Symbol('READINESS');
