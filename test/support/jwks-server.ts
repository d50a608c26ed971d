import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** A signing key of a test identity provider: its private half signs, its public JWK is published. */
export interface IdpKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

/** A fresh RS256 key pair with the given key id. */
export async function idpKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, jwk: { ...await exportJWK(publicKey), kid, alg, use: 'sig' } };
}

/** A token signed with `key`, naming its kid, for issuer/audience `claims` may override. */
export function signToken(key: IdpKey, claims: Record<string, unknown> = {}, options: { issuer?: string; audience?: string; alg?: string } = {}): Promise<string> {
  return new SignJWT({ sub: 'crm', ...claims }).setProtectedHeader({ alg: options.alg ?? String(key.jwk.alg), kid: key.kid })
    .setIssuer(options.issuer ?? 'https://idp.example.test/').setAudience(options.audience ?? 'junction')
    .setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
}

/** What the test identity provider answers at its JWKS path. */
export type JwksBehaviour = 'keys' | 'server-error' | 'garbage' | 'hang';

/**
 * A JWKS endpoint on loopback (node:http, or node:https with test/fixtures/tls): serves `keys` as
 * `{ "keys": [...] }` at /jwks, counts the requests, and can misbehave or go away entirely.
 */
export class JwksServer {
  keys: IdpKey[] = [];
  behaviour: JwksBehaviour = 'keys';
  requests = 0;
  /** TCP connections accepted, and (over TLS) handshakes completed — full or resumed, one per TLS session a client set up. */
  connections = 0;
  tlsHandshakes = 0;
  /** How long the server keeps an idle keep-alive connection (Node's default when unset: 5 s, which clients are told). */
  keepAliveTimeoutMs: number | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(private readonly tls = false) {}

  /** The JWKS URL (same port across stop/start). */
  get url(): string {
    return `${this.tls ? 'https://localhost' : 'http://127.0.0.1'}:${this.port}/jwks`;
  }

  async start(): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.answer(req, res);
    const fixtures = path.resolve('test/fixtures/tls');
    const server = this.tls
      ? createHttpsServer({ cert: readFileSync(path.join(fixtures, 'localhost.crt')), key: readFileSync(path.join(fixtures, 'localhost.key')) }, handler)
      : createHttpServer(handler);
    if (this.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = this.keepAliveTimeoutMs;
    server.on('secureConnection', () => { this.tlsHandshakes += 1; });
    server.on('connection', (socket: Socket) => {
      this.connections += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this.url;
  }

  /** Connections open now (a client's keep-alive connections included). */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Stops listening and drops every connection: the identity provider is down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The issuer whose discovery document this server publishes (`<issuer>/.well-known/openid-configuration`). */
  get issuer(): string {
    return this.url.replace(/\/jwks$/, '/realms/crm');
  }

  /** Overrides fields of the discovery document (an `issuer` or `jwks_uri` of its own); null: no document (404). */
  discovery: Record<string, unknown> | null = {};
  discoveryRequests = 0;
  /** Answers the discovery document's address with a redirect here instead. */
  discoveryRedirect: string | undefined;
  /** More paths this server answers (the sign-in endpoints of oidc-provider.ts), by path without the query. */
  readonly handlers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const handler = this.handlers.get((req.url ?? '').split('?')[0] ?? '');
    if (handler) {
      handler(req, res);
      return;
    }
    if (req.url === '/realms/crm/.well-known/openid-configuration') {
      this.discoveryRequests += 1;
      if (this.discoveryRedirect !== undefined) {
        res.writeHead(302, { location: this.discoveryRedirect }).end();
        return;
      }
      if (this.discovery === null || this.behaviour === 'server-error') {
        res.writeHead(this.discovery === null ? 404 : 500).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ issuer: this.issuer, jwks_uri: this.url, id_token_signing_alg_values_supported: ['RS256'], ...this.discovery }));
      return;
    }
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    this.requests += 1;
    switch (this.behaviour) {
      case 'hang':
        return; // never answers; stop() drops the socket
      case 'server-error':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('identity provider is restarting');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": "not a list"}');
        return;
      default:
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: this.keys.map((k) => k.jwk) }));
    }
  }
}
