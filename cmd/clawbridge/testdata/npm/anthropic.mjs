// The official Anthropic TypeScript SDK against clawbridge's /v1/messages
// and /v1/models. See lib.mjs for the protocol; cases:
//
//   stream-text   messages.stream() -> finalMessage(), plus the text events
//   create        non-streaming messages.create()
//   tool          a get_weather tool_use turn, then a tool_result turn
//   thinking      extended thinking on: thinking block before the text
//   max-tokens    a reply that never ends, cut by max_tokens
//   models        models.list() (auto-paginated) and models.retrieve()
//   unknown-model create and stream with a model nobody maps
//   bad-key       a key that is not the master key
import Anthropic, { APIError, AuthenticationError, NotFoundError } from "@anthropic-ai/sdk";
import { env, errorInfo, run, weatherResult, weatherTool } from "./lib.mjs";

const baseURL = env("BASE_URL");
const apiKey = env("API_KEY");

// No retries: a failure should show the first answer, not a third one.
const client = new Anthropic({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const model = "claude-sonnet-4-5";

// streamed runs messages.stream() and returns the final message with what
// the stream's events added up to along the way.
async function streamed(params) {
  const s = client.messages.stream(params);
  let text = "";
  let thinking = "";
  const events = [];
  s.on("text", (delta) => (text += delta));
  s.on("thinking", (delta) => (thinking += delta));
  s.on("streamEvent", (ev) => events.push(ev.type));
  const message = await s.finalMessage();
  return { message, streamedText: text, streamedThinking: thinking, events };
}

function weatherQuestion() {
  return [{ role: "user", content: "What's the weather in Paris?" }];
}

// failure runs fn, which must throw, and describes the error.
async function failure(fn) {
  try {
    const got = await fn();
    return { unexpectedSuccess: got };
  } catch (err) {
    return {
      ...errorInfo(err),
      isNotFound: err instanceof NotFoundError,
      isAuthentication: err instanceof AuthenticationError,
      isAPIError: err instanceof APIError,
    };
  }
}

await run({
  "stream-text": () =>
    streamed({ model, max_tokens: 256, messages: [{ role: "user", content: "Hello!" }] }),

  create: async () => ({
    message: await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 256,
      messages: [{ role: "user", content: "Hello!" }],
    }),
  }),

  tool: async () => {
    const messages = weatherQuestion();
    const first = await streamed({ model, max_tokens: 512, tools: [weatherTool], messages });
    const uses = first.message.content.filter((b) => b.type === "tool_use");
    if (uses.length === 0) return { first };
    messages.push({ role: "assistant", content: first.message.content });
    messages.push({
      role: "user",
      content: uses.map((u) => ({ type: "tool_result", tool_use_id: u.id, content: weatherResult })),
    });
    const second = await streamed({ model, max_tokens: 512, tools: [weatherTool], messages });
    return { first, second };
  },

  thinking: () =>
    streamed({
      model,
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "Think about it: what is 2+2?" }],
    }),

  "max-tokens": () =>
    streamed({ model, max_tokens: 16, messages: [{ role: "user", content: "loop forever" }] }),

  models: async () => {
    const ids = [];
    for await (const m of client.models.list({ limit: 2 })) ids.push(m.id);
    const one = await client.models.retrieve(model);
    return { ids, retrieved: one };
  },

  "unknown-model": async () => ({
    create: await failure(() =>
      client.messages.create({
        model: "no-such-model",
        max_tokens: 16,
        messages: [{ role: "user", content: "Hello!" }],
      }),
    ),
    stream: await failure(() =>
      client.messages
        .stream({ model: "no-such-model", max_tokens: 16, messages: [{ role: "user", content: "Hello!" }] })
        .finalMessage(),
    ),
  }),

  "bad-key": async () => {
    const wrong = new Anthropic({ baseURL, apiKey: "sk-wrong-key", maxRetries: 0, timeout: 60_000 });
    return {
      create: await failure(() =>
        wrong.messages.create({ model, max_tokens: 16, messages: [{ role: "user", content: "Hello!" }] }),
      ),
      models: await failure(() => wrong.models.list()),
    };
  },
});
