import { expect } from 'chai';
import { reword } from '../../../../src/validators/xsd/xsd-messages';

describe('rewording libxml2 messages so a person can act on them', () => {
  const cases: [string, string][] = [
    ["Element '{urn:a}st': [facet 'enumeration'] The value 'C' is not an element of the set {'A', 'B'}.\n", "The value 'C' is not allowed; use one of 'A', 'B'."],
    ["Element '{urn:a}cur': [facet 'pattern'] The value 'eur' is not accepted by the pattern '[A-Z]{3}'.\n", "The value 'eur' does not have the required form (pattern [A-Z]{3})."],
    ["Element '{urn:a}id': [facet 'maxLength'] The value has a length of '70'; this exceeds the allowed maximum length of '64'.\n", 'The value is 70 characters long; the maximum length is 64.'],
    ["Element 'f': [facet 'minLength'] The value has a length of '1'; this underruns the allowed minimum length of '3'.\n", 'The value is 1 characters long; the minimum length is 3.'],
    ["Element 'e': [facet 'length'] The value has a length of '2'; this differs from the allowed length of '3'.\n", 'The value is 2 characters long; the required length is 3.'],
    ["Element '{urn:a}amt': 'abc' is not a valid value of the atomic type 'xs:decimal'.\n", "The value 'abc' is not a decimal number such as 250.00."],
    ["Element '{urn:a}at': '5 May' is not a valid value of the atomic type 'xs:dateTime'.\n", "The value '5 May' is not a date and time such as 2026-11-05T10:15:00Z."],
    ["Element '{urn:a}x': 'q' is not a valid value of the atomic type 'xs:gYear'.\n", "The value 'q' is not a valid gYear."],
    ["Element '{urn:a}extra': This element is not expected. Expected is ( {urn:a}l ).\n", "This element is not expected here; expected 'l'."],
    ["Element '{urn:a}R': Missing child element(s). Expected is one of ( {urn:a}email, {urn:a}status ).\n", "A required element is missing: 'email' or 'status'."],
    ["Element '{urn:a}R': Character content other than whitespace is not allowed because the content type is 'element-only'.\n", 'Text is not allowed here; this element holds other elements only.'],
    ["Element '{urn:a}R', attribute 'x': The attribute 'x' is not allowed.\n", "The attribute 'x' is not allowed."],
    ["Element 'a': [facet 'minInclusive'] The value '-5.001' is less than the minimum value allowed ('0').\n", "The value '-5.001' is below the minimum, 0."],
    ["Element 'a': [facet 'maxInclusive'] The value '11' is greater than the maximum value allowed ('10').\n", "The value '11' is above the maximum, 10."],
    ["Element 'b': [facet 'minExclusive'] The value '0' must be greater than '0'.\n", "The value '0' must be greater than 0."],
    ["Element 'c': [facet 'maxExclusive'] The value '5' must be less than '5'.\n", "The value '5' must be less than 5."],
    ["Element 'd': [facet 'totalDigits'] The value '1234' has more digits than are allowed ('3').\n", "The value '1234' has more than 3 digits."],
    ["Element 'd': [facet 'fractionDigits'] The value '1.234' has more fractional digits than are allowed ('2').\n", "The value '1.234' has more than 2 digits after the decimal point."],
    ["Element 'q': No matching global declaration available for the validation root.\n", 'The schema declares no element of this name and namespace; check the root element and its namespace.'],
  ];
  for (const [message, expected] of cases) {
    it(expected, () => expect(reword(message)).to.equal(expected));
  }
});
