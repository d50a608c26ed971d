/** How a person is told what an XSD type expects, by built-in type name. */
const TYPE_HINTS: Readonly<Record<string, string>> = {
  decimal: 'a decimal number such as 250.00',
  int: 'a whole number', integer: 'a whole number', long: 'a whole number', short: 'a whole number',
  positiveInteger: 'a whole number above 0', nonNegativeInteger: 'a whole number of 0 or more',
  boolean: 'true or false',
  dateTime: 'a date and time such as 2026-11-05T10:15:00Z',
  date: 'a date such as 2026-11-05',
};

/** `{urn:a}name, {urn:a}other` → `'name' or 'other'`. */
function names(list: string): string {
  return list.split(',').map((n) => `'${n.trim().replace(/^\{[^}]*\}/, '')}'`).join(' or ');
}

const RULES: readonly [RegExp, (...m: string[]) => string][] = [
  [/^\[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.*)\}\.$/s, (_, v, set) => `The value '${v}' is not allowed; use one of ${set}.`],
  [/^\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '(.*)'\.$/s, (_, v, p) => `The value '${v}' does not have the required form (pattern ${p}).`],
  [/^\[facet '(minLength|maxLength|length)'\] The value has a length of '(\d+)'; this \w+(?: from)? the allowed (?:\w+ )?length of '(\d+)'\.$/s,
    (_, facet, actual, limit) => `The value is ${actual} characters long; the ${facet === 'minLength' ? 'minimum' : facet === 'maxLength' ? 'maximum' : 'required'} length is ${limit}.`],
  [/^\[facet 'minInclusive'\] The value '(.*)' is less than the minimum value allowed \('(.*)'\)\.$/s, (_, v, limit) => `The value '${v}' is below the minimum, ${limit}.`],
  [/^\[facet 'maxInclusive'\] The value '(.*)' is greater than the maximum value allowed \('(.*)'\)\.$/s, (_, v, limit) => `The value '${v}' is above the maximum, ${limit}.`],
  [/^\[facet '(?:min|max)Exclusive'\] The value '(.*)' must be (greater|less) than '(.*)'\.$/s, (_, v, side, limit) => `The value '${v}' must be ${side} than ${limit}.`],
  [/^\[facet 'totalDigits'\] The value '(.*)' has more digits than are allowed \('(\d+)'\)\.$/s, (_, v, n) => `The value '${v}' has more than ${n} digits.`],
  [/^\[facet 'fractionDigits'\] The value '(.*)' has more fractional digits than are allowed \('(\d+)'\)\.$/s, (_, v, n) => `The value '${v}' has more than ${n} digits after the decimal point.`],
  [/^No matching global declaration available for the validation root\.$/s, () => 'The schema declares no element of this name and namespace; check the root element and its namespace.'],
  [/^'(.*)' is not a valid value of the (?:local )?atomic type '(?:xs:)?(?:\{[^}]*\})?([^']*)'\.$/s,
    (_, v, type) => `The value '${v}' is not ${TYPE_HINTS[type] ?? `a valid ${type}`}.`],
  [/^This element is not expected\. Expected is (?:one of )?\( (.*) \)\.$/s, (_, list) => `This element is not expected here; expected ${names(list)}.`],
  [/^This element is not expected\.$/s, () => 'This element is not allowed here.'],
  [/^Missing child element\(s\)\. Expected is (?:one of )?\( (.*) \)\.$/s, (_, list) => `A required element is missing: ${names(list)}.`],
  [/^Character content other than whitespace is not allowed because the content type is 'element-only'\.$/s, () => 'Text is not allowed here; this element holds other elements only.'],
];

/** libxml2's validation message, said so that a person knows what to change. */
export function reword(message: string): string {
  let text = message.trim().replace(/^Element '[^']*'(?:, attribute '[^']*')?: /, '');
  for (const [pattern, say] of RULES) {
    const match = pattern.exec(text);
    if (match) return say(...match);
  }
  text = text.replace(/\{[^}]*\}/g, '');
  return text.endsWith('.') ? text : `${text}.`;
}
