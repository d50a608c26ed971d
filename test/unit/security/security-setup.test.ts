import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config/load-config';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { compileSecurity } from '../../../src/security/security-setup';
import { RecordingLogger, type LogLine } from '../../integration/bus/recording-logger';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';
import { tlsFixture } from '../../support/tls-fixtures';

describe('security settings at boot (security-setup)', () => {
  const dir = new TempConfigDir();
  after(() => dir.remove());
  const problems = (yaml: string, env: NodeJS.ProcessEnv = {}): string => {
    try {
      compileSecurity(loadConfig(dir.write(`c-${randomBytes(4).toString('hex')}.yaml`, yaml), env), silentLogger, env);
    } catch (error) {
      expect((error as JunctionError).code).to.equal('JCT_CONFIG_INVALID');
      return (error as Error).message;
    }
    return '';
  };

  it('builds the production example: authentication required, JWT from a PEM file, payload encryption, secrets from the environment', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const env = {
      JUNCTION_DB_URL: 'mysql://j:p@db:3306/junction', JUNCTION_AMQP_URL: 'amqp://j:p@mq:5672/%2F', OA_REST_URL: 'http://oa/x', ERP_SOAP_URL: 'http://erp/x',
      JWT_PUBLIC_KEY_FILE: dir.write('idp.pem', pem), CRM_API_KEY: randomBytes(16).toString('hex'), ERP_BATCH_PASSWORD: 'pw-1234',
      JUNCTION_PAYLOAD_KEYS: `2026-11:${randomBytes(32).toString('base64')}`,
    };
    const runtime = compileSecurity(loadConfig('config/production.example.yaml', env), silentLogger, env);
    expect(runtime.mode).to.equal('required');
    expect(runtime.cipher?.writingKeyId).to.equal('2026-11');
    expect(runtime.authenticator.acceptsUsernameToken).to.equal(true);
  });

  it('refuses clients known by a certificate when the server asks for none', () => {
    const message = problems(`security:
  auth: { mode: required }
  clients:
    erp-batch: { certificate: { subject: "CN=erp-batch, O=ACME" }, routes: [submit-order] }
${MINIMAL_CONFIG}`);
    expect(message).to.contain('security.clients: erp-batch is known by a client certificate, but server.tls.clientCertificates is not "request" or "require"');
    expect(message).not.to.contain('nobody could call Junction');
  });

  it('security.auth.wsSecurity.signature: clients known by a certificate need no TLS; a CA file without certificates and no certificate client are refused', () => {
    const ca = `${process.cwd()}/test/fixtures/tls/clients-ca.crt`;
    const signed = (clients: string, caFile = ca): string => `security:
  auth: { mode: required, wsSecurity: { signature: { ca: { file: ${JSON.stringify(caFile)} } } } }
  clients:
${clients}
${MINIMAL_CONFIG}`;
    const runtime = compileSecurity(loadConfig(dir.write('signed.yaml', signed('    erp-batch: { certificate: { subject: "CN=erp-batch, O=ACME Corp, C=DE" }, routes: [submit-order] }')), {}), silentLogger, {});
    expect(runtime.authenticator.acceptsWsSignature).to.equal(true);
    expect(runtime.authenticator.acceptsUsernameToken).to.equal(false);
    const notPem = problems(signed('    erp-batch: { certificate: { subject: "CN=erp-batch" }, routes: [submit-order] }', dir.write('not-a-ca.pem', 'hello')));
    expect(notPem).to.contain('security.auth.wsSecurity.signature.ca: it holds no PEM certificate');
    const nobody = problems(signed('    crm: { apiKey: { env: K }, routes: ["*"] }'), { K: randomBytes(16).toString('hex') });
    expect(nobody).to.contain('security.auth.wsSecurity.signature is set but no client has a certificate');
  });

  it('security.auth.wsSecurity.signature.crl: read at boot with a reloader (relative to the file\'s folder); a missing file names the setting; requireSignedHeaders defaults to true', () => {
    const ca = `${process.cwd()}/test/fixtures/tls/clients-ca.crt`;
    dir.write('signing.crl.pem', tlsFixture('clients-ca-none.crl.pem'));
    const yaml = (signature: string): string => `security:
  auth: { mode: required, wsSecurity: { signature: { ca: { file: ${JSON.stringify(ca)} }${signature} } } }
  clients:
    erp-batch: { certificate: { subject: "CN=erp-batch, O=ACME Corp, C=DE" }, routes: [submit-order] }
${MINIMAL_CONFIG}`;
    const loaded = loadConfig(dir.write('crl.yaml', yaml(', crl: { file: signing.crl.pem }, crlReloadSeconds: 5')), {});
    expect(loaded.config.security.auth.wsSecurity.signature?.requireSignedHeaders).to.equal(true);
    const runtime = compileSecurity(loaded, silentLogger, {});
    expect(runtime.signingCrlReloader?.crls.crls.map((c) => c.source.where)).to.deep.equal(['security.auth.wsSecurity.signature.crl']);
    expect(compileSecurity(loadConfig(dir.write('no-crl.yaml', yaml('')), {}), silentLogger, {}).signingCrlReloader).to.equal(undefined);
    const missing = (() => {
      try {
        compileSecurity(loadConfig(dir.write('missing.yaml', yaml(', crl: [{ file: signing.crl.pem }, { file: nowhere.crl.pem }]')), {}), silentLogger, {});
      } catch (error) {
        return error as JunctionError;
      }
      throw new Error('not refused');
    })();
    expect(missing.code).to.equal('JCT_CONFIG_REFERENCE');
    expect(missing.message).to.contain('security.auth.wsSecurity.signature.crl[1]').and.contain('nowhere.crl.pem');
  });

  it('security.auth.wsSecurity.signature.crl: warns at boot about each pinned certificate whose revocation cannot be checked (its CA not in the bundle)', () => {
    dir.write('pinned.crl.pem', tlsFixture('clients-ca-none.crl.pem'));
    const yaml = (bundle: string, crl = true): string => `security:
  auth: { mode: required, wsSecurity: { signature: { ca: { file: ${JSON.stringify(dir.write(`bundle-${randomBytes(4).toString('hex')}.pem`, bundle))} }${crl ? ', crl: { file: pinned.crl.pem }' : ''} } } }
  clients:
    erp-batch: { certificate: { subject: "CN=erp-batch, O=ACME Corp, C=DE" }, routes: [submit-order] }
    leaver: { certificate: { subject: "CN=leaver, O=ACME Corp, C=DE" }, routes: [submit-order] }
${MINIMAL_CONFIG}`;
    const warnings = (bundle: string, crl = true): LogLine[] => {
      const logger = new RecordingLogger();
      compileSecurity(loadConfig(dir.write(`pinned-${randomBytes(4).toString('hex')}.yaml`, yaml(bundle, crl)), {}), logger, {});
      return logger.lines.filter((l) => l.level === 'warn');
    };
    const ca = tlsFixture('clients-ca.crt');
    // The CA (a root, naming no client) and leaver pinned beside its CA: checkable. The self-signed rogue pinned: not.
    const selfSigned = warnings(ca + tlsFixture('client-leaver-rsa.crt') + tlsFixture('client-rogue-rsa.crt'));
    expect(selfSigned).to.have.length(1);
    expect(selfSigned[0]!.message).to.contain('security.auth.wsSecurity.signature.ca: the pinned certificate "CN=erp-batch, O=ACME Corp, C=DE"').and.contain('is self-signed, so no CRL can revoke it');
    expect(selfSigned[0]!.fields.fingerprint256).to.equal(new X509Certificate(tlsFixture('client-rogue-rsa.crt')).fingerprint256);
    // erp-batch pinned without its CA: named, with its issuer and what to do.
    const noCa = warnings(tlsFixture('client-erp-batch-rsa.crt'));
    expect(noCa.map((l) => l.message)).to.deep.equal([`security.auth.wsSecurity.signature.ca: the pinned certificate "CN=erp-batch, O=ACME Corp, C=DE" (SHA-256 ${new X509Certificate(tlsFixture('client-erp-batch-rsa.crt')).fingerprint256}) was issued by "CN=Junction Test Clients CA, O=Junction Tests", which is no CA certificate of the bundle, so its revocation cannot be checked against security.auth.wsSecurity.signature.crl. To be able to revoke it, add that CA's certificate to the bundle (and its CRL to security.auth.wsSecurity.signature.crl), or remove it from the bundle when it must no longer be trusted.`]);
    // Without signature.crl nothing is checked for anyone: nothing to warn about.
    expect(warnings(tlsFixture('client-erp-batch-rsa.crt'), false)).to.deep.equal([]);
  });

  it('reads a business key pointer as RFC 6901 (~0 is ~) before checking it against masked fields', () => {
    const message = problems(`security:
  masking: { fields: ["**/pass~word"] }
endpoints: { oa: { type: http, url: "http://127.0.0.1:9/" } }
routes:
  - id: submit-order
    entry: { rest: { method: POST, path: /orders, businessKey: /pass~0word } }
    to: [oa]
`);
    expect(message).to.contain('businessKey: /pass~0word is a masked field');
  });

  it('the demo stays open: authentication off, no encryption', () => {
    const runtime = compileSecurity(loadConfig('config/default.yaml', {}), silentLogger, {});
    expect(runtime.mode).to.equal('off');
    expect(runtime.cipher).to.equal(undefined);
  });

  it('refuses unknown routes, short or shared keys, a missing variable, nobody able to log in, a masked business key — naming the setting, never the value', () => {
    const shared = 'k'.repeat(20);
    const message = problems(`security:
  auth: { mode: required }
  clients:
    a: { apiKey: { env: KEY_A }, routes: [nowhere] }
    b: { apiKey: { env: KEY_B } }
    c: { apiKey: { env: KEY_C } }
  masking: { fields: ["**/orderId"] }
endpoints: { oa: { type: http, url: "http://127.0.0.1:9/" } }
routes:
  - id: submit-order
    entry: { rest: { method: POST, path: /orders, businessKey: /orderId } }
    to: [oa]
`, { KEY_A: shared, KEY_B: shared, KEY_C: 'short' });
    expect(message).to.contain('security.clients.a.routes: "nowhere" is not a route')
      .and.contain('security.clients.b.apiKey: another client has the same key')
      .and.contain('security.clients.c.apiKey: the key is shorter than 16 characters')
      .and.contain('businessKey: /orderId is a masked field');
    expect(message).not.to.contain(shared);
    expect(problems(`security:\n  clients:\n    a: { apiKey: { env: UNSET_KEY } }\n${MINIMAL_CONFIG}`)).to.contain('the environment variable UNSET_KEY is not set');
    expect(problems(`security:\n  auth: { mode: required }\n${MINIMAL_CONFIG}`)).to.contain('nobody could call Junction');
  });

  it('checks security.auth.jwt.jwksUrl: one source of keys, public-key algorithms only, https unless loopback — naming file, line and path', () => {
    const jwt = (lines: string): string => problems(`security:\n  auth:\n    mode: required\n    jwt:\n      issuer: https://idp.example.com/\n      audience: junction\n${lines}${MINIMAL_CONFIG}`, { PEM: 'x' });
    const both = jwt('      algorithms: [RS256]\n      publicKey: { env: PEM }\n      jwksUrl: https://idp.example.com/certs\n');
    expect(both).to.match(/c-[0-9a-f]+\.yaml:\d+:\d+ security\.auth\.jwt\.jwksUrl: give one source of keys, not publicKey and jwksUrl/);
    const hs = jwt(`      algorithms: [RS256, HS256]\n      jwksUrl: https://idp.example.com/certs\n`);
    expect(hs).to.match(/yaml:\d+:\d+ security\.auth\.jwt\.algorithms: HS256 cannot be used with jwksUrl/);
    const plain = jwt('      algorithms: [RS256]\n      jwksUrl: http://idp.example.com/certs\n');
    expect(plain).to.match(/yaml:\d+:\d+ security\.auth\.jwt\.jwksUrl: must use https:\/\/ \(plain http:\/\/ only to a loopback host\)/);
    expect(jwt('      algorithms: [ES256]\n      jwksUrl: ftp://idp.example.com/certs\n')).to.contain('security.auth.jwt.jwksUrl: must be an https:// URL');
    expect(jwt('      algorithms: [ES256]\n      jwksUrl: not a url\n')).to.contain('security.auth.jwt.jwksUrl: is not a URL');
    expect(jwt('      algorithms: [ES256]\n      publicKey: { env: PEM }\n      jwksCa: { env: PEM }\n')).to.contain('security.auth.jwt.jwksCa: is only used with jwksUrl');
    // Loopback may be plain http (a sidecar, a test identity provider); https anywhere.
    for (const url of ['http://127.0.0.1:8080/certs', 'http://localhost/certs', 'http://[::1]:9/certs', 'https://login.microsoftonline.com/tenant/discovery/v2.0/keys']) {
      expect(jwt(`      algorithms: [RS256]\n      jwksUrl: "${url}"\n`), url).to.equal('');
    }
  });

  it('checks security.auth.jwt.discovery: one source of keys, public-key algorithms, one https issuer URL', () => {
    const jwt = (issuer: string, lines: string): string =>
      problems(`security:\n  auth:\n    mode: required\n    jwt:\n      issuer: ${issuer}\n      audience: junction\n${lines}${MINIMAL_CONFIG}`, { PEM: 'x' });
    expect(jwt('https://idp.example.com/realms/crm', '      algorithms: [RS256]\n      discovery: true\n      jwksCa: { env: PEM }\n')).to.equal('');
    expect(jwt('https://idp.example.com/realms/crm', '      algorithms: [RS256]\n      jwksUrl: https://idp.example.com/certs\n      discovery: true\n'))
      .to.match(/yaml:\d+:\d+ security\.auth\.jwt\.discovery: give one source of keys, not jwksUrl and discovery/);
    expect(jwt('https://idp.example.com/realms/crm', '      algorithms: [HS256]\n      discovery: true\n')).to.contain('security.auth.jwt.algorithms: HS256 cannot be used with discovery');
    expect(jwt('[https://a.example.com, https://b.example.com]', '      algorithms: [RS256]\n      discovery: true\n'))
      .to.match(/security\.auth\.jwt\.issuer: must be one URL with discovery: true/);
    expect(jwt('http://idp.example.com/realms/crm', '      algorithms: [RS256]\n      discovery: true\n')).to.contain('security.auth.jwt.issuer: must use https://');
    expect(jwt('crm-idp', '      algorithms: [RS256]\n      discovery: true\n')).to.contain('security.auth.jwt.issuer: is not a URL; write the identity provider\'s issuer URL');
  });
});
