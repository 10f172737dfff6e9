import { Body, Controller, HttpCode, HttpException, Inject, Post, UseGuards } from '@nestjs/common';
import type { KubeObject } from '../api/meta.js';
import { AccessGuard, RequireAccess } from './access.guard.js';
import { DryRunGeneration, type DryRunResult } from './dry-run-generation.js';

/** A dry run of the generators for a posted ApplicationSet (`argocd appset generate`); writes nothing. */
@Controller('api/v1/generate')
@UseGuards(AccessGuard)
export class GenerateController {
  constructor(@Inject(DryRunGeneration) private readonly generation: DryRunGeneration) {}

  // As Argo CD's `appset generate`: previewing what an ApplicationSet creates needs `create applicationsets`.
  @Post()
  @HttpCode(200)
  @RequireAccess({ verb: 'create', resource: 'applicationsets', namespace: 'body' })
  async generate(@Body() body: KubeObject): Promise<DryRunResult> {
    if (typeof body !== 'object' || body === null || body.kind !== 'ApplicationSet') {
      throw new HttpException({ statusCode: 400, error: 'Bad Request', message: 'the request body must be an ApplicationSet (JSON, kind: ApplicationSet)' }, 400);
    }
    const result = await this.generation.generate(body);
    if (result.errors.length) throw new HttpException({ statusCode: 422, error: 'Unprocessable Entity', message: result.errors.join('; '), ...result }, 422);
    return result;
  }
}
