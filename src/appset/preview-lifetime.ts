import { PREVIEW_EXPIRES_AT_ANNOTATION, PREVIEW_TTL_ANNOTATION } from '../api/annotations.js';
import type { Application } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import { usesGenerator } from '../generators/transform.js';
import { parseGoDurationOrError } from '../templating/gotemplate/index.js';

/**
 * PR previews: an Application a PullRequest generator stops producing (the PR closed or merged) is
 * kept for a grace period before it is deleted, so reviewers can still reach it and a reopened PR
 * finds it in place. Pure: the reconciler applies what this decides.
 */

/** A preview kept past its PR. */
export interface KeptPreview {
  application: Application;
  expiresAt: Date;
}

export interface PreviewLifetimeDecision {
  /** Delete now: not previews, or previews whose time is up. */
  deleteNow: Application[];
  /** Expired previews among `deleteNow` (an Event says why they went). */
  expired: Application[];
  /** Previews seen gone for the first time: mark with their expiry and keep. */
  newlyKept: KeptPreview[];
  /** Every preview kept, including those already marked. */
  kept: KeptPreview[];
  /** Generated again (the PR came back): their mark is removed. */
  revived: Application[];
  /** Soonest expiry, in seconds from now. */
  requeueAfterSeconds?: number;
  /** An unusable TTL: `field: message`; those Applications are neither deleted nor marked until it is fixed. */
  problem?: string;
}

type TtlText = { text: string; field: string };

function ttlOf(appSet: ApplicationSet, application: Application): TtlText | undefined {
  const own = application.metadata.annotations?.[PREVIEW_TTL_ANNOTATION];
  if (own !== undefined) return { text: own, field: `spec.template.metadata.annotations[${PREVIEW_TTL_ANNOTATION}]` };
  const onAppSet = appSet.metadata.annotations?.[PREVIEW_TTL_ANNOTATION];
  if (onAppSet !== undefined && usesGenerator(appSet.spec.generators, 'pullRequest'))
    return { text: onAppSet, field: `metadata.annotations[${PREVIEW_TTL_ANNOTATION}]` };
  return undefined;
}

/** The TTL in milliseconds, or why it cannot be used. */
export function parsePreviewTtl(text: string): { ms: number } | { error: string } {
  const parsed = parseGoDurationOrError(text);
  if ('error' in parsed) return parsed;
  if (parsed.nanoseconds <= 0) return { error: `must be a positive duration, got ${JSON.stringify(text)}` };
  return { ms: parsed.nanoseconds / 1e6 };
}

/**
 * Splits the deletions the reconcile plan made into those to do now and the previews to keep;
 * `desired` are the Applications generated this time (a marked one among them came back).
 */
export function decidePreviewLifetimes(
  appSet: ApplicationSet,
  deletions: Application[],
  current: Application[],
  desired: Application[],
  now: Date,
): PreviewLifetimeDecision {
  const decision: PreviewLifetimeDecision = { deleteNow: [], expired: [], newlyKept: [], kept: [], revived: [] };
  const generated = new Set(desired.map((a) => a.metadata.name));
  decision.revived = current.filter((a) => generated.has(a.metadata.name) && a.metadata.annotations?.[PREVIEW_EXPIRES_AT_ANNOTATION] !== undefined);
  for (const application of deletions) {
    const ttl = ttlOf(appSet, application);
    const parsed = ttl ? parsePreviewTtl(ttl.text) : undefined;
    if (!ttl || !parsed) {
      decision.deleteNow.push(application);
      continue;
    }
    if ('error' in parsed) {
      decision.problem ??= `${ttl.field}: ${parsed.error}`;
      continue;
    }
    const marked = Date.parse(application.metadata.annotations?.[PREVIEW_EXPIRES_AT_ANNOTATION] ?? '');
    const expiresAt = new Date(Number.isNaN(marked) ? now.getTime() + parsed.ms : marked);
    if (expiresAt.getTime() <= now.getTime()) {
      decision.deleteNow.push(application);
      decision.expired.push(application);
      continue;
    }
    const kept = { application, expiresAt };
    decision.kept.push(kept);
    if (Number.isNaN(marked)) decision.newlyKept.push(kept);
    const seconds = Math.ceil((expiresAt.getTime() - now.getTime()) / 1000);
    decision.requeueAfterSeconds = Math.min(decision.requeueAfterSeconds ?? Infinity, seconds);
  }
  return decision;
}
