/**
 * True when the text declares a document type. Only the prolog (before the root element) may
 * hold one, so only the prolog is scanned; a DOCTYPE is refused before a parser sees it, so no
 * entity is ever declared, let alone expanded.
 */
export function hasDoctype(text: string): boolean {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < text.length && ' \t\r\n'.includes(text.charAt(i))) i += 1;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return false;
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return false;
      i = end + 3;
    } else {
      return text.slice(i, i + 9).toUpperCase() === '<!DOCTYPE';
    }
  }
}
