package ollamatest

// The models Start creates. All four share one set of weights (so every
// script below behaves the same in each); they differ only in what their
// template lets Ollama see, which decides the capabilities /api/show reports.
const (
	// ModelTiny has the "completion", "tools" and "thinking" capabilities.
	ModelTiny = "tiny"
	// ModelNoTools has "completion" and "thinking" but not "tools": Ollama
	// answers 400 "... does not support tools" when a request offers tools.
	ModelNoTools = "tiny-notools"
	// ModelPlain has only "completion": Ollama also refuses think: true.
	ModelPlain = "tiny-plain"
	// ModelAlt is ModelTiny under another name: the model a test switches
	// an alias to, telling the two apart by the name Ollama is asked for.
	ModelAlt = "tiny-alt"
)

// Models lists the model names Start creates.
var Models = []string{ModelTiny, ModelNoTools, ModelPlain, ModelAlt}

// Trigger words: a script runs when the last user message contains its
// trigger, as written here or with its first letter capitalised
// ("weather" or "Weather", not "WEATHER"). When several are present the
// first matching script in Scripts wins.
const (
	TriggerJSONTool = "jsontool"
	// The text-call triggers make the model write a tool call as text in
	// one of the ways real models do (see the Reply constants below), for
	// tests of tool-call repair. They need no tools offered, so they also
	// work where the tools never reach Ollama.
	TriggerBareArguments  = "bare arguments"
	TriggerBareParameters = "bare parameters"
	TriggerTaggedCall     = "tagged call"
	TriggerSeveralCalls   = "several calls"
	TriggerBadArguments   = "bad arguments"
	TriggerJSONProse      = "json prose"
	// TriggerJSONObject makes the model answer ReplyJSONObject, a JSON
	// object that Ollama's JSON grammar (format "json" or a schema) lets
	// through unchanged.
	TriggerJSONObject = "json object"
	TriggerTwoTools   = "two tools"
	TriggerWeather    = "weather"
	TriggerThink      = "think"
	TriggerLoop       = "loop"
	TriggerRepeat     = "repeat"
	TriggerStop       = "stop"
	TriggerUnicode    = "unicode"
	// The OpenClaw triggers make the model call OpenClaw's own write tool
	// as text (TriggerFencedWrite: a fenced JSON block; TriggerProseWrite:
	// a sentence, then bare JSON), for comparing tool-call repair on a
	// real agent; TriggerCodeword answers ReplyCodeword, which shows that
	// the message holding it reached the template (Ollama drops whole
	// messages from the front of a prompt that overflows num_ctx).
	TriggerFencedWrite = "fenced write"
	TriggerProseWrite  = "prose write"
	TriggerCodeword    = "codeword"
)

// The tools the tool scripts call, with the exact arguments they pass.
// Offer them with parameter schemas like WeatherParameters/TimeParameters:
// Ollama only reports a call to a tool the request offered.
const (
	ToolWeather     = "get_weather"
	ToolWeatherArgs = `{"city":"Paris"}`
	ToolTime        = "get_time"
	ToolTimeArgs    = `{"zone":"CET"}`

	WeatherParameters = `{"type":"object","properties":{"city":{"type":"string","description":"City name"}},"required":["city"]}`
	TimeParameters    = `{"type":"object","properties":{"zone":{"type":"string","description":"Time zone"}},"required":["zone"]}`
)

// The replies, as Ollama returns them in message.content (and, for the
// think script, message.thinking). Script pieces concatenate to exactly
// these (model_test.go checks).
const (
	ReplyDefault   = "Hello from tiny."
	ReplyAfterTool = "The weather in Paris is sunny."
	// ReplyJSONTool is a tool call written as plain text, the way small
	// models often get it wrong; Ollama leaves it in content.
	ReplyJSONTool = "```json\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}\n```"
	// ReplyBareArguments is a call written as a bare JSON object, the way
	// small models (qwen2.5 among them) often print one instead of using
	// their template's tool-call format.
	ReplyBareArguments = `{"name": "get_weather", "arguments": {"city": "Paris"}}`
	// ReplyBareParameters is Llama 3.1's JSON tool-call format, with
	// "parameters" instead of "arguments".
	ReplyBareParameters = `{"name": "get_weather", "parameters": {"city": "Paris"}}`
	// ReplyTaggedCall is a Hermes-style call in <tool_call> tags after a
	// sentence of prose (ReplyTaggedCallProse). Ollama turns it into a
	// tool call only when the request offered tools to a model whose
	// template declares that tag; elsewhere (tiny-notools, or tools left
	// out of the Ollama request) it stays text.
	ReplyTaggedCall      = ReplyTaggedCallProse + "\n<tool_call>\n" + `{"name": "get_weather", "arguments": {"city": "Paris"}}` + "\n</tool_call>"
	ReplyTaggedCallProse = "Let me look that up."
	// ReplySeveralCalls is a sentence (ReplySeveralCallsProse), then a JSON
	// list of two calls, get_weather and get_time.
	ReplySeveralCalls      = ReplySeveralCallsProse + "\n" + `[{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time", "arguments": {"zone": "CET"}}]`
	ReplySeveralCallsProse = "I'll get both."
	// ReplyBadArguments is a fenced call of get_weather whose arguments
	// lack the required "city" (the model wrote "location"): it does not
	// fit WeatherParameters.
	ReplyBadArguments = "```json\n" + `{"name": "get_weather", "arguments": {"location": "Paris"}}` + "\n```"
	// ReplyJSONProse is prose that shows JSON without calling anything: a
	// fenced data object, and a call written inside a sentence.
	ReplyJSONProse = "The forecast comes back as JSON:\n```json\n" + `{"city": "Paris", "sky": "sunny"}` + "\n```\nTo ask for it, send " +
		`{"name": "get_weather", "arguments": {"city": "Paris"}}` + " to the API."
	// ReplyJSONObject is a JSON object and nothing else.
	ReplyJSONObject = `{"city": "Paris", "sky": "sunny"}`
	ThinkThinking   = "Let me think about it."
	ThinkAnswer     = "The answer is 42."
	// ReplyLoop is one cycle of the loop script, which repeats it until
	// num_predict (or the context) runs out.
	ReplyLoop = "tick tock "
	// ReplyRepeat is the one token the repeat script emits over and over.
	// Ollama gives up after 31 identical tokens in a row and ends the
	// stream without a done line.
	ReplyRepeat = "la "
	// ReplyStop has four words a test can name as stop sequences.
	ReplyStop    = "alpha beta gamma delta"
	ReplyUnicode = "Grüße, 世界 👋"
	// ReplyFencedWrite calls OpenClaw's write tool in a ```json fence; the
	// tool, when it runs, creates WriteProofFenced in the agent's
	// workspace with WriteProofContent.
	ReplyFencedWrite = "```json\n" + `{"name": "write", "arguments": {"path": "proof-fenced.txt", "content": "written by a text call"}}` + "\n```"
	// ReplyProseWrite is a sentence, then the same call of write as bare
	// JSON, creating WriteProofProse.
	ReplyProseWrite   = "I will save the note now.\n" + `{"name": "write", "arguments": {"path": "proof-prose.txt", "content": "written by a text call"}}`
	WriteProofFenced  = "proof-fenced.txt"
	WriteProofProse   = "proof-prose.txt"
	WriteProofContent = "written by a text call"
	// ReplyCodeword is the codeword script's answer.
	ReplyCodeword = "The codeword survived."
)

// Script is one scripted reply of the tiny model: the conditions that
// select it, and the reply itself.
//
// The template (see template.go) checks the conditions and ends the prompt
// with the script's marker token <|reply:Name|>; the weights map the marker
// to the first piece, each piece to the next, and the last piece to the
// end-of-sequence token (or back to the first piece when Loop is set).
// Because the next token depends only on the current one, a piece that
// appears in several scripts must be followed by the same piece in each;
// the model generator refuses a table that breaks this.
type Script struct {
	// Name names the marker token; it is also the script's name in docs.
	Name string
	// Trigger, when set, must occur in the last message, which must be
	// the user's.
	Trigger string
	// AfterTool selects the script when the last message is a tool result.
	AfterTool bool
	// NeedsTools: the request must offer tools (only ModelTiny can see
	// them).
	NeedsTools bool
	// NeedsThink: thinking must be on for the request (Ollama turns it on
	// by default for models with the "thinking" capability).
	NeedsThink bool
	// Reply is what the model generates, one token per piece.
	Reply []string
	// Loop repeats Reply forever instead of ending the sequence.
	Loop bool
}

// Scripts is the tiny model's script table, in order of precedence: the
// first whose conditions hold is the reply. The last entry, with no
// condition, is the default.
var Scripts = []Script{
	{
		Name:      "after_tool",
		AfterTool: true,
		Reply:     []string{"The weather", " in Paris", " is sunny."},
	},
	{
		Name:    "jsontool",
		Trigger: TriggerJSONTool,
		Reply:   []string{"```json\n", `{"name":"get_weather","arguments":{"city":"Paris"}}`, "\n```"},
	},
	{
		Name:    "bare_arguments",
		Trigger: TriggerBareArguments,
		Reply:   []string{`{"name": "get_weather", "arguments": `, `{"city": "Paris"}}`},
	},
	{
		Name:    "bare_parameters",
		Trigger: TriggerBareParameters,
		Reply:   []string{`{"name": "get_weather", "parameters": `, `{"city": "Paris"}}`},
	},
	{
		Name:    "tagged_call",
		Trigger: TriggerTaggedCall,
		// The last two pieces are the weather script's.
		Reply: []string{"Let me look", " that up.", "\n<tool_call>\n", `{"name": "get_weather", "arguments": {"city": "Paris"}}`, "\n</tool_call>"},
	},
	{
		Name:    "several_calls",
		Trigger: TriggerSeveralCalls,
		Reply: []string{"I'll get", " both.\n", `[{"name": "get_weather", "arguments": {"city": "Paris"}}, `,
			`{"name": "get_time", "arguments": {"zone": "CET"}}]`},
	},
	{
		Name:    "bad_arguments",
		Trigger: TriggerBadArguments,
		Reply:   []string{"```json\n{\"name\": \"get_weather\", ", `"arguments": {"location": "Paris"}}`, "\n```"},
	},
	{
		Name:    "json_prose",
		Trigger: TriggerJSONProse,
		Reply: []string{"The forecast", " comes back as JSON:\n", "```json\n{\"city\": \"Paris\", ", `"sky": "sunny"}`, "\n```\n",
			"To ask for it, send ", `{"name": "get_weather", "arguments": {"city": "Paris"}} to the API.`},
	},
	{
		Name:       "two_tools",
		Trigger:    TriggerTwoTools,
		NeedsTools: true,
		Reply: []string{
			"<tool_call>\n{\"name\": \"get_weather\", ",
			"\"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
			"\n<tool_call>\n{\"name\": \"get_time\", ",
			"\"arguments\": {\"zone\": \"CET\"}}",
			"\n</tool_call>",
		},
	},
	{
		Name:       "weather",
		Trigger:    TriggerWeather,
		NeedsTools: true,
		Reply:      []string{"<tool_call>\n", `{"name": "get_weather", "arguments": {"city": "Paris"}}`, "\n</tool_call>"},
	},
	{
		Name:       "think",
		Trigger:    TriggerThink,
		NeedsThink: true,
		Reply:      []string{"<think>", "Let me think", " about it.", "</think>", "The answer", " is 42."},
	},
	{
		Name:    "think_off",
		Trigger: TriggerThink,
		Reply:   []string{"The answer", " is 42."},
	},
	{
		Name:    "loop",
		Trigger: TriggerLoop,
		Reply:   []string{"tick ", "tock "},
		Loop:    true,
	},
	{
		Name:    "repeat",
		Trigger: TriggerRepeat,
		Reply:   []string{"la "},
		Loop:    true,
	},
	{
		Name:    "stop",
		Trigger: TriggerStop,
		Reply:   []string{"alpha", " beta", " gamma", " delta"},
	},
	{
		Name:    "unicode",
		Trigger: TriggerUnicode,
		Reply:   []string{"Grüße", ", 世界", " 👋"},
	},
	{
		Name:    "json_object",
		Trigger: TriggerJSONObject,
		Reply:   []string{`{"city": "Paris", "sky": `, `"sunny"}`},
	},
	{
		Name:    "fenced_write",
		Trigger: TriggerFencedWrite,
		Reply:   []string{"```json\n{\"name\": \"write\", ", `"arguments": {"path": "proof-fenced.txt", "content": "written by a text call"}}`, "\n```"},
	},
	{
		Name:    "prose_write",
		Trigger: TriggerProseWrite,
		Reply:   []string{"I will save", " the note now.\n", `{"name": "write", "arguments": {"path": "proof-prose.txt", "content": "written by a text call"}}`},
	},
	{
		Name:    "codeword",
		Trigger: TriggerCodeword,
		Reply:   []string{"The codeword", " survived."},
	},
	{
		Name:  "default",
		Reply: []string{"Hello", " from", " tiny."},
	},
}
