import { randomUUID } from 'node:crypto';
import { runClosedLoop, type LoadRequest } from '../lib/http-load';
import { per1000, startCpu } from '../lib/measure';
import { buyStocksEnvelope, customerBody, erpCustomerEnvelope, erpHeaders } from '../lib/payloads';
import type { PointResult } from '../lib/results';
import type { Point, RunContext } from './context';

/** A request-reply measurement: a closed loop against `origin`, warm-up first, CPU counted over the measured span. */
async function measure(ctx: RunContext, point: Point, spec: {
  scenario: string; variant: 'junction' | 'baseline'; system: string; origin: string; request: (i: number) => LoadRequest;
}): Promise<PointResult> {
  const common = { origin: spec.origin, concurrency: point.concurrency, request: spec.request, expectStatus: 200 };
  await runClosedLoop({ ...common, durationMs: ctx.warmupMs, ...(ctx.maxRequests ? { maxRequests: Math.ceil(ctx.maxRequests / 3) } : {}) });
  const stop = startCpu({
    junction: () => (spec.variant === 'junction' ? ctx.stack.junctionPids : []), backends: () => ctx.stack.backendPids,
    ...(ctx.servers.rabbitPid ? { rabbitPid: ctx.servers.rabbitPid } : {}), ...(ctx.servers.dbPid ? { dbPid: ctx.servers.dbPid } : {}),
  });
  const result = await runClosedLoop({ ...common, durationMs: ctx.durationMs, ...(ctx.maxRequests ? { maxRequests: ctx.maxRequests } : {}) });
  const cpu = stop();
  const messages = result.completed;
  return {
    scenario: spec.scenario, variant: spec.variant, system: spec.system, payloadBytes: point.payloadBytes, concurrency: point.concurrency,
    messages, errors: result.errors, errorSamples: result.errorSamples, elapsedMs: result.elapsedMs,
    msgPerSec: messages / (result.elapsedMs / 1000), latencyMs: result.latency.summary(), cpuSeconds: cpu,
    cpuPer1000: {
      system: spec.variant === 'junction' ? per1000(cpu.junction, messages) : null,
      rabbitmq: per1000(cpu.rabbitmq, messages), mariadb: per1000(cpu.mariadb, messages),
    },
  };
}

/** Sync REST→SOAP with mapping through Junction: `PUT /api/v1/customers/{id}` answered by the ERP over the bus. */
export function syncThroughJunction(ctx: RunContext, point: Point): Promise<PointResult> {
  const body = customerBody();
  return measure(ctx, { ...point, payloadBytes: body.length }, {
    scenario: 'sync-rest-soap', variant: 'junction', system: 'Junction: REST → bus → map → SOAP ERP → map', origin: ctx.stack.junctionUrl,
    request: (i) => ({ method: 'PUT', path: `/api/v1/customers/C-${i % 5000}`, headers: { 'content-type': 'application/json' }, body }),
  });
}

/** The baseline: the same customer upsert sent straight to the ERP simulator as SOAP. */
export function syncDirect(ctx: RunContext, point: Point): Promise<PointResult> {
  const sample = erpCustomerEnvelope('C-0');
  return measure(ctx, { ...point, payloadBytes: sample.length }, {
    scenario: 'sync-rest-soap', variant: 'baseline', system: 'direct SOAP call to the ERP simulator', origin: ctx.stack.erpUrl,
    request: (i) => ({ method: 'POST', path: '/erp/soap', headers: erpHeaders(), body: erpCustomerEnvelope(`C-${i % 5000}`) }),
  });
}

/** The classic ESB proxies (Direct, CBR, XSLT) through Junction's SOAP gateway to the echo backend. */
export function esbThroughJunction(ctx: RunContext, point: Point, proxy: 'direct' | 'cbr' | 'xslt'): Promise<PointResult> {
  const body = buyStocksEnvelope(point.payloadBytes);
  const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:buyStocks"' };
  return measure(ctx, { ...point, payloadBytes: body.length }, {
    scenario: `esb-${proxy}`, variant: 'junction', system: `Junction: SOAP → bus → ${proxy === 'direct' ? '' : proxy === 'cbr' ? 'CBR → ' : 'XSLT → '}echo`,
    origin: ctx.stack.junctionUrl, request: () => ({ method: 'POST', path: `/soap/${proxy}`, headers, body }),
  });
}

/** The ESB baseline: the same SOAP request straight to the echo backend. */
export function esbDirect(ctx: RunContext, point: Point): Promise<PointResult> {
  const body = buyStocksEnvelope(point.payloadBytes);
  return measure(ctx, { ...point, payloadBytes: body.length }, {
    scenario: 'esb', variant: 'baseline', system: 'SOAP straight to the echo backend', origin: ctx.stack.backendUrl,
    request: () => ({ method: 'POST', path: '/echo', headers: { 'content-type': 'text/xml; charset=utf-8', 'x-request-id': randomUUID() }, body }),
  });
}
