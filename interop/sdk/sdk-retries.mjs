// sdk-retries.mjs makes one call with the official @pipedream/sdk (pinned in
// package-lock.json) and reports how it ended, so that ../sdk_retries_test.go
// can see what the SDK's retry logic does against the emulator's fault
// plans. The test sets the faults up before it runs the script; the script
// knows nothing of them.
//
//   node sdk-retries.mjs <scenario>
//
// Scenarios (each lists the projects, the first page only):
//
//   list                        new PipedreamClient(), projects.list()
//   list-client-max-retries-0   new PipedreamClient({ maxRetries: 0 }),
//                               projects.list()
//   list-request-max-retries-0  new PipedreamClient(),
//                               projects.list({}, { maxRetries: 0 })
//
// The client reads PIPEDREAM_BASE_URL, PIPEDREAM_CLIENT_ID,
// PIPEDREAM_CLIENT_SECRET, PIPEDREAM_PROJECT_ID and
// PIPEDREAM_PROJECT_ENVIRONMENT. The script prints one JSON line on stdout:
//
//   {"scenario":"list","ok":true,"projects":["proj_…"]}
//   {"scenario":"list","ok":false,"error":{"class":"TooManyRequestsError",
//     "name":…,"pipedreamError":true,"statusCode":429,"bodyType":"object",
//     "body":{…},"message":"…"}}
//
// and exits 0 either way: a thrown error is a result, not a failure. It
// exits 2 on bad usage.

import { PipedreamClient, PipedreamError } from "@pipedream/sdk";

const scenarios = {
  list: async () => new PipedreamClient().projects.list(),
  "list-client-max-retries-0": async () => new PipedreamClient({ maxRetries: 0 }).projects.list(),
  "list-request-max-retries-0": async () => new PipedreamClient().projects.list({}, { maxRetries: 0 }),
};

const scenario = process.argv[2];
if (!(scenario in scenarios)) {
  console.error(`sdk-retries: unknown scenario ${JSON.stringify(scenario)}; one of ${Object.keys(scenarios).join(", ")}`);
  process.exit(2);
}

function describe(err) {
  const out = {
    class: err?.constructor?.name ?? typeof err,
    name: err?.name,
    pipedreamError: err instanceof PipedreamError,
    statusCode: err?.statusCode,
    bodyType: typeof err?.body,
    message: err?.message ?? String(err),
  };
  if (err?.body !== undefined) out.body = err.body;
  return out;
}

let result;
try {
  const page = await scenarios[scenario]();
  result = { scenario, ok: true, projects: page.data.map((p) => p.id) };
} catch (err) {
  result = { scenario, ok: false, error: describe(err) };
}
console.log(JSON.stringify(result));
