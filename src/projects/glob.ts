/**
 * The two glob dialects Argo CD matches AppProject rules with, compiled to one automaton and run
 * without backtracking, so a pattern or a value written by a tenant costs time linear in its size:
 *
 * - gobwas/glob (util/glob): `*` any run of non-separator characters, `**` any run at all, `?` one
 *   non-separator character, `[abc]` / `[!abc]` / `[a-z]` / `[!a-z]` one character (a class holds
 *   either a list or one range), `{a,b}` alternatives (an unclosed `{` ends at the end of the
 *   pattern), `\` escapes. Without separators `*` crosses everything.
 * - Go's path/filepath.Match (resource whitelists and blacklists): `*` any run without `/`, `?` one
 *   character but `/`, `[^a-z0-9_]` classes of several ranges, `\` escapes.
 *
 * A pattern that does not compile matches nothing, as Argo CD logs and moves on.
 */

type CharTest = (codePoint: number) => boolean;

type Node =
  { type: 'text'; codePoints: number[] } | { type: 'run'; test: CharTest } | { type: 'one'; test: CharTest } | { type: 'alternatives'; patterns: Node[][] };

type State = { kind: 'char'; test: CharTest; next: number } | { kind: 'split'; next: number[] } | { kind: 'match' };

/** A Thompson automaton: states reachable without input are followed at each step, never backtracked. */
class Automaton {
  private readonly states: State[] = [];
  readonly start: number;

  constructor(pattern: Node[]) {
    const accept = this.add({ kind: 'match' });
    this.start = this.sequence(pattern, accept);
  }

  private add(state: State): number {
    this.states.push(state);
    return this.states.length - 1;
  }

  /** Builds back to front: each node is compiled knowing the state that follows it. */
  private sequence(nodes: Node[], next: number): number {
    let start = next;
    for (let i = nodes.length - 1; i >= 0; i--) start = this.node(nodes[i], start);
    return start;
  }

  private node(node: Node, next: number): number {
    switch (node.type) {
      case 'text': {
        let start = next;
        for (let i = node.codePoints.length - 1; i >= 0; i--) {
          const expected = node.codePoints[i];
          start = this.add({ kind: 'char', test: (c) => c === expected, next: start });
        }
        return start;
      }
      case 'one':
        return this.add({ kind: 'char', test: node.test, next });
      case 'run': {
        const loop = this.add({ kind: 'split', next: [] });
        const step = this.add({ kind: 'char', test: node.test, next: loop });
        (this.states[loop] as { next: number[] }).next = [step, next];
        return loop;
      }
      case 'alternatives':
        return this.add({ kind: 'split', next: node.patterns.map((pattern) => this.sequence(pattern, next)) });
    }
  }

  /**
   * Adds the states `state` reaches without input to `into`, splits resolved: only states that
   * consume a character (or accept) are kept. `seen` marks what this step added already.
   */
  private close(state: number, into: number[], seen: Uint32Array, step: number, stack: number[]): void {
    stack.push(state);
    while (stack.length) {
      const current = stack.pop()!;
      if (seen[current] === step) continue;
      seen[current] = step;
      const s = this.states[current];
      if (s.kind === 'split') for (let i = s.next.length - 1; i >= 0; i--) stack.push(s.next[i]);
      else into.push(current);
    }
  }

  matches(text: string): boolean {
    const seen = new Uint32Array(this.states.length);
    const stack: number[] = [];
    let step = 1;
    let active: number[] = [];
    this.close(this.start, active, seen, step, stack);
    for (const character of text) {
      const codePoint = character.codePointAt(0)!;
      const next: number[] = [];
      step++;
      for (const index of active) {
        const state = this.states[index];
        if (state.kind === 'char' && state.test(codePoint)) this.close(state.next, next, seen, step, stack);
      }
      if (next.length === 0) return false;
      active = next;
    }
    return active.some((index) => this.states[index].kind === 'match');
  }
}

class PatternError extends Error {}

const codePointsOf = (text: string) => [...text].map((c) => c.codePointAt(0)!);
const outside =
  (separators: number[]): CharTest =>
  (c) =>
    !separators.includes(c);
const anyCharacter: CharTest = () => true;

/** Parses a gobwas/glob pattern (v0.2.3 lexer and parser rules). */
function parseGobwas(pattern: string, separators: number[]): Node[] {
  const input = codePointsOf(pattern);
  let position = 0;
  const peek = () => input[position];
  const root: Node[] = [];
  // The open `{` groups: the alternatives node and the pattern currently being filled.
  const groups: { node: Extract<Node, { type: 'alternatives' }>; parent: Node[] }[] = [];
  let current = root;

  const readText = (breakers: string): number[] => {
    const text: number[] = [];
    while (position < input.length) {
      const c = input[position];
      if (c === 0x5c) {
        position++;
        // A trailing backslash escapes nothing and is dropped.
        if (position < input.length) text.push(input[position++]);
        continue;
      }
      if (breakers.includes(String.fromCodePoint(c))) break;
      text.push(c);
      position++;
    }
    return text;
  };

  const readClass = (): Node => {
    let negated = false;
    if (peek() === 0x21) {
      negated = true;
      position++;
    }
    if (position >= input.length) throw new PatternError('unexpected end of input');
    let test: CharTest;
    if (input[position + 1] === 0x2d && position + 2 < input.length) {
      const [low, high] = [input[position], input[position + 2]];
      if (high < low) throw new PatternError('hi character should be greater than lo');
      position += 3;
      test = (c) => c >= low && c <= high;
    } else if (input[position + 1] === 0x2d) {
      throw new PatternError('unexpected end of input');
    } else {
      const chars = readText(']');
      if (!chars.length) throw new PatternError('could not parse range');
      test = (c) => chars.includes(c);
    }
    if (peek() !== 0x5d) throw new PatternError(position >= input.length ? 'unexpected end of input' : 'expected close range character');
    position++;
    return { type: 'one', test: negated ? (c) => !test(c) : test };
  };

  while (position < input.length) {
    const c = input[position];
    const inGroup = groups.length > 0;
    if (c === 0x7b) {
      position++;
      const first: Node[] = [];
      const node: Node = { type: 'alternatives', patterns: [first] };
      current.push(node);
      groups.push({ node, parent: current });
      current = first;
    } else if (c === 0x2c && inGroup) {
      position++;
      const next: Node[] = [];
      groups.at(-1)!.node.patterns.push(next);
      current = next;
    } else if (c === 0x7d && inGroup) {
      position++;
      current = groups.pop()!.parent;
    } else if (c === 0x5b) {
      position++;
      current.push(readClass());
    } else if (c === 0x3f) {
      position++;
      current.push({ type: 'one', test: outside(separators) });
    } else if (c === 0x2a) {
      position++;
      if (peek() === 0x2a) {
        position++;
        current.push({ type: 'run', test: anyCharacter });
      } else current.push({ type: 'run', test: outside(separators) });
    } else {
      const text = readText(inGroup ? '?*[{},' : '?*[{');
      if (text.length) current.push({ type: 'text', codePoints: text });
    }
  }
  return root;
}

/** Parses a Go path/filepath.Match pattern, `/` being the separator. */
function parseFilepath(pattern: string): Node[] {
  const input = codePointsOf(pattern);
  const slash = [0x2f];
  let position = 0;
  const nodes: Node[] = [];

  const escaped = (): number => {
    const c = input[position];
    if (c === undefined || c === 0x2d || c === 0x5d) throw new PatternError('syntax error in pattern');
    if (c === 0x5c) {
      position++;
      if (position >= input.length) throw new PatternError('syntax error in pattern');
    }
    const value = input[position++];
    if (position >= input.length) throw new PatternError('syntax error in pattern');
    return value;
  };

  while (position < input.length) {
    const c = input[position++];
    if (c === 0x2a) {
      while (input[position] === 0x2a) position++;
      nodes.push({ type: 'run', test: outside(slash) });
    } else if (c === 0x3f) nodes.push({ type: 'one', test: outside(slash) });
    else if (c === 0x5c) {
      if (position >= input.length) throw new PatternError('syntax error in pattern');
      nodes.push({ type: 'text', codePoints: [input[position++]] });
    } else if (c === 0x5b) {
      const negated = input[position] === 0x5e;
      if (negated) position++;
      const ranges: [number, number][] = [];
      for (;;) {
        if (input[position] === 0x5d && ranges.length) {
          position++;
          break;
        }
        const low = escaped();
        let high = low;
        if (input[position] === 0x2d) {
          position++;
          high = escaped();
        }
        ranges.push([low, high]);
      }
      const inClass: CharTest = (code) => ranges.some(([low, high]) => code >= low && code <= high);
      nodes.push({ type: 'one', test: negated ? (code) => !inClass(code) : inClass });
    } else nodes.push({ type: 'text', codePoints: [c] });
  }
  return nodes;
}

const CACHE_LIMIT = 10_000;
/** Compiled patterns, or why a pattern does not compile; bounded, as Argo CD bounds its cache. */
const compiled = new Map<string, Automaton | string>();

function cached(key: string, parse: () => Node[]): Automaton | string {
  let automaton = compiled.get(key);
  if (automaton === undefined) {
    try {
      automaton = new Automaton(parse());
    } catch (error) {
      if (!(error instanceof PatternError)) throw error;
      automaton = error.message;
    }
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, automaton);
  }
  return automaton;
}

const gobwas = (pattern: string, separators: string) => cached(`g${separators}\0${pattern}`, () => parseGobwas(pattern, codePointsOf(separators)));

/** gobwas/glob's Match, as Argo CD's util/glob calls it; `separators` are the characters `*` and `?` do not cross. */
export function globMatch(pattern: string, value: string, separators = ''): boolean {
  const automaton = gobwas(pattern, separators);
  return typeof automaton !== 'string' && automaton.matches(value);
}

/** Why a gobwas/glob pattern does not compile (util/glob's MatchWithError), or undefined when it does. */
export function globError(pattern: string): string | undefined {
  const automaton = gobwas(pattern, '');
  return typeof automaton === 'string' ? automaton : undefined;
}

/** Go's path/filepath.Match; a malformed pattern matches nothing. */
export function filepathMatch(pattern: string, name: string): boolean {
  const automaton = cached(`f\0${pattern}`, () => parseFilepath(pattern));
  return typeof automaton !== 'string' && automaton.matches(name);
}
