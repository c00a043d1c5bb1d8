/**
 * The subgraphs' names, in port order (4001..4007), without loading them:
 * `npm start` opens their databases before it imports the services.
 * services.ts checks this list against the services themselves.
 */
export const serviceNames = ["accounts", "catalog", "inventory", "cart", "orders", "payments", "shipping"] as const;
