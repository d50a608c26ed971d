import type { StepFactory } from '../core/step';
import { jsonSchemaFactory } from './json-schema-validator';

/** The validator step types Junction ships. */
export function validatorFactories(): StepFactory[] {
  return [jsonSchemaFactory];
}
