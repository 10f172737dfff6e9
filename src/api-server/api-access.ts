import { createHash } from 'node:crypto';
import type { ResourceAccess, ReviewedUser } from '../kube/access-reviews.js';
import { describeKubeError } from '../kube/api-errors.js';

/** The management cluster's TokenReview and SubjectAccessReview, as the API uses them. */
export interface AccessReviewer {
  authenticate(token: string): Promise<ReviewedUser | undefined>;
  allowed(user: ReviewedUser, access: ResourceAccess): Promise<boolean>;
}

/** Why a request was refused: 401 (who are you?), 403 (not allowed) or 503 (the reviews failed). */
export class AccessProblem extends Error {
  constructor(
    readonly status: 401 | 403 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** What an endpoint asks about an ApplicationSet (or all of a namespace's, without a name). */
export function applicationSetAccess(verb: string, namespace: string, name?: string): ResourceAccess {
  return { verb, group: 'argoproj.io', resource: 'applicationsets', namespace, ...(name ? { name } : {}) };
}

/** `patch applicationsets.argoproj.io "guestbook" in namespace "argocd"`: what was asked, for messages. */
export function describeAccess(access: ResourceAccess): string {
  const resource = access.group ? `${access.resource}.${access.group}` : access.resource;
  return `${access.verb} ${resource}${access.name ? ` "${access.name}"` : ''}${access.namespace ? ` in namespace "${access.namespace}"` : ''}`;
}

/**
 * Authentication by TokenReview and authorization by SubjectAccessReview, each answer kept a few
 * seconds so a dashboard's requests do not each cost two reviews. Tokens are cached only as
 * SHA-256 digests and never appear in a message.
 */
export class ApiAccess {
  private readonly users = new Map<string, { at: number; user: ReviewedUser }>();
  private readonly grants = new Map<string, number>();

  constructor(
    private readonly reviewer: AccessReviewer,
    private readonly cacheMs = 5_000,
    private readonly maxCached = 10_000,
  ) {}

  /** The user a bearer token belongs to; AccessProblem 401 when there is none or the cluster refuses it. */
  async authenticate(token: string | undefined): Promise<ReviewedUser> {
    if (!token) throw new AccessProblem(401, 'no bearer token: send "Authorization: Bearer <token>" with a token the management cluster accepts');
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.users.get(key);
    if (cached && Date.now() - cached.at < this.cacheMs) return cached.user;
    let user: ReviewedUser | undefined;
    try {
      user = await this.reviewer.authenticate(token);
    } catch (error) {
      throw new AccessProblem(503, `cannot check the bearer token: TokenReview on the management cluster failed (${describeKubeError(error)})`);
    }
    if (!user) throw new AccessProblem(401, 'the bearer token was not accepted by the management cluster (TokenReview)');
    remember(this.users, key, { at: Date.now(), user }, this.maxCached);
    return user;
  }

  async allowed(user: ReviewedUser, access: ResourceAccess): Promise<boolean> {
    const key = JSON.stringify([user.username, user.groups, access]);
    const at = this.grants.get(key);
    if (at !== undefined && Date.now() - at < this.cacheMs) return true;
    let allowed: boolean;
    try {
      allowed = await this.reviewer.allowed(user, access);
    } catch (error) {
      throw new AccessProblem(503, `cannot check permissions: SubjectAccessReview on the management cluster failed (${describeKubeError(error)})`);
    }
    // Only grants are kept: a permission just given works at once, one just taken goes within cacheMs.
    if (allowed) remember(this.grants, key, Date.now(), this.maxCached);
    return allowed;
  }

  /** The token's user when it may do `access`; AccessProblem 401 or 403 otherwise. */
  async require(token: string | undefined, access: ResourceAccess): Promise<ReviewedUser> {
    const user = await this.authenticate(token);
    if (!(await this.allowed(user, access))) throw new AccessProblem(403, `user "${user.username}" may not ${describeAccess(access)}`);
    return user;
  }
}

/** Bounded caches: the oldest entry goes first (Maps iterate in insertion order). */
function remember<V>(cache: Map<string, V>, key: string, value: V, max: number): void {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > max) cache.delete(cache.keys().next().value as string);
}
