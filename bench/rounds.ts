// What the timing benches share: subjects timed in interleaved rounds (so a noisy neighbour slows
// every subject of a round alike), each reported as the median of its rounds with their spread,
// and the git commit a bench ran on.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export interface Timing {
  /** Milliseconds of each round, in the order run. */
  samples: number[];
  medianMs: number;
  /** (slowest − fastest round) / median, in percent. */
  spreadPct: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function timing(samples: number[]): Timing {
  const medianMs = median(samples);
  return { samples, medianMs, spreadPct: medianMs > 0 ? (100 * (Math.max(...samples) - Math.min(...samples))) / medianMs : 0 };
}

/**
 * Runs every subject once per round, in turn (the first subject of the round changing each round),
 * after one untimed warm-up round.
 */
export async function interleavedRounds<K extends string>(subjects: Record<K, () => unknown>, rounds: number): Promise<Record<K, Timing>> {
  const names = Object.keys(subjects) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = -1; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + Math.max(round, 0)) % names.length];
      const start = performance.now();
      await subjects[name]();
      if (round >= 0) samples[name].push(performance.now() - start);
    }
  }
  return Object.fromEntries(names.map((name) => [name, timing(samples[name])])) as Record<K, Timing>;
}

/** The median of a subject's per-round ratio to another's: both were timed in the same conditions. */
export function medianRatio(subject: Timing, floor: Timing): number {
  return median(subject.samples.map((ms, i) => ms / floor.samples[i]));
}

/** The commit the bench ran on (short hash), marked `-dirty` when the worktree has changes. */
export function gitCommit(): string {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !==
      '';
    return dirty ? `${hash}-dirty` : hash;
  } catch {
    return 'unknown';
  }
}

export const roundTo = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
