import { Change, type ChangeKind, type StripeParamValue } from '../domain/plan.js';

/**
 * The stamp a heal leaves on every Stripe object it writes: the change id (fixed at plan time) and the run
 * id (added at apply time). The dashboard shows who changed an object and why, and apply reads the change
 * id back to recognise its own earlier write after a crash. Stripe's cancel takes no metadata, so a cancel
 * carries the stamp in its cancellation comment instead. The only place that writes or parses a stamp.
 */

export const CHANGE_ID_METADATA_KEY = 'driftcontrol_change_id';
export const RUN_ID_METADATA_KEY = 'driftcontrol_run_id';

type Params = Record<string, StripeParamValue>;

/** `driftcontrol <changeId>` at plan time, `driftcontrol run <runId> change <changeId>` once applied. */
function cancellationComment(changeId: string, runId?: string): string {
  return runId === undefined ? `driftcontrol ${changeId}` : `driftcontrol run ${runId} change ${changeId}`;
}

const COMMENT = /^driftcontrol (?:run \S+ change )?(\S+)$/;

/** A copy of the params with the stamp in the cancellation comment (a cancel) or merged into metadata. */
function stamped(
  kind: ChangeKind,
  params: Params,
  comment: string,
  metadata: Record<string, string>,
): Params {
  if (kind === 'subscription_cancel') return { ...params, cancellation_details: { comment } };
  return { ...params, metadata: { ...((params.metadata ?? {}) as Params), ...metadata } };
}

/** Plan time: the params with the change id stamped (the id itself is hashed from the unstamped params). */
export function stampChangeId(kind: ChangeKind, params: Params, changeId: string): Params {
  return stamped(kind, params, cancellationComment(changeId), { [CHANGE_ID_METADATA_KEY]: changeId });
}

/** Apply time: the planned params with the run id added, so the dashboard shows which run made a change. */
export function stampRunId(change: Pick<Change, 'id' | 'kind' | 'operation'>, runId: string): Params {
  return stamped(change.kind, change.operation.params, cancellationComment(change.id, runId), {
    [RUN_ID_METADATA_KEY]: runId,
  });
}

/**
 * The change id stamped on a live Stripe object: its metadata, else its cancellation comment. A comment
 * that is not ours, or names no well-formed change id, reads as no stamp.
 */
export function stampedChangeId(live: {
  readonly metadata?: Readonly<Record<string, string>> | null;
  readonly cancellationComment?: string | null;
}): string | null {
  const fromMetadata = live.metadata?.[CHANGE_ID_METADATA_KEY];
  if (fromMetadata !== undefined) return fromMetadata;
  const id = COMMENT.exec(live.cancellationComment?.trim() ?? '')?.[1];
  return id !== undefined && Change.shape.id.safeParse(id).success ? id : null;
}
