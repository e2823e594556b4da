// Package metrics holds the numbers of the translator's requests: the
// Prometheus collectors served on the admin listener's /metrics (named as
// LiteLLM's proxy names them, so existing gateway dashboards read them),
// and each alias's requests over the last hour for the tray and
// `clawbridge status`. It records counts and times only, never a prompt
// or an answer.
package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// Request is one finished API request that named a model.
type Request struct {
	// Alias is the model name the client asked for (LiteLLM's
	// requested_model); Model the backend model that answered ("" when
	// none did) and Backend its server.
	Alias, Model, Backend string
	Status                int
	Failed                bool
	// Duration is the whole request, TTFT the time to the first output
	// (0: none came), GenTime the time spent generating.
	Duration, TTFT, GenTime   time.Duration
	InputTokens, OutputTokens int
}

// Window is how far back the per-alias numbers reach.
const Window = time.Hour

// Recorder collects requests into Prometheus metrics and per-alias
// windows. Its methods are safe for concurrent use.
type Recorder struct {
	reg                 *prometheus.Registry
	requests, failures  *prometheus.CounterVec
	inTokens, outTokens *prometheus.CounterVec
	ttft, latency, tps  *prometheus.HistogramVec
	loaded              *prometheus.GaugeVec
	now                 func() time.Time

	mu      sync.Mutex
	samples map[string][]sample // alias -> requests of the window, oldest first
}

type sample struct {
	at                  time.Time
	failed              bool
	ttft, gen           time.Duration
	inTokens, outTokens int
}

// The labels of the request metrics, as LiteLLM names them.
var requestLabels = []string{"requested_model", "model", "api_base"}

// New returns a Recorder with its metrics registered, together with the
// Go runtime and process collectors.
func New() *Recorder {
	r := &Recorder{reg: prometheus.NewRegistry(), now: time.Now, samples: map[string][]sample{}}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, requestLabels)
	}
	seconds := prometheus.ExponentialBuckets(0.05, 2, 12)
	r.requests = counter("litellm_proxy_total_requests_metric_total", "Requests made to the proxy, by model and HTTP status.",
		append(slices.Clone(requestLabels), "status_code")...)
	r.failures = counter("litellm_proxy_failed_requests_metric_total", "Requests that failed, before or during the answer.", requestLabels...)
	r.inTokens = counter("litellm_input_tokens_metric_total", "Input (prompt) tokens of the answered requests.", requestLabels...)
	r.outTokens = counter("litellm_output_tokens_metric_total", "Output (completion) tokens of the answered requests.", requestLabels...)
	r.ttft = histogram("litellm_llm_api_time_to_first_token_metric", "Time to the first output token, in seconds.", seconds)
	r.latency = histogram("litellm_request_total_latency_metric", "Whole request time, in seconds.", seconds)
	r.tps = histogram("clawbridge_output_tokens_per_second", "Generation speed of each answer, in output tokens per second.",
		[]float64{1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250})
	r.loaded = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "clawbridge_model_loaded_bytes",
		Help: "Memory of each model loaded in an Ollama server (/api/ps)."}, []string{"model", "api_base"})
	r.reg.MustRegister(r.requests, r.failures, r.inTokens, r.outTokens, r.ttft, r.latency, r.tps, r.loaded,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the metrics in Prometheus's text format.
func (r *Recorder) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}

// Observe records one request.
func (r *Recorder) Observe(q Request) {
	labels := prometheus.Labels{"requested_model": q.Alias, "model": q.Model, "api_base": q.Backend}
	r.requests.MustCurryWith(labels).WithLabelValues(strconv.Itoa(q.Status)).Inc()
	if q.Failed {
		r.failures.With(labels).Inc()
	}
	r.inTokens.With(labels).Add(float64(q.InputTokens))
	r.outTokens.With(labels).Add(float64(q.OutputTokens))
	r.latency.With(labels).Observe(q.Duration.Seconds())
	gen := generation(q)
	if q.TTFT > 0 {
		r.ttft.With(labels).Observe(q.TTFT.Seconds())
	}
	if gen > 0 && q.OutputTokens > 0 {
		r.tps.With(labels).Observe(float64(q.OutputTokens) / gen.Seconds())
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples[q.Alias] = append(prune(r.samples[q.Alias], now), sample{at: now, failed: q.Failed, ttft: q.TTFT, gen: gen,
		inTokens: q.InputTokens, outTokens: q.OutputTokens})
}

// generation is the time spent generating: Ollama's own, else the time
// after the first token.
func generation(q Request) time.Duration {
	if q.GenTime > 0 {
		return q.GenTime
	}
	if q.TTFT > 0 {
		return q.Duration - q.TTFT
	}
	return 0
}

// SetLoaded replaces the loaded-model gauges with the models the backends
// hold now.
func (r *Recorder) SetLoaded(backends []status.BackendState) {
	r.loaded.Reset()
	for _, b := range backends {
		for _, m := range b.Loaded {
			r.loaded.WithLabelValues(m.Name, b.URL).Set(float64(m.Size))
		}
	}
}

// Alias returns alias's numbers over the last Window.
func (r *Recorder) Alias(alias string) status.AliasStats {
	r.mu.Lock()
	s := prune(r.samples[alias], r.now())
	r.samples[alias] = s
	s = slices.Clone(s)
	r.mu.Unlock()
	out := status.AliasStats{Window: Window, Requests: len(s)}
	var ttfts []time.Duration
	var gen time.Duration
	var genTokens int64
	for _, x := range s {
		if x.failed {
			out.Errors++
		}
		out.InputTokens += int64(x.inTokens)
		out.OutputTokens += int64(x.outTokens)
		if x.ttft > 0 {
			ttfts = append(ttfts, x.ttft)
		}
		if x.gen > 0 && x.outTokens > 0 {
			gen += x.gen
			genTokens += int64(x.outTokens)
		}
	}
	if len(ttfts) > 0 {
		slices.Sort(ttfts)
		out.TTFT = ttfts[(len(ttfts)-1)/2]
	}
	if gen > 0 {
		out.TokensPerSecond = float64(genTokens) / gen.Seconds()
	}
	return out
}

// prune drops the samples older than Window.
func prune(s []sample, now time.Time) []sample {
	i := 0
	for i < len(s) && now.Sub(s[i].at) > Window {
		i++
	}
	return s[i:]
}
