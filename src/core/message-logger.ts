import type { Envelope } from './envelope';
import type { LogFields, Logger } from './logger';
import { traceIdOf } from './trace-context';

/**
 * The logger for everything said about one message: every line carries its `messageId`,
 * `correlationId`, `routeId` and, when the message carries a W3C trace, `traceId`, so an operator
 * can follow a message (or a whole conversation) through gateways and workers with one search.
 */
export function messageLogger(logger: Logger, message: Envelope, extra: LogFields = {}): Logger {
  return logger.child({
    messageId: message.id,
    correlationId: message.correlationId,
    routeId: message.routeId,
    ...(message.headers.traceparent !== undefined ? { traceId: traceIdOf(message.headers) } : {}),
    ...extra,
  });
}
