import { JunctionError } from '../../core/errors';

/** Parses an amqp:// or amqps:// URL; the error never repeats the URL (it may hold a password). */
export function parseAmqpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new JunctionError('JCT_CONFIG_INVALID', 'The RabbitMQ URL is not a valid URL (expected amqp://user:password@host:port/vhost).');
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new JunctionError('JCT_CONFIG_INVALID', `The RabbitMQ URL must start with amqp:// or amqps:// (got ${parsed.protocol}//).`);
  }
  return parsed;
}

/** The URL with the password replaced by `***`: the only form of it that may be logged or shown. */
export function redactAmqpUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') copy.password = '***';
  return copy.href;
}

/** The URL amqplib connects to: with `heartbeat` set unless the URL already chooses one. */
export function connectionUrl(url: URL, heartbeatSeconds: number): string {
  const copy = new URL(url.href);
  if (!copy.searchParams.has('heartbeat')) copy.searchParams.set('heartbeat', String(heartbeatSeconds));
  return copy.href;
}
