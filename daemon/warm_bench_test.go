package daemon

import (
	"bufio"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/daemon/models"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// BenchmarkWarmupFirstToken measures what warm-up is for: the time to the
// first token of the first request after the model was unloaded, cold and
// then after the daemon's own warm-up, against the real Ollama. Each
// iteration is one cold and one warm request; the ratio of the medians
// is reported as cold/warm.
func BenchmarkWarmupFirstToken(b *testing.B) {
	ol := ollamatest.Start(b)
	c, _ := ollama.New(ol.URL, nil)
	w := newWorld(b, ol.URL, "")
	d := startDaemon(b, w, Options{})
	addr := d.State().Translator.Addr
	dep := settings.WarmTargets(d.file.current())[0]
	target := models.Target{Base: dep.APIBase, Model: dep.Model, KeepAlive: dep.KeepAlive}
	ctx := context.Background()
	var cold, warm []time.Duration
	for b.Loop() {
		unload(b, c)
		cold = append(cold, firstToken(b, addr))
		unload(b, c)
		if err := d.models.warmer.Warm(ctx, target, func(ctx context.Context) int { return d.parts.api.WarmContext(ctx, dep) }); err != nil {
			b.Fatal(err)
		}
		warm = append(warm, firstToken(b, addr))
	}
	mc, mw := median(cold), median(warm)
	b.ReportMetric(float64(mc.Microseconds())/1000, "cold-ttft-ms")
	b.ReportMetric(float64(mw.Microseconds())/1000, "warm-ttft-ms")
	b.ReportMetric(float64(mc)/float64(mw), "cold/warm")
}

// unload makes Ollama drop every model (keep_alive 0) and waits until
// /api/ps is empty.
func unload(b *testing.B, c *ollama.Client) {
	ctx := context.Background()
	for _, m := range ollamatest.Models {
		if err := c.Load(ctx, m, "0s", 0); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ps, err := c.Running(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(ps.Models) == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("Ollama still holds %d models", len(ps.Models))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// firstToken streams a request through the translator and returns the
// time to its first text delta.
func firstToken(b *testing.B, addr string) time.Duration {
	body := `{"model":"claude-sonnet-4-5","max_tokens":20,"stream":true,"messages":[{"role":"user","content":"Hi there"}]}`
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(body))
	req.Header.Set("x-api-key", "sk-test-local")
	req.Header.Set("content-type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"text_delta"`) {
			return time.Since(start)
		}
	}
	b.Fatalf("no text in the answer (status %s)", resp.Status)
	return 0
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
