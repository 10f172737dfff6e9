/** Kubernetes label selectors in their string form (`a=b,c in (x,y),!d`), as the API server parses them from query strings. */
type Requirement = (labels: Record<string, string>) => boolean;

export class SelectorError extends Error {}

export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  if (current.trim()) parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Equality-based (`a=b`, `a==b`, `a!=b`) and set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`) requirements. */
export function parseLabelSelector(text: string | null | undefined): Requirement {
  if (!text) return () => true;
  const requirements: Requirement[] = splitTopLevel(text).map((part) => {
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const [, key, op, list] = m;
      const values = list.split(',').map((v) => v.trim());
      return op === 'in' ? (l) => key in l && values.includes(l[key]) : (l) => !(key in l) || !values.includes(l[key]);
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(part);
    if (m) {
      const [, key, op, value] = m;
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    m = /^(!?)([\w./-]+)$/.exec(part);
    if (m) return m[1] ? (l) => !(m![2] in l) : (l) => m![2] in l;
    throw new SelectorError(`unable to parse requirement: ${JSON.stringify(part)}`);
  });
  return (labels) => requirements.every((r) => r(labels));
}
