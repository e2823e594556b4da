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
// (OpenClaw 2026.6 and later): a provider override in the app's JSON5
// config file,
//
//	"models": { "providers": { "anthropic": {
//	    "baseUrl": "http://127.0.0.1:4000", "api": "anthropic-messages", "models": [] } } }
//
// OpenClaw requires `api`; Clawdbot 2026.1.24 accepts it as optional, so
// the same block is written everywhere.
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
// for each app, $<APP>_CONFIG_PATH, else $<APP>_STATE_DIR/<app>.json, else
// ~/.<app>/<app>.json.
func ConfigFiles() []ConfigFile {
	home, _ := os.UserHomeDir()
	var out []ConfigFile
	seen := map[string]bool{}
	for _, app := range configApps {
		env := strings.ToUpper(app)
		path := os.Getenv(env + "_CONFIG_PATH")
		if path == "" {
			dir := os.Getenv(env + "_STATE_DIR")
			if dir == "" {
				if home == "" {
					continue
				}
				dir = filepath.Join(home, "."+app)
			}
			path = filepath.Join(dir, app+".json")
		}
		path = ExpandHome(path, home)
		real, err := filepath.EvalSymlinks(path)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		out = append(out, ConfigFile{App: app, Path: path})
	}
	return out
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
	// Patched reports the provider pointing at the wanted base URL with
	// the anthropic-messages API.
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

// InspectConfig reads the Anthropic provider override from a config file.
func InspectConfig(path, baseURL string) (ConfigStatus, error) {
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
	}
	st.Patched = st.BaseURL == strings.TrimRight(baseURL, "/") && st.API == providerAPI
	return st, nil
}

// PatchConfig points the config file's Anthropic provider at baseURL,
// adding the block (and models / models.providers) where missing and
// keeping any other settings of an existing anthropic provider. A file that
// does not exist is created if its directory does. A symlinked config file
// is edited where it leads.
func PatchConfig(path, baseURL string, now time.Time) (ConfigResult, error) {
	base, err := CheckBaseURL(baseURL)
	if err != nil {
		return ConfigResult{Path: path}, err
	}
	return editConfig(path, now, func(v *hujson.Value) (bool, error) {
		return setProvider(v, base)
	}, func(m map[string]any) (bool, error) {
		return setProviderMap(m, base)
	}, func(before, after map[string]any) error {
		return checkPatched(before, after, base)
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

// checkOurs accepts an anthropic provider block that PatchConfig could have
// written: only baseUrl, api and an empty models list, the base URL on
// this machine.
func checkOurs(p *hujson.Value) error {
	b, err := hujson.Standardize(p.Pack())
	if err != nil {
		return err
	}
	var block map[string]any
	if err := json.Unmarshal(b, &block); err != nil {
		return fmt.Errorf("anthropic provider is not an object")
	}
	for k, v := range block {
		switch k {
		case "baseUrl":
			s, _ := v.(string)
			if !isLoopbackURL(s) {
				return fmt.Errorf("anthropic provider points at %q, not at this machine; not written by clawbridge, left alone", s)
			}
		case "api":
		case "models":
			if l, ok := v.([]any); !ok || len(l) > 0 {
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
	Models  []any  `json:"models"`
}

// setProvider edits the hujson document in place.
func setProvider(v *hujson.Value, base string) (bool, error) {
	block := providerBlock{BaseURL: base, API: providerAPI, Models: []any{}}
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
	for _, f := range []struct {
		name  string
		value any
	}{{"baseUrl", base}, {"api", providerAPI}, {"models", []any{}}} {
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
func setProviderMap(m map[string]any, base string) (bool, error) {
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
	if _, ok := cur["models"]; !ok {
		cur["models"], changed = []any{}, true
	}
	return changed, nil
}

func objectAt(v *hujson.Value, ptr string) (*hujson.Object, error) {
	f := v.Find(ptr)
	if f == nil {
		return nil, fmt.Errorf("%s: not found", ptr)
	}
	obj, ok := f.Value.(*hujson.Object)
	if !ok {
		name := strings.TrimPrefix(strings.ReplaceAll(ptr, "/", "."), ".")
		return nil, fmt.Errorf("%s is not an object; fix it by hand", name)
	}
	return obj, nil
}

func member(obj *hujson.Object, name string) *hujson.ObjectMember {
	for i := range obj.Members {
		if lit, ok := obj.Members[i].Name.Value.(hujson.Literal); ok && lit.String() == name {
			return &obj.Members[i]
		}
	}
	return nil
}

// addMember appends name: value to the object at ptr through hujson's
// patch (which keeps comments with the members they belong to) and lays it
// out like its siblings: on its own line, indented one unit deeper than
// the object, its value indented to match.
func addMember(doc *hujson.Value, ptr, name string, value any, unit string) error {
	obj, err := objectAt(doc, ptr)
	if err != nil {
		return err
	}
	depth := strings.Count(ptr, "/")
	indent := strings.Repeat(unit, depth+1)
	if n := len(obj.Members); n > 0 {
		if be := obj.Members[n-1].Name.BeforeExtra; bytes.IndexByte(be, '\n') >= 0 {
			indent = string(be[bytes.LastIndexByte(be, '\n')+1:])
		}
	}
	trailingComma := len(obj.Members) > 0 && obj.Members[len(obj.Members)-1].Value.AfterExtra != nil
	rendered, err := json.MarshalIndent(value, indent, unit)
	if err != nil {
		return err
	}
	op, _ := json.Marshal(ptr + "/" + name)
	patch := fmt.Sprintf(`[{"op": "add", "path": %s, "value": %s}]`, op, rendered)
	if err := doc.Patch([]byte(patch)); err != nil {
		return err
	}
	obj, err = objectAt(doc, ptr)
	if err != nil {
		return err
	}
	m := member(obj, name)
	if m == nil {
		return fmt.Errorf("%s/%s: not added", ptr, name)
	}
	be := m.Name.BeforeExtra
	if i := bytes.LastIndexByte(be, '\n'); i >= 0 {
		be = be[:i+1]
	} else {
		be = append(be, '\n')
	}
	m.Name.BeforeExtra = append(be, indent...)
	m.Name.AfterExtra = nil
	m.Value.BeforeExtra = []byte(" ")
	if trailingComma && m == &obj.Members[len(obj.Members)-1] {
		m.Value.AfterExtra = []byte{}
	}
	if ae := obj.AfterExtra; len(bytes.TrimSpace(ae)) == 0 && bytes.IndexByte(ae, '\n') < 0 {
		obj.AfterExtra = []byte("\n" + strings.Repeat(unit, depth))
	}
	return nil
}

// removeMember removes name from the object at ptr through hujson's patch
// and puts back the layout around it: the closing brace's indentation and
// a trailing comma style.
func removeMember(doc *hujson.Value, ptr, name string) error {
	obj, err := objectAt(doc, ptr)
	if err != nil {
		return err
	}
	last := member(obj, name) == &obj.Members[len(obj.Members)-1]
	trailingComma := obj.Members[len(obj.Members)-1].Value.AfterExtra != nil
	closing := obj.AfterExtra
	if i := bytes.LastIndexByte(closing, '\n'); i >= 0 {
		closing = closing[i+1:]
	} else {
		closing = nil
	}
	op, _ := json.Marshal(ptr + "/" + name)
	if err := doc.Patch([]byte(fmt.Sprintf(`[{"op": "remove", "path": %s}]`, op))); err != nil {
		return err
	}
	if obj, err = objectAt(doc, ptr); err != nil {
		return err
	}
	switch ae := obj.AfterExtra; {
	case len(obj.Members) == 0 && len(bytes.TrimSpace(ae)) == 0:
		obj.AfterExtra = nil // an empty object reads {}
	case closing != nil:
		if i := bytes.LastIndexByte(ae, '\n'); i >= 0 {
			obj.AfterExtra = append(ae[:i+1:i+1], closing...)
		}
	}
	if n := len(obj.Members); last && trailingComma && n > 0 && obj.Members[n-1].Value.AfterExtra == nil {
		obj.Members[n-1].Value.AfterExtra = []byte{}
	}
	return nil
}

// indentUnit guesses the document's indentation step from the root
// object's first member on its own line; two spaces otherwise, as
// OpenClaw writes.
func indentUnit(v *hujson.Value) string {
	if obj, ok := v.Value.(*hujson.Object); ok {
		for _, m := range obj.Members {
			be := m.Name.BeforeExtra
			if i := bytes.LastIndexByte(be, '\n'); i >= 0 && i+1 < len(be) {
				if u := string(be[i+1:]); strings.Trim(u, " \t") == "" {
					return u
				}
			}
		}
	}
	return "  "
}

// checkPatched verifies an edited config: the provider is as wanted and
// nothing else changed beyond the block (and the objects created to hold
// it).
func checkPatched(before, after map[string]any, base string) error {
	p, ok := dig(after, "models", "providers", "anthropic").(map[string]any)
	if !ok || p["baseUrl"] != base || p["api"] != providerAPI {
		return errors.New("anthropic provider not as written")
	}
	if _, ok := p["models"].([]any); !ok {
		return errors.New("anthropic provider has no models list")
	}
	if old, ok := dig(before, "models", "providers", "anthropic").(map[string]any); ok {
		for k, v := range old {
			if k != "baseUrl" && k != "api" && !reflect.DeepEqual(p[k], v) {
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
