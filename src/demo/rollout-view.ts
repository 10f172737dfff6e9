import type { Application } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import { describeSelector } from '../api-server/application-set-view.js';

const STATES = ['Healthy', 'Progressing', 'Pending', 'Waiting'] as const;
const BAR = 30;

export interface RolloutSnapshot {
  appSet?: ApplicationSet;
  applications: Application[];
  revision?: string;
  elapsedMs: number;
}

function describeStep(appSet: ApplicationSet, index: number): string {
  const step = appSet.spec.strategy?.rollingSync?.steps?.[index];
  return `${describeSelector(step)}${step?.maxUpdate !== undefined ? `, maxUpdate ${step.maxUpdate}` : ''}`;
}

/** The rollout as text: a progress bar per step and which clusters are in which state. */
export function renderRollout(snapshot: RolloutSnapshot, clusterOf: (application: string) => string): string[] {
  const { appSet } = snapshot;
  if (!appSet) return ['waiting for the ApplicationSet…'];
  const entries = appSet.status?.applicationStatus ?? [];
  const steps = appSet.spec.strategy?.rollingSync?.steps ?? [];
  const lines = [`ApplicationSet ${appSet.metadata.name} · revision ${snapshot.revision ?? '?'} · ${snapshot.applications.length} Applications`];
  steps.forEach((_, index) => {
    const inStep = entries.filter((e) => e.step === String(index + 1));
    const healthy = inStep.filter((e) => e.status === 'Healthy').length;
    const filled = inStep.length ? Math.round((healthy / inStep.length) * BAR) : 0;
    lines.push(`step ${index + 1}  [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${healthy}/${inStep.length} Healthy   (${describeStep(appSet, index)})`);
    for (const state of STATES) {
      const names = inStep.filter((e) => e.status === state).map((e) => clusterOf(e.application));
      if (names.length) lines.push(`        ${state.padEnd(12)} ${names.join(' ')}`);
    }
  });
  const rollout = appSet.status?.rollout;
  for (const u of rollout?.unreachable ?? []) lines.push(`        waiting for ${clusterOf(u.application)}: cluster unreachable`);
  for (const u of rollout?.skipped ?? [])
    lines.push(`        skipped     ${clusterOf(u.application)} (step ${u.step}): ${u.catchingUpSince ? 'answers again, catching up' : 'cluster unreachable'}`);
  lines.push(`rollout ${rollout ? `${rollout.phase}: ${rollout.message}` : 'not started'} · ${(snapshot.elapsedMs / 1000).toFixed(1)} s`);
  return lines;
}

/** Redraws in place on a terminal; elsewhere prints only what changed. */
export class LiveView {
  private previous: string[] = [];

  constructor(private readonly out: NodeJS.WriteStream | NodeJS.WritableStream) {}

  private get tty(): boolean {
    return (this.out as NodeJS.WriteStream).isTTY === true;
  }

  show(lines: string[]): void {
    const withoutClock = (l: string[]) => l.map((line) => line.replace(/ · [\d.]+ s$/, ''));
    if (!this.tty) {
      if (withoutClock(lines).join('\n') !== withoutClock(this.previous).join('\n')) this.out.write(`${lines.join('\n')}\n\n`);
    } else {
      const up = this.previous.length ? `\x1b[${this.previous.length}A\x1b[J` : '';
      this.out.write(`${up}${lines.join('\n')}\n`);
    }
    this.previous = lines;
  }
}
