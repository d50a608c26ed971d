import { JunctionError } from '../core/errors';
import type { Masker } from '../security/masking/masker';
import type { TypedBody } from './admin-masking';

function occurrences(text: string, part: string): number {
  return part === '' ? 0 : text.split(part).length - 1;
}

/**
 * Refuses an edited replay payload that still holds the mask (`****`) where the payload it
 * replaces does not: operators edit what the admin API shows, and that is masked, so such an
 * edit would send `****` to the backend in place of a card number or a password. Throws
 * JCT_REPLAY_PAYLOAD_MASKED (422) with a violation per masked field that holds the mask (or one
 * for the whole payload when the mask sits elsewhere, e.g. a card number masked by its shape).
 */
export function refuseMaskedEdit(masker: Masker, edited: TypedBody, base: TypedBody): void {
  const { mask } = masker;
  const extra = occurrences(edited.text, mask) - occurrences(base.text, mask);
  if (extra <= 0) return;
  const before = new Map(masker.sensitiveFields(base.text, base.contentType).map((f) => [f.path, f.value]));
  const violations = masker.sensitiveFields(edited.text, edited.contentType)
    .filter((f) => f.value.includes(mask) && !(before.get(f.path) ?? '').includes(mask))
    .map((f) => ({ path: f.path, message: `holds the mask "${mask}" instead of a value` }));
  if (violations.length === 0) violations.push({ path: '', message: `holds the mask "${mask}" ${extra} more time(s) than the payload it replaces` });
  throw new JunctionError('JCT_REPLAY_PAYLOAD_MASKED',
    `The edited payload still holds the mask "${mask}" (${violations.map((v) => v.path || 'in its text').join(', ')}): it was copied from a masked view, and the backend would get "${mask}" instead of the real value. `
    + 'Write the real values there, or replay without editing (a replay sends the real payload).',
    { violations, details: { mask } });
}

/** Paths of masked fields whose value an edit changed, added or removed (the audit trail names them; it never holds the values). */
export function changedSensitiveFields(masker: Masker, edited: TypedBody, base: TypedBody): string[] {
  const before = new Map(masker.sensitiveFields(base.text, base.contentType).map((f) => [f.path, f.value]));
  const after = new Map(masker.sensitiveFields(edited.text, edited.contentType).map((f) => [f.path, f.value]));
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => before.get(p) !== after.get(p)).sort();
}
