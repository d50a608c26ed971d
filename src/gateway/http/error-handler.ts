import type { NextFunction, Request, Response } from 'express';
import { describeError, JunctionError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { maskJunctionError } from '../../security/masking/mask-error';
import type { Masker } from '../../security/masking/masker';
import { sendProblem } from './problem';
import { drainRefusedBody } from './refused-body';
import { requestIdOf } from './request-id';

/** body-parser's error types, mapped to what the caller should hear. */
function fromBodyParser(error: { type?: unknown; limit?: unknown }): JunctionError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new JunctionError('JCT_REQUEST_TOO_LARGE', `Request body is larger than the limit of ${String(error.limit)} bytes.`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new JunctionError('JCT_REQUEST_MEDIA_TYPE', 'Request body uses an unsupported character set or encoding; send UTF-8.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new JunctionError('JCT_REQUEST_MALFORMED', 'Request body was cut short or its length does not match Content-Length.');
    default:
      return undefined;
  }
}

/**
 * The last express middleware: every error becomes problem+json with a JCT_ code. Unforeseen
 * errors are logged in full here and reach the caller only as JCT_INTERNAL with a request id.
 */
export function errorHandler(logger: Logger, masker?: Masker) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = requestIdOf(res);
    let failure = error instanceof JunctionError ? error : fromBodyParser(error as { type?: unknown });
    if (!failure) {
      logger.error('unhandled error in request', { requestId, method: req.method, path: req.path, error: describeError(error), stack: (error as Error)?.stack });
      failure = new JunctionError('JCT_INTERNAL', `An internal error occurred; quote request id ${requestId ?? '(none)'} to your Junction operator.`);
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (masker) {
      // An error may quote the caller's own sensitive values back (a card number failing a pattern): mask them.
      const body: unknown = req.body;
      failure = maskJunctionError(failure, masker, typeof body === 'string' ? masker.sensitiveValues(body, req.header('content-type') ?? '') : []);
    }
    if (failure.httpStatus === 401 || failure.httpStatus === 403) {
      logger.info('request refused', { requestId, method: req.method, path: req.path, code: failure.code, reason: failure.message });
    }
    // A body refused unread (too large, no credentials): lingering close, so the caller reads the answer.
    drainRefusedBody(req, res);
    sendProblem(res, failure, requestId);
  };
}

/**
 * Answers 404 problem+json on a `--role worker` process for the paths only gateways serve (REST
 * API, admin API, console), saying where they are: a worker's port serves only the probes.
 */
export function servedByGateways(req: Request, res: Response): void {
  const path = req.originalUrl.split('?')[0];
  sendProblem(res, new JunctionError('JCT_NOT_FOUND', `Nothing is served at ${req.method} ${path} here: this process runs with --role worker, `
    + 'which serves only /healthz, /readyz and /metrics. The REST and SOAP gateways, the admin API and the console are on the processes '
    + 'with role gateway or all.'), requestIdOf(res));
}

/** Answers 404 problem+json for anything no router took. */
export function notFound(req: Request, res: Response): void {
  sendProblem(res, new JunctionError('JCT_NOT_FOUND', `Nothing is served at ${req.method} ${req.path}.`), requestIdOf(res));
}
