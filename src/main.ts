import 'reflect-metadata';
import { ConfigError, loadAppConfig } from './app-config.js';
import { createControllerApp } from './app.module.js';
import { ControllerContext } from './appset/controller-context.js';
import { currentNamespace, identifyClientsAs, loadKubeConfig } from './kube/kube-config.js';
import { createLogger } from './observability/logger.js';

const logger = createLogger('regatta');
try {
  const bootstrapConfig = loadAppConfig(process.argv.slice(2), process.env);
  const kubeConfig = loadKubeConfig({ kubeconfig: bootstrapConfig.kubeconfig, context: bootstrapConfig.context });
  const config = loadAppConfig(process.argv.slice(2), process.env, currentNamespace(kubeConfig) ?? 'argocd');
  identifyClientsAs(config.identity);
  const context = new ControllerContext(kubeConfig, config, logger);
  const app = await createControllerApp({ config, kubeConfig, context, logger });
  app.enableShutdownHooks();
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
