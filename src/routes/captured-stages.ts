import type { StageEvent, TransactionLog, TransitionOptions } from '../core/transaction-log';
import { stageMilliseconds, type TraceStage } from './route-runner';

/**
 * Largest captured stage payload, in characters. Bigger bodies are cut (and say so): a huge
 * capture must never cost the status change it travels with (MySQL refuses packets over
 * max_allowed_packet, and the stage and the status are written in one transaction).
 */
export const CAPTURE_LIMIT = 1_048_576;

/** A body as a stage keeps it: whole up to {@link CAPTURE_LIMIT}, cut beyond (and saying so). */
export function capturable(body: string): string {
  return body.length <= CAPTURE_LIMIT ? body : `${body.slice(0, CAPTURE_LIMIT)}\n… [capture cut: the body has ${body.length} characters]`;
}

/**
 * The stages of one handling that a route with `capture: steps` keeps (each step's output, the
 * choice of recipients), held until the handling's next write to the log, which appends them first
 * in the same transaction (TransactionLog.transition's `preceding`): one commit for the steps and
 * the outcome instead of one each. If that write does not apply or fails, they are dropped with it:
 * the message then comes back and its steps run — and are captured — again.
 */
export class CapturedStages {
  private stages: StageEvent[] = [];

  /**
   * `received` is the message's body as the bus delivered it — the body the log recorded — handed
   * to the log with every write so a stage repeating it is stored as a reference (TransitionOptions.received).
   */
  constructor(private readonly attempt: number, private readonly received: string) {}

  /** Keeps a stage the route runner reports. */
  add(stage: TraceStage): void {
    this.stages.push({
      stage: stage.stage, status: 'PROCESSING', attempt: this.attempt, durationMs: stageMilliseconds(stage),
      ...(stage.output !== undefined ? { payload: capturable(stage.output) } : {}),
      // A step's detail is its output's content type: a replay from the next step needs it.
      ...(stage.detail !== undefined ? { detail: stage.detail } : stage.contentType !== undefined ? { detail: stage.contentType } : {}),
    });
  }

  /** The options of the next write: the stages kept so far (then forgotten here), if any, and the received body. */
  take(): TransitionOptions {
    if (this.stages.length === 0) return this.shared();
    const preceding = this.stages;
    this.stages = [];
    return { preceding, received: this.received };
  }

  /** The options of a write that takes no kept stages (a delivery among several): the received body only. */
  shared(): TransitionOptions {
    return { received: this.received };
  }

  /**
   * Writes the stages kept so far on their own (one transaction), for when the next write would
   * come too late to keep the history in order (a message to several recipients records each
   * delivery as it happens). Written only while the message is PROCESSING: a handling that another
   * one overtook (it settled the message meanwhile) must not move its status back. Nothing to
   * write: resolves at once.
   */
  async flush(log: TransactionLog, messageId: string): Promise<void> {
    const { preceding } = this.take();
    const last = preceding?.at(-1);
    if (preceding === undefined || last === undefined) return;
    await log.transition(messageId, last, ['PROCESSING'], { preceding: preceding.slice(0, -1), received: this.received });
  }
}
