package openaicompat

import "encoding/json"

// The types in this file mirror the JSON of OpenAI's Chat Completions API
// (https://platform.openai.com/docs/api-reference/chat), as OpenAI-compatible
// servers (vLLM, llama.cpp's llama-server, LM Studio, Ollama's /v1) speak
// it. They are plain data, used both ways: the translator decodes client
// requests into them and encodes its answers from them, and Client sends
// them to a backend.
//
// Fields that take several shapes (content: a string or an array of
// parts; stop: a string or an array; tool_choice: a string or an object)
// are json.RawMessage, so the decoder can say exactly what was wrong.

// ChatRequest is the body of POST /v1/chat/completions.
type ChatRequest struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	Tools    []Tool    `json:"tools,omitempty"`
	// ToolChoice is "none", "auto", "required" or
	// {"type":"function","function":{"name":...}}.
	ToolChoice json.RawMessage `json:"tool_choice,omitempty"`
	// MaxTokens is the older name of MaxCompletionTokens; clients send
	// one or the other.
	MaxTokens           *int     `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int     `json:"max_completion_tokens,omitempty"`
	Temperature         *float64 `json:"temperature,omitempty"`
	TopP                *float64 `json:"top_p,omitempty"`
	Seed                *int     `json:"seed,omitempty"`
	// N is how many answers to generate; only 1 is supported.
	N *int `json:"n,omitempty"`
	// Stop is a string or an array of up to 4 strings.
	Stop          json.RawMessage `json:"stop,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	StreamOptions *StreamOptions  `json:"stream_options,omitempty"`
	// ResponseFormat is {"type":"text"}, {"type":"json_object"} or
	// {"type":"json_schema","json_schema":{"name":...,"schema":{...}}}.
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	// ReasoningEffort ("low", "medium", "high") asks a reasoning model to
	// think that hard.
	ReasoningEffort string `json:"reasoning_effort,omitempty"`
}

// StreamOptions tune a streamed answer.
type StreamOptions struct {
	// IncludeUsage adds a last chunk, with no choices, carrying usage.
	IncludeUsage bool `json:"include_usage"`
}

// ResponseFormat constrains the answer to JSON.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is the schema of a json_schema response format.
type JSONSchema struct {
	Name   string          `json:"name,omitempty"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict *bool           `json:"strict,omitempty"`
}

// Message is one turn. Role is "system", "developer", "user", "assistant"
// or "tool".
type Message struct {
	Role string `json:"role"`
	// Content is a string, an array of ContentPart, or null (an assistant
	// turn that only calls tools).
	Content json.RawMessage `json:"content,omitempty"`
	// Name optionally names the participant.
	Name string `json:"name,omitempty"`
	// ToolCalls are the calls an assistant turn made.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID says which call a tool message answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// ReasoningContent is a reasoning model's thinking, as vLLM and
	// DeepSeek name it; Reasoning is Ollama's name for the same.
	ReasoningContent string `json:"reasoning_content,omitempty"`
	Reasoning        string `json:"reasoning,omitempty"`
}

// ContentPart is one part of a message's content: text, or an image given
// as a URL (clawbridge accepts data: URLs only).
type ContentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
}

// ImageURL is an image part's source.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// Tool offers a function to the model.
type Tool struct {
	Type     string   `json:"type"` // "function"
	Function Function `json:"function"`
}

// Function describes a function: Parameters is a JSON schema.
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// ToolCall is a call the model made. In a streamed delta only Index is
// sure to be set: ID, Type and the name come in the first delta of a
// call, the arguments in pieces.
type ToolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its arguments as a JSON
// string.
type FunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// ChatCompletion is a whole answer (stream false).
type ChatCompletion struct {
	ID                string   `json:"id"`
	Object            string   `json:"object"` // "chat.completion"
	Created           int64    `json:"created"`
	Model             string   `json:"model"`
	Choices           []Choice `json:"choices"`
	Usage             *Usage   `json:"usage,omitempty"`
	SystemFingerprint string   `json:"system_fingerprint,omitempty"`
}

// Choice is one answer of a ChatCompletion.
type Choice struct {
	Index   int             `json:"index"`
	Message ResponseMessage `json:"message"`
	// Logprobs is always null; it is there because clients read it.
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason string          `json:"finish_reason"`
}

// ResponseMessage is the assistant message of a Choice. Content is null
// when the answer is only tool calls.
type ResponseMessage struct {
	Role             string     `json:"role"`
	Content          *string    `json:"content"`
	Refusal          *string    `json:"refusal"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
	ReasoningContent string     `json:"reasoning_content,omitempty"`
	Reasoning        string     `json:"reasoning,omitempty"`
}

// ChatCompletionChunk is one event of a streamed answer.
type ChatCompletionChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"` // "chat.completion.chunk"
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint,omitempty"`
	Choices           []ChunkChoice `json:"choices"`
	// Usage is null on every chunk but the last when the client asked
	// for it with stream_options.include_usage.
	Usage *Usage `json:"usage"`
}

// ChunkChoice is a choice's delta in a chunk; FinishReason is null until
// the last.
type ChunkChoice struct {
	Index        int             `json:"index"`
	Delta        Delta           `json:"delta"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

// Delta is what a chunk adds to the message.
type Delta struct {
	Role             string     `json:"role,omitempty"`
	Content          *string    `json:"content,omitempty"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
	ReasoningContent *string    `json:"reasoning_content,omitempty"`
	Reasoning        *string    `json:"reasoning,omitempty"`
	Refusal          *string    `json:"refusal,omitempty"`
}

// Usage counts the tokens of a request.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ErrorResponse is the body of an error answer, and the data of an error
// event in a stream.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what went wrong. Type is "invalid_request_error",
// "server_error", ...; Code is a machine-readable reason such as
// "model_not_found" or "invalid_api_key", or null.
type ErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// ModelList is the answer of GET /v1/models.
type ModelList struct {
	Object string  `json:"object"` // "list"
	Data   []Model `json:"data"`
}

// Model is one entry of a ModelList.
type Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"` // "model"
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}
