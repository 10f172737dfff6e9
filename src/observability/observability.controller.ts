import { Controller, Get, Header, HttpException, Inject } from '@nestjs/common';
import { ApplicationSetController } from '../appset/applicationset-controller.js';
import { ControllerMetrics } from './metrics.js';

/** Liveness, readiness and Prometheus metrics. */
@Controller()
export class ObservabilityController {
  constructor(
    @Inject(ControllerMetrics) private readonly metrics: ControllerMetrics,
    @Inject(ApplicationSetController) private readonly controller: ApplicationSetController,
  ) {}

  @Get('healthz')
  healthz(): string {
    return 'ok';
  }

  @Get('readyz')
  readyz(): string {
    if (!this.controller.isReady()) throw new HttpException('informers not synced', 503);
    return 'ok';
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
