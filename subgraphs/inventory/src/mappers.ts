import type { StockItem } from "./generated/prisma/client.ts";

/** A product as inventory sees it: its id, and its stock record when inventory has one. */
export type ProductMapper = { id: string; stockItem: StockItem | null };
export type StockLevelMapper = StockItem;
