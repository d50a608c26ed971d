import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import { BehaviourValidationError, DEFAULT_BEHAVIOUR, validateBehaviourPatch, type ErpBehaviour, type ErpFaultCode } from './behaviour.js';
import { readErpRequest, SOAP_ACTIONS, type ErpRequest } from './erp-operations.js';
import { findErpWsdlPath, withAddress } from './erp-wsdl.js';
import { faultXml, parseSoapRequest, responseXml, type SoapFault } from './soap-envelope.js';

export { BehaviourValidationError, DEFAULT_BEHAVIOUR, MAX_DELAY_MS, type ErpBehaviour, type ErpFaultCode } from './behaviour.js';
export { ERP_OPERATIONS, SOAP_ACTIONS, type CustomerFields, type ErpOperation, type SalesOrderFields, type SalesOrderLine } from './erp-operations.js';
export { ERP_NS, JUNCTION_HEADERS_NS, SOAP11_ENV_NS } from './soap-envelope.js';
export { findErpWsdlPath } from './erp-wsdl.js';

export interface ErpSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Called with one line per SOAP call and per control action; silent by default. */
  logger?: (line: string) => void;
  /** The WSDL to serve; defaults to the repository's wsdl/erp/erp.wsdl. */
  wsdlPath?: string;
}

/** One applied call: who sent it, what it asked for (exact strings) and what the ERP answered. */
export type ErpReceipt = ErpRequest & {
  /** From the `jh:MessageId` SOAP header, else the `X-Junction-Message-Id` HTTP header. */
  readonly messageId: string;
  /** ISO-8601 time the call was applied. */
  readonly receivedAt: string;
  /** The answer's fields: ERP_CUST_NO and UPDATED_AT, or ERP_ORDER_NO, AMOUNT and LINES. */
  readonly reply: Readonly<Record<string, string>>;
};

export interface ErpStats {
  /** Applied calls (= receipts). */
  received: number;
  /** Distinct message ids among the applied calls. */
  distinct: number;
  /** Message ids applied more than once, in the order they became duplicates. */
  duplicates: string[];
  /** Every POST to /erp/soap, including faulted, rejected and dropped ones. */
  attempts: number;
}

/** Path of the SOAP endpoint; `?wsdl` on it serves the WSDL. */
export const SOAP_PATH = '/erp/soap';
export const MESSAGE_ID_HEADER = 'x-junction-message-id';
const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';

/**
 * Simulates the legacy ERP: a SOAP 1.1 document/literal service (wsdl/erp/erp.wsdl) that records
 * every applied call by message id, keeps field values as exact text, validates like the real one
 * (Client faults) and can be told to fault, stall or drop connections.
 */
export class ErpSimulator {
  private readonly port: number;
  private readonly host: string;
  private readonly log: (line: string) => void;
  private readonly wsdlPath: string | undefined;
  private wsdlSource = '';
  private behaviour: ErpBehaviour = { ...DEFAULT_BEHAVIOUR };
  private records: ErpReceipt[] = [];
  private readonly timesSeen = new Map<string, number>();
  private duplicateIds: string[] = [];
  private attempts = 0;
  private wsdlServed = 0;
  /** The ERP's master data survives reset(): a CUST_NO keeps its ERP_CUST_NO for the process's life. */
  private readonly customerNumbers = new Map<string, string>();
  private orderSeq = 0;
  private server: Server | undefined;
  private baseUrl: string | undefined;
  private aborter = new AbortController();
  private readonly readXmlBody = express.text({ type: () => true, limit: '1mb', defaultCharset: 'utf-8' });

  constructor(options: ErpSimulatorOptions = {}) {
    this.port = options.port ?? 0;
    this.host = options.host ?? '127.0.0.1';
    this.log = options.logger ?? (() => {});
    this.wsdlPath = options.wsdlPath;
  }

  /** Base URL such as http://127.0.0.1:8092; throws before start(). */
  get url(): string {
    if (this.baseUrl === undefined) throw new Error('ErpSimulator is not started');
    return this.baseUrl;
  }

  /** The SOAP endpoint address, `${url}/erp/soap`. */
  get soapUrl(): string {
    return `${this.url}${SOAP_PATH}`;
  }

  /** Where the WSDL is served, `${url}/erp/soap?wsdl`. */
  get wsdlUrl(): string {
    return `${this.soapUrl}?wsdl`;
  }

  /** Reads the WSDL, listens, and resolves the base URL. */
  async start(): Promise<string> {
    if (this.server) throw new Error('ErpSimulator is already started');
    this.wsdlSource = await readFile(this.wsdlPath ?? findErpWsdlPath(), 'utf8');
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

  /** Stops listening, drops keep-alive connections and abandons delayed calls. */
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

  setBehaviour(patch: Partial<ErpBehaviour>): ErpBehaviour {
    this.behaviour = { ...this.behaviour, ...validateBehaviourPatch(patch) };
    this.log(`[erp] behaviour ${JSON.stringify(this.behaviour)}`);
    return this.getBehaviour();
  }

  getBehaviour(): ErpBehaviour {
    return { ...this.behaviour };
  }

  /**
   * Clears behaviour, receipts and counters. The ERP's data stays: a CUST_NO keeps its
   * ERP_CUST_NO and order numbers keep increasing, so numbers are never reused.
   */
  reset(): void {
    this.behaviour = { ...DEFAULT_BEHAVIOUR };
    this.records = [];
    this.timesSeen.clear();
    this.duplicateIds = [];
    this.attempts = 0;
    this.wsdlServed = 0;
    this.log('[erp] reset');
  }

  receipts(): ReadonlyArray<ErpReceipt> {
    return this.records.slice();
  }

  stats(): ErpStats {
    return {
      received: this.records.length,
      distinct: this.timesSeen.size,
      duplicates: this.duplicateIds.slice(),
      attempts: this.attempts,
    };
  }

  /** How many times the WSDL was served (`GET /erp/soap?wsdl`) since start or reset. */
  wsdlRequests(): number {
    return this.wsdlServed;
  }

  private createApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.get(SOAP_PATH, (req, res) => this.onGet(req, res));
    app.post(SOAP_PATH, (req, res) => this.onCall(req, res));
    app.all(SOAP_PATH, (_req, res) => {
      res.set('Allow', 'GET, POST').status(405).type('text/plain').send('use POST for SOAP calls, GET ?wsdl for the WSDL\n');
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
      res.json(this.setBehaviour(req.body as Partial<ErpBehaviour>));
    } catch (err) {
      if (!(err instanceof BehaviourValidationError)) throw err;
      res.status(400).json({ error: err.message, problems: err.problems });
    }
  }

  /** `GET /erp/soap?wsdl`: the WSDL, its address pointing at this simulator as the caller reached it. */
  private onGet(req: Request, res: Response): void {
    if (this.behaviour.down) {
      req.socket.destroy();
      return;
    }
    if (!Object.keys(req.query).some((key) => key.toLowerCase() === 'wsdl')) {
      res.status(400).type('text/plain').send('use POST for SOAP calls, GET ?wsdl for the WSDL\n');
      return;
    }
    this.wsdlServed += 1;
    const host = req.get('host');
    const address = host && /^[\w.:[\]-]+$/.test(host) ? `http://${host}${SOAP_PATH}` : this.soapUrl;
    res.status(200).set('Content-Type', XML_CONTENT_TYPE).send(withAddress(this.wsdlSource, address));
  }

  private async onCall(req: Request, res: Response): Promise<void> {
    this.attempts += 1;
    const { down, delayMs, applyThenDelayMs } = this.behaviour;
    if (down) {
      this.log('[erp] down: dropping connection');
      req.socket.destroy();
      return;
    }
    const failure = this.takeFailure();
    if (delayMs > 0 && !(await this.pause(delayMs))) return;
    if (req.socket.destroyed) {
      this.log(`[erp] client went away during the ${delayMs} ms delay: not applied`);
      return;
    }
    if (failure !== null) {
      this.sendFault(res, simulatedFault(failure));
      return;
    }

    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType !== 'text/xml') {
      this.log(`[erp] 415 content type "${mediaType}"`);
      res.status(415).type('text/plain').send('expected Content-Type: text/xml (SOAP 1.1)\n');
      return;
    }
    let body: string;
    try {
      await new Promise<void>((resolve, fail) => this.readXmlBody(req, res, (err?: unknown) => (err ? fail(err) : resolve())));
      body = typeof req.body === 'string' ? req.body : '';
    } catch (err) {
      const status = httpStatusOf(err) ?? 400;
      res.status(status).type('text/plain').send(status === 413 ? 'body exceeds the 1 MB limit\n' : 'unreadable body\n');
      return;
    }

    const outcome = this.readCall(req, body);
    if (!outcome.ok) {
      this.sendFault(res, outcome.fault);
      return;
    }
    const receipt = this.apply(outcome.messageId, outcome.request);
    if (applyThenDelayMs > 0 && !(await this.pause(applyThenDelayMs))) return;
    const element = `${receipt.operation}Response`;
    res.status(200).set('Content-Type', XML_CONTENT_TYPE).send(responseXml(element, Object.entries(receipt.reply)));
  }

  /** Takes the envelope apart, checks SOAPAction and message id, reads and validates the fields. */
  private readCall(req: Request, body: string): { ok: true; messageId: string; request: ErpRequest } | { ok: false; fault: SoapFault } {
    const parsed = parseSoapRequest(body);
    if (!parsed.ok) return parsed;
    const read = readErpRequest(parsed.operation);
    if (!read.ok) return read;
    const { operation } = read.request;
    const action = (req.get('soapaction') ?? '').trim().replace(/^"(.*)"$/, '$1');
    if (action !== '' && action !== SOAP_ACTIONS[operation]) {
      return { ok: false, fault: { faultcode: 'Client', faultstring: `SOAPAction "${action.slice(0, 100)}" does not match ${operation}`, code: 'SOAP_ACTION_MISMATCH' } };
    }
    const messageId = parsed.messageId ?? (req.get(MESSAGE_ID_HEADER)?.trim() || undefined);
    if (messageId === undefined) {
      return {
        ok: false,
        fault: { faultcode: 'Client', faultstring: 'a MessageId SOAP header or an X-Junction-Message-Id HTTP header is required', code: 'MISSING_MESSAGE_ID' },
      };
    }
    return { ok: true, messageId, request: read.request };
  }

  private apply(messageId: string, request: ErpRequest): ErpReceipt {
    const receivedAt = new Date().toISOString();
    let reply: Record<string, string>;
    if (request.operation === 'CreateOrUpdateCustomer') {
      const custNo = request.fields.CUST_NO;
      const erpNo = this.customerNumbers.get(custNo) ?? `ERP-${String(this.customerNumbers.size + 1).padStart(6, '0')}`;
      this.customerNumbers.set(custNo, erpNo);
      reply = { ERP_CUST_NO: erpNo, UPDATED_AT: receivedAt };
    } else {
      this.orderSeq += 1;
      reply = {
        ERP_ORDER_NO: `SO-${String(this.orderSeq).padStart(6, '0')}`,
        AMOUNT: request.fields.AMOUNT.trim(),
        LINES: String(request.fields.LINE.length),
      };
    }
    const receipt: ErpReceipt = Object.freeze({ ...request, messageId, receivedAt, reply: Object.freeze(reply) });
    this.records.push(receipt);
    const seen = (this.timesSeen.get(messageId) ?? 0) + 1;
    this.timesSeen.set(messageId, seen);
    if (seen === 2) this.duplicateIds.push(messageId);
    const answer = Object.values(reply)[0] ?? '';
    this.log(`[erp] 200 ${request.operation} -> ${answer} msg=${messageId}${seen > 1 ? ` (duplicate x${seen})` : ''}`);
    return receipt;
  }

  private sendFault(res: Response, fault: SoapFault): void {
    this.log(`[erp] 500 soap:${fault.faultcode} ${fault.code}: ${fault.faultstring}`);
    res.status(500).set('Content-Type', XML_CONTENT_TYPE).send(faultXml(fault));
  }

  /** The fault code to fail this call with, or null; counts failNext down and recovers at 0. */
  private takeFailure(): ErpFaultCode | null {
    const { failNext, faultCode } = this.behaviour;
    if (failNext > 0) {
      this.behaviour.failNext = failNext - 1;
      if (failNext === 1) this.behaviour.faultCode = null;
      return faultCode ?? 'Server';
    }
    return faultCode;
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

function simulatedFault(code: ErpFaultCode): SoapFault {
  return code === 'Client'
    ? { faultcode: 'Client', faultstring: 'simulated rejection: the ERP refuses this request', code: 'SIMULATED_REJECTION' }
    : { faultcode: 'Server', faultstring: 'simulated failure: the ERP is temporarily unavailable', code: 'SIMULATED_FAILURE' };
}

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err)) return undefined;
  const { status } = err;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined;
}
