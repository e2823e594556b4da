package config

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// envPrefix marks a value LiteLLM reads from the environment:
// "os.environ/OPENAI_API_KEY".
const envPrefix = "os.environ/"

// parse is Parse with the environment lookup injectable.
func parse(data []byte, name string, lookupEnv func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Name: name, Problems: []Problem{syntaxProblem(data, err)}}
	}
	cfg := &Config{doc: &root}
	d := &decoder{
		name:      name,
		lookupEnv: lookupEnv,
		lines:     map[string]int{},
		fromEnv:   map[string]string{},
		bad:       map[string]bool{},
		merged:    map[*yaml.Node][]pair{},
	}
	// An empty file is a config with no models, not an error: LiteLLM
	// starts with one too, and Route then explains what is missing.
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		top := root.Content[0]
		if top.Kind != yaml.MappingNode && !isNull(top) {
			d.problem("", top.Line, "want a mapping with model_list, general_settings, litellm_settings and clawbridge, got %s", describe(top))
		} else {
			d.decode(top, reflect.ValueOf(cfg).Elem(), "")
		}
	}
	d.validate(cfg)
	if len(d.problems) > 0 {
		return nil, &Error{Name: name, Problems: d.problems}
	}
	cfg.Ignored = d.ignored
	for i := range cfg.ModelList {
		cfg.ModelList[i].Line = d.lines[indexKey("model_list", i)]
	}
	if cfg.Clawbridge.Listen == "" {
		cfg.Clawbridge.Listen = DefaultListen
	}
	return cfg, nil
}

var yamlLineError = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxProblem turns the YAML library's "yaml: line 3: ..." into a Problem
// so syntax errors read like every other config error.
//
// The library's line is often not where the mistake is: for parser errors
// it names (off by one) the start of the enclosing block, which for a
// mis-indented key deep in model_list is the model_list line. The first
// line at which a prefix of the file fails the same way is where a person
// needs to look, so that is reported instead.
func syntaxProblem(data []byte, err error) Problem {
	msg := err.Error()
	m := yamlLineError.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Msg: "invalid YAML: " + msg}
	}
	line, _ := strconv.Atoi(m[1])
	msg = m[2]
	if l := firstFailingLine(data, msg); l > 0 {
		line = l
	}
	p := Problem{Line: line, Msg: "invalid YAML: " + msg}
	if strings.Contains(msg, "cannot start any token") && bytes.Contains(data, []byte("\t")) {
		p.Msg += " (YAML does not allow tabs for indentation)"
	}
	return p
}

// maxRescanLines bounds firstFailingLine, which parses every prefix of the
// file: config files are short, and a huge one keeps the library's line.
const maxRescanLines = 2000

// firstFailingLine returns the smallest n such that the first n lines of
// data fail to parse with message msg, or 0.
func firstFailingLine(data []byte, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxRescanLines {
		return 0
	}
	end := 0
	for n, l := range lines {
		end += len(l)
		var node yaml.Node
		err := yaml.Unmarshal(data[:end], &node)
		if err == nil {
			continue
		}
		if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil && m[2] == msg {
			return n + 1
		}
	}
	return 0
}

// decoder fills the Config structs from the node tree by reflection, so a
// new setting is only a new struct field. It reports type errors with the
// key path and line, which yaml.v3's own decoder cannot do, and records
// where every value came from for the checks that follow.
type decoder struct {
	name      string
	lookupEnv func(string) (string, bool)
	problems  []Problem
	ignored   []string
	lines     map[string]int    // key path -> line of its value
	fromEnv   map[string]string // key path -> environment variable it was read from
	bad       map[string]bool   // key paths that already have a problem
	merged    map[*yaml.Node][]pair
}

func (d *decoder) problem(key string, line int, format string, args ...any) {
	d.bad[key] = true
	d.problems = append(d.problems, Problem{Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// failed reports whether key or a key containing it already has a
// problem, so validation does not pile a second message on the first.
func (d *decoder) failed(key string) bool {
	for key != "" {
		if d.bad[key] {
			return true
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return false
}

// lineOf is the line of key, or of its nearest parent that is in the file
// (a missing key is reported at its parent).
func (d *decoder) lineOf(key string) int {
	for key != "" {
		if line, ok := d.lines[key]; ok {
			return line
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) {
	d.lines[key] = n.Line
	n = resolveAlias(n)
	if isNull(n) {
		return // an empty value leaves the default, as in LiteLLM
	}
	switch v.Kind() {
	case reflect.Pointer:
		before := len(d.problems)
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), key)
		if len(d.problems) == before {
			v.Set(p)
		}
	case reflect.Struct:
		d.decodeStruct(n, v, key)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.problem(key, n.Line, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), indexKey(key, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.problem(key, n.Line, "want a string, got %s", describe(n))
			return
		}
		s, ok := d.expandEnv(n, key)
		if ok {
			v.SetString(s)
		}
	case reflect.Bool:
		b, ok := scalarBool(n)
		if !ok {
			d.problem(key, n.Line, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil || int64(int(i)) != i {
			d.problem(key, n.Line, "want an integer, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		tag := n.ShortTag()
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			d.problem(key, n.Line, "want a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	default:
		// Only reachable if someone adds a field of a kind not handled
		// above; fail loudly rather than ignore the setting.
		panic(fmt.Sprintf("config: field %s has unsupported type %s", key, v.Type()))
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.problem(key, n.Line, "want a mapping of keys, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]int{}
	for _, p := range d.pairs(n, key) {
		if p.key.Kind != yaml.ScalarNode {
			d.problem(key, p.key.Line, "keys must be plain names, got %s", describe(p.key))
			continue
		}
		name := p.key.Value
		child := joinKey(key, name)
		i, used := fields[name]
		if !used {
			d.ignored = append(d.ignored, fmt.Sprintf("%s:%d: %s", d.name, p.key.Line, child))
			continue
		}
		if first, dup := seen[name]; dup {
			d.problem(child, p.key.Line, "set twice (first at line %d); remove one", first)
			continue
		}
		seen[name] = p.key.Line
		d.decode(p.val, v.Field(i), child)
	}
}

// expandEnv returns a string value, reading os.environ/NAME values from the
// environment as LiteLLM does. An unset or empty variable is an error: a
// silently empty master_key would turn authentication off.
func (d *decoder) expandEnv(n *yaml.Node, key string) (string, bool) {
	s := n.Value
	if !strings.HasPrefix(s, envPrefix) {
		return s, true
	}
	name := strings.TrimPrefix(s, envPrefix)
	if name == "" {
		d.problem(key, n.Line, "%q names no environment variable; want os.environ/NAME", s)
		return "", false
	}
	val, ok := d.lookupEnv(name)
	if !ok {
		d.problem(key, n.Line, "environment variable %s (from %s) is not set", name, s)
		return "", false
	}
	if val == "" {
		d.problem(key, n.Line, "environment variable %s (from %s) is empty", name, s)
		return "", false
	}
	d.fromEnv[key] = name
	return val, true
}

// show quotes a string value for a message, saying where it came from when
// it was read from the environment (the user sees only the name in the file).
func (d *decoder) show(key, value string) string {
	if name, ok := d.fromEnv[key]; ok {
		return fmt.Sprintf("%q (from environment variable %s)", value, name)
	}
	return strconv.Quote(value)
}

type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's key/value pairs with YAML merge keys ("<<: *base")
// expanded: explicit keys first, then merged keys not set explicitly, the
// earlier merge source winning, as YAML specifies. Each merged mapping is
// expanded once and remembered, so merges of merges cannot blow up, and a
// mapping that merges itself is an error instead of a loop.
func (d *decoder) pairs(n *yaml.Node, key string) []pair {
	if done, ok := d.merged[n]; ok {
		if done == nil {
			d.problem(key, n.Line, "merge keys (<<) merge a mapping into itself")
		}
		return done
	}
	var out, merged []pair
	var sources []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			v = resolveAlias(v)
			if v.Kind == yaml.SequenceNode {
				sources = append(sources, v.Content...)
			} else {
				sources = append(sources, v)
			}
			continue
		}
		out = append(out, pair{k, v})
	}
	if len(sources) == 0 {
		return out
	}
	d.merged[n] = nil // in progress
	have := map[string]bool{}
	for _, p := range out {
		have[p.key.Value] = true
	}
	for _, src := range sources {
		src = resolveAlias(src)
		if src.Kind != yaml.MappingNode {
			d.problem(key, src.Line, "<< can only merge mappings, got %s", describe(src))
			continue
		}
		for _, p := range d.pairs(src, key) {
			if !have[p.key.Value] {
				have[p.key.Value] = true
				merged = append(merged, p)
			}
		}
	}
	out = append(append([]pair{}, out...), merged...) // never nil: nil marks "in progress"
	d.merged[n] = out
	return out
}

// yamlFields maps yaml key names to struct field indexes. Fields without a
// yaml tag, or tagged "-", are not read from the file.
func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		m[name] = i
	}
	return m
}

// scalarBool accepts YAML booleans plus the YAML 1.1 words (yes/no/on/off)
// that PyYAML, and so LiteLLM, reads as booleans. Quoted strings are not
// booleans: LiteLLM would treat "false" as true.
func scalarBool(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode {
		return false, false
	}
	if n.ShortTag() == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		return b, err == nil
	}
	if n.Style != 0 { // quoted or explicitly tagged
		return false, false
	}
	switch n.Value {
	case "yes", "Yes", "YES", "on", "On", "ON":
		return true, true
	case "no", "No", "NO", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

// maxAliasChain bounds following an alias to an alias, which the YAML
// library does not produce but a hand-built tree could.
const maxAliasChain = 16

// resolveAlias follows *alias references to the anchored node.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < maxAliasChain; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a node's kind or value for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return strconv.Quote(n.Value)
}

func joinKey(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func indexKey(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}
