// audit-writer: Pub/Sub drift-audit-events -> BigQuery cfbill_migrations_audit (insertId = row_id).
// An invalid event throws: redelivered, then kept on the dead-letter topic — never dropped.
import * as ff from '@google-cloud/functions-framework';
import { writeAudit } from '../../shared/pipeline/audit-writer.js';
import { getDeps } from '../../shared/runtime/deps.js';
import { decodeMessage, type MessagePublishedData } from '../../shared/runtime/handlers.js';

ff.cloudEvent('auditWriter', async (event: ff.CloudEvent<MessagePublishedData>) => {
  const deps = await getDeps();
  const { text, messageId } = decodeMessage(event);
  try {
    await writeAudit(deps, JSON.parse(text));
  } catch (error) {
    deps.log.error(
      { event: 'audit_write_failed', message_id: messageId, error: (error as Error).message },
      'audit event not written',
    );
    throw error;
  }
});
