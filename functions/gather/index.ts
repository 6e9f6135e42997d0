// gather: Pub/Sub drift-stripe-accounts -> one AccountView per account -> drift-account-views.
import * as ff from '@google-cloud/functions-framework';
import { StripeDriftAccountMessage } from '../../shared/contracts/messages.js';
import { gatherAccount } from '../../shared/pipeline/gather.js';
import { pubsubHandler } from '../../shared/runtime/handlers.js';

ff.cloudEvent(
  'gather',
  pubsubHandler({
    schema: StripeDriftAccountMessage,
    subject: 'stripe drift account message',
    stage: 'gather',
    system: 'stripe',
    core: gatherAccount,
  }),
);
