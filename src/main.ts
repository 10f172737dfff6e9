import 'reflect-metadata';
import { createControllerApp } from './app/app.module.js';
import { ConfigError, loadAppConfig } from './config/app-config.js';
import { currentNamespace, identifyClientsAs, loadKubeConfig } from './kube/kube-config.js';
import { createLogger } from './observability/logger.js';

const logger = createLogger('regatta');
try {
  const bootstrapConfig = loadAppConfig(process.argv.slice(2), process.env);
  const kubeConfig = loadKubeConfig({ kubeconfig: bootstrapConfig.kubeconfig, context: bootstrapConfig.context });
  const config = loadAppConfig(process.argv.slice(2), process.env, currentNamespace(kubeConfig) ?? 'argocd');
  identifyClientsAs(config.identity);
  const app = await createControllerApp({ config, kubeConfig, logger });
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
