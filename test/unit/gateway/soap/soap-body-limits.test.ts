import net from 'node:net';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { expectFault11, expectFault12 } from './fault-assertions';
import { envelope11, envelope12, post, post11, post12, startSoapServer, UPSERT_BODY, type RawResponse, type SoapTestServer } from './soap-test-server';

const LIMIT = 64 * 1024;

/** A raw HTTP exchange on one socket: what the server answered, and whether it closed the connection. */
interface Exchange extends RawResponse {
  readonly closedByServer: boolean;
  readonly bytesSent: number;
  /** Statuses of interim (1xx) answers before the final one. */
  readonly interim: readonly number[];
}

/**
 * Sends `head`, then `chunk` every few milliseconds until the response arrives (or `maxBytes`
 * were sent), never finishing the body unless `finish` is given. Resolves with the response.
 */
function exchange(url: string, head: string, options: { chunk?: Buffer; maxBytes?: number; finish?: Buffer; chunked?: boolean } = {}): Promise<Exchange> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = Buffer.alloc(0);
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let closedByServer = false;
    const done = (): void => {
      clearInterval(timer);
      const interim: number[] = [];
      while (/^HTTP\/1\.1 1\d\d /.test(received.toString('latin1', 0, 13))) {
        interim.push(Number(received.toString('latin1', 9, 12)));
        received = received.subarray(received.indexOf('\r\n\r\n') + 4);
      }
      const text = received.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) {
        reject(new Error(`no response: ${text.slice(0, 200)}`));
        return;
      }
      const lines = text.slice(0, split).split('\r\n');
      const headers = new Headers();
      for (const line of lines.slice(1)) headers.append(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim());
      const length = Number(headers.get('content-length') ?? '0');
      resolve({
        status: Number(lines[0]!.split(' ')[1]),
        contentType: headers.get('content-type'),
        headers,
        text: received.subarray(Buffer.byteLength(text.slice(0, split + 4), 'latin1')).subarray(0, length).toString('utf8'),
        closedByServer,
        bytesSent: sent,
        interim,
      });
    };
    socket.on('data', (data: Buffer) => { received = Buffer.concat([received, data]); });
    socket.on('end', () => { closedByServer = true; done(); socket.destroy(); });
    socket.on('error', () => { closedByServer = true; done(); });
    socket.on('connect', () => {
      socket.write(head);
      if (options.finish) {
        socket.write(options.finish);
        return;
      }
      if (!options.chunk) return;
      timer = setInterval(() => {
        if (sent >= (options.maxBytes ?? Infinity) || socket.destroyed) return;
        const data = options.chunked ? Buffer.concat([Buffer.from(`${options.chunk!.length.toString(16)}\r\n`), options.chunk!, Buffer.from('\r\n')]) : options.chunk!;
        socket.write(data);
        sent += options.chunk!.length;
      }, 5);
    });
  });
}

describe('SOAP gateway: body limit and character sets', () => {
  let server: SoapTestServer;

  before(async () => { server = await startSoapServer({ bodyLimitBytes: LIMIT }); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());

  it('refuses a declared Content-Length over the limit without reading the body, and closes the connection', async () => {
    const head = 'POST /soap/crm HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: ""\r\nContent-Length: 10000000\r\n\r\n';
    const res = await exchange(server.url, head);
    expect(res.bytesSent).to.equal(0);
    expect(expectFault11(res, 'Client', 'JCT_REQUEST_TOO_LARGE').reason).to.contain(`limit of ${LIMIT} bytes`);
    expect(res.headers.get('connection')).to.equal('close');
    expect(res.closedByServer).to.equal(true);
  });

  it('stops reading a chunked body as soon as it passes the limit (the caller is still sending)', async () => {
    const head = 'POST /soap/crm HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/soap+xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n';
    const res = await exchange(server.url, head, { chunk: Buffer.alloc(8 * 1024, 0x20), maxBytes: 50 * LIMIT, chunked: true });
    expectFault12(res, 'Sender', 'JCT_REQUEST_TOO_LARGE');
    expect(res.bytesSent).to.be.below(10 * LIMIT);
    expect(res.closedByServer).to.equal(true);
    expect(server.calls).to.have.length(0);
  });

  it('accepts a body just under the limit', async () => {
    const padding = `<!--${' '.repeat(LIMIT - 600)}-->`;
    const res = await post11(server.url, envelope11(UPSERT_BODY).replace('<soap:Body>', `${padding}<soap:Body>`), '""');
    expect(res.status, res.text.slice(0, 300)).to.equal(200);
  });

  it('takes bodies compressed as PHP\'s SoapClient and CXF send them (gzip, zlib deflate, raw deflate); the limit holds decompressed', async () => {
    const envelope = envelope11(UPSERT_BODY.replace('Ada', 'Zoë Ångström'));
    for (const [encoding, body] of [['gzip', gzipSync(envelope)], ['x-gzip', gzipSync(envelope)], ['deflate', deflateSync(envelope)], ['deflate', deflateRawSync(envelope)]] as const) {
      server.reset();
      const res = await post(server.url, body, { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', 'content-encoding': encoding });
      expect(res.status, `${encoding}: ${res.text.slice(0, 300)}`).to.equal(200);
      expect(server.calls).to.have.length(1);
      expect(server.calls[0]!.payload).to.contain('Zoë Ångström');
    }
    server.reset();
    // Small on the wire, over the limit once decompressed: refused, and dispatch never called.
    const padding = `<!--${' '.repeat(LIMIT * 4)}-->`;
    const bomb = gzipSync(envelope.replace('<soap:Body>', `${padding}<soap:Body>`));
    expect(bomb.length).to.be.below(LIMIT);
    const res = await post(server.url, bomb, { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', 'content-encoding': 'gzip' });
    expect(expectFault11(res, 'Client', 'JCT_REQUEST_TOO_LARGE').reason).to.contain(`limit of ${LIMIT} bytes once decompressed`);
    expect(server.calls).to.have.length(0);
  });

  it('answers a .NET-style Expect: 100-continue request', async () => {
    const body = Buffer.from(envelope11(UPSERT_BODY));
    const head = `POST /soap/crm HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: ""\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
    const res = await exchange(server.url, head, { finish: body });
    expect(res.interim).to.deep.equal([100]);
    expect(res.status, res.text).to.equal(200);
    expect(server.calls).to.have.length(1);
  });

  it('decodes ISO-8859-1 named by the Content-Type charset', async () => {
    const body = Buffer.from(envelope11(UPSERT_BODY.replace('Ada', 'Zoë Müller-Straße')), 'latin1');
    const res = await post(server.url, body, { 'content-type': 'text/xml; charset=ISO-8859-1', soapaction: '""' });
    expect(res.status, res.text).to.equal(200);
    expect(JSON.parse(server.calls[0]!.payload)).to.include({ name: 'Zoë Müller-Straße' });
  });

  it('decodes ISO-8859-1 named only by the XML declaration, and lets the Content-Type charset win over it', async () => {
    const latin1 = envelope11(UPSERT_BODY.replace('Ada', 'Jérôme')).replace('encoding="utf-8"', 'encoding="ISO-8859-1"');
    expect((await post(server.url, Buffer.from(latin1, 'latin1'), { 'content-type': 'text/xml', soapaction: '""' })).status).to.equal(200);
    expect((await post(server.url, Buffer.from(latin1, 'utf8'), { 'content-type': 'text/xml; charset="utf-8"', soapaction: '""' })).status).to.equal(200);
    expect(server.calls.map((c) => (JSON.parse(c.payload) as { name: string }).name)).to.deep.equal(['Jérôme', 'Jérôme']);
  });

  it('accepts a UTF-8 byte order mark and windows-1252; refuses a NUL character reference', async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(envelope11(UPSERT_BODY))]);
    expect((await post(server.url, bom, { 'content-type': 'text/xml', soapaction: '""' })).status).to.equal(200);
    const cp1252 = Buffer.from(envelope11(UPSERT_BODY.replace('Ada', 'Ada X')), 'latin1');
    cp1252[cp1252.indexOf('X')] = 0x80; // € in windows-1252
    expect((await post(server.url, cp1252, { 'content-type': 'text/xml; charset=windows-1252', soapaction: '""' })).status).to.equal(200);
    expect(server.calls.map((c) => (JSON.parse(c.payload) as { name: string }).name)).to.deep.equal(['Ada', 'Ada €']);
    const nul = await post(server.url, envelope11(UPSERT_BODY.replace('Ada', 'A&#0;')), { 'content-type': 'text/xml', soapaction: '""' });
    expectFault11(nul, 'Client', 'JCT_REQUEST_MALFORMED');
    expect(server.calls).to.have.length(2);
  });

  it('keeps UTF-8 text exactly, including characters outside the BMP', async () => {
    const res = await post12(server.url, envelope12(UPSERT_BODY.replace('Ada', 'Ада 😀 &amp; co')));
    expect(res.status, res.text).to.equal(200);
    expect(JSON.parse(server.calls[0]!.payload)).to.include({ name: 'Ада 😀 & co' });
  });
});
