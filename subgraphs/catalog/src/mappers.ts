import type { Category, Product } from "./generated/prisma/client.ts";
import type { Connection } from "@store/kit";

export type ProductMapper = Product;
export type CategoryMapper = Category;
export type ProductConnectionMapper = Connection<Product>;
export type ProductEdgeMapper = { cursor: string; node: Product };
