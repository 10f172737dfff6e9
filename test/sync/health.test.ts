import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Health } from '../../src/api/application.js';
import { resourceHealth } from '../../src/sync/health.js';
import { hookPhase } from '../../src/sync/resource-hooks.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'health');
// Some fixtures repeat a key; gitops-engine's YAML reader keeps the last, as this does.
const fixture = (file: string) => YAML.parse(readFileSync(join(FIXTURES, file), 'utf8'), { uniqueKeys: false });

/**
 * gitops-engine's health test fixtures with the status its health_test.go expects of each. The
 * messages are the ones gitops-engine's checks write for these objects (their format strings
 * filled with the fixture's fields); undefined where the check writes none.
 */
const EXPECTED: [file: string, health: Health | undefined][] = [
  ['nginx.yaml', { status: 'Healthy' }],
  ['deployment-progressing.yaml', { status: 'Progressing', message: 'Waiting for rollout to finish: 1 old replicas are pending termination...' }],
  ['deployment-suspended.yaml', { status: 'Suspended', message: 'Deployment is paused' }],
  ['deployment-degraded.yaml', { status: 'Degraded', message: 'Deployment "guestbook-ui" exceeded its progress deadline' }],
  ['statefulset.yaml', { status: 'Healthy', message: 'statefulset has 1 ready pods' }],
  ['statefulset-ondelete.yaml', { status: 'Healthy', message: 'statefulset has 1 ready pods' }],
  ['daemonset-ondelete.yaml', { status: 'Healthy', message: 'daemon set 0 out of 1 new pods have been updated' }],
  ['pvc-bound.yaml', { status: 'Healthy' }],
  ['pvc-pending.yaml', { status: 'Progressing' }],
  ['svc-clusterip.yaml', { status: 'Healthy' }],
  ['svc-loadbalancer.yaml', { status: 'Healthy' }],
  ['svc-loadbalancer-unassigned.yaml', { status: 'Progressing' }],
  ['svc-loadbalancer-nonemptylist.yaml', { status: 'Healthy' }],
  ['ingress.yaml', { status: 'Healthy' }],
  ['ingress-unassigned.yaml', { status: 'Progressing' }],
  ['ingress-nonemptylist.yaml', { status: 'Healthy' }],
  ['knative-service.yaml', undefined],
  ['job-running.yaml', { status: 'Progressing' }],
  ['job-failed.yaml', { status: 'Degraded', message: 'Job has reached the specified backoff limit' }],
  ['job-succeeded.yaml', { status: 'Healthy' }],
  ['job-suspended.yaml', { status: 'Suspended' }],
  ['hpa-v2-healthy.yaml', { status: 'Healthy', message: 'recommended size matches current size' }],
  [
    'hpa-v2-degraded.yaml',
    { status: 'Degraded', message: 'the HPA controller was unable to get the target\'s current scale: deployments/scale.apps "sandbox-test-app-8" not found' },
  ],
  ['hpa-v2-progressing.yaml', { status: 'Progressing', message: 'Waiting to Autoscale' }],
  ['hpa-v2beta2-healthy.yaml', { status: 'Healthy', message: 'recommended size matches current size' }],
  ['hpa-v2beta1-healthy-disabled.yaml', { status: 'Healthy', message: "the HPA controller was able to get the target's current scale" }],
  ['hpa-v2beta1-healthy.yaml', { status: 'Healthy', message: 'recommended size matches current size' }],
  ['hpa-v1-degraded.yaml', { status: 'Degraded', message: "the HPA controller was unable to get the target's current scale" }],
  ['hpa-v1-healthy.yaml', { status: 'Healthy', message: 'the HPA controller was able to update the target scale to 1' }],
  ['hpa-v1-healthy-toofew.yaml', { status: 'Healthy', message: 'recommended size matches current size' }],
  ['hpa-v1-progressing.yaml', { status: 'Progressing', message: 'Waiting to Autoscale' }],
  ['hpa-v1-progressing-with-no-annotations.yaml', { status: 'Progressing', message: 'Waiting to Autoscale' }],
  ['pod-pending.yaml', { status: 'Progressing' }],
  ['pod-running-not-ready.yaml', { status: 'Progressing' }],
  [
    'pod-crashloop.yaml',
    { status: 'Degraded', message: 'Back-off 40s restarting failed container=main pod=my-pod_argocd(63674389-f613-11e8-a057-fe5f49266390)' },
  ],
  ['pod-imagepullbackoff.yaml', { status: 'Degraded', message: 'Back-off pulling image "gcr.io/heptio-images/ks-guestbook-demo:0.3"' }],
  ['pod-error.yaml', { status: 'Degraded' }],
  ['pod-running-restart-always.yaml', { status: 'Healthy' }],
  ['pod-running-restart-never.yaml', { status: 'Progressing' }],
  ['pod-running-restart-onfailure.yaml', { status: 'Progressing' }],
  ['pod-failed.yaml', { status: 'Degraded', message: 'container "main" failed with exit code 1' }],
  ['pod-succeeded.yaml', { status: 'Healthy' }],
  ['pod-deletion.yaml', { status: 'Progressing', message: 'Pending deletion' }],
  ['application-healthy.yaml', undefined],
  ['application-degraded.yaml', undefined],
  ['apiservice-v1-true.yaml', { status: 'Healthy', message: 'Passed: all checks passed' }],
  [
    'apiservice-v1-false.yaml',
    { status: 'Progressing', message: 'MissingEndpoints: endpoints for service/cert-manager-webhook in "external-dns" have no addresses' },
  ],
  ['apiservice-v1beta1-true.yaml', { status: 'Healthy', message: 'Passed: all checks passed' }],
  [
    'apiservice-v1beta1-false.yaml',
    { status: 'Progressing', message: 'MissingEndpoints: endpoints for service/cert-manager-webhook in "external-dns" have no addresses' },
  ],
];

describe("health on gitops-engine's test fixtures", () => {
  it.each(EXPECTED)('%s', (file, expected) => {
    expect(resourceHealth(fixture(file))).toEqual(expected);
  });
});

const statefulSet = (spec: Record<string, unknown>, status: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'db', generation: 2 },
  spec: { replicas: 3, ...spec },
  status: { observedGeneration: 2, readyReplicas: 3, ...status },
});

const runningPod = (restartPolicy: string | undefined, status: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web' },
  spec: restartPolicy ? { restartPolicy } : {},
  status: { phase: 'Running', ...status },
});

describe("health where gitops-engine's checks have rules of their own", () => {
  it('judges Argo Workflows by phase with their message, as Argo CD asserts', () => {
    const workflow = (status?: Record<string, unknown>) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', spec: { entrypoint: 'main' }, status });
    expect(resourceHealth(workflow({ phase: 'Running', message: 'This node is running' }))).toEqual({ status: 'Progressing', message: 'This node is running' });
    expect(resourceHealth(workflow({ phase: 'Succeeded', message: 'This node is has succeeded' }))).toEqual({
      status: 'Healthy',
      message: 'This node is has succeeded',
    });
    expect(resourceHealth(workflow())).toEqual({ status: 'Progressing' });
    expect(resourceHealth(workflow({ phase: 'Error', message: 'pod deleted' }))).toEqual({ status: 'Degraded', message: 'pod deleted' });
  });

  it('judges a StatefulSet with a rollingUpdate block by its partition alone, and one without by its revisions', () => {
    const revisions = { updatedReplicas: 3, currentRevision: 'db-1', updateRevision: 'db-2', currentReplicas: 0 };
    expect(resourceHealth(statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } }, revisions))).toEqual({
      status: 'Healthy',
      message: 'partitioned roll out complete: 3 new pods have been updated...',
    });
    expect(resourceHealth(statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } }, revisions))).toEqual({
      status: 'Healthy',
      message: 'partitioned roll out complete: 3 new pods have been updated...',
    });
    expect(
      resourceHealth(statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, { ...revisions, updatedReplicas: 1 })),
    ).toEqual({
      status: 'Progressing',
      message: 'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...',
    });
    expect(resourceHealth(statefulSet({ updateStrategy: { type: 'RollingUpdate' } }, revisions))).toEqual({
      status: 'Progressing',
      message: 'waiting for statefulset rolling update to complete 3 pods at revision db-2...',
    });
    expect(resourceHealth(statefulSet({}, { readyReplicas: 1 }))).toEqual({ status: 'Progressing', message: 'Waiting for 2 pods to be ready...' });
    expect(resourceHealth(statefulSet({}, { observedGeneration: 0 }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for statefulset spec update to be observed...',
    });
  });

  it('reads ReplicaSets: a replica failure is Degraded, missing available replicas Progressing', () => {
    const replicaSet = (status: Record<string, unknown>) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-7d9', generation: 1 },
      spec: { replicas: 3 },
      status: { observedGeneration: 1, ...status },
    });
    const quota = { type: 'ReplicaFailure', status: 'True', message: 'pods "web-7d9-x" is forbidden: exceeded quota' };
    expect(resourceHealth(replicaSet({ availableReplicas: 1, conditions: [quota] }))).toEqual({ status: 'Degraded', message: quota.message });
    expect(resourceHealth(replicaSet({ availableReplicas: 1 }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for rollout to finish: 1 out of 3 new replicas are available...',
    });
    expect(resourceHealth(replicaSet({ availableReplicas: 3 }))).toEqual({ status: 'Healthy' });
    expect(resourceHealth({ ...replicaSet({}), status: {} })).toEqual({
      status: 'Progressing',
      message: 'Waiting for rollout to finish: observed replica set generation less than desired generation',
    });
  });

  it('reads a Job’s conditions by type: a resumed Job (Suspended no longer True) is done, a Failed one wins over the rest', () => {
    const job = (conditions: Record<string, unknown>[]) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, status: { conditions } });
    expect(resourceHealth(job([{ type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' }]))).toEqual({
      status: 'Healthy',
      message: 'Job resumed',
    });
    expect(
      resourceHealth(
        job([
          { type: 'Complete', status: 'True', message: 'done' },
          { type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' },
        ]),
      ),
    ).toEqual({ status: 'Degraded', message: 'BackoffLimitExceeded' });
  });

  it('calls every container of a restarting Pod stuck on an error Degraded in any phase, naming each', () => {
    const waiting = (reason: string, message: string) => ({ name: reason, state: { waiting: { reason, message } } });
    const pod = {
      ...runningPod('Always', {}),
      status: {
        phase: 'Pending',
        containerStatuses: [waiting('ErrImagePull', 'no such image'), waiting('CreateContainerConfigError', 'secret "db" not found')],
      },
    };
    expect(resourceHealth(pod)).toEqual({ status: 'Degraded', message: 'no such image, secret "db" not found' });
    // A hook Pod (restartPolicy Never) waits out the same error: it may still pull.
    expect(resourceHealth({ ...pod, spec: { restartPolicy: 'Never' } })).toEqual({ status: 'Progressing' });
  });

  it('names why a failed Pod failed: its message, else the first failed container, init containers first', () => {
    const failed = (status: Record<string, unknown>) => ({ ...runningPod('Never', {}), status: { phase: 'Failed', ...status } });
    expect(resourceHealth(failed({ message: 'The node was low on resource: memory.' }))).toEqual({
      status: 'Degraded',
      message: 'The node was low on resource: memory.',
    });
    expect(
      resourceHealth(
        failed({
          initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
          containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 2 } } }],
        }),
      ),
    ).toEqual({ status: 'Degraded', message: 'OOMKilled' });
    expect(resourceHealth(failed({}))).toEqual({ status: 'Degraded' });
  });

  it('has no verdict on a running Pod without a restart policy (the API server always sets one)', () => {
    expect(resourceHealth(runningPod(undefined, { conditions: [{ type: 'Ready', status: 'True' }] }))).toEqual({ status: 'Unknown' });
  });

  it('reports a kind at an API version the check does not read as Unknown, naming the version', () => {
    expect(resourceHealth({ apiVersion: 'apps/v1beta2', kind: 'Deployment', metadata: { name: 'web' } })).toEqual({
      status: 'Unknown',
      message: 'unsupported Deployment GVK: apps/v1beta2, Kind=Deployment',
    });
    expect(resourceHealth({ apiVersion: 'autoscaling/v3', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' } })).toEqual({
      status: 'Unknown',
      message: 'unsupported HPA GVK: autoscaling/v3, Kind=HorizontalPodAutoscaler',
    });
    // Deployments in extensions/ have no check at all in gitops-engine.
    expect(resourceHealth({ apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: { name: 'web' } })).toBeUndefined();
  });

  it('judges a hook being deleted that still holds the hook finalizer by its own health, anything else being deleted as Pending deletion', () => {
    const deleting = {
      ...fixture('job-succeeded.yaml'),
      metadata: { name: 'migrate', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['argocd.argoproj.io/hook-finalizer'] },
    };
    expect(resourceHealth(deleting)).toEqual({ status: 'Healthy' });
    expect(hookPhase(deleting).phase).toBe('Succeeded');
    expect(resourceHealth({ ...deleting, metadata: { ...deleting.metadata, finalizers: [] } })).toEqual({ status: 'Progressing', message: 'Pending deletion' });
  });

  it('reads an HPA v1 conditions annotation that is no JSON as Unknown, naming the annotation', () => {
    const hpa = { ...fixture('hpa-v1-healthy.yaml') };
    hpa.metadata = { ...hpa.metadata, annotations: { 'autoscaling.alpha.kubernetes.io/conditions': '[{"type": ' } };
    expect(resourceHealth(hpa)).toMatchObject({ status: 'Unknown', message: expect.stringMatching(/^failed to convert conditions annotation to typed: /) });
  });

  it('gives a verdict, not a crash, on statuses of the wrong shape', () => {
    const odd = { conditions: 'Ready', containerStatuses: 7, loadBalancer: { ingress: 'x' }, replicas: '3' };
    for (const [apiVersion, kind] of [
      ['apps/v1', 'Deployment'],
      ['apps/v1', 'StatefulSet'],
      ['apps/v1', 'DaemonSet'],
      ['apps/v1', 'ReplicaSet'],
      ['batch/v1', 'Job'],
      ['v1', 'Pod'],
      ['v1', 'Service'],
      ['networking.k8s.io/v1', 'Ingress'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'],
      ['apiregistration.k8s.io/v1', 'APIService'],
    ]) {
      expect(resourceHealth({ apiVersion, kind, metadata: { name: 'x', generation: 1 }, spec: { replicas: 'many' }, status: odd })?.status).toMatch(
        /^(Healthy|Progressing|Degraded|Suspended|Unknown)$/,
      );
    }
  });
});
