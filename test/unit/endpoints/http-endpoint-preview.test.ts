import { expect } from 'chai';
import type { EndpointContext } from '../../../src/core/endpoint';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { silentLogger } from '../../../src/core/logger';
import { HttpEndpoint } from '../../../src/endpoints/http/http-endpoint';
import type { HttpEndpointOptions } from '../../../src/endpoints/http/http-endpoint-options';
import { CapturingServer } from './capturing-server';

const context: EndpointContext = { routeId: 'test-route', logger: silentLogger };

function message(body: string, contentType = 'application/xml'): Envelope {
  return createEnvelope({ routeId: 'test-route', pattern: 'one-way', source: 'test', contentType, body, correlationId: 'corr-7' });
}

describe('HttpEndpoint.preview (src/endpoints/http)', function () {
  let server: CapturingServer;
  const endpoints: HttpEndpoint[] = [];

  beforeEach(async function () {
    server = new CapturingServer({ status: 200, contentType: 'application/xml', body: '<ok/>' });
    await server.start();
  });

  afterEach(async function () {
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
    await server.close();
  });

  function endpoint(overrides: Partial<HttpEndpointOptions> = {}): HttpEndpoint {
    const created = new HttpEndpoint('oa', {
      url: `${server.url}/oa/approvals?tenant=a%20b`, method: 'POST', timeoutMs: 5000, headers: { 'X-Api-Key': 'k-1' }, connections: 2, ...overrides,
    });
    endpoints.push(created);
    return created;
  }

  it('is exactly what send() puts on the wire: method, path, every header it lists, body bytes', async function () {
    const oa = endpoint({ method: 'PUT' });
    await oa.start();
    const msg = message('<approvalRequest><orderId>SO-1</orderId><amount>250.00</amount><note>Grüße &amp; €</note></approvalRequest>');
    const preview = await oa.preview(msg);
    await oa.send(msg, context);

    expect(server.requests).to.have.length(1);
    const sent = server.requests[0]!;
    expect(preview.method).to.equal(sent.method);
    const url = new URL(preview.url);
    expect(`${url.protocol}//${url.host}`).to.equal(server.url);
    expect(`${url.pathname}${url.search}`).to.equal(sent.path);
    for (const [name, value] of Object.entries(preview.headers)) {
      expect(sent.headers[name.toLowerCase()], name).to.equal(value);
    }
    expect(Buffer.from(preview.body, 'utf8').equals(sent.body)).to.equal(true);
  });

  it('lists the message id, correlation id, attempt, content type and the configured headers', async function () {
    const msg = message('{"a":1}', 'application/json');
    const preview = await endpoint().preview(msg);
    expect(preview).to.deep.equal({
      method: 'POST',
      url: `${server.url}/oa/approvals?tenant=a%20b`,
      headers: {
        'X-Api-Key': 'k-1',
        'content-type': 'application/json',
        'x-junction-message-id': msg.id,
        'x-junction-correlation-id': 'corr-7',
        'x-junction-attempt': '1',
      },
      body: '{"a":1}',
    });
    expect((await endpoint({ contentType: 'text/xml; charset=utf-8' }).preview(msg)).headers['content-type']).to.equal('text/xml; charset=utf-8');
  });

  it('sends nothing and needs no start()', async function () {
    const oa = endpoint();
    await oa.preview(message('<a/>'));
    await oa.start();
    await oa.preview(message('<b/>'));
    expect(server.requests).to.have.length(0);
  });

  it('shows the URL as requested: origin, path and query, without user info', async function () {
    const preview = await endpoint({ url: `${server.url.replace('://', '://user:secret@')}/oa` }).preview(message('<a/>'));
    expect(preview.url).to.equal(`${server.url}/oa`);
  });
});
