package translator_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/translator"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamafake"
)

// The whole relay in one process, through the exported API and real
// loopback HTTP: client → translator.Server → ollamafake → back. Unlike
// cmd/clawbench, which runs each server as its own process, this one can
// be profiled (go test -bench Relay -cpuprofile) and counts allocations;
// the numbers include the fake's and the client's share.

const relayTokens = 256

func relayServer(b *testing.B) (*httptest.Server, *http.Client) {
	fake := httptest.NewServer(ollamafake.New(ollamafake.Options{}))
	b.Cleanup(fake.Close)
	cfg, err := config.Parse([]byte(fmt.Sprintf("model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params:\n      model: ollama/fake\n      api_base: %s\n", fake.URL)), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	tr := translator.New(func() *config.Config { return cfg }, translator.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(tr)
	b.Cleanup(srv.Close)
	return srv, srv.Client()
}

func relayOnce(b *testing.B, hc *http.Client, url string, body []byte, stream bool) {
	resp, err := hc.Post(url+"/v1/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		b.Fatalf("%d: %s", resp.StatusCode, msg)
	}
	if !stream {
		msg, _ := io.ReadAll(resp.Body)
		if n := strings.Count(string(msg), ollamafake.DefaultToken); n != relayTokens {
			b.Fatalf("%d tokens in %.200s", n, msg)
		}
		return
	}
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == "event: content_block_delta" {
			n++
		}
	}
	if n != relayTokens {
		b.Fatalf("%d tokens streamed, want %d", n, relayTokens)
	}
}

func benchmarkRelay(b *testing.B, stream bool) {
	srv, hc := relayServer(b)
	body := []byte(fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":%d,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, relayTokens, stream))
	relayOnce(b, hc, srv.URL, body, stream) // capabilities cached, connections open
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		relayOnce(b, hc, srv.URL, body, stream)
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*relayTokens), "ns/token")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*relayTokens), "allocs/token")
}

// BenchmarkRelayStream256 is one streamed answer of 256 tokens.
func BenchmarkRelayStream256(b *testing.B) { benchmarkRelay(b, true) }

// BenchmarkRelayComplete256 is one non-streamed answer of 256 tokens.
func BenchmarkRelayComplete256(b *testing.B) { benchmarkRelay(b, false) }
