import { Registry } from '../core/registry';
import type { StepFactory } from '../core/step';
import { customStepFactory } from './custom-step';
import { jsonToXmlFactory } from './json-to-xml';
import { jsonataFactory } from './jsonata-step';
import { mapStepFactory } from './map-step';
import { xmlToJsonFactory } from './xml-to-json';
import { xsltFactory } from './xslt-step';

/** The transformer step types Junction ships (docs/steps.md, "Transformers"). */
export function transformerFactories(): StepFactory[] {
  return [jsonToXmlFactory, mapStepFactory, xmlToJsonFactory, jsonataFactory, xsltFactory, customStepFactory];
}

/** A registry holding only the transformers (routes merge it with the validators). */
export function createTransformerRegistry(): Registry<StepFactory> {
  return new Registry<StepFactory>('step', transformerFactories());
}
