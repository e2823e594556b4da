// NOT YET RUN by cmd/clawbridge/e2e_test.go: clawbridge does not serve the
// OpenAI-compatible /v1/chat/completions yet (a separate issue). When it
// does, add an "openai" group to e2e_test.go that runs these cases with the
// same assertions as the Anthropic ones.
//
// The official openai SDK (6.x, which runs on Node 20; 7.x needs Node 22)
// against clawbridge's /v1/chat/completions and /v1/models. See lib.mjs for
// the protocol; cases:
//
//   stream-text    chat.completions.create({stream: true}), text collected
//   create         non-streaming chat.completions.create()
//   tool           a get_weather tool call, then a tool message turn
//   max-tokens     a reply that never ends, cut by max_tokens (finish "length")
//   models         models.list()
//   unknown-model  a model nobody maps (NotFoundError 404 expected)
//   bad-key        a key that is not the master key (AuthenticationError 401)
import OpenAI, { APIError, AuthenticationError, NotFoundError } from "openai";
import { env, errorInfo, run, weatherResult, weatherTool } from "./lib.mjs";

const baseURL = env("BASE_URL") + "/v1";
const apiKey = env("API_KEY");
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const model = "claude-sonnet-4-5";

const tools = [
  {
    type: "function",
    function: { name: weatherTool.name, description: weatherTool.description, parameters: weatherTool.input_schema },
  },
];

// streamed runs a streaming completion and returns what the chunks add up to.
async function streamed(params) {
  const s = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  let text = "";
  let finishReason = null;
  let usage = null;
  const calls = [];
  for await (const chunk of s) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.delta?.content) text += choice.delta.content;
      for (const tc of choice.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { id: "", name: "", arguments: "" };
        if (tc.id) calls[tc.index].id = tc.id;
        if (tc.function?.name) calls[tc.index].name += tc.function.name;
        if (tc.function?.arguments) calls[tc.index].arguments += tc.function.arguments;
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
  }
  return { text, finishReason, usage, toolCalls: calls.filter(Boolean) };
}

async function failure(fn) {
  try {
    return { unexpectedSuccess: await fn() };
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
  "stream-text": () => streamed({ model, max_tokens: 256, messages: [{ role: "user", content: "Hello!" }] }),

  create: async () => ({
    completion: await client.chat.completions.create({
      model,
      max_tokens: 256,
      messages: [{ role: "user", content: "Hello!" }],
    }),
  }),

  tool: async () => {
    const messages = [{ role: "user", content: "What's the weather in Paris?" }];
    const first = await streamed({ model, max_tokens: 512, tools, messages });
    if (first.toolCalls.length === 0) return { first };
    messages.push({
      role: "assistant",
      content: first.text || null,
      tool_calls: first.toolCalls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      })),
    });
    for (const c of first.toolCalls) messages.push({ role: "tool", tool_call_id: c.id, content: weatherResult });
    const second = await streamed({ model, max_tokens: 512, tools, messages });
    return { first, second };
  },

  "max-tokens": () => streamed({ model, max_tokens: 16, messages: [{ role: "user", content: "loop forever" }] }),

  models: async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    return { ids };
  },

  "unknown-model": async () => ({
    create: await failure(() =>
      client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "Hello!" }] }),
    ),
  }),

  "bad-key": async () => {
    const wrong = new OpenAI({ baseURL, apiKey: "sk-wrong-key", maxRetries: 0, timeout: 60_000 });
    return {
      create: await failure(() =>
        wrong.chat.completions.create({ model, messages: [{ role: "user", content: "Hello!" }] }),
      ),
    };
  },
});
