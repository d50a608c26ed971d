/**
 * Header names Junction sends downstream with every delivery, so a backend can recognise a
 * message it has already applied. Lower-case: HTTP header names are case-insensitive.
 */
export const MESSAGE_ID_HEADER = 'x-junction-message-id';
/** Correlation id: the caller's, or the first message's id. */
export const CORRELATION_ID_HEADER = 'x-junction-correlation-id';
/** Delivery attempt number, starting at 1. */
export const ATTEMPT_HEADER = 'x-junction-attempt';

/**
 * Envelope header (internal, never sent downstream): ISO time after which the caller of a
 * request-reply message no longer waits. A worker that picks the message up later does not
 * deliver it (see docs/request-reply.md).
 */
export const DEADLINE_HEADER = 'junction-deadline';
