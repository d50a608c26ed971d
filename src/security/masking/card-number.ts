/**
 * Whether a run of digits is shaped like a payment card number (PAN): a prefix some card scheme
 * issues (its IIN range), a length that scheme uses, and a valid Luhn check digit — the test
 * data-loss-prevention scanners apply. Luhn alone passes one number in ten, so long order numbers,
 * account numbers and timestamps in free text were masked too; most of those start with a digit or
 * have a length no scheme issues.
 *
 * Ranges (ISO/IEC 7812 issuer identification numbers as the schemes publish them): Visa 4;
 * Mastercard 51–55 and 2221–2720; Mir 2200–2204; American Express 34, 37; Diners Club 300–305,
 * 3095, 36, 38, 39; JCB 3528–3589; Discover, UnionPay, RuPay and Maestro across 50 and 56–69;
 * UnionPay and RuPay 81, 82; Troy 9792. A range that is in doubt is kept: masking a number that
 * is not a card costs a searchable field in a log line, missing a card number costs a PCI finding.
 */
export function isCardNumber(digits: string): boolean {
  return lengthFits(digits) && luhn(digits);
}

function lengthFits(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19) return false;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  switch (digits.charAt(0)) {
    case '4': return n === 13 || n === 16 || n === 19; // Visa
    case '2':
      if (four >= 2221 && four <= 2720) return n === 16; // Mastercard
      return four >= 2200 && four <= 2204 && n >= 16; // Mir
    case '3':
      if (two === 34 || two === 37) return n === 15; // American Express
      if ((four >= 3000 && four <= 3059) || four === 3095 || two === 36 || two === 38 || two === 39) return n >= 14; // Diners Club
      return four >= 3528 && four <= 3589 && n >= 16; // JCB
    case '5':
      if (two >= 51 && two <= 55) return n === 16; // Mastercard
      return true; // Maestro (50, 56–59), Verve, RuPay 508
    case '6': return true; // Discover, UnionPay, RuPay, Maestro, Troy 65
    case '8': return (two === 81 || two === 82) && n >= 16; // UnionPay, RuPay
    case '9': return four === 9792 && n === 16; // Troy
    default: return false;
  }
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
