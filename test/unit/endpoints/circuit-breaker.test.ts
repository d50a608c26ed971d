import { expect } from 'chai';
import type { Endpoint, EndpointContext } from '../../../src/core/endpoint';
import { createEnvelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import type { Logger, LogFields } from '../../../src/core/logger';
import { BreakingEndpoint, breakerSettings, CircuitBreaker, type BreakerState } from '../../../src/endpoints/circuit-breaker';

describe('CircuitBreaker (state machine, fake clock)', () => {
  let clock: number;
  let changes: string[];
  const make = (failures = 3, openMs = 1000): CircuitBreaker =>
    new CircuitBreaker({ failures, openMs }, () => clock, (from: BreakerState, to: BreakerState) => changes.push(`${from}->${to}`));
  beforeEach(() => { clock = 0; changes = []; });

  it('stays closed below the threshold; a success resets the count', () => {
    const breaker = make(3);
    breaker.failure(); breaker.failure(); breaker.success(); breaker.failure(); breaker.failure();
    expect(breaker.state).to.equal('closed');
    expect(breaker.admit()).to.deep.equal({ allowed: true, trial: false });
    expect(changes).to.deep.equal([]);
  });

  it('opens after N consecutive failures and refuses with the remaining open time', () => {
    const breaker = make(3, 1000);
    breaker.failure(); breaker.failure(); breaker.failure();
    expect(breaker.state).to.equal('open');
    clock = 400;
    expect(breaker.admit()).to.deep.equal({ allowed: false, retryAfterMs: 600 });
    expect(changes).to.deep.equal(['closed->open']);
  });

  it('after openMs lets exactly ONE trial through; others wait while it is in flight', () => {
    const breaker = make(1, 1000);
    breaker.failure();
    clock = 1000;
    expect(breaker.state).to.equal('half-open');
    expect(breaker.admit()).to.deep.equal({ allowed: true, trial: true });
    expect(breaker.admit()).to.deep.equal({ allowed: false, retryAfterMs: 1000 });
    expect(breaker.admit().allowed).to.equal(false);
    expect(changes).to.deep.equal(['closed->open', 'open->half-open']);
  });

  it('while a trial hangs, refused calls wait as long as it has been running (1 s at least, openMs at most): a backlog returns a few times, not every second', () => {
    const breaker = make(1, 30_000);
    breaker.failure();
    clock = 30_000;
    expect(breaker.admit()).to.deep.equal({ allowed: true, trial: true });
    clock = 30_200;
    expect(breaker.admit()).to.deep.equal({ allowed: false, retryAfterMs: 1000 });
    clock = 34_000;
    expect(breaker.admit()).to.deep.equal({ allowed: false, retryAfterMs: 4000 });
    clock = 100_000;
    expect(breaker.admit()).to.deep.equal({ allowed: false, retryAfterMs: 30_000 });
    // One message arriving at the trial's start and coming back when told: held 6 times in a 30 s hang (1, 1, 2, 4, 8, 16 s), not 30.
    clock = 30_000;
    const fresh = make(1, 30_000);
    fresh.failure();
    clock = 60_000;
    fresh.admit();
    let holds = 0;
    for (let at = 60_000; at < 90_000; holds += 1) {
      clock = at;
      const admission = fresh.admit();
      if (admission.allowed) break;
      at += admission.retryAfterMs;
    }
    expect(holds).to.equal(6);
    // A new trial starts its own count.
    fresh.failure();
    clock = 120_000;
    expect(fresh.admit()).to.deep.include({ allowed: true, trial: true });
    expect(fresh.admit()).to.deep.equal({ allowed: false, retryAfterMs: 1000 });
  });

  it('a successful trial closes it', () => {
    const breaker = make(1, 1000);
    breaker.failure();
    clock = 1500;
    expect(breaker.admit()).to.deep.include({ allowed: true, trial: true });
    breaker.success();
    expect(breaker.state).to.equal('closed');
    expect(breaker.admit()).to.deep.equal({ allowed: true, trial: false });
    expect(changes).to.deep.equal(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('a failed trial re-opens it for another openMs', () => {
    const breaker = make(2, 1000);
    breaker.failure(); breaker.failure();
    clock = 1000;
    breaker.admit();
    clock = 1200;
    breaker.failure();
    expect(breaker.state).to.equal('open');
    expect(breaker.admit()).to.deep.equal({ allowed: false, retryAfterMs: 1000 });
    clock = 2199;
    expect(breaker.state).to.equal('open');
    clock = 2200;
    expect(breaker.admit()).to.deep.equal({ allowed: true, trial: true });
    expect(changes).to.deep.equal(['closed->open', 'open->half-open', 'half-open->open', 'open->half-open']);
  });

  it('a neutral outcome (the message\'s fault) gives the trial back without closing', () => {
    const breaker = make(1, 1000);
    breaker.failure();
    clock = 1000;
    breaker.admit();
    breaker.neutral();
    expect(breaker.state).to.equal('half-open');
    expect(breaker.admit()).to.deep.equal({ allowed: true, trial: true });
  });

  it('breakerSettings: false disables, true/absent/partial take the defaults', () => {
    expect(breakerSettings(false)).to.equal(undefined);
    expect(breakerSettings(undefined)).to.deep.equal({ failures: 5, openMs: 30_000 });
    expect(breakerSettings(true)).to.deep.equal({ failures: 5, openMs: 30_000 });
    expect(breakerSettings({ openMs: 500 })).to.deep.equal({ failures: 5, openMs: 500 });
  });
});

class RecordingLogger implements Logger {
  constructor(readonly lines: string[] = []) {}
  debug(): void {}
  info(message: string, _fields?: LogFields): void { this.lines.push(`info ${message}`); }
  warn(message: string, _fields?: LogFields): void { this.lines.push(`warn ${message}`); }
  error(message: string, _fields?: LogFields): void { this.lines.push(`error ${message}`); }
  child(): Logger { return this; }
}

describe('BreakingEndpoint', () => {
  let clock: number;
  let calls: number;
  let fail: (() => never) | undefined;
  let logger: RecordingLogger;
  let context: EndpointContext;
  const inner: Endpoint = {
    name: 'erp', start: async () => undefined, close: async () => undefined,
    send: async () => { calls += 1; if (fail) fail(); return { contentType: 'text/plain', body: 'ok' }; },
    preview: async (m) => ({ method: 'POST', url: 'http://erp.invalid/', headers: {}, body: m.body }),
  };
  const message = createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType: 'text/plain', body: 'x' });
  const down = (): never => { throw new JunctionError('JCT_ENDPOINT_UNREACHABLE', 'connection refused'); };
  const rejected = (): never => { throw new JunctionError('JCT_ENDPOINT_REJECTED', 'HTTP 400'); };

  async function codeOf(endpoint: BreakingEndpoint): Promise<string> {
    try {
      await endpoint.send(message, context);
      return 'ok';
    } catch (error) {
      return (error as JunctionError).code;
    }
  }

  beforeEach(() => {
    clock = 0; calls = 0; fail = undefined;
    logger = new RecordingLogger();
    context = { routeId: 'r', logger };
  });

  it('fails fast with JCT_ENDPOINT_CIRCUIT_OPEN while open, without calling the backend', async () => {
    const endpoint = new BreakingEndpoint(inner, { failures: 2, openMs: 1000 }, () => clock);
    fail = down;
    expect([await codeOf(endpoint), await codeOf(endpoint)]).to.deep.equal(['JCT_ENDPOINT_UNREACHABLE', 'JCT_ENDPOINT_UNREACHABLE']);
    expect(calls).to.equal(2);
    clock = 250;
    try {
      await endpoint.send(message, context);
      expect.fail('should fail fast');
    } catch (error) {
      const e = error as JunctionError;
      expect([e.code, e.retryable, e.httpStatus]).to.deep.equal(['JCT_ENDPOINT_CIRCUIT_OPEN', true, 503]);
      expect(e.details).to.deep.equal({ endpoint: 'erp', retryAfterMs: 750 });
    }
    expect(calls, 'backend not called while open').to.equal(2);
    expect(logger.lines).to.deep.equal(['warn circuit of endpoint erp opened: not calling it for 1000 ms']);
  });

  it('counts only retryable failures: 4xx never opens it', async () => {
    const endpoint = new BreakingEndpoint(inner, { failures: 2, openMs: 1000 }, () => clock);
    fail = rejected;
    for (let i = 0; i < 5; i += 1) expect(await codeOf(endpoint)).to.equal('JCT_ENDPOINT_REJECTED');
    expect(endpoint.breaker.state).to.equal('closed');
    expect(calls).to.equal(5);
  });

  it('half-open lets ONE trial reach the backend (others fail fast meanwhile); its success closes the circuit', async () => {
    let gate: Promise<void> | undefined;
    const slow: Endpoint = { ...inner, send: async (m, c) => { if (gate) await gate; return inner.send(m, c); } };
    const endpoint = new BreakingEndpoint(slow, { failures: 1, openMs: 1000 }, () => clock);
    fail = down;
    expect(await codeOf(endpoint)).to.equal('JCT_ENDPOINT_UNREACHABLE');
    fail = undefined;
    clock = 1000;
    let release!: () => void;
    gate = new Promise<void>((resolve) => { release = resolve; });
    const trial = endpoint.send(message, context);
    expect(await codeOf(endpoint), 'second call while the trial is in flight').to.equal('JCT_ENDPOINT_CIRCUIT_OPEN');
    release();
    gate = undefined;
    expect((await trial).body).to.equal('ok');
    expect(endpoint.breaker.state).to.equal('closed');
    expect(await codeOf(endpoint)).to.equal('ok');
    expect(calls, 'the first failure, the trial, the call after').to.equal(3);
    expect(logger.lines).to.deep.equal([
      'warn circuit of endpoint erp opened: not calling it for 1000 ms',
      'info circuit of endpoint erp half-open: letting one trial through',
      'info circuit of endpoint erp closed: the endpoint answers again',
    ]);
  });

  it('a failed trial re-opens it', async () => {
    const endpoint = new BreakingEndpoint(inner, { failures: 1, openMs: 1000 }, () => clock);
    fail = down;
    await codeOf(endpoint);
    clock = 1000;
    expect(await codeOf(endpoint)).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(endpoint.breaker.state).to.equal('open');
    expect(await codeOf(endpoint)).to.equal('JCT_ENDPOINT_CIRCUIT_OPEN');
    expect(calls).to.equal(2);
  });

  it('passes name, preview, start and close through', async () => {
    const endpoint = new BreakingEndpoint(inner, { failures: 1, openMs: 1000 });
    expect(endpoint.name).to.equal('erp');
    expect((await endpoint.preview(message)).url).to.equal('http://erp.invalid/');
  });
});
