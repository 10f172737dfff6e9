import { BodyTooLargeError } from '../lib/bounded-body.js';
import { signAwsRequest, type AwsCredentials } from './aws-sigv4.js';
import { rateLimitWaitMs, requestTimeoutMs, ScmError, timeoutMessage } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';
import { isTimeout } from './scm-transport.js';

export interface AwsHttpAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** Where one AWS service is reached and how its requests are signed. */
export interface AwsEndpoint {
  url: string;
  region: string;
  /** SigV4's service name: `codecommit`, `tagging`, `sts`. */
  signingName: string;
  /** The name AWS SDK errors give the service: `CodeCommit`, `STS`. */
  serviceId: string;
}

/** An AWS API's error answer: `code` is its exception name (`FolderDoesNotExistException`). */
export class AwsServiceError extends ScmError {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Error codes AWS answers (with HTTP 400) when a caller is being throttled. */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
]);

/** AWS messages are the service's text; a hostile or broken endpoint does not get to fill an error. */
const MAX_MESSAGE_CHARS = 300;
const clip = (text: string) => (text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text);

/** `ns#Name:extra` → `Name`, as AWS JSON protocols spell error types. */
const errorCode = (type: string) => type.replace(/^.*#/, '').replace(/:.*$/, '');

function jsonError(answer: AwsHttpAnswer): { code: string; message: string } {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(answer.text);
    if (parsed !== null && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the status alone describes it.
  }
  const type = answer.headers['x-amzn-errortype'] ?? (typeof body.__type === 'string' ? body.__type : '');
  const message = typeof body.message === 'string' ? body.message : typeof body.Message === 'string' ? body.Message : '';
  return { code: errorCode(type), message };
}

/** The text of the first `<tag>` of an AWS XML answer, entities decoded; '' when absent. */
export function xmlText(xml: string, tag: string): string {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match
    ? match[1]
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&')
    : '';
}

const xmlError = (answer: AwsHttpAnswer) => ({ code: xmlText(answer.text, 'Code'), message: xmlText(answer.text, 'Message') });

/**
 * Signed calls to one AWS service, with Argo CD's AWS SDK's wording in errors (`operation error
 * CodeCommit: ListRepositories, …`). Throttling (400 with a throttling code, 429) and 5xx answers are
 * tried again within the RetryBudget. Credentials are asked for at the first call, as the SDK does.
 * Each call is a POST through the SCM gateway (counted in its metrics, its answer bounded).
 */
export class AwsClient {
  constructor(
    private readonly endpoint: AwsEndpoint,
    /** Undefined for the one call AWS takes unsigned (STS AssumeRoleWithWebIdentity). */
    private readonly credentials: () => Promise<AwsCredentials | undefined>,
    private readonly http: ScmHttp,
  ) {}

  private get budget() {
    return this.http.budget;
  }

  /** One operation of a JSON 1.1 API (CodeCommit, Resource Groups Tagging). */
  async json(targetPrefix: string, operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${targetPrefix}.${operation}` };
    const answer = await this.send(operation, headers, JSON.stringify(input), jsonError);
    try {
      const body: unknown = JSON.parse(answer.text || '{}');
      if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {
      // Reported below.
    }
    throw new ScmError(`${this.describe(operation)}, the answer is not a JSON object`);
  }

  /** One operation of a query-protocol API (STS): a form POST, answered in XML. */
  async query(operation: string, parameters: Record<string, string>): Promise<string> {
    const body = new URLSearchParams({ Action: operation, ...parameters }).toString();
    const answer = await this.send(operation, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body, xmlError);
    return answer.text;
  }

  private describe(operation: string) {
    return `operation error ${this.endpoint.serviceId}: ${operation}`;
  }

  private async send(
    operation: string,
    headers: Record<string, string>,
    body: string,
    parseError: (answer: AwsHttpAnswer) => { code: string; message: string },
  ): Promise<AwsHttpAnswer> {
    const what = this.describe(operation);
    let credentials: AwsCredentials | undefined;
    try {
      credentials = await this.credentials();
    } catch (error) {
      throw new ScmError(`${what}, get identity: get credentials: ${(error as Error).message}`);
    }
    const url = new URL(this.endpoint.url);
    for (let attempt = 1; ; attempt++) {
      const signed = credentials
        ? signAwsRequest({ method: 'POST', url, headers, body, region: this.endpoint.region, service: this.endpoint.signingName }, credentials)
        : headers;
      let answer: AwsHttpAnswer;
      try {
        answer = await this.http.gateway.post(url.toString(), signed, body, {}, requestTimeoutMs(this.budget), this.http.caller);
      } catch (error) {
        if (error instanceof BodyTooLargeError) throw new ScmError(`${what}, ${error.message}`);
        if (isTimeout(error) || isTimeout((error as { cause?: unknown }).cause)) throw new ScmError(`${what}, ${timeoutMessage(this.budget)}`);
        throw new ScmError(`${what}, request failed: ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`);
      }
      if (answer.status >= 200 && answer.status < 300) return answer;
      const { code, message } = parseError(answer);
      const failure = `https response error StatusCode: ${answer.status}, api error ${code || 'UnknownError'}: ${clip(message)}`;
      const throttled = answer.status === 429 || (answer.status === 400 && THROTTLING_CODES.has(code));
      if (throttled || answer.status >= 500) {
        // AWS rarely says how long to wait: a Retry-After is honoured, otherwise the budget's backoff.
        const asked = answer.headers['retry-after'] === undefined ? undefined : rateLimitWaitMs(429, answer.headers);
        const delay = asked ?? (this.budget.serverErrorBackoffMs ?? 1000) * attempt;
        if (attempt < this.budget.attempts && delay <= this.budget.maxWaitMs) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          continue;
        }
        throw new AwsServiceError(`${what}, exceeded maximum number of attempts, ${attempt}, ${failure}`, code);
      }
      throw new AwsServiceError(`${what}, ${failure}`, code);
    }
  }
}
