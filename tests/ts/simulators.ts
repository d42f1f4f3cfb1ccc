// Starts our vendor simulators (python -m sellerkit.testing) and the Python client helper for the TypeScript
// flows. Loopback only; every wait is bounded so a broken flow fails instead of hanging.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

export const ROOT = resolve(import.meta.dirname, "..", "..");
const PYTHON = process.env["SELLERKIT_PYTHON"] ?? join(ROOT, ".venv", "bin", "python");
const START_TIMEOUT_MS = 30_000;

export interface Simulator {
  baseUrl: string;
  /** values of the simulator's printed "name: value" lines (test-only credentials) */
  fields: Record<string, string>;
  stop(): Promise<void>;
}

/** `python -m sellerkit.testing VENDOR --port 0 ...`, resolved once it prints its base URL and "Serving". */
export function startSimulator(vendor: string, args: string[] = []): Promise<Simulator> {
  const child: ChildProcess = spawn(PYTHON, ["-m", "sellerkit.testing", vendor, "--host", "127.0.0.1", "--port", "0", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null) return done();
      child.once("exit", () => done());
      child.kill("SIGINT");
    });
  return new Promise((ok, fail) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      void stop();
      fail(new Error(`${vendor} simulator did not start within ${START_TIMEOUT_MS} ms: ${err.slice(-2000)}`));
    }, START_TIMEOUT_MS);
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${vendor} simulator exited ${code}: ${err.slice(-2000)}`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes("Serving;")) return;
      clearTimeout(timer);
      const baseUrl = /simulator: (http:\/\/\S+)/.exec(out)?.[1];
      if (baseUrl === undefined || new URL(baseUrl).hostname !== "127.0.0.1") {
        void stop();
        return fail(new Error(`${vendor} simulator printed no loopback base URL`));
      }
      const fields: Record<string, string> = {};
      for (const m of out.matchAll(/^\s+([\w-]+):\s+(\S+)\s*$/gm)) fields[m[1] as string] = m[2] as string;
      ok({ baseUrl, fields, stop });
    });
  });
}

export function field(sim: Simulator, name: string): string {
  const value = sim.fields[name];
  if (value === undefined) throw new Error(`the simulator printed no "${name}:" line`);
  return value;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface PythonDownload {
  reference: string;
  sha256: string;
  size: number;
}

/** The same file downloaded by the Python client (tests/publish/pyclient.py); credentials via env only. */
export async function pythonDownload(what: string, args: string[], env: Record<string, string>): Promise<PythonDownload> {
  const dest = mkdtempSync(join(tmpdir(), "sellerkit-py-"));
  const { stdout } = await promisify(execFile)(PYTHON, ["-m", "tests.publish.pyclient", what, ...args, "--dest", dest], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    timeout: 90_000,
  });
  return JSON.parse(stdout) as PythonDownload;
}

/** Polls `fetch` until `done` says so, at most `attempts` times `intervalMs` apart. */
export async function pollUntil<T>(fetch: () => Promise<T>, done: (value: T) => boolean, attempts = 300, intervalMs = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await fetch();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`not done after ${attempts} polls`);
}
