import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { JunctionError } from '../core/errors';

/**
 * Encrypts payloads at rest with AES-256-GCM. Each stored value names the key that wrote it, so
 * several keys can be configured at once: the first writes, all read. Rotation is adding a new
 * key in front, and (optionally, later) dropping an old one once no row needs it (docs/security.md).
 *
 * Stored form: `jct:enc:v1:<keyId>:<base64url(iv ‖ tag ‖ ciphertext)>`, 12-byte random IV, 16-byte
 * tag. The message id (and which column) is bound in as additional authenticated data, so a
 * ciphertext copied into another row does not decrypt.
 */

/** Prefix of every encrypted value; anything else is a payload stored before encryption was on. */
export const ENCRYPTED_PREFIX = 'jct:enc:v1:';

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One key: its id (stored with each value) and its 32 bytes. */
export interface PayloadKey {
  readonly id: string;
  readonly key: Buffer;
}

/**
 * Parses a key ring: `id:key[,id:key…]`, each key 32 bytes in base64 (44 characters) or hex
 * (64). The first key writes. Throws JCT_CONFIG_INVALID without ever quoting a key.
 */
export function parseKeyRing(text: string, source: string): PayloadKey[] {
  const keys: PayloadKey[] = [];
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) throw new JunctionError('JCT_CONFIG_INVALID', `Payload keys (${source}) are empty; write id:base64key[,id:base64key…].`);
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    const material = colon < 0 ? entry : entry.slice(colon + 1);
    if (!KEY_ID.test(id)) {
      throw new JunctionError('JCT_CONFIG_INVALID', `Payload key ${index + 1} (${source}) needs an id: write id:key with an id of letters, digits, . _ - (at most 32).`);
    }
    const key = /^[0-9a-fA-F]{64}$/.test(material) ? Buffer.from(material, 'hex') : Buffer.from(material, 'base64');
    if (key.length !== 32) {
      throw new JunctionError('JCT_CONFIG_INVALID', `Payload key "${id}" (${source}) is not 32 bytes; make one with: openssl rand -base64 32`);
    }
    if (keys.some((k) => k.id === id)) throw new JunctionError('JCT_CONFIG_INVALID', `Payload key id "${id}" (${source}) appears twice.`);
    keys.push({ id, key });
  });
  return keys;
}

function unreadable(message: string): JunctionError {
  return new JunctionError('JCT_PAYLOAD_UNREADABLE', message);
}

/** True when `stored` was written by a {@link PayloadCipher}. */
export function isEncrypted(stored: string): boolean {
  return stored.startsWith(ENCRYPTED_PREFIX);
}

/** A stored value's key id and base64url body; undefined for a value stored in clear. */
function splitStored(stored: string): { readonly id: string; readonly body: string } | undefined {
  if (!isEncrypted(stored)) return undefined;
  const rest = stored.slice(ENCRYPTED_PREFIX.length);
  const colon = rest.indexOf(':');
  return colon < 0 ? { id: '', body: rest } : { id: rest.slice(0, colon), body: rest.slice(colon + 1) };
}

/** The id of the key a stored value was encrypted with; undefined for a value stored in clear. */
export function storedKeyId(stored: string): string | undefined {
  return splitStored(stored)?.id;
}

/**
 * Whether a stored value must be rewritten to be the writing key's (key rotation): it is another
 * key's, or it is in clear and `encryptPlain` is true; never an empty value. The key id is read
 * from the value's start, so its first 48 characters are enough. The one rule for
 * {@link PayloadCipher.rewrap} and the store's rekey, which picks rows by their first characters.
 */
export function needsRewrite(stored: string, writingKeyId: string, encryptPlain: boolean): boolean {
  if (stored === '') return false;
  const keyId = storedKeyId(stored);
  return keyId === undefined ? encryptPlain : keyId !== writingKeyId;
}

/** AES-256-GCM with a key ring; see the module comment. */
export class PayloadCipher {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly writer: PayloadKey;

  /** `keys[0]` writes; `encrypt: false` keeps reading encrypted rows but writes new ones in clear. */
  constructor(keys: readonly PayloadKey[], private readonly encrypting: boolean = true) {
    if (keys.length === 0) throw new Error('PayloadCipher needs at least one key');
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.writer = keys[0]!;
  }

  /** The id of the key that writes. */
  get writingKeyId(): string {
    return this.writer.id;
  }

  /** The stored form of `plain`; `context` (e.g. `<message id>:payload`) must be given again to decrypt. */
  encrypt(plain: string, context: string): string {
    if (!this.encrypting) return plain;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.writer.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${ENCRYPTED_PREFIX}${this.writer.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The ids of the configured keys, the writing key first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** False with `encrypt: false`: new payloads are written in clear. */
  get encryptsNew(): boolean {
    return this.encrypting;
  }

  /**
   * `stored` encrypted again with the writing key (key rotation, docs/security.md), or undefined
   * when there is nothing to do: it is that key's already, or it is in clear and `encryptPlain` is
   * false, or it is empty. Throws JCT_PAYLOAD_UNREADABLE like {@link decrypt}.
   */
  rewrap(stored: string, context: string, encryptPlain: boolean): string | undefined {
    if (!this.encrypting || !needsRewrite(stored, this.writer.id, encryptPlain)) return undefined;
    return this.encrypt(this.decrypt(stored, context), context);
  }

  /**
   * The plain text of a stored value; a value that is not encrypted (written before encryption
   * was turned on) is returned as it is. Throws JCT_PAYLOAD_UNREADABLE for an unknown key id or a
   * value that does not authenticate (tampered, or moved to another row).
   */
  decrypt(stored: string, context: string): string {
    return decryptStored(stored, context, this.keys);
  }
}

/**
 * Decrypts with the keys given (none: an encrypted value is unreadable). Shared by the cipher and
 * by stores configured without keys, which must still refuse to pass ciphertext off as a payload.
 */
export function decryptStored(stored: string, context: string, keys: ReadonlyMap<string, Buffer> = new Map()): string {
  const parts = splitStored(stored);
  if (parts === undefined) return stored;
  const { id } = parts;
  const key = keys.get(id);
  if (!key) {
    throw unreadable(`The stored payload is encrypted with key "${id.slice(0, 32)}", which is not configured; add it to security.payloadEncryption.keys.`);
  }
  const raw = Buffer.from(parts.body, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw unreadable('The stored payload is cut short and cannot be decrypted.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw unreadable(`The stored payload does not authenticate with key "${id}": it was changed, or belongs to another message.`);
  }
}
