import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';

/** Capability flags of the greeting: protocol 4.1, secure connection, plugin auth, and SSL. */
const CAPABILITIES = 0x1 | 0x4 | 0x8 | 0x200 | 0x800 | 0x2000 | 0x8000 | 0x80000;
/** A client's SSLRequest packet: 4-byte header and 32 bytes. */
const SSL_REQUEST_BYTES = 36;

function greeting(): Buffer {
  const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
  const payload = Buffer.concat([
    Buffer.from([10]), Buffer.from('5.5.5-10.11.0-MariaDB\0', 'latin1'), Buffer.from([1, 0, 0, 0]),
    Buffer.from('abcdefgh', 'latin1'), Buffer.from([0]), u16(CAPABILITIES & 0xffff), Buffer.from([0x21]), u16(2),
    u16(CAPABILITIES >>> 16), Buffer.from([21]), Buffer.alloc(10), Buffer.from('ijklmnopqrst\0', 'latin1'),
    Buffer.from('mysql_native_password\0', 'latin1'),
  ]);
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  return Buffer.concat([header, payload]);
}

/**
 * A server that greets like MariaDB offering TLS, takes the client's SSLRequest and then does the
 * TLS handshake with `cert` and `key` — enough to see how a MySQL client's TLS checks fail (an
 * untrusted, expired or misnamed certificate) without a real server holding such a certificate.
 */
export class MysqlTlsGreeter {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** TLS handshakes completed (the client accepted the certificate); nothing is said after one. */
  handshakes = 0;

  constructor(private readonly identity: { readonly cert: string; readonly key: string }) {
    this.server = net.createServer((socket) => this.greet(socket));
  }

  /** Listens on loopback; resolves the port. */
  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private greet(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      if (received.length < SSL_REQUEST_BYTES) return;
      socket.off('data', onData);
      socket.pause();
      // The client's TLS hello may have come in the same chunk as its SSLRequest.
      if (received.length > SSL_REQUEST_BYTES) socket.unshift(received.subarray(SSL_REQUEST_BYTES));
      const secure = new tls.TLSSocket(socket, { isServer: true, cert: this.identity.cert, key: this.identity.key });
      secure.on('error', () => undefined);
      secure.on('secure', () => { this.handshakes += 1; });
    };
    socket.on('data', onData);
    socket.write(greeting());
  }
}
