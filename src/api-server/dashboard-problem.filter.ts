import { Catch, HttpException, Inject, Injectable, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { DashboardPages } from './dashboard-pages.js';

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
  constructor(@Inject(DashboardPages) private readonly pages: DashboardPages) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<{ originalUrl: string; user?: { username: string } }>();
    const response = http.getResponse<HtmlResponse>();
    const status = exception.getStatus();
    if (status === 401) return response.redirect(303, `/dashboard/login?next=${encodeURIComponent(request.originalUrl)}`);
    const body = exception.getResponse() as { error?: string; message?: string } | string;
    const message = typeof body === 'string' ? body : (body.message ?? exception.message);
    const error = typeof body === 'string' ? exception.name : (body.error ?? exception.name);
    response.status(status).type('html').send(this.pages.problem(request.user?.username, status, error, message));
  }
}
