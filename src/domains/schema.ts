/**
 * The default domain table, its change notifications, and the admin operations on it
 * (`db init`, `db import`, `db check`). Table and channel names are fixed: operators who
 * keep their own schema point `database.domainQuery` at it instead.
 */
import type { ClientBase } from 'pg';

export const DOMAIN_TABLE = 'mail_autoconfig_domains';
/** The channel the trigger NOTIFYs; the payload is the changed domain, or `*` for all (TRUNCATE). */
export const DOMAIN_CHANNEL = 'mail_autoconfig_domains';
export const ALL_DOMAINS_CHANGED = '*';

export const DEFAULT_DOMAIN_QUERY = `SELECT provider_id FROM ${DOMAIN_TABLE} WHERE domain = $1`;

/** Idempotent: safe to run on every deployment. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS ${DOMAIN_TABLE} (
  domain text PRIMARY KEY CHECK (domain <> '' AND domain = lower(domain)),
  provider_id text NOT NULL
);

CREATE OR REPLACE FUNCTION ${DOMAIN_TABLE}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('${DOMAIN_CHANNEL}', '${ALL_DOMAINS_CHANGED}');
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify('${DOMAIN_CHANNEL}', OLD.domain);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.domain IS DISTINCT FROM OLD.domain) THEN
    PERFORM pg_notify('${DOMAIN_CHANNEL}', NEW.domain);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER ${DOMAIN_TABLE}_changed
  AFTER INSERT OR UPDATE OR DELETE ON ${DOMAIN_TABLE}
  FOR EACH ROW EXECUTE FUNCTION ${DOMAIN_TABLE}_notify();

CREATE OR REPLACE TRIGGER ${DOMAIN_TABLE}_truncated
  AFTER TRUNCATE ON ${DOMAIN_TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION ${DOMAIN_TABLE}_notify();
`;

export async function initSchema(client: ClientBase): Promise<void> {
  await client.query(SCHEMA_SQL);
}

export interface ImportCounts {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Rows the files no longer name, deleted (only when pruning). */
  readonly removed: readonly { readonly domain: string; readonly providerId: string }[];
}

export interface ImportOptions {
  /** Also delete the rows whose domain no pair names, so the table ends up equal to the pairs. */
  readonly prune?: boolean;
  /** Do all of it and report the counts, then roll back: nothing changes and nothing is notified. */
  readonly dryRun?: boolean;
}

/**
 * Upserts domain → provider id pairs into the default table, and with `prune` deletes the
 * rows no pair names, in one transaction: a server never sees the table half imported.
 */
export async function importDomains(client: ClientBase, pairs: readonly { domain: string; providerId: string }[], options: ImportOptions = {}): Promise<ImportCounts> {
  const domains = pairs.map((pair) => pair.domain);
  await client.query('BEGIN');
  try {
    // xmax = 0 tells a freshly inserted row from an updated one; unchanged rows are not returned.
    const upserted = await client.query<{ inserted: boolean }>(
      `INSERT INTO ${DOMAIN_TABLE} (domain, provider_id)
         SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (domain) DO UPDATE SET provider_id = EXCLUDED.provider_id
         WHERE ${DOMAIN_TABLE}.provider_id IS DISTINCT FROM EXCLUDED.provider_id
       RETURNING (xmax = 0) AS inserted`,
      [domains, pairs.map((pair) => pair.providerId)],
    );
    const removed = options.prune
      ? (
          await client.query<{ domain: string; provider_id: string }>(
            `DELETE FROM ${DOMAIN_TABLE} WHERE NOT (domain = ANY($1::text[])) RETURNING domain, provider_id`,
            [domains],
          )
        ).rows
          .map((row) => ({ domain: row.domain, providerId: row.provider_id }))
          .sort((a, b) => a.domain.localeCompare(b.domain))
      : [];
    await client.query(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    const inserted = upserted.rows.filter((row) => row.inserted).length;
    const updated = upserted.rows.length - inserted;
    return { inserted, updated, unchanged: pairs.length - inserted - updated, removed };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Provider ids in the default table with how many domains use each. */
export async function providerIdsInTable(client: ClientBase): Promise<Map<string, number>> {
  const result = await client.query<{ provider_id: string; domains: string }>(
    `SELECT provider_id, count(*) AS domains FROM ${DOMAIN_TABLE} GROUP BY provider_id ORDER BY provider_id`,
  );
  return new Map(result.rows.map((row) => [row.provider_id, Number(row.domains)]));
}

/** Runs the domain query once with `domain`: what it answers, or the database's error. */
export async function tryDomainQuery(client: ClientBase, query: string, domain: string): Promise<{ providerId: string | undefined; columns: number }> {
  const result = await client.query({ text: query, values: [domain], rowMode: 'array' });
  const value: unknown = (result.rows[0] as unknown[] | undefined)?.[0];
  return { providerId: value === null || value === undefined ? undefined : String(value), columns: result.fields.length };
}
