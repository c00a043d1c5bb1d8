/**
 * One instance of a service's consumer in a process of its own, for the
 * competing-consumer tests: `node --import tsx consumerProcess.ts <nats url>
 * <namespace> <consumer name> <log file> <ack wait ms>`.
 *
 * Each handled event becomes a line `<pid> <aggregate id> <sequence>` in the
 * log file, appended synchronously before the handler returns (so before the
 * ack, and before the partition's next event can reach any instance): the
 * file is the order events were handled in. An event whose customerId starts
 * with `ffffffff` (the "stuck" one) is logged as `<pid> stuck` and never finished on
 * its first delivery, as if the handler hung until the process was killed.
 */
import { appendFileSync } from "node:fs";
import { silentLogger } from "@store/kit";
import { createNatsBus } from "../src/index.ts";

const [url, namespace, name, log, ackWaitMs] = process.argv.slice(2) as [string, string, string, string, string];
const bus = await createNatsBus({ url, name: `consumer-${process.pid}`, logger: silentLogger, namespace, ackWaitMs: Number(ackWaitMs), delay: () => 50 });
await bus.consume({
  name,
  types: ["ShipmentDelivered"],
  handler: async (event, delivery) => {
    const { orderId, shipmentId, customerId } = event.payload as { orderId: string; shipmentId: string; customerId: string };
    if (customerId.startsWith("ffffffff") && delivery.attempt === 1) {
      appendFileSync(log, `${process.pid} stuck\n`);
      await new Promise(() => {});
    }
    appendFileSync(log, `${process.pid} ${orderId} ${Number.parseInt(shipmentId.slice(-12), 16)}\n`);
  },
});
process.stdout.write("ready\n");
process.on("SIGTERM", () => void bus.close().then(() => process.exit(0)));
