import { silentLogger, type Logger } from '../../core/logger';
import { parseAmqpUrl, redactAmqpUrl } from './amqp-url';

/** Options for AmqpBroker; each default is what production runs with. */
export interface AmqpBrokerOptions {
  /** amqp:// or amqps:// URL with credentials and vhost, e.g. `amqp://junction:secret@mq:5672/%2F`. Never logged as given. */
  readonly url: string;
  /** First part of every exchange and queue name; lets several Junctions share a vhost. Default `junction`. */
  readonly prefix?: string;
  /** AMQP heartbeat in seconds (a dead peer is noticed after about two). Default 15; a `heartbeat` in the URL wins. */
  readonly heartbeatSeconds?: number;
  /** Milliseconds a publish waits for the broker's confirm before it fails as JCT_BROKER_UNAVAILABLE. Default 5000. */
  readonly publishTimeoutMs?: number;
  /** Milliseconds a message waits, still unacked, before it is requeued after its handler failed. Default 1000. */
  readonly requeueDelayMs?: number;
  /** Milliseconds `start()` waits for the TCP connection and AMQP handshake. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** First delay before reconnecting after a lost connection; doubles per failed attempt. Default 100. */
  readonly reconnectMinDelayMs?: number;
  /** Longest delay between reconnection attempts (each delay has jitter: 50-100 % of it). Default 5000. */
  readonly reconnectMaxDelayMs?: number;
  readonly logger?: Logger;
  /** TLS for `amqps://` (certificates as PEM text, already read); handed to the TLS socket. */
  readonly tls?: AmqpTlsOptions;
}

/** TLS options of the RabbitMQ connection. */
export interface AmqpTlsOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
  readonly rejectUnauthorized: boolean;
}

/** {@link AmqpBrokerOptions} checked, with defaults filled in. */
export interface CompiledAmqpBrokerOptions {
  readonly url: URL;
  /** The URL with its password masked: the only form that is logged. */
  readonly safeUrl: string;
  readonly prefix: string;
  readonly heartbeatSeconds: number;
  readonly publishTimeoutMs: number;
  readonly requeueDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMinDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly logger: Logger;
  readonly tls?: AmqpTlsOptions;
}

/** Checks the options and fills in defaults; throws a RangeError naming the bad option. */
export function compileAmqpBrokerOptions(options: AmqpBrokerOptions): CompiledAmqpBrokerOptions {
  const url = parseAmqpUrl(options.url);
  const reconnectMinDelayMs = whole('reconnectMinDelayMs', options.reconnectMinDelayMs ?? 100, 1);
  const reconnectMaxDelayMs = whole('reconnectMaxDelayMs', options.reconnectMaxDelayMs ?? 5000, reconnectMinDelayMs);
  return Object.freeze({
    url,
    safeUrl: redactAmqpUrl(url),
    prefix: options.prefix ?? 'junction',
    heartbeatSeconds: whole('heartbeatSeconds', options.heartbeatSeconds ?? 15, 0),
    publishTimeoutMs: whole('publishTimeoutMs', options.publishTimeoutMs ?? 5000, 1),
    requeueDelayMs: whole('requeueDelayMs', options.requeueDelayMs ?? 1000, 0),
    connectTimeoutMs: whole('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 1),
    reconnectMinDelayMs,
    reconnectMaxDelayMs,
    logger: options.logger ?? silentLogger,
    ...(options.tls ? { tls: Object.freeze({ ...options.tls }) } : {}),
  });
}

function whole(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`AmqpBroker option ${name} must be an integer >= ${min} (got ${value}).`);
  }
  return value;
}
