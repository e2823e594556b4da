package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// microBench is one Go benchmark from `go test -bench -benchmem` output,
// with every metric's runs (one per -count).
type microBench struct {
	pkg, name string
	// metrics maps a unit ("ns/op", "B/op", "allocs/op", "MB/s", or a
	// custom one such as "ns/token") to its values, one per run.
	metrics map[string][]float64
	units   []string // in the order the output listed them
}

// microResult is the parsed output, benchmarks in order of appearance,
// and the raw lines for the report's appendix.
type microResult struct {
	benches []*microBench
	raw     []string
}

// parseMicro reads `go test -bench` output: "pkg:" lines name the package
// of the benchmark lines that follow; a benchmark line is its name (with
// the -GOMAXPROCS suffix), the iteration count, and value-unit pairs.
func parseMicro(out []byte) (*microResult, error) {
	res := &microResult{}
	byKey := map[string]*microBench{}
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue // a benchmark's own log line, not a result
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		res.raw = append(res.raw, line)
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		key := pkg + "." + name
		b := byKey[key]
		if b == nil {
			b = &microBench{pkg: pkg, name: strings.TrimPrefix(name, "Benchmark"), metrics: map[string][]float64{}}
			byKey[key] = b
			res.benches = append(res.benches, b)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", line, err)
			}
			unit := f[i+1]
			if _, ok := b.metrics[unit]; !ok {
				b.units = append(b.units, unit)
			}
			b.metrics[unit] = append(b.metrics[unit], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(res.benches) == 0 {
		return nil, errors.New("no benchmark results in the go test output")
	}
	return res, nil
}

// median of one metric, and whether the benchmark reported it.
func (b *microBench) median(unit string) (float64, bool) {
	v, ok := b.metrics[unit]
	if !ok {
		return 0, false
	}
	return median(v), true
}

// shortPkg is the package path inside the module, for tables.
func shortPkg(pkg string) string {
	const mod = "github.com/clawbridge/clawbridge/"
	return strings.TrimPrefix(pkg, mod)
}
