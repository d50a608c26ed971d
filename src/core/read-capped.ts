/** Thrown by {@link readCapped} when a body passes its limit (the rest is not read). */
export class BodyTooLarge extends Error {
  readonly code = 'BODY_TOO_LARGE';

  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes`);
  }
}

/**
 * A response body as UTF-8 text, read chunk by chunk and given up as soon as it passes `limit`
 * bytes ({@link BodyTooLarge}): for answers Junction fetches itself (a token, a discovery
 * document) that are small when they are what they should be. Takes undici's body and a fetch
 * Response's stream alike (both are async iterables of bytes).
 */
export async function readCapped(body: AsyncIterable<Uint8Array> | null | undefined, limit: number): Promise<string> {
  if (!body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
