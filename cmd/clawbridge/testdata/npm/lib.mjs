// Shared plumbing for the client scripts that cmd/clawbridge/e2e_test.go runs.
//
// Every script is `node <script> [args...] <case>` with BASE_URL (the
// clawbridge address, no /v1) and API_KEY in the environment. A case prints
// exactly one JSON line on stdout: what the client library handed its caller
// (messages, events, error classes). The Go test makes the assertions, so
// that the expected strings live in one place (the scripted Ollama's
// constants). A case that throws where it should not prints {"thrown": ...}
// and exits 1.

/** env returns a required environment variable or exits with a message. */
export function env(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return v;
}

/** errorInfo describes an error the way a test wants to read it. */
export function errorInfo(err) {
  if (!(err instanceof Error)) return { class: typeof err, message: String(err) };
  const info = { class: err.constructor?.name ?? "Error", message: err.message };
  if (err.status !== undefined) info.status = err.status;
  // Both SDKs keep the decoded error body in err.error (the openai SDK
  // keeps its inner "error" object).
  if (err.error !== undefined) info.body = err.error;
  if (err.requestID !== undefined) info.requestID = err.requestID;
  if (err.cause !== undefined) info.cause = String(err.cause);
  return info;
}

/**
 * run looks up the case named by the last argument in cases, runs it, and
 * prints its result as one JSON line.
 */
export async function run(cases) {
  const name = process.argv.at(-1);
  const fn = cases[name];
  if (!fn) {
    console.error(`unknown case ${JSON.stringify(name)}; cases: ${Object.keys(cases).join(", ")}`);
    process.exit(2);
  }
  try {
    const out = await fn();
    process.stdout.write(JSON.stringify(out) + "\n");
  } catch (err) {
    process.stdout.write(JSON.stringify({ thrown: errorInfo(err) }) + "\n");
    console.error(err);
    process.exitCode = 1;
  }
}

/** The tool every tool case offers; the scripted model calls it for "weather". */
export const weatherTool = {
  name: "get_weather",
  description: "Get the current weather in a city.",
  input_schema: {
    type: "object",
    properties: { city: { type: "string", description: "City name, e.g. Paris" } },
    required: ["city"],
  },
};

/** The second tool, which the scripted model calls in its several-calls replies. */
export const timeTool = {
  name: "get_time",
  description: "Get the current time in a time zone.",
  input_schema: {
    type: "object",
    properties: { zone: { type: "string", description: "Time zone, e.g. CET" } },
    required: ["zone"],
  },
};

/** The tool's answer that the second turn of a tool case sends back. */
export const weatherResult = "18°C and sunny";
