import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Element } from '@xmldom/xmldom';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { describeError, JunctionError } from '../../core/errors';
import { MESSAGE_ID_HEADER } from '../../core/headers';
import type { Logger } from '../../core/logger';
import { tlsPeerOf } from '../http/authenticate';
import { drainRefusedBody } from '../http/refused-body';
import { BASIC_CHALLENGE } from '../http/problem';
import { requestIdOf } from '../http/request-id';
import { jsonToElement } from './json-to-xml';
import type { SoapDispatch, SoapOutcome } from './soap-call';
import { readBody, decodeBody } from './soap-body-reader';
import { writeEnvelope } from './soap-envelope';
import { renderFault, toSoapFault } from './soap-fault';
import { unsignedHeaderNames } from './signed-headers';
import { ADDRESSING_HEADERS, answerHeaders, readAddressing, type Addressing } from './ws-addressing';
import { soapContentType, type SoapVersion } from './soap-namespaces';
import { parseSoapContentType, readEnvelope, resolveOperation, soapActionOf } from './soap-request';
import { callerUrl, publishedFor, renderPublished } from './wsdl-publisher';
import { loadWsdlService, type SoapOperation, type SoapServiceSpec, type WsdlService } from './wsdl-service';
import { elementToJson } from './xml-to-json';
import { authRequired, type Principal } from '../../security/auth/principal';
import { SECURITY_HEADER, WSSE_NS } from '../../security/auth/username-token';
import { maskJunctionError } from '../../security/masking/mask-error';
import type { SecurityRuntime } from '../../security/security-setup';
import { SchemaValidator, type XmlViolation } from './xsd-validator';

// The types app.ts needs to implement dispatch and describe services.
export type { SoapCall, SoapDispatch, SoapOutcome } from './soap-call';
export type { SoapVersion } from './soap-namespaces';
export type { SoapServiceSpec } from './wsdl-service';

/** Options of {@link createSoapGateway}. */
export interface SoapGatewayOptions {
  /** The services to publish; each is loaded (WSDL + XSDs) when the gateway is created. */
  readonly services: readonly SoapServiceSpec[];
  /** Largest request body accepted, in bytes; enforced while reading. Junction's default is 1 MiB. */
  readonly bodyLimitBytes: number;
  /** Hands each checked request on (to the bus) and returns its outcome. */
  readonly dispatch: SoapDispatch;
  readonly logger: Logger;
  /**
   * Header elements (`{namespace}local`) Junction processes even when a caller marks them
   * mustUnderstand. Default none: such a header gets a MustUnderstand fault.
   */
  readonly understoodHeaders?: readonly string[];
  /** Body limits of single services (by name) that differ from `bodyLimitBytes`. */
  readonly serviceBodyLimits?: Readonly<Record<string, number>>;
  /** Authentication (HTTP credentials or WS-Security UsernameToken), authorization and masking; absent = open. */
  readonly security?: SoapSecurity;
}

/** What the SOAP gateway needs for security. */
export interface SoapSecurity extends Pick<SecurityRuntime, 'mode' | 'docs' | 'authenticator' | 'masker'> {
  /** Throws JCT_AUTH_REQUIRED / JCT_FORBIDDEN unless `principal` may call the operation (soap-dispatch builds it from the routes). */
  authorize(principal: Principal | undefined, service: string, operation: string): void;
}

/** The gateway's router, with its start-up promise and its cleanup. */
export interface SoapGatewayRouter extends Router {
  /**
   * Resolves once every service's schemas are compiled (libxml2 loads asynchronously); rejects
   * with JCT_CONFIG_REFERENCE when one does not compile. Await it at start-up; requests that
   * arrive earlier wait for it.
   */
  readonly ready: Promise<void>;
  /** The services as loaded from their WSDLs (operations, one-way or not), for start-up checks. */
  readonly services: readonly WsdlService[];
  /** Frees the compiled schemas (wasm memory). */
  close(): Promise<void>;
}

interface Published {
  readonly service: WsdlService;
  readonly validator: Promise<SchemaValidator>;
}

const XML_UTF8 = 'text/xml; charset=utf-8';

function send(res: Response, status: number, contentType: string, body: string, headers: Readonly<Record<string, string>> = {}): void {
  const bytes = Buffer.from(body, 'utf8');
  res.status(status);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

/** `{ [key]: value }` of a single-valued request header, or nothing. */
function headerText<K extends string>(req: Request, name: string, key: K): Partial<Record<K, string>> {
  const value = req.headers[name];
  return typeof value === 'string' ? ({ [key]: value } as Partial<Record<K, string>>) : {};
}

function checkOptions(options: SoapGatewayOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.bodyLimitBytes) || options.bodyLimitBytes < 1) problems.push('bodyLimitBytes must be a positive whole number of bytes');
  const names = new Set<string>();
  const paths = new Set<string>();
  for (const service of options.services) {
    if (names.has(service.name)) problems.push(`two services are named "${service.name}"`);
    if (paths.has(service.path)) problems.push(`two services are served at "${service.path}"`);
    if (!/^\/[A-Za-z0-9/_.-]*$/.test(service.path)) problems.push(`the path "${service.path}" of service "${service.name}" must start with / and hold only letters, digits, / _ . -`);
    names.add(service.name);
    paths.add(service.path);
  }
  if (problems.length > 0) throw new JunctionError('JCT_CONFIG_INVALID', `SOAP gateway: ${problems.join('; ')}.`);
}

function describeViolations(operation: SoapOperation, violations: readonly XmlViolation[]): string {
  const [first] = violations;
  const where = first ? `${first.path}${first.line ? ` (line ${first.line})` : ''}: ${first.message}` : '';
  return violations.length === 1
    ? `The ${operation.name} request does not match the schema: ${where}`
    : `The ${operation.name} request does not match the schema in ${violations.length} places; the first is ${where} The fault detail lists them all.`;
}

/** Re-raises an error that happened after dispatch with the message id, so the caller can ask for its status. */
function withMessageId(error: unknown, messageId: string): unknown {
  if (!(error instanceof JunctionError) || error.details.messageId !== undefined) return error;
  return new JunctionError(error.code, error.message, {
    retryable: error.retryable, violations: error.violations, details: { ...error.details, messageId }, cause: error,
  });
}

/**
 * The SOAP gateway: for each service, `POST <path>` takes SOAP 1.1 and 1.2 requests and
 * `GET <path>?wsdl` / `?xsd=<name>` publish its WSDL and schemas with addresses rewritten to
 * the caller's URL. Each POST is read (within the limit), parsed, mapped to its operation,
 * validated against the XSDs (every violation reported), converted to JSON and dispatched; a
 * one-way operation answers 202 with no body, a request-response one its response element.
 * Every failure is a SOAP fault of the caller's version. Mount at '/' before any body parser.
 * Loads every WSDL and XSD now (throws JCT_CONFIG_REFERENCE naming a missing or invalid file).
 */
export function createSoapGateway(options: SoapGatewayOptions): SoapGatewayRouter {
  checkOptions(options);
  // With security configured Junction processes wsse:Security, so callers may mark it mustUnderstand.
  const understood = new Set([...(options.understoodHeaders ?? []), ...ADDRESSING_HEADERS, ...(options.security ? [SECURITY_HEADER] : [])]);
  const published: Published[] = options.services.map((spec) => {
    const service = loadWsdlService(spec);
    return { service, validator: SchemaValidator.compile(spec.name, service.compilable) };
  });
  const ready = Promise.all(published.map((p) => p.validator)).then(() => undefined);
  ready.catch((error: unknown) => options.logger.error('SOAP gateway schemas do not compile', { error: describeError(error) }));

  const router = express.Router();
  for (const entry of published) {
    const { spec } = entry.service;
    router.get(spec.path, (req: Request, res: Response, next: NextFunction) => {
      guardDocuments(options.security, req).then(() => serveDocument(entry.service, req, res, next), next);
    });
    router.post(spec.path, (req: Request, res: Response) => handleCall(entry, options, understood, req, res));
    router.all(spec.path, (_req: Request, res: Response, next: NextFunction) => {
      res.setHeader('Allow', 'GET, HEAD, POST');
      next(new JunctionError('JCT_METHOD_NOT_ALLOWED', `Service ${spec.name} takes POST (SOAP) and GET ?wsdl / ?xsd=<name>.`));
    });
  }
  const close = async (): Promise<void> => {
    const settled = await Promise.allSettled(published.map((p) => p.validator));
    for (const result of settled) if (result.status === 'fulfilled') result.value.close();
  };
  return Object.assign(router, { ready, close, services: published.map((p) => p.service) }) as SoapGatewayRouter;
}

/**
 * WS-Addressing's action must be the operation's (WS-Addressing 1.0 SOAP binding: and the
 * SOAPAction, when one is sent, the same): its SOAPAction of either binding, or its input action.
 */
function checkAddressingAction(addressing: Addressing, soapAction: string | undefined, operation: SoapOperation): void {
  const { action } = addressing;
  if (action === undefined) return;
  if (soapAction !== undefined && soapAction !== action) {
    throw new JunctionError('JCT_REQUEST_MALFORMED', `wsa:Action "${action.slice(0, 200)}" and the SOAPAction "${soapAction.slice(0, 200)}" differ; send the same action in both (or an empty SOAPAction).`);
  }
  const known = [operation.soapAction11, operation.soapAction12, operation.inputAction].filter((a): a is string => a !== undefined);
  if (!known.includes(action)) {
    throw new JunctionError('JCT_SOAP_OPERATION_UNKNOWN', `wsa:Action "${action.slice(0, 200)}" is not an action of operation ${operation.name}; send ${known.map((a) => `"${a}"`).join(' or ')}.`);
  }
}

/** With `docs: authenticated`, the WSDL and XSDs need HTTP credentials (an API key or a bearer JWT). */
async function guardDocuments(security: SoapSecurity | undefined, req: Request): Promise<void> {
  if (!security || security.mode === 'off' || security.docs === 'public') return;
  const principal = await security.authenticator.fromHeaders(req.headers, tlsPeerOf(req));
  if (!principal) throw authRequired('The WSDL and schemas of this service are served to authenticated callers only: send an API key or a bearer JWT.');
}

function securityBlock(blocks: readonly Element[]): Element | undefined {
  return blocks.find((b) => b.namespaceURI === WSSE_NS && b.localName === 'Security');
}

function serveDocument(service: WsdlService, req: Request, res: Response, next: NextFunction): void {
  const queryAt = req.url.indexOf('?');
  const query = new URLSearchParams(queryAt < 0 ? '' : req.url.slice(queryAt + 1));
  const document = publishedFor(service, query);
  if (!document) {
    const asked = query.get('xsd');
    next(new JunctionError('JCT_NOT_FOUND', asked !== null
      ? `Service ${service.spec.name} publishes no schema named "${asked.slice(0, 100)}"; it publishes ${[...service.schemas.keys()].join(', ')}.`
      : `This is the SOAP endpoint of service ${service.spec.name}; its WSDL is at ${req.baseUrl}${service.spec.path}?wsdl.`));
    return;
  }
  const endpoint = callerUrl(req.headers, Boolean((req.socket as TLSSocket).encrypted), `${req.baseUrl}${service.spec.path}`);
  send(res, 200, XML_UTF8, renderPublished(document, endpoint));
}

async function handleCall(entry: Published, options: SoapGatewayOptions, understood: ReadonlySet<string>, req: Request, res: Response): Promise<void> {
  const { service } = entry;
  const { logger } = options;
  let requestId = requestIdOf(res);
  if (!requestId) {
    requestId = randomUUID();
    res.setHeader('X-Request-Id', requestId);
  }
  let version: SoapVersion = '1.1';
  let versionKnown = false;
  let operation: SoapOperation | undefined;
  let outcome: SoapOutcome | undefined;
  let text: string | undefined;
  let addressing: Addressing | undefined;
  let unsignedHeaders: readonly string[] | undefined;
  const { security } = options;
  try {
    const contentType = parseSoapContentType(req.headers['content-type']);
    version = contentType.version;
    versionKnown = true;
    if (!service.versions.includes(version)) {
      throw new JunctionError('JCT_REQUEST_MEDIA_TYPE', `Service ${service.serviceName} has no SOAP ${version} port; use SOAP ${service.versions.join(' or ')}.`);
    }
    // HTTP credentials are checked before the body is read; a UsernameToken or signature once the envelope is parsed.
    let principal = security?.mode === 'required' ? await security.authenticator.fromHeaders(req.headers, tlsPeerOf(req)) : undefined;
    if (security?.mode === 'required' && !principal && !security.authenticator.acceptsUsernameToken && !security.authenticator.acceptsWsSignature) throw authRequired();
    text = decodeBody(await readBody(req, options.serviceBodyLimits?.[service.spec.name] ?? options.bodyLimitBytes), contentType.charset);
    const envelope = readEnvelope(text, version, understood);
    addressing = readAddressing(envelope.blocks);
    // The body element's parent is the very soap:Body processed below: a signature must cover that one.
    if (security?.mode === 'required') {
      const caller = await security.authenticator.fromSoapSecurity(principal, securityBlock(envelope.blocks), envelope.body.parentNode as Element);
      principal = caller.principal;
      if (caller.signed) unsignedHeaders = unsignedHeaderNames(envelope.blocks, caller.signed);
    }
    const action = soapActionOf(contentType, req.headers);
    operation = resolveOperation(service, envelope.body, action);
    if (addressing) checkAddressingAction(addressing, action, operation);
    security?.authorize(principal, service.spec.name, operation.name);
    const validator = await entry.validator.catch((error: unknown) => {
      throw new JunctionError('JCT_INTERNAL', 'SOAP schemas unavailable', { cause: error });
    });
    const violations = validator.validateBody(text);
    if (violations.length > 0) throw new JunctionError('JCT_VALIDATION_FAILED', describeViolations(operation, violations), { violations });
    const oneWay = operation.outputElement === undefined;
    outcome = await options.dispatch({
      service: service.spec.name,
      operation: operation.name,
      oneWay,
      version,
      payload: elementToJson(envelope.body, service.model.element(operation.inputElement)!),
      soapHeaders: envelope.headers,
      requestId,
      ...headerText(req, 'traceparent', 'traceparent'),
      ...headerText(req, 'tracestate', 'tracestate'),
      ...headerText(req, 'idempotency-key', 'idempotencyKeyHeader'),
      ...(addressing?.messageId !== undefined ? { addressingMessageId: addressing.messageId } : {}),
      ...(principal ? { principal } : {}),
      ...(unsignedHeaders ? { unsignedHeaders } : {}),
    });
    res.setHeader(MESSAGE_ID_HEADER, outcome.messageId);
    // As the REST gateway says it: this answer is an earlier request's (same idempotency key).
    if (outcome.replayed === true) res.setHeader('Idempotent-Replayed', 'true');
    if (oneWay) {
      if (outcome.kind !== 'accepted') logger.warn('dispatch replied to a one-way SOAP operation; the reply is dropped', { requestId, operation: operation.name });
      res.status(202).end();
      return;
    }
    if (outcome.kind !== 'reply') {
      throw new JunctionError('JCT_INTERNAL', `dispatch answered "${outcome.kind}" to the request-response operation ${operation.name}`);
    }
    const response = jsonToElement(outcome.payload, service.model.element(operation.outputElement!)!, service.prefixes);
    send(res, 200, soapContentType(version), writeEnvelope(version, response, addressing ? answerHeaders(addressing, operation.outputAction) : undefined));
  } catch (thrown) {
    let error = outcome ? withMessageId(thrown, outcome.messageId) : thrown;
    if (security && error instanceof JunctionError) {
      // A fault may quote the caller's sensitive values back (a card number failing its pattern): mask them.
      error = maskJunctionError(error, security.masker, text === undefined ? [] : security.masker.sensitiveValues(text, 'application/xml'));
    }
    const fault = toSoapFault(error, requestId);
    const fields = { requestId, service: service.spec.name, operation: operation?.name, code: fault.code, messageId: fault.messageId };
    if (!(error instanceof JunctionError) || error.code === 'JCT_INTERNAL') {
      logger.error('SOAP request failed with an internal error', { ...fields, error: describeError(error), cause: error instanceof JunctionError && error.cause !== undefined ? describeError(error.cause) : undefined, stack: (error as Error)?.stack });
    } else if (fault.kind === 'Server' && fault.code !== 'JCT_AUTH_UNAVAILABLE') { // that one is warned about once per outage, by the key source
      logger.warn('SOAP request failed', { ...fields, reason: fault.reason });
    } else {
      logger.info('SOAP request refused', { ...fields, reason: fault.reason.slice(0, 300) });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    const rendered = renderFault(fault, version, addressing ? answerHeaders(addressing) : '');
    const unsupportedType = !versionKnown && fault.code === 'JCT_REQUEST_MEDIA_TYPE';
    // With HTTP Basic on, missing or wrong credentials are HTTP 401 with the challenge (the fault
    // still in the body): WCF and Java's HTTP client send Basic credentials only once challenged.
    const challenge = security?.authenticator.acceptsHttpBasic === true && (fault.code === 'JCT_AUTH_REQUIRED' || fault.code === 'JCT_AUTH_FAILED');
    // A body we refused unread (too large, wrong type, no credentials): lingering close, so the caller reads the fault.
    drainRefusedBody(req, res);
    send(res, unsupportedType ? 415 : challenge ? 401 : rendered.status, rendered.contentType, rendered.body,
      challenge ? { ...rendered.headers, 'WWW-Authenticate': BASIC_CHALLENGE } : rendered.headers);
  }
}
