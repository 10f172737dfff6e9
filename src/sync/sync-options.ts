import { SYNC_OPTIONS_ANNOTATION } from '../api/annotations.js';
import { annotationValues } from './resource-hooks.js';

type Obj = Record<string, any>;

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

const PROPAGATION: Record<string, PropagationPolicy> = { foreground: 'Foreground', background: 'Background', orphan: 'Orphan' };

/**
 * Argo CD's sync options: the Application's (syncPolicy.syncOptions and the operation's) and one
 * object's own (the argocd.argoproj.io/sync-options annotation), where an object's `X=false`
 * turns off what the Application turns on.
 */
export class SyncOptions {
  private readonly options: Set<string>;

  constructor(options: readonly string[]) {
    this.options = new Set(options.map((o) => o.trim()));
  }

  /** Set on the Application (or its operation). */
  has(option: string): boolean {
    return this.options.has(option);
  }

  /** `Name=true` on the object, or on the Application unless the object says `Name=false`. */
  enabledFor(object: Obj | undefined, name: string): boolean {
    const own = object ? annotationValues(object, SYNC_OPTIONS_ANNOTATION) : [];
    if (own.includes(`${name}=true`)) return true;
    return this.has(`${name}=true`) && !own.includes(`${name}=false`);
  }

  /** An option only the object's annotation sets (Prune=false, Delete=false). */
  static onObject(object: Obj | undefined, option: string): boolean {
    return object ? annotationValues(object, SYNC_OPTIONS_ANNOTATION).includes(option) : false;
  }

  /**
   * As Argo CD, which applies with kubectl's --validate (strict): the API server refuses unknown
   * fields, unless Validate=false is set on the Application (or its operation) or on the object.
   */
  fieldValidation(object: Obj | undefined): 'Strict' | 'Ignore' {
    return this.has('Validate=false') || SyncOptions.onObject(object, 'Validate=false') ? 'Ignore' : 'Strict';
  }

  /** PrunePropagationPolicy=foreground|background|orphan; Foreground, as Argo CD, when not set. */
  propagationPolicy(): PropagationPolicy {
    for (const option of this.options) {
      const [name, value] = option.split('=');
      if (name === 'PrunePropagationPolicy' && value in PROPAGATION) return PROPAGATION[value];
    }
    return 'Foreground';
  }
}
