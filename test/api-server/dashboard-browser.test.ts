/// <reference lib="dom" />
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_USER, startDemoDashboard, type DemoDashboard } from '../../src/demo/demo-dashboard.js';
import { DEMO_APPSET, DemoEnvironment } from '../../src/demo/demo-environment.js';

/**
 * The dashboard in headless Chromium (Debian's chromium, driven by playwright-core) against the
 * demo environment: the simulated fleet, redis-server, Git and the controller rolling out.
 * REGATTA_UPDATE_SCREENSHOTS=1 writes the screenshots to docs/ (rollout-dashboard.png, fleet-dashboard.png).
 */
const CHROMIUM = '/usr/bin/chromium';
let env: DemoEnvironment;
let dashboard: DemoDashboard;
let browser: Browser;
const scratch = mkdtempSync(join(tmpdir(), 'regatta-browser-'));

beforeAll(async () => {
  // Slow enough workloads that the page is open while each step is still moving.
  env = await DemoEnvironment.start({ readyDelayMs: 1200, refreshIntervalMs: 200 });
  dashboard = await startDemoDashboard(env, 0, 250);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await env?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A full-page PNG: under docs/ when asked for, else in a scratch directory. */
async function screenshot(page: Page, name: string): Promise<void> {
  const path = process.env.REGATTA_UPDATE_SCREENSHOTS === '1' ? new URL(`../../docs/${name}`, import.meta.url).pathname : join(scratch, name);
  await page.screenshot({ path, fullPage: true });
  expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
}

const ROLLOUT_PAGE = `/dashboard/namespaces/argocd/applicationsets/${DEMO_APPSET}`;

/** Logs in as the demo does it: the login form, with a one-time code, then on to `next`. */
async function logIn(page: Page, next: string): Promise<void> {
  await page.goto(`${dashboard.loginUrl}?next=${encodeURIComponent(next)}`);
  await page.fill('#code', dashboard.loginCode());
  await page.click('button[type=submit]');
  await page.waitForURL((url) => url.pathname === next);
}

describe('rollout dashboard in Chromium', () => {
  it('logs in with a one-time code, shows the steps live as the rollout advances, and pauses and resumes with its buttons', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await logIn(page, ROLLOUT_PAGE);

    // The code became an HttpOnly session cookie; the token is in neither the URL nor the page.
    const cookie = (await context.cookies()).find((c) => c.name === 'regatta_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false });
    expect(cookie.value).not.toContain(dashboard.token);
    expect(page.url()).not.toContain(dashboard.token);
    expect(await page.content()).not.toContain(dashboard.token);
    await expect(page.locator('header .user').textContent()).resolves.toBe(DASHBOARD_USER);

    // Both steps, with their selectors, before the rollout is done.
    await page.waitForSelector('[data-step="2"]', { timeout: 20_000 });
    expect(await page.locator('[data-step] h3').allTextContents()).toEqual(['Step 1', 'Step 2']);
    expect(await page.locator('[data-step="2"] header').textContent()).toContain('env In production · maxUpdate 25%');
    expect(await page.locator('[data-step="2"] [data-app]').count()).toBe(9);
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    const healthy = (step: number) => page.locator(`[data-step="${step}"] [data-app][data-state="Healthy"]`).count();
    expect(await healthy(2)).toBe(0);

    // Server-sent events move Applications through the states without a reload: staging first, then production.
    await page.waitForFunction(() => document.querySelectorAll('[data-step="1"] [data-state="Healthy"]').length === 3, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll('[data-step="2"] [data-state="Healthy"]').length >= 2, undefined, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.locator('[data-step="1"] [data-count="Healthy"]').textContent()).toBe('3 Healthy');

    // Paused with the page's button while production is still rolling out: the page says so, and why.
    await page.click('button[data-action="pause"]');
    await page.waitForURL((url) => url.pathname === ROLLOUT_PAGE);
    expect((await env.appSet())?.metadata.annotations?.['rollout.regatta.dev/control']).toBe('pause');
    await page.waitForSelector('#rollout-phase[data-phase="Paused"]', { timeout: 20_000 });
    expect(await page.locator('#rollout-phase').textContent()).toContain('paused by the rollout.regatta.dev/control annotation');
    const waiting = await page.locator('[data-step="2"] [data-state="Waiting"]').count();
    expect(waiting).toBeGreaterThan(0);

    await screenshot(page, 'rollout-dashboard.png');

    // Resumed, it runs to the end on the same page.
    await page.click('button[data-action="resume"]');
    await page.waitForURL((url) => url.pathname === ROLLOUT_PAGE);
    await page.waitForSelector('#rollout-phase[data-phase="Completed"]', { timeout: 45_000 });
    expect(await healthy(2)).toBe(9);
    await context.close();
  });

  it('sends a browser without a session to the login form, and refuses a bad token and a used code there', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${dashboard.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.fill('#token', 'sim-not-a-token');
    await page.click('button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('not accepted by the management cluster');
    // A code logs one browser in; the same code in another browser is refused.
    const code = dashboard.loginCode();
    await page.fill('#code', code);
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.pathname === '/dashboard');
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto(dashboard.loginUrl);
    await otherPage.fill('#code', code);
    await otherPage.click('button[type=submit]');
    await expect(otherPage.locator('[role=alert]').textContent()).resolves.toBe('The login code is unknown, expired or already used.');
    expect(await other.cookies()).not.toContainEqual(expect.objectContaining({ name: 'regatta_session' }));
    await other.close();
    // The fleet page: clusters by shard and by label, and the ApplicationSet.
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    expect(await page.locator('[data-shard] .cluster').count()).toBe(12);
    expect(await page.locator('[data-label-value] h3').allTextContents()).toEqual(['env=production · 9 clusters', 'env=staging · 3 clusters']);
    expect(await page.locator(`[data-appset="${DEMO_APPSET}"]`).count()).toBe(1);
    await screenshot(page, 'fleet-dashboard.png');
    await context.close();
  });

  it('stops the live updates once RBAC no longer lets the user read the ApplicationSet', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await logIn(page, ROLLOUT_PAGE);
    await page.waitForSelector('#live.on', { timeout: 10_000 });
    await env.client.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'regatta-dashboard', namespace: 'argocd' } });
    await page.waitForFunction(() => document.getElementById('live')?.textContent === 'stopped: reload to log in again', undefined, { timeout: 20_000 });
    await page.reload();
    await expect(page.locator('[role=alert]').textContent()).resolves.toBe(
      `user "${DASHBOARD_USER}" may not get applicationsets.argoproj.io "${DEMO_APPSET}" in namespace "argocd"`,
    );
    await context.close();
  });
});
