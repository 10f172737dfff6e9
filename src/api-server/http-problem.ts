import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** An error answer in the API's one shape: `{"statusCode","error","message"}` plus any details. */
export function httpProblem(status: number, message: string, details: Record<string, unknown> = {}): HttpException {
  return new HttpException({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, ...details }, status);
}

export function notFound(namespace: string, name: string): HttpException {
  return httpProblem(404, `ApplicationSet ${namespace}/${name} not found`);
}
