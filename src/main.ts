import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { createControllerApp } from './app/app.module.js';
import { ConfigError, loadAppConfig } from './config/app-config.js';
import { currentNamespace, identifyClientsAs, loadKubeConfig } from './kube/kube-config.js';
import { createLogger } from './observability/logger.js';

const logger = createLogger('regatta');
try {
  const bootstrapConfig = loadAppConfig(process.argv.slice(2), process.env);
  const kubeConfig = loadKubeConfig({ kubeconfig: bootstrapConfig.kubeconfig, context: bootstrapConfig.context });
  const config = loadAppConfig(process.argv.slice(2), process.env, currentNamespace(kubeConfig) ?? 'argocd');
  // Read by V8 each time it sets the next full collection's threshold, so it holds from here on.
  if (config.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  identifyClientsAs(config.identity);
  const app = await createControllerApp({ config, kubeConfig, logger });
  app.enableShutdownHooks();
  // Nest stops every part on SIGTERM; a part stuck on a vanished Redis or API server must not keep the pod (or a bench's replica) alive.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () =>
      setTimeout(() => {
        logger.warn('shutdown did not finish in time; exiting', { timeoutSeconds: config.shutdownTimeoutSeconds });
        process.exit(1);
      }, config.shutdownTimeoutSeconds * 1000).unref(),
    );
  }
  // Started with an IPC channel (the demo, the benches, the tests): stop when the process that started this one is gone.
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  await app.listen(config.port, config.bindAddress);
  logger.info('listening', { port: config.port, namespace: config.namespace });
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`regatta: ${error.message}\n`);
    process.exit(2);
  }
  logger.error('start-up failed', { error: (error as Error).message });
  process.exit(1);
}
