import type { Resolvers } from "../generated/graphql.ts";
import { Mutation } from "./Mutation.ts";
import { Product } from "./Product.ts";
import { Query } from "./Query.ts";
import { StockLevel } from "./StockLevel.ts";
import { Subscription } from "./Subscription.ts";

export const resolvers: Resolvers = { Query, Mutation, Subscription, Product, StockLevel };
