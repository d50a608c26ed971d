/**
 * An example `custom` step: adds the time the message passed through to a JSON body.
 *
 * Configuration (the path is relative to the configuration file; `npm run build` compiles this
 * file to dist/examples/steps/add-timestamp.js):
 *
 *   steps:
 *     - type: custom
 *       name: stamp
 *       module: ../dist/examples/steps/add-timestamp.js
 *       options: { field: processedAt }
 *
 * A custom module exports `createStep(name, options, context)`, called once at boot, returning a
 * `Step`. Only types come from Junction here, plus JunctionError for failures Junction should
 * report as they are (anything else thrown becomes JCT_TRANSFORM_FAILED naming the step).
 */
import { isLosslessNumber, parse, stringify } from 'lossless-json';
import type { Envelope } from '../../src/core/envelope';
import { JunctionError } from '../../src/core/errors';
import type { Step, StepBuildContext, StepContext } from '../../src/core/step';

/** Options of the example step. */
interface AddTimestampOptions {
  /** Field the ISO-8601 time is written to (default `processedAt`). */
  readonly field: string;
}

function checkOptions(name: string, options: unknown): AddTimestampOptions {
  const raw = (options ?? {}) as Record<string, unknown>;
  const field = raw.field ?? 'processedAt';
  if (typeof field !== 'string' || field === '' || Object.keys(raw).some((key) => key !== 'field')) {
    // Thrown at boot: Junction reports it as a configuration problem at this step's line.
    throw new JunctionError('JCT_CONFIG_INVALID', `Step "${name}": options must be { field: <non-empty string> }.`);
  }
  return { field };
}

/** Builds the step (at boot). */
export function createStep(name: string, options: unknown, _context: StepBuildContext): Step {
  const { field } = checkOptions(name, options);
  return {
    name,
    async run(message: Envelope, context: StepContext): Promise<Envelope> {
      let body: unknown;
      try {
        // lossless-json keeps 250.00 and long integers exactly as they came.
        body = parse(message.body);
      } catch {
        throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${name}": the body is not JSON.`);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body) || isLosslessNumber(body)) {
        throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${name}": the body must be a JSON object.`);
      }
      const stamped = { ...(body as Record<string, unknown>), [field]: new Date().toISOString() };
      context.logger.debug('timestamp added', { step: name, field });
      return { ...message, body: String(stringify(stamped)), contentType: 'application/json' };
    },
  };
}
