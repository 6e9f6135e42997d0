// plan-apply: Pub/Sub drift-account-views -> plan (pure core) -> gated, idempotent Stripe writes.
import * as ff from '@google-cloud/functions-framework';
import { AccountViewMessage } from '../../shared/contracts/messages.js';
import { planAndApply } from '../../shared/pipeline/plan-apply.js';
import { pubsubHandler } from '../../shared/runtime/handlers.js';

ff.cloudEvent(
  'planApply',
  pubsubHandler({
    schema: AccountViewMessage,
    subject: 'account view message',
    stage: 'plan_apply',
    system: 'stripe',
    core: planAndApply,
  }),
);
