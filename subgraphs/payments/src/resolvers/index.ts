import type { Resolvers } from "../generated/graphql.ts";
import { Mutation } from "./Mutation.ts";
import { Order } from "./Order.ts";
import { Payment } from "./Payment.ts";
import { Query } from "./Query.ts";
import { Refund } from "./Refund.ts";

export const resolvers: Resolvers = { Query, Mutation, Payment, Refund, Order };
