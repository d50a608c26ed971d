import { createEnvelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import { DEADLINE_HEADER } from '../core/headers';
import { getByPointer } from '../core/json-pointer';
import { traceHeaders } from '../core/trace-context';
import type { TransactionLog } from '../core/transaction-log';
import type { CompiledRoutes, SoapEntry } from '../routes/compiled-route';
import type { AccessPolicy } from '../security/auth/access-policy';
import type { Principal } from '../security/auth/principal';
import type { MessageIntake } from './message-intake';
import { soapIdempotencyKey, type SoapIdempotency } from './soap-idempotency';
import type { SoapCall, SoapDispatch, SoapOutcome } from './soap/soap-gateway';
import { requireSignedHeader } from './soap/signed-headers';
import type { WsdlService } from './soap/wsdl-service';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What SOAP dispatch needs. */
export interface SoapDispatchDeps {
  readonly routes: CompiledRoutes;
  readonly intake: MessageIntake;
  readonly log: TransactionLog;
}

/** `message-status`: answers GetMessageStatus from the transaction log. */
async function messageStatus(call: SoapCall, log: TransactionLog): Promise<SoapOutcome> {
  const request = JSON.parse(call.payload) as { messageId?: unknown };
  const id = typeof request.messageId === 'string' ? request.messageId.trim() : '';
  const record = UUID.test(id) ? await log.load(id.toLowerCase()) : undefined;
  if (!record) throw new JunctionError('JCT_MESSAGE_NOT_FOUND', `No message has the id "${id.slice(0, 64)}".`);
  const answer = {
    status: record.status,
    attempts: record.attempts,
    ...(record.lastError ? { lastError: { code: record.lastError.code, message: record.lastError.message } } : {}),
  };
  return { kind: 'reply', messageId: record.id, payload: JSON.stringify(answer) };
}

/**
 * Connects the SOAP gateway to the routes: an operation bound to a route becomes a message
 * (accepted for one-way operations; request-reply waits for the worker's answer); builtin
 * operations are answered here. Errors propagate as JunctionErrors, which the gateway turns into
 * Client/Sender or Server/Receiver faults.
 */
export function createSoapDispatch(deps: SoapDispatchDeps): SoapDispatch {
  const bindings = new Map<string, { entry: SoapEntry; pattern: 'one-way' | 'request-reply'; replyTimeoutMs: number; keepPayload: boolean }>();
  for (const route of deps.routes.routes) {
    if (route.soap) {
      bindings.set(`${route.soap.service}/${route.soap.operation}`, {
        entry: route.soap, pattern: route.pattern, replyTimeoutMs: route.replyTimeoutMs, keepPayload: route.capture !== 'none',
      });
    }
  }
  const builtins = new Map<string, string>();
  const idempotency = new Map<string, SoapIdempotency>();
  for (const service of deps.routes.soapServices) {
    for (const [operation, builtin] of Object.entries(service.builtins)) builtins.set(`${service.name}/${operation}`, builtin);
    idempotency.set(service.name, service.idempotency);
  }

  return async (call: SoapCall): Promise<SoapOutcome> => {
    const key = `${call.service}/${call.operation}`;
    if (builtins.get(key) === 'message-status') return messageStatus(call, deps.log);
    const binding = bindings.get(key);
    if (!binding) throw new JunctionError('JCT_NOT_FOUND', `Operation ${call.operation} of service ${call.service} is not bound to a route.`);
    const { entry, pattern, replyTimeoutMs, keepPayload } = binding;
    const idempotencyKey = soapIdempotencyKey(call, idempotency.get(call.service) ?? 'key');
    const key2 = entry.businessKey ? getByPointer(JSON.parse(call.payload), entry.businessKey) : undefined;
    const correlation = call.soapHeaders.CorrelationId;
    if (correlation !== undefined) requireSignedHeader(call, 'CorrelationId', 'would make it the message\'s correlation id');
    const message = createEnvelope({
      routeId: entry.routeId,
      pattern,
      source: `soap:${call.service}/${call.operation}`,
      contentType: 'application/json',
      body: call.payload,
      headers: {
        ...traceHeaders(call.traceparent, call.tracestate),
        ...(pattern === 'request-reply' ? { [DEADLINE_HEADER]: new Date(Date.now() + replyTimeoutMs).toISOString() } : {}),
      },
      ...(correlation && CORRELATION_ID.test(correlation) ? { correlationId: correlation } : {}),
      ...(typeof key2 === 'string' ? { businessKey: key2.slice(0, 128) } : {}),
    });
    const options = idempotencyKey === undefined ? { keepPayload } : { keepPayload, idempotencyKey };
    if (pattern === 'one-way') {
      const accepted = await deps.intake.accept(message, options);
      return { kind: 'accepted', messageId: accepted.messageId, replayed: accepted.replayed };
    }
    const answered = await deps.intake.request(message, replyTimeoutMs, options);
    return { kind: 'reply', messageId: answered.messageId, payload: answered.reply.body, replayed: answered.replayed };
  };
}

/**
 * Per-operation authorization for the SOAP gateway: an operation bound to a route needs the
 * caller to be allowed that route; a builtin (GetMessageStatus) any authenticated caller.
 */
export function createSoapAuthorizer(routes: CompiledRoutes, policy: AccessPolicy) {
  const routeOf = new Map<string, string>();
  for (const route of routes.routes) if (route.soap) routeOf.set(`${route.soap.service}/${route.soap.operation}`, route.id);
  return (principal: Principal | undefined, service: string, operation: string): void => {
    const routeId = routeOf.get(`${service}/${operation}`);
    if (routeId === undefined) policy.checkAuthenticated(principal);
    else policy.check(principal, routeId, `operation ${operation} of service ${service}`);
  };
}

/**
 * Checks at start-up that every route's SOAP entry names an operation of its service's WSDL,
 * with the matching kind (one-way route ↔ input-only operation, request-reply ↔ request-response),
 * and that builtins name existing operations. Throws JCT_CONFIG_INVALID listing every mismatch.
 */
export function checkSoapBindings(routes: CompiledRoutes, services: readonly WsdlService[]): void {
  const problems: string[] = [];
  const byName = new Map(services.map((s) => [s.spec.name, s]));
  const describe = (service: WsdlService): string => service.operations.map((o) => o.name).join(', ');
  for (const route of routes.routes) {
    const entry = route.soap;
    if (!entry) continue;
    const service = byName.get(entry.service);
    const operation = service?.operations.find((o) => o.name === entry.operation);
    if (!service) continue; // compileRoutes already reported an unknown service
    if (!operation) {
      problems.push(`route "${route.id}": service ${entry.service} has no operation ${entry.operation} (its WSDL declares: ${describe(service)})`);
    } else if ((operation.outputElement === undefined) !== (route.pattern === 'one-way')) {
      const kind = operation.outputElement === undefined ? 'one-way (input only)' : 'request-response';
      problems.push(`route "${route.id}": ${entry.operation} is ${kind} in the WSDL, so the route's pattern must be ${kind === 'request-response' ? 'request-reply' : 'one-way'}`);
    }
  }
  for (const spec of routes.soapServices) {
    const service = byName.get(spec.name);
    for (const operation of Object.keys(spec.builtins)) {
      if (service && !service.operations.some((o) => o.name === operation)) {
        problems.push(`soap.services.${spec.name}.builtins: ${operation} is not an operation of the WSDL (it declares: ${describe(service)})`);
      }
    }
  }
  if (problems.length > 0) {
    throw new JunctionError('JCT_CONFIG_INVALID', `SOAP bindings do not match the WSDLs:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
