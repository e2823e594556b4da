package ollamatest

// The models Start creates. All three share one set of weights (so every
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
)

// Models lists the model names Start creates.
var Models = []string{ModelTiny, ModelNoTools, ModelPlain}

// Trigger words: a script runs when the last user message contains its
// trigger, as written here or with its first letter capitalised
// ("weather" or "Weather", not "WEATHER"). When several are present the
// first matching script in Scripts wins.
const (
	TriggerJSONTool = "jsontool"
	TriggerTwoTools = "two tools"
	TriggerWeather  = "weather"
	TriggerThink    = "think"
	TriggerLoop     = "loop"
	TriggerRepeat   = "repeat"
	TriggerStop     = "stop"
	TriggerUnicode  = "unicode"
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
// these (scripts_test.go checks).
const (
	ReplyDefault   = "Hello from tiny."
	ReplyAfterTool = "The weather in Paris is sunny."
	// ReplyJSONTool is a tool call written as plain text, the way small
	// models often get it wrong; Ollama leaves it in content.
	ReplyJSONTool = "```json\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}\n```"
	ThinkThinking = "Let me think about it."
	ThinkAnswer   = "The answer is 42."
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
		Name:  "default",
		Reply: []string{"Hello", " from", " tiny."},
	},
}
