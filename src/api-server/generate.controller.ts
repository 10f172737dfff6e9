import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import type { KubeObject } from '../api/meta.js';
import { AccessGuard, RequireAccess } from './access.guard.js';
import { DryRunGeneration, type DryRunResult } from './dry-run-generation.js';
import { httpProblem } from './http-problem.js';

/** A dry run of the generators for a posted ApplicationSet (`argocd appset generate`); writes nothing. */
@Controller('api/v1/generate')
@UseGuards(AccessGuard)
export class GenerateController {
  constructor(@Inject(DryRunGeneration) private readonly generation: DryRunGeneration) {}

  // As Argo CD's `appset generate`: previewing what an ApplicationSet creates needs `create applicationsets`.
  @Post()
  @HttpCode(200)
  @RequireAccess({ verb: 'create', namespace: 'body' })
  async generate(@Body() body: KubeObject): Promise<DryRunResult> {
    if (typeof body !== 'object' || body === null || body.kind !== 'ApplicationSet') {
      throw httpProblem(400, 'the request body must be an ApplicationSet (JSON, kind: ApplicationSet)');
    }
    const result = await this.generation.generate(body);
    if (result.errors.length) throw httpProblem(422, result.errors.join('; '), { ...result });
    return result;
  }
}
