import { setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import { approvalResponseXml, errorXml, parseApprovalRequest, type ApprovalFields, type XmlProblem } from './approval-xml.js';
import { BehaviourValidationError, DEFAULT_BEHAVIOUR, validateBehaviourPatch, type OaBehaviour } from './behaviour.js';

export { BehaviourValidationError, DEFAULT_BEHAVIOUR, MAX_DELAY_MS, type OaBehaviour } from './behaviour.js';
export { REQUIRED_FIELDS, type ApprovalField, type ApprovalFields, type XmlProblem } from './approval-xml.js';

export interface OaSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Called with one line per approval request and per control action; silent by default. */
  logger?: (line: string) => void;
}

/** One applied approval request. */
export interface OaReceipt {
  readonly messageId: string;
  /** ISO-8601 time the request was applied. */
  readonly receivedAt: string;
  /** The request body exactly as received. */
  readonly body: string;
  readonly approvalId: string;
  /** The required fields as parsed from the body. */
  readonly fields: ApprovalFields;
}

export interface OaStats {
  /** Applied requests (= receipts). */
  received: number;
  /** Distinct message ids among the applied requests. */
  distinct: number;
  /** Message ids applied more than once, in the order they became duplicates. */
  duplicates: string[];
  /** Every request to POST /oa/approvals, including rejected, failed and dropped ones. */
  attempts: number;
  /** Requests for a message id already applied, answered without applying (with `dedupeById`). */
  deduplicated: number;
}

export const APPROVALS_PATH = '/oa/approvals';
export const MESSAGE_ID_HEADER = 'x-junction-message-id';
const XML_TYPES = new Set(['application/xml', 'text/xml']);
const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

type ApprovalOutcome = { ok: true; receipt: OaReceipt } | { ok: false; status: number; problem: XmlProblem };

function reject(status: number, code: string, message: string): ApprovalOutcome {
  return { ok: false, status, problem: { code, message } };
}

/** Simulates the legacy OA system: a REST service with XML bodies that counts deliveries by message id. */
export class OaSimulator {
  private readonly port: number;
  private readonly host: string;
  private readonly log: (line: string) => void;
  private behaviour: OaBehaviour = { ...DEFAULT_BEHAVIOUR };
  private records: OaReceipt[] = [];
  private readonly timesSeen = new Map<string, number>();
  private duplicateIds: string[] = [];
  private attempts = 0;
  private deduplicated = 0;
  private approvalSeq = 0;
  private server: Server | undefined;
  private baseUrl: string | undefined;
  private aborter = new AbortController();
  private readonly readXmlBody = express.text({ type: () => true, limit: '1mb', defaultCharset: 'utf-8' });

  constructor(options: OaSimulatorOptions = {}) {
    this.port = options.port ?? 0;
    this.host = options.host ?? '127.0.0.1';
    this.log = options.logger ?? (() => {});
  }

  /** Base URL such as http://127.0.0.1:8091; throws before start(). */
  get url(): string {
    if (this.baseUrl === undefined) throw new Error('OaSimulator is not started');
    return this.baseUrl;
  }

  async start(): Promise<string> {
    if (this.server) throw new Error('OaSimulator is already started');
    this.aborter = new AbortController();
    // close() aborts it to end every pause at once; any number of requests may pause on it together.
    setMaxListeners(0, this.aborter.signal);
    const server = createServer(this.createApp());
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.server = undefined;
      throw err;
    }
    const { port } = server.address() as AddressInfo;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.baseUrl = `http://${host}:${port}`;
    return this.baseUrl;
  }

  /** Stops listening, drops keep-alive connections and abandons delayed requests. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.baseUrl = undefined;
    this.aborter.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  setBehaviour(patch: Partial<OaBehaviour>): OaBehaviour {
    this.behaviour = { ...this.behaviour, ...validateBehaviourPatch(patch) };
    this.log(`[oa] behaviour ${JSON.stringify(this.behaviour)}`);
    return this.getBehaviour();
  }

  getBehaviour(): OaBehaviour {
    return { ...this.behaviour };
  }

  /** Clears behaviour, receipts and counters (approval ids keep increasing so they are never reused). */
  reset(): void {
    this.behaviour = { ...DEFAULT_BEHAVIOUR };
    this.records = [];
    this.timesSeen.clear();
    this.duplicateIds = [];
    this.attempts = 0;
    this.deduplicated = 0;
    this.log('[oa] reset');
  }

  receipts(): ReadonlyArray<OaReceipt> {
    return this.records.slice();
  }

  stats(): OaStats {
    return {
      received: this.records.length,
      distinct: this.timesSeen.size,
      duplicates: this.duplicateIds.slice(),
      attempts: this.attempts,
      deduplicated: this.deduplicated,
    };
  }

  private createApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.post(APPROVALS_PATH, (req, res) => this.onApproval(req, res));
    app.all(APPROVALS_PATH, (_req, res) => {
      res.set('Allow', 'POST');
      sendXml(res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'use POST' });
    });
    app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
    app.get('/_sim/stats', (_req, res) => void res.json(this.stats()));
    app.get('/_sim/receipts', (_req, res) => void res.json(this.records));
    app.get('/_sim/behaviour', (_req, res) => void res.json(this.behaviour));
    app.put('/_sim/behaviour', express.json({ limit: '16kb' }), (req, res) => this.onSetBehaviour(req, res));
    app.post('/_sim/reset', (_req, res) => {
      this.reset();
      res.status(204).end();
    });
    app.use((req, res) => void res.status(404).json({ error: `no route for ${req.method} ${req.path}` }));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const status = httpStatusOf(err) ?? 500;
      res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
    });
    return app;
  }

  private onSetBehaviour(req: Request, res: Response): void {
    if (!req.is('application/json')) {
      res.status(415).json({ error: 'expected Content-Type: application/json' });
      return;
    }
    try {
      // setBehaviour validates its argument at run time, so the cast is checked.
      res.json(this.setBehaviour(req.body as Partial<OaBehaviour>));
    } catch (err) {
      if (!(err instanceof BehaviourValidationError)) throw err;
      res.status(400).json({ error: err.message, problems: err.problems });
    }
  }

  private async onApproval(req: Request, res: Response): Promise<void> {
    this.attempts += 1;
    const { down, delayMs, applyThenDelayMs } = this.behaviour;
    if (down) {
      this.log('[oa] down: dropping connection');
      req.socket.destroy();
      return;
    }
    const failStatus = this.takeFailure();
    if (delayMs > 0 && !(await this.pause(delayMs))) return;
    if (req.socket.destroyed) {
      this.log(`[oa] client went away during the ${delayMs} ms delay: not applied`);
      return;
    }
    if (failStatus !== null) {
      sendXml(res, failStatus, { code: 'SIMULATED_FAILURE', message: `simulated failure ${failStatus}` });
      return;
    }

    const outcome = await this.readApproval(req, res);
    if (!outcome.ok) {
      this.log(`[oa] ${outcome.status} ${outcome.problem.code}: ${outcome.problem.message}`);
      sendXml(res, outcome.status, outcome.problem);
      return;
    }
    const { receipt } = outcome;
    if (applyThenDelayMs > 0 && !(await this.pause(applyThenDelayMs))) return;
    res.status(200).set('Content-Type', XML_CONTENT_TYPE).send(approvalResponseXml(receipt.approvalId, receipt.fields.orderId));
  }

  /** Validates the request and, if it is acceptable, applies it. */
  private async readApproval(req: Request, res: Response): Promise<ApprovalOutcome> {
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!XML_TYPES.has(mediaType)) {
      return reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/xml or text/xml');
    }
    const messageId = req.get(MESSAGE_ID_HEADER)?.trim() ?? '';
    if (messageId === '') return reject(400, 'MISSING_MESSAGE_ID', 'the X-Junction-Message-Id header is required');
    try {
      await new Promise<void>((resolve, fail) => this.readXmlBody(req, res, (err?: unknown) => (err ? fail(err) : resolve())));
    } catch (err) {
      return { ok: false, status: httpStatusOf(err) ?? 400, problem: bodyProblem(err) };
    }
    const body: unknown = req.body;
    const text = typeof body === 'string' ? body : '';
    const parsed = parseApprovalRequest(text);
    if (!parsed.ok) return { ok: false, status: 400, problem: parsed.problem };
    return { ok: true, receipt: this.apply(messageId, text, parsed.fields) };
  }

  private apply(messageId: string, body: string, fields: ApprovalFields): OaReceipt {
    if (this.behaviour.dedupeById) {
      const first = this.records.find((r) => r.messageId === messageId);
      if (first) {
        this.deduplicated += 1;
        this.log(`[oa] 200 already applied ${first.approvalId} msg=${messageId}: answered again, not applied`);
        return first;
      }
    }
    this.approvalSeq += 1;
    const receipt: OaReceipt = Object.freeze({
      messageId,
      receivedAt: new Date().toISOString(),
      body,
      approvalId: `OA-${this.approvalSeq}`,
      fields,
    });
    this.records.push(receipt);
    const seen = (this.timesSeen.get(messageId) ?? 0) + 1;
    this.timesSeen.set(messageId, seen);
    if (seen === 2) this.duplicateIds.push(messageId);
    this.log(`[oa] 200 applied ${receipt.approvalId} order=${fields.orderId} msg=${messageId}${seen > 1 ? ` (duplicate x${seen})` : ''}`);
    return receipt;
  }

  /** The status to fail this request with, or null; counts failNext down and recovers at 0. */
  private takeFailure(): number | null {
    const { failNext, failStatus } = this.behaviour;
    if (failNext > 0) {
      this.behaviour.failNext = failNext - 1;
      if (failNext === 1) this.behaviour.failStatus = null;
      return failStatus ?? 500;
    }
    return failStatus;
  }

  /** Resolves false if the simulator was closed meanwhile. */
  private async pause(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.aborter.signal });
      return true;
    } catch {
      return false;
    }
  }
}

function sendXml(res: Response, status: number, problem: XmlProblem): void {
  res.status(status).set('Content-Type', XML_CONTENT_TYPE).send(errorXml(problem));
}

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err)) return undefined;
  const { status } = err;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined;
}

function bodyProblem(err: unknown): XmlProblem {
  const type = typeof err === 'object' && err !== null && 'type' in err ? String(err.type) : '';
  if (type === 'entity.too.large') return { code: 'PAYLOAD_TOO_LARGE', message: 'body exceeds the 1 MB limit' };
  if (type === 'charset.unsupported') return { code: 'UNSUPPORTED_CHARSET', message: err instanceof Error ? err.message : 'unsupported charset' };
  return { code: 'BAD_REQUEST', message: err instanceof Error ? err.message : String(err) };
}
