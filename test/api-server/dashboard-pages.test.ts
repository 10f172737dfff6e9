import { describe, expect, it } from 'vitest';
import type { ApplicationSetDetail } from '../../src/api-server/application-set-view.js';
import { DashboardPages } from '../../src/api-server/dashboard-pages.js';

const pages = new DashboardPages();
const app = (name: string, status: string, message = '', held = false, budgetHeld = false) => ({
  name,
  cluster: name.replace('web-', ''),
  status,
  message,
  held,
  budgetHeld,
});

const halted: ApplicationSetDetail = {
  name: 'web',
  namespace: 'argocd',
  conditions: [
    { type: 'ErrorOccurred', status: 'True', reason: 'ApplicationGenerationFromParamsError', message: 'spec.generators[0].git: <script>alert(1)</script>' },
  ],
  applicationCount: 3,
  applications: [],
  applicationStatus: [],
  rollout: {
    phase: 'Halted',
    step: 2,
    message: 'step 2: 1 failure exceeds maxFailures 0; halted',
    failed: [{ application: 'web-prod-1', step: 2, reason: 'Degraded: Deployment web has 0/3 ready replicas' }],
    waiting: [],
    budgetWaiting: [],
    invalidBudgets: [],
    steps: [
      {
        step: 1,
        selector: 'env In staging',
        applications: [app('web-staging-1', 'Healthy')],
        counts: { Waiting: 0, Pending: 0, Progressing: 0, Healthy: 1 },
        waiting: [],
        budgetWaiting: [],
      },
      {
        step: 2,
        selector: 'env In production',
        maxUpdate: 1,
        applications: [app('web-prod-1', 'Progressing'), app('web-prod-2', 'Waiting')],
        counts: { Waiting: 1, Pending: 0, Progressing: 1, Healthy: 0 },
        waiting: [],
        budgetWaiting: [],
      },
    ],
  },
};

/** `halted`, its rollout Progressing again with `rollout` on top. */
const progressing = (rollout: Partial<NonNullable<ApplicationSetDetail['rollout']>>): ApplicationSetDetail => ({
  ...halted,
  conditions: [],
  rollout: { ...halted.rollout!, phase: 'Progressing', failed: [], ...rollout },
});

describe('DashboardPages', () => {
  it('shows a halted rollout in red with why it halted, which Application failed, and counts per step', () => {
    const html = pages.live(halted);
    expect(html).toContain('class="banner s-halted" id="rollout-phase" data-phase="Halted"');
    expect(html).toContain('step 2: 1 failure exceeds maxFailures 0; halted');
    expect(html).toContain('✖ web-prod-1 (step 2): Degraded: Deployment web has 0/3 ready replicas');
    expect(html).toMatch(/<section class="card step current" data-step="2">/);
    expect(html).toContain('<span class="badge s-progressing" data-count="Progressing">1 Progressing</span>');
    expect(html).toContain('<span class="badge s-waiting" data-count="Waiting">1 Waiting</span>');
    expect(html).not.toContain('data-count="Pending"');
  });

  it('shows which Applications a sync window holds, and on the step why and until when', () => {
    const held = 'Application sync held: waiting for sync window "change freeze" (opens 02:00 UTC)';
    const summary = 'step 2: 2 Applications waiting for sync window "change freeze" (opens 02:00 UTC)';
    const wait = { step: 2, applications: 2, windows: ['"change freeze"'], opensAt: '2030-01-07T02:00:00.000Z', message: summary };
    const html = pages.live(
      progressing({
        message: summary,
        waiting: [wait],
        steps: [
          halted.rollout!.steps[0],
          {
            ...halted.rollout!.steps[1],
            applications: [app('web-prod-1', 'Progressing', held, true), app('web-prod-2', 'Pending', held, true)],
            counts: { Waiting: 0, Pending: 1, Progressing: 1, Healthy: 0 },
            waiting: ['2 Applications waiting for sync window "change freeze" (opens 02:00 UTC)'],
          },
        ],
      }),
    );
    expect(html).toContain('<div>step 2: 2 Applications waiting for sync window &quot;change freeze&quot; (opens 02:00 UTC)</div>');
    expect(html).toMatch(
      /data-step="2">[\s\S]*<div class="muted" data-window-wait>⏸ 2 Applications waiting for sync window &quot;change freeze&quot; \(opens 02:00 UTC\)<\/div>/,
    );
    expect(html).toContain(
      'data-app="web-prod-2" data-state="Pending" data-held title="Application sync held: waiting for sync window &quot;change freeze&quot; (opens 02:00 UTC)">web-prod-2<small>Pending · held by a sync window</small>',
    );
    expect(pages.live(halted)).not.toContain('data-held');
    expect(pages.live(halted)).not.toContain('data-window-wait');
  });

  it('shows which Applications a RolloutBudget holds, why on the step, and the budgets not applied', () => {
    const held = 'Application waiting for RolloutBudget "eu" (2/2 syncs in flight)';
    const summary = 'step 2: 1 Application waiting for RolloutBudget "eu" (2/2 syncs in flight)';
    const invalid = 'RolloutBudget "us" is not applied: spec.maxUnhealthy: Invalid value: -1: must be a non-negative integer';
    const html = pages.live(
      progressing({
        message: summary,
        budgetWaiting: [{ step: 2, applications: 1, budget: 'eu', message: summary }],
        invalidBudgets: [invalid],
        steps: [
          halted.rollout!.steps[0],
          {
            ...halted.rollout!.steps[1],
            applications: [app('web-prod-1', 'Progressing'), app('web-prod-2', 'Waiting', held, false, true)],
            budgetWaiting: ['1 Application waiting for RolloutBudget "eu" (2/2 syncs in flight)'],
          },
        ],
      }),
    );
    expect(html).toMatch(
      /data-step="2">[\s\S]*<div class="muted" data-budget-wait>⏸ 1 Application waiting for RolloutBudget &quot;eu&quot; \(2\/2 syncs in flight\)<\/div>/,
    );
    expect(html).toContain(
      'data-app="web-prod-2" data-state="Waiting" data-budget-held title="Application waiting for RolloutBudget &quot;eu&quot; (2/2 syncs in flight)">web-prod-2<small>Waiting · waiting for a RolloutBudget</small>',
    );
    expect(html).toContain(
      '<div data-invalid-budget>⚠ RolloutBudget &quot;us&quot; is not applied: spec.maxUnhealthy: Invalid value: -1: must be a non-negative integer</div>',
    );
    expect(pages.live(halted)).not.toMatch(/data-budget-wait|data-budget-held|data-invalid-budget/);
  });

  it('names the unreachable clusters a step waits for, and the skipped ones until they are caught up', () => {
    const since = '2030-01-07T01:00:00.000Z';
    const html = pages.live(
      progressing({
        unreachable: [{ application: 'web-prod-1', destination: 'https://prod-1.example', step: 2, since, reason: 'connection refused' }],
        skipped: [
          { application: 'web-prod-2', destination: 'prod-2', step: 2, since, reason: 'connection refused' },
          { application: 'web-prod-3', destination: 'prod-3', step: 2, since, catchingUpSince: '2030-01-07T01:05:00.000Z' },
        ],
      }),
    );
    expect(html).toContain(
      `<div data-unreachable="web-prod-1">⌛ waiting for unreachable cluster https://prod-1.example (web-prod-1, step 2) since ${since}</div>`,
    );
    expect(html).toContain(`<div data-skipped="web-prod-2">↷ skipped web-prod-2 on prod-2 (step 2) since ${since} · cluster unreachable</div>`);
    expect(html).toContain(
      `<div data-skipped="web-prod-3">↷ skipped web-prod-3 on prod-3 (step 2) since ${since} · its cluster answers again: catching up</div>`,
    );
    expect(pages.live(halted)).not.toContain('data-skipped');
    expect(pages.live(halted)).not.toContain('data-unreachable');
  });

  it('escapes what comes from the cluster, so a message cannot run script in the page', () => {
    const html = pages.live(halted);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
  });
});
