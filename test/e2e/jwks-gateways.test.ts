import { expect } from 'chai';
import type { LoadedConfig } from '../../src/config/load-config';
import { withAdminTokens } from '../support/admin-tokens';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { eventually, request, type TestResponse } from '../support/http';
import { idpKey, JwksServer, signToken, type IdpKey } from '../support/jwks-server';

const CRM_NS = 'urn:junction:crm:v1';
const ISSUER = 'https://idp.example.test/';

/** The demo with authentication required and JWTs checked against `jwksUrl` (cooldown 1 s, timeout 1 s). */
function withJwks(jwksUrl: string) {
  return (loaded: LoadedConfig): LoadedConfig => {
    const { config } = withAdminTokens(loaded);
    return { ...loaded, config: { ...config,
      security: { ...config.security,
        auth: { ...config.security.auth, mode: 'required',
          jwt: { algorithms: ['RS256', 'ES256'], jwksUrl, issuer: ISSUER, audience: 'junction', clientClaim: 'sub', rolesClaim: 'roles', clockToleranceSeconds: 5,
            discovery: false, jwksCacheSeconds: 600, jwksCooldownSeconds: 1, jwksTimeoutMs: 1000, jwksMaxStaleSeconds: 3600 } },
        clients: { crm: { routes: ['*'], roles: [] } },
      },
    } };
  };
}

/** UpsertCustomer as a raw SOAP 1.1 or 1.2 request with a bearer token. */
function soapUpsert(base: string, token: string, version: '1.1' | '1.2', customerId: string): Promise<TestResponse> {
  const ns = version === '1.1' ? 'http://schemas.xmlsoap.org/soap/envelope/' : 'http://www.w3.org/2003/05/soap-envelope';
  return request(`${base}/soap/crm`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(version === '1.1'
        ? { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:junction:crm:v1/UpsertCustomer"' }
        : { 'content-type': 'application/soap+xml; charset=utf-8; action="urn:junction:crm:v1/UpsertCustomer"' }),
    },
    body: `<?xml version="1.0"?><s:Envelope xmlns:s="${ns}"><s:Body><UpsertCustomerRequest xmlns="${CRM_NS}">`
      + `<customerId>${customerId}</customerId><name>Ada Lovelace</name><status>ACTIVE</status></UpsertCustomerRequest></s:Body></s:Envelope>`,
  });
}

describe('bearer JWTs from a JWKS URL through the REST gateway, the SOAP gateway and the admin API (RabbitMQ + MariaDB)', function () {
  this.timeout(120_000);
  const idp = new JwksServer();
  let stack: DemoStack;
  let first: IdpKey;
  let second: IdpKey;
  let third: IdpKey;
  const put = (token: string, id: string): Promise<TestResponse> => request(`${stack.base}/api/v1/customers/${id}`, {
    method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"name":"Grace Hopper","email":"grace@example.org","status":"ACTIVE"}',
  });

  before(async () => {
    [first, second, third] = await Promise.all([idpKey('k1'), idpKey('k2', 'ES256'), idpKey('k3')]);
    idp.keys = [first];
    await idp.start();
    stack = await startDemoStack({ servers: 'real', adjust: withJwks(idp.url) });
    // Fetched at start, in the background.
    await eventually(async () => (idp.requests >= 1 ? true : undefined), 10_000);
  });
  after(async () => {
    await stack?.close();
    await idp.stop();
  });

  it('accepts a token signed with a published key over REST and SOAP, without a fetch per request', async () => {
    const requests = idp.requests;
    const rest = await put(await signToken(first), 'C-JWKS-1');
    expect(rest.status, rest.text).to.equal(200);
    const soap = await soapUpsert(stack.base, await signToken(first), '1.1', 'C-JWKS-2');
    expect(soap.status, soap.text).to.equal(200);
    expect(soap.text).to.contain('erpCustomerNo');
    expect(idp.requests).to.equal(requests);
  });

  it('refuses a token whose kid the JWKS does not hold: 401 JCT_AUTH_FAILED naming the kid, never a stack trace', async () => {
    const res = await put(await signToken(third), 'C-JWKS-3');
    expect(res.status).to.equal(401);
    expect(res.headers.get('content-type')).to.contain('application/problem+json');
    expect(res.json.code).to.equal('JCT_AUTH_FAILED');
    expect(String(res.json.detail)).to.contain('key id "kid" "k3" is not in its JWKS');
    expect(res.text).not.to.match(/\bat .*\.js:\d+/);
  });

  it('follows a key rotation: once the identity provider publishes the new key, tokens with its kid are accepted', async () => {
    idp.keys = [second, first];
    const token = await signToken(second);
    // The 1 s cooldown after the last fetch may still hold the first attempt back.
    const res = await eventually(async () => {
      const r = await put(token, 'C-JWKS-4');
      return r.status === 200 ? r : undefined;
    }, 10_000, 250);
    expect(res.json).to.include({ customerId: 'C-JWKS-4' });
  });

  it('with the JWKS server down: 503 JCT_AUTH_UNAVAILABLE + Retry-After over REST and the admin API, a Server/Receiver fault over SOAP; known keys keep working', async () => {
    // The key the last check uses must have been fetched before the outage. The rotation test above
    // fetches it, but this test may run without it (mocha --grep picks tests by title).
    idp.keys = [second, first];
    const fetched = await signToken(second);
    await eventually(async () => ((await put(fetched, 'C-JWKS-9')).status === 200 ? true : undefined), 10_000, 250);
    await idp.stop();
    const unknown = await signToken(third, { roles: ['junction:viewer'] });
    // The first request past the cooldown tries the server (refused at once), later ones are answered from the outage state.
    const rest = await eventually(async () => {
      const r = await put(unknown, 'C-JWKS-5');
      return r.status === 503 ? r : undefined;
    }, 10_000, 250);
    expect(rest.json).to.include({ code: 'JCT_AUTH_UNAVAILABLE', status: 503 });
    expect(rest.headers.get('retry-after')).to.equal('5');
    expect(String(rest.json.detail)).to.contain('not a problem with the token');

    const soap11 = await soapUpsert(stack.base, unknown, '1.1', 'C-JWKS-6');
    expect(soap11.status).to.equal(500);
    expect(soap11.text).to.contain('<faultcode>soap:Server</faultcode>').and.contain('<jct:code>JCT_AUTH_UNAVAILABLE</jct:code>').and.contain('<jct:retryable>true</jct:retryable>');
    expect(soap11.headers.get('retry-after')).to.equal('5');
    const soap12 = await soapUpsert(stack.base, unknown, '1.2', 'C-JWKS-7');
    expect(soap12.status).to.equal(500);
    expect(soap12.text).to.match(/<\w+:Value>\w+:Receiver<\/\w+:Value>/).and.contain('jct:JCT_AUTH_UNAVAILABLE');

    const admin = await request(`${stack.base}/admin/api/messages`, { headers: { authorization: `Bearer ${unknown}` } });
    expect(admin.status, admin.text).to.equal(503);
    expect(admin.json.code).to.equal('JCT_AUTH_UNAVAILABLE');

    // A token signed with a key fetched before the outage still passes (jwksMaxStaleSeconds).
    const known = await put(await signToken(second), 'C-JWKS-8');
    expect(known.status, known.text).to.equal(200);
  });
});
