import compression from 'compression';
import type { RequestHandler } from 'express';

/** `server.compression` as configured. */
export interface CompressionSettings {
  readonly enabled: boolean;
  readonly thresholdBytes: number;
}

/**
 * Answers compressed with gzip or deflate when the caller says it accepts them (`Accept-Encoding`)
 * and the answer is at least `thresholdBytes` long: REST replies, SOAP responses and faults, the
 * admin API's message views (payloads of up to megabytes), `/metrics`. expressjs/compression does
 * the negotiation, `Vary: Accept-Encoding` and skips answers marked `Cache-Control: no-transform`.
 * Callers that send no Accept-Encoding (most SOAP stacks unless told to) get what they got before.
 */
export function responseCompression(settings: CompressionSettings): RequestHandler | undefined {
  return settings.enabled ? compression({ threshold: settings.thresholdBytes }) : undefined;
}
