import { Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ReviewedUser } from '../kube/access-reviews.js';
import { AccessProblem, ApiAccess, applicationSetAccess } from './api-access.js';
import { API_SERVER_OPTIONS, type ApiServerOptions } from './api-server-options.js';
import { cookieValue, CSRF_FIELD, CSRF_HEADER, DashboardSessions, SESSION_COOKIE } from './dashboard-sessions.js';
import { httpProblem } from './http-problem.js';

/** The permission on ApplicationSets an endpoint needs, checked with a SubjectAccessReview before it runs. */
export interface AccessRule {
  verb: 'get' | 'patch' | 'create';
  /** `param`: the `:namespace` of the route; `body`: the posted object's namespace; `argocd`: Argo CD's namespace. */
  namespace: 'param' | 'body' | 'argocd';
  /** The `:name` of the route is the object asked about. */
  named?: boolean;
}

const ACCESS_RULE = 'regatta:access-rule';
export const RequireAccess = (rule: AccessRule) => SetMetadata(ACCESS_RULE, rule);

export interface AuthenticatedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string>;
  body?: { metadata?: { namespace?: string }; [CSRF_FIELD]?: unknown };
  route?: { path?: string };
  user?: ReviewedUser;
}

/**
 * The bearer token of a request. The dashboard's session cookie stands in for it on reads, and on
 * a POST only together with the session's CSRF token, which a cross-site page cannot know (403
 * otherwise). A bearer header needs none: a browser never attaches one to a cross-site request.
 */
export function requestToken(request: AuthenticatedRequest, sessions: DashboardSessions): string | undefined {
  const header = request.headers.authorization;
  const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  if (bearer) return bearer;
  const cookie = request.headers.cookie;
  const session = cookieValue(typeof cookie === 'string' ? cookie : undefined, SESSION_COOKIE);
  const token = sessions.tokenOf(session);
  if (!token || request.method === 'GET' || request.method === 'HEAD') return token;
  const given = request.body?.[CSRF_FIELD] ?? request.headers[CSRF_HEADER];
  if (!sessions.csrfMatches(session, given)) {
    throw new AccessProblem(
      403,
      `no valid CSRF token: a POST with the dashboard's session cookie must carry the session's CSRF token (form field "${CSRF_FIELD}" or header X-CSRF-Token), as the dashboard's own buttons do`,
    );
  }
  return token;
}

/** TokenReview + SubjectAccessReview for every endpoint that declares an AccessRule; 401/403 as JSON otherwise. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiAccess) private readonly access: ApiAccess,
    @Inject(DashboardSessions) private readonly sessions: DashboardSessions,
    @Inject(API_SERVER_OPTIONS) private readonly options: ApiServerOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.get<AccessRule | undefined>(ACCESS_RULE, context.getHandler());
    if (!rule) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const namespace =
      rule.namespace === 'param'
        ? request.params.namespace
        : rule.namespace === 'body'
          ? (request.body?.metadata?.namespace ?? this.options.namespace)
          : this.options.namespace;
    try {
      const token = requestToken(request, this.sessions);
      request.user = await this.access.require(token, applicationSetAccess(rule.verb, namespace, rule.named ? request.params.name : undefined));
      return true;
    } catch (error) {
      if (!(error instanceof AccessProblem)) throw error;
      // An audit line: who was refused what. The message names the user, never the token.
      this.options.logger.warn('api request refused', { status: error.status, method: request.method, path: request.route?.path, reason: error.message });
      if (error.status === 401)
        context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', 'Bearer realm="regatta"');
      throw httpProblem(error.status, error.message);
    }
  }
}
