import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { ApplicationSetDetail, ApplicationSetSummary } from './application-set-view.js';
import { ROLLOUT_STATES } from './application-set-view.js';
import { ROLLOUT_ACTIONS } from '../appset/rollout-control.js';
import type { FleetCluster } from './fleet-view.js';

type Template = Handlebars.TemplateDelegate;
const VIEWS = ['layout', 'login', 'problem', 'fleet', 'application-set', 'application-set-live'] as const;

/** Who a page is shown to, and the CSRF token its forms post (none for a request with a bearer header). */
export interface DashboardViewer {
  username: string;
  csrf?: string;
}

const pairs = (labels: Record<string, string>) => Object.entries(labels).map(([key, value]) => ({ key, value }));
const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
/** Conditions worth a red line: errors and invalid rollout configuration. */
const problemsOf = (summary: ApplicationSetSummary) =>
  summary.conditions.filter((c) => (c.type === 'ErrorOccurred' || c.type === 'InvalidRolloutConfig') && c.status === 'True');

/**
 * The dashboard's server-rendered pages (Handlebars templates in ./views, copied next to the
 * compiled code by `nest build`). Only data the API returns reaches a page; never a token.
 */
export class DashboardPages {
  private readonly templates: Record<(typeof VIEWS)[number], Template>;

  constructor() {
    const handlebars = Handlebars.create();
    handlebars.registerHelper('lower', (text: unknown) => String(text ?? '').toLowerCase());
    handlebars.registerHelper('short', (text: unknown) => String(text ?? '').slice(0, 7));
    this.templates = Object.fromEntries(
      VIEWS.map((view) => [view, handlebars.compile(readFileSync(new URL(`./views/${view}.hbs`, import.meta.url), 'utf8'), { strict: false })]),
    ) as DashboardPages['templates'];
  }

  /** The login form; `csrf` is the token derived from the form's own cookie. */
  login(next: string, csrf: string, error?: string): string {
    return this.page('Log in', undefined, this.templates.login({ next, csrf, error }));
  }

  problem(viewer: DashboardViewer | undefined, status: number, error: string, message: string): string {
    return this.page(error, viewer, this.templates.problem({ status, error, message }));
  }

  /** The fleet grouped by shard and by one label key (`groupBy`, default the first key), and the ApplicationSets. */
  fleet(viewer: DashboardViewer, clusters: FleetCluster[], appSets: ApplicationSetSummary[], groupBy?: string): string {
    const shaped = clusters.map((c) => ({ ...c, labels: pairs(c.labels) }));
    const shards = [...new Set(clusters.map((c) => c.shard ?? 'unassigned'))]
      .sort()
      .map((shard) => ({ shard, clusters: shaped.filter((c) => (c.shard ?? 'unassigned') === shard) }));
    const keys = [...new Set(clusters.flatMap((c) => Object.keys(c.labels)))].sort();
    const key = groupBy && keys.includes(groupBy) ? groupBy : keys[0];
    const values = key ? [...new Set(clusters.map((c) => c.labels[key] ?? '(none)'))].sort() : [];
    return this.page(
      'Fleet',
      viewer,
      this.templates.fleet({
        clusterCount: clusters.length,
        connected: clusters.filter((c) => c.connection.status === 'Successful').length,
        shards,
        labelKeys: keys.map((k) => ({ key: k, selected: k === key })),
        groupBy: key,
        byLabel: values.map((value) => ({ value, clusters: shaped.filter((_, i) => (clusters[i].labels[key!] ?? '(none)') === value) })),
        appSets: [...appSets].sort(byName).map((a) => ({ ...a, problems: problemsOf(a) })),
      }),
    );
  }

  /** The rollout page; with a CSRF token, the buttons that pause, resume or abort the rollout. */
  applicationSet(viewer: DashboardViewer, detail: ApplicationSetDetail): string {
    const actions = detail.rollout && viewer.csrf ? ROLLOUT_ACTIONS.map((action) => ({ action, label: action[0].toUpperCase() + action.slice(1) })) : [];
    return this.page(
      detail.name,
      viewer,
      this.templates['application-set']({ namespace: detail.namespace, name: detail.name, live: this.live(detail), actions, csrf: viewer.csrf }),
    );
  }

  /** The part of the ApplicationSet page that server-sent events replace: rollout steps and Applications. */
  live(detail: ApplicationSetDetail): string {
    const rollout = detail.rollout && {
      ...detail.rollout,
      steps: detail.rollout.steps.map((step) => ({
        ...step,
        current: step.step === detail.rollout!.step && detail.rollout!.phase !== 'Completed',
        bar: ROLLOUT_STATES.map((state) => ({
          state,
          count: step.counts[state],
          percent: step.applications.length ? (100 * step.counts[state]) / step.applications.length : 0,
        }))
          .filter((b) => b.count > 0)
          .reverse(),
      })),
    };
    return this.templates['application-set-live']({
      problems: problemsOf(detail),
      rollout,
      applications: detail.applications.map((a) => ({ ...a, labelList: pairs(a.labels) })),
    });
  }

  private page(title: string, viewer: DashboardViewer | undefined, body: string): string {
    return this.templates.layout({ title, user: viewer?.username, csrf: viewer?.csrf, body });
  }
}
