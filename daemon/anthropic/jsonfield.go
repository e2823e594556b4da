package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// The helpers in this file decode a request one level at a time, so that
// an error names the exact field it is about ("messages.2.content.0");
// the OpenAI front end decodes its requests with them too.

// DecodeAt unmarshals raw into v, reporting a type error at path.
func DecodeAt(path string, raw json.RawMessage, v any) error {
	return decodeAt(path, raw, v, false)
}

// decodeAt is DecodeAt for a raw value that is known to be valid JSON
// when trusted is set (a part of a body already decoded).
func decodeAt(path string, raw json.RawMessage, v any, trusted bool) error {
	if IsAbsent(raw) {
		return InvalidRequest("%s: expected %s, got null", pathOr(path), kindOfType(reflect.TypeOf(v)))
	}
	if readFast(raw, v, trusted) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return FieldError(path, err)
	}
	return nil
}

// FieldError turns a decoding error into a 400 naming the field.
func FieldError(path string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p := path
		if te.Field != "" {
			if p != "" {
				p += "."
			}
			p += te.Field
		}
		return InvalidRequest("%s: expected %s, got %s", pathOr(p), kindOfType(te.Type), te.Value)
	}
	return InvalidRequest("%s: %v", pathOr(path), err)
}

func pathOr(p string) string {
	if p == "" {
		return "request body"
	}
	return p
}

// AsString reports whether raw is a JSON string and returns it.
func AsString(path string, raw json.RawMessage) (string, bool, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false, nil
	}
	var s string
	if readFast(raw, &s, false) {
		return s, true, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, FieldError(path, err)
	}
	return s, true, nil
}

// blockArray decodes an array of content blocks, each at its own index.
func blockArray(path string, raw json.RawMessage) ([]RequestBlock, error) {
	if k := JSONKind(raw); k != "array" {
		return nil, InvalidRequest("%s: expected string or array of content blocks, got %s", path, k)
	}
	return typedArray(path, raw, func(b *RequestBlock) string { return b.Type }, true)
}

// TypedArray decodes an array whose elements each carry a "type", naming
// the element (path.i) in any error so the client sees which one was
// wrong. Both APIs' content arrays go through it.
func TypedArray[T any](path string, raw json.RawMessage, typeOf func(*T) string) ([]T, error) {
	return typedArray(path, raw, typeOf, false)
}

// typedArray is TypedArray, for a raw value known to be valid JSON when
// trusted is set.
func typedArray[T any](path string, raw json.RawMessage, typeOf func(*T) string, trusted bool) ([]T, error) {
	var fast []T
	if readFastArray(raw, &fast, trusted) {
		for i := range fast {
			if typeOf(&fast[i]) == "" {
				return nil, InvalidRequest("%s.%d.type: field required", path, i)
			}
		}
		return fast, nil
	}
	var raws []json.RawMessage
	if !readFast(raw, &raws, trusted) {
		if err := json.Unmarshal(raw, &raws); err != nil {
			return nil, FieldError(path, err)
		}
	}
	out := make([]T, len(raws))
	for i, r := range raws {
		ep := fmt.Sprintf("%s.%d", path, i)
		if err := decodeAt(ep, r, &out[i], trusted); err != nil {
			return nil, err
		}
		if typeOf(&out[i]) == "" {
			return nil, InvalidRequest("%s.type: field required", ep)
		}
	}
	return out, nil
}

func unsupportedBlock(path, typ string) error {
	return InvalidRequest("%s.type: content blocks of type %q are not supported", path, typ)
}

// IsAbsent reports whether a raw field was missing or null.
func IsAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// JSONKind names the kind of a raw JSON value, for error messages.
func JSONKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// kindOfType names the JSON kind a Go type decodes from.
func kindOfType(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	default:
		return t.String()
	}
}
