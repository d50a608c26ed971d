import path from 'node:path';
import { expect } from 'chai';
import { customStepFactory } from '../../../src/transformers/custom-step';
import { bootFailure, build, failure, FIXTURES, message, optionProblems, stepContext, transformFailure } from './transformer-test-kit';

/** The repository's config directory: the example is referenced from it as in docs/steps.md. */
const CONFIG_DIR = path.resolve('config');
const EXAMPLE = '../dist/examples/steps/add-timestamp.js';

const custom = (module: string, options?: Record<string, unknown>, name = 'custom-step', baseDir = FIXTURES) =>
  build(customStepFactory, { module, ...(options ? { options } : {}) }, baseDir, name);

describe('custom step', () => {
  describe('the example examples/steps/add-timestamp.ts', () => {
    it('adds the time to the JSON body, keeping numbers exact', async () => {
      const step = custom(EXAMPLE, undefined, 'stamp', CONFIG_DIR);
      const input = message('{"orderId":"SO-1","amount":250.00,"big":1234567890123456789012345}');
      const before = Date.now();
      const out = await step.run(input, stepContext());
      const body = out.body;
      expect(body).to.match(/^\{"orderId":"SO-1","amount":250.00,"big":1234567890123456789012345,"processedAt":"[^"]+"\}$/);
      const stamped = Date.parse((JSON.parse(body) as { processedAt: string }).processedAt);
      expect(stamped).to.be.within(before, Date.now());
      expect(out.id).to.equal(input.id);
      expect(step.name).to.equal('stamp');
    });

    it('takes its options from "options"', async () => {
      const out = await custom(EXAMPLE, { field: 'syncedAt' }, 'stamp', CONFIG_DIR).run(message('{}'), stepContext());
      expect(Object.keys(JSON.parse(out.body) as object)).to.deep.equal(['syncedAt']);
    });

    it('refuses bad options at boot with its own JunctionError', () => {
      const error = bootFailure(() => custom(EXAMPLE, { field: 42 }, 'stamp', CONFIG_DIR));
      expect(error.code).to.equal('JCT_CONFIG_INVALID');
      expect(error.message).to.equal('Step "stamp": options must be { field: <non-empty string> }.');
    });

    it('passes its JunctionError for a body that is not JSON through unchanged', async () => {
      const error = await failure(custom(EXAMPLE, undefined, 'stamp', CONFIG_DIR).run(message('<xml/>'), stepContext()));
      expect([error.code, error.message]).to.deep.equal(['JCT_TRANSFORM_FAILED', 'Step "stamp": the body is not JSON.']);
    });
  });

  it('turns a plain Error thrown by the module into a permanent JCT_TRANSFORM_FAILED naming step and module', async () => {
    const step = custom('custom/throws-plain-error.cjs', undefined, 'enrich');
    const text = await transformFailure(step.run(message('{}'), stepContext()), 'enrich');
    expect(text).to.equal('Step "enrich" (custom module custom/throws-plain-error.cjs) failed: cannot read properties of undefined (reading "sku")');
  });

  it('passes through a JunctionError from a module that bundles its own copy of Junction', async () => {
    const error = await failure(custom('custom/foreign-junction-error.cjs', undefined, 'check').run(message('{}'), stepContext()));
    expect([error.code, error.retryable, error.message]).to.deep.equal(['JCT_VALIDATION_FAILED', false, 'Step "check": the order has no lines.']);
  });

  it('passes "options" to createStep', async () => {
    const out = await custom('custom/bad-options.cjs', { prefix: 'P:' }).run(message('x'), stepContext());
    expect(out.body).to.equal('P:x');
  });

  it('fails a message when the module returns no message or changes its id', async () => {
    expect(await transformFailure(custom('custom/bad-result.cjs', { mode: 'nothing' }, 'broken').run(message('{}'), stepContext()), 'broken'))
      .to.contain('did not return a message');
    expect(await transformFailure(custom('custom/bad-result.cjs', { mode: 'new-id' }, 'broken').run(message('{}'), stepContext()), 'broken'))
      .to.contain('changed the message id');
  });

  describe('at boot', () => {
    it('refuses a module that does not exist, naming it', () => {
      const error = bootFailure(() => custom('custom/nope.cjs', undefined, 'enrich'));
      expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
      expect(error.message).to.contain('Step "enrich": custom module custom/nope.cjs').and.to.contain(path.join(FIXTURES, 'custom/nope.cjs')).and.to.contain('does not exist');
    });

    it('refuses a module without createStep, naming it', () => {
      const error = bootFailure(() => custom('custom/no-create-step.cjs', undefined, 'enrich'));
      expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
      expect(error.message).to.contain('custom module custom/no-create-step.cjs').and.to.contain('does not export a function createStep');
    });

    it('reports a plain Error from createStep as a configuration problem naming the module', () => {
      const error = bootFailure(() => custom('custom/bad-options.cjs', undefined, 'enrich'));
      expect(error.code).to.equal('JCT_CONFIG_INVALID');
      expect(error.message).to.contain('custom module custom/bad-options.cjs').and.to.contain('createStep failed: options.prefix (a string) is required');
    });

    it('refuses a module that cannot be loaded', () => {
      const error = bootFailure(() => custom('crm-order.xml', undefined, 'enrich'));
      expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
      expect(error.message).to.contain('cannot be loaded');
    });

    it('needs "module"; "options" must be an object', () => {
      expect(optionProblems(customStepFactory, {})).to.have.length.greaterThan(0);
      expect(optionProblems(customStepFactory, { module: 'x.js', options: 'a' })).to.have.length.greaterThan(0);
      expect(optionProblems(customStepFactory, { module: 'x.js' })).to.deep.equal([]);
    });
  });
});
