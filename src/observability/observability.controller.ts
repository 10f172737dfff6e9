import { Controller, Get, Header, HttpException, Inject } from '@nestjs/common';
import { ControllerMetrics } from './metrics.js';
import { READINESS, type Readiness } from './readiness.js';

/** Liveness, readiness and Prometheus metrics. */
@Controller()
export class ObservabilityController {
  constructor(
    @Inject(ControllerMetrics) private readonly metrics: ControllerMetrics,
    @Inject(READINESS) private readonly readiness: Readiness,
  ) {}

  @Get('healthz')
  healthz(): string {
    return 'ok';
  }

  @Get('readyz')
  readyz(): string {
    if (!this.readiness.isReady()) throw new HttpException('informers not synced', 503);
    return 'ok';
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
