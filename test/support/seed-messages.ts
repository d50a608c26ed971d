import { randomUUID } from 'node:crypto';
import type mysql from 'mysql2/promise';

/**
 * Seeds `rows` messages shaped like production traffic: mostly DELIVERED, a few per cent FAILED
 * with a handful of causes, ten routes, one business key and correlation id each.
 */
export async function seedMessages(db: mysql.Connection, table: string, rows: number, start = Date.UTC(2026, 0, 1)): Promise<void> {
  const batch = 1000;
  for (let offset = 0; offset < rows; offset += batch) {
    const values: unknown[][] = [];
    for (let i = offset; i < Math.min(rows, offset + batch); i += 1) {
      const failed = i % 25 === 0;
      const at = new Date(start + i * 1000);
      values.push([randomUUID(), `corr-${i}`, `route-${i % 10}`, 'rest:POST /api/v1/orders', 'one-way', `SO-${i}`, '{}', '{"orderId":"x"}',
        failed ? 'FAILED' : 'DELIVERED', 1, failed ? '{"code":"JCT_ENDPOINT_REJECTED","message":"no","retryable":false}' : null,
        failed ? (i % 2 ? 'JCT_ENDPOINT_REJECTED' : 'JCT_TRANSFORM_FAILED') : null, at, at,
        failed ? `endpoint-${i % 3}` : null, failed ? `g${String(i % 7).padStart(15, '0')}` : null, i % 1000 === 0 ? randomUUID() : null]);
    }
    await db.query(`INSERT INTO \`${table}\` (id, correlation_id, route_id, source, pattern, business_key, headers, payload, status, attempts,
      last_error, last_error_code, received_at, updated_at, error_endpoint, error_group, replay_of, content_type) VALUES ?`,
    [values.map((v) => [...v, 'application/json'])]);
  }
  await db.query(`ANALYZE TABLE \`${table}\``);
}
