import * as k8s from '@kubernetes/client-node';
import type { KubeConfig } from './kube-config.js';

export interface ReviewedUser {
  username: string;
  groups: string[];
}

/** What a SubjectAccessReview asks about: a verb on a resource, in a namespace when it is namespaced. */
export interface ResourceAccess {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
}

/**
 * Delegated authentication and authorization, as kube-rbac-proxy and aggregated API servers do
 * it: the management cluster says whose a bearer token is (TokenReview) and whether that user may
 * do something (SubjectAccessReview). Needs `create` on tokenreviews and subjectaccessreviews.
 */
export class AccessReviews {
  private readonly authentication: k8s.AuthenticationV1Api;
  private readonly authorization: k8s.AuthorizationV1Api;

  constructor(config: KubeConfig) {
    this.authentication = config.makeApiClient(k8s.AuthenticationV1Api);
    this.authorization = config.makeApiClient(k8s.AuthorizationV1Api);
  }

  /** The token's user, or undefined when the API server does not accept the token. */
  async authenticate(token: string): Promise<ReviewedUser | undefined> {
    const review = await this.authentication.createTokenReview({ body: { spec: { token } } });
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) return undefined;
    return { username: user.username, groups: user.groups ?? [] };
  }

  async allowed(user: ReviewedUser, access: ResourceAccess): Promise<boolean> {
    const review = await this.authorization.createSubjectAccessReview({
      body: { spec: { user: user.username, groups: user.groups, resourceAttributes: { ...access } } },
    });
    return review.status?.allowed === true && review.status.denied !== true;
  }
}
