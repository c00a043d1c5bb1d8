/** Types of databaseWorker.mjs (plain JavaScript: the launcher runs it before any TypeScript loader). */
import type { Worker } from "node:worker_threads";

export interface WorkerMessage {
  port?: number;
  opened?: boolean;
  openMs?: number;
  error?: string;
  closed?: boolean;
  done?: boolean;
}

export interface DatabaseWorker {
  worker: Worker;
  /** Calls the listener with every message so far, then with each new one. */
  onMessage(listener: (message: WorkerMessage) => void): void;
}

export declare function startDatabaseWorker(workerData: object): DatabaseWorker;
export declare function embeddedClusterDir(dataDir: string): string;
export declare function startEarly(dataDir: string): void;
export declare function takeEarly(dataDir: string): DatabaseWorker | undefined;
