import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApplicationSet } from '../../src/api/application-set.js';
import { isAffectedBy, parseWebhook, verifiedProvider, webURLRegexp, WebhookError } from '../../src/appset/webhook-events.js';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const sign = (secret: string, payload: Buffer) => createHmac('sha256', secret).update(payload).digest('hex');

const githubPush = body({ ref: 'refs/heads/main', repository: { html_url: 'https://github.com/org/repo', default_branch: 'main' } });

const appSetWithGit = (repoURL: string, revision: string, nested = false): ApplicationSet => {
  const git = { git: { repoURL, revision, directories: [{ path: '*' }] } };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'x', namespace: 'argocd' },
    spec: {
      generators: nested ? [{ matrix: { generators: [git, { list: { elements: [] } }] } }] : [git],
      template: { metadata: {}, spec: { project: 'default', destination: {} } },
    },
  };
};

describe('parseWebhook', () => {
  it('accepts a GitHub push signed with the configured secret', () => {
    const event = parseWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign('s3cret', githubPush)}` }, githubPush, { github: 's3cret' });
    expect(event).toMatchObject({ kind: 'push', provider: 'github', revision: 'main', touchedHead: true });
  });

  it('rejects a wrong or missing signature with 401, without echoing the secret', () => {
    for (const headers of [{ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign('wrong', githubPush)}` }, { 'x-github-event': 'push' }]) {
      let error: unknown;
      try {
        parseWebhook(headers, githubPush, { github: 's3cret' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WebhookError);
      expect((error as WebhookError).status).toBe(401);
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it("checks GitLab's token, Gitea's signature and Bitbucket's hook UUID", () => {
    const gitlab = body({ ref: 'refs/heads/dev', project: { web_url: 'https://gitlab.example.com/group/app', default_branch: 'main' } });
    expect(parseWebhook({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'tok' }, gitlab, { gitlab: 'tok' })).toMatchObject({
      kind: 'push',
      revision: 'dev',
      touchedHead: false,
    });
    expect(() => parseWebhook({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'nope' }, gitlab, { gitlab: 'tok' })).toThrow(WebhookError);

    const gitea = body({ ref: 'refs/heads/main', repository: { html_url: 'https://gitea.example.com/o/r', default_branch: 'main' } });
    expect(parseWebhook({ 'x-gitea-event': 'push', 'x-gitea-signature': sign('g', gitea) }, gitea, { gitea: 'g' })).toMatchObject({
      kind: 'push',
      provider: 'gitea',
    });
    expect(() => parseWebhook({ 'x-gitea-event': 'push', 'x-gitea-signature': 'bad' }, gitea, { gitea: 'g' })).toThrow(/signature does not match/);

    const bitbucket = body({
      repository: { links: { html: { href: 'https://bitbucket.org/team/repo' } }, mainbranch: { name: 'main' } },
      push: { changes: [{ new: { name: 'main' } }] },
    });
    expect(parseWebhook({ 'x-event-key': 'repo:push', 'x-hook-uuid': 'uuid-1' }, bitbucket, { bitbucket: 'uuid-1' })).toMatchObject({
      kind: 'push',
      revision: 'main',
      touchedHead: true,
    });
    expect(() => parseWebhook({ 'x-event-key': 'repo:push', 'x-hook-uuid': 'other' }, bitbucket, { bitbucket: 'uuid-1' })).toThrow(WebhookError);
  });

  it('answers 400 for unknown events and broken payloads', () => {
    expect(() => parseWebhook({}, githubPush, {})).toThrow(/Unknown webhook event/);
    expect(() => parseWebhook({ 'x-github-event': 'push' }, Buffer.from('{nope'), {})).toThrow(/not valid JSON/);
  });

  it('reads pull request events for the PR generator', () => {
    const pr = body({ action: 'opened', repository: { name: 'Repo', owner: { login: 'Org' }, url: 'https://api.github.com/repos/Org/Repo' } });
    expect(parseWebhook({ 'x-github-event': 'pull_request' }, pr, {})).toEqual({
      kind: 'pullRequest',
      provider: 'github',
      owner: 'Org',
      repo: 'Repo',
      apiHostname: 'api.github.com',
    });
    const edited = body({ action: 'edited', repository: { name: 'r', owner: { login: 'o' } } });
    expect(parseWebhook({ 'x-github-event': 'pull_request' }, edited, {}).kind).toBe('ignored');
  });
});

/** The refusal a call ends in: its status and message. */
function refusal(call: () => unknown): { status: number; message: string } {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookError);
    return { status: (error as WebhookError).status, message: (error as Error).message };
  }
  throw new Error('the webhook was accepted');
}

describe('webhook verification, provider by provider', () => {
  const push = body({ ref: 'refs/heads/main', repository: { html_url: 'https://git.example.com/o/r', default_branch: 'main' } });
  const secrets = { github: 'gh-secret', gitea: 'gitea-secret', gitlab: 'gl-token', bitbucket: 'bb-secret' };

  it("accepts each provider's own proof: HMAC signatures, GitLab's token, Bitbucket Cloud's UUID", () => {
    expect(verifiedProvider({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign('gh-secret', push)}` }, push, secrets)).toBe('github');
    expect(verifiedProvider({ 'x-gitea-event': 'push', 'x-gitea-signature': sign('gitea-secret', push) }, push, secrets)).toBe('gitea');
    expect(verifiedProvider({ 'x-gogs-event': 'push', 'x-gogs-signature': sign('gitea-secret', push) }, push, secrets)).toBe('gitea');
    expect(verifiedProvider({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'gl-token' }, push, secrets)).toBe('gitlab');
    expect(verifiedProvider({ 'x-event-key': 'repo:push', 'x-hook-uuid': 'bb-secret' }, push, secrets)).toBe('bitbucket');
    expect(verifiedProvider({ 'x-event-key': 'repo:refs_changed', 'x-hub-signature': `sha256=${sign('bb-secret', push)}` }, push, secrets)).toBe('bitbucket');
  });

  it('refuses a wrong or missing proof with 401 naming the provider, never the secret', () => {
    const attempts: [Record<string, string>, string][] = [
      [{ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign('guess', push)}` }, 'github webhook signature does not match'],
      [{ 'x-github-event': 'push' }, 'github webhook signature does not match'],
      [{ 'x-gitea-event': 'push', 'x-gitea-signature': sign('guess', push) }, 'gitea webhook signature does not match'],
      [{ 'x-gogs-event': 'push' }, 'gitea webhook signature does not match'],
      [{ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'gl-guess' }, 'gitlab webhook token does not match'],
      [{ 'x-gitlab-event': 'Push Hook' }, 'gitlab webhook token does not match'],
      [{ 'x-event-key': 'repo:push', 'x-hook-uuid': 'bb-guess' }, 'bitbucket webhook signature does not match'],
      [{ 'x-event-key': 'repo:refs_changed', 'x-hub-signature': `sha256=${sign('guess', push)}` }, 'bitbucket webhook signature does not match'],
      [{ 'x-hook-uuid': '{other}' }, 'bitbucket webhook signature does not match'],
    ];
    for (const [headers, message] of attempts) {
      const refused = refusal(() => parseWebhook(headers, push, secrets));
      expect(refused, JSON.stringify(headers)).toEqual({ status: 401, message });
      for (const secret of Object.values(secrets)) expect(refused.message).not.toContain(secret);
    }
  });

  it('accepts an unsigned event from a provider without a secret, as Argo CD does', () => {
    expect(verifiedProvider({ 'x-gitlab-event': 'Push Hook' }, push, { github: 'gh-secret' })).toBe('gitlab');
    expect(parseWebhook({ 'x-github-event': 'push' }, push, { gitlab: 'gl-token' })).toMatchObject({ kind: 'push', provider: 'github' });
  });

  it("does not let an unconfigured provider's header dodge a configured provider's secret", () => {
    const only = { github: 'gh-secret' };
    // Gitea and Gogs come first by Argo CD's precedence; their header alone would have picked them, unconfigured.
    for (const extra of [{ 'x-gitea-event': 'push' }, { 'x-gogs-event': 'push' }]) {
      expect(refusal(() => parseWebhook({ 'x-github-event': 'push', ...extra }, push, only))).toEqual({
        status: 401,
        message: 'github webhook signature does not match',
      });
      expect(
        refusal(() => parseWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign('guess', push)}`, ...extra }, push, only)).status,
      ).toBe(401);
      // Signed with GitHub's secret, the same request is accepted, read as the provider that comes first.
      expect(parseWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign('gh-secret', push)}`, ...extra }, push, only)).toMatchObject({
        kind: 'push',
        provider: 'gitea',
      });
    }
    // GitHub (unconfigured) comes before GitLab (configured): GitLab's token is still needed.
    expect(refusal(() => parseWebhook({ 'x-github-event': 'push', 'x-gitlab-event': 'Push Hook' }, push, { gitlab: 'gl-token' }))).toEqual({
      status: 401,
      message: 'gitlab webhook token does not match',
    });
    // Every configured provider whose header is there must verify, not just one of them.
    const both = { github: 'gh-secret', gitlab: 'gl-token' };
    const headers = { 'x-gitea-event': 'push', 'x-github-event': 'push', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'gl-token' };
    expect(refusal(() => parseWebhook(headers, push, both))).toEqual({ status: 401, message: 'github webhook signature does not match' });
    expect(verifiedProvider({ ...headers, 'x-hub-signature-256': `sha256=${sign('gh-secret', push)}` }, push, both)).toBe('gitea');
  });

  it("checks a genuine Gitea delivery (which carries GitHub's and Gogs' headers too) with Gitea's secret", () => {
    const delivery = {
      'x-gitea-event': 'push',
      'x-gogs-event': 'push',
      'x-github-event': 'push',
      'x-gitea-signature': sign('gitea-secret', push),
      'x-gogs-signature': sign('gitea-secret', push),
      'x-hub-signature-256': `sha256=${sign('gitea-secret', push)}`,
    };
    expect(parseWebhook(delivery, push, secrets)).toMatchObject({ kind: 'push', provider: 'gitea', revision: 'main' });
    expect(refusal(() => parseWebhook({ ...delivery, 'x-gitea-signature': sign('guess', push) }, push, secrets)).status).toBe(401);
  });
});

describe('Azure DevOps service hooks', () => {
  const secrets = { azuredevops: 'hook:s3cret' };
  const basicAuth = (credentials: string) => ({ 'x-vss-activityid': 'b2c9', authorization: `Basic ${Buffer.from(credentials).toString('base64')}` });
  const repository = {
    name: 'myrepository',
    remoteUrl: 'https://myorg@dev.azure.com/myorg/myproject/_git/myrepository',
    defaultBranch: 'refs/heads/main',
    project: { name: 'myproject' },
  };
  const push = (ref: string) => body({ eventType: 'git.push', resource: { refUpdates: [{ name: ref }], repository } });
  const pullRequest = (eventType: string, name = 'myrepository') => body({ eventType, resource: { pullRequestId: 1, repository: { ...repository, name } } });
  const withPullRequests = (project: string, repo: string): ApplicationSet => ({
    ...appSetWithGit('x', 'main'),
    spec: {
      generators: [{ pullRequest: { azuredevops: { organization: 'myorg', project, repo } } }],
      template: { metadata: {}, spec: { project: 'default', destination: {} } },
    },
  });

  it('checks the Basic auth the service hook sends: 401 naming the provider, never the password', () => {
    for (const headers of [basicAuth('hook:guess'), { 'x-vss-activityid': 'b2c9' }]) {
      const refused = refusal(() => parseWebhook(headers, push('refs/heads/main'), secrets));
      expect(refused).toEqual({ status: 401, message: 'azuredevops webhook basic auth verification failed' });
    }
    expect(verifiedProvider(basicAuth('hook:s3cret'), push('refs/heads/main'), secrets)).toBe('azuredevops');
  });

  it('refreshes Git generators on a push, HEAD ones only when the default branch moved', () => {
    const main = parseWebhook(basicAuth('hook:s3cret'), push('refs/heads/main'), secrets);
    expect(main).toMatchObject({ kind: 'push', provider: 'azuredevops', revision: 'main', touchedHead: true });
    expect(isAffectedBy(appSetWithGit('https://dev.azure.com/myorg/myproject/_git/myrepository', 'HEAD'), main)).toBe(true);
    const feature = parseWebhook(basicAuth('hook:s3cret'), push('refs/heads/feature/x'), secrets);
    expect(feature).toMatchObject({ revision: 'feature/x', touchedHead: false });
    expect(isAffectedBy(appSetWithGit('https://dev.azure.com/myorg/myproject/_git/myrepository', 'HEAD'), feature)).toBe(false);
    expect(isAffectedBy(appSetWithGit('https://dev.azure.com/myorg/myproject/_git/myrepository', 'feature/x'), feature)).toBe(true);
  });

  it("refreshes the Azure DevOps pull request generators of the event's project and repository on created, updated and merged", () => {
    for (const eventType of ['git.pullrequest.created', 'git.pullrequest.updated', 'git.pullrequest.merged']) {
      const event = parseWebhook(basicAuth('hook:s3cret'), pullRequest(eventType), secrets);
      expect(event).toEqual({ kind: 'pullRequest', provider: 'azuredevops', project: 'myproject', repo: 'myrepository' });
      expect(isAffectedBy(withPullRequests('myproject', 'myrepository'), event)).toBe(true);
      expect(isAffectedBy(withPullRequests('myproject', 'other'), event)).toBe(false);
      expect(isAffectedBy(withPullRequests('Myproject', 'myrepository'), event)).toBe(false);
    }
    const comment = parseWebhook(basicAuth('hook:s3cret'), pullRequest('ms.vss-code.git-pullrequest-comment-event'), secrets);
    expect(comment.kind).toBe('ignored');
    expect(isAffectedBy(withPullRequests('myproject', 'myrepository'), comment)).toBe(false);
  });
});

describe('isAffectedBy', () => {
  const push = parseWebhook({ 'x-github-event': 'push' }, githubPush, {});

  it('matches the repository however its URL is written', () => {
    const pattern = webURLRegexp('https://github.com/org/repo');
    for (const url of [
      'https://github.com/org/repo',
      'https://github.com/org/repo.git',
      'git@github.com:org/repo.git',
      'ssh://git@github.com/org/repo',
      'HTTPS://GITHUB.COM/ORG/REPO',
    ]) {
      expect(pattern.test(url), url).toBe(true);
    }
    expect(pattern.test('https://github.com/org/repo-other')).toBe(false);
  });

  it('judges a malformed ApplicationSet or payload without throwing (a tenant must not break webhooks for everyone)', () => {
    const pr = parseWebhook(
      { 'x-github-event': 'pull_request' },
      body({ action: 'opened', repository: { name: 'r', owner: { login: 'o' }, url: 'not a url' } }),
      {},
    );
    expect(pr).toMatchObject({ kind: 'pullRequest', apiHostname: '' });
    const badApi = {
      ...appSetWithGit('x', 'main'),
      spec: {
        generators: [{ pullRequest: { github: { owner: 'o', repo: 'r', api: '::' } } }],
        template: { metadata: {}, spec: { project: 'default', destination: {} } },
      },
    } as ApplicationSet;
    expect(isAffectedBy(badApi, pr)).toBe(false);
    const noRepo = {
      ...appSetWithGit('x', 'main'),
      spec: { generators: [{ git: { revision: 7 } }, { matrix: { generators: 5 } }], template: {} },
    } as unknown as ApplicationSet;
    expect(isAffectedBy(noRepo, push)).toBe(true);
  });

  it('refreshes Git generators on the pushed branch, or on HEAD when the default branch moved', () => {
    expect(isAffectedBy(appSetWithGit('https://github.com/org/repo.git', 'main'), push)).toBe(true);
    expect(isAffectedBy(appSetWithGit('git@github.com:org/repo.git', 'HEAD'), push)).toBe(true);
    expect(isAffectedBy(appSetWithGit('https://github.com/org/repo', 'release'), push)).toBe(false);
    expect(isAffectedBy(appSetWithGit('https://github.com/org/other', 'main'), push)).toBe(false);
    expect(isAffectedBy(appSetWithGit('https://github.com/org/repo', 'main', true), push)).toBe(true);
  });

  it("refreshes Plugin generators on any push or pull request event, where Argo CD's webhook looks for them", () => {
    const plugin = { plugin: { configMapRef: { name: 'my-plugin' } } };
    const list = { list: { elements: [] } };
    const withGenerators = (generators: unknown[]) =>
      ({ ...appSetWithGit('x', 'main'), spec: { generators, template: { metadata: {}, spec: { project: 'default', destination: {} } } } }) as ApplicationSet;
    const otherRepoPush = parseWebhook({ 'x-github-event': 'push' }, body({ ref: 'refs/heads/dev', repository: { html_url: 'https://github.com/a/b' } }), {});
    const pr = parseWebhook({ 'x-github-event': 'pull_request' }, body({ action: 'opened', repository: { name: 'r', owner: { login: 'o' } } }), {});
    const ignored = parseWebhook({ 'x-github-event': 'pull_request' }, body({ action: 'assigned', repository: { name: 'r' } }), {});
    expect(isAffectedBy(withGenerators([plugin]), otherRepoPush)).toBe(true);
    expect(isAffectedBy(withGenerators([plugin]), pr)).toBe(true);
    expect(isAffectedBy(withGenerators([plugin]), ignored)).toBe(false);
    expect(isAffectedBy(withGenerators([{ matrix: { generators: [list, plugin] } }]), pr)).toBe(true);
    expect(isAffectedBy(withGenerators([{ matrix: { generators: [{ matrix: { generators: [list, plugin] } }, list] } }]), pr)).toBe(true);
    // Argo CD does not look for a plugin as a matrix's first child or under merge.
    expect(isAffectedBy(withGenerators([{ matrix: { generators: [plugin, list] } }]), pr)).toBe(false);
    expect(isAffectedBy(withGenerators([{ merge: { mergeKeys: ['a'], generators: [list, plugin] } }]), otherRepoPush)).toBe(false);
  });
});
