package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// profileFocus is the pprof -focus that keeps clawbridge's own work out
// of an in-process relay benchmark's profile: every sample with the
// translator's handler (or its upstream goroutine) on the stack, and not
// the fake's or the load generator's.
const profileFocus = `translator\.\(\*Server\)`

// profileResult is the text of `go tool pprof -top -cum -unit=ms
// -nodecount=<all> -focus=<profileFocus>`: with every node listed, the
// "accounting for" total is all of clawbridge's CPU in the profile.
type profileResult struct {
	totalMS float64
	rows    []profileRow // by cumulative time, largest first
}

type profileRow struct {
	name          string
	flatMS, cumMS float64
}

func parseProfile(out []byte) (*profileResult, error) {
	res := &profileResult{totalMS: -1}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	header := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "Showing nodes accounting for "); ok {
			v, _, _ := strings.Cut(rest, ",")
			ms, err := parseMS(v)
			if err != nil {
				return nil, fmt.Errorf("pprof total %q: %w", line, err)
			}
			res.totalMS = ms
			continue
		}
		if strings.HasPrefix(line, "flat ") {
			header = true
			continue
		}
		if !header || line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 {
			return nil, fmt.Errorf("pprof line %q: want flat flat%% sum%% cum cum%% name", line)
		}
		flat, err1 := parseMS(f[0])
		cum, err2 := parseMS(f[3])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("pprof line %q: %w", line, err)
		}
		res.rows = append(res.rows, profileRow{name: strings.Join(f[5:], " "), flatMS: flat, cumMS: cum})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if res.totalMS < 0 || len(res.rows) == 0 {
		return nil, errors.New("not the output of go tool pprof -top")
	}
	return res, nil
}

// parseMS reads a pprof value printed with -unit=ms ("1234ms", "0").
func parseMS(s string) (float64, error) {
	if s == "0" {
		return 0, nil
	}
	v, ok := strings.CutSuffix(s, "ms")
	if !ok {
		return 0, fmt.Errorf("%q is not in ms (run pprof with -unit=ms)", s)
	}
	return strconv.ParseFloat(v, 64)
}

// share is a node's cumulative time as a part of clawbridge's CPU.
func (p *profileResult) share(name string) float64 {
	for _, r := range p.rows {
		if r.name == name && p.totalMS > 0 {
			return r.cumMS / p.totalMS
		}
	}
	return 0
}

func (r *report) writeProfile(b *strings.Builder) {
	p := r.profile
	if p == nil {
		return
	}
	fmt.Fprintf(b, "## Where clawbridge's CPU goes\n\n")
	fmt.Fprintf(b, "`go test -bench RelayStream256 -cpuprofile` (daemon/translator/relay_bench_test.go: the translator and the fake in one process, streaming 256 tokens over loopback HTTP), focused on samples with the translator's handler or its upstream goroutine on the stack: %.0f ms of clawbridge CPU in the profile. ", p.totalMS)
	fmt.Fprintf(b, "Decoding Ollama's NDJSON lines (`daemon/upstream/ollama` readStream) takes %.0f%% of it in its token-line decoder and %.0f%% in `encoding/json.Unmarshal` (which decodes the lines that are not token lines, and every line in builds before the token-line decoder), encoding the events %.0f%%, writing and flushing to sockets (`syscall.write`) %.0f%%, reading them (`syscall.read`) %.0f%%.\n\n",
		100*p.share("github.com/clawbridge/clawbridge/daemon/upstream/ollama.(*tokenLineDecoder).decode"), 100*p.share("encoding/json.Unmarshal"),
		100*p.share("github.com/clawbridge/clawbridge/daemon/anthropic.(*StreamEncoder).BlockDelta"),
		100*p.share("syscall.write"), 100*p.share("syscall.read"))
	fmt.Fprintf(b, "| Function (cumulative, top 25) | ms | share |\n|---|---:|---:|\n")
	for i, row := range p.rows {
		if i == 25 {
			break
		}
		fmt.Fprintf(b, "| `%s` | %.0f | %.0f%% |\n", row.name, row.cumMS, 100*row.cumMS/p.totalMS)
	}
	fmt.Fprintf(b, "\n")
}
