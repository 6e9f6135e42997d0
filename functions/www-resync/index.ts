// www-resync: Pub/Sub drift-www-zones -> subs-api (truth) -> conditional write to www.
import * as ff from '@google-cloud/functions-framework';
import { WwwDriftZoneMessage } from '../../shared/contracts/messages.js';
import { resyncZone } from '../../shared/pipeline/www-resync.js';
import { pubsubHandler } from '../../shared/runtime/handlers.js';

ff.cloudEvent(
  'wwwResync',
  pubsubHandler({
    schema: WwwDriftZoneMessage,
    subject: 'www drift zone message',
    stage: 'www_resync',
    system: 'www',
    core: resyncZone,
  }),
);
