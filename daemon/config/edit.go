package config

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The editors below change the config the way a careful person would: only
// the bytes of the edited value (or the lines of a new key) change, so the
// user's comments, blank lines, quoting and indentation survive. When an
// edit cannot be placed that way (a multi-line value, a key missing from a
// flow mapping) the node tree is edited and re-encoded instead, which keeps
// comments but may reflow the layout. Either way the result must parse and
// read back the new value before it replaces the file.

// SetAliasModel points every model_list entry whose model_name is alias at
// backendModel, keeping each entry's provider prefix: with alias
// "claude-sonnet-4-5" and backendModel "qwen3:8b", "ollama/llama3.1:8b"
// becomes "ollama/qwen3:8b". It is how the tray switches models. An alias
// no entry has is a *NotFoundError.
func SetAliasModel(path, alias, backendModel string) error {
	if backendModel == "" || strings.TrimSpace(backendModel) != backendModel {
		return fmt.Errorf("set model of %s in %s: invalid backend model name %q", alias, path, backendModel)
	}
	return editFile(path, func(e *editor) error {
		entries, err := e.entries()
		if err != nil {
			return err
		}
		var known []string
		found := false
		for i, entry := range entries {
			name := mappingValue(entry, "model_name")
			if name == nil || resolveAlias(name).Kind != yaml.ScalarNode {
				continue
			}
			known = append(known, resolveAlias(name).Value)
			if resolveAlias(name).Value != alias {
				continue
			}
			found = true
			key := indexKey("model_list", i) + ".litellm_params.model"
			params := mappingValue(entry, "litellm_params")
			if params == nil || params.Kind != yaml.MappingNode {
				return fmt.Errorf("%s: %s.litellm_params is not written in the entry (missing, or shared through a YAML anchor); edit it by hand", e.where(entry), indexKey("model_list", i))
			}
			model := mappingValue(params, "model")
			if model == nil || model.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s: %s is not written in the entry (missing, or shared through a YAML anchor); edit it by hand", e.where(params), key)
			}
			if strings.HasPrefix(model.Value, envPrefix) {
				return fmt.Errorf("%s: %s comes from the environment (%s); change it there", e.where(model), key, model.Value)
			}
			if e.aliased(model) {
				return fmt.Errorf("%s: %s is an anchor (&%s) used elsewhere too; edit it by hand", e.where(model), key, model.Anchor)
			}
			_, prefix, _, ok := splitProvider(model.Value)
			if !ok {
				return fmt.Errorf("%s: %s: %q has no supported provider prefix; %s", e.where(model), key, model.Value, wantProvider)
			}
			e.replace(model, stringNode(prefix+backendModel), params.Style&yaml.FlowStyle != 0)
			e.expect(func(c *Config) bool { return c.ModelList[i].LiteLLMParams.Model == prefix+backendModel })
		}
		if !found {
			return &NotFoundError{Model: alias, Known: unique(known)}
		}
		return nil
	})
}

// SetSetting sets one key of the `clawbridge:` section, creating the
// section and any parent keys it lacks, for the tray's toggles and the CLI.
// keyPath is the path under clawbridge, e.g. []string{"listen"}; it must
// name a field of Settings (a misspelt key would otherwise be written and
// then silently ignored). value must be a string, bool, integer or float64
// matching that field.
func SetSetting(path string, keyPath []string, value any) error {
	want, err := settingNode(keyPath, value)
	if err != nil {
		return fmt.Errorf("set clawbridge.%s in %s: %w", strings.Join(keyPath, "."), path, err)
	}
	full := append([]string{"clawbridge"}, keyPath...)
	return editFile(path, func(e *editor) error {
		if err := e.set(full, want); err != nil {
			return err
		}
		e.expect(func(c *Config) bool {
			got := lookupNode(c.doc, full)
			return got != nil && got.Kind == yaml.ScalarNode && got.Value == want.Value && sameKind(got.ShortTag(), want.ShortTag())
		})
		return nil
	})
}

// sameKind reports whether two scalar tags are the same kind of value;
// integers and floats are both numbers (8.0 encodes as "8", an !!int).
func sameKind(a, b string) bool {
	number := func(t string) bool { return t == "!!int" || t == "!!float" }
	return a == b || number(a) && number(b)
}

// settingNode checks keyPath against Settings and value against the field's
// type, and returns value as the scalar node to write.
func settingNode(keyPath []string, value any) (*yaml.Node, error) {
	if len(keyPath) == 0 {
		return nil, fmt.Errorf("no key given")
	}
	t := reflect.TypeOf(Settings{})
	for i, k := range keyPath {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil, fmt.Errorf("clawbridge.%s is not a group of settings", strings.Join(keyPath[:i], "."))
		}
		idx, ok := yamlFields(t)[k]
		if !ok {
			return nil, fmt.Errorf("clawbridge.%s is not a setting", strings.Join(keyPath[:i+1], "."))
		}
		t = t.Field(idx).Type
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	v := reflect.ValueOf(value)
	ok := v.IsValid() && (v.Kind() == t.Kind() ||
		t.Kind() == reflect.Int && v.CanInt() ||
		t.Kind() == reflect.Float64 && (v.CanInt() || v.Kind() == reflect.Float32))
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Float64:
	default:
		return nil, fmt.Errorf("clawbridge.%s is a group of settings; set its keys one by one", strings.Join(keyPath, "."))
	}
	if !ok {
		return nil, fmt.Errorf("want a %s value, got %T", t.Kind(), value)
	}
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		return nil, err
	}
	return &n, nil
}

// editFile runs edit on the file's node tree and replaces the file with
// the result, after checking that it parses and that edit's expectations
// hold in it.
func editFile(path string, edit func(*editor) error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("edit config: %w", err)
	}
	e, err := newEditor(path, data)
	if err != nil {
		return fmt.Errorf("edit %s: %w", path, err)
	}
	if err := edit(e); err != nil {
		return fmt.Errorf("edit %s: %w", path, err)
	}
	out, err := e.result()
	if err != nil {
		return fmt.Errorf("edit %s: %w", path, err)
	}
	cfg, err := Parse(out, path)
	if err != nil {
		return fmt.Errorf("edit %s: the edited config would be invalid, so it was not saved:\n%w", path, err)
	}
	for _, ok := range e.checks {
		if !ok(cfg) {
			return fmt.Errorf("edit %s: the edited config does not read back as intended, so it was not saved", path)
		}
	}
	if bytes.Equal(out, data) {
		return nil
	}
	if err := backupConfig(path, data); err != nil {
		return fmt.Errorf("edit %s: %w", path, err)
	}
	return writeConfig(path, out, holdsSecret(out, path))
}

// holdsSecret reports whether a config's text holds a key itself (a
// master_key, guard key or api_key that is not os.environ/NAME): such a
// file is kept readable by its owner only, whatever its mode was. A file
// that cannot be told apart counts as holding one.
func holdsSecret(data []byte, name string) bool {
	const fromEnv = "sk-from-the-environment"
	cfg, err := parse(data, name, func(string) (string, bool) { return fromEnv, true })
	if err != nil {
		return true
	}
	literal := func(v string) bool { return v != "" && v != fromEnv }
	if literal(cfg.GeneralSettings.MasterKey) || literal(cfg.Clawbridge.Guard.Key) {
		return true
	}
	for _, e := range cfg.ModelList {
		if literal(e.LiteLLMParams.APIKey) {
			return true
		}
	}
	return false
}

// editor holds one file's bytes and node tree and the edits to apply.
// Byte-level edits are collected as splices; if any edit cannot be made at
// the byte level, reencode is set and the (also edited) tree is encoded.
type editor struct {
	data     []byte
	doc      *yaml.Node
	lines    []int // byte offset where each line starts
	eol      string
	splices  []splice
	reencode bool
	checks   []func(*Config) bool
}

type splice struct {
	start, end int
	text       string
}

func newEditor(name string, data []byte) (*editor, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{Name: name, Problems: []Problem{syntaxProblem(data, err)}}
	}
	e := &editor{data: data, doc: &doc, eol: "\n", lines: []int{0}}
	if bytes.Contains(data, []byte("\r\n")) {
		e.eol = "\r\n"
	}
	for i, b := range data {
		if b == '\n' {
			e.lines = append(e.lines, i+1)
		}
	}
	return e, nil
}

func (e *editor) where(n *yaml.Node) string { return fmt.Sprintf("line %d", n.Line) }

func (e *editor) expect(ok func(*Config) bool) { e.checks = append(e.checks, ok) }

// entries returns the model_list items as mappings.
func (e *editor) entries() ([]*yaml.Node, error) {
	list := lookupNode(e.doc, []string{"model_list"})
	if list == nil || isNull(list) {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: model_list is not a list", list.Line)
	}
	out := make([]*yaml.Node, len(list.Content))
	for i, item := range list.Content {
		out[i] = resolveAlias(item)
	}
	return out, nil
}

// set makes the scalar at keyPath (from the top of the document) equal to
// value, creating missing mappings on the way.
func (e *editor) set(keyPath []string, value *yaml.Node) error {
	var parent *yaml.Node // mapping that holds cur; nil at the top
	cur := e.top()
	flow := false
	for i, k := range keyPath {
		if cur == nil || isNull(cur) || cur.Kind == yaml.MappingNode && mappingValue(cur, k) == nil {
			return e.insert(parent, cur, keyPath[:i], keyPath[i:], value, flow)
		}
		if cur.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: %s is %s, not a mapping", cur.Line, pathName(keyPath[:i]), describe(cur))
		}
		flow = flow || cur.Style&yaml.FlowStyle != 0
		parent, cur = cur, mappingValue(cur, k)
		if cur.Kind == yaml.AliasNode {
			return fmt.Errorf("line %d: %s is shared through a YAML anchor; edit it by hand", cur.Line, strings.Join(keyPath[:i+1], "."))
		}
	}
	if cur.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: %s is %s, not a single value", cur.Line, strings.Join(keyPath, "."), describe(cur))
	}
	if e.aliased(cur) {
		return fmt.Errorf("line %d: %s is an anchor (&%s) used elsewhere too; edit it by hand", cur.Line, strings.Join(keyPath, "."), cur.Anchor)
	}
	e.replace(cur, value, flow)
	return nil
}

// aliased reports whether an alias (*name) elsewhere refers to n, in which
// case editing n would silently change those places too.
func (e *editor) aliased(n *yaml.Node) bool {
	if n.Anchor == "" {
		return false
	}
	var walk func(*yaml.Node) bool
	walk = func(m *yaml.Node) bool {
		if m.Kind == yaml.AliasNode {
			return m.Alias == n
		}
		for _, c := range m.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(e.doc)
}

// pathName names a key path in messages; the empty path is the document.
func pathName(keyPath []string) string {
	if len(keyPath) == 0 {
		return "the document"
	}
	return strings.Join(keyPath, ".")
}

// top is the document's top-level node, nil for an empty document.
func (e *editor) top() *yaml.Node {
	if e.doc.Kind == yaml.DocumentNode && len(e.doc.Content) == 1 {
		return e.doc.Content[0]
	}
	return nil
}

// replace swaps the scalar n for value, in place in the bytes when the old
// scalar is a single-line token, keeping its quoting where the new value
// allows.
func (e *editor) replace(n, value *yaml.Node, flow bool) {
	start, end, ok := e.scalarSpan(n)
	oldStyle := n.Style
	n.Value, n.Tag = value.Value, value.Tag
	if value.ShortTag() != "!!str" || oldStyle&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0 {
		n.Style = value.Style // otherwise keep the user's quotes when re-encoding
	}
	if !ok {
		e.reencode = true
		return
	}
	text, ok := renderScalar(value, oldStyle, flow)
	if !ok {
		e.reencode = true
		return
	}
	e.splices = append(e.splices, splice{start, end, text})
}

// insert adds keys (ending in value) under cur, the value at path "at".
// parent is the mapping holding cur (nil at the top of the document); cur
// is a mapping lacking keys[0], a null scalar for an empty section, or nil
// for an empty document.
func (e *editor) insert(parent, cur *yaml.Node, at, keys []string, value *yaml.Node, flow bool) error {
	added := buildMapping(keys, value)
	switch {
	case parent == nil && (cur == nil || isNull(cur)): // empty document
		explicitNull := cur != nil && cur.Value != ""
		e.doc.Kind = yaml.DocumentNode
		e.doc.Content = []*yaml.Node{added}
		if explicitNull {
			e.reencode = true
			return nil
		}
		e.appendText(e.blockText(keys, value, 0))
	case cur.Kind == yaml.MappingNode:
		after, ok := e.lastLine(cur)
		cur.Content = append(cur.Content, added.Content...)
		switch {
		case flow || cur.Style&yaml.FlowStyle != 0:
			e.reencode = true
		case parent == nil: // a new top-level section goes at the end of the file
			e.appendText(e.eol + e.blockText(keys, value, 0))
		case !ok:
			e.reencode = true
		default:
			e.insertAfterLine(after, e.blockText(keys, value, cur.Content[0].Column-1))
		}
	case isNull(cur):
		key := mappingKey(parent, at[len(at)-1])
		implicit := cur.Value == "" // "section:" with nothing after it
		*cur = *added
		if _, _, ok := e.scalarSpan(key); flow || !implicit || !ok {
			e.reencode = true
			return nil
		}
		e.insertAfterLine(key.Line, e.blockText(keys, value, key.Column-1+2))
	default:
		return fmt.Errorf("line %d: %s is %s, not a mapping", cur.Line, pathName(at), describe(cur))
	}
	return nil
}

// lastLine is the line on which the block mapping or sequence n ends, if
// its last value is a single-line token (or a collection ending in one).
func (e *editor) lastLine(n *yaml.Node) (int, bool) {
	if n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 {
		return 0, false
	}
	last := n.Content[len(n.Content)-1]
	switch last.Kind {
	case yaml.ScalarNode:
		if last.Value == "" && isNull(last) { // "key:" with no value ends on the key's line
			if n.Kind != yaml.MappingNode {
				return 0, false
			}
			last = n.Content[len(n.Content)-2]
		}
		_, _, ok := e.scalarSpan(last)
		return last.Line, ok
	case yaml.AliasNode:
		return last.Line, true
	case yaml.MappingNode, yaml.SequenceNode:
		return e.lastLine(last)
	}
	return 0, false
}

// blockText renders keys as nested block mappings ending in value, indented
// by indent spaces, two more per level.
func (e *editor) blockText(keys []string, value *yaml.Node, indent int) string {
	var b strings.Builder
	for i, k := range keys {
		b.WriteString(strings.Repeat(" ", indent+2*i))
		b.WriteString(k)
		b.WriteString(":")
		if i == len(keys)-1 {
			text, _ := renderScalar(value, 0, false)
			b.WriteString(" ")
			b.WriteString(text)
		}
		b.WriteString(e.eol)
	}
	return b.String()
}

// insertAfterLine inserts text at the start of the line after line.
func (e *editor) insertAfterLine(line int, text string) {
	if line >= len(e.lines) { // the last line, without a newline at the end
		e.appendText(text)
		return
	}
	e.splices = append(e.splices, splice{e.lines[line], e.lines[line], text})
}

// appendText adds text at the end of the file, on a line of its own.
func (e *editor) appendText(text string) {
	if len(e.data) > 0 && e.data[len(e.data)-1] != '\n' {
		text = e.eol + text
	}
	e.splices = append(e.splices, splice{len(e.data), len(e.data), text})
}

// result is the edited file.
func (e *editor) result() ([]byte, error) {
	if e.reencode {
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(e.doc); err != nil {
			return nil, err
		}
		if err := enc.Close(); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	out := e.data
	// Apply from the end so earlier offsets stay valid.
	sort.SliceStable(e.splices, func(i, j int) bool { return e.splices[i].start > e.splices[j].start })
	for _, s := range e.splices {
		out = append(out[:s.start:s.start], append([]byte(s.text), out[s.end:]...)...)
	}
	return out, nil
}

// scalarSpan is the byte range of the single-line scalar token n in the
// file. ok is false when n spans lines or the bytes there do not spell n
// (which would make a byte-level edit unsafe).
func (e *editor) scalarSpan(n *yaml.Node) (start, end int, ok bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Line < 1 || n.Line > len(e.lines) {
		return 0, 0, false
	}
	start = e.lines[n.Line-1]
	for range n.Column - 1 { // columns count characters, not bytes
		if start >= len(e.data) || e.data[start] == '\n' {
			return 0, 0, false
		}
		_, size := utf8.DecodeRune(e.data[start:])
		start += size
	}
	rest := e.data[start:]
	if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[:nl]
	}
	var token string
	switch n.Style {
	case 0:
		token = n.Value
	case yaml.SingleQuotedStyle:
		token = "'" + strings.ReplaceAll(n.Value, "'", "''") + "'"
	case yaml.DoubleQuotedStyle:
		token = doubleQuotedToken(rest)
		var v string
		if token == "" || yaml.Unmarshal([]byte(token), &v) != nil || v != n.Value {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	if token == "" || !bytes.HasPrefix(rest, []byte(token)) {
		return 0, 0, false
	}
	return start, start + len(token), true
}

// doubleQuotedToken returns the "..." token at the start of line, or "".
func doubleQuotedToken(line []byte) string {
	if len(line) == 0 || line[0] != '"' {
		return ""
	}
	for i := 1; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '"':
			return string(line[:i+1])
		}
	}
	return ""
}

// renderScalar writes value as a YAML token, in the style the old value
// had where that style can hold it. Non-strings (true, 8192) are plain.
func renderScalar(value *yaml.Node, oldStyle yaml.Style, flow bool) (string, bool) {
	if value.Kind != yaml.ScalarNode {
		return "", false
	}
	if value.ShortTag() != "!!str" {
		return value.Value, true
	}
	s := value.Value
	switch {
	case oldStyle == yaml.SingleQuotedStyle && !strings.ContainsFunc(s, unicode.IsControl):
		return "'" + strings.ReplaceAll(s, "'", "''") + "'", true
	case oldStyle == 0 && plainSafe(s, flow):
		return s, true
	}
	return strconv.Quote(s), true // Go's escapes are a subset of YAML's
}

// plainSafe reports whether s reads back as the string s when written
// unquoted, in a block or flow mapping.
func plainSafe(s string, flow bool) bool {
	if s == "" || strings.ContainsFunc(s, unicode.IsControl) {
		return false
	}
	doc := "k: " + s
	if flow {
		doc = "{k: " + s + "}"
	}
	var n yaml.Node
	if yaml.Unmarshal([]byte(doc), &n) != nil || n.Kind != yaml.DocumentNode || len(n.Content) != 1 {
		return false
	}
	m := n.Content[0]
	if m.Kind != yaml.MappingNode || len(m.Content) != 2 {
		return false
	}
	v := m.Content[1]
	return v.Kind == yaml.ScalarNode && v.Style == 0 && v.ShortTag() == "!!str" && v.Value == s
}

// buildMapping makes the node tree {keys[0]: {keys[1]: ... value}}.
func buildMapping(keys []string, value *yaml.Node) *yaml.Node {
	n := value
	for i := len(keys) - 1; i >= 0; i-- {
		n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: keys[i]}, n,
		}}
	}
	return n
}

// mappingKey and mappingValue find a key written in mapping m itself (not
// merged in with <<), returning nil if there is none.
func mappingKey(m *yaml.Node, key string) *yaml.Node {
	if i := mappingIndex(m, key); i >= 0 {
		return m.Content[i]
	}
	return nil
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if i := mappingIndex(m, key); i >= 0 {
		return m.Content[i+1]
	}
	return nil
}

// mappingIndex is where mappingKey's key is in m.Content, or -1.
func mappingIndex(m *yaml.Node, key string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key && k.ShortTag() != "!!merge" {
			return i
		}
	}
	return -1
}

// lookupNode follows keyPath from the top of doc through written keys and
// aliases, returning nil if any key is missing.
func lookupNode(doc *yaml.Node, keyPath []string) *yaml.Node {
	if doc == nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil
	}
	n := doc.Content[0]
	for _, k := range keyPath {
		n = mappingValue(resolveAlias(n), k)
		if n == nil {
			return nil
		}
	}
	return resolveAlias(n)
}

func unique(names []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func stringNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}
