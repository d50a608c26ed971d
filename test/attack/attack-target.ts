import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/ports';

/** Heap ceiling of the Junction under attack: a hostile request that needed more would crash it. */
export const HEAP_MB = 160;

/** Credentials the attack suite's Junction knows (handed to it through the environment only). */
export const CREDENTIALS = {
  crmKey: `crm-${randomBytes(16).toString('hex')}`,
  shopKey: `shop-${randomBytes(16).toString('hex')}`,
  erpPassword: `erp-${randomBytes(8).toString('hex')}`,
  jwtSecret: randomBytes(32).toString('base64'),
  payloadKeys: `k1:${randomBytes(32).toString('base64')}`,
  viewerToken: `viewer-${randomBytes(16).toString('hex')}`,
  operatorToken: `operator-${randomBytes(16).toString('hex')}`,
};

const repo = path.resolve(__dirname, '../../..');

/** The configuration: the demo's routes and SOAP service, authentication required, masking, payload encryption, endpoints that refuse connections. */
function configText(port: number, dir: string): string {
  const file = (p: string): string => JSON.stringify(path.join(repo, p));
  return `
server: { port: ${port}, host: 127.0.0.1, bodyLimitBytes: 1048576 }
log: { level: info, format: json }
store: { url: "sqlite:${path.join(dir, 'junction.db')}" }
bus: { url: "memory:" }
soap:
  services:
    crm: { wsdl: ${file('wsdl/crm/crm.wsdl')}, builtins: { GetMessageStatus: message-status }, idempotency: messageId }
endpoints:
  erp-customers: { type: http, url: "http://127.0.0.1:9/erp", timeoutMs: 2000, breaker: false }
  erp-orders: { type: http, url: "http://127.0.0.1:9/erp", timeoutMs: 2000, breaker: false }
security:
  auth:
    mode: required
    jwt: { algorithms: [HS256], secret: { env: ATTACK_JWT_SECRET }, issuer: https://idp.example, audience: junction }
    # Signed SOAP requests (WS-Security X.509): certificates issued by the test clients' CA, checked
    # against the CRL in signing.crl.pem (re-read every second); acted-on headers must be signed.
    wsSecurity:
      signature: { ca: { file: ${file('test/fixtures/tls/clients-ca.crt')} }, crl: { file: signing.crl.pem }, crlReloadSeconds: 1 }
  clients:
    crm-app: { apiKey: { env: ATTACK_CRM_KEY }, routes: ["*"] }
    shop: { apiKey: { env: ATTACK_SHOP_KEY }, routes: [submit-order] }
    erp-batch: { username: erp, password: { env: ATTACK_ERP_PASSWORD }, routes: [submit-order] }
    erp-signer: { certificate: { subject: "CN=erp-batch, O=ACME Corp, C=DE" }, routes: [submit-order] }
    leaver-signer: { certificate: { subject: "CN=leaver, O=ACME Corp, C=DE" }, routes: [submit-order] }
  masking:
    # currency stands in for a pattern-checked sensitive field (a national id, say): the XSD error quotes it.
    fields: ["**/password", "**/email", "**/phone", "**/name", "**/currency"]
  payloadEncryption: { keys: { env: ATTACK_PAYLOAD_KEYS } }
admin:
  tokens:
    - { name: watcher, role: viewer, token: "\${ATTACK_VIEWER_TOKEN}" }
    - { name: oncall, role: operator, token: "\${ATTACK_OPERATOR_TOKEN}" }
routes:
  - id: upsert-customer
    pattern: request-reply
    replyTimeoutMs: 5000
    retry: { attempts: 1 }
    entry:
      soap: { service: crm, operation: UpsertCustomer, businessKey: /customerId }
      rest: { method: PUT, path: "/customers/{customerId}", schema: ${file('config/schemas/customer.schema.json')}, businessKey: /customerId }
    steps: [{ name: crm-to-erp, type: map, mapping: ${file('config/mappings/crm-to-erp-customer.yaml')} }]
    to: [erp-customers]
  - id: submit-order
    pattern: one-way
    capture: steps
    retry: { attempts: 1 }
    entry:
      soap: { service: crm, operation: SubmitOrder, businessKey: /orderId }
      rest: { method: POST, path: /orders, schema: ${file('config/schemas/order.schema.json')}, businessKey: /orderId }
    steps: [{ name: order-to-erp, type: map, mapping: ${file('config/mappings/order-to-erp.yaml')} }]
    to: [erp-orders]
`;
}

/** A Junction process under attack: real HTTP, a bounded heap, its output kept for inspection. */
export class AttackTarget {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'junction-attack-'));
  readonly output: string[] = [];
  baseUrl = '';
  child: ChildProcess | undefined;

  get dbFile(): string {
    return path.join(this.dir, 'junction.db');
  }

  /** `security.auth.wsSecurity.signature.crl`: at start a CRL of the clients' CA that revokes nothing. */
  get signingCrl(): string {
    return path.join(this.dir, 'signing.crl.pem');
  }

  async start(): Promise<void> {
    const port = await freePort();
    const config = path.join(this.dir, 'junction.yaml');
    writeFileSync(config, configText(port, this.dir));
    copyFileSync(path.join(repo, 'test/fixtures/tls/clients-ca-none.crl.pem'), this.signingCrl);
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, path.join(repo, 'dist/src/main.js'), '--config', config], {
      env: {
        PATH: process.env.PATH,
        ATTACK_JWT_SECRET: CREDENTIALS.jwtSecret, ATTACK_CRM_KEY: CREDENTIALS.crmKey, ATTACK_SHOP_KEY: CREDENTIALS.shopKey,
        ATTACK_ERP_PASSWORD: CREDENTIALS.erpPassword, ATTACK_PAYLOAD_KEYS: CREDENTIALS.payloadKeys,
        ATTACK_VIEWER_TOKEN: CREDENTIALS.viewerToken, ATTACK_OPERATOR_TOKEN: CREDENTIALS.operatorToken,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let partial = '';
    const keep = (chunk: Buffer): void => {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      this.output.push(...lines);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Junction did not start:\n${this.output.join('\n')}`)), 20_000);
      const check = setInterval(() => {
        if (this.output.some((l) => l.includes('junction started'))) {
          clearTimeout(timer);
          clearInterval(check);
          resolve();
        }
      }, 50);
      child.once('exit', (code) => {
        clearTimeout(timer);
        clearInterval(check);
        reject(new Error(`Junction exited with ${code}:\n${this.output.join('\n')}`));
      });
    });
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  /** True while the process runs. */
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && this.alive) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An answer read in full, with how long it took. */
export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly ms: number;
}

/**
 * Sends a request with a raw body (string or a generator of chunks, streamed while the server
 * lets it) and reads the answer; resolves as soon as the answer is complete, even if the server
 * stopped reading the body. Rejects after `timeoutMs`.
 */
export function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | (() => Iterable<Buffer>); timeoutMs?: number } = {}): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'POST', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started });
        req.destroy();
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);
    req.on('error', () => undefined); // EPIPE / ECONNRESET once the server closes a refused upload: the answer decides
    const body = options.body;
    if (body === undefined || typeof body === 'string') {
      req.end(body);
      return;
    }
    const chunks = body()[Symbol.iterator]();
    const pump = (): void => {
      for (;;) {
        if (req.destroyed) return;
        const next = chunks.next();
        if (next.done) {
          req.end();
          return;
        }
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}
