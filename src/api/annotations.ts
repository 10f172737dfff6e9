/** Annotations, labels and operation info keys: Argo CD's, which Regatta reads and writes as Argo CD does, and Regatta's own. */

// Argo CD's
/** Argo CD's annotation asking for a refresh now; removed once done. */
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
/** Argo CD's default resource tracking: this label carries the Application's name. */
export const TRACKING_LABEL = 'app.kubernetes.io/instance';
/** Argo CD's sync-wave annotation: objects are applied wave by wave, lowest first. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
/** Argo CD's resource hook annotation: PreSync, Sync, PostSync, SyncFail or Skip (comma-separated). */
export const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
/** Argo CD's hook deletion policies: HookSucceeded, HookFailed, BeforeHookCreation (comma-separated). */
export const HOOK_DELETE_POLICY_ANNOTATION = 'argocd.argoproj.io/hook-delete-policy';
/** Argo CD's per-resource sync options (comma-separated, as in syncPolicy.syncOptions). */
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
/** Helm's hook annotations, which Argo CD maps onto its own hooks when no Argo CD hook annotation is set. */
export const HELM_HOOK_ANNOTATION = 'helm.sh/hook';
export const HELM_HOOK_WEIGHT_ANNOTATION = 'helm.sh/hook-weight';
export const HELM_HOOK_DELETE_POLICY_ANNOTATION = 'helm.sh/hook-delete-policy';
/** Argo CD's approval of the prunes and deletions `Prune=confirm` and `Delete=confirm` wait for: an RFC 3339 time on the Application. */
export const DELETION_APPROVED_ANNOTATION = 'argocd.argoproj.io/deletion-approved';
/** The finalizer Argo CD puts on the hooks it creates and removes once it has read their result: a hook cannot vanish before. */
export const HOOK_FINALIZER = 'argocd.argoproj.io/hook-finalizer';

// Regatta's
/** `pause` or `abort` on the ApplicationSet stops promotions; removing it resumes. */
export const ROLLOUT_CONTROL_ANNOTATION = 'rollout.regatta.dev/control';
/** A time later than a halt clears the rollout's failures and lets it go on. */
export const ROLLOUT_RESUMED_AT_ANNOTATION = 'rollout.regatta.dev/resumed-at';
/** Names the promotion (step and Pending time, or the halted rollout's rollback) in a RollingSync operation's info. */
export const PROMOTION_INFO = 'regatta.dev/promotion';
/** Recorded in operationState: the sync's key, so any job for a sync that already happened (a retry, a resumed attempt) does nothing. */
export const SYNC_KEY_INFO = 'regatta.dev/sync';
/** Recorded in operationState: which replica ran the sync, for people reading it. */
export const SYNC_REPLICA_INFO = 'regatta.dev/sync-replica';
/** Annotation holding a hash of what Regatta last applied, so an unchanged Application is not written again. */
export const APPLIED_HASH_ANNOTATION = 'regatta.dev/applied-hash';
/** Go duration, on an ApplicationSet or its template: a PR preview is kept this long after its pull request is gone. */
export const PREVIEW_TTL_ANNOTATION = 'regatta.dev/preview-ttl';
/** On a kept PR preview: when it is deleted (RFC 3339); removed if the pull request comes back. */
export const PREVIEW_EXPIRES_AT_ANNOTATION = 'regatta.dev/preview-expires-at';
/** On a generated Application: a label selector of the Applications (same ApplicationSet and destination) it waits for in its step. */
export const DEPENDS_ON_ANNOTATION = 'regatta.dev/depends-on';
