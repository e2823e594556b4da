package main

import (
	"strings"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// printModels prints each alias with its model, whether that is loaded,
// and its numbers over the last hour, then the pulls.
func printModels(line func(k, format string, a ...any), s *status.State) {
	for _, a := range s.Aliases {
		parts := []string{a.Name + " → " + a.Model}
		if l := a.LoadSummary(); l != "" {
			parts = append(parts, l)
		}
		if a.Missing {
			parts = append(parts, "get it with `clawbridge pull "+a.Name+"`")
		}
		line("model", "%s", strings.Join(parts, " · "))
		if a.Stats.Requests > 0 {
			line("", "last hour: %s", a.Stats.Summary())
		}
	}
	if s.Warmup {
		line("warm-up", "on: the aliases' models are kept loaded")
	}
	for _, p := range s.Pulls {
		line("pull", "%s", p.Summary())
	}
}
