import { distinctUntilKeyChanged, exhaustMap, finalize, from, map, shareReplay, timer, type Observable } from 'rxjs';
import type { ApplicationSetDetail } from './application-set-view.js';

export interface ApplicationSetReader {
  get(namespace: string, name: string): Promise<ApplicationSetDetail | undefined>;
}

/**
 * ApplicationSets as they change, for live pages: one poll of the API server per ApplicationSet
 * however many pages show it, started by the first page and stopped with the last.
 */
export class LiveApplicationSets {
  private readonly streams = new Map<string, Observable<ApplicationSetDetail | undefined>>();

  constructor(
    private readonly reader: ApplicationSetReader,
    private readonly pollMs: number,
  ) {}

  /** Emits the ApplicationSet (undefined once it is gone) now and whenever it changes. */
  watch(namespace: string, name: string): Observable<ApplicationSetDetail | undefined> {
    const key = `${namespace}/${name}`;
    let stream = this.streams.get(key);
    if (!stream) {
      stream = timer(0, this.pollMs).pipe(
        exhaustMap(() => from(this.reader.get(namespace, name))),
        map((detail) => ({ detail, text: JSON.stringify(detail) })),
        distinctUntilKeyChanged('text'),
        map(({ detail }) => detail),
        finalize(() => this.streams.delete(key)),
        shareReplay({ bufferSize: 1, refCount: true }),
      );
      this.streams.set(key, stream);
    }
    return stream;
  }
}
