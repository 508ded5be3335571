/**
 * Row by row, by primary key, a live table against its rebuilt twin: the rows only one side has
 * and the rows whose columns differ, counted in the database and the first few fetched.
 */
import type { Knex } from 'knex';

export interface RowDifference {
  readonly table: string;
  /** The row's primary key. */
  readonly key: Record<string, unknown>;
  readonly kind: 'changed' | 'only_live' | 'only_rebuilt';
  /** For `changed`: each differing column, live and rebuilt. */
  readonly columns: readonly { column: string; live: unknown; rebuilt: unknown }[];
}

export interface TableComparison {
  readonly table: string;
  readonly differences: number;
  readonly first: readonly RowDifference[];
}

async function primaryKeyOf(trx: Knex.Transaction, schema: string, table: string): Promise<string[]> {
  const { rows } = (await trx.raw(
    `select a.attname as column
     from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = to_regclass(format('%I.%I', ?::text, ?::text)) and i.indisprimary
     order by array_position(i.indkey, a.attnum)`,
    [schema, table],
  )) as { rows: { column: string }[] };
  if (rows.length === 0) throw new Error(`table ${schema}.${table} has no primary key to compare rows by`);
  return rows.map(({ column }) => column);
}

/** How many of a table's differences are described. */
const FIRST_DIFFERENCES = 5;

export async function compareTable(
  trx: Knex.Transaction,
  liveSchema: string,
  shadowSchema: string,
  table: string,
): Promise<TableComparison> {
  const key = await primaryKeyOf(trx, liveSchema, table);
  const on = key.map(() => 'l.?? = s.??').join(' and ');
  const onBindings = key.flatMap((column) => [column, column]);
  const from = `from ??.?? l full join ??.?? s on ${on}
    where l.?? is null or s.?? is null or to_jsonb(l) <> to_jsonb(s)`;
  const bindings = [liveSchema, table, shadowSchema, table, ...onBindings, key[0]!, key[0]!];
  const counted = (await trx.raw(`select count(*)::int as n ${from}`, bindings)) as { rows: { n: number }[] };
  const differences = counted.rows[0]?.n ?? 0;
  if (differences === 0) return { table, differences, first: [] };
  const order = key.map(() => 'coalesce(l.??, s.??)').join(', ');
  const sample = (await trx.raw(
    `select case when l.?? is null then null else to_jsonb(l) end as live, case when s.?? is null then null else to_jsonb(s) end as rebuilt ${from} order by ${order} limit ${FIRST_DIFFERENCES}`,
    [key[0]!, key[0]!, ...bindings, ...key.flatMap((column) => [column, column])],
  )) as { rows: { live: Record<string, unknown> | null; rebuilt: Record<string, unknown> | null }[] };
  const first = sample.rows.map(({ live, rebuilt }): RowDifference => {
    const either = (live ?? rebuilt)!;
    const keyOf = Object.fromEntries(key.map((column) => [column, either[column]]));
    if (!live) return { table, key: keyOf, kind: 'only_rebuilt', columns: [] };
    if (!rebuilt) return { table, key: keyOf, kind: 'only_live', columns: [] };
    const columns = Object.keys(live)
      .filter((column) => JSON.stringify(live[column]) !== JSON.stringify(rebuilt[column]))
      .map((column) => ({ column, live: live[column], rebuilt: rebuilt[column] }));
    return { table, key: keyOf, kind: 'changed', columns };
  });
  return { table, differences, first };
}

export function describeDifference({ table, key, kind, columns }: RowDifference): string {
  const row = `${table} ${Object.entries(key)
    .map(([column, value]) => `${column}=${String(value)}`)
    .join(' ')}`;
  if (kind === 'only_live') return `${row}: only in the live table`;
  if (kind === 'only_rebuilt') return `${row}: missing from the live table`;
  const shown = (value: unknown) => {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  };
  return `${row}: ${columns.map(({ column, live, rebuilt }) => `${column} live ${shown(live)}, rebuilt ${shown(rebuilt)}`).join('; ')}`;
}
