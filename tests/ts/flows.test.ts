// Each vendor's documented flow through the generated TypeScript client (dist/typescript/), against our
// simulators over real HTTP on 127.0.0.1. Run by `make ts-test` (part of `make test`) after `make publish`;
// `tsc -p tests/ts` type-checks this file against the generated types first, so a spec change that breaks
// the types fails too.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { createSellercloudClient, FileFormat, QueuedJobStatus } from "../../dist/typescript/sellercloud/client.ts";
import { createSellerscommerceClient, OrderStatusId, ResponseCode } from "../../dist/typescript/sellerscommerce/client.ts";
import { createSelsupClient, FILE_OPERATIONS } from "../../dist/typescript/selsup/client.ts";
import { createWabi2bClient, fetchBytes } from "../../dist/typescript/wabi2b/client.ts";
import { attachmentFilename } from "../../dist/typescript/selsup/client.ts";
import { field, pollUntil, pythonDownload, sha256, startSimulator, type Simulator } from "./simulators.ts";

const FLOW_TIMEOUT_MS = 120_000;
// simulated seconds per real second: jobs of a few simulated seconds finish in well under one real second
const SCALE = ["--scale", "20"];

describe("Wabi2b: submit, poll, download", { timeout: FLOW_TIMEOUT_MS }, () => {
  let sim: Simulator;
  before(async () => (sim = await startSimulator("wabi2b", SCALE)));
  after(async () => sim.stop());

  it("gets a JSON file with one product per GTIN", async () => {
    const client = createWabi2bClient({
      baseUrl: sim.baseUrl,
      auth: { jwtAuth: () => field(sim, "Authorization"), apiKey: field(sim, "x-api-key") },
    });
    const gtins = ["00025000040295", "00025000040301", "00025000040318"];
    const submitted = await client.POST("/listProductsBulkDownload", {
      params: { header: { Format: "json" } },
      body: { gtins },
    });
    assert.equal(submitted.response.status, 200);
    const callBackCode = submitted.data?.callBackCode;
    assert.ok(callBackCode, "no callBackCode");
    const status = await pollUntil(
      async () => (await client.GET("/listProductsBulkDownload", { params: { query: { callBackCode } } })).data,
      (s) => s?.status === "Complete",
    );
    assert.equal(status?.format, "json");
    assert.ok(status?.path, "a complete download has a path");
    const rows = JSON.parse(new TextDecoder().decode(await fetchBytes(status.path))) as Array<{ product: string }>;
    assert.deepEqual(rows.map((r) => r.product).sort(), [...gtins].sort());
  });

  it("sends no credentials when none are given (the simulator refuses)", async () => {
    const client = createWabi2bClient({ baseUrl: sim.baseUrl });
    const r = await client.POST("/listProductsBulkDownload", { params: { header: { Format: "csv" } }, body: { gtins: ["00025000040295"] } });
    assert.ok(r.response.status === 401 || r.response.status === 403, `status ${r.response.status}`);
  });
});

describe("Sellercloud: token, plugin export, job, output file", { timeout: FLOW_TIMEOUT_MS }, () => {
  let sim: Simulator;
  before(async () => (sim = await startSimulator("sellercloud", SCALE)));
  after(async () => sim.stop());

  it("exports an Excel file whose bytes match the Python client's download", async () => {
    const anonymous = createSellercloudClient({ baseUrl: sim.baseUrl });
    const token = await anonymous.POST("/api/token", {
      body: { Username: field(sim, "username"), Password: field(sim, "password") },
    });
    assert.equal(token.response.status, 200);
    const accessToken = token.data?.access_token;
    assert.ok(accessToken);
    const client = createSellercloudClient({ baseUrl: sim.baseUrl, auth: { bearerAuth: accessToken } });
    const plugins = (await client.GET("/api/Catalog/Exports/ViaPlugin/Metadata")).data?.Plugins ?? [];
    const plugin = plugins[0]?.Key;
    assert.ok(plugin, "no export plugin");
    const queued = await client.POST("/api/Catalog/Exports/ViaPlugin", {
      body: { ProductIds: ["SKU-1", "SKU-2"], PluginProfileKey: plugin, FileFormat: FileFormat.EXCEL },
    });
    assert.equal(queued.response.status, 200);
    const link = typeof queued.data === "string" ? queued.data : queued.data?.QueuedJobLink;
    const id = Number(new URL(link ?? "", sim.baseUrl).searchParams.get("id"));
    assert.ok(Number.isInteger(id) && id > 0, `job id from ${link}`);
    const final = new Set<number>([QueuedJobStatus.COMPLETED, QueuedJobStatus.FAILED, QueuedJobStatus.PARTIAL_SUCCESS,
      QueuedJobStatus.CANCELLED, QueuedJobStatus.CANCELLED_SERVICE_RESTARTED, QueuedJobStatus.ABORTED_TOO_MUCH_TIME_CONSUMED,
      QueuedJobStatus.CANCELLED_WHILE_RUNNING]);
    const job = await pollUntil(
      async () => (await client.GET("/api/QueuedJobs/{id}", { params: { path: { id } } })).data,
      (j) => j !== undefined && final.has(j.Basic.Status),
    );
    assert.equal(job?.Basic.Status, QueuedJobStatus.COMPLETED);
    const output = await client.GET("/api/QueuedJobs/OutputFile", { params: { query: { id } } });
    assert.equal(output.response.status, 200);
    const base64 = typeof output.data === "string" ? output.data : output.data?.Content;
    assert.ok(base64, "no file content");
    const bytes = Buffer.from(base64, "base64");
    assert.equal(bytes.subarray(0, 2).toString(), "PK", "an .xlsx is a zip");
    const python = await pythonDownload("sellercloud-job", [String(id), "--base-url", sim.baseUrl], {
      SELLERCLOUD_USERNAME: field(sim, "username"),
      SELLERCLOUD_PASSWORD: field(sim, "password"),
    });
    assert.equal(sha256(bytes), python.sha256);
    assert.equal(bytes.length, python.size);
  });
});

describe("SelSup: task export, findTask, file; one direct file export", { timeout: FLOW_TIMEOUT_MS }, () => {
  let sim: Simulator;
  before(async () => (sim = await startSimulator("selsup", SCALE)));
  after(async () => sim.stop());
  const client = () => createSelsupClient({ baseUrl: sim.baseUrl, auth: { apiKey: field(sim, "Authorization") } });
  const env = () => ({ SELSUP_API_KEY: field(sim, "Authorization") });

  it("runs the stocks-file task and downloads its file, bytes as the Python client's", async () => {
    const started = await client().POST("/api/export/stocksFile", { params: { query: { warehouseId: 1 } } });
    assert.equal(started.response.status, 200);
    const taskId = started.data?.id;
    assert.ok(taskId !== undefined);
    const page = await pollUntil(
      async () => (await client().GET("/api/task/findTask", { params: { query: { id: taskId } } })).data,
      (p) => ["FINISHED", "ERROR", "EXCEPTION", "INTERRUPTED", "STOPPED"].includes(p?.rows?.[0]?.status ?? ""),
    );
    const task = page?.rows?.[0];
    assert.equal(task?.status, "FINISHED");
    assert.ok(task?.file, "a finished stocks task has a file");
    const file = await client().GET("/api/files/file", { params: { query: { path: task.file } }, parseAs: "arrayBuffer" });
    assert.equal(file.response.status, 200);
    assert.ok(file.data instanceof ArrayBuffer);
    const bytes = new Uint8Array(file.data);
    const python = await pythonDownload("selsup-task", [String(taskId), "--base-url", sim.baseUrl], env());
    assert.equal(sha256(bytes), python.sha256);
  });

  it("downloads the customers file directly, bytes as the Python client's", async () => {
    assert.ok(FILE_OPERATIONS.includes("GET /api/export/customersFile"));
    const file = await client().GET("/api/export/customersFile", { parseAs: "arrayBuffer" });
    assert.equal(file.response.status, 200);
    assert.ok(file.data instanceof ArrayBuffer);
    assert.match(attachmentFilename(file.response) ?? "", /\.xlsx$/);
    const bytes = new Uint8Array(file.data);
    const python = await pythonDownload("selsup-file", ["--base-url", sim.baseUrl], env());
    assert.equal(sha256(bytes), python.sha256);
    assert.ok(bytes.length > 0);
  });
});

describe("Sellers Commerce: password grant, OData orders, a write, an error code, a rotating refresh", { timeout: FLOW_TIMEOUT_MS }, () => {
  // test-only credentials for the simulator (its command line takes them; the default is random)
  const ACCESS_KEY = "ak-ts-flow";
  const SHARED_SECRET = "ts-flow-secret";
  let sim: Simulator;
  before(async () => (sim = await startSimulator("sellerscommerce", ["--access-key", ACCESS_KEY, "--shared-secret", SHARED_SECRET, ...SCALE])));
  after(async () => sim.stop());
  const form = { "Content-Type": "application/x-www-form-urlencoded" }; // openapi-fetch then sends URLSearchParams

  it("lists placed orders newest first, updates one, reads code 24, and rotates the refresh token", async () => {
    const anonymous = createSellerscommerceClient({ baseUrl: sim.baseUrl });
    const granted = await anonymous.POST("/token", {
      body: { grant_type: "password", username: ACCESS_KEY, password: SHARED_SECRET },
      headers: form,
    });
    assert.equal(granted.response.status, 200);
    assert.equal(granted.data?.token_type, "bearer");
    assert.equal(granted.data?.expires_in, 3599);
    let access = granted.data?.access_token ?? "";
    const client = createSellerscommerceClient({ baseUrl: sim.baseUrl, auth: { oauth2: () => access } });

    const page = await client.GET("/api/order/getall", {
      params: { query: { $filter: `OrderStatusId eq ${OrderStatusId.PLACED}`, $orderby: "OrderNumber desc", $top: 3 } },
    });
    assert.equal(page.response.status, 200);
    assert.equal(page.data?.StatusCode, ResponseCode.PROCESSED);
    const orders = page.data?.Results ?? [];
    assert.ok(orders.length > 0 && orders.length <= 3);
    assert.ok(orders.every((o) => o.OrderStatusId === OrderStatusId.PLACED));
    const numbers = orders.map((o) => o.OrderNumber ?? "");
    assert.deepEqual(numbers, [...numbers].sort().reverse());

    const number = numbers[0] as string;
    const updated = await client.POST("/api/order/updateorderstatus", {
      body: { OrderNumber: number, OrderStatusId: OrderStatusId.PROCESSING_ORDER },
    });
    assert.equal(updated.data?.Results, "Processed");
    const order = await client.GET("/api/order/get/{ordernumber}", { params: { path: { ordernumber: number } } });
    assert.equal(order.data?.Results?.OrderStatusId, OrderStatusId.PROCESSING_ORDER);

    const missing = await client.GET("/api/order/get/{ordernumber}", { params: { path: { ordernumber: "no-such-order" } } });
    assert.equal(missing.response.status, 404);
    const envelope = missing.error;
    assert.ok(envelope !== undefined && "StatusCode" in envelope, "a 404 answers the error envelope");
    assert.equal(envelope.StatusCode, ResponseCode.ORDER_NOT_EXIST);
    assert.equal(envelope.Results, "OrderNotExist");

    const first = granted.data?.refresh_token ?? "";
    const renewed = await anonymous.POST("/token", { body: { grant_type: "refresh_token", refresh_token: first }, headers: form });
    assert.equal(renewed.response.status, 200);
    assert.notEqual(renewed.data?.refresh_token, first, "each refresh answers a new refresh token");
    access = renewed.data?.access_token ?? "";
    assert.equal((await client.GET("/api/category/getallbrands")).response.status, 200);
    const reused = await anonymous.POST("/token", { body: { grant_type: "refresh_token", refresh_token: first }, headers: form });
    assert.equal(reused.response.status, 400);
    const oauth = reused.error;
    assert.ok(oauth !== undefined && "error" in oauth, "a refused grant answers an OAuth error");
    assert.equal(oauth.error, "invalid_grant");
  });
});
