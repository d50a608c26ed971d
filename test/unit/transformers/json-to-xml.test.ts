import { expect } from 'chai';
import { createEnvelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { JsonToXmlStep } from '../../../src/transformers/json-to-xml';

const context = { routeId: 'r', logger: silentLogger };

function message(body: string) {
  return createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType: 'application/json', body });
}

describe('json-to-xml step', () => {
  const step = new JsonToXmlStep('to-xml', { root: 'approvalRequest', declaration: true });

  it('wraps the fields in the root element and keeps numbers exactly as written', async () => {
    const out = await step.run(message('{"orderId":"SO-1","amount":250.00,"qty":2,"big":12345678901234567890.123456789,"rate":1e3}'), context);
    expect(out.body).to.equal('<?xml version="1.0" encoding="UTF-8"?><approvalRequest><orderId>SO-1</orderId><amount>250.00</amount>'
      + '<qty>2</qty><big>12345678901234567890.123456789</big><rate>1e3</rate></approvalRequest>');
    expect(out.contentType).to.match(/^application\/xml/);
  });

  it('writes arrays as repeated elements, leaves out nulls and escapes text', async () => {
    const out = await step.run(message('{"lines":[{"sku":"A&B"},{"sku":"<C>"}],"note":null,"ok":true}'), context);
    expect(out.body).to.contain('<lines><sku>A&amp;B</sku></lines><lines><sku>&lt;C&gt;</sku></lines>');
    expect(out.body).to.not.contain('note');
    expect(out.body).to.contain('<ok>true</ok>');
  });

  it('keeps the message id and route', async () => {
    const input = message('{"a":"1"}');
    const out = await step.run(input, context);
    expect([out.id, out.routeId]).to.deep.equal([input.id, input.routeId]);
  });

  for (const [what, body] of [['malformed JSON', '{"a":'], ['a JSON array', '[1,2]'], ['a key that is no XML name', '{"1st":"x"}']] as const) {
    it(`fails permanently with JCT_TRANSFORM_FAILED naming the step on ${what}`, async () => {
      const error = await step.run(message(body), context).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(JunctionError);
      expect((error as JunctionError).code).to.equal('JCT_TRANSFORM_FAILED');
      expect((error as JunctionError).retryable).to.equal(false);
      if (what !== 'a key that is no XML name') expect((error as JunctionError).message).to.contain('"to-xml"');
    });
  }
});
