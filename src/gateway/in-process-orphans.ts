import type { Broker } from '../core/broker';
import { describeError, JunctionError } from '../core/errors';
import { DEADLINE_HEADER } from '../core/headers';
import type { JunctionMetrics } from '../core/junction-metrics';
import type { Logger } from '../core/logger';
import type { MessageStatus } from '../core/message-status';
import type { TransactionLog } from '../core/transaction-log';
import { envelopeOf } from './stored-envelope';

/**
 * Statuses whose message has a copy on the bus (QUEUED: waiting on the route's queue; PROCESSING:
 * held by the worker that was handling it). RECEIVED, RETRYING and HELD have sweeps of their own.
 */
const ON_THE_BUS: readonly MessageStatus[] = ['QUEUED', 'PROCESSING'];

/** Options of {@link InProcessOrphans}. */
export interface InProcessOrphansOptions {
  readonly log: TransactionLog;
  readonly broker: Broker;
  readonly logger: Logger;
  readonly metrics: JunctionMetrics;
  /** When this process (and so its in-process bus) started: copies of messages last changed before then are gone. */
  readonly busStartedAt: Date;
  /** At most this many per status per round. */
  readonly batchSize: number;
  /** False for routes with capture `none` (their body was not kept, so it cannot be published again). */
  readonly keepsPayload?: (routeId: string) => boolean;
}

/**
 * With the in-process bus (`bus.url: memory:`, the embedded default) a message's copy lives only in
 * the process that published it: a Junction stopped or killed with messages QUEUED or PROCESSING
 * leaves them so in the log, with nothing on any bus to finish them. Such messages — last changed
 * before this process started — are published again, once each (a `recovered` stage, status kept,
 * marks them done): a PROCESSING one comes back to the worker as any cut-off handling does, and
 * recipients it already reached are skipped. RabbitMQ keeps these copies itself, so this runs only
 * with the in-process bus.
 */
export class InProcessOrphans {
  constructor(private readonly options: InProcessOrphansOptions) {}

  async round(closed: () => boolean): Promise<{ published: string[]; failed: string[]; skipped: string[] }> {
    const { log, logger, busStartedAt, batchSize } = this.options;
    const result = { published: [] as string[], failed: [] as string[], skipped: [] as string[] };
    for (const status of ON_THE_BUS) {
      for (const candidate of await log.find({ status, updatedBefore: busStartedAt, limit: batchSize })) {
        if (closed()) return result;
        try {
          result[await this.recover(candidate.id)].push(candidate.id);
        } catch (error) {
          logger.warn('could not put back a message the in-process bus lost with the last process', { messageId: candidate.id, error: describeError(error) });
          result.skipped.push(candidate.id);
        }
      }
    }
    return result;
  }

  private async recover(id: string): Promise<'published' | 'failed' | 'skipped'> {
    const { log, broker, logger, metrics, busStartedAt } = this.options;
    const record = await log.load(id);
    if (!record || !ON_THE_BUS.includes(record.status) || record.updatedAt.getTime() >= busStartedAt.getTime()) return 'skipped';
    const attempt = Math.max(1, record.attempts);
    const replay = record.replayOf !== undefined;
    const problem = record.pattern === 'request-reply' && record.headers[DEADLINE_HEADER] !== undefined
      ? new JunctionError('JCT_REPLY_TIMEOUT', `Message ${id} was on the in-process bus when Junction stopped; its caller has gone, so it is not delivered. Replay it if it is still wanted.`, { details: { messageId: id } })
      : this.options.keepsPayload?.(record.routeId) === false && !replay
        ? new JunctionError('JCT_BROKER_UNAVAILABLE', `Message ${id} was on the in-process bus when Junction stopped, and its body was not kept (capture: none); it cannot be delivered.`, { details: { messageId: id } })
        : undefined;
    if (problem) {
      const applied = await log.transition(id, {
        stage: 'recovered', status: 'FAILED', attempt, error: problem.toJSON(), detail: 'lost with the in-process bus when Junction stopped; failed by the recovery sweep',
      }, [record.status]);
      if (applied !== 'applied') return 'skipped';
      metrics.recovered.inc({ route: record.routeId, reason: 'failed' });
      metrics.failed.inc({ route: record.routeId, endpoint: '', code: problem.code });
      return 'failed';
    }
    // Recorded first and guarded on the status, which stays: the stage also moves the message past
    // busStartedAt, so it is published once.
    const recorded = await log.transition(id, {
      stage: 'recovered', status: record.status, attempt, detail: 'lost with the in-process bus when Junction stopped; published again by the recovery sweep',
    }, [record.status]);
    if (recorded !== 'applied') return 'skipped';
    await broker.publish(record.routeId, envelopeOf(record, attempt));
    metrics.recovered.inc({ route: record.routeId, reason: 'bus-restart' });
    logger.warn('a message the in-process bus lost when Junction stopped was published again', { messageId: id, routeId: record.routeId, status: record.status });
    return 'published';
  }
}
