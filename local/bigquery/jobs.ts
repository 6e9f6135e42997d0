/**
 * The jobs a local BigQuery ran: what jobs.get, jobs.getQueryResults and jobs.list read. Bounded like
 * BigQuery's temporary result tables: the most recent MAX_KEPT_JOBS are kept, and an older job's result
 * table is dropped when it goes.
 */
import type { BqField } from './translate/types.js';

export interface JobInfo {
  id: string;
  projectId: string;
  /** Order of creation on this server (the job list's cursor). */
  seq: number;
  statementType: string;
  /** Materialised result table (queries only). */
  resultTable?: string;
  schema?: BqField[];
  totalRows: number;
  numDmlAffectedRows?: number;
  creationTime: number;
  endTime: number;
  query: string;
  /** The page size the job was created with, used when getQueryResults does not say. */
  defaultMaxResults?: number;
}

/** Finished jobs kept (oldest dropped first): bounded, like BigQuery's temp tables. */
export const MAX_KEPT_JOBS = 200;

export interface JobFilter {
  /** BigQuery's stateFilter (`done`, `pending`, `running`): local jobs are all done when listed. */
  states?: string[];
  minCreationTime?: number;
  maxCreationTime?: number;
  /** List only jobs created before this one (the page cursor). */
  beforeSeq?: number;
}

export class JobStore {
  private readonly jobs = new Map<string, JobInfo>();
  private lastSeq = 0;

  nextSeq(): number {
    this.lastSeq += 1;
    return this.lastSeq;
  }

  has(id: string): boolean {
    return this.jobs.has(id);
  }

  get(id: string): JobInfo | undefined {
    return this.jobs.get(id);
  }

  /** Keeps a finished job; returns the result tables of the jobs that no longer fit, to drop. */
  add(job: JobInfo): string[] {
    this.jobs.set(job.id, job);
    const dropped: string[] = [];
    for (const [id, old] of this.jobs) {
      if (this.jobs.size <= MAX_KEPT_JOBS) break;
      this.jobs.delete(id);
      if (old.resultTable) dropped.push(old.resultTable);
    }
    return dropped;
  }

  /** A project's jobs, newest first (jobs.list). */
  list(projectId: string, filter: JobFilter = {}): JobInfo[] {
    const states = filter.states?.map((s) => s.toLowerCase());
    return [...this.jobs.values()]
      .filter(
        (j) =>
          j.projectId === projectId &&
          (states === undefined || states.length === 0 || states.includes('done')) &&
          (filter.minCreationTime === undefined || j.creationTime >= filter.minCreationTime) &&
          (filter.maxCreationTime === undefined || j.creationTime <= filter.maxCreationTime) &&
          (filter.beforeSeq === undefined || j.seq < filter.beforeSeq),
      )
      .reverse();
  }
}
