/** What a browser does with the dashboard's forms, over plain fetch: the login form's cookie and CSRF token, and posting it. */

export interface LoginForm {
  /** The form's nonce cookie, as a Cookie header value. */
  cookie: string;
  csrf: string;
}

/** The CSRF token a dashboard page's forms carry. */
export const csrfIn = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)![1];

/** The first cookie a response sets, as a Cookie header value. */
export const cookieSet = (response: Response): string => response.headers.get('set-cookie')!.split(';')[0];

export async function loginForm(base: string, headers: Record<string, string> = {}): Promise<LoginForm> {
  const page = await fetch(`${base}/dashboard/login`, { headers });
  return { cookie: cookieSet(page), csrf: csrfIn(await page.text()) };
}

/** Posts the login form as a browser that loaded it would (or with `form`, as given). */
export async function postLogin(base: string, fields: Record<string, string>, form?: LoginForm, headers: Record<string, string> = {}): Promise<Response> {
  const { cookie, csrf } = form ?? (await loginForm(base));
  return fetch(`${base}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ csrf, ...fields }),
  });
}

/** Posts a dashboard form with a session cookie, as a browser would send it (or a cross-site page, without the CSRF field). */
export function postForm(
  base: string,
  path: string,
  cookie: string,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
}
