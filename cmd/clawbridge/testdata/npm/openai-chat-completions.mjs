// The official openai SDK (6.x, which runs on Node 20; 7.x needs Node 22)
// against clawbridge's /v1/chat/completions and /v1/models. See lib.mjs for
// the protocol; cases:
//
//   stream-text    chat.completions.stream() with include_usage: every chunk
//                  as the SDK hands it, and finalChatCompletion()
//   create         non-streaming chat.completions.create()
//   tool           a get_weather tool call, then a tool message turn, both
//                  streamed and both not
//   max-tokens     a reply that never ends, cut by max_tokens (finish
//                  "length"), streamed and not
//   models         models.list() and models.retrieve()
//   unknown-model  a model nobody maps (NotFoundError 404), create and stream
//   bad-key        a key that is not the master key (AuthenticationError 401)
//   json           response_format json_object and json_schema
//   image          a user message with an image_url data URL, which the
//                  scripted model cannot read (BadRequestError 400), and one
//                  with an https URL, which clawbridge cannot fetch
import OpenAI, { APIError, AuthenticationError, BadRequestError, NotFoundError } from "openai";
import { env, errorInfo, run, timeTool, weatherResult, weatherTool } from "./lib.mjs";

const baseURL = env("BASE_URL") + "/v1";
const apiKey = env("API_KEY");
// No retries: a failure should show the first answer, not a third one.
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const model = "claude-sonnet-4-5";

const tools = [weatherTool, timeTool].map((t) => ({
  type: "function",
  function: { name: t.name, description: t.description, parameters: t.input_schema },
}));

// streamed runs chat.completions.stream() asking for usage, and returns
// every chunk as the SDK handed it over, what the chunks add up to, and
// the SDK's own accumulation, finalChatCompletion(), which checks that
// the stream named a role, a finish_reason and each tool call's type,
// name and arguments.
async function streamed(params) {
  const s = client.chat.completions.stream({ ...params, stream_options: { include_usage: true } });
  const chunks = [];
  let text = "";
  const calls = [];
  for await (const chunk of s) {
    chunks.push(chunk);
    for (const choice of chunk.choices) {
      if (choice.delta?.content) text += choice.delta.content;
      for (const tc of choice.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { id: "", name: "", arguments: "" };
        if (tc.id) calls[tc.index].id = tc.id;
        if (tc.function?.name) calls[tc.index].name += tc.function.name;
        if (tc.function?.arguments) calls[tc.index].arguments += tc.function.arguments;
      }
    }
  }
  const final = await s.finalChatCompletion();
  return { chunks, text, toolCalls: calls, final };
}

function created(params) {
  return client.chat.completions.create(params);
}

// failure runs fn, which must throw, and describes the error.
async function failure(fn) {
  try {
    return { unexpectedSuccess: await fn() };
  } catch (err) {
    return {
      ...errorInfo(err),
      isNotFound: err instanceof NotFoundError,
      isAuthentication: err instanceof AuthenticationError,
      isBadRequest: err instanceof BadRequestError,
      isAPIError: err instanceof APIError,
    };
  }
}

// toolTurns asks for the weather, answers each tool call the model makes,
// and asks again; send is streamed or created, and calls reads the tool
// calls out of what send returned.
async function toolTurns(send, calls) {
  const messages = [{ role: "user", content: "What's the weather in Paris?" }];
  const first = await send({ model, max_tokens: 512, tools, messages });
  const made = calls(first);
  if (made.length === 0) return { first };
  messages.push({ role: "assistant", content: null, tool_calls: made });
  for (const c of made) messages.push({ role: "tool", tool_call_id: c.id, content: weatherResult });
  const second = await send({ model, max_tokens: 512, tools, messages });
  return { first, second };
}

// A 1x1 PNG.
const pixel =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

function imageMessage(url) {
  return [
    {
      role: "user",
      content: [
        { type: "text", text: "What is in this picture?" },
        { type: "image_url", image_url: { url } },
      ],
    },
  ];
}

await run({
  "stream-text": () => streamed({ model, max_tokens: 256, messages: [{ role: "user", content: "Hello!" }] }),

  create: async () => ({
    completion: await created({ model, max_tokens: 256, messages: [{ role: "user", content: "Hello!" }] }),
  }),

  tool: async () => ({
    stream: await toolTurns(streamed, (s) => s.final.choices[0].message.tool_calls ?? []),
    create: await toolTurns(created, (c) => c.choices[0].message.tool_calls ?? []),
  }),

  "max-tokens": async () => {
    const params = { model, max_tokens: 16, messages: [{ role: "user", content: "loop forever" }] };
    return { stream: await streamed(params), create: await created(params) };
  },

  models: async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    return { ids, retrieved: await client.models.retrieve(model) };
  },

  "unknown-model": async () => {
    const params = { model: "no-such-model", max_tokens: 16, messages: [{ role: "user", content: "Hello!" }] };
    return {
      create: await failure(() => created(params)),
      stream: await failure(() => streamed(params)),
    };
  },

  "bad-key": async () => {
    const wrong = new OpenAI({ baseURL, apiKey: "sk-wrong-key", maxRetries: 0, timeout: 60_000 });
    return {
      create: await failure(() =>
        wrong.chat.completions.create({ model, messages: [{ role: "user", content: "Hello!" }] }),
      ),
      models: await failure(() => wrong.models.list()),
    };
  },

  json: async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, sky: { type: "string" } },
      required: ["city", "sky"],
      additionalProperties: false,
    };
    return {
      // The scripted JSON object, through the JSON grammar.
      object: await created({
        model,
        max_tokens: 64,
        response_format: { type: "json_object" },
        messages: [{ role: "user", content: "Answer with a json object." }],
      }),
      // The scripted object through a schema, parsed by the SDK.
      schema: await client.chat.completions.parse({
        model,
        max_tokens: 64,
        response_format: { type: "json_schema", json_schema: { name: "forecast", strict: true, schema } },
        messages: [{ role: "user", content: "Answer with a json object." }],
      }),
      // A reply that is not JSON ("Hello from tiny."): the grammar forbids
      // its first word, so whatever comes out starts as JSON.
      forced: await streamed({
        model,
        max_tokens: 8,
        response_format: { type: "json_object" },
        messages: [{ role: "user", content: "Hello!" }],
      }),
    };
  },

  image: async () => ({
    dataURL: await failure(() =>
      created({ model, max_tokens: 16, messages: imageMessage(`data:image/png;base64,${pixel}`) }),
    ),
    httpsURL: await failure(() =>
      created({ model, max_tokens: 16, messages: imageMessage("https://example.com/cat.png") }),
    ),
  }),
});
