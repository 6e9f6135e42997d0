import type { StripeDriftAccountMessage } from '../contracts/messages.js';
import { isPersistent } from '../core/lifecycle.js';
import type { PipelineDeps } from './deps.js';

/**
 * The per-account valves of a scheduled run, applied by gather to a replayed account, or one change events
 * asked to check (no overrides ever), before it reads anything (docs/design.md, "Safety valves"): persistent drift and unsupported account types (the mirror's
 * triage of the run's snapshot date, as detection sees them) and the cooldown. A replay lifts persistent
 * drift or the cooldown only with the overrides (and reason) its message carries; an unsupported type is
 * never lifted. Returns why the account is excluded, or null to go on.
 */
export async function replayExclusion(
  deps: Pick<PipelineDeps, 'mirror' | 'control' | 'clock' | 'lifecycle'>,
  message: StripeDriftAccountMessage,
): Promise<{ code: string; reason: string } | null> {
  const overrides = message.overrides;
  const [triage] = await deps.mirror.stripeDriftOf(message.run.snapshotDate, [message.accountId]);
  const code = triage?.excludedCode ?? null;
  if (code !== null && !(code === 'persistent_drift' && overrides?.includePersistent))
    return {
      code,
      reason: `${triage?.excludedReason ?? code} (in the mirror of ${message.run.snapshotDate})`,
    };
  const config = await deps.control.getConfig();
  // The drift lifecycle's rule too: drift open longer than the window without a heal, whichever path saw
  // it (an event-driven check may see drift the last snapshot did not).
  if (!overrides?.includePersistent) {
    const record = await deps.lifecycle.get('stripe', message.accountId);
    const windowMs = config.persistentAfterHours * 3_600_000;
    if (record !== null && isPersistent(record, deps.clock.now().getTime(), windowMs))
      return {
        code: 'persistent_drift',
        reason: `drift open since ${record.firstSeenAt} without a heal, longer than ${config.persistentAfterHours}h (drift lifecycle)`,
      };
  }
  if (!overrides?.ignoreCooldown) {
    const healedAt = (await deps.control.lastHealedAt([message.accountId])).get(message.accountId);
    const nowMs = deps.clock.now().getTime();
    if (healedAt !== undefined && nowMs - healedAt < config.cooldownHours * 3_600_000)
      return {
        code: 'cooldown',
        reason: `healed ${new Date(healedAt).toISOString()}, within the ${config.cooldownHours}h cooldown`,
      };
  }
  return null;
}

/** How a replay's lifted valves read on its audit rows. */
export function overridesSaid(message: StripeDriftAccountMessage): string {
  const o = message.overrides;
  if (!o) return '';
  const lifted = Object.entries(o)
    .filter(([k, v]) => k !== 'reason' && v === true)
    .map(([k]) => k);
  return ` (valves lifted by ${message.run.requestedBy ?? 'unknown'}: ${lifted.join(', ') || 'none'} — ${o.reason})`;
}
