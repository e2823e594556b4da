package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// schema is the part of a tool's JSON schema that decides whether a tool
// call repaired from text is really a call: types, required and known
// properties, enums, array items, alternatives. Keywords it does not know
// ($ref, formats, numeric bounds, patterns) accept anything, so a valid
// call is never refused; the aim is to tell a call from prose that only
// looks like one, not to be a complete validator.
type schema struct {
	Types                []string           `json:"-"`
	Properties           map[string]*schema `json:"properties"`
	Required             []string           `json:"required"`
	Items                *schema            `json:"-"`
	Enum                 []any              `json:"-"`
	AnyOf                []*schema          `json:"anyOf"`
	OneOf                []*schema          `json:"oneOf"`
	AdditionalProperties *bool              `json:"-"`
}

// UnmarshalJSON reads the keywords whose JSON shape varies: type (a name
// or a list), items (a schema or, in old drafts, a list), enum (any
// values, decoded with numbers kept exact) and additionalProperties (a
// boolean or a schema, which counts as allowing them).
func (s *schema) UnmarshalJSON(b []byte) error {
	type plain schema
	var raw struct {
		plain
		Type                 json.RawMessage `json:"type"`
		Items                json.RawMessage `json:"items"`
		Enum                 json.RawMessage `json:"enum"`
		AdditionalProperties json.RawMessage `json:"additionalProperties"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("true")) || bytes.HasPrefix(bytes.TrimSpace(b), []byte("false")) {
		return nil // a boolean schema: accept anything
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = schema(raw.plain)
	switch JSONKind(raw.Type) {
	case "string":
		var t string
		json.Unmarshal(raw.Type, &t)
		s.Types = []string{t}
	case "array":
		json.Unmarshal(raw.Type, &s.Types)
	}
	if JSONKind(raw.Items) == "object" {
		s.Items = new(schema)
		if err := json.Unmarshal(raw.Items, s.Items); err != nil {
			return err
		}
	}
	if JSONKind(raw.Enum) == "array" {
		if v, err := decodeExact(raw.Enum); err == nil {
			s.Enum, _ = v.([]any)
		}
	}
	if JSONKind(raw.AdditionalProperties) == "boolean" {
		var ok bool
		json.Unmarshal(raw.AdditionalProperties, &ok)
		s.AdditionalProperties = &ok
	}
	return nil
}

// compileSchema reads a tool's input_schema; a schema that cannot be read
// accepts any object, as Ollama and the model would.
func compileSchema(raw json.RawMessage) *schema {
	s := new(schema)
	if len(raw) == 0 || json.Unmarshal(raw, s) != nil {
		return &schema{}
	}
	return s
}

// decodeExact decodes JSON keeping numbers as json.Number, so that an
// integer is told from a float.
func decodeExact(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// validate reports why v does not match the schema, naming the path.
func (s *schema) validate(path string, v any) error {
	if s == nil {
		return nil
	}
	if len(s.Types) > 0 && !slices.ContainsFunc(s.Types, func(t string) bool { return hasType(v, t) }) {
		return fmt.Errorf("%s: want %s, got %s", pathOr(path), strings.Join(s.Types, " or "), typeName(v))
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return sameJSON(e, v) }) {
		return fmt.Errorf("%s: %v is not one of the allowed values", pathOr(path), v)
	}
	for _, alts := range [][]*schema{s.AnyOf, s.OneOf} {
		if len(alts) > 0 && !slices.ContainsFunc(alts, func(a *schema) bool { return a.validate(path, v) == nil }) {
			return fmt.Errorf("%s: matches none of the allowed forms", pathOr(path))
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for _, k := range s.Required {
			if _, ok := v[k]; !ok {
				return fmt.Errorf("%s: required property %q is missing", pathOr(path), k)
			}
		}
		for k, pv := range v {
			ps, known := s.Properties[k]
			if !known {
				if s.AdditionalProperties != nil && !*s.AdditionalProperties {
					return fmt.Errorf("%s: unknown property %q", pathOr(path), k)
				}
				continue
			}
			if err := ps.validate(joinPath(path, k), pv); err != nil {
				return err
			}
		}
	case []any:
		for i, iv := range v {
			if err := s.Items.validate(joinPath(path, fmt.Sprint(i)), iv); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// hasType reports whether v is of JSON schema type t. Unknown type names
// accept anything.
func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		if _, err := n.Int64(); err == nil {
			return true
		}
		f, err := n.Float64()
		return err == nil && f == float64(int64(f))
	}
	return true
}

func typeName(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case json.Number:
		if hasType(v, "integer") {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// sameJSON compares two decoded JSON values, numbers by value.
func sameJSON(a, b any) bool {
	if na, ok := a.(json.Number); ok {
		nb, ok := b.(json.Number)
		if !ok {
			return false
		}
		fa, ea := na.Float64()
		fb, eb := nb.Float64()
		return ea == nil && eb == nil && fa == fb
	}
	return reflect.DeepEqual(a, b)
}
