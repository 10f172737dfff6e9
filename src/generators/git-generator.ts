import path from 'node:path';
import type { ApplicationSet, GitGenerator } from '../api/application-set.js';
import { parseKubeYaml } from '../api/kube-yaml.js';
import { GoRegExp } from '../templating/go-regexp.js';
import { sanitizeName } from '../templating/gotemplate/index.js';
import { flattenParams } from '../templating/flatten.js';
import { isPlainObject, setEntry } from '../lib/json-values.js';
import { DEFAULT_REQUEUE_AFTER_SECONDS, GeneratorError, type Generator, type GeneratorContext, type ParamSet } from './generator.js';
import { addTemplatedValues } from './generator-values.js';

/** Go's path.Match for directory entries: `*` and `?` stay within one path segment. Matched by RE2: linear in the path. */
function segmentGlob(pattern: string): GoRegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) source += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) throw new GeneratorError(`syntax error in pattern ${JSON.stringify(pattern)}`);
      source += `[${pattern
        .slice(i + 1, close)
        .replace(/^\^/, '^')
        .replace(/^!/, '^')}]`;
      i = close;
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return GoRegExp.compile(`^${source}$`);
}

/** Directory params as Argo CD names them: flat `path`, `path.basename`, `path[N]` or a nested `path` object. */
function pathParams(params: ParamSet, dir: string, file: string | undefined, prefix: string | undefined, goTemplate: boolean): void {
  const basename = path.posix.basename(dir);
  if (goTemplate) {
    const value: Record<string, unknown> = { path: dir, basename };
    if (file !== undefined) value.filename = path.posix.basename(file);
    value.basenameNormalized = sanitizeName(basename);
    if (file !== undefined) value.filenameNormalized = sanitizeName(path.posix.basename(file));
    value.segments = dir.split('/');
    if (prefix) setEntry(params, prefix, { path: value });
    else params.path = value;
    return;
  }
  const name = prefix ? `${prefix}.path` : 'path';
  params[name] = dir;
  params[`${name}.basename`] = basename;
  if (file !== undefined) params[`${name}.filename`] = path.posix.basename(file);
  params[`${name}.basenameNormalized`] = sanitizeName(basename);
  if (file !== undefined) params[`${name}.filenameNormalized`] = sanitizeName(path.posix.basename(file));
  dir.split('/').forEach((segment, i) => {
    if (segment) params[`${name}[${i}]`] = segment;
  });
}

/**
 * The project Argo CD reads a git generator's repository for: the template's project, or none
 * when it is templated (its value depends on what is being read), so only unscoped Secrets apply.
 */
function readingProject(appSet: ApplicationSet): string {
  const project = appSet.spec.template?.spec?.project ?? '';
  return project.includes('{{') ? '' : project;
}

/**
 * `git`: one parameter set per matching directory, or per object in each matching YAML/JSON
 * file, of a repository at a revision. Any failure to read the repository fails the generation
 * with the repository, revision and path named; it never yields an empty list.
 */
export class GitGeneratorImpl implements Generator<GitGenerator> {
  readonly kind = 'git';

  async generateParams(spec: GitGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    if (!spec.repoURL) throw new GeneratorError('repoURL is required', 'repoURL');
    if (spec.directories?.length) return this.directories(spec, appSet, context);
    if (spec.files?.length) return this.files(spec, appSet, context);
    throw new GeneratorError('ApplicationSet is empty: the git generator needs directories or files', 'directories');
  }

  requeueAfterSeconds(spec: GitGenerator): number | undefined {
    return spec.requeueAfterSeconds ?? DEFAULT_REQUEUE_AFTER_SECONDS;
  }

  private async directories(spec: GitGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    let all: string[];
    try {
      all = await context.repositories.getDirectories(spec.repoURL, spec.revision, readingProject(appSet));
    } catch (error) {
      throw new GeneratorError(
        `error getting directories from repo ${spec.repoURL} at revision ${JSON.stringify(spec.revision)}: ${(error as Error).message}`,
        'repoURL',
      );
    }
    const items = (spec.directories ?? []).map((item, i) => {
      try {
        return { matches: segmentGlob(item.path), exclude: item.exclude === true };
      } catch (error) {
        throw new GeneratorError((error as Error).message, `directories[${i}].path`);
      }
    });
    const goTemplate = appSet.spec.goTemplate === true;
    const result: ParamSet[] = [];
    for (const dir of all.filter((d) => items.some((i) => !i.exclude && i.matches.test(d)) && !items.some((i) => i.exclude && i.matches.test(d)))) {
      const params: ParamSet = {};
      pathParams(params, dir, undefined, spec.pathParamPrefix, goTemplate);
      await addTemplatedValues(params, spec.values, appSet, context);
      result.push(params);
    }
    return result;
  }

  private async files(spec: GitGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    const found = new Map<string, Buffer>();
    const read = async (pattern: string, i: number) => {
      try {
        return await context.repositories.getFiles(spec.repoURL, spec.revision, pattern, readingProject(appSet));
      } catch (error) {
        throw new GeneratorError(
          `error retrieving Git files from ${spec.repoURL} at revision ${JSON.stringify(spec.revision)} for path ${JSON.stringify(pattern)}: ${(error as Error).message}`,
          `files[${i}].path`,
        );
      }
    };
    const items = spec.files ?? [];
    for (const [i, item] of items.entries()) if (!item.exclude) for (const [file, content] of await read(item.path, i)) found.set(file, content);
    for (const [i, item] of items.entries()) if (item.exclude) for (const file of (await read(item.path, i)).keys()) found.delete(file);

    const goTemplate = appSet.spec.goTemplate === true;
    const result: ParamSet[] = [];
    for (const file of [...found.keys()].sort()) {
      let objects: Record<string, unknown>[];
      try {
        const parsed = parseKubeYaml(found.get(file)!.toString('utf8'));
        if (parsed == null) objects = [{}];
        else if (isPlainObject(parsed)) objects = [parsed];
        else if (Array.isArray(parsed) && parsed.every(isPlainObject)) objects = parsed as Record<string, unknown>[];
        else throw new Error('the file must hold an object or a list of objects');
      } catch (error) {
        throw new GeneratorError(
          `unable to process file '${file}' from repository '${spec.repoURL}' at revision ${JSON.stringify(spec.revision)}: unable to parse file: ${(error as Error).message}`,
          'files',
        );
      }
      for (const object of objects) {
        const params: ParamSet = goTemplate ? { ...object } : flattenParams(object);
        pathParams(params, path.posix.dirname(file), file, spec.pathParamPrefix, goTemplate);
        await addTemplatedValues(params, spec.values, appSet, context);
        result.push(params);
      }
    }
    return result;
  }
}
