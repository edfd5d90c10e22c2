// Starts oauth2-mock-server (https://github.com/axa-group/oauth2-mock-server,
// version pinned in package-lock.json), an OAuth 2 server nobody here wrote,
// so that pdemu's conformance kit can be shown judging a server other than
// pdemu (see ../../conformance/mockserver_test.go).
//
// The mock's own endpoint overrides put its token endpoint and key set where
// Pipedream has them (POST /v1/oauth/token, GET /.well-known/jwks.json);
// nothing of ours sits between the kit and the mock's handlers. Everything
// else is the mock as shipped: it signs RS256 JWTs, takes JSON or form
// bodies, accepts any client id and secret, and answers 404 with an empty
// body on every path it does not serve (the Connect API, /_emulator/...).
//
// Usage: node start.mjs [--port N] [--exit-on-stdin-close]
// It listens on 127.0.0.1 (port 0, the default, picks a free one) and prints
// one line, "listening on http://127.0.0.1:PORT", once it accepts
// connections. SIGINT or SIGTERM stops it; with --exit-on-stdin-close, so
// does the end of its standard input (a test's pipe closing when the test
// process dies).
import { OAuth2Server } from "oauth2-mock-server";

function parseArgs(argv) {
  const opts = { port: 0, exitOnStdinClose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--port" && i + 1 < argv.length) {
      opts.port = Number(argv[++i]);
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
        usage(`invalid --port ${argv[i]}: want 0 to 65535`);
      }
    } else if (a === "--exit-on-stdin-close") {
      opts.exitOnStdinClose = true;
    } else {
      usage(`unknown argument ${a}`);
    }
  }
  return opts;
}

function usage(msg) {
  process.stderr.write(`start.mjs: ${msg}\nusage: node start.mjs [--port N] [--exit-on-stdin-close]\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));

const server = new OAuth2Server(undefined, undefined, {
  endpoints: { token: "/v1/oauth/token", jwks: "/.well-known/jwks.json" },
});
await server.issuer.keys.generate("RS256");
await server.start(opts.port, "127.0.0.1");
// The issuer URL says "localhost", which may resolve to ::1 first; the
// address the server is bound to is the one to print.
process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
  } finally {
    process.exit(0);
  }
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
if (opts.exitOnStdinClose) {
  process.stdin.on("end", stop).on("close", stop).resume();
}
