import type { Resolvers } from "../generated/graphql.ts";
import { Category } from "./Category.ts";
import { Mutation } from "./Mutation.ts";
import { Product } from "./Product.ts";
import { Query } from "./Query.ts";

export const resolvers: Resolvers = { Query, Mutation, Product, Category };
