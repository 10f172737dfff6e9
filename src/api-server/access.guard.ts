import { Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ReviewedUser } from '../kube/access-reviews.js';
import { AccessProblem, ApiAccess, applicationSetAccess } from './api-access.js';
import { API_SERVER_OPTIONS, type ApiServerOptions } from './api-server-options.js';
import { cookieValue, DashboardSessions, SESSION_COOKIE } from './dashboard-sessions.js';
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
  body?: { metadata?: { namespace?: string } };
  route?: { path?: string };
  user?: ReviewedUser;
}

/** The bearer token of a request; the dashboard's session cookie stands in for it on reads only (no cross-site writes). */
export function requestToken(request: AuthenticatedRequest, sessions: DashboardSessions): string | undefined {
  const header = request.headers.authorization;
  const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  if (bearer) return bearer;
  const cookie = request.headers.cookie;
  return request.method === 'GET' ? sessions.tokenOf(cookieValue(typeof cookie === 'string' ? cookie : undefined, SESSION_COOKIE)) : undefined;
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
    const namespace = rule.namespace === 'param' ? request.params.namespace : rule.namespace === 'body' ? (request.body?.metadata?.namespace ?? this.options.namespace) : this.options.namespace;
    const token = requestToken(request, this.sessions);
    try {
      request.user = await this.access.require(token, applicationSetAccess(rule.verb, namespace, rule.named ? request.params.name : undefined));
      return true;
    } catch (error) {
      if (!(error instanceof AccessProblem)) throw error;
      // An audit line: who was refused what. The message names the user, never the token.
      this.options.logger.warn('api request refused', { status: error.status, method: request.method, path: request.route?.path, reason: error.message });
      if (error.status === 401) context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', 'Bearer realm="regatta"');
      throw httpProblem(error.status, error.message);
    }
  }
}
