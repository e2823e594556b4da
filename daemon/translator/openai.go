package translator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/openaicompat"
)

// The OpenAI front end: POST /v1/chat/completions, as LiteLLM also
// served it on the same port. A request is decoded into the same request
// the Messages API produces, goes to the same backends with the same
// auth, routing, repair and context sizing, and the answer is written in
// Chat Completions' shape: a chat.completion, or chat.completion.chunk
// events ending with data: [DONE].

// openaiRequest is a decoded Chat Completions request: the common request
// and what only this API asks for.
type openaiRequest struct {
	*anthropic.Request
	// includeUsage adds the usage chunk at the end of a stream.
	includeUsage bool
}

// decodeOpenAIRequest parses and validates a /v1/chat/completions body.
// Every error is a 400 whose message starts with the offending field.
func decodeOpenAIRequest(body []byte) (*openaiRequest, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, anthropic.InvalidRequest("request body is empty: send a JSON object")
	}
	var in openaicompat.ChatRequest
	if err := json.Unmarshal(body, &in); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, anthropic.InvalidRequest("request body is not valid JSON: %v (at byte %d)", err, se.Offset)
		}
		return nil, anthropic.FieldError("", err)
	}
	if in.Model == "" {
		return nil, anthropic.InvalidRequest("model: field required")
	}
	if len(in.Messages) == 0 {
		return nil, anthropic.InvalidRequest("messages: at least one message is required")
	}
	if in.N != nil && *in.N != 1 {
		return nil, anthropic.InvalidRequest("n: only 1 is supported, got %d", *in.N)
	}
	r := &anthropic.Request{Model: in.Model, Stream: in.Stream, Temperature: in.Temperature, TopP: in.TopP, Seed: in.Seed}
	for _, m := range []struct {
		name string
		v    *int
	}{{"max_tokens", in.MaxTokens}, {"max_completion_tokens", in.MaxCompletionTokens}} {
		if m.v != nil {
			if *m.v < 1 {
				return nil, anthropic.InvalidRequest("%s: must be at least 1, got %d", m.name, *m.v)
			}
			r.MaxTokens = *m.v
		}
	}
	stops, err := decodeStop(in.Stop)
	if err != nil {
		return nil, err
	}
	r.StopSequences = stops
	if f := in.ResponseFormat; f != nil {
		switch f.Type {
		case "text", "":
		case "json_object":
			r.Format = json.RawMessage(`"json"`)
		case "json_schema":
			if f.JSONSchema == nil || anthropic.JSONKind(f.JSONSchema.Schema) != "object" {
				return nil, anthropic.InvalidRequest("response_format.json_schema.schema: expected object")
			}
			r.Format = f.JSONSchema.Schema
		default:
			return nil, anthropic.InvalidRequest(`response_format.type: expected "text", "json_object" or "json_schema", got %q`, f.Type)
		}
	}
	switch in.ReasoningEffort {
	case "", "none", "minimal":
	case "low", "medium", "high":
		r.Thinking = anthropic.Thinking{Enabled: true, Level: in.ReasoningEffort}
	default:
		return nil, anthropic.InvalidRequest(`reasoning_effort: expected "low", "medium" or "high", got %q`, in.ReasoningEffort)
	}
	c := openaiConverter{r: r, toolNames: map[string]string{}}
	for i, m := range in.Messages {
		if err := c.message(fmt.Sprintf("messages.%d", i), &m); err != nil {
			return nil, err
		}
	}
	if err := decodeOpenAITools(r, in.Tools, in.ToolChoice); err != nil {
		return nil, err
	}
	return &openaiRequest{Request: r, includeUsage: in.StreamOptions != nil && in.StreamOptions.IncludeUsage}, nil
}

// decodeStop reads stop: a string or an array of strings.
func decodeStop(raw json.RawMessage) ([]string, error) {
	switch anthropic.JSONKind(raw) {
	case "nothing", "null":
		return nil, nil
	case "string":
		var s string
		json.Unmarshal(raw, &s)
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	case "array":
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, anthropic.FieldError("stop", err)
		}
		out := list[:0]
		for _, s := range list {
			if s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	default:
		return nil, anthropic.InvalidRequest("stop: expected string or array of strings, got %s", anthropic.JSONKind(raw))
	}
}

// openaiConverter turns Chat Completions messages into Ollama's,
// remembering the function name of each tool call id for the results.
type openaiConverter struct {
	r         *anthropic.Request
	toolNames map[string]string
}

func (c *openaiConverter) message(path string, m *openaicompat.Message) error {
	switch m.Role {
	case "system", "developer":
		text, err := c.text(path+".content", m.Content)
		if err != nil {
			return err
		}
		c.r.Messages = append(c.r.Messages, ollama.Message{Role: "system", Content: text})
	case "user":
		return c.user(path, m.Content)
	case "assistant":
		return c.assistant(path, m)
	case "tool":
		if m.ToolCallID == "" {
			return anthropic.InvalidRequest("%s.tool_call_id: field required", path)
		}
		name, ok := c.toolNames[m.ToolCallID]
		if !ok {
			return anthropic.InvalidRequest("%s.tool_call_id: no earlier assistant message has a tool call with id %q", path, m.ToolCallID)
		}
		text, err := c.text(path+".content", m.Content)
		if err != nil {
			return err
		}
		c.r.Messages = append(c.r.Messages, ollama.Message{Role: "tool", Content: text, ToolName: name, ToolCallID: m.ToolCallID})
	case "function":
		return anthropic.InvalidRequest(`%s.role: "function" messages are deprecated and not supported: use tool_calls and "tool" messages`, path)
	case "":
		return anthropic.InvalidRequest("%s.role: field required", path)
	default:
		return anthropic.InvalidRequest(`%s.role: expected "system", "developer", "user", "assistant" or "tool", got %q`, path, m.Role)
	}
	return nil
}

// parts decodes content that is an array of parts.
func parts(path string, raw json.RawMessage) ([]openaicompat.ContentPart, error) {
	return anthropic.TypedArray(path, raw, func(p *openaicompat.ContentPart) string { return p.Type })
}

// text reads content that may only hold text: a string, null, or text
// parts joined with blank lines.
func (c *openaiConverter) text(path string, raw json.RawMessage) (string, error) {
	switch anthropic.JSONKind(raw) {
	case "nothing", "null":
		return "", nil
	case "string":
		s, _, err := anthropic.AsString(path, raw)
		return s, err
	case "array":
		ps, err := parts(path, raw)
		if err != nil {
			return "", err
		}
		var texts []string
		for i, p := range ps {
			switch p.Type {
			case "text", "refusal":
				texts = append(texts, p.Text)
			default:
				return "", anthropic.InvalidRequest(`%s.%d.type: expected "text", got %q`, path, i, p.Type)
			}
		}
		return strings.Join(texts, "\n\n"), nil
	default:
		return "", anthropic.InvalidRequest("%s: expected string or array of content parts, got %s", path, anthropic.JSONKind(raw))
	}
}

func (c *openaiConverter) user(path string, raw json.RawMessage) error {
	cp := path + ".content"
	if anthropic.JSONKind(raw) != "array" {
		if anthropic.IsAbsent(raw) {
			return anthropic.InvalidRequest("%s: field required", cp)
		}
		text, err := c.text(cp, raw)
		if err != nil {
			return err
		}
		c.r.Messages = append(c.r.Messages, ollama.Message{Role: "user", Content: text})
		return nil
	}
	ps, err := parts(cp, raw)
	if err != nil {
		return err
	}
	msg := ollama.Message{Role: "user"}
	var texts []string
	for i, p := range ps {
		pp := fmt.Sprintf("%s.%d", cp, i)
		switch p.Type {
		case "text":
			texts = append(texts, p.Text)
		case "image_url":
			img, err := dataURLImage(pp+".image_url.url", p.ImageURL)
			if err != nil {
				return err
			}
			msg.Images = append(msg.Images, img)
			c.r.HasImages = true
		default:
			return anthropic.InvalidRequest(`%s.type: content parts of type %q are not supported (send "text" or "image_url")`, pp, p.Type)
		}
	}
	msg.Content = strings.Join(texts, "\n\n")
	c.r.Messages = append(c.r.Messages, msg)
	return nil
}

// dataURLImage decodes an image given as a data: URL; Ollama cannot fetch
// images from the web.
func dataURLImage(path string, u *openaicompat.ImageURL) ([]byte, error) {
	if u == nil || u.URL == "" {
		return nil, anthropic.InvalidRequest("%s: field required", path)
	}
	rest, ok := strings.CutPrefix(u.URL, "data:")
	if !ok {
		return nil, anthropic.InvalidRequest("%s: image URLs are not supported (Ollama cannot fetch them): send the image as a data:image/...;base64,... URL", path)
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return nil, anthropic.InvalidRequest("%s: expected a base64 data URL (data:image/png;base64,...)", path)
	}
	if mt := strings.TrimSuffix(meta, ";base64"); !anthropic.IsImageType(mt) {
		return nil, anthropic.InvalidRequest("%s: expected image/jpeg, image/png, image/gif or image/webp, got %q", path, mt)
	}
	img, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, anthropic.InvalidRequest("%s: invalid base64: %v", path, err)
	}
	return img, nil
}

func (c *openaiConverter) assistant(path string, m *openaicompat.Message) error {
	text, err := c.text(path+".content", m.Content)
	if err != nil {
		return err
	}
	msg := ollama.Message{Role: "assistant", Content: text}
	for i, tc := range m.ToolCalls {
		tp := fmt.Sprintf("%s.tool_calls.%d", path, i)
		if tc.ID == "" {
			return anthropic.InvalidRequest("%s.id: field required", tp)
		}
		if tc.Function.Name == "" {
			return anthropic.InvalidRequest("%s.function.name: field required", tp)
		}
		args := strings.TrimSpace(tc.Function.Arguments)
		if args == "" {
			args = "{}"
		}
		if anthropic.JSONKind(json.RawMessage(args)) != "object" || !json.Valid([]byte(args)) {
			return anthropic.InvalidRequest("%s.function.arguments: expected a JSON object encoded as a string", tp)
		}
		c.toolNames[tc.ID] = tc.Function.Name
		msg.ToolCalls = append(msg.ToolCalls, ollama.ToolCall{ID: tc.ID, Function: ollama.ToolCallFunction{Name: tc.Function.Name, Arguments: json.RawMessage(args)}})
	}
	c.r.Messages = append(c.r.Messages, msg)
	return nil
}

// decodeOpenAITools converts function tools and applies tool_choice as
// far as Ollama can: "none" offers none, a named function only that one,
// "required" all (Ollama cannot force a call).
func decodeOpenAITools(r *anthropic.Request, tools []openaicompat.Tool, choice json.RawMessage) error {
	seen := map[string]bool{}
	for i, t := range tools {
		path := fmt.Sprintf("tools.%d", i)
		if t.Type != "function" {
			return anthropic.InvalidRequest(`%s.type: expected "function", got %q`, path, t.Type)
		}
		if t.Function.Name == "" {
			return anthropic.InvalidRequest("%s.function.name: field required", path)
		}
		if seen[t.Function.Name] {
			return anthropic.InvalidRequest("%s.function.name: tool name %q is used twice", path, t.Function.Name)
		}
		seen[t.Function.Name] = true
		params := t.Function.Parameters
		switch anthropic.JSONKind(params) {
		case "nothing", "null":
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		case "object":
		default:
			return anthropic.InvalidRequest("%s.function.parameters: expected object, got %s", path, anthropic.JSONKind(params))
		}
		r.Tools = append(r.Tools, ollama.Tool{Type: "function",
			Function: ollama.ToolFunction{Name: t.Function.Name, Description: t.Function.Description, Parameters: params}})
	}
	switch anthropic.JSONKind(choice) {
	case "nothing", "null":
	case "string":
		var s string
		json.Unmarshal(choice, &s)
		switch s {
		case "auto", "required":
		case "none":
			r.Tools = nil
		default:
			return anthropic.InvalidRequest(`tool_choice: expected "none", "auto", "required" or a function, got %q`, s)
		}
	case "object":
		var tc struct {
			Type     string `json:"type"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if err := anthropic.DecodeAt("tool_choice", choice, &tc); err != nil {
			return err
		}
		if tc.Function.Name == "" {
			return anthropic.InvalidRequest("tool_choice.function.name: field required")
		}
		for _, t := range r.Tools {
			if t.Function.Name == tc.Function.Name {
				r.Tools = []ollama.Tool{t}
				return nil
			}
		}
		return anthropic.InvalidRequest("tool_choice.function.name: no tool named %q in tools", tc.Function.Name)
	default:
		return anthropic.InvalidRequest("tool_choice: expected string or object, got %s", anthropic.JSONKind(choice))
	}
	return nil
}

// chatCompletions answers POST /v1/chat/completions.
func (s *Server) chatCompletions(x *exchange) {
	req, ok := readRequest(x, decodeOpenAIRequest)
	if !ok {
		return
	}
	x.chat(req.Request, openaiAPI{s: s, includeUsage: req.includeUsage})
}

// openaiAPI is the Chat Completions front end.
type openaiAPI struct {
	s            *Server
	includeUsage bool
}

func (f openaiAPI) toolIDPrefix() string { return "call_" }

func (f openaiAPI) newStream(t target, cfg anthropic.AnswerConfig) streamOutput {
	o := &openaiStream{t: t, frames: newChunkFrames(f.head(t), f.includeUsage)}
	o.ans = anthropic.NewAnswer(o, cfg)
	o.frames.emit(openaicompat.Delta{Role: "assistant", Content: new(string)}, nil)
	return o
}

func (f openaiAPI) newCollect(t target, cfg anthropic.AnswerConfig) collectOutput {
	o := &openaiCollector{t: t, head: f.head(t)}
	o.ans = anthropic.NewAnswer(o, cfg)
	return o
}

// head is what every chunk of an answer repeats.
func (f openaiAPI) head(t target) chunkHead {
	return chunkHead{id: f.s.newID("chatcmpl-"), created: time.Now().Unix(), model: t.Alias}
}

type chunkHead struct {
	id      string
	created int64
	model   string
}

// finishReason maps a stop reason onto Chat Completions'.
func finishReason(stopReason string) string {
	switch stopReason {
	case "max_tokens":
		return "length"
	case "tool_use":
		return "tool_calls"
	}
	return "stop"
}

// openaiCollector collects an answer into one chat.completion.
type openaiCollector struct {
	t     target
	head  chunkHead
	ans   *anthropic.Answer
	text  strings.Builder
	think strings.Builder
	calls []openaicompat.ToolCall
	args  strings.Builder
	stop  string
	usage anthropic.Usage
}

func (o *openaiCollector) BlockStart(index int, kind anthropic.BlockKind, id, name string) {
	if kind == anthropic.ToolUseBlock {
		o.calls = append(o.calls, openaicompat.ToolCall{ID: id, Type: "function", Function: openaicompat.FunctionCall{Name: name}})
		o.args.Reset()
	}
}

func (o *openaiCollector) BlockDelta(index int, kind anthropic.BlockKind, s string) {
	switch kind {
	case anthropic.TextBlock:
		o.text.WriteString(s)
	case anthropic.ThinkingBlock:
		o.think.WriteString(s)
	case anthropic.ToolUseBlock:
		o.args.WriteString(s)
	}
}

func (o *openaiCollector) BlockStop(index int, kind anthropic.BlockKind) {
	if kind == anthropic.ToolUseBlock {
		args := o.args.String()
		if args == "" {
			args = "{}"
		}
		o.calls[len(o.calls)-1].Function.Arguments = args
	}
}

func (o *openaiCollector) MessageEnd(stopReason, stopSequence string, u anthropic.Usage) {
	o.stop, o.usage = stopReason, u
}

func (o *openaiCollector) chunk(c *ollama.ChatResponse) bool { return o.ans.Add(c) }
func (o *openaiCollector) started(a *attempt)                { o.t = a.target }
func (o *openaiCollector) answer() *anthropic.Answer         { return o.ans }

func (o *openaiCollector) end(err error) (any, *anthropic.Error) {
	if !o.ans.Close(err) {
		return nil, o.t.errorFor(err)
	}
	msg := openaicompat.ResponseMessage{Role: "assistant", ToolCalls: o.calls, ReasoningContent: o.think.String()}
	if text := o.text.String(); text != "" || len(o.calls) == 0 {
		msg.Content = &text
	}
	return openaicompat.ChatCompletion{ID: o.head.id, Object: "chat.completion", Created: o.head.created, Model: o.head.model,
		Choices: []openaicompat.Choice{{Message: msg, Logprobs: json.RawMessage("null"), FinishReason: finishReason(o.stop)}},
		Usage:   openAIUsage(o.usage)}, nil
}

// openAIError is an error in Chat Completions' shape: Anthropic's 529
// overloaded becomes 503 (which the openai SDKs retry), and the error
// types and codes become OpenAI's.
func openAIError(ae *anthropic.Error) (int, openaicompat.ErrorResponse) {
	status, typ, code := ae.Status, "invalid_request_error", ""
	switch ae.Type {
	case "authentication_error":
		code = "invalid_api_key"
	case "permission_error":
		code = "permission_denied"
	case "not_found_error":
		code = "model_not_found"
	case "request_too_large":
		code = "request_too_large"
	case "overloaded_error":
		status, typ, code = http.StatusServiceUnavailable, "server_error", "overloaded"
	case "timeout_error":
		typ, code = "server_error", "timeout"
	case "api_error":
		typ = "server_error"
	}
	body := openaicompat.ErrorResponse{Error: openaicompat.ErrorBody{Message: ae.Message, Type: typ}}
	if code != "" {
		body.Error.Code = &code
	}
	return status, body
}
