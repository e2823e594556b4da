// Package ollamafake is an upstream that answers as fast as it can, for
// measuring what a relay in front of it costs (cmd/clawbench). It speaks
// the two dialects local-model proxies sit on:
//
//   - Ollama's native API: POST /api/chat (NDJSON stream, or one JSON
//     object with "stream": false), POST /api/show, GET /api/tags and
//     GET /api/version, which is what clawbridge talks to;
//   - OpenAI's POST /v1/chat/completions (SSE stream or one JSON object),
//     which is what claude-code-router talks to.
//
// Every answer is the same token (Options.Token) repeated: as many times
// as the request's limit says (num_predict, or max_tokens /
// max_completion_tokens), else Options.Tokens times. Each token is its own
// NDJSON line or SSE event, flushed on its own as a real model server
// does, so a relay sees one chunk per token. The lines are encoded once per
// request; the per-token cost is a write and a flush.
//
// It is not a model and not for correctness tests of clients: use the real
// Ollama of package ollamatest for those.
package ollamafake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero Options.
const (
	DefaultToken  = " tok"
	DefaultTokens = 256
	// DefaultModel is the model name /api/tags lists. Any model name is
	// answered, so clients may ask for whatever their config says.
	DefaultModel = "fake"
)

// MaxBodyBytes bounds a request body; a larger one gets 413.
const MaxBodyBytes = 32 << 20

// Options shape the answers. The zero value gives the defaults above.
type Options struct {
	// Token is the text of every streamed token.
	Token string
	// Tokens is the answer length when a request sets no limit.
	Tokens int
}

// Server is the fake upstream's http.Handler.
type Server struct {
	token  string
	tokens int
	mux    *http.ServeMux
}

// New returns a fake upstream.
func New(opts Options) *Server {
	s := &Server{token: opts.Token, tokens: opts.Tokens, mux: http.NewServeMux()}
	if s.token == "" {
		s.token = DefaultToken
	}
	if s.tokens <= 0 {
		s.tokens = DefaultTokens
	}
	s.mux.HandleFunc("POST /api/chat", s.ollamaChat)
	s.mux.HandleFunc("POST /api/show", s.show)
	s.mux.HandleFunc("GET /api/tags", s.tags)
	s.mux.HandleFunc("GET /api/version", s.version)
	s.mux.HandleFunc("POST /v1/chat/completions", s.openAIChat)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ollamaError(w, http.StatusNotFound, "ollamafake serves no "+r.Method+" "+r.URL.Path)
	})
	return s
}

// ServeHTTP routes a request; unknown paths get a 404 with an Ollama-style
// error body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Token returns the text every token of an answer carries.
func (s *Server) Token() string { return s.token }

// ollamaRequest is the part of an /api/chat body the fake reads.
type ollamaRequest struct {
	Model   string `json:"model"`
	Stream  *bool  `json:"stream"`
	Options struct {
		NumPredict *int `json:"num_predict"`
	} `json:"options"`
}

// ollamaChat answers /api/chat. Streaming is Ollama's default.
func (s *Server) ollamaChat(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, ollamaError)
	if !ok {
		return
	}
	var req ollamaRequest
	if err := json.Unmarshal(body, &req); err != nil {
		ollamaError(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	if req.Model == "" {
		ollamaError(w, http.StatusBadRequest, "model is required")
		return
	}
	n, reason := s.limit(req.Options.NumPredict)
	start := time.Now()
	created := start.UTC().Format(time.RFC3339Nano)
	prompt := len(body) / 4

	head := `{"model":` + quote(req.Model) + `,"created_at":` + quote(created) + `,"message":{"role":"assistant","content":`
	done := func(content string) string {
		d := time.Since(start)
		return head + quote(content) + `},"done":true,"done_reason":` + quote(reason) +
			`,"total_duration":` + strconv.FormatInt(int64(d), 10) +
			`,"prompt_eval_count":` + strconv.Itoa(prompt) +
			`,"eval_count":` + strconv.Itoa(n) +
			`,"eval_duration":` + strconv.FormatInt(int64(d), 10) + "}\n"
	}
	if req.Stream != nil && !*req.Stream {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, done(strings.Repeat(s.token, n)))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	line := []byte(head + quote(s.token) + `},"done":false}` + "\n")
	if !stream(w, line, n) {
		return
	}
	io.WriteString(w, done(""))
}

// openAIRequest is the part of a /v1/chat/completions body the fake reads.
type openAIRequest struct {
	Model               string `json:"model"`
	Stream              bool   `json:"stream"`
	MaxTokens           *int   `json:"max_tokens"`
	MaxCompletionTokens *int   `json:"max_completion_tokens"`
}

// openAIChat answers /v1/chat/completions. OpenAI does not stream unless
// asked.
func (s *Server) openAIChat(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, openAIError)
	if !ok {
		return
	}
	var req openAIRequest
	if err := json.Unmarshal(body, &req); err != nil {
		openAIError(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	if req.Model == "" {
		openAIError(w, http.StatusBadRequest, "model is required")
		return
	}
	limit := req.MaxCompletionTokens
	if limit == nil {
		limit = req.MaxTokens
	}
	n, reason := s.limit(limit)
	created := strconv.FormatInt(time.Now().Unix(), 10)
	id := `"chatcmpl-fake"`
	usage := `{"prompt_tokens":` + strconv.Itoa(len(body)/4) + `,"completion_tokens":` + strconv.Itoa(n) +
		`,"total_tokens":` + strconv.Itoa(len(body)/4+n) + `}`
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":`+id+`,"object":"chat.completion","created":`+created+`,"model":`+quote(req.Model)+
			`,"choices":[{"index":0,"message":{"role":"assistant","content":`+quote(strings.Repeat(s.token, n))+
			`},"finish_reason":`+quote(reason)+`}],"usage":`+usage+"}\n")
		return
	}
	head := `data: {"id":` + id + `,"object":"chat.completion.chunk","created":` + created + `,"model":` + quote(req.Model) + `,"choices":[{"index":0,"delta":`
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	io.WriteString(w, head+`{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n")
	line := []byte(head + `{"content":` + quote(s.token) + `},"finish_reason":null}]}` + "\n\n")
	if !stream(w, line, n) {
		return
	}
	io.WriteString(w, head+`{},"finish_reason":`+quote(reason)+`}],"usage":`+usage+"}\n\ndata: [DONE]\n\n")
}

// limit returns how many tokens to send and the finish reason: "length"
// when the request's limit cut the answer, "stop" when the answer ended
// on its own at Options.Tokens.
func (s *Server) limit(max *int) (int, string) {
	if max != nil && *max > 0 {
		return *max, "length"
	}
	return s.tokens, "stop"
}

// stream writes line n times, flushing each, and reports whether the
// client is still there.
func stream(w http.ResponseWriter, line []byte, n int) bool {
	rc := http.NewResponseController(w)
	for range n {
		if _, err := w.Write(line); err != nil {
			return false
		}
		if err := rc.Flush(); err != nil {
			return false
		}
	}
	return true
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, ollamaError)
	if !ok {
		return
	}
	var req struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		ollamaError(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	if req.Model == "" && req.Name == "" {
		ollamaError(w, http.StatusBadRequest, "model is required")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	io.WriteString(w, `{"template":"{{ .Prompt }}","details":{"format":"gguf","family":"fake","parameter_size":"0B","quantization_level":"F16"},"model_info":{"general.architecture":"fake","fake.context_length":131072},"capabilities":["completion","tools"]}`+"\n")
}

func (s *Server) tags(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	io.WriteString(w, `{"models":[{"name":"`+DefaultModel+`:latest","model":"`+DefaultModel+`:latest","modified_at":"2026-01-01T00:00:00Z","size":0,"digest":"0000000000000000000000000000000000000000000000000000000000000000","details":{"format":"gguf","family":"fake","parameter_size":"0B","quantization_level":"F16"}}]}`+"\n")
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	io.WriteString(w, `{"version":"0.0.0-ollamafake"}`+"\n")
}

// readBody reads a bounded request body, answering the error itself.
func readBody(w http.ResponseWriter, r *http.Request, fail func(http.ResponseWriter, int, string)) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes))
			return nil, false
		}
		fail(w, http.StatusBadRequest, "reading the request body: "+err.Error())
		return nil, false
	}
	return body, true
}

func ollamaError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, `{"error":`+quote(msg)+"}\n")
}

func openAIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"error":{"message":`+quote(msg)+`,"type":"invalid_request_error","param":null,"code":null}}`+"\n")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
