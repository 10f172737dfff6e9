import { isPlainObject } from '../../lib/json-values.js';

/**
 * Semantic versions and constraints as sprig's semver/semverCompare read them (Masterminds/semver
 * v3): a leading "v" is allowed, missing minor/patch are zero, pre-releases sort before releases
 * and only match constraints that name a pre-release of the same major.minor.patch.
 */
export interface SemVer {
  Major: bigint;
  Minor: bigint;
  Patch: bigint;
  Prerelease: string;
  Metadata: string;
  Original: string;
}

/** What sprig's semver returns: a *semver.Version, here the object parseSemver makes. */
export function isSemver(value: unknown): value is SemVer {
  return isPlainObject(value) && typeof value.Major === 'bigint' && typeof value.Original === 'string' && 'Prerelease' in value;
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export function parseSemver(text: string): SemVer {
  const match = VERSION.exec(text.trim());
  if (!match) throw new Error('invalid semantic version');
  return {
    Major: BigInt(match[1]),
    Minor: BigInt(match[2] ?? 0),
    Patch: BigInt(match[3] ?? 0),
    Prerelease: match[4] ?? '',
    Metadata: match[5] ?? '',
    Original: text,
  };
}

export function semverString(v: SemVer): string {
  return `${v.Major}.${v.Minor}.${v.Patch}${v.Prerelease ? `-${v.Prerelease}` : ''}${v.Metadata ? `+${v.Metadata}` : ''}`;
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (!a) return 1;
  if (!b) return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    const na = /^\d+$/.test(pa[i]);
    const nb = /^\d+$/.test(pb[i]);
    if (na && nb) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d) return Math.sign(d);
    } else if (na !== nb) return na ? -1 : 1;
    else if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

export function compareSemver(a: SemVer, b: SemVer): number {
  for (const key of ['Major', 'Minor', 'Patch'] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  return comparePrerelease(a.Prerelease, b.Prerelease);
}

interface Bound {
  op: '=' | '!=' | '>' | '<' | '>=' | '<=';
  version: SemVer;
}

const WILDCARD = /^[xX*]$/;

/** One constraint term (e.g. "~1.2", "^2", ">= 1.0.0", "1.x") as a list of bounds that must all hold. */
function expandTerm(term: string): Bound[] {
  const match = /^(=|!=|>=|<=|>|<|~>|~|\^)?\s*v?([0-9xX*]+)(?:\.([0-9xX*]+))?(?:\.([0-9xX*]+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(term.trim());
  if (!match) throw new Error(`improper constraint: ${term}`);
  const [, rawOp = '', majorText, minorText, patchText, pre = ''] = match;
  const parts = [majorText, minorText, patchText];
  const wild = parts.findIndex((p) => p === undefined || WILDCARD.test(p));
  const num = (i: number) => (parts[i] === undefined || WILDCARD.test(parts[i]!) ? 0n : BigInt(parts[i]!));
  const v = (major: bigint, minor: bigint, patch: bigint, prerelease = ''): SemVer => ({
    Major: major,
    Minor: minor,
    Patch: patch,
    Prerelease: prerelease,
    Metadata: '',
    Original: term,
  });
  const base = v(num(0), num(1), num(2), pre.slice(1));
  const op = rawOp === '~>' ? '~' : rawOp;

  if (op === '~') {
    const upper = minorText === undefined || WILDCARD.test(minorText) ? v(base.Major + 1n, 0n, 0n) : v(base.Major, base.Minor + 1n, 0n);
    return [
      { op: '>=', version: base },
      { op: '<', version: upper },
    ];
  }
  if (op === '^') {
    const upper =
      base.Major > 0n || wild === 0 || wild === 1
        ? v(base.Major + 1n, 0n, 0n)
        : base.Minor > 0n || wild === 2
          ? v(0n, base.Minor + 1n, 0n)
          : v(0n, 0n, base.Patch + 1n);
    return [
      { op: '>=', version: base },
      { op: '<', version: upper },
    ];
  }
  if (wild >= 0 && wild < 3) {
    const lower = base;
    const upper = wild === 0 ? undefined : wild === 1 ? v(base.Major + 1n, 0n, 0n) : v(base.Major, base.Minor + 1n, 0n);
    switch (op) {
      case '':
      case '=':
        return upper
          ? [
              { op: '>=', version: lower },
              { op: '<', version: upper },
            ]
          : [];
      case '!=':
        throw new Error(`improper constraint: ${term}`);
      case '>':
        return upper ? [{ op: '>=', version: upper }] : [{ op: '<', version: v(0n, 0n, 0n) }];
      case '<=':
        return upper ? [{ op: '<', version: upper }] : [];
      default:
        return [{ op: op as Bound['op'], version: lower }];
    }
  }
  return [{ op: (op || '=') as Bound['op'], version: base }];
}

function satisfies(version: SemVer, bound: Bound): boolean {
  const c = compareSemver(version, bound.version);
  switch (bound.op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '>':
      return c > 0;
    case '<':
      return c < 0;
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
  }
}

/** sprig's semverCompare: `||` separates alternatives, commas or spaces separate required terms. */
export function semverCompare(constraint: string, versionText: string): boolean {
  const version = parseSemver(versionText);
  return constraint.split('||').some((alternative) => {
    const text = alternative.trim().replace(/(>=|<=|!=|~>|[=<>~^])\s+/g, '$1');
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
    const terms = hyphen ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`] : text.split(/[\s,]+/).filter(Boolean);
    const bounds = terms.flatMap(expandTerm);
    // A pre-release only satisfies terms that themselves name a pre-release of the same version.
    if (
      version.Prerelease &&
      !bounds.some((b) => b.version.Prerelease && b.version.Major === version.Major && b.version.Minor === version.Minor && b.version.Patch === version.Patch)
    ) {
      return false;
    }
    return bounds.every((b) => satisfies(version, b));
  });
}

const versionValues = new WeakSet<SemVer>();

/**
 * The Inc and Set methods return a semver.Version, not a pointer: a template cannot call the
 * pointer methods (Original, the comparisons) on it, nor pass it where a *semver.Version goes.
 */
export const isVersionValue = (v: SemVer) => versionValues.has(v);

function withOriginalPrefix(previous: SemVer, next: Omit<SemVer, 'Original'>): SemVer {
  const version = { ...next, Original: '' };
  const result = { ...version, Original: `${previous.Original.startsWith('v') ? 'v' : ''}${semverString(version)}` };
  versionValues.add(result);
  return result;
}

/** semver's validatePrerelease / validateMetadata: dot-separated [0-9A-Za-z-] identifiers. */
function checkIdentifiers(text: string, numericWithoutLeadingZero: boolean, error: string): void {
  for (const part of text.split('.')) {
    if (!/^[0-9A-Za-z-]+$/.test(part)) throw new Error(error);
    if (numericWithoutLeadingZero && /^0\d+$/.test(part)) throw new Error('version segment starts with 0');
  }
}

/** The *semver.Version methods a template can call on what sprig's semver returns, with their arities. */
export const SEMVER_METHODS: Record<string, { arity: number; pointer?: true; call: (v: SemVer, ...args: (SemVer | string)[]) => unknown }> = {
  Major: { arity: 0, call: (v) => v.Major },
  Minor: { arity: 0, call: (v) => v.Minor },
  Patch: { arity: 0, call: (v) => v.Patch },
  Prerelease: { arity: 0, call: (v) => v.Prerelease },
  Metadata: { arity: 0, call: (v) => v.Metadata },
  Original: { arity: 0, pointer: true, call: (v) => v.Original },
  String: { arity: 0, call: (v) => semverString(v) },
  // IncPatch of a pre-release drops the pre-release and keeps the patch, as semver's does.
  IncPatch: {
    arity: 0,
    call: (v) => withOriginalPrefix(v, { Major: v.Major, Minor: v.Minor, Patch: v.Prerelease ? v.Patch : v.Patch + 1n, Prerelease: '', Metadata: '' }),
  },
  IncMinor: { arity: 0, call: (v) => withOriginalPrefix(v, { Major: v.Major, Minor: v.Minor + 1n, Patch: 0n, Prerelease: '', Metadata: '' }) },
  IncMajor: { arity: 0, call: (v) => withOriginalPrefix(v, { Major: v.Major + 1n, Minor: 0n, Patch: 0n, Prerelease: '', Metadata: '' }) },
  SetPrerelease: {
    arity: 1,
    call: (v, pre) => {
      if (pre) checkIdentifiers(pre as string, true, 'invalid prerelease string');
      return withOriginalPrefix(v, { ...v, Prerelease: pre as string });
    },
  },
  SetMetadata: {
    arity: 1,
    call: (v, meta) => {
      if (meta) checkIdentifiers(meta as string, false, 'invalid metadata string');
      return withOriginalPrefix(v, { ...v, Metadata: meta as string });
    },
  },
  LessThan: { arity: 1, pointer: true, call: (v, o) => compareSemver(v, o as SemVer) < 0 },
  LessThanEqual: { arity: 1, pointer: true, call: (v, o) => compareSemver(v, o as SemVer) <= 0 },
  GreaterThan: { arity: 1, pointer: true, call: (v, o) => compareSemver(v, o as SemVer) > 0 },
  GreaterThanEqual: { arity: 1, pointer: true, call: (v, o) => compareSemver(v, o as SemVer) >= 0 },
  Equal: { arity: 1, pointer: true, call: (v, o) => compareSemver(v, o as SemVer) === 0 },
  Compare: { arity: 1, pointer: true, call: (v, o) => BigInt(compareSemver(v, o as SemVer)) },
};

/** Whether a method's argument is a *semver.Version (the comparisons) or a string (the setters). */
export const semverMethodTakesVersion = (name: string) => !name.startsWith('Set');
