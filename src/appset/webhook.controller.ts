import { Controller, HttpCode, HttpException, Inject, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { AppConfig } from '../app-config.js';
import type { Logger } from '../observability/logger.js';
import { APP_CONFIG, GENERATOR_CONTEXT, LOGGER } from '../tokens.js';
import type { ControllerContext } from './controller-context.js';
import { ApplicationSetController } from './applicationset-controller.js';
import { isAffectedBy, parseWebhook, WebhookError } from './webhook-events.js';

/** Git provider webhooks: a push or pull-request event refreshes only the ApplicationSets it can affect. */
@Controller('api/webhook')
export class WebhookController {
  constructor(
    @Inject(ApplicationSetController) private readonly controller: ApplicationSetController,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GENERATOR_CONTEXT) private readonly context: ControllerContext,
  ) {}

  @Post()
  @HttpCode(200)
  receive(@Req() request: RawBodyRequest<{ headers: Record<string, string | string[] | undefined> }>): { refreshed: number } {
    let event;
    try {
      event = parseWebhook(request.headers, request.rawBody ?? Buffer.alloc(0), this.config.webhookSecrets);
    } catch (error) {
      if (error instanceof WebhookError) {
        this.logger.warn('webhook rejected', { status: error.status, reason: error.message });
        throw new HttpException(error.message, error.status);
      }
      throw error;
    }
    if (event.kind === 'ignored') return { refreshed: 0 };
    this.context.repositories.forgetRefs();
    const refreshed = this.controller.refresh((appSet) => isAffectedBy(appSet, event));
    this.logger.info('webhook received', { kind: event.kind, refreshed });
    return { refreshed };
  }
}
