/** Money travels in integer minor units (1999 = $19.99); these turn it into text and back. */

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string): Intl.NumberFormat {
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat("en-US", { style: "currency", currency });
    formatters.set(currency, formatter);
  }
  return formatter;
}

/** 1999 USD -> "$19.99" (minor units by the currency's own digits: JPY has none). */
export function formatMoney({ amount, currency }: { amount: number; currency: string }): string {
  const formatter = formatterFor(currency);
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  return formatter.format(amount / 10 ** digits);
}

/** "19.99" -> 1999 for USD; undefined for text that is not an amount. */
export function parseAmount(text: string, currency: string): number | undefined {
  const digits = formatterFor(currency).resolvedOptions().maximumFractionDigits ?? 2;
  const pattern = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`);
  const trimmed = text.trim();
  if (!pattern.test(trimmed)) return undefined;
  const [whole = "0", fraction = ""] = trimmed.split(".");
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
}
