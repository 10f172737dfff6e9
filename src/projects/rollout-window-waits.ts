import type { AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { applicationWindows } from './sync-window-selection.js';
import { syncWindowVerdict, type SyncWindowVerdict, type WindowWait } from './sync-windows.js';

/**
 * The Applications whose RollingSync sync (an automated one) the sync windows of their project
 * hold at `now`, with why: what the rollout planner is told.
 */
export function rolloutWindowWaits(applications: Application[], projects: (name: string) => AppProject | undefined, now: Date): Map<string, WindowWait> {
  const waits = new Map<string, WindowWait>();
  // Thousands of Applications share a handful of window sets: each set is judged once per call.
  const verdicts = new Map<string, SyncWindowVerdict>();
  for (const application of applications) {
    const matching = applicationWindows(application, projects);
    if (!matching.length) continue;
    const key = `${application.spec.project}\0${matching.map((w) => w.index).join(',')}`;
    let verdict = verdicts.get(key);
    if (!verdict) {
      verdict = syncWindowVerdict(matching, { manual: false, at: now });
      verdicts.set(key, verdict);
    }
    if (verdict.allowed) continue;
    const { allowed: _allowed, ...wait } = verdict;
    waits.set(application.metadata.name, wait);
  }
  return waits;
}
