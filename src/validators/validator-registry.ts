import type { StepFactory } from '../core/step';
import { jsonSchemaFactory } from './json-schema-validator';
import { rulesFactory } from './rules-validator';
import { xsdFactory } from './xsd-validator';

/** The validator step types Junction ships. */
export function validatorFactories(): StepFactory[] {
  return [jsonSchemaFactory, xsdFactory, rulesFactory];
}
