import { describe, expect, it } from 'vitest';
import { deletePolicies, hookName, hookPhase, isHook, syncPhasesOf, waveOf } from '../../src/sync/resource-hooks.js';

const object = (annotations: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'job', annotations },
  ...extra,
});

describe("which objects are hooks, as gitops-engine's hook package reads them", () => {
  it('reads the phases of Argo CD hooks and of Helm hooks, Argo CD’s annotation winning', () => {
    expect(syncPhasesOf(object({}))).toEqual(['Sync']);
    expect(syncPhasesOf(object({ 'argocd.argoproj.io/hook': 'PreSync, PostSync' }))).toEqual(['PreSync', 'PostSync']);
    expect(syncPhasesOf(object({ 'argocd.argoproj.io/hook': 'Skip' }))).toEqual([]);
    expect(isHook(object({ 'argocd.argoproj.io/hook': 'Skip' }))).toBe(false);
    expect(syncPhasesOf(object({ 'helm.sh/hook': 'pre-install,post-upgrade' }))).toEqual(['PreSync', 'PostSync']);
    expect(syncPhasesOf(object({ 'helm.sh/hook': 'pre-install', 'argocd.argoproj.io/hook': 'Sync' }))).toEqual(['Sync']);
    // Helm's test and delete hooks are hooks a sync never runs; crd-install is no hook at all.
    expect(isHook(object({ 'helm.sh/hook': 'test' }))).toBe(true);
    expect(syncPhasesOf(object({ 'helm.sh/hook': 'test' }))).toEqual([]);
    expect(isHook(object({ 'helm.sh/hook': 'crd-install' }))).toBe(false);
  });

  it('reads delete policies (BeforeHookCreation by default) and waves (Helm weights when no sync-wave)', () => {
    expect(deletePolicies(object({}))).toEqual(['BeforeHookCreation']);
    expect(deletePolicies(object({ 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded,Bogus', 'helm.sh/hook-delete-policy': 'hook-failed' }))).toEqual([
      'HookSucceeded',
      'HookFailed',
    ]);
    expect(waveOf(object({ 'argocd.argoproj.io/sync-wave': '-2', 'helm.sh/hook-weight': '7' }))).toBe(-2);
    expect(waveOf(object({ 'argocd.argoproj.io/sync-wave': '1.5', 'helm.sh/hook-weight': '7' }))).toBe(7);
    expect(waveOf(object({ 'argocd.argoproj.io/sync-wave': '3x' }))).toBe(0);
  });

  it('names generateName hooks from the revision, phase and start, and judges their progress by health', () => {
    const generated = { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'migrate-' } };
    expect(hookName(generated, 'ABCDEF0123456789', 'PreSync', new Date('2026-01-01T00:00:00Z'))).toBe('migrate-abcdef0-presync-1767225600');
    expect(hookName(object({}), 'abc', 'Sync', new Date())).toBe('job');
    expect(hookPhase(object({}, { status: {} }))).toEqual({ phase: 'Running', message: '' });
    expect(hookPhase(object({}, { status: { conditions: [{ type: 'Complete', status: 'True' }] } }))).toEqual({ phase: 'Succeeded', message: '' });
    expect(hookPhase(object({}, { status: { conditions: [{ type: 'Failed', status: 'True', message: 'backoff' }] } }))).toEqual({
      phase: 'Failed',
      message: 'backoff',
    });
    expect(hookPhase({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' } })).toEqual({ phase: 'Succeeded', message: 'config created' });
    const workflow = (phase: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf' }, status: { phase, message: phase } });
    expect(['Running', 'Succeeded', 'Failed', 'Error'].map((p) => hookPhase(workflow(p)).phase)).toEqual(['Running', 'Succeeded', 'Failed', 'Failed']);
  });
});
