import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@store/kit";
import { eventually } from "@store/testing";

/** The machine's shared NATS (never stopped by a test). */
export const SHARED_NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";
const NATS_SERVER = process.env.NATS_SERVER_BIN ?? "/usr/sbin/nats-server";
export const hasNatsServer = existsSync(NATS_SERVER);

/** Whether something accepts connections on the loopback port right now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const answer = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once("connect", () => answer(true));
    socket.once("error", () => answer(false));
  });
}

const portComes = (port: number, up: boolean) => eventually(async () => (await accepts(port)) === up, { what: `port ${port} to come ${up ? "up" : "down"}` });

/**
 * A private nats-server with JetStream on a free loopback port, for tests that
 * take the broker away. Its store survives stop()/start(), as a real broker's
 * disk does; dispose() kills it and deletes the store.
 */
export async function startPrivateNats() {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), "nats-test-"));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store], { stdio: "ignore" });
    await portComes(port, true);
  };
  const stop = async () => {
    if (!child) return;
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    child = undefined;
    await portComes(port, false);
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(store, { recursive: true, force: true });
    },
  };
}
