import { expect } from 'chai';
import { LosslessNumber } from 'lossless-json';
import { createEnvelope } from '../../../src/core/envelope';
import { errorForSoapCall, faultOf, isPermanentFault } from '../../../src/endpoints/soap/soap-error-mapper';
import { EXACT_DESERIALIZERS, resultToJson, toSoapArguments } from '../../../src/endpoints/soap/soap-values';
import { describeLocation } from '../../../src/endpoints/soap/wsdl-fetch';

function msg(body: string, contentType = 'application/json') {
  return createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType, body });
}

describe('soap endpoint values (src/endpoints/soap/soap-values)', function () {
  it('turns a JSON body into arguments with numbers as their exact text', function () {
    const args = toSoapArguments(msg('{"A":250.00,"B":1e3,"C":true,"D":null,"E":[{"Q":2},null],"F":"x","__proto__":"p"}'), 'erp');
    expect(args).to.deep.equal({ A: '250.00', B: '1e3', C: 'true', E: [{ Q: '2' }], F: 'x', ['__proto__']: 'p' });
    expect(Object.getPrototypeOf(args)).to.equal(Object.prototype);
  });

  it('passes an XML body through as _xml, without its declaration', function () {
    expect(toSoapArguments(msg('<?xml version="1.0" encoding="UTF-8"?>\n<a>1</a>', 'text/xml'), 'erp')).to.deep.equal({ _xml: '<a>1</a>' });
    expect(toSoapArguments(msg('<a/>', 'application/vnd.erp+xml; charset=utf-8'), 'erp')).to.deep.equal({ _xml: '<a/>' });
  });

  it('refuses bodies that are not a JSON object with JCT_TRANSFORM_FAILED', function () {
    for (const body of ['', '42', '"x"', 'null', '[]']) {
      expect(() => toSoapArguments(msg(body), 'erp'), body).to.throw(/Endpoint "erp": the message body/).with.property('code', 'JCT_TRANSFORM_FAILED');
    }
  });

  it('deserialises numeric XSD types losslessly and keeps dates and non-JSON numbers as text', function () {
    const decimal = EXACT_DESERIALIZERS['decimal'];
    const long = EXACT_DESERIALIZERS['long'];
    expect(decimal?.('250.00')).to.deep.equal(new LosslessNumber('250.00'));
    expect(resultToJson({ n: long?.('9223372036854775807'), inf: EXACT_DESERIALIZERS['double']?.('INF'), plus: decimal?.('+5') }))
      .to.equal('{"n":9223372036854775807,"inf":"INF","plus":"+5"}');
    expect(EXACT_DESERIALIZERS['dateTime']?.('2026-01-02T03:04:05.000+01:00')).to.equal('2026-01-02T03:04:05.000+01:00');
    expect(resultToJson(null)).to.equal('{}');
  });
});

describe('soap endpoint error mapping (src/endpoints/soap/soap-error-mapper)', function () {
  const failure = { endpoint: 'erp', operation: 'Op', timeoutMs: 100, timedOut: false, closed: false };

  it('classifies fault codes: Client/Sender and protocol faults are permanent, the rest are not', function () {
    for (const code of ['soap:Client', 'Client', 'SOAP-ENV:Client.Validation', 'env:Sender', 'soap:VersionMismatch', 'soap:MustUnderstand']) {
      expect(isPermanentFault(code), code).to.equal(true);
    }
    for (const code of ['soap:Server', 'env:Receiver', 'tns:Custom', '']) expect(isPermanentFault(code), code).to.equal(false);
  });

  it('reads SOAP 1.2 faults and values with attributes', function () {
    const error = { root: { Envelope: { Body: { Fault: { Code: { Value: 'env:Sender' }, Reason: { Text: { $value: 'bad input', attributes: { 'xml:lang': 'en' } } } } } } } };
    expect(faultOf(error)).to.deep.equal({ code: 'env:Sender', message: 'bad input' });
    const mapped = errorForSoapCall(failure, error);
    expect([mapped.code, mapped.message]).to.deep.equal(['JCT_ENDPOINT_REJECTED', 'Endpoint "erp" rejected Op with SOAP fault env:Sender: bad input']);
  });

  it('quotes at most 200 characters of a faultstring, without control characters', function () {
    const error = { root: { Envelope: { Body: { Fault: { faultcode: 'soap:Server', faultstring: `a\u0000b\n${'x'.repeat(500)}` } } } } };
    const mapped = errorForSoapCall(failure, error);
    expect(mapped.message).to.match(/fault soap:Server: ab x{197}…$/);
  });

  it('maps HTTP 408 and 429 without a fault like the http endpoint does', function () {
    expect(errorForSoapCall(failure, { response: { status: 408 } }).code).to.equal('JCT_ENDPOINT_TIMEOUT');
    expect(errorForSoapCall(failure, { response: { status: 429 } }).code).to.equal('JCT_ENDPOINT_THROTTLED');
  });

  it('maps timeouts, closes, socket errors and the unforeseen', function () {
    expect(errorForSoapCall({ ...failure, timedOut: true }, { code: 'ERR_CANCELED' }).code).to.equal('JCT_ENDPOINT_TIMEOUT');
    expect(errorForSoapCall(failure, { code: 'ECONNABORTED' }).code).to.equal('JCT_ENDPOINT_TIMEOUT');
    expect(errorForSoapCall({ ...failure, closed: true }, { code: 'ERR_CANCELED' }).code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(errorForSoapCall(failure, { code: 'ENOTFOUND' }).message).to.equal('Endpoint "erp" is unreachable (ENOTFOUND)');
    const internal = errorForSoapCall(failure, new TypeError('secret internals'));
    expect([internal.code, internal.retryable]).to.deep.equal(['JCT_INTERNAL', false]);
    expect(internal.message).to.not.contain('secret');
  });

  it('shows WSDL locations without credentials or query values', function () {
    expect(describeLocation('https://u:p@erp.example:8443/svc?wsdl')).to.equal('https://erp.example:8443/svc?wsdl');
    expect(describeLocation('https://erp.example/svc?wsdl&token=abc')).to.equal('https://erp.example/svc?…');
    expect(describeLocation('/etc/junction/erp.wsdl')).to.equal('/etc/junction/erp.wsdl');
  });
});
