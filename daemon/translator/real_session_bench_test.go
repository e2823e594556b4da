package translator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// The agent session against a real Ollama (docs/performance.md, "Large
// requests and the prompt cache"): the same OpenClaw-shaped 10-turn
// session through clawbridge and through Ollama's own /v1/messages, each
// turn's time to first token, and how much of each prompt Ollama had to
// evaluate. Run with -benchtime 1x: one iteration is a whole session of
// each path; every iteration starts a new conversation, so no iteration
// finds the last one's prompt in Ollama's cache.

// evalRecorder is a reverse proxy in front of Ollama that keeps, for each
// /api/chat answer, the done line's prompt evaluation count and duration.
type evalRecorder struct {
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	evals []ollama.ChatResponse
}

func newEvalRecorder(target string) *evalRecorder {
	u, _ := url.Parse(target)
	e := &evalRecorder{proxy: httputil.NewSingleHostReverseProxy(u)}
	e.proxy.FlushInterval = -1
	e.proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path == "/api/chat" {
			resp.Body = &doneLineReader{ReadCloser: resp.Body, keep: e.keep}
		}
		return nil
	}
	return e
}

func (e *evalRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.proxy.ServeHTTP(w, r) }

func (e *evalRecorder) keep(cr ollama.ChatResponse) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evals = append(e.evals, cr)
}

func (e *evalRecorder) last() ollama.ChatResponse {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.evals) == 0 {
		return ollama.ChatResponse{}
	}
	return e.evals[len(e.evals)-1]
}

// doneLineReader passes an NDJSON stream through and hands the done line
// to keep.
type doneLineReader struct {
	io.ReadCloser
	keep    func(ollama.ChatResponse)
	pending []byte
}

func (d *doneLineReader) Read(p []byte) (int, error) {
	n, err := d.ReadCloser.Read(p)
	d.pending = append(d.pending, p[:n]...)
	for {
		i := bytes.IndexByte(d.pending, '\n')
		if i < 0 {
			break
		}
		var cr ollama.ChatResponse
		if json.Unmarshal(d.pending[:i], &cr) == nil && cr.Done {
			d.keep(cr)
		}
		d.pending = d.pending[i+1:]
	}
	return n, err
}

// turnResult is one turn of a session on one path.
type turnResult struct {
	ttft       time.Duration
	promptEval int           // prompt tokens Ollama evaluated (not taken from its cache)
	evalTime   time.Duration // Ollama's prompt_eval_duration; 0 where the path does not say
	loadTime   time.Duration // Ollama's load_duration; 0 where the path does not say
	message    anthropic.Message
}

// postTimed sends a streaming /v1/messages body and returns the answer
// with the time its first content event took.
func postTimed(b *testing.B, base string, body []byte) (anthropic.Message, time.Duration) {
	b.Helper()
	start := time.Now()
	resp, err := http.Post(base+"/v1/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		b.Fatalf("%s: %d %s", base, resp.StatusCode, msg)
	}
	var sse strings.Builder
	var ttft time.Duration
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if ttft == 0 && strings.Contains(line, "content_block_start") {
			ttft = time.Since(start)
		}
		sse.WriteString(line)
		if err != nil {
			break
		}
	}
	return accumulate(b, sse.String()), ttft
}

// runSession runs the 10-turn agent session against base and returns each
// turn's result; eval, if not nil, reads what Ollama reported.
func runSession(b *testing.B, base, model, nonce string, eval func() ollama.ChatResponse) []turnResult {
	weather := map[string]any{"name": ollamatest.ToolWeather, "description": "Current weather", "input_schema": json.RawMessage(ollamatest.WeatherParameters)}
	clock := map[string]any{"name": ollamatest.ToolTime, "description": "Current time", "input_schema": json.RawMessage(ollamatest.TimeParameters)}
	s := newAgentSession(23000, openClawToolParams(weather, clock))
	s.system = nonce + "\n\n" + s.system
	s.user("Step 0: what's the weather like where I am?")
	var out []turnResult
	for turn := range 10 {
		m, ttft := postTimed(b, base, s.body(model))
		r := turnResult{ttft: ttft, message: m, promptEval: m.Usage.InputTokens}
		if eval != nil {
			cr := eval()
			r.promptEval, r.evalTime, r.loadTime = cr.PromptEvalCount, cr.PromptEvalDuration, cr.LoadDuration
		}
		out = append(out, r)
		s.answer(m, func(string) string { return "Sunny, 21 degrees, light wind from the west." })
		if turn%2 == 1 {
			s.user(fmt.Sprintf("Step %d: and what's the weather like now?", turn/2+1))
		}
	}
	return out
}

// longModel is ollamatest.ModelTiny with num_ctx 65536 (its trained
// context) in its Modelfile, so that Ollama's own /v1/messages, which
// cannot set num_ctx, reads whole prompts too.
const longModel = "tiny-64k"

func createModel(b *testing.B, ollamaURL, name string, numCtx int) {
	body := fmt.Sprintf(`{"model":%q,"from":%q,"parameters":{"num_ctx":%d},"stream":false}`, name, ollamatest.ModelTiny, numCtx)
	resp, err := http.Post(ollamaURL+"/api/create", "application/json", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if msg, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		b.Fatalf("create %s: %d %s", name, resp.StatusCode, msg)
	}
}

// sessionBackends starts a real Ollama with the long model and clawbridge
// in front of it, with an alias per model. With record set, a recorder
// sits between the two (a hop of its own) and rec reads what Ollama said.
func sessionBackends(b *testing.B, record bool) (ollamaURL, clawbridgeURL string, rec *evalRecorder) {
	ol := ollamatest.Start(b)
	createModel(b, ol.URL, longModel, 65536)
	backend := ol.URL
	if record {
		rec = newEvalRecorder(ol.URL)
		up := httptest.NewServer(rec)
		b.Cleanup(up.Close)
		backend = up.URL
	}
	var list strings.Builder
	for _, model := range []string{ollamatest.ModelTiny, longModel} {
		fmt.Fprintf(&list, "  - model_name: %[2]s\n    litellm_params: {model: ollama/%[2]s, api_base: %[1]q}\n", backend, model)
	}
	cfg, err := config.Parse([]byte("model_list:\n"+list.String()), "session.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(New(func() *config.Config { return cfg }, Options{Logger: discardLogger()}))
	b.Cleanup(ts.Close)
	return ol.URL, ts.URL, rec
}

// BenchmarkRealAgentSession runs the session through clawbridge and
// through Ollama's own /v1/messages, alternating, on the tiny model as
// created (num_ctx 4096 in its Modelfile, Ollama's smallest default) and
// on longModel. It reports the median time to first token of the first
// turn (all of the prompt evaluated) and of the later ones, and the
// median prompt_eval_duration of the later turns through clawbridge
// (Ollama's /v1/messages does not report it), with the longest
// load_duration of a later turn (a reload would show here). -v logs every
// turn.
func BenchmarkRealAgentSession(b *testing.B) {
	ollamaURL, clawbridgeURL, rec := sessionBackends(b, true)
	type path struct {
		name, base, model     string
		eval                  func() ollama.ChatResponse
		first, later, evalDur []float64
		maxLoad               float64
	}
	var paths []*path
	for _, model := range []string{ollamatest.ModelTiny, longModel} {
		paths = append(paths,
			&path{name: "clawbridge-" + model, base: clawbridgeURL, model: model, eval: rec.last},
			&path{name: "ollama-" + model, base: ollamaURL, model: model})
	}
	round := 0
	for b.Loop() {
		round++
		for _, p := range paths {
			nonce := fmt.Sprintf("Session %d of %s, started %s.", round, p.name, time.Now().Format(time.RFC3339Nano))
			turns := runSession(b, p.base, p.model, nonce, p.eval)
			for i, r := range turns {
				b.Logf("%-22s round %d turn %2d: ttft %8.2f ms, prompt tokens %5d, prompt_eval_duration %8.2f ms, load_duration %8.2f ms, answer %s",
					p.name, round, i+1, ms(r.ttft), r.promptEval, ms(r.evalTime), ms(r.loadTime), summary(r.message))
				if i == 0 {
					p.first = append(p.first, ms(r.ttft))
					continue
				}
				p.later = append(p.later, ms(r.ttft))
				p.evalDur = append(p.evalDur, ms(r.evalTime))
				p.maxLoad = max(p.maxLoad, ms(r.loadTime))
			}
		}
	}
	for _, p := range paths {
		b.ReportMetric(median(p.first), p.name+"-first-ttft-ms")
		b.ReportMetric(median(p.later), p.name+"-later-ttft-ms")
		if p.eval != nil {
			b.ReportMetric(median(p.evalDur), p.name+"-later-prompt-eval-ms")
			b.ReportMetric(p.maxLoad, p.name+"-later-max-load-ms")
		}
	}
}

// BenchmarkRealLargeRequestTTFT sends one large agent request (the
// session's shape, grown with long tool results to 200 KB, then to
// 400 KB: about the most the tiny model's 65,536-token context holds) again and
// again, alternating between clawbridge and Ollama's own /v1/messages on
// longModel. Both render the same prompt, so after the first request
// Ollama finds all of it in its cache, and the time to first token is the
// cost of the path: reading, converting, rendering and tokenizing the
// request. The 200 KB request also calibrates clawbridge's token count
// for this text, without which it would refuse the larger one as too
// long. It reports each path's median and clawbridge's added time.
func BenchmarkRealLargeRequestTTFT(b *testing.B) {
	ollamaURL, clawbridgeURL, _ := sessionBackends(b, false)
	for _, c := range []struct {
		name string
		size int
	}{{"200KB", 200 << 10}, {"400KB", 400 << 10}} {
		b.Run(c.name, func(b *testing.B) {
			body := largeAgentRequest(longModel, c.size)
			warm, _ := postTimed(b, clawbridgeURL, body)
			b.Logf("request of %d bytes, %d prompt tokens", len(body), warm.Usage.InputTokens)
			var claw, own []float64
			for i := 0; b.Loop(); i++ {
				// Alternate which path goes first.
				if i%2 == 1 {
					_, t := postTimed(b, ollamaURL, body)
					own = append(own, ms(t))
				}
				_, t := postTimed(b, clawbridgeURL, body)
				claw = append(claw, ms(t))
				if i%2 == 0 {
					_, t := postTimed(b, ollamaURL, body)
					own = append(own, ms(t))
				}
			}
			b.Logf("clawbridge %v", sorted(claw))
			b.Logf("ollama     %v", sorted(own))
			b.ReportMetric(float64(len(body)), "request-bytes")
			b.ReportMetric(median(claw), "clawbridge-ttft-ms")
			b.ReportMetric(median(own), "ollama-ttft-ms")
			b.ReportMetric(median(claw)-median(own), "added-ms")
		})
	}
}

// largeAgentRequest is the session's request grown to size bytes with
// weather calls whose results are long runs of words the tiny model's
// vocabulary holds whole, so that the most bytes fit its context.
func largeAgentRequest(model string, size int) []byte {
	weather := map[string]any{"name": ollamatest.ToolWeather, "description": "Current weather", "input_schema": json.RawMessage(ollamatest.WeatherParameters)}
	s := newAgentSession(23000, openClawToolParams(weather))
	output := strings.Repeat("description properties parameters arguments description ", 80)
	for i := 0; len(s.body(model)) < size; i++ {
		s.user(fmt.Sprintf("Step %d: what's the weather?", i))
		s.answer(anthropic.Message{Content: []anthropic.ContentBlock{{Type: "tool_use", ID: fmt.Sprintf("toolu_%04d", i), Name: ollamatest.ToolWeather, Input: json.RawMessage(ollamatest.ToolWeatherArgs)}}},
			func(string) string { return output })
		s.answer(anthropic.Message{Content: []anthropic.ContentBlock{{Type: "text", Text: ollamatest.ReplyAfterTool}}}, nil)
	}
	s.user("And what's the weather now?")
	return s.body(model)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sorted returns v sorted, rounded to 0.1, for the log.
func sorted(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(x*10) / 10
	}
	slices.Sort(out)
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// summary names what an answer holds, for the log.
func summary(m anthropic.Message) string {
	var parts []string
	for _, c := range m.Content {
		if c.Type == "tool_use" {
			parts = append(parts, "tool_use "+c.Name+string(c.Input))
		} else {
			parts = append(parts, fmt.Sprintf("%s %q", c.Type, c.Text))
		}
	}
	return strings.Join(parts, ", ")
}
