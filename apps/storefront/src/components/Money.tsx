import { formatMoney } from "../money.ts";

export function Money({ value }: { value: { amount: number; currency: string } }) {
  return <span className="money">{formatMoney(value)}</span>;
}
