// ope-events: Pub/Sub, the company's OPE change topic -> one pending check per account (after a settle delay).
import * as ff from '@google-cloud/functions-framework';
import { OpeChangeMessage } from '../../shared/contracts/messages.js';
import { receiveOpeChange } from '../../shared/pipeline/ope-events.js';
import { pubsubHandler } from '../../shared/runtime/handlers.js';

ff.cloudEvent(
  'opeEvents',
  pubsubHandler({
    schema: OpeChangeMessage,
    subject: 'OPE change message',
    stage: 'events',
    system: 'stripe',
    core: receiveOpeChange,
  }),
);
