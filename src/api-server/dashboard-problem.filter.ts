import { Catch, HttpException, Inject, Injectable, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { DashboardPages } from './dashboard-pages.js';
import { cookieValue, DashboardSessions, SESSION_COOKIE } from './dashboard-sessions.js';

interface HtmlResponse {
  status(code: number): HtmlResponse;
  redirect(code: number, url: string): void;
  type(type: string): HtmlResponse;
  send(body: string): void;
}

/** Refusals on dashboard pages as a browser needs them: to the login page on 401, an HTML page otherwise. */
@Catch(HttpException)
@Injectable()
export class DashboardProblemFilter implements ExceptionFilter {
  constructor(
    @Inject(DashboardPages) private readonly pages: DashboardPages,
    @Inject(DashboardSessions) private readonly sessions: DashboardSessions,
  ) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<{ originalUrl: string; method: string; user?: { username: string }; headers: Record<string, string | undefined> }>();
    const response = http.getResponse<HtmlResponse>();
    const status = exception.getStatus();
    // A page the login can return to; after a refused POST, that is the page the form was on.
    if (status === 401)
      return response.redirect(
        303,
        `/dashboard/login?next=${encodeURIComponent(request.method === 'GET' ? request.originalUrl : request.originalUrl.replace(/\/rollout\/[^/?]*$/, ''))}`,
      );
    const body = exception.getResponse() as { error?: string; message?: string } | string;
    const message = typeof body === 'string' ? body : (body.message ?? exception.message);
    const error = typeof body === 'string' ? exception.name : (body.error ?? exception.name);
    const viewer = request.user && { username: request.user.username, csrf: this.sessions.csrfOf(cookieValue(request.headers.cookie, SESSION_COOKIE)) };
    response
      .status(status)
      .type('html')
      .send(this.pages.problem(viewer, status, error, message));
  }
}
