import { Registry } from '../core/registry';
import type { StepFactory } from '../core/step';
import { jsonToXmlFactory } from './json-to-xml';
import { mapStepFactory } from './map-step';

/** The transformer step types Junction ships. */
export function transformerFactories(): StepFactory[] {
  return [jsonToXmlFactory, mapStepFactory];
}

/** A registry holding only the transformers (routes merge it with the validators). */
export function createTransformerRegistry(): Registry<StepFactory> {
  return new Registry<StepFactory>('step', transformerFactories());
}
