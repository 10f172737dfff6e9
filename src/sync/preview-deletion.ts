import { PREVIEW_EXPIRES_AT_ANNOTATION, PREVIEW_TTL_ANNOTATION } from '../api/annotations.js';
import { RESOURCES_FINALIZER, type Application } from '../api/application.js';
import type { Logger } from '../observability/logger.js';
import { keyOf, type ApplicationClient } from './application-client.js';
import { DeletionAwaitingApproval, type SyncDriver } from './sync-driver.js';

/** Tries per deletion (a status write racing the finalizer's removal is a 409 Conflict), waiting longer each time. */
const MAX_ATTEMPTS = 5;
const RETRY_DELAY_MS = 200;

/** Whether the Application is a PR preview (a TTL applies to it, or it was kept by one). */
export function isPreview(application: Application): boolean {
  const annotations = application.metadata.annotations ?? {};
  return annotations[PREVIEW_TTL_ANNOTATION] !== undefined || annotations[PREVIEW_EXPIRES_AT_ANNOTATION] !== undefined;
}

/**
 * A deleted PR preview holding the resources finalizer: its resources, and the destination
 * Namespace Regatta created for it, are deleted before the finalizer is removed. Other
 * Applications are left as they were (opt-in).
 */
export class PreviewDeletion {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly driver: SyncDriver,
    private readonly applications: ApplicationClient,
    private readonly logger: Logger,
  ) {}

  /** Resolves when this deletion is done, failed for good, or was not this one's to do. */
  async handle(application: Application): Promise<void> {
    const key = keyOf(application);
    if (!this.due(application) || !this.driver.deleteResources || this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      let current: Application | undefined = application;
      for (let attempt = 1; current && this.due(current); attempt++) {
        try {
          await this.driver.deleteResources(current);
          const rest = (current.metadata.finalizers ?? []).filter((f) => f !== RESOURCES_FINALIZER);
          // At the version read: a finalizer another controller added meanwhile is not dropped with ours.
          await this.applications.patchAt(current, { metadata: { finalizers: rest.length ? rest : null } });
          return;
        } catch (error) {
          // Delete=confirm: the resources and the finalizer stay until the Application's approval, a change that brings it here again.
          if (error instanceof DeletionAwaitingApproval) {
            this.logger.info('a preview Application’s resources wait for deletion approval', { application: key, reason: error.message });
            return;
          }
          if (attempt >= MAX_ATTEMPTS) {
            // Seen again at the Application's next change; its resources and finalizer stay until then.
            this.logger.warn('deleting a preview Application’s resources failed', { application: key, error: (error as Error).message });
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
          current = await this.applications.get(application.metadata.namespace ?? '', application.metadata.name);
        }
      }
    } finally {
      this.inFlight.delete(key);
    }
  }

  private due(application: Application): boolean {
    return (
      application.metadata.deletionTimestamp !== undefined && (application.metadata.finalizers ?? []).includes(RESOURCES_FINALIZER) && isPreview(application)
    );
  }
}
