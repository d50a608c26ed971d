import { JunctionError, describeError } from '../../core/errors';

/** A retryable JCT_BROKER_UNAVAILABLE with a message a person can act on (never a URL or secret). */
export function brokerUnavailable(message: string, cause?: unknown, details?: Record<string, string>): JunctionError {
  return new JunctionError('JCT_BROKER_UNAVAILABLE', message, {
    ...(cause === undefined ? {} : { cause }),
    ...(details === undefined ? {} : { details }),
  });
}

/** The AMQP reply code amqplib puts on channel and connection errors (404, 406, 541, ...), if any. */
export function amqpReplyCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** A one-line description of an amqplib error for messages and logs (amqplib never puts credentials in them). */
export function describeAmqpError(error: unknown): string {
  return describeError(error).replace(/\s+/g, ' ');
}
