import { isPlainObject, ownEntry, setEntry } from '../lib/json-values.js';
import { semverCompare } from '../templating/gotemplate/index.js';
import type { Chart, ChartDependency, Values } from './chart.js';

const GLOBAL = 'global';

function copy<T>(value: T): T {
  return structuredClone(value);
}

function table(value: unknown): Values | undefined {
  return isPlainObject(value) ? value : undefined;
}

/**
 * Merges `src` under `dst` (dst wins), as Helm's coalesceTablesFullKey: a null in dst removes the
 * key when coalescing (user values deleting a default), stays when merging.
 */
function coalesceTables(dst: Values, src: Values, merge: boolean): Values {
  for (const [key, value] of Object.entries(dst)) if (value === null) setEntry(src, key, null);
  for (const [key, value] of Object.entries(src)) {
    const present = Object.hasOwn(dst, key);
    const current = ownEntry(dst, key);
    if (present && !merge && current === null) delete dst[key];
    else if (!present) setEntry(dst, key, value);
    else if (table(value) && table(current)) coalesceTables(current as Values, value as Values, merge);
  }
  return dst;
}

/** Helm's CoalesceTables: dst over src, nulls in dst removing keys. */
export function coalesceValueTables(dst: Values, src: Values): Values {
  return coalesceTables(dst, src, false);
}

function coalesceChartValues(chart: Chart, values: Values, merge: boolean): void {
  const subchartNames = new Set(chart.subcharts.map((c) => c.name));
  for (const [key, value] of Object.entries(copy(chart.values))) {
    if (!Object.hasOwn(values, key)) {
      setEntry(values, key, value);
      continue;
    }
    const given = values[key];
    if (given === null && !merge) delete values[key];
    else if (table(given) && table(value)) coalesceTables(given as Values, value as Values, merge || subchartNames.has(key));
  }
}

/** The parent's globals merged into a subchart's, top-down: the parent's win. */
function coalesceGlobals(dest: Values, src: Values): void {
  const destGlobals = table(dest[GLOBAL] ?? {});
  const srcGlobals = table(src[GLOBAL] ?? {});
  if (!destGlobals || !srcGlobals) return;
  for (const [key, value] of Object.entries(srcGlobals)) {
    const existing = ownEntry(destGlobals, key);
    if (table(value)) {
      const copied = copy(value as Values);
      if (existing === undefined) setEntry(destGlobals, key, copied);
      else if (table(existing)) setEntry(destGlobals, key, coalesceTables(copied, existing as Values, true));
    } else if (!table(existing)) setEntry(destGlobals, key, value);
  }
  dest[GLOBAL] = destGlobals;
}

function coalesceWith(chart: Chart, values: Values, merge: boolean): Values {
  coalesceChartValues(chart, values, merge);
  for (const subchart of chart.subcharts) {
    const current = ownEntry(values, subchart.name);
    if (current === undefined || current === null) setEntry(values, subchart.name, {});
    else if (!table(current)) throw new Error(`type mismatch on ${subchart.name}: %!t(${typeof current}=${String(current)})`);
    const subValues = values[subchart.name] as Values;
    coalesceGlobals(subValues, values);
    setEntry(values, subchart.name, coalesceWith(subchart, subValues, merge));
  }
  return values;
}

/** Helm's CoalesceValues: the chart's defaults (and its subcharts', under their names) beneath `values`. */
export function coalesceValues(chart: Chart, values: Values): Values {
  return coalesceWith(chart, copy(values), false);
}

/** Helm's MergeValues: as coalesceValues, but nulls are kept. */
function mergeValues(chart: Chart, values: Values): Values {
  return coalesceWith(chart, copy(values), true);
}

/** The value at a dotted path (Helm's Values.PathValue): undefined when a step is missing or not a table. */
function pathValue(values: Values, path: string): unknown {
  const parts = path.split('.');
  let current: unknown = values;
  for (const part of parts) {
    if (!table(current) || !Object.hasOwn(current as Values, part)) return undefined;
    current = (current as Values)[part];
  }
  return current;
}

/** Helm's Values.Table: the table at a dotted path, or undefined. */
function tableAt(values: Values, path: string): Values | undefined {
  const value = path === '' ? values : pathValue(values, path);
  return table(value);
}

function applyTags(dependencies: ChartDependency[], values: Values): void {
  const tags = table(values.tags);
  if (!tags) return;
  for (const dependency of dependencies) {
    let hasTrue = false;
    let hasFalse = false;
    for (const tag of dependency.tags ?? []) {
      if (tags[tag] === true) hasTrue = true;
      else if (tags[tag] === false) hasFalse = true;
    }
    dependency.enabled = hasTrue || !hasFalse;
  }
}

function applyConditions(dependencies: ChartDependency[], values: Values, prefix: string): void {
  for (const dependency of dependencies) {
    for (const condition of (dependency.condition ?? '').trim().split(',')) {
      if (!condition) continue;
      const value = pathValue(values, prefix + condition);
      if (typeof value === 'boolean') {
        dependency.enabled = value;
        break;
      }
    }
  }
}

/**
 * Helm's ProcessDependencies for a chart about to be rendered with `values`: aliased subcharts
 * renamed, those a tag or condition turns off removed (at every level), then each chart that
 * declares dependencies gets their import-values. Works on (and returns) a copy of the chart.
 */
export function processDependencies(chart: Chart, values: Values): Chart {
  const copied = copyChart(chart);
  enableDependencies(copied, values, '');
  importValues(copied);
  return copied;
}

function copyChart(chart: Chart): Chart {
  return { ...chart, dependencies: chart.dependencies.map((d) => ({ ...d })), subcharts: chart.subcharts.map(copyChart) };
}

/** Helm's IsCompatibleRange between a dependency's version range and a subchart's version; no range takes any version. */
function fits(dependency: ChartDependency, chart: Chart): boolean {
  if (dependency.name !== chart.name) return false;
  if (!dependency.version) return true;
  try {
    return semverCompare(dependency.version, String(chart.metadata.version));
  } catch {
    return false;
  }
}

function enableDependencies(chart: Chart, values: Values, prefix: string): void {
  if (chart.dependencies.length === 0) return;
  // Subcharts in charts/ that no dependency takes (by name and version range) are kept as they are, always on.
  const subcharts = chart.subcharts.filter((c) => !chart.dependencies.some((d) => fits(d, c)));
  for (const dependency of chart.dependencies) {
    const found = chart.subcharts.find((c) => fits(dependency, c));
    if (found) subcharts.push(dependency.alias ? { ...found, name: dependency.alias, metadata: { ...found.metadata, name: dependency.alias } } : found);
    if (dependency.alias) dependency.name = dependency.alias;
  }
  chart.subcharts = subcharts;
  for (const dependency of chart.dependencies) dependency.enabled = true;
  const coalesced = coalesceValues(chart, values);
  applyTags(chart.dependencies, coalesced);
  applyConditions(chart.dependencies, coalesced, prefix);
  const disabled = new Set(chart.dependencies.filter((d) => !d.enabled).map((d) => d.name));
  chart.subcharts = chart.subcharts.filter((c) => !disabled.has(c.name));
  chart.dependencies = chart.dependencies.filter((d) => !disabled.has(d.name));
  for (const subchart of chart.subcharts) enableDependencies(subchart, coalesced, `${prefix}${subchart.name}.`);
}

/** `a.b.c` and a table → {a: {b: {c: table}}}. */
function nestUnder(path: string, value: Values): Values {
  return path
    .split('.')
    .reverse()
    .reduce<Values>((inner, key) => ({ [key]: inner }), value);
}

function importValues(chart: Chart): void {
  for (const subchart of chart.subcharts) importValues(subchart);
  if (chart.dependencies.length === 0) return;
  const merged = mergeValues(chart, {});
  let imported: Values = {};
  for (const dependency of chart.dependencies) {
    for (const entry of dependency['import-values'] ?? []) {
      let child: string;
      let parent: string;
      if (typeof entry === 'string') {
        child = `exports.${entry}`;
        parent = '.';
      } else if (isPlainObject(entry) && typeof entry.child === 'string' && typeof entry.parent === 'string') {
        child = entry.child;
        parent = entry.parent;
      } else continue;
      const found = tableAt(merged, `${dependency.name}.${child}`);
      if (!found) continue;
      imported = coalesceTables(imported, copy(parent === '.' ? found : nestUnder(parent, found)), true);
    }
  }
  // Imported values rank below the parent's own: the parent's are merged over them.
  chart.values = coalesceTables(copy(merged), imported, true);
}
