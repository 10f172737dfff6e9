import type { ApplicationSet, PluginGenerator } from '../api/application-set.js';
import { readBodyWithin } from '../lib/bounded-body.js';
import { isPlainObject } from '../lib/json-values.js';
import { flattenParams } from '../templating/flatten.js';
import { GeneratorError, type Generator, type GeneratorContext, type ParamSet } from './generator.js';
import { addTemplatedValues } from './generator-values.js';

/** Argo CD asks a plugin again every 30 minutes unless told otherwise. */
export const PLUGIN_REQUEUE_SECONDS = 30 * 60;
/** Argo CD's plugin client gives up after 30 s unless the ConfigMap's requestTimeout says otherwise. */
const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;
/** What one plugin answer may weigh: a plugin is a tenant-reachable service, and its answer is held in memory whole. */
export const MAX_PLUGIN_ANSWER_BYTES = 16 * 1024 * 1024;
/** Argo CD's default Secret for `$key` tokens that name no Secret. */
const ARGOCD_SECRET = 'argocd-secret';

/** The plugin's settings, from the ConfigMap an administrator writes in Argo CD's namespace. */
interface PluginService {
  url: URL;
  token: string;
  timeoutMs: number;
}

/**
 * `plugin`: parameter sets from an HTTP service (Argo CD's generator plugins). The ConfigMap named
 * by `configMapRef` gives `baseUrl`, `token` (`$key` of argocd-secret or `$secret:key`) and
 * `requestTimeout` (seconds); the generator POSTs `{applicationSetName, input: {parameters}}` to
 * `<baseUrl>/api/v1/getparams.execute` and takes `output.parameters`. Each set also carries
 * `generator.input.parameters`, and the generator's `values`. Unlike Argo CD, an answer without
 * a list of objects (an empty body among them) fails the generation: it never reads as "no
 * parameters", so Applications are not deleted because a plugin misbehaved.
 */
export class PluginGeneratorImpl implements Generator<PluginGenerator> {
  readonly kind = 'plugin';

  async generateParams(spec: PluginGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    const service = await this.service(spec, context);
    const answers = await this.ask(service, appSet, spec);
    const goTemplate = appSet.spec.goTemplate === true;
    const input = { input: { parameters: spec.input?.parameters ?? {} } };
    const result: ParamSet[] = [];
    for (const answer of answers) {
      const params: ParamSet = goTemplate ? { ...answer } : flattenParams(answer);
      params.generator = structuredClone(input);
      await addTemplatedValues(params, spec.values, appSet, context);
      result.push(params);
    }
    return result;
  }

  requeueAfterSeconds(spec: PluginGenerator): number | undefined {
    return spec.requeueAfterSeconds ?? PLUGIN_REQUEUE_SECONDS;
  }

  private async service(spec: PluginGenerator, context: GeneratorContext): Promise<PluginService> {
    const name = spec.configMapRef?.name;
    if (!name) throw new GeneratorError('must name the plugin ConfigMap', 'configMapRef.name');
    const where = `ConfigMap ${context.settings.namespace}/${name}`;
    const fail = (message: string): never => {
      throw new GeneratorError(`error getting plugin from generator: ${message}`, 'configMapRef.name');
    };
    const data = (await context.settings.configMapData(name)) ?? fail(`error fetching ConfigMap: configmaps "${name}" not found`);
    if (!data.baseUrl) fail(`baseUrl not found in ${where}`);
    if (!data.token) fail(`token not found in ${where}`);
    let url: URL;
    try {
      url = new URL('api/v1/getparams.execute', data.baseUrl.endsWith('/') ? data.baseUrl : `${data.baseUrl}/`);
    } catch {
      return fail(`baseUrl in ${where} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`baseUrl in ${where} must be an http or https URL`);
    if (url.username || url.password) fail(`baseUrl in ${where} must not carry credentials: the token is sent as a bearer token`);
    let timeoutSeconds = DEFAULT_REQUEST_TIMEOUT_SECONDS;
    if (data.requestTimeout !== undefined) {
      if (!/^[+-]?\d+$/.test(data.requestTimeout.trim()))
        fail(`requestTimeout in ${where} is not a whole number of seconds: ${JSON.stringify(data.requestTimeout)}`);
      const seconds = Number(data.requestTimeout);
      if (seconds > 0) timeoutSeconds = seconds;
    }
    return { url, token: await this.token(data.token, where, context), timeoutMs: timeoutSeconds * 1000 };
  }

  /** `$key` reads argocd-secret, `$secret:key` another Secret of Argo CD's namespace; the value is trimmed, as Argo CD does. */
  private async token(reference: string, where: string, context: GeneratorContext): Promise<string> {
    if (!reference.startsWith('$')) {
      throw new GeneratorError(
        `error getting plugin from generator: token in ${where} must reference a Secret key as $key or $secret:key`,
        'configMapRef.name',
      );
    }
    const separator = reference.indexOf(':');
    const [secret, key] = separator < 0 ? [ARGOCD_SECRET, reference.slice(1)] : [reference.slice(1, separator), reference.slice(separator + 1)];
    try {
      return (await context.secrets.getSecretValue(context.settings.namespace, secret, key)).trim();
    } catch (error) {
      throw new GeneratorError(`error getting plugin from generator: error fetching Secret token: ${(error as Error).message}`, 'configMapRef.name');
    }
  }

  private async ask(service: PluginService, appSet: ApplicationSet, spec: PluginGenerator): Promise<Record<string, unknown>[]> {
    const endpoint = `${service.url.origin}${service.url.pathname}`;
    const fail = (message: string): never => {
      throw new GeneratorError(`error listing params: plugin ${endpoint} for ApplicationSet ${appSet.metadata.name}: ${message}`);
    };
    const parameters = spec.input?.parameters;
    const body = JSON.stringify({ applicationSetName: appSet.metadata.name, input: parameters && Object.keys(parameters).length ? { parameters } : {} });
    let text: string;
    let status: number;
    try {
      const response = await fetch(service.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${service.token}`, 'user-agent': 'regatta-applicationset' },
        body,
        signal: AbortSignal.timeout(service.timeoutMs),
      });
      status = response.status;
      text = await readBodyWithin(response, MAX_PLUGIN_ANSWER_BYTES);
    } catch (error) {
      const problem = error as Error & { cause?: { code?: string } };
      if (problem.name === 'TimeoutError' || problem.name === 'AbortError') return fail(`no answer within ${service.timeoutMs / 1000} s`);
      return fail(problem.cause?.code ?? problem.message);
    }
    if (status < 200 || status >= 300) fail(`API error with status code ${status}${errorMessageOf(text)}`);
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      return fail(text.trim() === '' ? 'the answer is empty' : 'the answer is not JSON');
    }
    const list = isPlainObject(answer) && isPlainObject(answer.output) ? answer.output.parameters : undefined;
    if (!Array.isArray(list)) return fail('the answer has no output.parameters list');
    const misshapen = list.findIndex((entry) => !isPlainObject(entry));
    if (misshapen >= 0) fail(`output.parameters[${misshapen}] is not an object`);
    return list as Record<string, unknown>[];
  }
}

/** The `message` or `error` of a JSON error answer, as Argo CD's client reports it; other bodies are not echoed (they may be anything). */
function errorMessageOf(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    const message = isPlainObject(body)
      ? typeof body.message === 'string'
        ? body.message
        : typeof body.error === 'string'
          ? body.error
          : undefined
      : undefined;
    return message ? `: ${message.slice(0, 500)}` : '';
  } catch {
    return '';
  }
}
