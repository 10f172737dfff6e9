import { Controller, HttpCode, HttpException, Inject, Post, Req } from '@nestjs/common';
import { LOGGER, type Logger } from '../observability/logger.js';
import { ApplicationSetController } from './applicationset-controller.js';
import type { WebhookRequest } from './webhook-body.js';
import { isAffectedBy, parseWebhook, WebhookError, type WebhookSecrets } from './webhook-events.js';

/** The Nest token of the webhook secrets per provider. */
export const WEBHOOK_SECRETS = Symbol('WEBHOOK_SECRETS');

/**
 * Git provider webhooks: a push or pull-request event refreshes only the ApplicationSets it can
 * affect. The body was read (and bounded) by webhookBodyReader; a refused one refreshes nothing.
 */
@Controller('api/webhook')
export class WebhookController {
  constructor(
    @Inject(ApplicationSetController) private readonly controller: ApplicationSetController,
    @Inject(WEBHOOK_SECRETS) private readonly secrets: WebhookSecrets,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post()
  @HttpCode(200)
  receive(@Req() request: WebhookRequest): { refreshed: number } {
    let event;
    try {
      event = parseWebhook(request.headers, request.rawBody ?? Buffer.alloc(0), this.secrets);
    } catch (error) {
      if (error instanceof WebhookError) {
        this.logger.warn('webhook rejected', { status: error.status, reason: error.message });
        throw new HttpException(error.message, error.status);
      }
      throw error;
    }
    if (event.kind === 'ignored') return { refreshed: 0 };
    const refreshed = this.controller.refresh((appSet) => isAffectedBy(appSet, event));
    if (event.kind === 'push') this.controller.pushed();
    this.logger.info('webhook received', { kind: event.kind, refreshed });
    return { refreshed };
  }
}
