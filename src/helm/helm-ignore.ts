import { posix } from 'node:path';
import { filepathMatch } from '../projects/glob.js';
import { HelmError } from './helm-error.js';

interface IgnoreRule {
  negate: boolean;
  mustDir: boolean;
  matches: (path: string) => boolean;
}

/** Helm's default rule, added to every chart's: hidden files in templates/. */
const DEFAULT_RULES = ['templates/.?*'];

function parseRule(line: string): IgnoreRule | undefined {
  let rule = line.trim();
  if (!rule || rule.startsWith('#')) return undefined;
  if (rule.includes('**')) throw new HelmError('.helmignore: double-star (**) syntax is not supported');
  const negate = rule.startsWith('!');
  if (negate) rule = rule.slice(1);
  const mustDir = rule.endsWith('/');
  if (mustDir) rule = rule.slice(0, -1);
  if (rule.startsWith('/')) {
    const rooted = rule.slice(1);
    return { negate, mustDir, matches: (path) => filepathMatch(rooted, path) };
  }
  // Without a slash a rule is matched against the name alone.
  if (rule.includes('/')) return { negate, mustDir, matches: (path) => filepathMatch(rule, path) };
  return { negate, mustDir, matches: (path) => filepathMatch(rule, posix.basename(path)) };
}

/** Helm's ignore.Rules.Ignore for one path. */
function ignored(rules: IgnoreRule[], path: string, isDir: boolean): boolean {
  for (const rule of rules) {
    if (rule.negate) {
      if (rule.mustDir && !isDir) return true;
      if (!rule.matches(path)) return true;
      continue;
    }
    if (rule.mustDir && !isDir) continue;
    if (rule.matches(path)) return true;
  }
  return false;
}

/**
 * A chart directory's files without those its .helmignore (and Helm's default rule) leaves out,
 * as Helm's directory loader walks it: a directory left out takes everything under it along.
 */
export function withoutIgnoredFiles(files: ReadonlyMap<string, Buffer>): Map<string, Buffer> {
  const text = files.get('.helmignore')?.toString('utf8') ?? '';
  const rules = [...text.split('\n'), ...DEFAULT_RULES].map(parseRule).filter((r): r is IgnoreRule => r !== undefined);
  const kept = new Map<string, Buffer>();
  for (const [path, data] of files) {
    const parts = path.split('/');
    const dirs = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    if (dirs.some((dir) => ignored(rules, dir, true)) || ignored(rules, path, false)) continue;
    kept.set(path, data);
  }
  return kept;
}
