package daemon

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// withKeepAlive adds keep_alive to the world's one alias.
func withKeepAlive(t *testing.T, w *world, keepAlive string) {
	t.Helper()
	data, err := os.ReadFile(w.configPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(data), "      api_base:", "      keep_alive: "+keepAlive+"\n      api_base:", 1)
	mustWrite(t, w.configPath, cfg)
}

// running is the model's entry in Ollama's /api/ps, or nil.
func running(t *testing.T, c *ollama.Client, name string) *ollama.RunningModel {
	t.Helper()
	ps, err := c.Running(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ps.Models {
		if m.Name == name || m.Name == name+":latest" {
			return &m
		}
	}
	return nil
}

// expiresIn checks that Ollama will unload m about want from now: the
// keep_alive it was last given.
func expiresIn(t *testing.T, m *ollama.RunningModel, want time.Duration) {
	t.Helper()
	if left := time.Until(m.ExpiresAt); left < want-2*time.Minute || left > want+time.Minute {
		t.Errorf("%s expires in %v, want about %v (keep_alive)", m.Name, left.Round(time.Second), want)
	}
}

func alias(st status.State) status.AliasState {
	if len(st.Aliases) == 0 {
		return status.AliasState{}
	}
	return st.Aliases[0]
}

// TestWarmupLoadsWithKeepAliveAndContext: with warm-up on, the alias's
// model is loaded at start with its keep_alive and the num_ctx the
// translator then sends, so the first request finds it loaded at that
// size; the request's numbers reach the state and /metrics.
func TestWarmupLoadsWithKeepAliveAndContext(t *testing.T) {
	ol := ollamatest.Start(t)
	c, _ := ollama.New(ol.URL, nil)
	w := newWorld(t, ol.URL, "  models:\n    warmup: true\n")
	withKeepAlive(t, w, "45m")
	runtimeDir := filepath.Join(w.home, "run")
	d := startDaemon(t, w, Options{RuntimeDir: runtimeDir})

	waitFor(t, "the alias's model to be warmed up", func() bool { return alias(d.State()).Load == status.LoadWarm })
	st := d.State()
	if !st.Warmup || alias(st).Memory <= 0 {
		t.Errorf("warmup %v, memory %d: want on, and the loaded model's size", st.Warmup, alias(st).Memory)
	}
	m := running(t, c, ollamatest.ModelTiny)
	if m == nil {
		t.Fatal("Ollama's /api/ps does not list the warmed model")
	}
	expiresIn(t, m, 45*time.Minute)
	warmCtx := m.ContextLength
	if warmCtx <= ollamatest.DefaultNumCtx {
		t.Errorf("warmed with num_ctx %d, want room for an agent's prompt (more than the default %d)", warmCtx, ollamatest.DefaultNumCtx)
	}

	addr := st.Translator.Addr
	if code, body := ask(t, addr, "claude-sonnet-4-5", "Hi there"); code != 200 || !strings.Contains(body, ollamatest.ReplyDefault) {
		t.Fatalf("answer %d %s", code, body)
	}
	m = running(t, c, ollamatest.ModelTiny)
	if m == nil || m.ContextLength != warmCtx {
		t.Fatalf("after the request /api/ps shows %+v, want the model still loaded with num_ctx %d", m, warmCtx)
	}
	expiresIn(t, m, 45*time.Minute)

	waitFor(t, "the request's numbers", func() bool { return alias(d.State()).Stats.Requests == 1 })
	stats := alias(d.State()).Stats
	if stats.TTFT <= 0 || stats.OutputTokens <= 0 || stats.InputTokens <= 0 || stats.TokensPerSecond <= 0 || stats.Errors != 0 {
		t.Errorf("stats %+v, want a TTFT, tokens both ways, a speed and no error", stats)
	}

	ac, err := admin.Connect(runtimeDir)
	if err != nil {
		t.Fatal(err)
	}
	checkMetrics(t, "http://"+ac.Runtime().Admin+"/metrics")

	// A switch to another model warms that one. (The test models share
	// one GGUF, and Ollama serves a model from the runner of another with
	// the same file under that one's name: unload it first.)
	if err := c.Load(context.Background(), ollamatest.ModelTiny, "0s", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ollama to unload the model", func() bool { return running(t, c, ollamatest.ModelTiny) == nil })
	if err := d.SetAliasModel("claude-sonnet-4-5", ollamatest.ModelNoTools); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new model to be warmed up", func() bool {
		a := alias(d.State())
		return a.Model == ollamatest.ModelNoTools && a.Load == status.LoadWarm
	})
	if running(t, c, ollamatest.ModelNoTools) == nil {
		t.Fatal("Ollama's /api/ps does not list the model switched to")
	}

	// Ollama restarts (and loses its models): the model is warmed again.
	if err := ol.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the daemon to see Ollama down", func() bool {
		st := d.State()
		return len(st.Backends) == 1 && !st.Backends[0].Reachable
	})
	if err := ol.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the model to be warmed up after the restart", func() bool {
		return alias(d.State()).Load == status.LoadWarm && running(t, c, ollamatest.ModelNoTools) != nil
	})
}

// TestKeepAliveReachesOllama: without warm-up, the alias's keep_alive
// goes with the request, and the state follows the model from cold to
// warm.
func TestKeepAliveReachesOllama(t *testing.T) {
	ol := ollamatest.Start(t)
	c, _ := ollama.New(ol.URL, nil)
	w := newWorld(t, ol.URL, "")
	withKeepAlive(t, w, "2h")
	d := startDaemon(t, w, Options{})
	waitFor(t, "the alias to show cold", func() bool { return alias(d.State()).Load == status.LoadCold })
	if d.State().Warmup {
		t.Error("warm-up on, want it off by default")
	}
	// A dated name counts under the entry that answers it, as the menu
	// lists it; a name that routes nowhere under one catch-all.
	addr := d.State().Translator.Addr
	if code, body := ask(t, addr, "claude-sonnet-4-5-20250929", "Hi there"); code != 200 {
		t.Fatalf("answer %d %s", code, body)
	}
	if code, _ := ask(t, addr, "gpt-4o", "Hi there"); code != 404 {
		t.Fatalf("unknown model answered %d, want 404", code)
	}
	waitFor(t, "the request counted under its entry", func() bool { return alias(d.State()).Stats.Requests == 1 })
	if got := d.models.metrics.Alias(unroutedAlias); got.Requests != 1 || got.Errors != 1 {
		t.Errorf("unrouted numbers %+v, want the failed request", got)
	}
	m := running(t, c, ollamatest.ModelTiny)
	if m == nil {
		t.Fatal("the model is not loaded after a request")
	}
	expiresIn(t, m, 2*time.Hour)
	d.poller.soon()
	waitFor(t, "the alias to show warm", func() bool { return alias(d.State()).Load == status.LoadWarm })
}

// checkMetrics scrapes url with no token and parses it with Prometheus's
// own text-format parser.
func checkMetrics(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics answered %s", resp.Status)
	}
	body := new(strings.Builder)
	if _, err := readBody(body, resp); err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"Hi there", ollamatest.ReplyDefault} {
		if strings.Contains(body.String(), content) {
			t.Errorf("/metrics holds request content %q", content)
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body.String()))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	value := func(name string, labels map[string]string) float64 {
		f, ok := families[name]
		if !ok {
			t.Errorf("/metrics has no %s", name)
			return 0
		}
	next:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == k && l.GetValue() == v }) {
					continue next
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
		t.Errorf("%s has no series with %v", name, labels)
		return 0
	}
	req := map[string]string{"requested_model": "claude-sonnet-4-5", "model": ollamatest.ModelTiny}
	if v := value("litellm_proxy_total_requests_metric_total", map[string]string{"requested_model": "claude-sonnet-4-5", "status_code": "200"}); v != 1 {
		t.Errorf("requests %v, want 1", v)
	}
	if v := value("litellm_output_tokens_metric_total", req); v <= 0 {
		t.Errorf("output tokens %v, want some", v)
	}
	if v := value("litellm_input_tokens_metric_total", req); v <= 0 {
		t.Errorf("input tokens %v, want some", v)
	}
	if v := value("litellm_llm_api_time_to_first_token_metric", req); v != 1 {
		t.Errorf("TTFT observations %v, want 1", v)
	}
	if v := value("clawbridge_model_loaded_bytes", map[string]string{"model": ollamatest.ModelTiny + ":latest"}); v <= 0 {
		t.Errorf("loaded model bytes %v, want its size", v)
	}
}

func readBody(w *strings.Builder, resp *http.Response) (int64, error) { return io.Copy(w, resp.Body) }
