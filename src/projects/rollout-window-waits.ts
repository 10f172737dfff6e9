import type { AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { applicationWindows } from './sync-window-selection.js';
import { syncWindowVerdict, type WindowWait } from './sync-windows.js';

/**
 * The Applications whose RollingSync sync (an automated one) the sync windows of their project
 * hold at `now`, with why: what the rollout planner is told.
 */
export function rolloutWindowWaits(applications: Application[], projects: (name: string) => AppProject | undefined, now: Date): Map<string, WindowWait> {
  const waits = new Map<string, WindowWait>();
  for (const application of applications) {
    const verdict = syncWindowVerdict(applicationWindows(application, projects), { manual: false, at: now });
    if (verdict.allowed) continue;
    const { allowed: _allowed, ...wait } = verdict;
    waits.set(application.metadata.name, wait);
  }
  return waits;
}
