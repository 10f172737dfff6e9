import type { ApplicationSetRolloutStep } from '../src/api/application-set.js';

/** The fleet the rollout bench and the soak roll out to: staging 1 %, canary 4 %, the rest production, over three regions. */
export function stagedFleet(count: number): { name: string; labels: Record<string, string> }[] {
  const staging = Math.max(1, Math.round(count * 0.01));
  const canary = Math.max(1, Math.round(count * 0.04));
  const width = String(count - 1).length;
  return Array.from({ length: count }, (_, i) => ({
    name: `c-${String(i).padStart(width, '0')}`,
    labels: { env: i < staging ? 'staging' : i < staging + canary ? 'canary' : 'production', region: ['eu', 'us', 'ap'][i % 3] },
  }));
}

const envStep = (env: string, maxUpdate?: string): ApplicationSetRolloutStep => ({
  matchExpressions: [{ key: 'env', operator: 'In', values: [env] }],
  ...(maxUpdate ? { maxUpdate } : {}),
});

/** staging, then canary, then production 25 % at a time. */
export const STAGED_STEPS: ApplicationSetRolloutStep[] = [envStep('staging'), envStep('canary'), envStep('production', '25%')];
