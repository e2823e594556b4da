// Command vulnreport reads `govulncheck -format json` on stdin, prints the
// findings grouped the way they need acting on, and exits non-zero when
// one must be fixed before the build is trusted. .ci/vulndb.sh runs it;
// see there for why the groups are treated differently.
//
// Exit status: 0 when nothing our code calls is vulnerable, or only the
// Go standard library is (unless -stdlib=fail); 1 when our code calls a
// vulnerable function of a module we require (fix: go get the fixed
// version) or, with -stdlib=fail, of the standard library (fix: build with
// a newer Go); 2 when the input cannot be read.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

// message is one JSON object of govulncheck's output stream; only the
// fields used here are declared.
type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		GoVersion      string `json:"go_version"`
		DB             string `json:"db"`
	} `json:"config"`
	OSV *struct {
		ID       string `json:"id"`
		Summary  string `json:"summary"`
		Affected []struct {
			EcosystemSpecific struct {
				Imports []struct {
					GOOS []string `json:"goos"`
				} `json:"imports"`
			} `json:"ecosystem_specific"`
		} `json:"affected"`
	} `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
	} `json:"position"`
}

// finding is what is known about one vulnerability.
type finding struct {
	id, summary, module, version, fixed, platforms string
	called                                         bool
	example                                        string // a call from our code
}

func main() {
	stdlib := flag.String("stdlib", "warn", `what a standard library vulnerability our code calls does: "warn" or "fail"`)
	flag.Parse()
	if *stdlib != "warn" && *stdlib != "fail" {
		fmt.Fprintln(os.Stderr, `vulnreport: -stdlib must be "warn" or "fail"`)
		os.Exit(2)
	}
	found := map[string]*finding{}
	get := func(id string) *finding {
		if found[id] == nil {
			found[id] = &finding{id: id}
		}
		return found[id]
	}
	var scanner, goVersion, db string
	dec := json.NewDecoder(os.Stdin)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			fmt.Fprintf(os.Stderr, "vulnreport: read govulncheck's output: %v\n", err)
			os.Exit(2)
		}
		switch {
		case m.Config != nil:
			scanner, goVersion, db = m.Config.ScannerVersion, m.Config.GoVersion, m.Config.DB
		case m.OSV != nil:
			f := get(m.OSV.ID)
			f.summary = m.OSV.Summary
			var goos []string
			for _, a := range m.OSV.Affected {
				for _, imp := range a.EcosystemSpecific.Imports {
					for _, g := range imp.GOOS {
						if !slices.Contains(goos, g) {
							goos = append(goos, g)
						}
					}
				}
			}
			f.platforms = strings.Join(goos, ", ")
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f := get(m.Finding.OSV)
			vuln := m.Finding.Trace[0]
			f.module, f.version, f.fixed = vuln.Module, vuln.Version, m.Finding.FixedVersion
			if vuln.Function != "" && !f.called {
				f.called = true
				f.example = callSite(m.Finding.Trace)
			}
		}
	}
	if scanner == "" {
		fmt.Fprintln(os.Stderr, "vulnreport: no govulncheck output on stdin")
		os.Exit(2)
	}

	var calledMod, calledStd, other []*finding
	for _, f := range found {
		switch {
		case f.module == "":
			// an OSV entry without a finding: not affecting us
		case f.called && f.module == "stdlib":
			calledStd = append(calledStd, f)
		case f.called:
			calledMod = append(calledMod, f)
		default:
			other = append(other, f)
		}
	}
	fmt.Printf("govulncheck %s, %s, database %s\n", scanner, goVersion, db)
	show := func(title string, fs []*finding) {
		if len(fs) == 0 {
			return
		}
		sort.Slice(fs, func(i, j int) bool { return fs[i].id < fs[j].id })
		fmt.Printf("\n%s:\n", title)
		for _, f := range fs {
			line := fmt.Sprintf("  %s  %s %s, fixed in %s", f.id, f.module, f.version, orNone(f.fixed))
			if f.platforms != "" {
				line += " (" + f.platforms + " only)"
			}
			fmt.Printf("%s\n      %s\n", line, f.summary)
			if f.example != "" {
				fmt.Printf("      e.g. %s\n", f.example)
			}
		}
	}
	show("our code calls these in modules we require (fix: go get <module>@<fixed version>)", calledMod)
	show("our code calls these in the Go standard library (fix: build with the fixed Go)", calledStd)
	show("in packages or modules we use, but our code does not call them", other)

	fail := len(calledMod) > 0
	if len(calledStd) > 0 {
		newest := ""
		for _, f := range calledStd {
			if semverLess(newest, f.fixed) {
				newest = f.fixed
			}
		}
		verdict := "warning"
		if *stdlib == "fail" {
			verdict, fail = "error", true
		}
		fmt.Printf("\n%s: %s has %d vulnerabilities our code reaches; Go %s fixes them all (GOTOOLCHAIN=go%s fetches it through the module proxy).\n",
			verdict, goVersion, len(calledStd), strings.TrimPrefix(newest, "v"), strings.TrimPrefix(newest, "v"))
	}
	if len(calledMod)+len(calledStd)+len(other) == 0 {
		fmt.Println("\nno known vulnerabilities")
	}
	if fail {
		os.Exit(1)
	}
}

// callSite describes the call from our code that reaches the vulnerable
// function: the last frame of the trace, which is ours.
func callSite(trace []frame) string {
	vuln, ours := trace[0], trace[len(trace)-1]
	name := vuln.Package + "." + vuln.Function
	if vuln.Receiver != "" {
		name = vuln.Package + "." + strings.TrimPrefix(vuln.Receiver, "*") + "." + vuln.Function
	}
	where := ours.Package + "." + ours.Function
	if ours.Position != nil {
		where = fmt.Sprintf("%s:%d", ours.Position.Filename, ours.Position.Line)
	}
	return where + " reaches " + name
}

func orNone(v string) string {
	if v == "" {
		return "no version yet"
	}
	return v
}

// semverLess compares vX.Y.Z versions numerically; "" is the least.
func semverLess(a, b string) bool {
	if a == "" {
		return b != ""
	}
	pa, pb := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var x, y int
		fmt.Sscan(pa[i], &x)
		fmt.Sscan(pb[i], &y)
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}
