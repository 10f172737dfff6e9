import { compareSemver, parseSemver, semverCompare } from '../templating/gotemplate/index.js';
import { HelmError } from './helm-error.js';

function isVersion(text: string): boolean {
  try {
    parseSemver(text);
    return true;
  } catch {
    return false;
  }
}

function isConstraint(text: string): boolean {
  try {
    semverCompare(text, '0.0.0');
    return true;
  } catch {
    return false;
  }
}

/** A chart's targetRevision names one version as it is written (`1.2.3`, `v1.2`): Argo CD pulls it without listing versions. */
export const isExactChartVersion = (revision: string) => isVersion(revision);

/**
 * The chart version a targetRevision selects from the versions a repository lists, as Argo CD's
 * repo-server picks it: an exact version as written; else the highest version satisfying the
 * semver constraint (versions that are not semver are skipped); else a version listed with
 * exactly that text.
 */
export function resolveChartVersion(revision: string, versions: readonly string[]): string {
  if (isVersion(revision)) return revision;
  if (!isConstraint(revision)) {
    if (versions.includes(revision)) return revision;
    throw new HelmError(`invalid revision: failed to determine semver constraint: improper constraint: ${revision}`);
  }
  let best: string | undefined;
  for (const version of versions) {
    if (!isVersion(version) || !semverCompare(revision, version)) continue;
    if (best === undefined || compareSemver(parseSemver(version), parseSemver(best)) > 0) best = version;
  }
  if (best === undefined) throw new HelmError(`invalid revision: version matching constraint not found in ${versions.length} tags`);
  return best;
}
