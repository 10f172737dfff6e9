import { Body, Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import type { KubeObject } from '../api/meta.js';
import type { ReviewedUser } from '../kube/access-reviews.js';
import { AccessGuard, RequireAccess } from './access.guard.js';
import { DryRunGeneration, type DryRunResult } from './dry-run-generation.js';
import { httpProblem } from './http-problem.js';

/**
 * A dry run of the generators for a posted ApplicationSet (`argocd appset generate`); writes
 * nothing, and reads a Secret only when the caller may get it.
 */
@Controller('api/v1/generate')
@UseGuards(AccessGuard)
export class GenerateController {
  constructor(@Inject(DryRunGeneration) private readonly generation: DryRunGeneration) {}

  // As Argo CD's `appset generate`: previewing what an ApplicationSet creates needs `create applicationsets`.
  @Post()
  @HttpCode(200)
  @RequireAccess({ verb: 'create', namespace: 'body' })
  async generate(@Body() body: KubeObject, @Req() request: { user: ReviewedUser }): Promise<DryRunResult> {
    if (typeof body !== 'object' || body === null || body.kind !== 'ApplicationSet') {
      throw httpProblem(400, 'the request body must be an ApplicationSet (JSON, kind: ApplicationSet)');
    }
    const result = await this.generation.generate(body, request.user);
    if (result.errors.length) throw httpProblem(422, result.errors.join('; '), { ...result });
    return result;
  }
}
