import type { BigQuery } from '@google-cloud/bigquery';
import { DATASETS, TICKET_CLASSIFICATIONS_TABLE } from '../contracts/topology.js';
import type { TicketClassificationRow } from '../domain/ticket-classification.js';
import { UpstreamError } from '../ports/errors.js';
import type { TicketStorePort, TicketView } from '../ports/index.js';

/**
 * The ticket signal in BigQuery (docs/tickets.md): classifications streamed into
 * billing_tickets.ticket_classifications (insertId = run, version and key, so a retried insert of one
 * run's rows lands once), and the digest's views in billing_observability read by version and week.
 */
export class BigQueryTicketStore implements TicketStorePort {
  constructor(readonly bq: BigQuery) {}

  async insertClassifications(rows: readonly TicketClassificationRow[]): Promise<void> {
    const table = this.bq.dataset(DATASETS.tickets).table(TICKET_CLASSIFICATIONS_TABLE);
    // Streaming inserts take at most 50,000 rows or 10 MB a request; a week is about 55 tickets.
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      try {
        await table.insert(
          chunk.map((r) => ({ insertId: `${r.run_id}:${r.taxonomy_version}:${r.key}`, json: r })),
          { raw: true },
        );
      } catch (error) {
        throw new UpstreamError(
          `BigQuery insert into ${TICKET_CLASSIFICATIONS_TABLE} failed: ${(error as Error).message}`,
          'bigquery',
          true,
          null,
          { cause: error },
        );
      }
    }
  }

  async readView<T>(
    view: TicketView,
    filter: { taxonomyVersion: string; fromWeek: string; toWeek: string },
  ): Promise<T[]> {
    // The view name is one of a closed set (TicketView), never caller text.
    const sql = `SELECT * FROM ${DATASETS.observability}.${view}
      WHERE taxonomy_version = @v AND week BETWEEN DATE(@from) AND DATE(@to) ORDER BY week`;
    try {
      const [rows] = await this.bq.query({
        query: sql,
        // Dates as strings, turned into DATEs in SQL: the same on BigQuery and the local one.
        params: { v: filter.taxonomyVersion, from: filter.fromWeek, to: filter.toWeek },
      });
      return rows as T[];
    } catch (error) {
      const status = (error as { code?: number }).code ?? null;
      throw new UpstreamError(
        `BigQuery read of ${view} failed: ${(error as Error).message}`,
        'bigquery',
        status === null || status === 429 || status >= 500,
        status,
        { cause: error },
      );
    }
  }
}
