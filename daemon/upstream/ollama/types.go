package ollama

import (
	"encoding/json"
	"time"
)

// The types in this file mirror the JSON that Ollama's native API speaks
// (https://github.com/ollama/ollama/blob/main/docs/api.md). They are plain
// data: conversion to and from other wire formats lives in the translator.

// ChatRequest is the body of POST /api/chat.
type ChatRequest struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	// Stream defaults to true on Ollama's side, so it is always sent.
	Stream bool `json:"stream"`
	// Format is "json" or a JSON schema; nil leaves the output free.
	Format    json.RawMessage `json:"format,omitempty"`
	KeepAlive string          `json:"keep_alive,omitempty"`
	Tools     []Tool          `json:"tools,omitempty"`
	Options   *Options        `json:"options,omitempty"`
	// Think is true, false, or one of "low", "medium", "high"; nil means
	// the model's default.
	Think json.RawMessage `json:"think,omitempty"`
	// Truncate false makes Ollama refuse a prompt longer than num_ctx (400
	// "the input length exceeds the context length") instead of dropping
	// the oldest messages without a word; nil means Ollama's default, true.
	// Ollama before 0.12 ignores it.
	Truncate *bool `json:"truncate,omitempty"`
	// Shift false ends an answer that fills the context with done_reason
	// "length" instead of discarding the start of the prompt to go on;
	// nil means Ollama's default, true.
	Shift *bool `json:"shift,omitempty"`
}

// Options are the sampling and runtime settings of a request. Only the
// fields clawbridge sets are listed; pointers distinguish "unset" from zero.
type Options struct {
	NumPredict  *int     `json:"num_predict,omitempty"`
	NumCtx      *int     `json:"num_ctx,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	TopK        *int     `json:"top_k,omitempty"`
	Stop        []string `json:"stop,omitempty"`
	Seed        *int     `json:"seed,omitempty"`
}

// Message is one turn of a chat, in a request or in a response.
type Message struct {
	Role     string `json:"role"`
	Content  string `json:"content"`
	Thinking string `json:"thinking,omitempty"`
	// Images are raw image bytes; encoding/json writes them as base64,
	// which is what Ollama expects.
	Images    [][]byte   `json:"images,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolName names the function whose result a role "tool" message holds.
	ToolName string `json:"tool_name,omitempty"`
	// ToolCallID is the id of the call a role "tool" message answers
	// (ToolCall.ID), for backends that match results to calls by id.
	ToolCallID string `json:"tool_call_id,omitempty"`
}

// ToolCall is a function call the model made.
type ToolCall struct {
	ID       string           `json:"id,omitempty"`
	Function ToolCallFunction `json:"function"`
}

// ToolCallFunction names the function and carries its arguments. Arguments
// stay raw JSON so the key order the model (or the client) chose survives
// a round trip.
type ToolCallFunction struct {
	Index     int             `json:"index,omitempty"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Tool offers one function to the model.
type Tool struct {
	Type     string       `json:"type"`
	Function ToolFunction `json:"function"`
}

// ToolFunction describes a function: its parameters are a JSON schema.
type ToolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
}

// ChatResponse is one line of a streamed /api/chat answer, or the whole
// answer when not streaming. Error is set on the line Ollama sends when it
// fails after the stream has started.
//
// Ollama's created_at is left out: nothing needs it, and parsing its
// time was a fifth of the cost of a relayed token.
type ChatResponse struct {
	Model              string        `json:"model"`
	Message            Message       `json:"message"`
	Done               bool          `json:"done"`
	DoneReason         string        `json:"done_reason,omitempty"`
	TotalDuration      time.Duration `json:"total_duration,omitempty"`
	LoadDuration       time.Duration `json:"load_duration,omitempty"`
	PromptEvalCount    int           `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration time.Duration `json:"prompt_eval_duration,omitempty"`
	EvalCount          int           `json:"eval_count,omitempty"`
	EvalDuration       time.Duration `json:"eval_duration,omitempty"`
	Error              string        `json:"error,omitempty"`
}

// ShowResponse is the part of POST /api/show that clawbridge reads.
type ShowResponse struct {
	Template string       `json:"template"`
	Details  ModelDetails `json:"details"`
	// Parameters are the Modelfile's PARAMETER lines, one "name value" per
	// line with the value padded: "num_ctx                        4096".
	Parameters string `json:"parameters"`
	// ModelInfo holds GGUF metadata such as "llama.context_length".
	ModelInfo map[string]any `json:"model_info"`
	// Capabilities lists what the model can do: "completion", "tools",
	// "thinking", "vision", "embedding", ...
	Capabilities []string `json:"capabilities"`
}

// ModelDetails summarises a model's format and size.
type ModelDetails struct {
	Format            string `json:"format"`
	Family            string `json:"family"`
	ParameterSize     string `json:"parameter_size"`
	QuantizationLevel string `json:"quantization_level"`
}

// TagsResponse is the answer of GET /api/tags: the models pulled locally.
type TagsResponse struct {
	Models []ListModel `json:"models"`
}

// ListModel is one pulled model.
type ListModel struct {
	Name       string       `json:"name"`
	Model      string       `json:"model"`
	ModifiedAt time.Time    `json:"modified_at"`
	Size       int64        `json:"size"`
	Digest     string       `json:"digest"`
	Details    ModelDetails `json:"details"`
}

// VersionResponse is the answer of GET /api/version.
type VersionResponse struct {
	Version string `json:"version"`
}
