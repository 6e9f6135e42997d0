import type { OpeChangeMessage } from '../contracts/messages.js';
import type { Disposition, PipelineDeps } from './deps.js';
import { failureOf } from './failures.js';

/**
 * ope-events' core (docs/design.md, "Events"): the company's OPE change events say which accounts'
 * subscriptions changed. Each account gets one pending check after the OPE settle delay — longer than
 * Stripe's, so the company's own OPE-to-Stripe sync acts first — merged with any Stripe events for it,
 * under the same de-duplication (the Pub/Sub message id) and the same valves (event-sweeper, gather,
 * plan-apply). A trigger, never truth: the check reads every store live.
 */
export async function receiveOpeChange(
  deps: Pick<PipelineDeps, 'events' | 'control' | 'clock' | 'log'>,
  message: OpeChangeMessage,
  messageId: string,
): Promise<{ disposition: Disposition; outcome: string }> {
  try {
    const config = await deps.control.getConfig();
    const accountIds = [...new Set(message.accountIds)].sort();
    const accepted = await deps.events.accept({
      eventId: `ope_${messageId}`,
      type: 'ope.subscriptions_changed',
      source: 'ope',
      accountIds,
      outcome: 'scheduled',
      nowMs: deps.clock.now().getTime(),
      settleMs: config.opeSettleSeconds * 1000,
      maxWaitMs: Math.max(config.eventMaxWaitSeconds, config.opeSettleSeconds) * 1000,
    });
    deps.log.info(
      { event: 'ope_change', outcome: accepted, message_id: messageId, accounts: accountIds.length },
      accepted === 'duplicate'
        ? 'OPE change already taken in'
        : 'checks scheduled after the OPE settle delay',
    );
    return { disposition: 'ack', outcome: accepted === 'duplicate' ? 'duplicate' : 'scheduled' };
  } catch (error) {
    // Firestore unavailable: Pub/Sub redelivers, and dead-letters what never gets through.
    const failure = failureOf(error);
    deps.log.warn({ event: 'ope_change_failed', message_id: messageId, code: failure.code }, failure.message);
    return { disposition: 'retry', outcome: 'failed' };
  }
}
