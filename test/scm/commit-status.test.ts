import { describe, expect, it } from 'vitest';
import type { CommitStatus } from '../../src/generators/generator.js';
import { commitStatusRequest } from '../../src/scm/commit-status.js';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const status = (over: Partial<CommitStatus> = {}): CommitStatus => ({ state: 'running', description: 'Syncing', context: 'regatta/previews', ...over });

describe('commit status requests', () => {
  it('refuses a head_sha that is not a commit SHA: nothing of it reaches a URL', () => {
    const request = commitStatusRequest({ github: { owner: 'o', repo: 'r' } }, '../../admin?x=1', status(), 't');
    expect(request).toEqual({ refusal: 'head_sha "../../admin?x=1" is not a commit SHA' });
  });

  it('a sync in progress is "running" on GitLab and "pending" on GitHub and Gitea', () => {
    const body = (spec: Parameters<typeof commitStatusRequest>[0]) => {
      const request = commitStatusRequest(spec, SHA, status(), 't');
      return 'refusal' in request ? request.refusal : JSON.parse(request.body).state;
    };
    expect(body({ gitlab: { project: 'g/p' } })).toBe('running');
    expect(body({ github: { owner: 'o', repo: 'r' } })).toBe('pending');
    expect(body({ gitea: { owner: 'o', repo: 'r', api: 'https://gitea.example.com' } })).toBe('pending');
  });

  it('cuts a description longer than GitHub takes (140 characters)', () => {
    const request = commitStatusRequest({ github: { owner: 'o', repo: 'r' } }, SHA, status({ description: `Sync failed: ${'x'.repeat(300)}` }), 't');
    if ('refusal' in request) throw new Error(request.refusal);
    expect(request.url).toBe(`https://api.github.com/repos/o/r/statuses/${SHA}`);
    expect([...JSON.parse(request.body).description]).toHaveLength(140);
  });

  it('Bitbucket and Azure DevOps get none', () => {
    expect(commitStatusRequest({ bitbucket: { owner: 'o', repo: 'r', user: 'u' } } as never, SHA, status(), 't')).toEqual({
      refusal: 'commit statuses are posted to GitHub, GitLab and Gitea only',
    });
  });
});
