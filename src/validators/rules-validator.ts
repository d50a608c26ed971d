import { JunctionError } from '../core/errors';
import type { Envelope } from '../core/envelope';
import { losslessBodyOf } from '../core/parsed-body';
import type { Step, StepContext, StepFactory } from '../core/step';
import { assertValid } from './json-schema-validator';
import { checkFieldRules, compileFieldRules, FIELD_RULE_SCHEMA, type FieldRule, type FieldRuleConfig } from './rules/field-rules';

/**
 * A step that checks a JSON body against simple declarative rules (required, pattern, enum,
 * length, exact decimal bounds), reporting every violation; a failure is permanent.
 */
export class RulesStep implements Step {
  constructor(readonly name: string, private readonly rules: readonly FieldRule[]) {}

  async run(message: Envelope, _context?: StepContext): Promise<Envelope> {
    let document: unknown;
    try {
      // lossless-json: numbers keep their exact text, so decimal bounds compare exactly. Parsed
      // once per body (core/parsed-body): the map step's document, or an earlier reader's parse.
      document = losslessBodyOf(message);
    } catch {
      throw new JunctionError('JCT_VALIDATION_FAILED', `Step "${this.name}": body is not valid JSON.`, {
        violations: [{ path: '', message: 'is not valid JSON' }],
      });
    }
    assertValid(checkFieldRules(this.rules, document), `Step "${this.name}": message`);
    return message;
  }
}

/** `type: rules` with `rules: [{ path, required?, pattern?, enum?, minLength?, maxLength?, min?, max?, message? }]`. */
export const rulesFactory: StepFactory = {
  type: 'rules',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['rules'],
    properties: { rules: { type: 'array', minItems: 1, items: FIELD_RULE_SCHEMA } },
  },
  create: (name, options) => new RulesStep(name, compileFieldRules(options.rules as readonly FieldRuleConfig[])),
};
