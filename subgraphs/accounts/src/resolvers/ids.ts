import { fields } from "@store/kit";

const uuid = fields.id();

/**
 * For ids the caller did not type (identity, entity representations): a
 * malformed one simply matches nothing, instead of reaching PostgreSQL's uuid cast.
 */
export const isUuid = (value: string): boolean => uuid.safeParse(value).success;
