// sdk-check.mjs runs the official @pipedream/sdk (pinned in package-lock.json)
// against a pdemu emulator. ../sdk_test.go starts the emulator, adds the
// external users user-01..user-NN (NN = PDEMU_SDK_USERS, default 25) to the
// seeded project in "development", and runs this script with the
// PIPEDREAM_* variables the SDK reads:
//
//   PIPEDREAM_BASE_URL, PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET,
//   PIPEDREAM_PROJECT_ID, PIPEDREAM_PROJECT_ENVIRONMENT
//
// It prints one line per step and exits non-zero at the first failure.
// By hand: `pdemu serve --freeze-clock`, paste its export lines, add the
// users through the control plane, then `node sdk-check.mjs`.

import { PipedreamClient, PipedreamError } from "@pipedream/sdk";

const env = process.env;
for (const name of [
  "PIPEDREAM_BASE_URL",
  "PIPEDREAM_CLIENT_ID",
  "PIPEDREAM_CLIENT_SECRET",
  "PIPEDREAM_PROJECT_ID",
]) {
  if (!env[name]) {
    console.error(`sdk-check: ${name} is not set`);
    process.exit(2);
  }
}
const baseUrl = env.PIPEDREAM_BASE_URL.replace(/\/+$/, "");
const projectId = env.PIPEDREAM_PROJECT_ID;
const userCount = Number(env.PDEMU_SDK_USERS ?? "25");
const suffix = Math.random().toString(36).slice(2, 8);

let passed = 0;

class CheckError extends Error {}

function assert(cond, message) {
  if (!cond) throw new CheckError(message);
}

function describe(err) {
  if (err instanceof PipedreamError) {
    return `PipedreamError statusCode=${err.statusCode} body=${JSON.stringify(err.body)}: ${err.message}`;
  }
  return err?.stack ?? String(err);
}

async function step(name, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   ${name}${detail ? ` (${detail})` : ""}`);
  } catch (err) {
    console.log(`FAIL ${name}: ${err instanceof CheckError ? err.message : describe(err)}`);
    console.log(`sdk-check: ${passed} passed, 1 failed`);
    process.exit(1);
  }
}

// expectError runs fn and returns the PipedreamError it must throw.
async function expectError(fn, what) {
  try {
    await fn();
  } catch (err) {
    if (err instanceof PipedreamError) return err;
    throw new CheckError(`${what}: threw ${describe(err)}, want a PipedreamError`);
  }
  throw new CheckError(`${what}: succeeded, want an error`);
}

async function controlPlane(method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// The client reads every setting from the PIPEDREAM_* variables.
const client = new PipedreamClient();

// a. Client credentials (the token is fetched on the first call), projects.list.
await step("authenticate and list projects (projects.list pager)", async () => {
  const ids = [];
  for await (const project of await client.projects.list()) {
    ids.push(project.id);
  }
  assert(ids.includes(projectId), `seeded project ${projectId} not in ${JSON.stringify(ids)}`);
  return `${ids.length} project(s), seeded ${projectId} among them`;
});

await step("access token is the emulator's one-hour JWT", async () => {
  const token = await client.rawAccessToken;
  const parts = String(token).split(".");
  assert(parts.length === 3, `access token ${token} is not a JWT`);
  const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  assert(claims.exp - claims.iat === 3600, `exp - iat = ${claims.exp - claims.iat}, want 3600`);
  assert(JSON.stringify(claims.scopes) === JSON.stringify(["*"]), `scopes = ${JSON.stringify(claims.scopes)}, want ["*"] (the SDK asks for no scope)`);
  return `sub=${claims.sub}`;
});

// b. Project CRUD.
let created;
const name = `sdk-check ${suffix}`;
await step("projects.create", async () => {
  created = await client.projects.create({ name });
  assert(created && typeof created.id === "string" && created.id.startsWith("proj_"), `created ${JSON.stringify(created)}: id does not start with proj_`);
  assert(created.name === name, `created name = ${JSON.stringify(created.name)}, want ${JSON.stringify(name)}`);
  return created.id;
});

await step("projects.retrieve", async () => {
  const got = await client.projects.retrieve(created.id);
  assert(got.id === created.id && got.name === name, `retrieved ${JSON.stringify(got)}`);
});

const renamed = `sdk-check renamed ${suffix}`;
await step("projects.update", async () => {
  const updated = await client.projects.update(created.id, {
    name: renamed,
    appName: "pdemu interop",
    supportEmail: "support@example.com",
  });
  assert(updated.id === created.id, `updated id = ${updated.id}`);
  assert(updated.name === renamed, `updated name = ${JSON.stringify(updated.name)}, want ${JSON.stringify(renamed)}`);
  assert(updated.appName === "pdemu interop", `updated appName = ${JSON.stringify(updated.appName)}`);
  assert(updated.supportEmail === "support@example.com", `updated supportEmail = ${JSON.stringify(updated.supportEmail)}`);
  const got = await client.projects.retrieve(created.id);
  assert(got.name === renamed && got.appName === "pdemu interop", `retrieved after update ${JSON.stringify(got)}`);
});

await step("projects.delete", async () => {
  await client.projects.delete(created.id);
  const err = await expectError(() => client.projects.retrieve(created.id), "retrieve after delete");
  assert(err.statusCode === 404, `retrieve after delete: statusCode ${err.statusCode}, want 404`);
  const ids = [];
  for await (const project of await client.projects.list()) ids.push(project.id);
  assert(!ids.includes(created.id), `deleted project ${created.id} still listed`);
});

// c. users.list across pages, with the SDK's own pager.
const want = Array.from({ length: userCount }, (_, i) => `user-${String(i + 1).padStart(2, "0")}`);

function checkUsers(seen, how) {
  const counts = new Map();
  for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
  const dupes = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  assert(dupes.length === 0, `${how}: seen more than once: ${dupes.join(", ")}`);
  const missing = want.filter((id) => !counts.has(id));
  assert(missing.length === 0, `${how}: missing ${missing.join(", ")}`);
  const extra = seen.filter((id) => !want.includes(id));
  assert(extra.length === 0, `${how}: unexpected ${extra.join(", ")}`);
}

await step("users.list page by page (hasNextPage/getNextPage, limit 10)", async () => {
  let page = await client.users.list({ limit: 10 });
  const seen = [];
  const sizes = [];
  for (;;) {
    assert(page.data.length <= 10, `page ${sizes.length + 1} has ${page.data.length} users, limit was 10`);
    sizes.push(page.data.length);
    seen.push(...page.data.map((u) => u.externalId));
    for (const u of page.data) {
      assert(typeof u.id === "string" && u.id.startsWith("exu_"), `user id ${JSON.stringify(u.id)} does not start with exu_`);
      assert(u.createdAt instanceof Date || typeof u.createdAt === "string", `user createdAt ${JSON.stringify(u.createdAt)}`);
    }
    if (!page.hasNextPage()) break;
    assert(sizes.length < 50, "pager did not stop after 50 pages");
    page = await page.getNextPage();
  }
  const wantPages = Math.ceil(userCount / 10);
  assert(sizes.length === wantPages, `walked ${sizes.length} pages (${sizes.join("+")}), want ${wantPages}`);
  checkUsers(seen, "page by page");
  return `${seen.length} users in pages of ${sizes.join("+")}`;
});

await step("users.list with for await (limit 10)", async () => {
  const seen = [];
  for await (const user of await client.users.list({ limit: 10 })) {
    seen.push(user.externalId);
    assert(seen.length <= userCount * 2, "pager did not stop");
  }
  checkUsers(seen, "for await");
  return `${seen.length} users`;
});

// d. The emulator's clock moves an hour; the SDK caches its token by its own
// wall clock, so it sends the expired token and must get a 401.
await step("advance the emulator clock by 3600s (control plane)", async () => {
  const before = await controlPlane("GET", "/_emulator/clock");
  const after = await controlPlane("POST", "/_emulator/clock/advance", { seconds: 3600 });
  const moved = (Date.parse(after.now) - Date.parse(before.now)) / 1000;
  // A frozen clock (the Go test's) moves exactly; `pdemu serve` follows real
  // time too, so allow the few seconds the two requests took.
  assert(moved >= 3600 && moved < 3660, `clock moved ${moved}s (${before.now} -> ${after.now}), want 3600`);
  return `${before.now} -> ${after.now}`;
});

await step("cached token is rejected with 401 after expiry", async () => {
  const err = await expectError(() => client.projects.retrieve(projectId), "projects.retrieve with the expired token");
  assert(err.statusCode === 401, `statusCode ${err.statusCode}, want 401 (body ${JSON.stringify(err.body)})`);
  assert(err.body?.error === "invalid_token", `body ${JSON.stringify(err.body)}, want error "invalid_token"`);
  const challenge = err.rawResponse?.headers?.get?.("www-authenticate") ?? "";
  assert(challenge.includes('error="invalid_token"'), `WWW-Authenticate ${JSON.stringify(challenge)}, want error="invalid_token"`);
  return `WWW-Authenticate: ${challenge}`;
});

await step("a new client gets a new token and works", async () => {
  const fresh = new PipedreamClient({
    clientId: env.PIPEDREAM_CLIENT_ID,
    clientSecret: env.PIPEDREAM_CLIENT_SECRET,
    projectId,
    projectEnvironment: env.PIPEDREAM_PROJECT_ENVIRONMENT ?? "development",
    baseUrl,
  });
  const got = await fresh.projects.retrieve(projectId);
  assert(got.id === projectId, `retrieved ${JSON.stringify(got)}`);
});

await step("wrong client secret is a 401 from the token endpoint", async () => {
  const bad = new PipedreamClient({
    clientId: env.PIPEDREAM_CLIENT_ID,
    clientSecret: "not-the-secret",
    projectId,
    baseUrl,
  });
  const err = await expectError(() => bad.projects.retrieve(projectId), "call with a wrong secret");
  assert(err.statusCode === 401, `statusCode ${err.statusCode}, want 401 (body ${JSON.stringify(err.body)})`);
  assert(err.body?.error === "invalid_client", `body ${JSON.stringify(err.body)}, want error "invalid_client"`);
});

console.log(`sdk-check: ${passed} passed, 0 failed`);
