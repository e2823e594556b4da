// Package ollamatest runs a real Ollama server with a tiny, deterministic
// model, so that tests all over the project talk to the real thing: real
// NDJSON streams, real tool-call and thinking parsing, real errors.
//
//	s := ollamatest.Start(t)                  // skips without $CLAWBRIDGE_OLLAMA_BIN
//	c, _ := ollama.New(s.URL, nil)
//	// model ollamatest.ModelTiny, message "What's the weather?" with tools
//	// offered -> one tool call get_weather {"city":"Paris"}
//
// Start needs the ollama binary that .ci/provision-ollama.sh builds
// (`make provision` records it in $CLAWBRIDGE_CACHE/peers.env as
// CLAWBRIDGE_OLLAMA_BIN). Without it tests skip, unless
// CLAWBRIDGE_REQUIRE_PEERS is set (as `make test` does): then they fail.
// Each server gets a free 127.0.0.1 port and its own models directory and
// HOME; Stop and Restart keep the port and the models.
//
// # The model
//
// A one-layer llama-architecture GGUF (written by this package's GGUF
// writer, see BuildModel) whose layer weights are all zero, so each next
// token depends only on the current one, and whose output head is a
// next-token table with a logit margin of 50: Ollama's default sampling
// (temperature 0.8, top_k, top_p, repeat penalty) always picks the
// scripted token. The vocabulary is SentencePiece-style: 256 byte tokens,
// control tokens for roles and reply markers, the reply pieces, and
// pieces that compress common English and JSON so that Clawdbot-sized
// prompts stay cheap (see compress.go).
//
// The chat template renders the conversation and ends the prompt with a
// marker token that selects the reply; that last token alone decides
// everything the model says.
//
// # Models
//
//	ModelTiny     "tiny"          completion, tools, thinking
//	ModelNoTools  "tiny-notools"  completion, thinking (tools are refused: 400)
//	ModelPlain    "tiny-plain"    completion only (think: true is refused: 400)
//	ModelAlt      "tiny-alt"      ModelTiny under another name (for model switches)
//
// All are created with PARAMETER num_ctx 4096 (DefaultNumCtx) and
// num_thread 1 (see modelParameters); the GGUF says llama.context_length
// 65536, so a request may raise num_ctx.
//
// # Scripts
//
// The last message decides, checked in this order (the Scripts table);
// triggers match anywhere in the last user turn (the user messages after
// the last message of another role), lowercase or with a capital first
// letter:
//
//	after_tool  last message is a tool result
//	            content ReplyAfterTool "The weather in Paris is sunny."
//	jsontool    "jsontool"
//	            content ReplyJSONTool: a ```json fenced block holding
//	            {"name":"get_weather","arguments":{"city":"Paris"}}, as text:
//	            Ollama does not parse it as a tool call
//	bare_arguments   "bare arguments"
//	            content ReplyBareArguments, a bare
//	            {"name": "get_weather", "arguments": {"city": "Paris"}}
//	bare_parameters  "bare parameters"
//	            content ReplyBareParameters, the same with "parameters"
//	tagged_call "tagged call"
//	            content ReplyTaggedCall: a sentence, then the call in
//	            <tool_call> tags. Ollama parses that tag as a tool call when
//	            the request offers tools to ModelTiny (as it does for the
//	            weather script); without tools offered, or on ModelNoTools,
//	            it stays text
//	several_calls    "several calls"
//	            content ReplySeveralCalls: a sentence, then a JSON list of a
//	            get_weather and a get_time call
//	bad_arguments    "bad arguments"
//	            content ReplyBadArguments: a fenced get_weather call whose
//	            arguments lack the required "city"
//	json_prose  "json prose"
//	            content ReplyJSONProse: prose with a fenced JSON data object
//	            and a call written inside a sentence; no call
//	            (These six and jsontool are the text-call scripts: tool calls
//	            written as text, as models print them, for tool-call repair.
//	            They need no tools offered.)
//	two_tools   "two tools", with tools offered (ModelTiny only)
//	            tool_calls get_weather {"city":"Paris"} and get_time {"zone":"CET"}
//	weather     "weather", with tools offered (ModelTiny only)
//	            tool_calls get_weather {"city":"Paris"} (content "")
//	think       "think", with thinking on (Ollama's default for ModelTiny and
//	            ModelNoTools unless the request says think: false)
//	            thinking ThinkThinking "Let me think about it."
//	            content ThinkAnswer "The answer is 42."
//	think_off   "think", thinking off: content ThinkAnswer only
//	loop        "loop": "tick tock tick tock ..." (ReplyLoop repeated) until
//	            num_predict ends it with done_reason "length". Always set
//	            num_predict: nothing else stops it.
//	repeat      "repeat": ReplyRepeat "la " over and over; Ollama aborts after
//	            31 identical tokens and ends the stream without a done line
//	            (the client's ErrIncomplete)
//	stop        "stop": content ReplyStop "alpha beta gamma delta"; with stop
//	            ["gamma"] the content is "alpha beta " (done_reason "stop")
//	unicode     "unicode": content ReplyUnicode "Grüße, 世界 👋"
//	json_object "json object": content ReplyJSONObject
//	            {"city": "Paris", "sky": "sunny"}, which Ollama's JSON
//	            grammar (format "json", or a schema with those two string
//	            properties in that order) lets through. A reply that is not
//	            a JSON object ("Hello from tiny.") comes out under format
//	            "json" as random JSON text: the grammar forbids its first
//	            token, and the sampler picks among those it allows
//	fenced_write     "fenced write"
//	            content ReplyFencedWrite: a ```json fenced call of OpenClaw's
//	            write tool, creating WriteProofFenced
//	prose_write      "prose write"
//	            content ReplyProseWrite: a sentence, then a bare JSON call of
//	            write, creating WriteProofProse
//	codeword    "codeword": content ReplyCodeword "The codeword survived."
//	            (what a prompt that lost the message holding it by
//	            truncation does not answer)
//	default     anything else: content ReplyDefault "Hello from tiny."
//
// Tools must be offered with the names ToolWeather and ToolTime (Ollama
// reports only calls to offered tools); WeatherParameters and
// TimeParameters are ready-made schemas. Replies end with done_reason
// "stop" and non-zero prompt_eval_count and eval_count unless said
// otherwise. Streamed text arrives one piece (a word or so) at a time.
//
// To add a script, add a row to Scripts (and its reply constant); the
// model, the templates (golden copies in testdata/, refreshed with
// go test -update) and this list follow from the table.
//
// # Registry
//
// StartRegistry serves a server's tiny model over plain HTTP as an OCI
// registry would (manifest, blobs behind a redirect), with an extra layer
// Ollama has to download, optionally throttled: pulls with insecure: true
// then run end to end without the network.
//
// # Speed
//
// On the 2-core CPU this was built on: creating the three models takes
// well under a second, loading one about 0.3s, a short chat about 10ms.
// Prompt evaluation grows with the square of the prompt's tokens: with the
// models' one runner thread about 0.2s for 4k tokens and 9s for 32k (5s
// with num_thread 2); see BenchmarkPromptEval. A 40k-character English
// system prompt is about 9k tokens and 1.3s. Ollama caches the prompt
// prefix, so a later turn of the same conversation is cheap.
package ollamatest
