package ollama

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkReadStreamToken is the client's per-token cost: the NDJSON
// lines of a 256-token answer found, decoded and handed to the callback
// one by one, as Chat does with the response body. Each op is a whole
// answer; ns/token and allocs/token are what `make bench` reports.
func BenchmarkReadStreamToken(b *testing.B) {
	const tokens = 256
	line := `{"model":"qwen3:8b","created_at":"2026-01-24T10:00:00.123456789Z","message":{"role":"assistant","content":" token"},"done":false}` + "\n"
	body := []byte(strings.Repeat(line, tokens) +
		`{"model":"qwen3:8b","created_at":"2026-01-24T10:00:01Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","eval_count":256}` + "\n")
	count := func(*ChatResponse) error { return nil }
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		if err := readStream(bytes.NewReader(body), count); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(tokens+1)), "ns/token")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*(tokens+1)), "allocs/token")
}
