import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { caSubjectOf } from '../../src/security/tls/crl';
import { tlsFixture } from './tls-fixtures';

/**
 * Certificate revocation lists made in the test, signed with node:crypto (no `openssl` needed): a
 * minimal DER writer for RFC 5280 CertificateLists with the extensions Junction reads (CRL
 * number, Issuing Distribution Point, Delta CRL Indicator).
 */

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);

function integer(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'latin1')) : tlv(0x18, Buffer.from(`${iso}Z`, 'latin1'));
}

const extension = (id: string, value: Buffer, critical = false): Buffer => seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));

/** An Issuing Distribution Point value naming one URI (a partitioned CRL): `[0] { [0] { [6] uri } }`. */
export function distributionPoint(uri: string): Buffer {
  return seq(tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from(uri, 'latin1')))));
}

export interface CrlSpec {
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly number?: bigint;
  /** Serial numbers (hex) revoked. */
  readonly revoked?: readonly string[];
  /** The value of an Issuing Distribution Point extension (see {@link distributionPoint}). */
  readonly distributionPoint?: Buffer;
  /** Makes it a delta CRL of this base CRL number. */
  readonly deltaOf?: bigint;
  /** Issuer certificate (PEM; default the test clients' CA) and the key that signs (default that CA's). */
  readonly issuerCert?: string;
  readonly key?: KeyObject;
}

/** A PEM CRL of `spec`, signed ECDSA-SHA256 (EC keys) or RSA-SHA256. */
export function buildCrl(spec: CrlSpec): string {
  const issuerPem = spec.issuerCert ?? tlsFixture('clients-ca.crt');
  const issuer = caSubjectOf(Buffer.from(issuerPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')).der;
  const key = spec.key ?? createPrivateKey(tlsFixture('clients-ca.key'));
  const algorithm = key.asymmetricKeyType === 'ec' ? seq(oid('1.2.840.10045.4.3.2')) : seq(oid('1.2.840.113549.1.1.11'), tlv(0x05));
  const extensions = [
    ...(spec.number !== undefined ? [extension('2.5.29.20', integer(spec.number))] : []),
    ...(spec.deltaOf !== undefined ? [extension('2.5.29.27', integer(spec.deltaOf), true)] : []),
    ...(spec.distributionPoint ? [extension('2.5.29.28', spec.distributionPoint, true)] : []),
  ];
  const revoked = spec.revoked ?? [];
  const tbs = seq(
    integer(1n), // v2
    algorithm,
    issuer,
    time(spec.thisUpdate),
    ...(spec.nextUpdate ? [time(spec.nextUpdate)] : []),
    ...(revoked.length > 0 ? [seq(...revoked.map((serial) => seq(integer(BigInt(`0x${serial}`)), time(spec.thisUpdate))))] : []),
    ...(extensions.length > 0 ? [tlv(0xa0, seq(...extensions))] : []),
  );
  const signature = sign('sha256', tbs, key);
  const der = seq(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
  return `-----BEGIN X509 CRL-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END X509 CRL-----\n`;
}

/** Serial of test/fixtures/tls/client-leaver.crt (the TLS client whose certificate a CRL revokes). */
export const LEAVER_SERIAL = '16D506A4174B0733025624690855B1034505E5E2';

/** A day in ms, to space thisUpdates. */
export const DAY = 24 * 3600 * 1000;
