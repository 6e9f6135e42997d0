import type { Message } from '@google-cloud/pubsub';
import { z } from 'zod';
import { StripeDriftAccountMessage, WwwDriftZoneMessage } from '../contracts/messages.js';
import { CONSUMERS, deadLetterSubscriptionName, type FunctionName } from '../contracts/topology.js';
import { Id } from '../domain/common.js';

/**
 * What `driftcontrol replay --from-dead-letter` does with each stage's dead letters. A dead letter is a
 * trigger like any message: an account is re-gathered live, a zone re-read live; nothing it carries is
 * trusted. What cannot be parsed, and audit events (only the pipeline writes those), are set aside: left
 * on the dead-letter subscription (not acked), and reported, never lost.
 */

export type DeadLetterVerdict =
  | { readonly kind: 'account'; readonly accountId: string }
  | { readonly kind: 'zone'; readonly zone: WwwDriftZoneMessage }
  | { readonly kind: 'set_aside'; readonly why: string };

/** plan-apply's dead letters are AccountView messages: only the account id is taken, the view is not. */
const AccountOfView = z.looseObject({
  kind: z.literal('account_view'),
  view: z.looseObject({ accountId: Id }),
});

export function classifyDeadLetter(stage: FunctionName, text: string): DeadLetterVerdict {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'set_aside', why: 'not JSON' };
  }
  const invalid = (what: string, error: z.ZodError) => ({
    kind: 'set_aside' as const,
    why: `not a valid ${what}: ${error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`)
      .join('; ')}`,
  });
  switch (stage) {
    case 'gather': {
      const m = StripeDriftAccountMessage.safeParse(json);
      return m.success
        ? { kind: 'account', accountId: m.data.accountId }
        : invalid('drift account message', m.error);
    }
    case 'plan-apply': {
      const m = AccountOfView.safeParse(json);
      return m.success
        ? { kind: 'account', accountId: m.data.view.accountId }
        : invalid('account view message', m.error);
    }
    case 'www-resync': {
      const m = WwwDriftZoneMessage.safeParse(json);
      return m.success ? { kind: 'zone', zone: m.data } : invalid('zone message', m.error);
    }
    default:
      return { kind: 'set_aside', why: `${stage}'s dead letters are not replayed by operators` };
  }
}

export interface DeadLetterBatch {
  readonly accounts: Map<string, Message[]>;
  readonly zones: { readonly zone: WwwDriftZoneMessage; readonly message: Message }[];
  readonly setAside: { readonly stage: FunctionName; readonly messageId: string; readonly why: string }[];
  /** Acks what was replayed; leaves what was set aside for a person (it is redelivered to the next reader). */
  settle(replayed: { accounts: readonly string[]; zones: readonly string[] }): void;
  close(): Promise<void>;
}

/** Pulls up to `max` messages from every consumer's dead-letter subscription (stops after a quiet second). */
export async function drainDeadLetters(projectId: string, max: number): Promise<DeadLetterBatch> {
  const { createPubSub } = await import('../adapters/pubsub.js');
  const pubsub = createPubSub(projectId);
  const subscriptions = CONSUMERS.map((fn) => ({
    stage: fn.name,
    sub: pubsub.subscription(deadLetterSubscriptionName(fn.name), { flowControl: { maxMessages: max } }),
  }));
  const got: { stage: FunctionName; message: Message }[] = [];
  await new Promise<void>((resolve) => {
    let timer = setTimeout(resolve, 3000);
    for (const { stage, sub } of subscriptions) {
      sub.on('message', (message: Message) => {
        if (got.length >= max) return; // beyond the batch: left for the next run (its lease lapses)
        got.push({ stage, message });
        clearTimeout(timer);
        timer = setTimeout(resolve, 1000);
      });
      sub.on('error', () => resolve());
    }
  });
  // Stop receiving more; keep the subscriptions open so what was received can still be acked or nacked.
  for (const { sub } of subscriptions) sub.removeAllListeners('message');

  const accounts = new Map<string, Message[]>();
  const zones: DeadLetterBatch['zones'] = [];
  const setAside: { stage: FunctionName; messageId: string; message: Message; why: string }[] = [];
  for (const { stage, message } of got) {
    const verdict = classifyDeadLetter(stage, message.data.toString('utf8'));
    if (verdict.kind === 'account')
      accounts.set(verdict.accountId, [...(accounts.get(verdict.accountId) ?? []), message]);
    else if (verdict.kind === 'zone') zones.push({ zone: verdict.zone, message });
    else setAside.push({ stage, messageId: message.id, message, why: verdict.why });
  }
  return {
    accounts,
    zones,
    setAside: setAside.map(({ stage, messageId, why }) => ({ stage, messageId, why })),
    settle(replayed) {
      const accountsDone = new Set(replayed.accounts);
      const zonesDone = new Set(replayed.zones);
      for (const [accountId, messages] of accounts)
        for (const m of messages) accountsDone.has(accountId) ? m.ack() : m.nack();
      for (const { zone, message } of zones) zonesDone.has(zone.zoneId) ? message.ack() : message.nack();
      for (const { message } of setAside) message.nack();
    },
    async close() {
      await Promise.allSettled(subscriptions.map(({ sub }) => sub.close()));
      await pubsub.close();
    },
  };
}
