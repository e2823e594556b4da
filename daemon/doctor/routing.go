package doctor

import (
	"fmt"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/patcher"
)

// routingFix is how to make a model name route, for a failed routing
// check.
const routingFix = "add a model_list entry named for each model or its family (model_name: claude-opus-4-5 serves every opus name; " +
	"claude-sonnet-4-5 also serves every Claude family without an entry of its own, such as claude-fable-5), " +
	"or a catch-all at the end of model_list: - model_name: claude-*"

// checkRouting checks, for every Clawdbot/OpenClaw install found where the
// patcher looks, that each Anthropic model id its release offers reaches
// a model_list entry: these are the names the app sends clawbridge.
func checkRouting(cfg *config.Config, p places) []Check {
	installs, err := patcher.FindInstalls(p.roots)
	var out []Check
	if err != nil {
		out = append(out, Check{Name: "routing", Detail: err.Error(),
			Fix: "check that the Clawdbot/OpenClaw directories in clawbridge.patcher.dirs are readable"})
	}
	for _, in := range installs {
		ids, err := patcher.CatalogModelIDs(in)
		out = append(out, routingCheck(cfg, in, ids, err))
	}
	return out
}

// routingCheck is the check for one install whose catalogs offer ids
// (err: what could not be read).
func routingCheck(cfg *config.Config, in patcher.Install, ids []string, err error) Check {
	c := Check{Name: "routing " + in.App + " " + in.Version}
	if len(ids) == 0 {
		c.Detail = fmt.Sprintf("cannot tell which Anthropic models %s offers: %v", in, err)
		c.Fix = "reinstall it (e.g. pnpm install); to serve any Claude name whatever the release offers, add a catch-all at the end of model_list: - model_name: claude-*"
		return c
	}
	var unrouted []string
	perAlias := map[string]int{}
	var aliases []string
	for _, id := range ids {
		r, rerr := cfg.Route(id)
		if rerr != nil {
			unrouted = append(unrouted, id)
			continue
		}
		if perAlias[r.Alias] == 0 {
			aliases = append(aliases, r.Alias)
		}
		perAlias[r.Alias]++
	}
	switch {
	case len(unrouted) > 0:
		c.Detail = fmt.Sprintf("%d of %d model ids of %s %s would not route: %s", len(unrouted), len(ids), in.App, in.Version, strings.Join(unrouted, ", "))
		c.Fix = routingFix
	case err != nil:
		c.Detail = fmt.Sprintf("the %d model ids read route, but not every catalog of %s could be read: %v", len(ids), in, err)
		c.Fix = "reinstall it (e.g. pnpm install), then run clawbridge doctor again"
	default:
		c.OK = true
		var parts []string
		for _, a := range aliases {
			parts = append(parts, fmt.Sprintf("%d to %s", perAlias[a], a))
		}
		c.Detail = fmt.Sprintf("all %d model ids of %s %s route (%s)", len(ids), in.App, in.Version, strings.Join(parts, ", "))
	}
	return c
}
