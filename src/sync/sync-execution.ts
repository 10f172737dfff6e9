import type { OperationPhase, ResourceKey, ResourceResult } from '../api/application.js';
import { describeKubeError } from '../kube/api-errors.js';
import { FencedError } from '../sharding/cluster-fence.js';
import { resourceHealth } from './health.js';
import type { Manifest } from './manifests.js';
import { holdsHookFinalizer, hookPhase, type HookDeletePolicy } from './resource-hooks.js';
import { SyncOptions } from './sync-options.js';
import { orderTasks, syncSteps, type SyncTask } from './sync-tasks.js';

/** One task of a sync: apply a desired object (a resource or a hook) or prune a live one. */
export interface ExecutableTask extends SyncTask {
  key: ResourceKey;
  hook: boolean;
  /** What to apply; absent for a prune. */
  target?: Manifest;
  /** The live object when the sync was planned (for hooks and prunes). */
  live?: Manifest;
  deletePolicies: HookDeletePolicy[];
  /** A prune the sync only reports: it was not asked to prune. */
  pruneDisabled?: boolean;
  /** Prune=confirm (the object's, or the Application's): the prune waits for the Application's approval. */
  pruneNeedsApproval?: boolean;
}

/** What the sync does to the cluster: the driver's client behind its project and fencing checks. */
export interface SyncCluster {
  /** Writes the task's object as its sync options say; answers what the API server returned and the result message. */
  apply(task: ExecutableTask): Promise<{ object: Manifest | undefined; message: string }>;
  /** Objects Git holds that need no write (ApplyOutOfSyncOnly): answers the live object then. */
  unchanged(task: ExecutableTask): Promise<Manifest | undefined>;
  prune(live: Manifest): Promise<void>;
  deleteHook(live: Manifest): Promise<void>;
  /** Removes the hook finalizer from a live hook; answers the object as it is then (undefined once gone). */
  releaseHook(live: Manifest): Promise<Manifest | undefined>;
  read(key: ResourceKey): Promise<Manifest | undefined>;
  /** Whether the Application now approves the prunes Prune=confirm holds (argocd.argoproj.io/deletion-approved since the sync started). */
  pruneApproved(): Promise<boolean>;
  /** What the running sync waits for, as its operation's message. */
  waiting(message: string): Promise<void>;
  /** Until something of the sync's objects may have changed (a watch event), `ms` at most. */
  waitForChange(ms: number): Promise<void>;
  /** Why no more may be written (the project as it is now refuses the sync), checked before every step after the first. */
  refused(): SyncResultState | undefined;
}

export interface SyncResultState {
  phase: 'Succeeded' | 'Failed' | 'Error';
  message: string;
  resources: ResourceResult[];
}

export interface SyncExecutionOptions {
  /** How long one step may take to finish (hooks to complete, resources to turn Healthy). */
  stepTimeoutMs: number;
  pollMs: number;
  /** How often a sync waiting for pruning confirmation asks whether it came (default 1 s). */
  approvalPollMs?: number;
}

const id = (k: ResourceKey) => `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
const describe = (task: ExecutableTask) => `${task.kind.toLowerCase()}/${task.name}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a sync's tasks as gitops-engine's sync context does, in one pass: phase by phase (PreSync,
 * Sync, PostSync) and wave by wave, each step waiting for its hooks to complete and its resources
 * to turn Healthy before the next. A failed apply, hook or
 * resource fails the sync: hooks with HookFailed are deleted and the SyncFail hooks run. When it
 * succeeds, hooks with HookSucceeded are deleted. Results read as Argo CD's syncResult.resources.
 * Hooks are created with Argo CD's hook finalizer, removed once their result is read (or the sync
 * stops reading them), so that a hook deleted while it runs stays until then.
 */
export class SyncExecution {
  private readonly results = new Map<string, ResourceResult>();
  /** Hooks this sync created, with what the cluster last showed of them (undefined once deleted). */
  private readonly hooks: { task: ExecutableTask; live: Manifest | undefined }[] = [];

  constructor(
    private readonly cluster: SyncCluster,
    private readonly options: SyncExecutionOptions,
  ) {}

  async run(tasks: ExecutableTask[]): Promise<SyncResultState> {
    try {
      return await this.runSteps(tasks);
    } finally {
      // Hooks still running when the sync ended (it failed or was refused) are no longer read: their finalizer goes.
      for (const hook of this.hooks) await this.release(hook);
    }
  }

  private async runSteps(tasks: ExecutableTask[]): Promise<SyncResultState> {
    const syncFail = tasks.filter((t) => t.phase === 'SyncFail');
    const steps = syncSteps(orderTasks(tasks.filter((t) => t.phase !== 'SyncFail')));
    for (const [index, step] of steps.entries()) {
      if (index > 0) {
        const stop = this.cluster.refused();
        if (stop) return { ...stop, resources: [...this.resourceResults(), ...stop.resources] };
      }
      // As Regatta always has (unlike gitops-engine, which also waits for the last wave): the sync ends once its last step is
      // written and its hooks are done; health after that is the comparison's, and RollingSync's, to follow.
      const waitForHealth = index < steps.length - 1;
      const failedApplies = await this.runStep(step, waitForHealth);
      if (failedApplies.length) return this.fail(syncFail, 'one or more objects failed to apply', failedApplies);
      const timedOut = await this.waitForStep(step, waitForHealth);
      if (timedOut) return this.fail(syncFail, timedOut, []);
      if (step.some((t) => this.result(t)?.hookPhase === 'Failed' || this.result(t)?.hookPhase === 'Error'))
        return this.fail(syncFail, 'one or more synchronization tasks completed unsuccessfully', []);
    }
    await this.deleteHooks('HookSucceeded');
    return { phase: 'Succeeded', message: 'successfully synced (all tasks run)', resources: this.resourceResults() };
  }

  private resourceResults(): ResourceResult[] {
    return [...this.results.values()];
  }

  private result(task: ExecutableTask): ResourceResult | undefined {
    return this.results.get(`${id(task.key)}:${task.phase}`);
  }

  /** As gitops-engine's setResourceResult: the latest status and phase, and the latest message that is not empty. */
  private record(task: ExecutableTask, status: ResourceResult['status'], phase: OperationPhase, message: string): void {
    const key = `${id(task.key)}:${task.phase}`;
    const previous = this.results.get(key);
    const result: ResourceResult = {
      ...task.key,
      ...(status ? { status } : {}),
      message: message || previous?.message || '',
      ...(task.hook ? { hookType: task.phase } : {}),
      hookPhase: phase,
      syncPhase: task.phase,
    };
    // A Map keeps the place of a key set again: results stay in the order their tasks first ran.
    this.results.set(key, result);
  }

  /** Prunes, deletes of hooks to be created again, then applies: the step's writes. Answers the tasks whose write failed. */
  private async runStep(step: ExecutableTask[], waitForHealth: boolean): Promise<ExecutableTask[]> {
    const failed: ExecutableTask[] = [];
    const attempt = async (task: ExecutableTask, write: () => Promise<void>) => {
      try {
        await write();
      } catch (error) {
        // Not this replica's cluster any more: the sync did not fail, it belongs to the new owner.
        if (error instanceof FencedError) throw error;
        // The API server's own words (its Status message), never the raw response with its headers.
        this.record(task, 'SyncFailed', 'Failed', describeKubeError(error));
        failed.push(task);
      }
    };
    const prunes = step.filter((t) => t.prune && t.live);
    await this.awaitPruneApproval(prunes.filter((t) => t.pruneNeedsApproval));
    for (const task of prunes) {
      await attempt(task, async () => {
        if (task.pruneDisabled) return this.record(task, 'PruneSkipped', 'Succeeded', 'ignored (requires pruning)');
        if (SyncOptions.onObject(task.live, 'Prune=false')) return this.record(task, 'PruneSkipped', 'Succeeded', 'ignored (no prune)');
        if (!task.live!.metadata?.deletionTimestamp) await this.cluster.prune(task.live!);
        this.record(task, 'Pruned', 'Succeeded', 'pruned');
      });
    }
    // As gitops-engine: hooks left by an earlier sync let go of their finalizer first, so that they can be deleted.
    const held = step.filter((t) => t.hook && holdsHookFinalizer(t.live));
    for (const task of held) {
      const leftOver = { task, live: task.live };
      if (await this.release(leftOver)) task.live = leftOver.live;
      else return [task];
    }
    // As gitops-engine: a hook still there from an earlier sync is deleted, and gone, before it is created again.
    const recreated = step.filter((t) => t.hook && t.live && t.deletePolicies.includes('BeforeHookCreation'));
    for (const task of recreated) await attempt(task, () => this.cluster.deleteHook(task.live!));
    const deleting = [...prunes.filter((t) => this.result(t)?.status === 'Pruned'), ...recreated];
    const stuck = await this.waitGone(deleting);
    if (stuck) {
      this.record(stuck, stuck.prune ? 'Pruned' : 'SyncFailed', 'Failed', `timed out waiting for deletion of ${stuck.kind}/${stuck.name}`);
      return [stuck];
    }
    for (const task of step.filter((t) => !t.prune)) {
      // Unlike gitops-engine, which writes a step's objects all at once, the first refused write ends the step: nothing after it is written.
      if (failed.length) break;
      await attempt(task, async () => {
        if (!task.hook) {
          const live = await this.cluster.unchanged(task);
          if (live) return this.record(task, 'Synced', 'Succeeded', `${describe(task)} already in sync`);
        }
        const { object, message } = await this.cluster.apply(task);
        if (task.hook) {
          this.hooks.push({ task, live: object });
          this.record(task, 'Synced', 'Running', message);
        } else {
          // What the apply answered is judged at once: objects without health, or healthy on creation, are done.
          const health = object ? resourceHealth(object) : undefined;
          const done = !health || health.status === 'Healthy';
          this.record(task, 'Synced', done ? 'Succeeded' : waitForHealth && health?.status === 'Degraded' ? 'Failed' : 'Running', message);
        }
      });
    }
    return failed;
  }

  /**
   * As gitops-engine with Prune=confirm: a step whose prunes need approval writes nothing until the
   * Application approves them; meanwhile the operation says what it waits for. Argo CD waits as
   * long as it takes, and so does this.
   */
  private async awaitPruneApproval(unapproved: ExecutableTask[]): Promise<void> {
    if (!unapproved.length || (await this.cluster.pruneApproved())) return;
    const [first] = unapproved;
    const more = unapproved.length > 1 ? ` and ${unapproved.length - 1} more resources` : '';
    await this.cluster.waiting(`waiting for pruning confirmation of ${first.key.group}/${first.kind}/${first.name}${more}`);
    do await sleep(this.options.approvalPollMs ?? 1000);
    while (!(await this.cluster.pruneApproved()));
    await this.cluster.waiting('one or more tasks are running');
  }

  /** Waits until the tasks' objects are gone; answers one still there when the step timeout passes. */
  private async waitGone(tasks: ExecutableTask[]): Promise<ExecutableTask | undefined> {
    const deadline = Date.now() + this.options.stepTimeoutMs;
    for (let pending = tasks; pending.length; pending = await this.present(pending)) {
      if (Date.now() > deadline) return pending[0];
      await sleep(this.options.pollMs);
    }
    return undefined;
  }

  private async present(tasks: ExecutableTask[]): Promise<ExecutableTask[]> {
    const present: ExecutableTask[] = [];
    for (const task of tasks) if (await this.cluster.read(task.key)) present.push(task);
    return present;
  }

  /**
   * Until every hook of the step has completed and, with `waitForHealth`, every resource is
   * Healthy (or Degraded: failed). Answers a message when the step timeout passes first.
   */
  private async waitForStep(step: ExecutableTask[], waitForHealth: boolean): Promise<string | undefined> {
    const deadline = Date.now() + this.options.stepTimeoutMs;
    const waited = step.filter((t) => !t.prune && (t.hook || waitForHealth));
    for (;;) {
      const running = waited.filter((t) => this.result(t)?.hookPhase === 'Running');
      if (!running.length) return undefined;
      if (Date.now() > deadline) {
        const first = running[0];
        return first.hook
          ? `timed out waiting for completion of hook ${first.kind}/${first.name}`
          : `timed out waiting for ${first.kind}/${first.name} to become Healthy`;
      }
      await this.cluster.waitForChange(this.options.pollMs);
      for (const task of running) {
        const live = await this.cluster.read(task.key);
        if (task.hook) {
          const entry = this.hooks.find((h) => h.task === task);
          if (entry) entry.live = live;
          // A hook deleted under the sync has nothing more to report.
          if (!live) this.record(task, undefined, 'Failed', `${describe(task)} was deleted before it completed`);
          else {
            const { phase, message } = hookPhase(live);
            this.record(task, phase === 'Running' ? 'Synced' : undefined, phase, message);
            // Its result is read: the hook may go now.
            if (phase !== 'Running' && entry) await this.release(entry);
          }
          continue;
        }
        const health = live ? resourceHealth(live) : { status: 'Missing' as const };
        if (!health || health.status === 'Healthy') this.record(task, 'Synced', 'Succeeded', health?.message ?? '');
        else if (health.status === 'Degraded') this.record(task, 'Synced', 'Failed', health.message ?? '');
      }
    }
  }

  /** Deletes the hooks this sync created that carry `policy`. */
  private async deleteHooks(policy: HookDeletePolicy): Promise<void> {
    for (const hook of this.hooks) {
      if (!hook.live || !hook.task.deletePolicies.includes(policy)) continue;
      if (!(await this.release(hook)) || !hook.live) continue;
      await this.cluster.deleteHook(hook.live);
      hook.live = undefined;
    }
  }

  /**
   * Removes the hook finalizer from a hook that holds it; answers whether it could. A failure is
   * the hook's result, as gitops-engine records it.
   */
  private async release(hook: { task: ExecutableTask; live: Manifest | undefined }): Promise<boolean> {
    if (!holdsHookFinalizer(hook.live)) return true;
    try {
      hook.live = await this.cluster.releaseHook(hook.live!);
      return true;
    } catch (error) {
      if (error instanceof FencedError) throw error;
      this.record(hook.task, this.result(hook.task)?.status, 'Error', `Failed to remove hook finalizer: ${describeKubeError(error)}`);
      return false;
    }
  }

  /**
   * As gitops-engine's setOperationFailed: the hooks to delete on failure go, the SyncFail hooks
   * run (and are waited for), and the message names the objects that failed to apply.
   */
  private async fail(syncFail: ExecutableTask[], message: string, failedApplies: ExecutableTask[]): Promise<SyncResultState> {
    const reasons = (tasks: ExecutableTask[]) => tasks.map((t) => this.result(t)?.message ?? '').join(',');
    const failure = failedApplies.length ? `${message}, reason: ${reasons(failedApplies)}` : message;
    await this.deleteHooks('HookFailed');
    if (!syncFail.length) return { phase: 'Failed', message: failure, resources: this.resourceResults() };
    const ordered = orderTasks(syncFail);
    const failedHooks = await this.runStep(ordered, false);
    if (failedHooks.length) {
      return {
        phase: 'Failed',
        message: `${failure}\none or more SyncFail hooks failed, reason: ${reasons(failedHooks)}`,
        resources: this.resourceResults(),
      };
    }
    await this.waitForStep(ordered, false);
    await this.deleteHooks('HookFailed');
    return { phase: 'Failed', message: failure, resources: this.resourceResults() };
  }
}
