import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res, Sse, UseFilters, UseGuards, type MessageEvent } from '@nestjs/common';
import { exhaustMap, from, ignoreElements, map, merge, timer, type Observable } from 'rxjs';
import type { ReviewedUser } from '../kube/access-reviews.js';
import { AccessGuard, requestToken, RequireAccess, type AuthenticatedRequest } from './access.guard.js';
import { AccessProblem, ApiAccess, applicationSetAccess } from './api-access.js';
import { API_SERVER_OPTIONS, type ApiServerOptions } from './api-server-options.js';
import { ApplicationSetView, type ApplicationSetSummary } from './application-set-view.js';
import { DashboardPages } from './dashboard-pages.js';
import { DashboardProblemFilter } from './dashboard-problem.filter.js';
import { cookieValue, DashboardSessions, SESSION_COOKIE } from './dashboard-sessions.js';
import { FleetView } from './fleet-view.js';
import { notFound } from './http-problem.js';
import { LiveApplicationSets } from './live-application-sets.js';

interface BrowserRequest {
  user: ReviewedUser;
  secure: boolean;
  headers: Record<string, string | undefined>;
}

interface BrowserResponse {
  setHeader(name: string, value: string): void;
  redirect(code: number, url: string): void;
  status(code: number): BrowserResponse;
  type(type: string): BrowserResponse;
  send(body: string): void;
}

/** Only dashboard paths: a `next` parameter cannot send a browser elsewhere. */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/dashboard(\/[^/\\]|$|\?)/.test(next) ? next : '/dashboard');

/** The dashboard: the fleet, each ApplicationSet with its rollout live (server-sent events), and the login. */
@Controller('dashboard')
@UseGuards(AccessGuard)
export class DashboardController {
  constructor(
    @Inject(DashboardPages) private readonly pages: DashboardPages,
    @Inject(FleetView) private readonly fleet: FleetView,
    @Inject(ApplicationSetView) private readonly appSets: ApplicationSetView,
    @Inject(LiveApplicationSets) private readonly live: LiveApplicationSets,
    @Inject(ApiAccess) private readonly access: ApiAccess,
    @Inject(DashboardSessions) private readonly sessions: DashboardSessions,
    @Inject(API_SERVER_OPTIONS) private readonly options: ApiServerOptions,
  ) {}

  /** The form, or with `?token=` (a link the demo prints) a login that at once trades the token for a cookie. */
  @Get('login')
  async loginPage(@Query('token') token: string | undefined, @Query('next') next: string | undefined, @Req() request: BrowserRequest, @Res() response: BrowserResponse): Promise<void> {
    if (token) return this.login(token, next, request, response);
    response.type('html').send(this.pages.login(safeNext(next)));
  }

  @Post('login')
  async loginForm(@Body() body: { token?: string; next?: string }, @Req() request: BrowserRequest, @Res() response: BrowserResponse): Promise<void> {
    return this.login(body?.token ?? '', body?.next, request, response);
  }

  @Post('logout')
  logout(@Req() request: BrowserRequest, @Res() response: BrowserResponse): void {
    this.sessions.end(cookieValue(request.headers.cookie, SESSION_COOKIE));
    response.setHeader('Set-Cookie', this.sessions.cookie(undefined, request.secure));
    response.redirect(303, '/dashboard/login');
  }

  @Get()
  @UseFilters(DashboardProblemFilter)
  @RequireAccess({ verb: 'get', namespace: 'argocd' })
  async index(@Req() request: BrowserRequest, @Query('groupBy') groupBy: string | undefined): Promise<string> {
    const readable: ApplicationSetSummary[] = [];
    for (const namespace of this.options.applicationSetNamespaces) {
      if (await this.access.allowed(request.user, applicationSetAccess('get', namespace))) readable.push(...(await this.appSets.list(namespace)));
    }
    return this.pages.fleet(request.user.username, await this.fleet.clusters(), readable, groupBy);
  }

  @Get('namespaces/:namespace/applicationsets/:name')
  @UseFilters(DashboardProblemFilter)
  @RequireAccess({ verb: 'get', namespace: 'param', named: true })
  async applicationSet(@Req() request: BrowserRequest, @Param('namespace') namespace: string, @Param('name') name: string): Promise<string> {
    const detail = await this.appSets.get(namespace, name);
    if (!detail) throw notFound(namespace, name);
    return this.pages.applicationSet(request.user.username, detail);
  }

  /** The live part of the page, sent whenever it changes; ends once the token may no longer read it. */
  @Sse('namespaces/:namespace/applicationsets/:name/events')
  @RequireAccess({ verb: 'get', namespace: 'param', named: true })
  events(@Req() request: AuthenticatedRequest, @Param('namespace') namespace: string, @Param('name') name: string): Observable<MessageEvent> {
    const token = requestToken(request, this.sessions);
    const stillAllowed = timer(0, this.options.livePollMs ?? 1000).pipe(exhaustMap(() => from(this.access.require(token, applicationSetAccess('get', namespace, name)))));
    // Rendered only when the ApplicationSet changed; the access checks only end the stream.
    return merge(this.live.watch(namespace, name), stillAllowed.pipe(ignoreElements())).pipe(
      map((detail) => (detail ? this.pages.live(detail) : `<p class="error">ApplicationSet ${namespace}/${name} no longer exists</p>`)),
      map((html) => ({ data: { html } })),
    );
  }

  private async login(token: string, next: string | undefined, request: BrowserRequest, response: BrowserResponse): Promise<void> {
    response.setHeader('Referrer-Policy', 'no-referrer');
    try {
      await this.access.authenticate(token);
    } catch (error) {
      if (!(error instanceof AccessProblem)) throw error;
      response.status(error.status).type('html').send(this.pages.login(safeNext(next), error.message));
      return;
    }
    response.setHeader('Set-Cookie', this.sessions.cookie(this.sessions.create(token), request.secure));
    response.redirect(303, safeNext(next));
  }
}
