/**
 * urql's document cache refetches a query after a mutation that returns a
 * type the query's last answer contained. An empty answer (no cart yet, no
 * orders, no address) contains none: these name the types such a query
 * depends on anyway. Module constants, so that a render does not make a new
 * context (and a new request) each time.
 */
export const DEPENDS_ON_CART = { additionalTypenames: ["Cart", "CartLine"] };
export const DEPENDS_ON_ORDERS = { additionalTypenames: ["Order"] };
export const DEPENDS_ON_ADDRESSES = { additionalTypenames: ["Address"] };
export const DEPENDS_ON_SHIPMENTS = { additionalTypenames: ["Shipment"] };
