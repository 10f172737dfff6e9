const SSH_URL = /^(ssh:\/\/)?([^/:]*?)@[^@]+$/;

/**
 * Argo CD's git.NormalizeGitURL, which sourceRepos entries and repoURLs are compared through:
 * lower case, scp-style `git@host:org/repo` read as `host/org/repo` after the user, no `.git`
 * suffix, no `ssh://` scheme. (Argo CD also re-serialises the URL through Go's net/url, which
 * escapes characters such as `{`; Regatta leaves them as written.)
 */
export function normalizeGitURL(repo: string): string {
  let url = repo.trim().toLowerCase();
  if (SSH_URL.test(url) && !url.startsWith('ssh://')) url = `ssh://${url.replace(':', '/')}`;
  if (url.endsWith('.git')) url = url.slice(0, -'.git'.length);
  return url.startsWith('ssh://') ? url.slice('ssh://'.length) : url;
}
