import { describe, expect, it } from 'vitest';
import { destinationProblem, inClusterEnabled } from '../../src/projects/destination-cluster.js';

const fleet = {
  clusters: [
    { name: 'prod', server: 'https://prod.example.com', labels: {}, annotations: {} },
    { name: 'twin', server: 'https://a.example.com', labels: {}, annotations: {} },
    { name: 'twin', server: 'https://b.example.com', labels: {}, annotations: {} },
  ],
  inClusterEnabled: true,
};

describe('destination validation (Argo CD GetDestinationCluster)', () => {
  it('accepts registered clusters by server or name, and the local cluster unless disabled', () => {
    expect(destinationProblem({ server: 'https://prod.example.com/' }, fleet)).toBeUndefined();
    expect(destinationProblem({ name: 'prod' }, fleet)).toBeUndefined();
    expect(destinationProblem({ server: 'https://kubernetes.default.svc' }, fleet)).toBeUndefined();
    expect(destinationProblem({ name: 'in-cluster' }, fleet)).toBeUndefined();
    expect(destinationProblem({ server: 'https://kubernetes.default.svc' }, { ...fleet, inClusterEnabled: false })).toBe(
      'application destination spec is invalid: error getting cluster by server "https://kubernetes.default.svc": rpc error: code = NotFound desc = cluster "https://kubernetes.default.svc" is disabled',
    );
  });

  it('words each problem as Argo CD does', () => {
    expect(destinationProblem({ server: 'https://nowhere' }, fleet)).toBe(
      'application destination spec is invalid: error getting cluster by server "https://nowhere": rpc error: code = NotFound desc = cluster "https://nowhere" not found',
    );
    expect(destinationProblem({ name: 'ghost' }, fleet)).toBe('application destination spec is invalid: there are no clusters with this name: ghost');
    expect(destinationProblem({ name: 'twin' }, fleet)).toBe(
      'application destination spec is invalid: there are 2 clusters with the same name: [https://a.example.com https://b.example.com]',
    );
    expect(destinationProblem({ name: 'prod', server: 'https://prod.example.com' }, fleet)).toBe(
      "application destination spec is invalid: application destination can't have both name and server defined: prod https://prod.example.com",
    );
    expect(destinationProblem({ namespace: 'x' }, fleet)).toBe('application destination spec is invalid: Destination server missing from app spec');
  });

  it('reads cluster.inClusterEnabled from argocd-cm', () => {
    expect(inClusterEnabled(undefined)).toBe(true);
    expect(inClusterEnabled({ data: { 'cluster.inClusterEnabled': 'true' } })).toBe(true);
    expect(inClusterEnabled({ data: { 'cluster.inClusterEnabled': 'false' } })).toBe(false);
  });
});
