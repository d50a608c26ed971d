import { expect } from 'chai';
import { Transform } from 'node:stream';
import winston from 'winston';
import { JunctionError } from '../../../src/core/errors';
import { createLogger, neutralize } from '../../../src/core/logger';
import { maskJunctionError } from '../../../src/security/masking/mask-error';
import { Masker } from '../../../src/security/masking/masker';

const masker = new Masker({ fields: ['/payment/cardNumber', '/lines/*/secretSku', '**/password', '**/nationalId', '/Order/@pin'] });

describe('masking sensitive fields (security/masking)', () => {
  it('masks JSON by path, with * and **, keeping every other digit exact', () => {
    const body = '{"orderId":"SO-1","amount":250.00,"payment":{"cardNumber":"4111111111111111","holder":"Ada"},'
      + '"lines":[{"secretSku":"S1","qty":2}],"user":{"auth":{"Password":"hunter22"}},"nationalId":123456789}';
    const masked = masker.maskPayload(body, 'application/json');
    expect(JSON.parse(masked)).to.deep.equal({
      orderId: 'SO-1', amount: 250, payment: { cardNumber: '****', holder: 'Ada' },
      lines: [{ secretSku: '****', qty: 2 }], user: { auth: { Password: '****' } }, nationalId: '****',
    });
    expect(masked).to.contain('"amount":250.00');
    expect(masker.maskPayload('{"a":1}', 'application/json')).to.equal('{"a":1}');
  });

  it('lists the sensitive fields a payload holds, with their paths and values (JSON and XML), for the admin API\'s checks', () => {
    const json = '{"payment":{"cardNumber":"4111111111111111"},"lines":[{"secretSku":"S1"},{"secretSku":{"deep":1.50}}],"nationalId":123456789}';
    expect(masker.sensitiveFields(json, 'application/json')).to.deep.equal([
      { path: '/payment/cardNumber', value: '4111111111111111' }, { path: '/lines/0/secretSku', value: 'S1' },
      { path: '/lines/1/secretSku', value: '{"deep":1.50}' }, { path: '/nationalId', value: '123456789' },
    ]);
    expect(masker.sensitiveFields('<Order pin="12"><x><password>pw</password></x></Order>', 'application/xml'))
      .to.deep.equal([{ path: '/Order/@pin', value: '12' }, { path: '/Order/x/password', value: 'pw' }]);
    expect(masker.sensitiveFields('password=x', 'text/plain')).to.deep.equal([]);
  });

  it('masks XML elements (namespaces ignored, nested content too) and attributes by path', () => {
    const xml = '<?xml version="1.0"?><o:Order xmlns:o="urn:x" pin="1234"><o:customer><o:nationalId>AB<b>12</b></o:nationalId><o:password>pw</o:password></o:customer><o:id>7</o:id></o:Order>';
    const masked = masker.maskPayload(xml, 'application/xml');
    expect(masked).to.match(/^<\?xml version="1.0"\?>/);
    expect(masked).to.contain('pin="****"').and.contain('<o:nationalId>****</o:nationalId>').and.contain('<o:password>****</o:password>').and.contain('<o:id>7</o:id>');
    expect(masked).not.to.contain('AB').and.not.to.contain('>pw<');
  });

  it('masks free text by field name (JSON, XML, attributes) and card numbers by shape (Luhn), keeping the last four', () => {
    const line = 'sent {"password": "s3cret", "x": 1} and <ns:password>abc</ns:password> password="q" card 4111 1111 1111 1111 order 1234567890123 account 1000000000000008';
    const out = masker.maskText(line);
    expect(out).not.to.contain('s3cret').and.not.to.contain('>abc<').and.not.to.contain('"q"').and.not.to.contain('4111 1111');
    expect(out).to.contain('****1111').and.contain('1234567890123'); // not a Luhn number: left alone
    expect(out).to.contain('1000000000000008'); // passes Luhn, but no card scheme issues numbers starting with 1
  });

  it('leaves identifiers whole: message ids, trace ids and hex strings are not card numbers', () => {
    // 8-4331-9879-964257 inside this UUID passes the Luhn check; the id must stay searchable in logs.
    const ids = 'message fc400e1e-1ad8-4331-9879-964257b36668 trace 4bf92f3577b34da6a3ce929d0e0e4736 sha 0123456789012345678abc';
    expect(masker.maskText(ids)).to.equal(ids);
    expect(masker.maskText('{"card":"4111111111111111"}')).to.contain('****1111');
  });

  it('leaves a UUID whole even when its first three groups are all digits and read as a card number', () => {
    // 60402052-8821-4962 is 16 digits in a scheme's range with a valid Luhn digit: this message id was
    // logged as ****4962-90e6-0d1cd0b835f0 (the e2e competing-workers test met it once in ~1,000 ids).
    const id = '60402052-8821-4962-90e6-0d1cd0b835f0';
    expect(masker.maskText(`message ${id} delivered`)).to.equal(`message ${id} delivered`);
    expect(masker.maskText(id)).to.equal(id);
    expect(masker.maskText(id.toUpperCase())).to.equal(id.toUpperCase());
    expect(masker.maskText(`key-${id}-2`)).to.equal(`key-${id}-2`);
    // A card number next to one is still masked.
    expect(masker.maskText(`${id} paid with 4111-1111-1111-1111`)).to.equal(`${id} paid with ****1111`);
  });

  it('scrubs the values a message holds at sensitive paths from any text, e.g. a validation error quoting them', () => {
    const body = '<Order pin="9876"><payment><cardNumber>5500-0000-0000-0004</cardNumber></payment><nationalId>X123-45</nationalId></Order>';
    const values = masker.sensitiveValues(body, 'text/xml');
    expect(values).to.include.members(['9876', 'X123-45']);
    const error = new JunctionError('JCT_VALIDATION_FAILED', "The value 'X123-45' is not valid", {
      violations: [{ path: '/Order/nationalId', message: "The value 'X123-45' does not match" }], details: { pin: 'pin was 9876' },
    });
    const masked = maskJunctionError(error, masker, values);
    expect(JSON.stringify(masked.toJSON())).not.to.contain('X123-45').and.not.to.contain('9876');
    expect(masked.code).to.equal('JCT_VALIDATION_FAILED');
    expect(masked.httpStatus).to.equal(422);
  });

  it('falls back to free-text masking for payloads that do not parse', () => {
    expect(masker.maskPayload('{"password":"x",', 'application/json')).to.equal('{"password":"****",');
    expect(masker.maskPayload('<password>x</password><', 'text/xml')).to.equal('<password>****</password><');
  });
});

describe('log lines (core/logger)', () => {
  function capture(options: Parameters<typeof createLogger>[0]): { logger: ReturnType<typeof createLogger>; lines: string[] } {
    const lines: string[] = [];
    const logger = createLogger(options);
    const inner = (logger as unknown as { inner: winston.Logger }).inner;
    inner.clear();
    inner.add(new winston.transports.Stream({ stream: new Transform({ transform(chunk, _e, done) { lines.push(String(chunk)); done(); } }) }));
    return { logger, lines };
  }

  it('neutralises CR, LF and other control characters so a caller cannot forge a line', () => {
    expect(neutralize('a\r\nb\u001b[31m\u2028c\td')).to.equal('a\\r\\nb\\u001b[31m\\u2028c\\td');
    for (const format of ['text', 'json'] as const) {
      const { logger, lines } = capture({ level: 'info', format });
      logger.info('order refused\ninfo forged line', { orderId: 'SO-1\r\n2026-01-01 error admin logged in' });
      expect(lines.join('')).to.not.match(/\n(?!$)/);
      expect(lines).to.have.length(1);
      if (format === 'json') expect(JSON.parse(lines[0]!).orderId).to.equal('SO-1\\r\\n2026-01-01 error admin logged in');
    }
  });

  it('masks sensitive fields and text with a redactor, and never logs fields named like secrets', () => {
    const { logger, lines } = capture({ level: 'info', format: 'json', redactor: masker });
    logger.info('body {"password":"hunter22"} card 4111111111111111', { authorization: 'Bearer abc.def.ghi', nationalId: 'X-1', note: '<password>p</password>' });
    const line = JSON.parse(lines[0]!) as Record<string, string>;
    expect(lines[0]).not.to.contain('hunter22').and.not.to.contain('abc.def').and.not.to.contain('X-1').and.not.to.contain('4111111111111111');
    expect(line.authorization).to.equal('****');
    expect(line.note).to.equal('<password>****</password>');
  });
});
