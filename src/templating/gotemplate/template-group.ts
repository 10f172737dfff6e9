import { GoTemplateError } from './error-context.js';
import { compileTemplateSet, templateRunner, type CompiledTemplate, type ExecLimits, type MissingKeyMode, type TemplateSource } from './exec.js';
import type { FuncMap } from './func-map.js';
import { ParseError, parseTemplate, type TemplateSet } from './parser.js';
import { activeBudget, RenderBudget } from './render-budget.js';

export interface TemplateFile {
  name: string;
  text: string;
}

export interface TemplateGroupOptions {
  missingKey: MissingKeyMode;
  limits: ExecLimits;
  /** Templates run inside one another (Helm's include and tpl), counted across the group and the groups parsed into it. */
  maxNesting: number;
}

/** The function map of a group, made once the group exists: Helm's include and tpl run templates of the group they are called from. */
export type GroupFunctions = (group: TemplateGroup) => FuncMap;

/**
 * Several texts parsed into one set of templates, as Helm parses a chart: each text is a template
 * named by its file, and the {{define}}s of every file are visible to all. Texts are parsed in the
 * order given; a later definition replaces an earlier one, an empty one replaces nothing (Go's rule).
 */
export class TemplateGroup {
  private readonly compiled: CompiledTemplate;
  private readonly nesting: { depth: number };

  private constructor(
    files: TemplateFile[],
    private readonly functions: GroupFunctions,
    private readonly options: TemplateGroupOptions,
    parent?: TemplateGroup,
  ) {
    this.nesting = parent?.nesting ?? { depth: 0 };
    const funcs = functions(this);
    const isFunction = (name: string) => Object.hasOwn(funcs, name);
    const set: TemplateSet = new Map();
    const sources = new Map<string, TemplateSource>();
    for (const file of files) {
      let parsed: TemplateSet;
      try {
        parsed = parseTemplate(file.name, file.text, isFunction);
      } catch (error) {
        if (error instanceof ParseError) throw new GoTemplateError(error.message);
        if (error instanceof RangeError) throw new GoTemplateError(`template: ${file.name}: expression nests too deeply`);
        throw error;
      }
      for (const [name, list] of parsed) {
        // Go's associate: a definition with nothing but spaces does not replace one with content.
        if (set.has(name) && list.every((node) => node.type === 'text' && node.text.trim() === '')) continue;
        set.set(name, list);
        sources.set(name, { file: file.name, text: file.text });
      }
    }
    this.compiled = compileTemplateSet(set, funcs, sources, parent?.compiled);
  }

  /** Parses `files` into a new group; throws GoTemplateError (Go's parse error text) on the first that does not parse. */
  static parse(files: TemplateFile[], functions: GroupFunctions, options: TemplateGroupOptions): TemplateGroup {
    return new TemplateGroup(files, functions, options);
  }

  /** A clone of this group with `file` parsed into it (Helm's tpl): its definitions are seen by it alone. */
  parseInto(file: TemplateFile): TemplateGroup {
    return new TemplateGroup([file], this.functions, this.options, this);
  }

  /** Runs the template `name` on `data`, under the running render's budget (or `budget`). */
  execute(name: string, data: unknown, budget?: RenderBudget): string {
    const { maxNesting } = this.options;
    if (this.nesting.depth >= maxNesting) throw new GoTemplateError(`template: ${name}: exceeded maximum nesting of renders (${maxNesting})`);
    this.nesting.depth++;
    try {
      const run = templateRunner(name, '', this.compiled, this.options.missingKey, this.options.limits);
      return run(data, budget ?? activeBudget() ?? new RenderBudget());
    } catch (error) {
      if (error instanceof RangeError) throw new GoTemplateError(`template: ${name}: execution stopped: ${error.message}`);
      throw error;
    } finally {
      this.nesting.depth--;
    }
  }
}
