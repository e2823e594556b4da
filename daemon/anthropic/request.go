package anthropic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// Request is a validated /v1/messages request, converted to Ollama's terms
// as far as that can go without knowing which backend model answers it.
// OllamaRequest finishes the job once the model's capabilities are known.
type Request struct {
	Model string
	// MaxTokens limits the answer; 0 means the client set no limit (OpenAI
	// clients may leave it out).
	MaxTokens int
	Stream    bool

	Messages []ollama.Message
	Tools    []ollama.Tool
	// DroppedTools names the server tools (web search, code execution, ...)
	// left out because a local model cannot run them, for the log.
	DroppedTools []string

	Temperature   *float64
	TopP          *float64
	TopK          *int
	Seed          *int
	StopSequences []string
	// Format is Ollama's format: "json" or a JSON schema (OpenAI's
	// response_format); nil leaves the answer free.
	Format json.RawMessage

	Thinking Thinking
	// HasImages is set when any message carries an image, so that a model
	// without vision gets a clear error instead of a confused answer.
	HasImages bool
}

// Thinking is what the client asked for: Enabled, and how hard to think
// ("low", "medium", "high", or "" when it did not say).
type Thinking struct {
	Enabled bool
	Level   string
}

// imageTypes are the image media types the Messages API accepts.
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// IsImageType reports whether the Messages API accepts images of media
// type mt (and so whether a local model may be sent one).
func IsImageType(mt string) bool { return imageTypes[mt] }

// DecodeRequest parses and validates a /v1/messages body. Every error is a
// 400 invalid_request_error whose message starts with the path of the
// offending field.
func DecodeRequest(body []byte) (*Request, error) {
	return decodeBody(body, true)
}

// DecodeCountRequest parses a /v1/messages/count_tokens body: a messages
// body without max_tokens.
func DecodeCountRequest(body []byte) (*Request, error) {
	return decodeBody(body, false)
}

func decodeBody(body []byte, needMaxTokens bool) (*Request, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, InvalidRequest("request body is empty: send a JSON object")
	}
	var in MessagesRequest
	if readFast(body, &in, false) {
		return convertBody(&in, needMaxTokens)
	}
	if err := json.Unmarshal(body, &in); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, InvalidRequest("request body is not valid JSON: %v (at byte %d)", err, se.Offset)
		}
		return nil, FieldError("", err)
	}
	return convertBody(&in, needMaxTokens)
}

// convertBody validates a decoded body and converts it.
func convertBody(in *MessagesRequest, needMaxTokens bool) (*Request, error) {
	if in.Model == "" {
		return nil, InvalidRequest("model: field required")
	}
	if in.MaxTokens == nil && needMaxTokens {
		return nil, InvalidRequest("max_tokens: field required")
	}
	if in.MaxTokens != nil && *in.MaxTokens < 1 {
		return nil, InvalidRequest("max_tokens: must be at least 1, got %d", *in.MaxTokens)
	}
	if len(in.Messages) == 0 {
		return nil, InvalidRequest("messages: at least one message is required")
	}
	for i, s := range in.StopSequences {
		if s == "" {
			return nil, InvalidRequest("stop_sequences.%d: must not be empty", i)
		}
	}
	r := &Request{
		Model:         in.Model,
		Stream:        in.Stream,
		Temperature:   in.Temperature,
		TopP:          in.TopP,
		TopK:          in.TopK,
		StopSequences: in.StopSequences,
		// One message each, and the system prompt: most turns convert
		// into one Ollama message, so the list rarely grows.
		Messages: make([]ollama.Message, 0, len(in.Messages)+1),
	}
	if in.MaxTokens != nil {
		r.MaxTokens = *in.MaxTokens
	}
	var err error
	if r.Thinking, err = decodeThinking(in.Thinking, in.OutputConfig); err != nil {
		return nil, err
	}
	if err := r.decodeSystem(in.System); err != nil {
		return nil, err
	}
	c := converter{r: r, toolNames: map[string]string{}}
	for i, raw := range in.Messages {
		if err := c.message(fmt.Sprintf("messages.%d", i), raw); err != nil {
			return nil, err
		}
	}
	if err := r.decodeTools(in.Tools, in.ToolChoice); err != nil {
		return nil, err
	}
	return r, nil
}

func decodeThinking(t *ThinkingConfig, oc *OutputConfig) (Thinking, error) {
	var out Thinking
	if t != nil {
		switch t.Type {
		case "enabled":
			out.Enabled = true
			switch {
			case t.BudgetTokens <= 0:
			case t.BudgetTokens < 4096:
				out.Level = "low"
			case t.BudgetTokens < 16384:
				out.Level = "medium"
			default:
				out.Level = "high"
			}
		case "adaptive":
			out.Enabled = true
		case "disabled":
		default:
			return out, InvalidRequest(`thinking.type: expected "enabled", "adaptive" or "disabled", got %q`, t.Type)
		}
	}
	if oc != nil && oc.Effort != "" {
		switch oc.Effort {
		case "low", "medium", "high":
			out.Level = oc.Effort
		case "xhigh", "max":
			out.Level = "high"
		default:
			return out, InvalidRequest(`output_config.effort: expected "low", "medium", "high", "xhigh" or "max", got %q`, oc.Effort)
		}
	}
	return out, nil
}

// decodeSystem turns the top-level system prompt (a string or text blocks,
// joined with blank lines) into a leading system message.
func (r *Request) decodeSystem(raw json.RawMessage) error {
	if IsAbsent(raw) {
		return nil
	}
	text, err := textOnly("system", raw)
	if err != nil {
		return err
	}
	if text != "" {
		r.Messages = append(r.Messages, ollama.Message{Role: "system", Content: text})
	}
	return nil
}

// textOnly reads content that may only hold text: a string or an array of
// text blocks, joined with blank lines.
func textOnly(path string, raw json.RawMessage) (string, error) {
	if s, ok, err := AsString(path, raw); err != nil || ok {
		return s, err
	}
	blocks, err := blockArray(path, raw)
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, len(blocks))
	for i, b := range blocks {
		if b.Type != "text" {
			return "", InvalidRequest(`%s.%d.type: expected "text", got %q`, path, i, b.Type)
		}
		parts = append(parts, b.Text)
	}
	return strings.Join(parts, "\n\n"), nil
}

// converter turns Anthropic messages into Ollama ones. It remembers the
// name of every tool_use id it has seen, because Ollama's tool messages
// name the function while Anthropic's tool_result only names the call.
type converter struct {
	r         *Request
	toolNames map[string]string
}

func (c *converter) message(path string, raw json.RawMessage) error {
	var m MessageParam
	if err := decodeAt(path, raw, &m, true); err != nil {
		return err
	}
	if IsAbsent(m.Content) {
		return InvalidRequest("%s.content: field required", path)
	}
	switch m.Role {
	case "user":
		return c.user(path, m.Content)
	case "assistant":
		return c.assistant(path, m.Content)
	case "system":
		text, err := textOnly(path+".content", m.Content)
		if err != nil {
			return err
		}
		c.r.Messages = append(c.r.Messages, ollama.Message{Role: "system", Content: text})
		return nil
	case "":
		return InvalidRequest("%s.role: field required", path)
	default:
		return InvalidRequest(`%s.role: expected "user" or "assistant", got %q`, path, m.Role)
	}
}

// user converts a user turn. Tool results become role "tool" messages of
// their own, in order; the text and images around them become user
// messages, so the model sees everything in the order it was sent.
func (c *converter) user(path string, content json.RawMessage) error {
	if s, ok, err := AsString(path+".content", content); err != nil {
		return err
	} else if ok {
		c.r.Messages = append(c.r.Messages, ollama.Message{Role: "user", Content: s})
		return nil
	}
	blocks, err := blockArray(path+".content", content)
	if err != nil {
		return err
	}
	var (
		run     media
		emitted bool
	)
	flush := func() {
		if len(run.texts) > 0 || len(run.images) > 0 {
			c.r.Messages = append(c.r.Messages, ollama.Message{Role: "user", Content: strings.Join(run.texts, "\n\n"), Images: run.images})
			run, emitted = media{}, true
		}
	}
	for i, b := range blocks {
		bp := fmt.Sprintf("%s.content.%d", path, i)
		if ok, err := c.addMedia(bp, &b, &run); err != nil {
			return err
		} else if ok {
			continue
		}
		switch b.Type {
		case "tool_result":
			flush()
			msg, err := c.toolResult(bp, &b)
			if err != nil {
				return err
			}
			c.r.Messages = append(c.r.Messages, msg)
			emitted = true
		case "thinking", "redacted_thinking":
			// Thinking belongs to the model's own turns; it is never replayed.
		case "tool_use":
			return InvalidRequest("%s.type: tool_use blocks belong in assistant messages", bp)
		default:
			return unsupportedBlock(bp, b.Type)
		}
	}
	flush()
	if !emitted {
		c.r.Messages = append(c.r.Messages, ollama.Message{Role: "user"})
	}
	return nil
}

// assistant converts one of the model's earlier turns: text joined, tool
// calls kept with their arguments verbatim, thinking dropped (local models
// neither need nor can verify it).
func (c *converter) assistant(path string, content json.RawMessage) error {
	msg := ollama.Message{Role: "assistant"}
	if s, ok, err := AsString(path+".content", content); err != nil {
		return err
	} else if ok {
		msg.Content = s
		c.r.Messages = append(c.r.Messages, msg)
		return nil
	}
	blocks, err := blockArray(path+".content", content)
	if err != nil {
		return err
	}
	var texts []string
	for i, b := range blocks {
		bp := fmt.Sprintf("%s.content.%d", path, i)
		switch b.Type {
		case "text":
			texts = append(texts, b.Text)
		case "tool_use":
			call, err := c.toolUse(bp, &b)
			if err != nil {
				return err
			}
			msg.ToolCalls = append(msg.ToolCalls, call)
		case "thinking", "redacted_thinking":
		case "tool_result", "image", "document":
			return InvalidRequest("%s.type: %s blocks belong in user messages", bp, b.Type)
		default:
			return unsupportedBlock(bp, b.Type)
		}
	}
	msg.Content = strings.Join(texts, "\n\n")
	c.r.Messages = append(c.r.Messages, msg)
	return nil
}

func (c *converter) toolUse(path string, b *RequestBlock) (ollama.ToolCall, error) {
	if b.ID == "" {
		return ollama.ToolCall{}, InvalidRequest("%s.id: field required", path)
	}
	if b.Name == "" {
		return ollama.ToolCall{}, InvalidRequest("%s.name: field required", path)
	}
	args := json.RawMessage("{}")
	if !IsAbsent(b.Input) {
		if k := JSONKind(b.Input); k != "object" {
			return ollama.ToolCall{}, InvalidRequest("%s.input: expected object, got %s", path, k)
		}
		args = b.Input
	}
	c.toolNames[b.ID] = b.Name
	return ollama.ToolCall{ID: b.ID, Function: ollama.ToolCallFunction{Name: b.Name, Arguments: args}}, nil
}

// toolResult converts a tool_result block into a role "tool" message
// naming the function, with a failed call's output marked as an error.
func (c *converter) toolResult(path string, b *RequestBlock) (ollama.Message, error) {
	if b.ToolUseID == "" {
		return ollama.Message{}, InvalidRequest("%s.tool_use_id: field required", path)
	}
	name, ok := c.toolNames[b.ToolUseID]
	if !ok {
		return ollama.Message{}, InvalidRequest("%s.tool_use_id: no earlier tool_use block has id %q", path, b.ToolUseID)
	}
	msg := ollama.Message{Role: "tool", ToolName: name, ToolCallID: b.ToolUseID}
	cp := path + ".content"
	switch s, isString, err := AsString(cp, b.Content); {
	case err != nil:
		return msg, err
	case isString:
		msg.Content = s
	case IsAbsent(b.Content):
	default:
		blocks, err := blockArray(cp, b.Content)
		if err != nil {
			return msg, err
		}
		var res media
		for i, inner := range blocks {
			ip := fmt.Sprintf("%s.%d", cp, i)
			if ok, err := c.addMedia(ip, &inner, &res); err != nil {
				return msg, err
			} else if !ok {
				return msg, unsupportedBlock(ip, inner.Type)
			}
		}
		msg.Content, msg.Images = strings.Join(res.texts, "\n"), res.images
	}
	if b.IsError && !hasPrefixFold(msg.Content, "error") {
		msg.Content = strings.TrimSpace("Error: " + msg.Content)
	}
	return msg, nil
}

// media is the text and images of a run of content blocks.
type media struct {
	texts  []string
	images [][]byte
}

// addMedia adds a text, image or document block to m; false means b is of
// another type, which the caller handles.
func (c *converter) addMedia(path string, b *RequestBlock, m *media) (bool, error) {
	switch b.Type {
	case "text":
		m.texts = append(m.texts, b.Text)
	case "image":
		img, err := c.image(path, b.Source)
		if err != nil {
			return true, err
		}
		m.images = append(m.images, img)
	case "document":
		text, err := document(path, b)
		if err != nil {
			return true, err
		}
		m.texts = append(m.texts, text)
	default:
		return false, nil
	}
	return true, nil
}

// image decodes a base64 image source; Ollama takes the raw bytes.
func (c *converter) image(path string, src *BlockSource) ([]byte, error) {
	if src == nil {
		return nil, InvalidRequest("%s.source: field required", path)
	}
	switch src.Type {
	case "base64":
	case "url":
		return nil, InvalidRequest("%s.source.type: image URLs are not supported (Ollama cannot fetch them): send the image as base64 data", path)
	case "file":
		return nil, InvalidRequest("%s.source.type: Files API images are not supported: send the image as base64 data", path)
	case "":
		return nil, InvalidRequest("%s.source.type: field required", path)
	default:
		return nil, InvalidRequest(`%s.source.type: expected "base64", got %q`, path, src.Type)
	}
	if !imageTypes[src.MediaType] {
		return nil, InvalidRequest("%s.source.media_type: expected image/jpeg, image/png, image/gif or image/webp, got %q", path, src.MediaType)
	}
	if src.Data == "" {
		return nil, InvalidRequest("%s.source.data: field required", path)
	}
	img, err := base64.StdEncoding.DecodeString(src.Data)
	if err != nil {
		return nil, InvalidRequest("%s.source.data: invalid base64: %v", path, err)
	}
	c.r.HasImages = true
	return img, nil
}

// document inlines a plain-text document (a "text" source, or a "content"
// source of text blocks) as text; local models cannot read PDFs.
func document(path string, b *RequestBlock) (string, error) {
	src := b.Source
	if src == nil {
		return "", InvalidRequest("%s.source: field required", path)
	}
	var text string
	switch src.Type {
	case "text":
		text = src.Data
	case "content":
		t, err := textOnly(path+".source.content", src.Content)
		if err != nil {
			return "", err
		}
		text = t
	case "base64", "url", "file":
		return "", InvalidRequest("%s.source.type: %s documents (PDFs) are not supported by local models: extract the text and send it as a text block", path, src.Type)
	default:
		return "", InvalidRequest(`%s.source.type: expected "text" or "content", got %q`, path, src.Type)
	}
	if b.Title != "" {
		text = b.Title + "\n\n" + text
	}
	return text, nil
}

// decodeTools converts custom tools into Ollama function tools, leaving
// out server tools, and applies tool_choice as far as Ollama can: "none"
// offers no tools and "tool" offers only the named one (Ollama cannot force
// a call, so "any" offers them all).
func (r *Request) decodeTools(raws []json.RawMessage, choice *ToolChoice) error {
	seen := map[string]bool{}
	for i, raw := range raws {
		path := fmt.Sprintf("tools.%d", i)
		var t ToolParam
		if err := decodeAt(path, raw, &t, true); err != nil {
			return err
		}
		if t.Type != "" && t.Type != "custom" {
			name := t.Name
			if name == "" {
				name = t.Type
			}
			r.DroppedTools = append(r.DroppedTools, name+" ("+t.Type+")")
			continue
		}
		if t.Name == "" {
			return InvalidRequest("%s.name: field required", path)
		}
		if seen[t.Name] {
			return InvalidRequest("%s.name: tool name %q is used twice", path, t.Name)
		}
		seen[t.Name] = true
		if IsAbsent(t.InputSchema) {
			return InvalidRequest("%s.input_schema: field required", path)
		}
		if k := JSONKind(t.InputSchema); k != "object" {
			return InvalidRequest("%s.input_schema: expected object, got %s", path, k)
		}
		r.Tools = append(r.Tools, ollama.Tool{
			Type:     "function",
			Function: ollama.ToolFunction{Name: t.Name, Description: t.Description, Parameters: t.InputSchema},
		})
	}
	if choice == nil {
		return nil
	}
	switch choice.Type {
	case "auto", "any":
	case "none":
		r.Tools = nil
	case "tool":
		if choice.Name == "" {
			return InvalidRequest("tool_choice.name: field required when type is \"tool\"")
		}
		for _, t := range r.Tools {
			if t.Function.Name == choice.Name {
				r.Tools = []ollama.Tool{t}
				return nil
			}
		}
		return InvalidRequest("tool_choice.name: no tool named %q in tools", choice.Name)
	default:
		return InvalidRequest(`tool_choice.type: expected "auto", "any", "tool" or "none", got %q`, choice.Type)
	}
	return nil
}

// Capabilities is what Ollama's /api/show says a backend model can do.
type Capabilities struct {
	Thinking bool
	Tools    bool
	Vision   bool
	// Family is the model family ("gptoss", "qwen3", ...): gpt-oss takes a
	// thinking level instead of on/off.
	Family string
}

// Backend is the model that answers a request, as OllamaRequest needs it.
type Backend struct {
	Model  string
	NumCtx int
	// Caps is nil when /api/show could not say; then nothing is assumed.
	Caps *Capabilities
	// NoTools is set when the config says the model cannot call functions
	// (supports_function_calling: false): tools are left out.
	NoTools bool
	// Vision is the config's supports_vision, which overrides Caps; nil
	// when the config does not say.
	Vision *bool
	// Repair turns tool calls the model writes as text into real ones
	// (litellm_params.repair_tool_calls, on unless set to false).
	Repair bool
}

// cannotSee reports whether the model is known not to read images.
func (b Backend) cannotSee() bool {
	if b.Vision != nil {
		return !*b.Vision
	}
	return b.Caps != nil && !b.Caps.Vision
}

// OllamaRequest builds the Ollama request for r on backend b.
//
// The client's stop sequences are not passed on: Ollama strips a matched
// stop string without saying which one matched (and a request's stop list
// replaces the model's own template stops), so the answer state machine
// watches for them itself.
func OllamaRequest(r *Request, b Backend) (*ollama.ChatRequest, error) {
	if r.HasImages && b.cannotSee() {
		return nil, InvalidRequest("model %q answers with %q, which cannot read images (no vision capability): pick a vision model for requests with images", r.Model, b.Model)
	}
	out := &ollama.ChatRequest{
		Model:    b.Model,
		Messages: r.Messages,
		Stream:   true,
		Format:   r.Format,
		Options: &ollama.Options{
			Temperature: r.Temperature,
			TopP:        r.TopP,
			TopK:        r.TopK,
			Seed:        r.Seed,
		},
	}
	if r.MaxTokens > 0 {
		out.Options.NumPredict = &r.MaxTokens
	}
	if b.NumCtx > 0 {
		out.Options.NumCtx = &b.NumCtx
	}
	if !b.NoTools {
		out.Tools = r.Tools
	}
	if b.Caps != nil && b.Caps.Thinking {
		out.Think = thinkValue(r.Thinking, b.Caps.Family)
	}
	return out, nil
}

// thinkValue is Ollama's "think" for a thinking-capable model. Claude does
// not think unless asked, so neither does the model; gpt-oss cannot stop
// thinking and takes a level instead of a switch.
func thinkValue(t Thinking, family string) json.RawMessage {
	if family == "gptoss" || family == "gpt-oss" {
		switch {
		case !t.Enabled:
			return json.RawMessage(`"low"`)
		case t.Level == "":
			return json.RawMessage(`"medium"`)
		default:
			return json.RawMessage(strconv.Quote(t.Level))
		}
	}
	if t.Enabled {
		return json.RawMessage("true")
	}
	return json.RawMessage("false")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
