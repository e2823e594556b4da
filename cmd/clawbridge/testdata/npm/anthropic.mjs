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
//   repair-*      a tool call the model writes as text (see repairCases),
//                 through messages.stream().finalMessage() and
//                 messages.create(); when the answer has tool_use blocks, a
//                 second, streamed turn sends their tool_results
//   count-tokens  messages.countTokens() of a request with a system prompt
//                 and tools, before and after one request calibrated it,
//                 again after small requests of other shapes, and the
//                 usage.input_tokens of that request when sent
import Anthropic, { APIError, AuthenticationError, NotFoundError } from "@anthropic-ai/sdk";
import { env, errorInfo, run, timeTool, weatherResult, weatherTool } from "./lib.mjs";

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

// repairCases are the scripted model's text-call replies (see
// daemon/upstream/ollama/ollamatest, the text-call scripts): the user message that
// triggers each, and the model name that reaches it. claude-opus-4-5 is
// the tiny-notools model, which Ollama cannot give tools to (the config
// says supports_function_calling: false), so its <tool_call> tags reach
// clawbridge as text; on the tiny model Ollama itself would parse them.
const repairCases = {
  "repair-fenced": { prompt: "jsontool", model },
  "repair-bare-arguments": { prompt: "bare arguments", model },
  "repair-bare-parameters": { prompt: "bare parameters", model },
  "repair-tagged": { prompt: "tagged call", model: "claude-opus-4-5" },
  "repair-several": { prompt: "several calls", model },
  "repair-bad-arguments": { prompt: "bad arguments", model },
  "repair-json-prose": { prompt: "json prose", model },
};

// repaired runs one repair case both ways, and answers any tool calls.
async function repaired({ prompt, model }) {
  const messages = [{ role: "user", content: prompt }];
  const params = { model, max_tokens: 512, tools: [weatherTool, timeTool], messages };
  const stream = await streamed(params);
  const create = await client.messages.create(params);
  const uses = stream.message.content.filter((b) => b.type === "tool_use");
  if (uses.length === 0) return { stream, create };
  const next = [
    ...messages,
    { role: "assistant", content: stream.message.content },
    {
      role: "user",
      content: uses.map((u) => ({ type: "tool_result", tool_use_id: u.id, content: weatherResult })),
    },
  ];
  const after = await streamed({ ...params, messages: next });
  return { stream, create, after };
}

// A system prompt the size and kind of an agent's, and a conversation of
// n earlier turns ending with a question that gets the default reply.
const agentSystem = [
  {
    type: "text",
    text: "You are a personal assistant running inside Clawdbot. ".repeat(4) +
      "Use the tools when they help, read files before editing them, keep replies short, and say so when you are unsure. ".repeat(10),
  },
];

function conversation(n) {
  const messages = [];
  for (let i = 0; i < n; i++) {
    messages.push({ role: "user", content: `Question ${i}: what should I pack for a week in Lisbon in May, and which neighbourhoods are worth a walk?` });
    messages.push({ role: "assistant", content: `Pack light layers, good shoes and a rain jacket; walk Alfama, Bairro Alto and Belém (${i * 37}).` });
  }
  messages.push({ role: "user", content: "Hi" });
  return messages;
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

  ...Object.fromEntries(Object.entries(repairCases).map(([name, c]) => [name, () => repaired(c)])),

  "count-tokens": async () => {
    const request = (turns) => ({ model, system: agentSystem, tools: [weatherTool, timeTool], messages: conversation(turns) });
    const count = async (turns) => (await client.messages.countTokens(request(turns))).input_tokens;
    // The request to check is not the one that calibrates: count_tokens
    // must predict a request Ollama has not seen.
    const before = await count(6);
    const calibration = await client.messages.create({ ...request(2), max_tokens: 16 });
    const counted = await count(6);
    // Then small requests of other shapes, as the cases before this one
    // send: every answer calibrates, and the count must stay honest.
    const others = [
      { messages: [{ role: "user", content: "Hello!" }] },
      { tools: [weatherTool], messages: weatherQuestion() },
      { tools: [weatherTool, timeTool], messages: [{ role: "user", content: "jsontool" }] },
      {
        tools: [weatherTool],
        messages: [
          ...weatherQuestion(),
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: weatherResult }] },
        ],
      },
    ];
    for (let round = 0; round < 4; round++) {
      for (const o of others) await client.messages.create({ model, max_tokens: 16, ...o });
    }
    const countedAfterOthers = await count(6);
    const sent = await client.messages.create({ ...request(6), max_tokens: 16 });
    return {
      before,
      calibrationInputTokens: calibration.usage.input_tokens,
      counted,
      otherRequests: 4 * others.length,
      countedAfterOthers,
      inputTokens: sent.usage.input_tokens,
      reply: sent.content,
    };
  },

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
