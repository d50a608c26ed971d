import type { Response } from 'express';
import { ERROR_CATALOGUE, type ErrorCode } from '../../core/error-catalogue';
import type { JunctionError } from '../../core/errors';

/** RFC 9457 problem details as Junction sends them; `code` is the stable JCT_ code. */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly messageId?: string;
  readonly violations?: readonly { path: string; message: string }[];
  /** More about the refusal, for the codes in {@link DETAILED_CODES}. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * The codes whose `details` are part of the answer, each documented in docs/errors.md: plain
 * values about the caller's own request (a role, a refusal's reason, a job's status, a message id).
 * Other errors keep their details to the log: those of endpoint, store and bus failures name
 * internal hosts, WSDL files, queues, driver codes and backend fault texts, which can reach a REST
 * caller (a synchronous route answers with its delivery's failure).
 */
export const DETAILED_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['JCT_ADMIN_FORBIDDEN', 'JCT_REPLAY_REFUSED', 'JCT_REPLAY_JOB_CONFLICT']);

/** The problem document for an error: its catalogue title and status, never a stack trace. */
export function toProblem(error: JunctionError, instance?: string, requestId?: string): ProblemDocument {
  const { messageId, ...details } = error.details;
  return {
    type: `urn:junction:error:${error.code}`,
    title: ERROR_CATALOGUE[error.code].title,
    status: error.httpStatus,
    detail: error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
    ...(requestId ? { requestId } : {}),
    ...(typeof messageId === 'string' ? { messageId } : {}),
    ...(error.violations.length > 0 ? { violations: error.violations } : {}),
    ...(DETAILED_CODES.has(error.code) && Object.keys(details).length > 0 ? { details } : {}),
  };
}

/** The HTTP Basic challenge of the gateways (`security.auth.httpBasic`). */
export const BASIC_CHALLENGE = 'Basic realm="junction", charset="UTF-8"';

/** Sends `error` as `application/problem+json` with its HTTP status. */
export function sendProblem(res: Response, error: JunctionError, requestId?: string): void {
  const problem = toProblem(error, res.req.originalUrl, requestId);
  if (error.httpStatus === 503) res.setHeader('Retry-After', '5');
  // The gateways' challenge, unless the router that refused (the admin API) named its own realm.
  if (error.httpStatus === 401 && !res.hasHeader('WWW-Authenticate')) {
    res.setHeader('WWW-Authenticate', res.locals.basicChallenge === true ? `${BASIC_CHALLENGE}, Bearer, ApiKey` : 'Bearer, ApiKey');
  }
  res.status(error.httpStatus).type('application/problem+json').send(JSON.stringify(problem));
}
