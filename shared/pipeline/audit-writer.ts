import { AuditRecord } from '../domain/audit.js';
import { validate } from '../domain/validate.js';
import type { PipelineDeps } from './deps.js';

/**
 * audit-writer's core: one validated row into cfbill_migrations_audit with insertId = row_id, so a
 * redelivered event is not duplicated. An invalid event throws a ValidationError naming the field:
 * the handler lets it go to the dead-letter topic (kept, never dropped).
 */
export async function writeAudit(
  deps: Pick<PipelineDeps, 'auditTable'>,
  event: unknown,
): Promise<AuditRecord> {
  const record = validate(AuditRecord, 'audit event', event);
  await deps.auditTable.insert([record]);
  return record;
}
