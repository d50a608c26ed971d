import { expect } from 'chai';
import {
  continueTrace, formatTraceparent, nextHop, outgoingTraceHeaders, parseTraceparent, traceHeaders, traceIdOf,
} from '../../../src/core/trace-context';

const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C trace context', () => {
  it('parses a valid traceparent, and refuses what the spec calls invalid', () => {
    expect(parseTraceparent(CALLER)).to.deep.equal({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' });
    for (const bad of [
      undefined, '', 'garbage',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', // flags missing
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', // upper case
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // zero trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // zero span id
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // version ff
      `${CALLER}-extra`, // version 00 has exactly four fields
    ]) expect(parseTraceparent(bad), String(bad)).to.equal(undefined);
    // A later version may add fields; its first four are read as version 00's.
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes')?.spanId).to.equal('00f067aa0ba902b7');
  });

  it('a hop keeps the trace id and flags with a new span id; without a parent it starts a trace', () => {
    const parent = parseTraceparent(CALLER);
    const hop = nextHop(parent);
    expect(hop.traceId).to.equal(parent?.traceId);
    expect(hop.flags).to.equal('01');
    expect(hop.spanId).to.match(/^[0-9a-f]{16}$/).and.not.equal(parent?.spanId);
    const fresh = nextHop(undefined);
    expect(fresh.traceId).to.match(/^[0-9a-f]{32}$/);
    expect(fresh.flags).to.equal('00');
    expect(parseTraceparent(formatTraceparent(fresh))).to.deep.equal(fresh);
  });

  it('gateway headers: the caller\'s trace continues, tracestate kept only with a valid traceparent', () => {
    const headers = traceHeaders(CALLER, 'vendor=abc');
    expect(traceIdOf(headers)).to.equal('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(headers.tracestate).to.equal('vendor=abc');
    expect(headers.traceparent).not.to.equal(CALLER);
    const started = traceHeaders('nonsense', 'vendor=abc');
    expect(started.tracestate).to.equal(undefined);
    expect(traceIdOf(started)).to.match(/^[0-9a-f]{32}$/).and.not.equal('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('a worker continues the trace carried by the envelope and sends its own span downstream', () => {
    const gateway = traceHeaders(CALLER, 'vendor=abc');
    const worker = continueTrace({ ...gateway, other: 'kept' });
    expect(worker.other).to.equal('kept');
    expect(traceIdOf(worker)).to.equal(traceIdOf(gateway));
    expect(worker.traceparent).not.to.equal(gateway.traceparent);
    expect(outgoingTraceHeaders(worker)).to.deep.equal({ traceparent: worker.traceparent, tracestate: 'vendor=abc' });
    expect(outgoingTraceHeaders({})).to.deep.equal({});
    expect(traceIdOf(continueTrace({}))).to.match(/^[0-9a-f]{32}$/);
  });
});
