import { expect } from 'chai';
import { checkEditedEntry, type ReplayPlan } from '../../../src/admin/replay-plan';
import { createEnvelope } from '../../../src/core/envelope';
import type { JunctionError } from '../../../src/core/errors';
import type { CompiledRoute } from '../../../src/routes/compiled-route';
import { thrownBy } from '../../support/thrown';

/** A route whose REST entry requires `orderId`, as far as checkEditedEntry looks at it. */
const route = {
  rest: { check: (value: unknown) => (typeof value === 'object' && value !== null && 'orderId' in value ? [] : [{ path: '/orderId', message: 'is required' }]) },
} as unknown as CompiledRoute;

function planOf(body: string, resumeAt?: string): ReplayPlan {
  const envelope = createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'admin:replay', contentType: 'application/json', body, headers: {} });
  return { envelope, from: 'original', ...(resumeAt ? { resumeAt } : {}), skipped: [], edited: true, maskedFieldsChanged: [], basePayload: '{}', baseContentType: 'application/json' };
}

const refusal = (plan: ReplayPlan): JunctionError => thrownBy(() => checkEditedEntry(route, plan));

describe('checkEditedEntry: an edited payload meets what the REST entry checks (src/admin/replay-plan)', () => {
  it('passes a payload the entry\'s schema accepts, and a replay from a step (after the entry) unchecked', () => {
    expect(() => checkEditedEntry(route, planOf('{"orderId":"SO-1"}'))).not.to.throw();
    expect(() => checkEditedEntry(route, planOf('{}', 'step:order-to-erp'))).not.to.throw();
  });

  it('refuses what the schema refuses and text that is not JSON, with JCT_VALIDATION_FAILED', () => {
    expect([refusal(planOf('{}')).code, refusal(planOf('{}')).violations]).to.deep.equal(['JCT_VALIDATION_FAILED', [{ path: '/orderId', message: 'is required' }]]);
    expect(refusal(planOf('{"orderId":')).message).to.match(/^The edited payload is not valid JSON: /);
  });

  it('refuses what the gateway\'s JSON parser refuses (json-limits): a __proto__ key, nesting past the limit', () => {
    const proto = refusal(planOf('{"orderId":"SO-1","__proto__":{"admin":true}}'));
    expect(proto.code).to.equal('JCT_VALIDATION_FAILED');
    expect(proto.message).to.match(/^The edited payload is not accepted: .*__proto__/);
    expect(refusal(planOf(`{"orderId":"SO-1","deep":${'['.repeat(200)}${']'.repeat(200)}}`)).message).to.match(/^The edited payload is not accepted: /);
  });
});
