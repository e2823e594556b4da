package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/doctor"
	"github.com/clawbridge/clawbridge/daemon/status"
)

// runDoctor checks everything a user would otherwise check by hand and
// says how to fix each failure. Exit status 0 only when all pass.
func runDoctor(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("doctor", stderr)
	cfgPath := fs.String("config", "", "config `file` (default: the user's)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := doctor.Options{ConfigPath: *cfgPath, Service: serviceStatusForDoctor(*cfgPath), AgentEnvironment: agentEnvironmentForDoctor}
	// Without a config path to go by, the doctor's config check says so.
	if dir, err := runtimeDir(*cfgPath); err == nil {
		opts.Live = func(ctx context.Context) *status.State {
			st, _ := admin.LiveState(ctx, dir) // nil when no daemon runs
			return st
		}
	}
	r := doctor.Run(ctx, opts)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(r)
	} else {
		for _, c := range r.Checks {
			mark := "ok  "
			switch {
			case !c.OK:
				mark = "FAIL"
			case c.Warn:
				mark = "warn"
			}
			fmt.Fprintf(stdout, "%s  %s: %s\n", mark, c.Name, c.Detail)
			if c.Fix != "" && (!c.OK || c.Warn) {
				fmt.Fprintf(stdout, "      fix: %s\n", c.Fix)
			}
		}
		if r.OK() {
			fmt.Fprintf(stdout, "\nAll %d checks passed.\n", len(r.Checks))
		} else {
			fmt.Fprintf(stdout, "\n%d of %d checks failed.\n", r.Failed(), len(r.Checks))
		}
	}
	if !r.OK() {
		return &exitError{code: 1}
	}
	return nil
}
