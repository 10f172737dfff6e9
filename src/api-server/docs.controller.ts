import { Controller, Get } from '@nestjs/common';
import { OPENAPI_DOCUMENT } from './openapi-document.js';

/** The OpenAPI document; public, like a Kubernetes API server's /openapi/v3. */
@Controller('api/docs')
export class DocsController {
  @Get()
  document(): typeof OPENAPI_DOCUMENT {
    return OPENAPI_DOCUMENT;
  }
}
