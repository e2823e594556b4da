package patcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
	"github.com/tailscale/hujson"
	"github.com/titanous/json5"
)

// This file is the config route, for installs without a pi-ai catalog
// (OpenClaw 2026.5.28 and later): a provider override in the app's JSON5
// config file,
//
//	"models": { "providers": { "anthropic": {
//	    "baseUrl": "http://127.0.0.1:4000", "api": "anthropic-messages",
//	    "auth": "api-key", "apiKey": "<the daemon's key>", "models": [] } } }
//
// OpenClaw requires `api`; Clawdbot 2026.1.24 accepts it as optional, so
// the same block is written everywhere. The key matters: without it
// OpenClaw looks in its own auth store, finds nothing for anthropic and
// fails with `No API key found for provider "anthropic"` before any
// request is made. `auth: "api-key"` makes that key outrank any Anthropic
// profile the user stored (a pasted token, an older claude-cli OAuth
// profile), which otherwise wins over apiKey, on OpenClaw 2026.5.7 to
// 2026.9.6 (docs/openclaw-releases.md); Clawdbot 2026.1.24 ignores it.
// Both are written only with a key.
//
// The block overrides the built-in `anthropic` provider rather than adding
// one of clawbridge's own: the user's `anthropic/claude-*` model choices
// (agents.defaults.model.primary, per-agent models, fallbacks) keep
// resolving with no further edit, and the empty models list keeps the
// app's own Anthropic catalog, new model ids included. A provider of its
// own would need every model reference rewritten and a models list
// clawbridge would have to keep in step with each release.
//
// The edit goes through github.com/tailscale/hujson, which keeps comments,
// trailing commas and layout of JSON-with-comments byte for byte except
// where the block goes. Config files that use JSON5 syntax beyond that
// (unquoted keys, single quotes, hex numbers, ...) cannot be edited in
// place by any maintained Go library; they are parsed with
// github.com/titanous/json5 and rewritten as plain JSON (valid JSON5), which
// loses comments and key order. Either way a timestamped backup is written
// first, and the result is checked to differ from the original only in the
// provider block.

// configApps are the app names whose config files may carry the block, in
// the order they are listed.
var configApps = []string{"openclaw", "clawdbot", "moltbot"}

// ConfigFile is one app's config file.
type ConfigFile struct {
	App  string
	Path string
}

// ConfigFiles lists the config files that exist for the current user:
// for each app, ConfigPath.
func ConfigFiles() []ConfigFile {
	home, _ := os.UserHomeDir()
	env := Env{Home: home, Getenv: os.Getenv}
	var out []ConfigFile
	seen := map[string]bool{}
	for _, app := range configApps {
		path := ConfigPath(app, env)
		if path == "" {
			continue
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		out = append(out, ConfigFile{App: app, Path: path})
	}
	return out
}

// ConfigPath is where app reads its config file, whether or not it exists
// yet: $<APP>_CONFIG_PATH, else $<APP>_STATE_DIR/<app>.json, else
// ~/.<app>/<app>.json; "" without a home to put it in.
func ConfigPath(app string, env Env) string {
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	key := strings.ToUpper(app)
	path := getenv(key + "_CONFIG_PATH")
	if path == "" {
		dir := getenv(key + "_STATE_DIR")
		if dir == "" {
			if env.Home == "" {
				return ""
			}
			dir = filepath.Join(env.Home, "."+app)
		}
		path = filepath.Join(dir, app+".json")
	}
	return ExpandHome(path, env.Home)
}

// ExpandHome turns a leading "~" or "~/" of p into home. With home
// unknown ("") p is returned as it is, never turned into a relative path.
// The daemon's settings expand the config's directories with it too.
func ExpandHome(p, home string) string {
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return filepath.Join(home, p[1:])
	}
	return p
}

// ConfigStatus is what a config file says about the Anthropic provider.
type ConfigStatus struct {
	Path string
	// BaseURL and API are models.providers.anthropic's; empty when unset.
	BaseURL, API string
	// Auth is the block's auth mode ("api-key" as clawbridge writes it).
	Auth string
	// HasAPIKey reports a non-empty apiKey in the block (its value is
	// never kept here); KeyMatches that it is the key asked about.
	HasAPIKey, KeyMatches bool
	// Patched reports the provider pointing at the wanted base URL with
	// the anthropic-messages API and, when a key was asked about, that
	// key with auth "api-key".
	Patched bool
}

// ConfigResult is the outcome of PatchConfig or UndoConfig.
type ConfigResult struct {
	Path string
	// Changed reports that the file was written; Backup is the copy of the
	// previous content made first.
	Changed bool
	Backup  string
	// Preserved reports that comments and layout were kept. False means
	// the file used JSON5-only syntax and was rewritten as plain JSON.
	Preserved bool
}

const providerAPI = "anthropic-messages"

// authAPIKey is the provider auth mode that makes the block's apiKey win.
const authAPIKey = "api-key"

// InspectConfig reads the Anthropic provider override from a config file,
// without looking at its key (see InspectConfigWithKey).
func InspectConfig(path, baseURL string) (ConfigStatus, error) {
	return InspectConfigWithKey(path, baseURL, "")
}

// InspectConfigWithKey is InspectConfig that also checks the block
// carries apiKey (when not empty), as the config route needs.
func InspectConfigWithKey(path, baseURL, apiKey string) (ConfigStatus, error) {
	st := ConfigStatus{Path: path}
	_, data, err := readConfig(path)
	if err != nil {
		return st, err
	}
	m, err := decodeConfig(data)
	if err != nil {
		return st, fmt.Errorf("config %s: %w", path, err)
	}
	if p, ok := dig(m, "models", "providers", "anthropic").(map[string]any); ok {
		st.BaseURL, _ = p["baseUrl"].(string)
		st.API, _ = p["api"].(string)
		st.Auth, _ = p["auth"].(string)
		key, _ := p["apiKey"].(string)
		st.HasAPIKey = key != ""
		st.KeyMatches = apiKey != "" && key == apiKey
	}
	st.Patched = st.BaseURL == strings.TrimRight(baseURL, "/") && st.API == providerAPI &&
		(apiKey == "" || st.KeyMatches && st.Auth == authAPIKey)
	return st, nil
}

// PatchConfig is PatchConfigWithKey without a key: enough for Clawdbot,
// whose JSON auth store the guard keeps, not for OpenClaw 2026.9.
func PatchConfig(path, baseURL string, now time.Time) (ConfigResult, error) {
	return PatchConfigWithKey(path, baseURL, "", now)
}

// PatchConfigWithKey points the config file's Anthropic provider at
// baseURL with apiKey (the daemon's key, with auth "api-key"; none when
// empty), adding the
// block (and models / models.providers) where missing and keeping any
// other settings of an existing anthropic provider. A file that does not
// exist is created if its directory does. A symlinked config file is
// edited where it leads. The key never appears in an error.
func PatchConfigWithKey(path, baseURL, apiKey string, now time.Time) (ConfigResult, error) {
	base, err := CheckBaseURL(baseURL)
	if err != nil {
		return ConfigResult{Path: path}, err
	}
	if strings.TrimSpace(apiKey) != apiKey || strings.ContainsFunc(apiKey, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ConfigResult{Path: path}, errors.New("config route: the API key has spaces or control characters")
	}
	return editConfig(path, now, func(v *hujson.Value) (bool, error) {
		return setProvider(v, base, apiKey)
	}, func(m map[string]any) (bool, error) {
		return setProviderMap(m, base, apiKey)
	}, func(before, after map[string]any) error {
		return checkPatched(before, after, base, apiKey)
	})
}

// UndoConfig removes the Anthropic provider override PatchConfig wrote. It
// refuses one that has been edited since (other keys, models listed, a base
// URL that is not on this machine): restore the backup instead.
func UndoConfig(path string, now time.Time) (ConfigResult, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return ConfigResult{Path: path}, nil
	}
	return editConfig(path, now, func(v *hujson.Value) (bool, error) {
		p := v.Find("/models/providers/anthropic")
		if p == nil {
			return false, nil
		}
		if err := checkOurs(p); err != nil {
			return false, err
		}
		if err := removeMember(v, "/models/providers", "anthropic"); err != nil {
			return false, err
		}
		// Drop the objects that held only the block, as when clawbridge
		// created them.
		for _, at := range []struct{ ptr, parent, name string }{
			{"/models/providers", "/models", "providers"},
			{"/models", "", "models"},
		} {
			obj, err := objectAt(v, at.ptr)
			if err != nil || len(obj.Members) > 0 || len(bytes.TrimSpace(obj.AfterExtra)) > 0 {
				break
			}
			if err := removeMember(v, at.parent, at.name); err != nil {
				return false, err
			}
		}
		return true, nil
	}, func(m map[string]any) (bool, error) {
		providers, _ := dig(m, "models", "providers").(map[string]any)
		p, ok := providers["anthropic"]
		if !ok {
			return false, nil
		}
		b, _ := json.Marshal(p)
		v, err := hujson.Parse(b)
		if err != nil {
			return false, err
		}
		if err := checkOurs(&v); err != nil {
			return false, err
		}
		delete(providers, "anthropic")
		if len(providers) == 0 {
			models := m["models"].(map[string]any)
			delete(models, "providers")
			if len(models) == 0 {
				delete(m, "models")
			}
		}
		return true, nil
	}, func(before, after map[string]any) error {
		if dig(after, "models", "providers", "anthropic") != nil {
			return errors.New("anthropic provider still present")
		}
		return sameOutsideProvider(before, after)
	})
}

// checkOurs accepts an anthropic provider block that PatchConfigWithKey
// and SyncConfigModels could have written: only baseUrl, api, auth,
// apiKey and a models list that is empty or clawbridge's (ourModels),
// the base URL on this machine.
func checkOurs(p *hujson.Value) error {
	b, err := hujson.Standardize(p.Pack())
	if err != nil {
		return err
	}
	var block map[string]any
	if err := json.Unmarshal(b, &block); err != nil {
		return fmt.Errorf("anthropic provider is not an object")
	}
	return checkOursMap(block)
}

// checkOursMap is checkOurs on the decoded block.
func checkOursMap(block map[string]any) error {
	for k, v := range block {
		switch k {
		case "baseUrl":
			s, _ := v.(string)
			if !isLoopbackURL(s) {
				return fmt.Errorf("anthropic provider points at %q, not at this machine; not written by clawbridge, left alone", s)
			}
		case "api", "auth", "apiKey":
		case "models":
			if l, ok := v.([]any); !ok || !ourModels(l) {
				return errors.New("anthropic provider lists models, edited since clawbridge wrote it; restore a backup or edit by hand")
			}
		default:
			return fmt.Errorf("anthropic provider has %q, edited since clawbridge wrote it; restore a backup or edit by hand", k)
		}
	}
	return nil
}

func isLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// editConfig reads path, applies the edit (in place through hujson when
// the file is JSON with comments, else on the decoded value), checks the
// result, backs up the original and writes the new content atomically with
// the same mode.
func editConfig(path string, now time.Time,
	inPlace func(*hujson.Value) (bool, error),
	onMap func(map[string]any) (bool, error),
	check func(before, after map[string]any) error,
) (ConfigResult, error) {
	res := ConfigResult{Path: path, Preserved: true}
	fail := func(err error) (ConfigResult, error) { return res, fmt.Errorf("config %s: %w", path, err) }
	real, data, err := readConfig(path)
	created := errors.Is(err, fs.ErrNotExist)
	if err != nil && !created {
		return fail(err)
	}
	if created {
		data = []byte("{}\n")
	}
	before, err := decodeConfig(data)
	if err != nil {
		return fail(err)
	}

	var out []byte
	if v, err := hujson.Parse(data); err == nil {
		if _, ok := v.Value.(*hujson.Object); !ok {
			return fail(errors.New("top level is not an object"))
		}
		changed, err := inPlace(&v)
		if err != nil {
			return fail(err)
		}
		if !changed {
			return res, nil
		}
		out = v.Pack()
	} else {
		res.Preserved = false
		work, _ := decodeConfig(data) // a copy to edit; before stays as read
		changed, err := onMap(work)
		if err != nil {
			return fail(err)
		}
		if !changed {
			return res, nil
		}
		if out, err = json.MarshalIndent(work, "", "  "); err != nil {
			return fail(fmt.Errorf("rewrite as JSON: %w", err))
		}
		out = append(out, '\n')
	}
	after, err := decodeConfig(out)
	if err != nil {
		return fail(fmt.Errorf("edit produced invalid JSON5: %w", err))
	}
	if err := check(before, after); err != nil {
		return fail(fmt.Errorf("edit check: %w", err))
	}

	// An edit killed mid-write left its temporary files beside the config.
	atomicfile.CleanTemps(filepath.Dir(real), filepath.Base(real))
	mode := fs.FileMode(0o600) // configs hold API keys
	if !created {
		fi, err := os.Stat(real)
		if err != nil {
			return fail(err)
		}
		mode = fi.Mode().Perm()
		res.Backup = real + ".clawbridge-" + now.UTC().Format("20060102T150405Z") + ".bak"
		if err := atomicfile.WriteFile(res.Backup, data, mode); err != nil {
			return fail(fmt.Errorf("backup: %w", err))
		}
	}
	if err := atomicfile.WriteFile(real, out, mode); err != nil {
		return fail(err)
	}
	res.Changed = true
	return res, nil
}

// readConfig returns the path to write (symlinks resolved) and the content.
func readConfig(path string) (string, []byte, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, derr := os.Stat(filepath.Dir(path)); derr != nil {
				return path, nil, fmt.Errorf("%w (and its directory: %v)", err, derr)
			}
			return path, nil, err
		}
		return path, nil, err
	}
	data, err := os.ReadFile(real)
	return real, data, err
}

// decodeConfig parses JSON5 into plain Go values.
func decodeConfig(data []byte) (map[string]any, error) {
	var m map[string]any
	if err := json5.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not valid JSON5: %w", err)
	}
	if m == nil {
		return nil, errors.New("top level is not an object")
	}
	return m, nil
}

// dig follows object keys; nil when any is missing or not an object.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// providerBlock is the block written, in this key order.
type providerBlock struct {
	BaseURL string `json:"baseUrl"`
	API     string `json:"api"`
	Auth    string `json:"auth,omitempty"`
	APIKey  string `json:"apiKey,omitempty"`
	Models  []any  `json:"models"`
}

// configField is one member of the provider block.
type configField struct {
	name  string
	value any
}

// providerFields are the members set in an existing block, in order.
func providerFields(base, key string) []configField {
	fields := []configField{{"baseUrl", base}, {"api", providerAPI}}
	if key != "" {
		fields = append(fields, configField{"auth", authAPIKey}, configField{"apiKey", key})
	}
	return append(fields, configField{"models", []any{}})
}

// setProvider edits the hujson document in place.
func setProvider(v *hujson.Value, base, key string) (bool, error) {
	block := providerBlock{BaseURL: base, API: providerAPI, Models: []any{}}
	if key != "" {
		block.Auth, block.APIKey = authAPIKey, key
	}
	unit := indentUnit(v)
	wrap := []struct {
		ptr, name string
		value     any
	}{
		{"", "models", map[string]any{"providers": map[string]any{"anthropic": block}}},
		{"/models", "providers", map[string]any{"anthropic": block}},
		{"/models/providers", "anthropic", block},
	}
	for _, w := range wrap {
		obj, err := objectAt(v, w.ptr)
		if err != nil {
			return false, err
		}
		if member(obj, w.name) == nil {
			return true, addMember(v, w.ptr, w.name, w.value, unit)
		}
	}
	const ptr = "/models/providers/anthropic"
	obj, err := objectAt(v, ptr)
	if err != nil {
		return false, err
	}
	changed := false
	for _, f := range providerFields(base, key) {
		m := member(obj, f.name)
		switch {
		case m == nil:
			if err := addMember(v, ptr, f.name, f.value, unit); err != nil {
				return false, err
			}
			obj, _ = objectAt(v, ptr)
			changed = true
		case f.name == "models":
			// Keep the user's model list.
		default:
			lit, ok := m.Value.Value.(hujson.Literal)
			if ok && lit.Kind() == '"' && lit.String() == f.value {
				continue
			}
			m.Value.Value = hujson.String(f.value.(string))
			changed = true
		}
	}
	return changed, nil
}

// setProviderMap is setProvider on a decoded document.
func setProviderMap(m map[string]any, base, key string) (bool, error) {
	cur := m
	for _, k := range []string{"models", "providers", "anthropic"} {
		next, ok := cur[k]
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		obj, ok := next.(map[string]any)
		if !ok {
			return false, fmt.Errorf("%s is not an object", k)
		}
		cur = obj
	}
	changed := false
	if cur["baseUrl"] != base {
		cur["baseUrl"], changed = base, true
	}
	if cur["api"] != providerAPI {
		cur["api"], changed = providerAPI, true
	}
	if key != "" && cur["auth"] != authAPIKey {
		cur["auth"], changed = authAPIKey, true
	}
	if key != "" && cur["apiKey"] != key {
		cur["apiKey"], changed = key, true
	}
	if _, ok := cur["models"]; !ok {
		cur["models"], changed = []any{}, true
	}
	return changed, nil
}

// checkPatched verifies an edited config: the provider is as wanted and
// nothing else changed beyond the block (and the objects created to hold
// it).
func checkPatched(before, after map[string]any, base, key string) error {
	p, ok := dig(after, "models", "providers", "anthropic").(map[string]any)
	if !ok || p["baseUrl"] != base || p["api"] != providerAPI || key != "" && (p["apiKey"] != key || p["auth"] != authAPIKey) {
		return errors.New("anthropic provider not as written")
	}
	if _, ok := p["models"].([]any); !ok {
		return errors.New("anthropic provider has no models list")
	}
	if old, ok := dig(before, "models", "providers", "anthropic").(map[string]any); ok {
		for k, v := range old {
			if k != "baseUrl" && k != "api" && !((k == "apiKey" || k == "auth") && key != "") && !reflect.DeepEqual(p[k], v) {
				return fmt.Errorf("anthropic provider's %q changed", k)
			}
		}
	}
	return sameOutsideProvider(before, after)
}

// sameOutsideProvider compares two configs ignoring the anthropic provider
// and the models / models.providers objects when only it was in them.
func sameOutsideProvider(before, after map[string]any) error {
	a, err := withoutProvider(before)
	if err != nil {
		return err
	}
	b, err := withoutProvider(after)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(a, b) {
		return errors.New("settings other than the anthropic provider changed")
	}
	return nil
}

// withoutProvider returns a deep copy of m without models.providers.anthropic
// and without the objects that held only it.
func withoutProvider(m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	models, _ := c["models"].(map[string]any)
	providers, _ := models["providers"].(map[string]any)
	if providers != nil {
		delete(providers, "anthropic")
		if len(providers) == 0 {
			delete(models, "providers")
		}
	}
	if models != nil && len(models) == 0 {
		delete(c, "models")
	}
	return c, nil
}
