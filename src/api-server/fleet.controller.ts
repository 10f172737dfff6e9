import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { AccessGuard, RequireAccess } from './access.guard.js';
import { FleetView, type FleetCluster } from './fleet-view.js';

/** The fleet: clusters from cluster Secrets, their shard and connection state. */
@Controller('api/v1/clusters')
@UseGuards(AccessGuard)
export class FleetController {
  constructor(@Inject(FleetView) private readonly fleet: FleetView) {}

  // Seeing the fleet is seeing where ApplicationSets deploy: `get applicationsets` in Argo CD's namespace.
  @Get()
  @RequireAccess({ verb: 'get', namespace: 'argocd' })
  async list(): Promise<{ items: FleetCluster[] }> {
    return { items: await this.fleet.clusters() };
  }
}
