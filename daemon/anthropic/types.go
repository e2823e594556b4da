// Package anthropic holds Anthropic's Messages API as clawbridge speaks
// it, with no I/O: the wire types (this file), the decoding and
// validation of a request and its conversion into Ollama's /api/chat
// request (request.go, decoded on a one-pass fast path in jsonreader.go
// and requestreader.go wherever that agrees with encoding/json, whose
// error messages stand), the state machine that turns Ollama's chunks into
// content blocks (answer.go), the server-sent events encoder (sse.go),
// and the repair of tool calls that a model wrote as text, checked
// against the tool's JSON schema (repair.go, schema.go). Errors that
// answer a client are *Error, with the Anthropic status and type.
//
// The translator's HTTP edge (daemon/translator) feeds these with bytes
// and backend chunks; table and golden tests here pin them down.
package anthropic

import "encoding/json"

// The types in this file mirror the JSON of Anthropic's Messages API
// (https://docs.anthropic.com/en/api/messages). They are plain data.
//
// Request fields that can take several shapes (a string or an array of
// blocks) or that are arrays whose elements need their index in error
// messages stay json.RawMessage here; request.go decodes them one level at
// a time so that a type error can name its exact place, such as
// "messages.2.content.0.source.type".

// MessagesRequest is the body of POST /v1/messages. Fields clawbridge does
// not use (metadata, context_management, service_tier, container, ...) are
// accepted and ignored by leaving them out.
type MessagesRequest struct {
	Model string `json:"model"`
	// MaxTokens is required by the API; a pointer tells "missing" from 0.
	MaxTokens *int `json:"max_tokens"`
	// System is a string or an array of text blocks.
	System json.RawMessage `json:"system"`
	// Messages are MessageParam objects.
	Messages []json.RawMessage `json:"messages"`
	// Tools are ToolParam objects (custom tools) or server tools.
	Tools         []json.RawMessage `json:"tools"`
	ToolChoice    *ToolChoice       `json:"tool_choice"`
	Temperature   *float64          `json:"temperature"`
	TopP          *float64          `json:"top_p"`
	TopK          *int              `json:"top_k"`
	StopSequences []string          `json:"stop_sequences"`
	Stream        bool              `json:"stream"`
	Thinking      *ThinkingConfig   `json:"thinking"`
	OutputConfig  *OutputConfig     `json:"output_config"`
}

// MessageParam is one turn of the conversation in a request. Content is a
// string or an array of content blocks.
type MessageParam struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// RequestBlock is any content block a request may carry; Type says which
// of the other fields apply. cache_control and citations are left out:
// they mean nothing to a local model.
type RequestBlock struct {
	Type string `json:"type"`

	// text, and the text of a thinking block's neighbours.
	Text string `json:"text"`

	// image and document.
	Source *BlockSource `json:"source"`
	Title  string       `json:"title"`

	// tool_use.
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`

	// tool_result: Content is a string or an array of text/image blocks.
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

// BlockSource is where an image or document block's data comes from.
type BlockSource struct {
	// Type is "base64", "url", "text", "content" or "file".
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	// Data is base64 for images and PDFs, plain text for text documents.
	Data string `json:"data"`
	URL  string `json:"url"`
	// Content is the block array of a "content" document source.
	Content json.RawMessage `json:"content"`
}

// ToolParam is a custom tool the client offers. Server tools (web search,
// code execution, ...) have a Type other than "" or "custom".
type ToolParam struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// ToolChoice says whether and which tool the model must use: Type is
// "auto", "any", "tool" (with Name) or "none".
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
}

// ThinkingConfig turns extended thinking on: Type is "enabled" (with
// BudgetTokens), "adaptive" or "disabled".
type ThinkingConfig struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens"`
}

// OutputConfig carries the effort level ("low", "medium", "high", "max")
// that newer clients send alongside adaptive thinking.
type OutputConfig struct {
	Effort string `json:"effort"`
}

// Message is a whole answer: the body of a non-streaming response and,
// with empty Content, the message inside a message_start event.
type Message struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"` // always "message"
	Role         string         `json:"role"` // always "assistant"
	Model        string         `json:"model"`
	Content      []ContentBlock `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        Usage          `json:"usage"`
}

// ContentBlock is one block of an answer. Only the fields of its Type are
// written (see MarshalJSON), with empty strings kept, as the API does.
type ContentBlock struct {
	Type string // "text", "thinking" or "tool_use"

	Text string // text

	Thinking  string // thinking
	Signature string

	ID    string // tool_use
	Name  string
	Input json.RawMessage
}

// MarshalJSON writes the block in the shape its Type has on the wire.
func (b ContentBlock) MarshalJSON() ([]byte, error) {
	switch b.Type {
	case "thinking":
		return json.Marshal(struct {
			Type      string `json:"type"`
			Thinking  string `json:"thinking"`
			Signature string `json:"signature"`
		}{b.Type, b.Thinking, b.Signature})
	case "tool_use":
		input := b.Input
		if len(input) == 0 {
			input = json.RawMessage("{}")
		}
		return json.Marshal(struct {
			Type  string          `json:"type"`
			ID    string          `json:"id"`
			Name  string          `json:"name"`
			Input json.RawMessage `json:"input"`
		}{b.Type, b.ID, b.Name, input})
	default:
		return json.Marshal(struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}{b.Type, b.Text})
	}
}

// Usage counts the tokens of one request. clawbridge has no prompt cache
// of its own, so the cache fields are always 0, but present: clients add
// them up.
type Usage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

// ErrorResponse is the body of every error answer, and (without
// RequestID) the data of an "error" stream event.
type ErrorResponse struct {
	Type      string    `json:"type"` // always "error"
	Error     ErrorBody `json:"error"`
	RequestID string    `json:"request_id,omitempty"`
}

// ErrorBody names the kind of error (invalid_request_error,
// authentication_error, not_found_error, request_too_large, api_error,
// overloaded_error) and says what went wrong.
type ErrorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// ModelInfo is one entry of GET /v1/models. It carries both Anthropic's
// fields (type, display_name, created_at) and OpenAI's (object, created,
// owned_by), so that clients of either API can read the list.
type ModelInfo struct {
	Type        string `json:"type"` // "model"
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"` // RFC 3339
	Object      string `json:"object"`     // "model"
	Created     int64  `json:"created"`    // Unix seconds
	OwnedBy     string `json:"owned_by"`
}

// ModelList is the answer of GET /v1/models, paginated the way Anthropic's
// is (first_id, last_id, has_more) and tagged the way OpenAI's is.
type ModelList struct {
	Data    []ModelInfo `json:"data"`
	FirstID *string     `json:"first_id"`
	LastID  *string     `json:"last_id"`
	HasMore bool        `json:"has_more"`
	Object  string      `json:"object"` // "list"
}

// CountTokensResponse is the answer of POST /v1/messages/count_tokens.
type CountTokensResponse struct {
	InputTokens int `json:"input_tokens"`
}
