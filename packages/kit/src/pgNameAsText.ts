/**
 * `@prisma/adapter-pg` 6.19 (the adapter of the Prisma major we run; Prisma 7's
 * CLI needs a native schema engine that cannot be downloaded here) maps a
 * column's type from its OID and knows no `name` (OID 19): `prisma migrate
 * deploy` fails on its first catalogue query ("Column type 'name' could not
 * be deserialized"), and so would `$queryRaw` of `current_user`. A `name`
 * value arrives from pg as a plain string already, so this client reports
 * those columns as `text` (OID 25) and changes nothing else. A pg type parser
 * cannot do it: the adapter reads `dataTypeID` before any parser runs.
 */
import pg from "pg";

const NAME_OID = 19;
const TEXT_OID = 25;

type QueryCallback = (error: Error | null, result: unknown) => void;

function relabelNameColumns(result: unknown): void {
  if (Array.isArray(result)) {
    for (const part of result) relabelNameColumns(part);
    return;
  }
  const fields = (result as { fields?: { dataTypeID: number }[] } | undefined)?.fields;
  if (!fields) return;
  for (const field of fields) if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
}

function relabelling(callback: QueryCallback): QueryCallback {
  return (error, result) => {
    relabelNameColumns(result);
    callback(error, result);
  };
}

/** A `pg.Client` whose results report `name` columns as `text`; given to PrismaPg as `Client`. */
export class NameAsTextClient extends pg.Client {
  // pg's query() has a dozen overloads (promise, callback, config.callback, Submittable);
  // each path below keeps what the caller passed and only relabels the result.
  override query(...args: unknown[]): any {
    const query = super.query as (...a: unknown[]) => unknown;
    const last = args.length - 1;
    if (typeof args[last] === "function") {
      args[last] = relabelling(args[last] as QueryCallback);
      return query.apply(this, args);
    }
    const config = args[0] as { callback?: QueryCallback } | null | undefined;
    if (config && typeof config === "object" && typeof config.callback === "function") {
      config.callback = relabelling(config.callback);
      return query.apply(this, args);
    }
    const returned = query.apply(this, args);
    return returned instanceof Promise
      ? returned.then((result) => {
          relabelNameColumns(result);
          return result;
        })
      : returned;
  }
}
