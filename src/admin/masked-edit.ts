import { JunctionError } from '../core/errors';
import type { Masker } from '../security/masking/masker';
import type { TypedBody } from './admin-masking';

function occurrences(text: string, part: string): number {
  return part === '' ? 0 : text.split(part).length - 1;
}

/**
 * Checks an edited replay payload against the payload it replaces, and answers the paths of the
 * masked fields whose value the edit changed, added or removed (the audit trail names them; it
 * never holds the values).
 *
 * Refuses an edit that still holds the mask (`****`) where the payload it replaces does not:
 * operators edit what the admin API shows, and that is masked, so such an edit would send `****`
 * to the backend in place of a card number or a password. Throws JCT_REPLAY_PAYLOAD_MASKED (422)
 * with a violation per masked field that holds the mask (or one for the whole payload when the
 * mask sits elsewhere, e.g. a card number masked by its shape).
 */
export function checkMaskedEdit(masker: Masker, edited: TypedBody, base: TypedBody): string[] {
  const { mask } = masker;
  const before = new Map(masker.sensitiveFields(base.text, base.contentType).map((f) => [f.path, f.value]));
  const after = masker.sensitiveFields(edited.text, edited.contentType);
  const extra = occurrences(edited.text, mask) - occurrences(base.text, mask);
  if (extra > 0) {
    const violations = after
      .filter((f) => f.value.includes(mask) && !(before.get(f.path) ?? '').includes(mask))
      .map((f) => ({ path: f.path, message: `holds the mask "${mask}" instead of a value` }));
    if (violations.length === 0) violations.push({ path: '', message: `holds the mask "${mask}" ${extra} more time(s) than the payload it replaces` });
    throw new JunctionError('JCT_REPLAY_PAYLOAD_MASKED',
      `The edited payload still holds the mask "${mask}" (${violations.map((v) => v.path || 'in its text').join(', ')}): it was copied from a masked view, and the backend would get "${mask}" instead of the real value. `
      + 'Write the real values there, or replay without editing (a replay sends the real payload).',
      { violations, details: { mask } });
  }
  const afterByPath = new Map(after.map((f) => [f.path, f.value]));
  const paths = new Set([...before.keys(), ...afterByPath.keys()]);
  return [...paths].filter((p) => before.get(p) !== afterByPath.get(p)).sort();
}
