import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res, Sse, UseFilters, UseGuards, type MessageEvent } from '@nestjs/common';
import { exhaustMap, from, ignoreElements, map, merge, timer, type Observable } from 'rxjs';
import type { ReviewedUser } from '../kube/access-reviews.js';
import { ObjectClient } from '../kube/object-client.js';
import { AccessGuard, requestToken, RequireAccess, type AuthenticatedRequest } from './access.guard.js';
import { AccessProblem, ApiAccess, applicationSetAccess } from './api-access.js';
import { API_SERVER_OPTIONS, type ApiServerOptions } from './api-server-options.js';
import { ApplicationSetView, type ApplicationSetSummary } from './application-set-view.js';
import { runRolloutAction } from './application-sets.controller.js';
import { DashboardLoginCodes } from './dashboard-login-codes.js';
import { DashboardPages, type DashboardViewer } from './dashboard-pages.js';
import { DashboardProblemFilter } from './dashboard-problem.filter.js';
import { cookieValue, CSRF_FIELD, DashboardSessions, LOGIN_COOKIE, servedOverTls, SESSION_COOKIE } from './dashboard-sessions.js';
import { FleetView } from './fleet-view.js';
import { notFound } from './http-problem.js';
import { LiveApplicationSets } from './live-application-sets.js';

interface BrowserRequest {
  user: ReviewedUser;
  socket?: { encrypted?: boolean };
  headers: Record<string, string | undefined>;
}

interface BrowserResponse {
  setHeader(name: string, value: string | string[]): void;
  redirect(code: number, url: string): void;
  status(code: number): BrowserResponse;
  type(type: string): BrowserResponse;
  send(body: string): void;
}

interface LoginForm {
  token?: unknown;
  code?: unknown;
  next?: unknown;
  [CSRF_FIELD]?: unknown;
}

/** Only dashboard paths: a `next` parameter cannot send a browser elsewhere. */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/dashboard(\/[^/\\]|$|\?)/.test(next) ? next : '/dashboard');
const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/**
 * The dashboard: the fleet, each ApplicationSet with its rollout live (server-sent events) and
 * its rollout buttons, and the login. Every POST a browser makes here carries a CSRF token.
 */
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
    @Inject(DashboardLoginCodes) private readonly loginCodes: DashboardLoginCodes,
    @Inject(ObjectClient) private readonly client: ObjectClient,
    @Inject(API_SERVER_OPTIONS) private readonly options: ApiServerOptions,
  ) {}

  /**
   * The login form. A token in the URL is refused, never used: URLs end up in browser history,
   * proxy logs and Referer headers. The refusal does not repeat it.
   */
  @Get('login')
  loginPage(@Query() query: Record<string, unknown>, @Req() request: BrowserRequest, @Res() response: BrowserResponse): void {
    const refused =
      'token' in query ? 'A token in the URL is not accepted (URLs are kept in browser history and proxy logs): paste it into the form instead.' : undefined;
    this.loginForm(request, response, refused ? 400 : 200, query.next, refused);
  }

  @Post('login')
  async login(@Body() body: LoginForm | undefined, @Req() request: BrowserRequest, @Res() response: BrowserResponse): Promise<void> {
    const form = body ?? {};
    response.setHeader('Referrer-Policy', 'no-referrer');
    if (!this.sessions.loginFormMatches(cookieValue(request.headers.cookie, LOGIN_COOKIE), form[CSRF_FIELD])) {
      return this.refuseLogin(request, response, 403, form.next, 'The login form was not sent from this dashboard, or it has expired: log in again.');
    }
    let token = text(form.token);
    const code = text(form.code);
    if (!token && !code) return this.refuseLogin(request, response, 401, form.next, 'Paste a bearer token or a one-time login code.');
    if (!token) {
      token = this.loginCodes.redeem(code) ?? '';
      if (!token) return this.refuseLogin(request, response, 401, form.next, 'The login code is unknown, expired or already used.');
    }
    try {
      await this.access.authenticate(token);
    } catch (error) {
      if (!(error instanceof AccessProblem)) throw error;
      return this.refuseLogin(request, response, error.status, form.next, error.message);
    }
    const session = this.sessions.create(token);
    response.setHeader('Set-Cookie', this.sessions.cookie(session.id, this.secure(request)));
    response.redirect(303, safeNext(form.next));
  }

  /** Ends the session; a live session must send its CSRF token, so another site cannot log the user out. */
  @Post('logout')
  logout(@Body() body: { [CSRF_FIELD]?: unknown } | undefined, @Req() request: BrowserRequest, @Res() response: BrowserResponse): void {
    const session = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (this.sessions.tokenOf(session) && !this.sessions.csrfMatches(session, body?.[CSRF_FIELD])) {
      response
        .status(403)
        .type('html')
        .send(this.pages.problem(undefined, 403, 'Forbidden', 'no valid CSRF token: log out with the button on a dashboard page'));
      return;
    }
    this.sessions.end(session);
    response.setHeader('Set-Cookie', this.sessions.cookie(undefined, this.secure(request)));
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
    return this.pages.fleet(this.viewer(request), await this.fleet.clusters(), readable, groupBy);
  }

  @Get('namespaces/:namespace/applicationsets/:name')
  @UseFilters(DashboardProblemFilter)
  @RequireAccess({ verb: 'get', namespace: 'param', named: true })
  async applicationSet(@Req() request: BrowserRequest, @Param('namespace') namespace: string, @Param('name') name: string): Promise<string> {
    const detail = await this.appSets.get(namespace, name);
    if (!detail) throw notFound(namespace, name);
    return this.pages.applicationSet(this.viewer(request), detail);
  }

  /** The rollout page's buttons: what the API's rollout actions do, back to the page afterwards. */
  @Post('namespaces/:namespace/applicationsets/:name/rollout/:action')
  @UseFilters(DashboardProblemFilter)
  @RequireAccess({ verb: 'patch', namespace: 'param', named: true })
  async rolloutAction(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('action') action: string,
    @Res() response: BrowserResponse,
  ): Promise<void> {
    await runRolloutAction(this.client, namespace, name, action);
    response.redirect(303, `/dashboard/namespaces/${encodeURIComponent(namespace)}/applicationsets/${encodeURIComponent(name)}`);
  }

  /** The live part of the page, sent whenever it changes; ends once the token may no longer read it. */
  @Sse('namespaces/:namespace/applicationsets/:name/events')
  @RequireAccess({ verb: 'get', namespace: 'param', named: true })
  events(@Req() request: AuthenticatedRequest, @Param('namespace') namespace: string, @Param('name') name: string): Observable<MessageEvent> {
    const token = requestToken(request, this.sessions);
    const stillAllowed = timer(0, this.options.livePollMs ?? 1000).pipe(
      exhaustMap(() => from(this.access.require(token, applicationSetAccess('get', namespace, name)))),
    );
    // Rendered only when the ApplicationSet changed; the access checks only end the stream.
    return merge(this.live.watch(namespace, name), stillAllowed.pipe(ignoreElements())).pipe(
      map((detail) => (detail ? this.pages.live(detail) : `<p class="error">ApplicationSet ${namespace}/${name} no longer exists</p>`)),
      map((html) => ({ data: { html } })),
    );
  }

  private viewer(request: BrowserRequest): DashboardViewer {
    return { username: request.user.username, csrf: this.sessions.csrfOf(cookieValue(request.headers.cookie, SESSION_COOKIE)) };
  }

  private secure(request: BrowserRequest): boolean {
    return servedOverTls(request, this.options.trustForwardedProto ?? false);
  }

  /** The form with its CSRF token, derived from the nonce cookie the browser keeps for the login page. */
  private loginForm(request: BrowserRequest, response: BrowserResponse, status: number, next: unknown, error?: string): void {
    const form = this.sessions.loginForm(cookieValue(request.headers.cookie, LOGIN_COOKIE));
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.setHeader('Set-Cookie', this.sessions.loginCookie(form.nonce, this.secure(request)));
    response
      .status(status)
      .type('html')
      .send(this.pages.login(safeNext(next), form.csrf, error));
  }

  private refuseLogin(request: BrowserRequest, response: BrowserResponse, status: number, next: unknown, reason: string): void {
    // An audit line: a refused login, with why; never the token or code.
    this.options.logger.warn('dashboard login refused', { status, reason });
    this.loginForm(request, response, status, next, reason);
  }
}
