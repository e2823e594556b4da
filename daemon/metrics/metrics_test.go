package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAliasWindow(t *testing.T) {
	r := New()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	obs := func(ttft time.Duration, failed bool) {
		r.Observe(Request{Alias: "a", Model: "m", Status: 200, Failed: failed, Duration: ttft + time.Second, TTFT: ttft,
			GenTime: time.Second, InputTokens: 100, OutputTokens: 20})
	}
	obs(900*time.Millisecond, false) // leaves the window below
	now = now.Add(30 * time.Minute)
	obs(100*time.Millisecond, false)
	obs(300*time.Millisecond, true)
	obs(200*time.Millisecond, false)
	now = now.Add(45 * time.Minute)
	got := r.Alias("a")
	want := aliasWant{Requests: 3, Errors: 1, TTFT: 200 * time.Millisecond, TokensPerSecond: 20, In: 300, Out: 60}
	if got.Requests != want.Requests || got.Errors != want.Errors || got.TTFT != want.TTFT ||
		got.TokensPerSecond != want.TokensPerSecond || got.InputTokens != want.In || got.OutputTokens != want.Out {
		t.Errorf("Alias = %+v, want %+v", got, want)
	}
	if got := r.Alias("other"); got.Requests != 0 || got.Window != Window {
		t.Errorf("unknown alias: %+v", got)
	}
	now = now.Add(time.Hour)
	if got := r.Alias("a"); got.Requests != 0 {
		t.Errorf("after an hour: %+v, want nothing left", got)
	}
}

// aliasWant is what TestAliasWindow expects.
type aliasWant struct {
	Requests, Errors int
	TTFT             time.Duration
	TokensPerSecond  float64
	In, Out          int64
}

func TestHandlerServesNamesNotContent(t *testing.T) {
	r := New()
	r.Observe(Request{Alias: "claude-sonnet-4-5", Model: "qwen3:8b", Backend: "127.0.0.1:11434", Status: 500, Failed: true})
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body := w.Body.String()
	for _, want := range []string{
		`litellm_proxy_total_requests_metric_total{api_base="127.0.0.1:11434",model="qwen3:8b",requested_model="claude-sonnet-4-5",status_code="500"} 1`,
		`litellm_proxy_failed_requests_metric_total{api_base="127.0.0.1:11434",model="qwen3:8b",requested_model="claude-sonnet-4-5"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
