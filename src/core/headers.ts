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

/**
 * Envelope header (internal) of a replay "from the failed step": the stage to start at
 * (`step:<name>`, `route`, `step:<endpoint>:<name>` or `deliver:<endpoint>`); the body is that
 * stage's input. See docs/operators.md.
 */
export const RESUME_AT_HEADER = 'junction-resume-at';

/**
 * Envelope header (internal) of a replay: recipients the original already reached, comma-separated.
 * The worker skips them, so a replay never delivers twice to a backend that took the message.
 */
export const SKIP_ENDPOINTS_HEADER = 'junction-skip-endpoints';

/** Envelope header (internal): the message a replay replays (also in the log as `replayOf`). */
export const REPLAY_OF_HEADER = 'junction-replay-of';
