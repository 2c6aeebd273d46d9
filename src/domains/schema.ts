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
}

/** Upserts domain → provider id pairs into the default table in one statement. */
export async function importDomains(client: ClientBase, pairs: readonly { domain: string; providerId: string }[]): Promise<ImportCounts> {
  // xmax = 0 tells a freshly inserted row from an updated one; unchanged rows are not returned.
  const result = await client.query<{ inserted: boolean }>(
    `INSERT INTO ${DOMAIN_TABLE} (domain, provider_id)
       SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (domain) DO UPDATE SET provider_id = EXCLUDED.provider_id
       WHERE ${DOMAIN_TABLE}.provider_id IS DISTINCT FROM EXCLUDED.provider_id
     RETURNING (xmax = 0) AS inserted`,
    [pairs.map((pair) => pair.domain), pairs.map((pair) => pair.providerId)],
  );
  const inserted = result.rows.filter((row) => row.inserted).length;
  const updated = result.rows.length - inserted;
  return { inserted, updated, unchanged: pairs.length - inserted - updated };
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
