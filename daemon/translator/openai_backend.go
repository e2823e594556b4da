package translator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/openaicompat"
)

// An OpenAI-compatible backend (litellm_params.model openai/<name> with an
// api_base) answers the same requests as Ollama: the request the
// translator built for Ollama is converted to Chat Completions, and the
// streamed chunks back into Ollama's, so everything after (the answer
// state machine, repair, both front ends) is the same for both kinds.

// openaiBackend speaks Ollama's Chat to an OpenAI-compatible server.
type openaiBackend struct {
	c *openaicompat.Client
}

func (b *openaiBackend) BaseURL() string { return b.c.BaseURL() }

// Chat sends req and hands each chunk to fn as an Ollama chunk. Errors
// are package upstream's, as the Ollama client's are.
func (b *openaiBackend) Chat(ctx context.Context, req *ollama.ChatRequest, fn func(*ollama.ChatResponse) error) error {
	conv := newChunkConverter(req)
	var fnErr error
	err := b.c.ChatStream(ctx, openAIRequest(req), func(ch *openaicompat.ChatCompletionChunk) error {
		for _, r := range conv.chunk(ch) {
			if fnErr = fn(r); fnErr != nil {
				return fnErr
			}
		}
		return nil
	})
	if err == nil || errors.Is(err, upstream.ErrIncomplete) {
		if last := conv.finish(); last != nil && (fnErr == nil) {
			if ferr := fn(last); ferr != nil {
				return ferr
			}
		}
	}
	return err
}

// openAIRequest converts a request built for Ollama into Chat Completions.
// Ollama-only settings (num_ctx, think, truncate) have no counterpart and
// are left out.
func openAIRequest(r *ollama.ChatRequest) *openaicompat.ChatRequest {
	out := &openaicompat.ChatRequest{Model: r.Model}
	if o := r.Options; o != nil {
		out.MaxTokens, out.Temperature, out.TopP, out.Seed = o.NumPredict, o.Temperature, o.TopP, o.Seed
		if len(o.Stop) > 0 {
			out.Stop, _ = json.Marshal(o.Stop)
		}
	}
	switch anthropic.JSONKind(r.Format) {
	case "string":
		out.ResponseFormat = &openaicompat.ResponseFormat{Type: "json_object"}
	case "object":
		out.ResponseFormat = &openaicompat.ResponseFormat{Type: "json_schema", JSONSchema: &openaicompat.JSONSchema{Name: "answer", Schema: r.Format}}
	}
	for _, t := range r.Tools {
		out.Tools = append(out.Tools, openaicompat.Tool{Type: "function", Function: openaicompat.Function{
			Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters}})
	}
	for _, m := range r.Messages {
		om := openaicompat.Message{Role: m.Role, ToolCallID: m.ToolCallID}
		switch {
		case len(m.Images) > 0:
			parts := []openaicompat.ContentPart{}
			if m.Content != "" {
				parts = append(parts, openaicompat.ContentPart{Type: "text", Text: m.Content})
			}
			for _, img := range m.Images {
				url := "data:" + http.DetectContentType(img) + ";base64," + base64.StdEncoding.EncodeToString(img)
				parts = append(parts, openaicompat.ContentPart{Type: "image_url", ImageURL: &openaicompat.ImageURL{URL: url}})
			}
			om.Content, _ = json.Marshal(parts)
		case m.Content == "" && len(m.ToolCalls) > 0:
			om.Content = json.RawMessage("null")
		default:
			om.Content, _ = json.Marshal(m.Content)
		}
		for i, tc := range m.ToolCalls {
			id := tc.ID
			if id == "" {
				id = "call_" + strconv.Itoa(i)
			}
			args := string(tc.Function.Arguments)
			if args == "" || args == "null" {
				args = "{}"
			}
			om.ToolCalls = append(om.ToolCalls, openaicompat.ToolCall{ID: id, Type: "function",
				Function: openaicompat.FunctionCall{Name: tc.Function.Name, Arguments: args}})
		}
		out.Messages = append(out.Messages, om)
	}
	return out
}

// chunkConverter turns streamed Chat Completions chunks into Ollama's.
// Tool calls arrive in pieces (name first, then the arguments in parts);
// Ollama delivers each call whole, so they are collected and delivered
// once the answer finishes.
type chunkConverter struct {
	model        string
	thinking     bool // reasoning output was asked for; else it is dropped
	calls        []*ollama.ToolCall
	byIndex      map[int]int
	args         []string
	finishReason string
	usage        *openaicompat.Usage
	done         bool
}

func newChunkConverter(req *ollama.ChatRequest) *chunkConverter {
	thinking := len(req.Think) > 0 && string(req.Think) != "false"
	return &chunkConverter{model: req.Model, thinking: thinking, byIndex: map[int]int{}}
}

// chunk converts one chunk; it may yield nothing (a tool call's pieces).
func (c *chunkConverter) chunk(ch *openaicompat.ChatCompletionChunk) []*ollama.ChatResponse {
	if ch.Usage != nil {
		c.usage = ch.Usage
	}
	var out []*ollama.ChatResponse
	for _, choice := range ch.Choices {
		if choice.Index != 0 {
			continue
		}
		d := choice.Delta
		msg := ollama.Message{Role: "assistant"}
		if d.Content != nil {
			msg.Content = *d.Content
		}
		if c.thinking {
			if d.ReasoningContent != nil {
				msg.Thinking += *d.ReasoningContent
			}
			if d.Reasoning != nil {
				msg.Thinking += *d.Reasoning
			}
		}
		for _, tc := range d.ToolCalls {
			idx := len(c.calls)
			if tc.Index != nil {
				idx = *tc.Index
			}
			k, ok := c.byIndex[idx]
			if !ok {
				k = len(c.calls)
				c.byIndex[idx] = k
				c.calls = append(c.calls, &ollama.ToolCall{ID: tc.ID})
				c.args = append(c.args, "")
			}
			c.calls[k].Function.Name += tc.Function.Name
			c.args[k] += tc.Function.Arguments
		}
		if choice.FinishReason != nil && *choice.FinishReason != "" {
			c.finishReason = *choice.FinishReason
		}
		if msg.Content != "" || msg.Thinking != "" {
			out = append(out, &ollama.ChatResponse{Model: c.model, Message: msg})
		}
	}
	return out
}

// finish returns the last chunk: the collected tool calls, the done
// reason and the token counts. Nil if it was returned already.
func (c *chunkConverter) finish() *ollama.ChatResponse {
	if c.done {
		return nil
	}
	c.done = true
	last := &ollama.ChatResponse{Model: c.model, Message: ollama.Message{Role: "assistant"}, Done: true, DoneReason: "stop"}
	for i, tc := range c.calls {
		tc.Function.Arguments = callArguments(c.args[i])
		last.Message.ToolCalls = append(last.Message.ToolCalls, *tc)
	}
	if c.finishReason == "length" {
		last.DoneReason = "length"
	}
	if c.usage != nil {
		last.PromptEvalCount, last.EvalCount = c.usage.PromptTokens, c.usage.CompletionTokens
	}
	return last
}

// callArguments turns a streamed call's arguments into the JSON object a
// tool_use input must be. Arguments encoded twice (a JSON string holding
// the object, as some servers send) are decoded once more; anything else
// that is not an object (arguments cut short, an array, a number) is
// passed as {"arguments": <the text>} rather than as invalid input.
func callArguments(args string) json.RawMessage {
	args = strings.TrimSpace(args)
	if args == "" {
		return json.RawMessage("{}")
	}
	raw := json.RawMessage(args)
	if json.Valid(raw) && anthropic.JSONKind(raw) == "object" {
		return raw
	}
	var inner string
	if json.Unmarshal(raw, &inner) == nil && json.Valid([]byte(inner)) && anthropic.JSONKind(json.RawMessage(inner)) == "object" {
		return json.RawMessage(inner)
	}
	b, _ := json.Marshal(args)
	return json.RawMessage(`{"arguments":` + string(b) + `}`)
}
