/**
 * Header names Junction sends downstream with every delivery, so a backend can recognise a
 * message it has already applied. Lower-case: HTTP header names are case-insensitive.
 */
export const MESSAGE_ID_HEADER = 'x-junction-message-id';
/** Correlation id: the caller's, or the first message's id. */
export const CORRELATION_ID_HEADER = 'x-junction-correlation-id';
/** Delivery attempt number, starting at 1. */
export const ATTEMPT_HEADER = 'x-junction-attempt';
