import type { CloudEvent, Request, Response } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { handleConsoleRequest } from '../console/app.js';
import { RunContext } from '../contracts/messages.js';
import type { AuditStage, DriftSystem } from '../domain/audit.js';
import { CalendarDate } from '../domain/common.js';
import { parseJson, ValidationError } from '../domain/validate.js';
import { emitAudit } from '../pipeline/audit.js';
import { type ClassifyWeekRequest, classifyWeek } from '../pipeline/classify-tickets.js';
import type { Disposition, PipelineDeps } from '../pipeline/deps.js';
import { type DetectRequest, detectDrift } from '../pipeline/detect.js';
import { receiveStripeEvent } from '../pipeline/stripe-events.js';
import { sweepPendingChecks } from '../pipeline/sweep-checks.js';
import { weeklyDigest } from '../pipeline/ticket-digest.js';
import { classifierFor } from '../tickets/classifiers.js';
import { loadTaxonomy } from '../tickets/taxonomy.js';
import { lastCompleteWeek, parseWeek } from '../tickets/weeks.js';
import { getDeps } from './deps.js';
import { installJsonErrors } from './json-errors.js';

// Every HTTP answer of a function is JSON, its errors included (json-errors.ts).
installJsonErrors();

/**
 * The handlers only decode the event, call a core and map the outcome (functions-framework style):
 * returning acks the message, throwing asks Pub/Sub to redeliver (and, after the subscription's
 * max delivery attempts, to dead-letter it, where it is kept for replay).
 */

export interface MessagePublishedData {
  message?: { data?: string; messageId?: string; attributes?: Record<string, string> };
  subscription?: string;
}

/** Thrown to make the runtime answer 500 so Pub/Sub redelivers. */
export class RedeliverError extends Error {
  override readonly name = 'RedeliverError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export function decodeMessage(event: CloudEvent<MessagePublishedData>): { text: string; messageId: string } {
  const message = event.data?.message;
  const messageId = message?.messageId ?? event.id ?? 'unknown';
  if (typeof message?.data !== 'string')
    throw new ValidationError('Pub/Sub message', [
      { path: 'message.data', message: 'is required (base64)', received: 'missing' },
    ]);
  return { text: Buffer.from(message.data, 'base64').toString('utf8'), messageId };
}

/** A message that can never be processed: audited (what can be salvaged of its run), then dead-lettered. */
async function auditPoison(
  deps: PipelineDeps,
  stage: AuditStage,
  system: DriftSystem,
  text: string,
  messageId: string,
  error: ValidationError,
) {
  let salvaged: Partial<RunContext> = {};
  try {
    const raw = JSON.parse(text) as { run?: unknown };
    const parsed = RunContext.partial().safeParse(raw.run);
    if (parsed.success) salvaged = parsed.data;
  } catch {
    // not JSON at all: nothing to salvage
  }
  const now = deps.clock.now();
  await emitAudit(deps, {
    run: {
      runId: salvaged.runId ?? `poison-${messageId}`,
      system: salvaged.system ?? system,
      snapshotDate: CalendarDate.safeParse(salvaged.snapshotDate).success
        ? (salvaged.snapshotDate as string)
        : now.toISOString().slice(0, 10),
      trigger: salvaged.trigger ?? 'scheduled',
      requestedBy: salvaged.requestedBy ?? null,
      dryRun: salvaged.dryRun ?? true,
    },
    stage,
    outcome: 'failed',
    errorCode: 'invalid_message',
    reason: `${error.message} (message ${messageId} goes to the dead-letter topic)`,
    params: { messageId, bytes: text.length },
    attemptKey: messageId,
    willRetry: true, // redelivered until the subscription dead-letters it
    startedAt: now,
    finishedAt: now,
  });
}

export interface PubSubHandlerSpec<S extends z.ZodType> {
  readonly schema: S;
  readonly subject: string;
  readonly stage: AuditStage;
  readonly system: DriftSystem;
  readonly core: (
    deps: PipelineDeps,
    message: z.infer<S>,
    messageId: string,
  ) => Promise<{ disposition: Disposition; outcome: string }>;
}

export function pubsubHandler<S extends z.ZodType>(spec: PubSubHandlerSpec<S>) {
  return async (event: CloudEvent<MessagePublishedData>): Promise<void> => {
    const deps = await getDeps();
    let decoded: { text: string; messageId: string } = { text: '', messageId: event.id ?? 'unknown' };
    let message: z.infer<S>;
    try {
      decoded = decodeMessage(event);
      message = parseJson(spec.schema, spec.subject, decoded.text);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      deps.log.error(
        { event: 'invalid_message', message_id: decoded.messageId, stage: spec.stage, issues: error.issues },
        error.message,
      );
      await auditPoison(deps, spec.stage, spec.system, decoded.text, decoded.messageId, error);
      throw new RedeliverError(error.message, 'invalid_message');
    }
    const result = await spec.core(deps, message, decoded.messageId);
    if (result.disposition === 'retry')
      throw new RedeliverError(`${spec.stage}: ${result.outcome}, will retry`, result.outcome);
  };
}

// ---------------------------------------------------------------- detect-drift (HTTP, Cloud Scheduler)

export function parseDetectRequest(
  req: Pick<Request, 'body' | 'query' | 'headers'>,
  now: Date,
): DetectRequest {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const query = (req.query ?? {}) as Record<string, unknown>;
  const header = (name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
  };
  const scheduleTime = header('X-CloudScheduler-ScheduleTime');
  const scheduled = header('X-CloudScheduler') !== null || scheduleTime !== null;
  const system = body.system ?? query.system;
  if (system !== 'stripe' && system !== 'www') {
    throw new ValidationError('detect-drift request', [
      {
        path: 'system',
        message: 'must be "stripe" or "www"',
        received: system === undefined ? 'missing' : typeof system,
      },
    ]);
  }
  // The snapshot a firing is about: its schedule date (kept across Scheduler retries), unless given.
  const snapshotDate = (body.snapshotDate ??
    query.snapshotDate ??
    (scheduleTime ?? now.toISOString()).slice(0, 10)) as unknown;
  if (typeof snapshotDate !== 'string' || !CalendarDate.safeParse(snapshotDate).success) {
    throw new ValidationError('detect-drift request', [
      { path: 'snapshotDate', message: 'must be YYYY-MM-DD', received: typeof snapshotDate },
    ]);
  }
  const requestedBy = typeof body.requestedBy === 'string' ? body.requestedBy.slice(0, 255) : null;
  return { system, snapshotDate, trigger: scheduled ? 'scheduled' : 'manual', requestedBy, scheduleTime };
}

/**
 * An HTTP handler that never lets an error escape to functions-framework (which would answer it as text
 * carrying the error's message): a failure is logged and answered as JSON without internals. Cloud
 * Scheduler retries a 5xx.
 */
export function httpHandler(
  name: string,
  handle: (deps: PipelineDeps, req: Request, res: Response) => Promise<void>,
) {
  return async (req: Request, res: Response): Promise<void> => {
    let deps: PipelineDeps | undefined;
    try {
      deps = await getDeps();
      await handle(deps, req, res);
    } catch (error) {
      const log = deps?.log;
      if (log) log.error({ event: 'http_error', function: name, err: error }, 'request failed');
      else console.error(JSON.stringify({ event: 'http_error', function: name, message: String(error) }));
      if (!res.headersSent) res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
    }
  };
}

export const detectDriftHttp = httpHandler('detect-drift', async (deps, req, res) => {
  let request: DetectRequest;
  try {
    request = parseDetectRequest(req, deps.clock.now());
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    res
      .status(400)
      .json({ error: { code: 'invalid_request', message: error.message, issues: error.issues } });
    return;
  }
  const result = await detectDrift(deps, request);
  // Non-2xx makes Cloud Scheduler retry: 503 when the mirror has not landed yet, 409 while another call
  // holds the run (if that call died, the retry resumes the run). Everything else is final for the firing.
  res.status(result.status === 'not_ready' ? 503 : result.status === 'in_progress' ? 409 : 200).json(result);
});

// ---------------------------------------------------------------- stripe-events (HTTP, Stripe webhooks)

/** The raw body Stripe signed: functions-framework keeps it as `rawBody`; the signature covers its bytes. */
function rawBodyOf(req: Request): Buffer | null {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  return Buffer.isBuffer(raw) ? raw : null;
}

export const stripeEventsHttp = httpHandler('stripe-events', async (deps, req, res) => {
  if (req.method !== 'POST') {
    res.status(405).json({ error: { code: 'method_not_allowed', message: 'POST a Stripe event' } });
    return;
  }
  const signature = req.headers['stripe-signature'];
  const result = await receiveStripeEvent(
    deps,
    rawBodyOf(req) ?? '',
    (Array.isArray(signature) ? signature[0] : signature) ?? null,
  );
  if (result.status === 400) {
    res.status(400).json({ error: { code: result.outcome, message: result.reason } });
    return;
  }
  res.status(200).json({ received: true, outcome: result.outcome, eventId: result.eventId });
});

// ---------------------------------------------------------------- event-sweeper (HTTP, Cloud Scheduler)

export const eventSweeperHttp = httpHandler('event-sweeper', async (deps, _req, res) => {
  res.status(200).json(await sweepPendingChecks(deps));
});

// ---------------------------------------------------------------- classify-tickets (HTTP, weekly Scheduler)

export interface ClassifyTicketsRequest extends ClassifyWeekRequest {
  readonly taxonomyVersion: string | undefined;
}

/**
 * `{ week?, taxonomyVersion?, force? }` (JSON body or query). A scheduled call (Cloud Scheduler's headers)
 * names no week: it classifies the last week that ended before its schedule time, so a retried firing
 * means the same week.
 */
export function parseClassifyTicketsRequest(
  req: Pick<Request, 'body' | 'query' | 'headers'>,
  now: Date,
): ClassifyTicketsRequest {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const query = (req.query ?? {}) as Record<string, unknown>;
  const scheduleTime = req.headers['x-cloudscheduler-scheduletime'];
  const at =
    typeof scheduleTime === 'string' && !Number.isNaN(Date.parse(scheduleTime))
      ? new Date(scheduleTime)
      : now;
  const issues: { path: string; message: string; received: string }[] = [];
  const week = body.week ?? query.week ?? lastCompleteWeek(at);
  let parsedWeek = '';
  try {
    parsedWeek = parseWeek(String(week));
  } catch (error) {
    issues.push({ path: 'week', message: (error as Error).message, received: typeof week });
  }
  const version = body.taxonomyVersion ?? query.taxonomyVersion;
  if (version !== undefined && (typeof version !== 'string' || !/^v\d+$/.test(version)))
    issues.push({
      path: 'taxonomyVersion',
      message: 'must be a taxonomy version such as v6',
      received: typeof version,
    });
  const force = body.force ?? query.force;
  if (force !== undefined && force !== true && force !== false && force !== 'true' && force !== 'false')
    issues.push({ path: 'force', message: 'must be true or false', received: typeof force });
  if (issues.length > 0) throw new ValidationError('classify-tickets request', issues);
  return {
    week: parsedWeek,
    taxonomyVersion: version as string | undefined,
    force: force === true || force === 'true',
  };
}

export const classifyTicketsHttp = httpHandler('classify-tickets', async (deps, req, res) => {
  if (req.method !== 'POST') {
    res
      .status(405)
      .json({ error: { code: 'method_not_allowed', message: 'POST { week?, taxonomyVersion?, force? }' } });
    return;
  }
  let request: ClassifyTicketsRequest;
  let classifier: ReturnType<typeof classifierFor>;
  try {
    request = parseClassifyTicketsRequest(req, deps.clock.now());
    classifier = classifierFor(
      request.taxonomyVersion ?? deps.ticketSettings.taxonomyVersion,
      deps.ticketSettings.accountIdPattern,
    );
  } catch (error) {
    if (!(error instanceof ValidationError) && (error as Error).name !== 'TaxonomyError') throw error;
    res.status(400).json({
      error: {
        code: 'invalid_request',
        message: (error as Error).message,
        ...(error instanceof ValidationError ? { issues: error.issues } : {}),
      },
    });
    return;
  }
  const result = await classifyWeek(deps, classifier, request);
  if (result.status === 'in_progress') {
    // Scheduler retries a 409 later; the run holding the week may have died (its lease lapses).
    res.status(409).json(result);
    return;
  }
  const molecules = loadTaxonomy(classifier.version).molecules.map((m) => m.id);
  const digest = await weeklyDigest(deps.ticketStore, {
    week: result.week,
    taxonomyVersion: classifier.version,
    molecules,
  });
  deps.log.info(
    { event: 'tickets_classified', week: result.week, status: result.status },
    'ticket week done',
  );
  res.status(200).json({ ...result, digest });
});

// ---------------------------------------------------------------- console (HTTP, people behind IAP)

export const supportConsoleHttp = httpHandler('console', async (deps, req, res) => {
  const assertion = req.headers['x-goog-iap-jwt-assertion'];
  const result = await handleConsoleRequest(deps, {
    method: req.method,
    path: req.path,
    query: (req.query ?? {}) as Record<string, unknown>,
    assertion: (Array.isArray(assertion) ? assertion[0] : assertion) ?? null,
  });
  res.status(result.status).set(result.headers);
  if (req.method === 'HEAD') res.end();
  else res.send(result.body);
});
