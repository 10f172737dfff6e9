import { Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { controlRollout, isRolloutAction, pastTense, ROLLOUT_ACTIONS } from '../appset/rollout-control.js';
import { ObjectClient } from '../kube/object-client.js';
import { AccessGuard, RequireAccess } from './access.guard.js';
import { ApplicationSetView, type ApplicationSetDetail, type ApplicationSetSummary } from './application-set-view.js';
import { httpProblem, notFound } from './http-problem.js';

export interface RolloutActionResult {
  applicationSet: string;
  action: string;
  message: string;
}

/** Pause, resume or abort, for the API and the dashboard's buttons alike: 400 for an unknown action, 404 for no such ApplicationSet. */
export async function runRolloutAction(client: ObjectClient, namespace: string, name: string, action: string): Promise<RolloutActionResult> {
  if (!isRolloutAction(action)) {
    throw httpProblem(400, `rollout action "${action}" is not one of ${ROLLOUT_ACTIONS.join(', ')}`);
  }
  if (!(await controlRollout(client, namespace, name, action))) throw notFound(namespace, name);
  return { applicationSet: `${namespace}/${name}`, action, message: `ApplicationSet ${namespace}/${name}: rollout ${pastTense(action)}` };
}

/** ApplicationSets with their conditions, Applications and rollout, and the rollout actions. */
@Controller('api/v1/namespaces/:namespace/applicationsets')
@UseGuards(AccessGuard)
export class ApplicationSetsController {
  constructor(
    @Inject(ApplicationSetView) private readonly view: ApplicationSetView,
    @Inject(ObjectClient) private readonly client: ObjectClient,
  ) {}

  @Get()
  @RequireAccess({ verb: 'get', namespace: 'param' })
  async list(@Param('namespace') namespace: string): Promise<{ items: ApplicationSetSummary[] }> {
    return { items: await this.view.list(namespace) };
  }

  @Get(':name')
  @RequireAccess({ verb: 'get', namespace: 'param', named: true })
  async get(@Param('namespace') namespace: string, @Param('name') name: string): Promise<ApplicationSetDetail> {
    const detail = await this.view.get(namespace, name);
    if (!detail) throw notFound(namespace, name);
    return detail;
  }

  /** What `regatta rollout pause|resume|abort` does: the control annotation the controller acts on. */
  @Post(':name/rollout/:action')
  @HttpCode(200)
  @RequireAccess({ verb: 'patch', namespace: 'param', named: true })
  control(@Param('namespace') namespace: string, @Param('name') name: string, @Param('action') action: string): Promise<RolloutActionResult> {
    return runRolloutAction(this.client, namespace, name, action);
  }
}
