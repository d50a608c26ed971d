import { expect } from 'chai';
import { Registry } from '../../../src/core/registry';
import type { EndpointFactory } from '../../../src/core/endpoint';
import type { StepFactory } from '../../../src/core/step';
import { JunctionError } from '../../../src/core/errors';
import { loadConfig } from '../../../src/config/load-config';
import { createEndpointRegistry } from '../../../src/endpoints/endpoint-registry';
import { compileRoutes } from '../../../src/routes/compile-routes';
import { transformerFactories } from '../../../src/transformers/transformer-registry';
import { validatorFactories } from '../../../src/validators/validator-registry';
import { TempConfigDir } from '../../support/temp-config';

const registries = () => ({
  steps: new Registry<StepFactory>('step', [...validatorFactories(), ...transformerFactories()]),
  endpoints: createEndpointRegistry() as Registry<EndpointFactory>,
});

describe('route retry policy in the configuration', () => {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());

  const config = (retry: string): string => [
    'endpoints: { oa: { type: http, url: "http://127.0.0.1:9/x" } }',
    'routes:',
    `  - { id: a, entry: { rest: { method: POST, path: /orders } }, to: [oa]${retry} }`,
  ].join('\n');
  const compile = (yaml: string) => compileRoutes(loadConfig(temp.write('junction.yaml', yaml), {}), registries());

  it('defaults to 5 tries, 1 s doubling up to 5 min, ±20 % jitter', () => {
    expect(compile(config('')).routes[0]?.retry).to.deep.equal({ attempts: 5, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 300000, jitter: 0.2 });
  });

  it('takes the settings given and defaults the rest', () => {
    expect(compile(config(', retry: { attempts: 1, initialDelayMs: 50 }')).routes[0]?.retry)
      .to.deep.equal({ attempts: 1, initialDelayMs: 50, multiplier: 2, maxDelayMs: 300000, jitter: 0.2 });
  });

  it('refuses unknown settings, out-of-range values and initialDelayMs above maxDelayMs', () => {
    const problem = (retry: string): string => {
      try {
        compile(config(`, retry: ${retry}`));
      } catch (error) {
        expect(error).to.be.instanceOf(JunctionError);
        return (error as JunctionError).message;
      }
      throw new Error('expected the configuration to be refused');
    };
    expect(problem('{ attempts: 0 }')).to.contain('routes[0].retry.attempts: must be >= 1');
    expect(problem('{ jitter: 1.5 }')).to.contain('routes[0].retry.jitter: must be <= 1');
    expect(problem('{ tries: 3 }')).to.contain('routes[0].retry.tries');
    expect(problem('{ initialDelayMs: 5000, maxDelayMs: 1000 }')).to.contain('routes[0].retry.initialDelayMs: initialDelayMs (5000) is greater than maxDelayMs (1000)');
  });
});
