import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ApiServerModule } from './api-server.module.js';
import type { ApiServerOptions } from './api-server-options.js';
import type { ClusterShards } from './cluster-shards.js';

export interface RunningApiServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/**
 * The API and dashboard on their own, for a process without the controller's Nest app (the demo,
 * tests), which therefore says who owns each cluster; open event streams are cut on close.
 */
export async function startApiServer(options: ApiServerOptions & { shards: ClusterShards }, host = '127.0.0.1', port = 0): Promise<RunningApiServer> {
  const app = await NestFactory.create(ApiServerModule.forRoot(options), { logger: false, forceCloseConnections: true });
  await app.listen(port, host);
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  return { url: `http://${host}:${address.port}`, close: () => app.close() };
}
