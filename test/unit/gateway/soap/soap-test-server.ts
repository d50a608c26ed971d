import { createServer } from 'node:http';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import express from 'express';
import { JunctionError } from '../../../../src/core/errors';
import { silentLogger, type Logger } from '../../../../src/core/logger';
import { errorHandler, notFound } from '../../../../src/gateway/http/error-handler';
import { requestId } from '../../../../src/gateway/http/request-id';
import {
  createSoapGateway, type SoapCall, type SoapGatewayOptions, type SoapGatewayRouter, type SoapOutcome,
} from '../../../../src/gateway/soap/soap-gateway';
import { closeNow, listenOnLoopback } from '../../../support/ports';

export const CRM_NS = 'urn:junction:crm:v1';
export const FAULT_NS = 'urn:junction:faults:v1';
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const CRM_SERVICE = { name: 'crm', path: '/soap/crm', wsdlFile: 'wsdl/crm/crm.wsdl' } as const;

/** The replies the fake dispatch gives when a test does not set its own handler. */
export const DEFAULT_UPSERT_REPLY = '{"customerId":"C-42","erpCustomerNo":"ERP-000123","syncedAt":"2026-11-05T10:15:00.123+01:00"}';
export const DEFAULT_STATUS_REPLY = '{"status":"FAILED","attempts":3,"lastError":{"code":"JCT_ENDPOINT_REJECTED","message":"ERP answered HTTP 400 & <refused>"}}';

function defaultHandler(call: SoapCall): Promise<SoapOutcome> {
  if (call.oneWay) return Promise.resolve({ kind: 'accepted', messageId: 'msg-accepted-1' });
  const payload = call.operation === 'UpsertCustomer' ? DEFAULT_UPSERT_REPLY : DEFAULT_STATUS_REPLY;
  return Promise.resolve({ kind: 'reply', messageId: `msg-${call.operation}`, payload });
}

/** A bare express app with the SOAP gateway on port 0, a recording fake dispatch, and the app's error handling. */
export interface SoapTestServer {
  readonly base: string;
  readonly url: string;
  readonly calls: SoapCall[];
  readonly gateway: SoapGatewayRouter;
  /** Replaces the fake dispatch's behaviour (reset by {@link reset}). */
  handler: (call: SoapCall) => Promise<SoapOutcome>;
  reset(): void;
  close(): Promise<void>;
}

export async function startSoapServer(options: Partial<Pick<SoapGatewayOptions, 'bodyLimitBytes' | 'understoodHeaders'>> & { logger?: Logger } = {}): Promise<SoapTestServer> {
  const calls: SoapCall[] = [];
  const state = { handler: defaultHandler };
  const gateway = createSoapGateway({
    services: [CRM_SERVICE],
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    logger: options.logger ?? silentLogger,
    ...(options.understoodHeaders ? { understoodHeaders: options.understoodHeaders } : {}),
    dispatch: (call) => {
      calls.push(call);
      return state.handler(call);
    },
  });
  await gateway.ready;
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId);
  app.use(gateway);
  app.use(notFound);
  app.use(errorHandler(silentLogger));
  const server = createServer(app);
  const base = await listenOnLoopback(server);
  return {
    base,
    url: `${base}${CRM_SERVICE.path}`,
    calls,
    gateway,
    get handler() { return state.handler; },
    set handler(fn) { state.handler = fn; },
    reset() {
      calls.length = 0;
      state.handler = defaultHandler;
    },
    async close() {
      await closeNow(server);
      await gateway.close();
    },
  };
}

/** A dispatch failure as the bus would raise it. */
export function brokerDown(messageId: string): JunctionError {
  return new JunctionError('JCT_BROKER_UNAVAILABLE', 'The message broker did not take the message; nothing was accepted. Try again shortly.', { details: { messageId } });
}

export function envelope11(body: string, header = '', envelopeAttributes = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP11_NS}"${envelopeAttributes}>${header ? `<soap:Header>${header}</soap:Header>` : ''}<soap:Body>${body}</soap:Body></soap:Envelope>`;
}

export function envelope12(body: string, header = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="${SOAP12_NS}">${header ? `<env:Header>${header}</env:Header>` : ''}<env:Body>${body}</env:Body></env:Envelope>`;
}

export const UPSERT_BODY = `<c:UpsertCustomerRequest xmlns:c="${CRM_NS}"><c:customerId>C-42</c:customerId><c:name>Ada</c:name><c:status>ACTIVE</c:status></c:UpsertCustomerRequest>`;
export const STATUS_BODY = `<c:GetMessageStatusRequest xmlns:c="${CRM_NS}"><c:messageId>msg-1</c:messageId></c:GetMessageStatusRequest>`;

export function orderBody(amount = '250.00', lines = '<c:lines><c:sku>W-1</c:sku><c:qty>2</c:qty><c:price>125.00</c:price></c:lines>'): string {
  return `<c:SubmitOrderRequest xmlns:c="${CRM_NS}"><c:orderId>SO-1</c:orderId><c:customerId>C-42</c:customerId><c:amount>${amount}</c:amount><c:currency>EUR</c:currency>${lines}</c:SubmitOrderRequest>`;
}

/** A raw HTTP answer. */
export interface RawResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly headers: Headers;
  readonly text: string;
}

export async function post(url: string, body: string | Uint8Array, headers: Record<string, string>): Promise<RawResponse> {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, contentType: response.headers.get('content-type'), headers: response.headers, text: await response.text() };
}

/** POST as SOAP 1.1; `action` undefined sends no SOAPAction header, otherwise the header exactly as given. */
export function post11(url: string, body: string | Uint8Array, action?: string, contentType = 'text/xml; charset=utf-8'): Promise<RawResponse> {
  return post(url, body, { 'content-type': contentType, ...(action !== undefined ? { soapaction: action } : {}) });
}

/** POST as SOAP 1.2 with an optional action parameter. */
export function post12(url: string, body: string | Uint8Array, action?: string): Promise<RawResponse> {
  return post(url, body, { 'content-type': `application/soap+xml; charset=utf-8${action !== undefined ? `; action="${action}"` : ''}` });
}

/** Parses XML (tests only; the text is Junction's own output). */
export function xmlDocument(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

/** Every element named `{ns}local` in document order. */
export function elements(xml: string | Document, ns: string, local: string): Element[] {
  const document = typeof xml === 'string' ? xmlDocument(xml) : xml;
  return [...document.getElementsByTagNameNS(ns, local)];
}

/** The text of the first element named `{ns}local` ('' when there is none; undefined when absent). */
export function text(xml: string, ns: string, local: string): string | undefined {
  return elements(xml, ns, local)[0]?.textContent ?? undefined;
}

/** The violations of a fault's JunctionFault detail. */
export function violationsOf(xml: string): { path: string; message: string; line: string }[] {
  return elements(xml, FAULT_NS, 'violation').map((n) => ({ path: n.getAttribute('path') ?? '', message: n.getAttribute('message') ?? '', line: n.getAttribute('line') ?? '' }));
}
