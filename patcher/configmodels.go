package patcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/tailscale/hujson"
)

// ContextWindows gives the context window, in tokens, of the local model
// behind a Claude model id as the app names it (without "anthropic/"),
// or 0 when it is not known (yet). The daemon supplies it from its model
// list and Ollama's /api/show; the patcher only writes the numbers.
type ContextWindows func(id string) int

// The config route's models list: for every Anthropic model the app's
// config names (agents.defaults.model, its fallbacks, agents.defaults.models
// and each agent's model), an entry
//
//	{"id": "claude-sonnet-5", "name": "claude-sonnet-5", "contextWindow": 65536,
//	 "compat": {"supportsTools": true}}
//
// which the app merges into its own catalog entry for that id: it then
// budgets, compacts and reports context use by the local model's real
// window instead of Claude's 200k or 1M, as OpenClaw's own ollama
// provider does from /api/show (docs/comparison.md). compat.supportsTools
// keeps the tools: OpenClaw 2026.9.6 offers a model listed without it only
// six of them (no read, write or edit). maxTokens stays unset, so OpenClaw
// asks for the whole window as max_tokens and the translator sizes num_ctx
// to the window on every turn: a smaller cap (OpenClaw's 8192 for Ollama)
// let num_ctx grow from 32768 to 65536 between two turns, which made
// Ollama reload the model and read the whole prompt again. Ids whose
// window is
// unknown are left out, so the app's catalog speaks for them. A list that
// holds anything clawbridge would not write is the user's and is left
// alone.

// ourModelKeys are the members of an entry clawbridge writes.
var ourModelKeys = []string{"id", "name", "contextWindow", "compat"}

// ourModels reports whether every entry of a models list is one
// clawbridge could have written.
func ourModels(list []any) bool {
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		for k := range m {
			if !slices.Contains(ourModelKeys, k) {
				return false
			}
		}
		id, _ := m["id"].(string)
		if _, ok := m["contextWindow"].(float64); !ok || id == "" || m["name"] != id {
			return false
		}
		if c, ok := m["compat"]; ok && !reflect.DeepEqual(c, map[string]any{"supportsTools": true}) {
			return false
		}
	}
	return true
}

// configModelIDs lists, sorted, the Anthropic model ids the config names.
func configModelIDs(cfg map[string]any) []string {
	var ids []string
	add := func(ref any) {
		if s, ok := ref.(string); ok {
			if id, ok := strings.CutPrefix(strings.TrimSpace(s), "anthropic/"); ok && id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	addModel := func(v any) {
		add(v)
		if m, ok := v.(map[string]any); ok {
			add(m["primary"])
			if l, ok := m["fallbacks"].([]any); ok {
				for _, f := range l {
					add(f)
				}
			}
		}
	}
	addModel(dig(cfg, "agents", "defaults", "model"))
	if m, ok := dig(cfg, "agents", "defaults", "models").(map[string]any); ok {
		for ref := range m {
			add(ref)
		}
	}
	if l, ok := dig(cfg, "agents", "list").([]any); ok {
		for _, a := range l {
			if m, ok := a.(map[string]any); ok {
				addModel(m["model"])
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// wantedModels is the models list for cfg: an entry per named id whose
// window is known.
func wantedModels(cfg map[string]any, windows ContextWindows) []any {
	out := []any{}
	for _, id := range configModelIDs(cfg) {
		if n := windows(id); n > 0 {
			out = append(out, map[string]any{"id": id, "name": id, "contextWindow": float64(n),
				"compat": map[string]any{"supportsTools": true}})
		}
	}
	return out
}

// SyncConfigModels brings the models list of the config route's block in
// path to the windows of the models the config names, when the block is
// clawbridge's (see checkOurs) and its list empty or clawbridge's own. It
// writes only on a change, with a backup, like PatchConfigWithKey, and
// reports whether it wrote. A file without the block is left alone.
func SyncConfigModels(path string, windows ContextWindows, now time.Time) (bool, error) {
	var want []any
	res, err := editConfig(path, now, func(v *hujson.Value) (bool, error) {
		cfg, ok, err := modelsToSync(v)
		if !ok || err != nil {
			return false, err
		}
		want = wantedModels(cfg, windows)
		if reflect.DeepEqual(dig(cfg, "models", "providers", "anthropic").(map[string]any)["models"], want) {
			return false, nil
		}
		obj, err := objectAt(v, "/models/providers/anthropic")
		if err != nil {
			return false, err
		}
		b, err := json.Marshal(want)
		if err != nil {
			return false, err
		}
		list, err := hujson.Parse(b)
		if err != nil {
			return false, err
		}
		m := member(obj, "models")
		m.Value.Value = list.Value
		return true, nil
	}, func(cfg map[string]any) (bool, error) {
		p, ok := dig(cfg, "models", "providers", "anthropic").(map[string]any)
		if !ok || checkOursMap(p) != nil {
			return false, nil
		}
		want = wantedModels(cfg, windows)
		if reflect.DeepEqual(p["models"], want) {
			return false, nil
		}
		p["models"] = want
		return true, nil
	}, func(before, after map[string]any) error {
		return checkModelsSynced(before, after, want)
	})
	return res.Changed, err
}

// modelsToSync decodes the document and reports whether its block is one
// whose models list clawbridge keeps.
func modelsToSync(v *hujson.Value) (map[string]any, bool, error) {
	b, err := hujson.Standardize(v.Clone().Pack())
	if err != nil {
		return nil, false, err
	}
	cfg, err := decodeConfig(b)
	if err != nil {
		return nil, false, err
	}
	p, ok := dig(cfg, "models", "providers", "anthropic").(map[string]any)
	if !ok || checkOursMap(p) != nil {
		return cfg, false, nil
	}
	if _, ok := p["models"].([]any); !ok {
		return cfg, false, nil
	}
	return cfg, true, nil
}

// checkModelsSynced verifies SyncConfigModels' edit: the list is the
// wanted one and nothing else changed.
func checkModelsSynced(before, after map[string]any, want []any) error {
	p, ok := dig(after, "models", "providers", "anthropic").(map[string]any)
	if !ok || !reflect.DeepEqual(p["models"], want) {
		return errors.New("anthropic provider's models list not as written")
	}
	old, _ := dig(before, "models", "providers", "anthropic").(map[string]any)
	for k, v := range old {
		if k != "models" && !reflect.DeepEqual(p[k], v) {
			return fmt.Errorf("anthropic provider's %q changed", k)
		}
	}
	return sameOutsideProvider(before, after)
}
