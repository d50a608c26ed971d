/**
 * The HTTPS connections that carry a client certificate, seen from the server: refusals are
 * logged with OpenSSL's reason (CERT_REVOKED, CRL_HAS_EXPIRED, …), and when the CRLs change the
 * connections verified under the old ones are closed so that their clients handshake again
 * against the new ones — a keep-alive connection would otherwise outlive its certificate's
 * revocation for as long as the client keeps it busy.
 */
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../core/logger';

interface Connection {
  /** Requests whose responses are not finished. */
  busy: number;
  /** Close as soon as no request is in flight. */
  closing: boolean;
}

function presentedCertificate(socket: TLSSocket): boolean {
  const certificate = socket.getPeerCertificate();
  return certificate !== null && typeof certificate === 'object' && Object.keys(certificate).length > 0;
}

export class ClientCertificateConnections {
  private readonly open = new Map<TLSSocket, Connection>();

  constructor(private readonly logger: Logger) {}

  /** Watches `server`'s connections; call once, right after creating it. */
  attach(server: Server): void {
    // clientCertificates: require — the handshake completed, then Node destroyed the socket.
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
      if (socket.authorizationError) {
        this.logger.warn('TLS client certificate refused: the connection is closed', { reason: String(socket.authorizationError), remote: socket.remoteAddress });
      } else {
        this.logger.debug('TLS handshake failed', { reason: error.message, remote: socket.remoteAddress });
      }
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      if (!presentedCertificate(socket)) return;
      if (!socket.authorized) {
        // clientCertificates: request — the connection goes on, the certificate names nobody.
        this.logger.warn('TLS client certificate not verified: the connection goes on without it', { reason: String(socket.authorizationError), remote: socket.remoteAddress });
        return;
      }
      this.open.set(socket, { busy: 0, closing: false });
      socket.once('close', () => this.open.delete(socket));
    });
    server.on('request', (req, res) => {
      const socket = req.socket as TLSSocket;
      const connection = this.open.get(socket);
      if (!connection) return;
      connection.busy += 1;
      res.once('close', () => {
        connection.busy -= 1;
        if (connection.closing && connection.busy === 0) socket.destroy();
      });
    });
  }

  /** How many connections carry a verified client certificate. */
  get size(): number {
    return this.open.size;
  }

  /** Closes every connection with a verified client certificate: idle ones now, busy ones when their responses are done. */
  recycle(): number {
    for (const [socket, connection] of this.open) {
      connection.closing = true;
      if (connection.busy === 0) socket.destroy();
    }
    return this.open.size;
  }
}
