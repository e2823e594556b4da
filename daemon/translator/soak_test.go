package translator

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamafake"
)

// The soak: soakStreams clients stream answers from the fast fake, over
// and over, for CLAWBRIDGE_SOAK (a Go duration; `make soak` sets 5m) or
// soakShort in an ordinary test run. Every answer must be complete, the
// live heap must stay flat from the first half of the run to the second,
// and the goroutines must be back to where they were afterwards.

const (
	soakStreams = 64
	soakShort   = 5 * time.Second
	soakTokens  = 256
)

func TestSoak(t *testing.T) {
	length := soakShort
	if v := os.Getenv("CLAWBRIDGE_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("CLAWBRIDGE_SOAK=%q: want a duration such as 5m", v)
		}
		length = d
	} else if testing.Short() {
		t.Skip("the soak runs without -short")
	}
	fake := ollamafake.New(ollamafake.Options{})
	up := httptest.NewServer(fake)
	defer up.Close()
	tr, ts := faultTranslator(t, up.URL, "", Options{})
	// 64 at once is the point here, above the default bound of 16.
	cfg := tr.config()
	cfg.ModelList[0].LiteLLMParams.MaxParallelRequests = soakStreams
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: soakStreams}}
	defer client.CloseIdleConnections()

	runtime.GC()
	baseG := runtime.NumGoroutine()
	want := strings.Repeat(fake.Token(), soakTokens)

	var (
		answers, failures atomic.Int64
		bytesIn           atomic.Int64
		firstErr          sync.Once
	)
	ctx, cancel := context.WithTimeout(t.Context(), length)
	defer cancel()
	var wg sync.WaitGroup
	for w := range soakStreams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				m := clientModes[(w+i)%len(clientModes)]
				n, err := soakOnce(client, ts, m, want)
				if ctx.Err() != nil {
					return // cut off by the end of the run
				}
				if err != nil {
					failures.Add(1)
					firstErr.Do(func() { t.Errorf("%s: %v", m.name, err) })
					continue
				}
				answers.Add(1)
				bytesIn.Add(n)
			}
		}()
	}

	// Sample while it runs: live heap (as of the last GC, so no forced
	// collection disturbs the run), RSS and goroutines.
	type sample struct {
		at         time.Duration
		live, rss  uint64
		goroutines int
	}
	var samples []sample
	start := time.Now()
	every := max(length/40, 100*time.Millisecond)
	tick := time.NewTicker(every)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			samples = append(samples, sample{time.Since(start), liveHeap(), rss(), runtime.NumGoroutine()})
		}
	}
	tick.Stop()
	wg.Wait()
	elapsed := time.Since(start)

	if f := failures.Load(); f > 0 {
		t.Errorf("%d of %d answers failed", f, f+answers.Load())
	}
	if answers.Load() == 0 {
		t.Fatal("no answer completed")
	}
	// Flat memory: the most live heap in the second half is not much
	// above the most in the first half (after a warm-up tenth).
	var first, second, maxRSS uint64
	for _, s := range samples {
		switch {
		case s.at < length/10:
		case s.at < length/2:
			first = max(first, s.live)
		default:
			second = max(second, s.live)
		}
		maxRSS = max(maxRSS, s.rss)
	}
	if first > 0 && second > first+first/2+8<<20 {
		t.Errorf("live heap grew from %s in the first half to %s in the second", mib(first), mib(second))
	}
	waitIdle(t, tr, nil)
	client.CloseIdleConnections()
	kept := runtime.NumGoroutine()
	tr.opts.HTTPClient.CloseIdleConnections() // the translator's keep-alive pool to the backend
	waitGoroutines(t, baseG)
	last := samples[len(samples)-1]
	t.Logf("soak: %d streams for %v: %d answers (%.0f/s, %s of events), %d failed; live heap max %s (first half) / %s (second half), RSS max %s, last %s; goroutines %d while running, %d before, %d after (%d with idle keep-alive connections)",
		soakStreams, elapsed.Round(time.Second), answers.Load(), float64(answers.Load())/elapsed.Seconds(), mib(uint64(bytesIn.Load())),
		failures.Load(), mib(first), mib(second), mib(maxRSS), mib(last.rss), last.goroutines, baseG, runtime.NumGoroutine(), kept)
}

// soakOnce asks for one answer and checks it is whole: the text in full
// and the end of the stream (message_stop, [DONE]) or of the message.
func soakOnce(client *http.Client, base string, m clientMode, want string) (int64, error) {
	path := "/v1/messages"
	if m.openai {
		path = "/v1/chat/completions"
	}
	body := fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":%d,"stream":%v,"messages":[{"role":"user","content":"soak"}]}`, soakTokens, m.stream)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, truncate(raw))
	}
	var text strings.Builder
	switch {
	case !m.stream:
		// The whole text is one JSON string; the fake's token needs no
		// escaping.
		if !bytes.Contains(raw, []byte(strconv.Quote(want))) {
			return 0, fmt.Errorf("incomplete answer: %s", truncate(raw))
		}
		return int64(len(raw)), nil
	case m.openai:
		if !bytes.HasSuffix(raw, []byte("data: [DONE]\n\n")) {
			return 0, fmt.Errorf("stream without [DONE]: %s", truncate(raw))
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			if _, tok, ok := strings.Cut(sc.Text(), `"content":"`); ok {
				tok, _, _ = strings.Cut(tok, `"`)
				text.WriteString(tok)
			}
		}
	default:
		if !bytes.HasSuffix(raw, []byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")) {
			return 0, fmt.Errorf("stream without message_stop: %s", truncate(raw))
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			if _, tok, ok := strings.Cut(sc.Text(), `"text_delta","text":"`); ok {
				tok, _, _ = strings.Cut(tok, `"`)
				text.WriteString(tok)
			}
		}
	}
	if text.String() != want {
		return 0, fmt.Errorf("streamed text is %d bytes, want %d", text.Len(), len(want))
	}
	return int64(len(raw)), nil
}

// liveHeap is the heap that was live at the end of the last GC.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// rss is the process's resident memory (Linux), or 0.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
